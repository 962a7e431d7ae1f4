"""The one-page Markdown report of a run folder."""
import math
import os

from . import results, targets
from .results import LOCKPOOL_DESIGNS

_CONTEXT_KEYS = [("lp_cpu_model", "CPU"), ("num_cpus", "logical CPUs"), ("mhz_per_cpu", "MHz per CPU"),
                 ("lp_topology", "topology (hwloc)"), ("lp_governor", "cpufreq governor"),
                 ("cpu_scaling_enabled", "CPU scaling enabled"), ("lp_pin_policy", "pinning policy"),
                 ("lp_placement", "thread placement"), ("lp_mem_policy", "memory policy"),
                 ("lp_compiler", "compiler"), ("lp_build_flags", "build flags"),
                 ("library_build_type", "benchmark library build"), ("lp_git_commit", "git commit"),
                 ("host_name", "host"), ("date", "date"), ("load_avg", "load average"),
                 ("lp_quick", "quick run")]


def _fmt_ops(x):
    if x is None or math.isnan(x):
        return "-"
    if x >= 1e6:
        return f"{x / 1e6:.2f} M"
    if x >= 1e3:
        return f"{x / 1e3:.1f} k"
    return f"{x:.0f}"


def _fmt_ratio(x):
    return targets._fmt_ratio(x)


def _md_escape(s):
    return str(s).replace("|", "\\|").replace("\n", " ")


def _context_table(run, meta):
    lines = ["| | |", "|---|---|"]
    for key, label in _CONTEXT_KEYS:
        v = run.context.get(key)
        if v in (None, ""):
            continue
        if isinstance(v, list):
            v = ", ".join(str(x) for x in v)
        lines.append(f"| {label} | {_md_escape(v)} |")
    caches = run.context.get("caches")
    if isinstance(caches, list) and caches:
        desc = ", ".join(f"L{c.get('level')} {c.get('type', '')} {c.get('size', 0) // 1024} KiB"
                         f" (shared by {c.get('num_sharing', 1)})" for c in caches)
        lines.append(f"| caches | {_md_escape(desc)} |")
    if meta.get("load_avg_1min_samples"):
        lines.append("| 1-min load average during the run (at each workload's start, and at the end) | "
                     + ", ".join(str(x) for x in meta["load_avg_1min_samples"]) + " |")
    if "calibration_drift" in meta:
        cals = ", ".join(meta.get("spin_calibrations") or [])
        drift = "; ".join(meta["calibration_drift"]) or "none"
        lines.append(f"| spin calibration per harness process (drift re-checked at each process's end) | "
                     f"{_md_escape(cals)}; drift: {_md_escape(drift)} |")
    for k, label in (("repetitions", "repetitions"), ("run_ms", "measured time per benchmark instance (ms)"),
                     ("duration_s", "suite wall time (s)")):
        if k in meta:
            lines.append(f"| {label} | {meta[k]} |")
    return lines


def _throughput_tables(run):
    out = []
    for w in run.workloads():
        for cfg in {k._replace(design="*", threads=0): None for k in run.keys(workload=w)}:
            threads = sorted({k.threads for k in run.keys(workload=w) if k._replace(design="*", threads=0) == cfg})
            unit = "queries/s" if w == "sqlite_pool" else "pairs/s"
            out.append(f"**{results.case_label(cfg, with_threads=False)}** — median {unit} "
                       f"(p99.9 get latency in brackets)")
            out.append("")
            out.append("| design | " + " | ".join(f"{t} thr" for t in threads) + " |")
            out.append("|---|" + "---|" * len(threads))
            for d in run.designs(w):
                cells = []
                for t in threads:
                    k = cfg._replace(design=d, threads=t)
                    if k not in run.samples:
                        cells.append("-")
                        continue
                    lat = run.median(k, "lat_p999_ns")
                    cells.append(_fmt_ops(run.median(k, "ops_per_s"))
                                 + ("" if math.isnan(lat) else f" ({targets._fmt_ns(lat)})"))
                name = f"**{d}**" if d in LOCKPOOL_DESIGNS else d
                out.append(f"| {name} | " + " | ".join(cells) + " |")
            out.append("")
    return out


def _remote_section(run):
    """get_hold_local against get_hold_remote: what storage on another NUMA node costs each design.
    Said plainly when the machine has one node, or when the rows are missing."""
    nodes = results.numa_nodes(run.context)
    note = run.context.get("lp_remote", "")
    if nodes is None:
        return ["This run does not record its NUMA topology (no `lp_numa_nodes` in its context): "
                "no local/remote comparison.", ""]
    if len(nodes) < 2:
        return [f"This machine has one NUMA node ({_md_escape(nodes[0] if nodes else '?')}): nothing remote "
                "can be measured, so there is no local/remote ratio.", ""]
    pairs = []
    for k in run.keys(workload=results.LOCAL_WORKLOAD):
        r = k._replace(workload=results.REMOTE_WORKLOAD)
        if r in run.samples:
            pairs.append((k, r))
    if not pairs:
        return [f"This machine has {len(nodes)} NUMA nodes ({_md_escape(' '.join(nodes))}), but the run has no "
                f"`{results.LOCAL_WORKLOAD}`/`{results.REMOTE_WORKLOAD}` rows"
                + (f": {_md_escape(note)}." if note else " (filtered out?)."), ""]
    out = [f"Machine: {len(nodes)} NUMA nodes ({_md_escape(' '.join(nodes))}). {_md_escape(note)}.", "",
           "The get_hold case with every thread on one node and the design's storage on that node (local) "
           "or another (remote). local ÷ remote > 1: remote slot lines cost throughput; the p99.9 ratio is "
           "remote ÷ local. Median over repetitions.", "",
           "| case | design | local pairs/s | remote pairs/s | local ÷ remote | p99.9 remote ÷ local "
           "| storage node local / remote |", "|---|---|---|---|---|---|---|"]
    for k, r in pairs:
        lo, ro = run.median(k, "ops_per_s"), run.median(r, "ops_per_s")
        lp, rp = run.median(k, "lat_p999_ns"), run.median(r, "lat_p999_ns")
        ratio = lo / ro if ro and not math.isnan(lo) and not math.isnan(ro) else math.nan
        lat = rp / lp if lp and not math.isnan(lp) and not math.isnan(rp) else math.nan
        ln, rn = run.median(k, "mem_node"), run.median(r, "mem_node")
        where = " / ".join("?" if math.isnan(x) else f"{x:.0f}" for x in (ln, rn))
        if not math.isnan(ln) and ln == rn:
            where += " (**not remote**)"
        out.append(f"| {results.case_label(k._replace(workload='get_hold'))} | {k.design} | {_fmt_ops(lo)} | "
                   f"{_fmt_ops(ro)} | {_fmt_ratio(ratio)} | {_fmt_ratio(lat)} | {where} |")
    out.append("")
    return out


def _sqlite_ranking(run):
    """sqlite_pool: every design ranked by median queries/s in each case, with its query latency
    (get + query + put: what a caller of the pool sees), fairness, SQLITE_BUSY retries and errors."""
    out = []
    for case in run.cases("sqlite_pool"):
        keys = [k for k in (run.find(case, d) for d in run.designs("sqlite_pool")) if k]
        if not keys:
            continue
        keys.sort(key=lambda k: -run.median(k, "ops_per_s", default=0.0))
        ref = run.find(case, "pthread")
        ref_ops = run.median(ref, "ops_per_s") if ref else math.nan
        out += [f"**{results.case_label(case)}** — medians over repetitions (errors: the largest)", "",
                "| rank | design | queries/s | vs pthread | query p50 | p99 | p99.9 | max | get p99 | Jain "
                "| busy retries | errors | inside SQLite |",
                "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
        for i, k in enumerate(keys, 1):
            q = [targets._fmt_ns(run.median(k, c)) for _, c in results.QUERY_PERCENTILES]
            name = f"**{k.design}**" if k.design in LOCKPOOL_DESIGNS else k.design
            ops = run.median(k, "ops_per_s")
            errors = max(run.values(k, "errors") or [math.nan])
            share = run.median(k, "sqlite_share")
            out.append(f"| {i} | {name} | {_fmt_ops(ops)} | {_fmt_ratio(targets._ratio(ops, ref_ops))} | "
                       + " | ".join(q) + f" | {targets._fmt_ns(run.median(k, 'lat_p99_ns'))} | "
                       f"{run.median(k, 'jain'):.3f} | {run.median(k, 'busy_retries'):.0f} | {errors:.0f} | "
                       f"{'-' if math.isnan(share) else f'{100 * share:.0f}%'} |")
        out.append("")
    if out:
        out = ["Each thread: get a connection, run one query of the mix "
               f"({_md_escape(run.context.get('lp_sqlite_mix', '?'))}), put it back, think; "
               f"{_md_escape(run.context.get('lp_sqlite', ''))}. \"inside SQLite\": share of the query "
               "latency spent in SQLite calls (the rest is waiting for a connection and the pool's get/put).",
               ""] + out
    return out


def _fastpath_table(fastpath):
    designs = (fastpath or {}).get("designs", {})
    if not designs:
        return ["(no fastpath.json: callgrind counts not measured)", ""]
    ref = designs.get("pthread", {}).get("instr_per_pair")
    cas = designs.get("bare-cas", {}).get("instr_per_pair")
    out = ["| design | instr per try_get+put | vs pthread | vs bare-cas |", "|---|---|---|---|"]
    for d, v in designs.items():
        ipp = v["instr_per_pair"]
        out.append(f"| {d} | {ipp:.1f} | {_fmt_ratio(ipp / ref) if ref else '-'} | "
                   f"{_fmt_ratio(ipp / cas) if cas else '-'} |")
    for d, err in (fastpath or {}).get("errors", {}).items():
        out.append(f"| {d} | failed: {_md_escape(err)[:80]} | | |")
    out.append("")
    out.append(f"Method: {fastpath.get('method', 'callgrind')}, N = {fastpath.get('iters', '?')}.")
    out.append("")
    return out


def _ratio_table(run):
    rows = targets.ratio_summary(run)
    if not rows:
        return []
    out = ["| case | mode | throughput vs pthread | vs spin-ttas | max latency: pthread ÷ mode "
           "| spin-ttas ÷ mode |", "|---|---|---|---|---|---|"]
    for case, mode, tp_p, tp_s, lat_p, lat_s in rows:
        out.append(f"| {results.case_label(case)} | {mode} | {_fmt_ratio(tp_p)} | {_fmt_ratio(tp_s)} | "
                   f"{_fmt_ratio(lat_p)} | {_fmt_ratio(lat_s)} |")
    out.append("")
    return out


_PLOT_NOTES = {
    "Throughput vs threads": "Total get+put pairs per second against thread count, one line per design "
                             "(log y). Above the core count, threads time-share the CPUs.",
    "Get-latency CCDF": "Fraction of get calls slower than x, per design, at the most contended "
                        "thread count: the further right a curve reaches, the worse its tail.",
    "Fairness vs threads": "Jain's index (1 = every thread got the same number of pairs; 1/N = one "
                           "thread got everything) and the min/max per-thread share.",
    "Per-thread ops, most contended case": "Each thread's completed pairs divided by the equal share; "
                                           "bars far from the dashed line are starved or favoured threads.",
}


def write_report(run_dir, run, fastpath, plot_paths, meta):
    """Write run_dir/report.md; returns its path."""
    c = run.context
    when = meta.get("started", c.get("date", ""))
    lines = [f"# LockPool benchmark run — {when}", ""]
    problems = meta.get("problems")
    if problems is None:  # runs written before run.json listed problems
        problems = [f"family {fam} failed ({why}): its rows are missing"
                    for fam, why in (meta.get("failures") or {}).items()]
        problems += [f"benchmark {n} failed: no result" for n in run.skipped]
    if problems:
        lines += [f"> **This run is incomplete or broken: {len(problems)} problem(s).** "
                  "Its numbers do not cover what is listed here.", ""]
        lines += [f"- {_md_escape(p)}" for p in problems] + [""]
    if c.get("lp_quick") == "1" or meta.get("quick"):
        lines += ["> **Quick run** (about a minute): short repetitions, few thread counts; "
                  "numbers are indicative only.", ""]
    lines += ["Command line:", "", "```", meta.get("command", "(unknown)"), "```", ""]
    lines += ["Files: `bench.json` (Google Benchmark JSON, contract in bench/JSON.md), "
              "`detail.json` (latency histograms), `fastpath.json` (callgrind counts), plots `*.png`.", ""]
    lines += ["## Machine", ""] + _context_table(run, meta) + [""]
    lines += ["Docker, VMs and shared hosts cannot pin frequency or isolate cores: compare runs "
              "from the same machine, or use same-run ratios (see scripts/README.md).", ""]

    lines += ["## Targets (issue 7), computed from this run", ""]
    lines += ["| # | target | measured | verdict |", "|---|---|---|---|"]
    rows = targets.all_rows(run, fastpath)
    for r in rows:
        v = f"**{r.verdict}**" if r.verdict == targets.NOT_MET else r.verdict
        lines.append(f"| {r.target} | {_md_escape(r.what)} | {_md_escape(r.measured)} | {v} |")
    met = sum(r.verdict == targets.MET for r in rows)
    lines += ["", f"{met} of {len(rows)} met; "
              f"{sum(r.verdict == targets.NOT_MET for r in rows)} not met; "
              f"{sum(r.verdict == targets.NO_DATA for r in rows)} without data. Throughput: median "
              "over repetitions; worst-case latency: the largest max of any repetition, on both sides; "
              "fairness: the least fair repetition.", ""]
    bounds = targets.bound_summary(rows)
    if bounds:
        lines += [bounds, ""]
    why = targets.reasons(run, rows, fastpath)
    if why:
        lines += ["### Why the unmet targets are not met", ""]
        lines += [f"- **Target {t}.** {text}" for t, text in why] + [""]

    lines += ["## Plots", ""]
    for title, path in plot_paths.items():
        note = _PLOT_NOTES.get(title, "")
        if title.startswith("Get latency percentiles"):
            note = ("p50 … p99.99 and max of the get call's latency against thread count, one panel "
                    "per design (log y).")
        lines += [f"### {title}", "", note, "", f"![{title}]({os.path.basename(path)})", ""]

    lines += ["## Single-thread fast path (callgrind)", ""] + _fastpath_table(fastpath)
    sqlite = _sqlite_ranking(run)
    if sqlite:
        lines += ["## A SQLite connection pool (sqlite_pool): designs ranked", ""] + sqlite
    lines += ["## Throughput tables", ""] + _throughput_tables(run)
    lines += ["## Remote NUMA memory (get_hold_local against get_hold_remote)", ""] + _remote_section(run)
    ratio = _ratio_table(run)
    if ratio:
        lines += ["## LockPool against pthread and spin-ttas, every case", ""] + ratio
    path = os.path.join(run_dir, "report.md")
    with open(path, "w") as f:
        f.write("\n".join(lines))
    return path
