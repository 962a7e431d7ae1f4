"""The commands of scripts/lp-history (argument parsing lives in the script)."""
import csv
import json
import math
import os
import statistics
import sys

from . import history
from .history import HistoryError

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _open(a, create=False):
    return history.DB(a.db, create=create)


def _fmt(v):
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    a = abs(v)
    if a >= 1e6:
        return f"{v / 1e6:.3f}M"
    if a >= 1e3:
        return f"{v / 1e3:.2f}k"
    if a == int(a):
        return f"{int(v)}"
    return f"{v:.4g}"


# ---- add ----------------------------------------------------------------------------------
def cmd_add(a):
    metrics = set(m.strip() for m in a.metrics.split(",") if m.strip()) if a.metrics else None
    # Every folder is checked before anything is written: a bad one refuses the whole command.
    runs = [history.LoadedRun(p, commit_date=a.commit_date, metrics=metrics, tag=a.tag) for p in a.runs]
    db = _open(a, create=True)
    for run in runs:
        if history.add_run(db, run, source=os.path.abspath(run.path)):
            print(f"added {run.path}: commit {run.commit[:12]} ({run.commit_date}), run {run.run_date}, "
                  f"machine {run.fingerprint}, tag {run.tag}, {len(run.rows)} rows")
        else:
            print(f"already in the history, unchanged: {run.path}")
    db.close()
    return 0


def _selected_series(db, a, with_values=False):
    """The series trend and changes look at: the metric itself, or its ratio to --ratio-to."""
    if a.ratio_to:
        return history.ratio_series(db, a.metric, a.ratio_to, design=a.design, workload=a.workload,
                                    name_re=a.filter, machine=a.machine, tag=a.tag)
    return history.series(db, a.metric, design=a.design, workload=a.workload, name_re=a.filter,
                          machine=a.machine, tag=a.tag, with_values=with_values)


# ---- trend --------------------------------------------------------------------------------
def cmd_trend(a):
    db = _open(a)
    ser = _selected_series(db, a, with_values=True)
    db.close()
    label = a.metric + (f" / {a.ratio_to}" if a.ratio_to else "")
    if not ser:
        raise HistoryError(f"no {label} series for design {a.design!r}, workload {a.workload!r}"
                           + (f", filter {a.filter!r}" if a.filter else "") + " (see lp-history info)")
    if a.last:
        ser = {k: v[-a.last:] for k, v in ser.items()}
    for (fp, tag, name), pts in ser.items():
        print(f"{name}  [{label}, machine {fp}, tag {tag}, {len(pts)} runs]")
        print(f"  {'commit':<12} {'commit date':<20} {'run date':<20} {'median':>10} {'min':>10} {'max':>10} reps")
        for p in pts:
            lo = min(p.values) if p.values else None     # a ratio has one value per run
            hi = max(p.values) if p.values else None
            print(f"  {p.commit[:12]:<12} {p.commit_date:<20} {p.run_date:<20} {_fmt(p.value):>10} "
                  f"{_fmt(lo):>10} {_fmt(hi):>10} {p.reps}")
    if a.png:
        from . import dashboard
        dashboard.trend_png(a.png, ser, label, f"{a.workload} / {a.design}")
        print(f"wrote {a.png}")
    return 0


# ---- changes ------------------------------------------------------------------------------
def _series_changes(args):
    from . import edivisive
    values, alpha, permutations, min_size, seed = args
    return edivisive.change_points(values, alpha=alpha, permutations=permutations, min_size=min_size, seed=seed)


def find_changes(ser, alpha, permutations, min_size, min_magnitude, seed, metric, jobs=1):
    """[(series key, change dict)] for every series, in series order. Each series uses the same
    seed, so the answer does not depend on `jobs` (worker processes)."""
    keys = list(ser)
    work = [([p.value for p in ser[k]], alpha, permutations, min_size, seed) for k in keys]
    if jobs > 1 and len(work) > 1:
        import multiprocessing
        with multiprocessing.Pool(min(jobs, len(work))) as pool:
            per_series = pool.map(_series_changes, work, chunksize=max(1, len(work) // (8 * jobs)))
    else:
        per_series = [_series_changes(w) for w in work]
    out = []
    for key, found in zip(keys, per_series):
        pts = ser[key]
        for c in found:
            i = c.index
            before, after = c.before_median, c.after_median
            mag = (after - before) / abs(before) if before else math.inf
            if abs(mag) < min_magnitude:
                continue
            better = (mag > 0) == history.higher_is_better(metric)
            out.append((key, dict(
                benchmark=key[2], machine=key[0], tag=key[1], metric=metric, index=i,
                commit=pts[i].commit, previous_commit=pts[i - 1].commit,
                same_commit=pts[i].commit == pts[i - 1].commit,
                commit_date=pts[i].commit_date, run_date=pts[i].run_date,
                before_median=before, after_median=after, magnitude=mag,
                direction="improvement" if better else "regression",
                pvalue=c.pvalue, confidence=1.0 - c.pvalue, permutations=c.permutations,
                runs_before=c.before_n, runs_after=c.after_n)))
    return out


def cmd_changes(a):
    db = _open(a)
    ser = _selected_series(db, a)
    db.close()
    label = a.metric + (f" / {a.ratio_to}" if a.ratio_to else "")
    if not ser:
        raise HistoryError(f"no {label} series match (see lp-history info)")
    found = find_changes(ser, a.alpha, a.permutations, a.min_size, a.min_magnitude, a.seed, a.metric, a.jobs)
    print(f"E-Divisive means over {len(ser)} series of {label} (alpha {a.alpha}, {a.permutations} "
          f"permutations, at least {a.min_size} runs a side): {len(found)} change(s)")
    for key, c in found:
        where = (f"within commit {c['commit'][:12]} (between two of its runs)" if c["same_commit"]
                 else f"{c['previous_commit'][:12]} -> {c['commit'][:12]}")
        print(f"  {c['benchmark']}  [{key[0]}/{key[1]}]: {where} ({c['commit_date']}): "
              f"{_fmt(c['before_median'])} -> {_fmt(c['after_median'])} ({c['magnitude']:+.1%}, "
              f"{c['direction']}), confidence {c['confidence']:.1%} "
              f"({c['runs_before']} runs before, {c['runs_after']} after)")
    if a.json_out:
        with open(a.json_out, "w") as f:
            json.dump({"metric": label, "alpha": a.alpha, "permutations": a.permutations,
                       "min_size": a.min_size, "series": len(ser), "changes": [c for _, c in found]}, f, indent=1)
    return 1 if (found and a.fail_on_change) else 0


# ---- backfill -----------------------------------------------------------------------------
def _interrupt(signum, frame):
    raise KeyboardInterrupt


def cmd_backfill(a):
    import signal
    from . import backfill
    # A kill (SIGTERM) unwinds like Ctrl-C: the commit's worktree and build are removed.
    signal.signal(signal.SIGTERM, _interrupt)
    db = _open(a, create=True)
    work = a.work or backfill.default_work(TOP)
    added, skipped, failed = backfill.backfill(
        db, TOP, a.range, work, paths=a.path, filt=a.filter or backfill.DEFAULT_FILTER,
        reps=a.reps or backfill.DEFAULT_REPS, run_ms=a.run_ms or backfill.DEFAULT_RUN_MS,
        nice=a.nice, jobs=a.jobs, tag=a.tag or backfill.DEFAULT_TAG, limit=a.limit,
        runs_per_commit=a.runs_per_commit, newest_first=a.newest_first, first_parent=a.first_parent)
    db.close()
    print(f"lp-history backfill: {len(added)} added, {len(skipped)} already there, {len(failed)} failed"
          + (f" ({' '.join(failed)})" if failed else ""))
    return 0 if not failed else 1


# ---- dashboard ----------------------------------------------------------------------------
def cmd_dashboard(a):
    from . import dashboard
    metrics = [m.strip() for m in a.metrics.split(",") if m.strip()]
    db = _open(a)
    n = dashboard.write(db, a.out, metrics, machine=a.machine, tag=a.tag, ratio_to=a.ratio_to, alpha=a.alpha,
                        permutations=a.permutations, min_size=a.min_size, min_magnitude=a.min_magnitude,
                        title=a.title)
    db.close()
    print(f"wrote {a.out}: {n['charts']} charts, {n['series']} series, {n['changes']} change points")
    return 0


# ---- baseline -----------------------------------------------------------------------------
def cmd_baseline(a):
    """A run folder the gate reads: each benchmark's last K per-run medians as its repetitions
    (so the gate's U test sees the spread between runs) and their median as the centre."""
    db = _open(a)
    where, params = history._run_filter(a.machine, a.tag)
    fps = db.query("SELECT DISTINCT mc.fingerprint, r.tag FROM runs r JOIN machines mc ON mc.id = r.machine_id"
                   + (" WHERE " + " AND ".join(where) if where else ""), params)
    if not fps:
        raise HistoryError("no runs match (see lp-history info)")
    if len(fps) > 1:
        raise HistoryError(f"runs of {len(fps)} machine/tag pairs match ("
                           + ", ".join(f"{f}/{t}" for f, t in fps[:4])
                           + "): choose one with --machine and --tag")
    metrics = [r[0] for r in db.query("SELECT name FROM metrics ORDER BY name")]
    rows = {}
    for metric in metrics:
        for (fp, tag, name), pts in history.series(db, metric, machine=a.machine, tag=a.tag).items():
            rows.setdefault(name, {})[metric] = [p.value for p in pts[-a.last:]]
    last_ctx = db.query("SELECT r.context, r.commit_sha FROM runs r WHERE r.id = (SELECT MAX(id) FROM runs r"
                        + (" WHERE " + " AND ".join(where) if where else "") + ")", params)[0]
    db.close()
    ctx = json.loads(last_ctx[0] or "{}")
    ctx["lp_history_baseline"] = f"median of the last {a.last} runs per benchmark"
    benchmarks, fastpath, used = [], {}, 0
    for name, per_metric in rows.items():
        if name.startswith("fastpath/"):
            fastpath[name.split("/", 1)[1]] = {"instr_per_pair": statistics.median(per_metric["instr_per_pair"])}
            continue
        k = max(len(v) for v in per_metric.values())
        used = max(used, k)
        for rep in range(k):
            row = {"name": name, "run_name": name, "run_type": "iteration", "repetitions": k,
                   "repetition_index": rep, "iterations": 1, "time_unit": "ns"}
            for metric, vals in per_metric.items():
                if rep < len(vals):
                    row[metric] = vals[rep]
            benchmarks.append(row)
    if not benchmarks:
        raise HistoryError("no benchmark series to take a baseline from")
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "bench.json"), "w") as f:
        json.dump({"context": ctx, "benchmarks": benchmarks}, f, indent=1)
    if fastpath:
        with open(os.path.join(a.out, "fastpath.json"), "w") as f:
            json.dump({"method": "median over history runs", "designs": fastpath}, f, indent=1)
    with open(os.path.join(a.out, "run.json"), "w") as f:
        json.dump({"command": "lp-history baseline", "last": a.last, "history": a.db or history.DEFAULT_DB,
                   "repetitions": used, "latest_commit": last_ctx[1]}, f, indent=1)
    print(f"wrote {a.out}: {len(rows) - len(fastpath)} benchmarks, each with the medians of its last "
          f"{used if used < a.last else a.last} runs as repetitions"
          + (f" (fewer runs than --last {a.last} in the history)" if used < a.last else ""))
    return 0


# ---- export / import / info -----------------------------------------------------------------
EXPORT_COLUMNS = ["commit", "commit_date", "run_date", "machine", "host", "tag", "run_hash", "benchmark",
                  "metric", "repetition", "value"]


def cmd_export(a):
    db = _open(a)
    metrics = [m.strip() for m in a.metrics.split(",") if m.strip()] if a.metrics else None
    where, params = history._run_filter(a.machine, a.tag)
    if metrics:
        where.append("m.name IN (" + ", ".join("?" * len(metrics)) + ")")
        params += metrics
    rows = db.query(
        "SELECT r.commit_sha, r.commit_date, r.run_date, mc.fingerprint, mc.host, r.tag, r.run_hash, b.name,"
        " m.name, s.repetition, s.value FROM samples s JOIN runs r ON r.id = s.run_id"
        " JOIN machines mc ON mc.id = r.machine_id JOIN benchmarks b ON b.id = s.benchmark_id"
        " JOIN metrics m ON m.id = s.metric_id" + (" WHERE " + " AND ".join(where) if where else "")
        + " ORDER BY r.commit_ts, r.run_ts, r.id, b.name, m.name, s.repetition", params)
    db.close()
    with open(a.out, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(EXPORT_COLUMNS)
        for r in rows:
            w.writerow(list(r[:10]) + [repr(float(r[10]))])
    print(f"wrote {a.out}: {len(rows)} rows")
    return 0


def cmd_import(a):
    """The inverse of export: one run per run_hash, with the machine fingerprint it had."""
    try:
        with open(a.csv, newline="") as f:
            reader = csv.reader(f)
            head = next(reader, None)
            if head != EXPORT_COLUMNS:
                raise HistoryError(f"{a.csv}: not an lp-history export (header {head})")
            runs = {}
            for line, r in enumerate(reader, 2):
                if len(r) != len(EXPORT_COLUMNS):
                    raise HistoryError(f"{a.csv}:{line}: {len(r)} fields, want {len(EXPORT_COLUMNS)}")
                try:
                    val, rep = float(r[10]), int(r[9])
                except ValueError:
                    raise HistoryError(f"{a.csv}:{line}: bad repetition or value")
                runs.setdefault(r[6], {"head": r[:6], "rows": []})["rows"].append((r[7], r[8], rep, val))
    except OSError as e:
        raise HistoryError(f"{a.csv}: {e.strerror}")
    db = _open(a, create=True)
    added = 0
    for run_hash, d in runs.items():
        sha, cdate, rdate, fp, host, tag = d["head"]
        run = history.ImportedRun(run_hash, sha, cdate, rdate, fp, host, tag, d["rows"])
        added += history.add_run(db, run, source=os.path.abspath(a.csv))
    db.close()
    print(f"imported {a.csv}: {added} runs added, {len(runs) - added} already there")
    return 0


def cmd_info(a):
    db = _open(a)
    c = history.counts(db)
    print(f"{db.url}: schema version {db.version()}, {c['runs']} runs, {c['machines']} machines, "
          f"{c['benchmarks']} benchmarks, {c['metrics']} metrics, {c['samples']} samples")
    for mid, fp, host, cpu in history.machines(db):
        tags = db.query("SELECT tag, COUNT(*), MIN(commit_date), MAX(commit_date) FROM runs WHERE machine_id = ?"
                        " GROUP BY tag ORDER BY tag", (mid,))
        for tag, n, lo, hi in tags:
            print(f"  machine {fp} ({host}, {cpu}) tag {tag}: {n} runs, commits {lo} .. {hi}")
    db.close()
    return 0


COMMANDS = {"add": cmd_add, "trend": cmd_trend, "changes": cmd_changes, "backfill": cmd_backfill,
            "dashboard": cmd_dashboard, "baseline": cmd_baseline, "export": cmd_export, "import": cmd_import,
            "info": cmd_info}


def run(a):
    return COMMANDS[a.cmd](a)


if __name__ == "__main__":  # pragma: no cover
    sys.exit("use scripts/lp-history")
