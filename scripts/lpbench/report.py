"""The one-page Markdown report of a run folder."""
import math
import os

from . import designs as dz
from . import plots, results, targets

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
            unit = _rate_unit(run, w)
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
                out.append(f"| {d} | " + " | ".join(cells) + " |")
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
        ref = run.find(case, targets.USUAL)
        ref_ops = run.median(ref, "ops_per_s") if ref else math.nan
        out += [f"**{results.case_label(case)}** — medians over repetitions (errors: the largest)", "",
                f"| rank | design | queries/s | vs {targets.USUAL} | query "
                + " | ".join(label for label, _ in results.QUERY_PERCENTILES)
                + " | get p99 | Jain | busy retries | errors | inside SQLite |",
                "|---" * (9 + len(results.QUERY_PERCENTILES)) + "|"]
        for i, k in enumerate(keys, 1):
            q = [targets._fmt_ns(run.median(k, c)) for _, c in results.QUERY_PERCENTILES]
            name = k.design
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
    ref = designs.get(targets.USUAL, {}).get("instr_per_pair")
    cas = designs.get(targets.FLOOR, {}).get("instr_per_pair")
    out = [f"| design | instr per try_get+put | vs {targets.USUAL} | vs {targets.FLOOR} |", "|---|---|---|---|"]
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


def _promises_table(run):
    """Each design's promises, from the run's context (the C registry's flags), and what this
    run measured of them: FIFO violations of the designs that promise FIFO, errors of all."""
    try:
        flags = run.design_flags()
    except ValueError as e:
        return [f"(the run's design promises are unreadable: {_md_escape(e)})", ""]
    out = []
    if flags is None:
        out += ["This run predates the bench recording each design's promises (`lp_design_flags`): "
                "the FIFO column is not judged.", ""]
    out += ["| design | promises (registry flags) | worst FIFO violations per M grants | errors |",
            "|---|---|---|---|"]
    for d in run.designs():
        keys = run.keys(design=d)
        fifo = [v for k in keys for v in run.values(k, "fifo_violations_per_m") if v >= 0]
        errors = sum(sum(run.values(k, "errors")) for k in keys)
        promised = flags is not None and "fifo" in flags.get(d, [])
        if not promised:
            fifo_cell = "-"
        elif not fifo:
            fifo_cell = "not measured"
        else:
            fifo_cell = f"{max(fifo):g}" + ("" if max(fifo) == 0 else " **(promise broken)**")
        names = ", ".join(flags.get(d, [])) if flags is not None else "not recorded"
        out.append(f"| {d} | {names or 'none'} | {fifo_cell} | {errors:g} |")
    out.append("")
    return out


def _ratio_table(run):
    rows = targets.ratio_summary(run)
    if not rows:
        return []
    refs = targets.RATIO_REFS
    out = ["| case | mode | " + " | ".join(f"throughput vs {r}" for r in refs) + " | "
           + " | ".join(f"max latency: {r} ÷ mode" for r in refs) + " |", "|---|---|" + "---|" * (2 * len(refs))]
    for case, mode, *ratios in rows:
        out.append(f"| {results.case_label(case)} | {mode} | " + " | ".join(_fmt_ratio(r) for r in ratios) + " |")
    out.append("")
    return out


def _p99_counter(run, workload):
    """The tail a caller sees: the whole query where the workload counts queries, else the get call."""
    return "query_p99_ns" if run.counts_queries(workload) else "lat_p99_ns"


def _rate_unit(run, workload):
    """'queries/s' or 'pairs/s': what ops_per_s counts in this workload (results.Run.op_unit)."""
    return "queries/s" if run.counts_queries(workload) else "pairs/s"


def most_contended(run, workload):
    """The case of a workload with the most threads per slot (then the most threads)."""
    cases = run.cases(workload)
    if not cases:
        return None
    return max(cases, key=lambda c: (c.threads / max(1, c.slots), c.threads))


def ranked(run, case):
    """Keys of the case's designs, most throughput (median over repetitions) first."""
    keys = [k for k in (run.find(case, d) for d in run.designs(case.workload)) if k]
    return sorted(keys, key=lambda k: -run.median(k, "ops_per_s", default=-1.0))


def _pct(a, b):
    return (a / b - 1.0) * 100.0 if b > 0 else math.inf


def verdict(run, case):
    """One sentence: the winner of a case among the pools (not the references), its margin over
    the runner-up, and whether the repetitions of the two overlap. None without two pools."""
    pools = [k for k in ranked(run, case) if not dz.is_reference(run, k.design)]
    if not pools:
        return None
    unit = _rate_unit(run, case.workload)
    first = pools[0]
    a = run.median(first, "ops_per_s")
    if len(pools) == 1:
        return f"**{first.design}** is the only pool measured here ({_fmt_ops(a)} {unit})."
    second = pools[1]
    b = run.median(second, "ops_per_s")
    margin = _pct(a, b)
    lo_a = min(run.values(first, "ops_per_s"))
    hi_b = max(run.values(second, "ops_per_s"))
    if len(run.values(first, "ops_per_s")) < 2:
        noise = "one repetition: no spread to judge the margin by"
    elif lo_a > hi_b:
        noise = "every repetition of the winner beat every repetition of the runner-up"
    else:
        noise = (f"the repetitions overlap: the winner's slowest {_fmt_ops(lo_a)}, the runner-up's "
                 f"fastest {_fmt_ops(hi_b)}")
    how = "ahead of" if margin >= 0.05 else "level with"
    return (f"**{first.design}** wins, {margin:.1f}% {how} {second.design} "
            f"({_fmt_ops(a)} against {_fmt_ops(b)} {unit}; {noise}).")


def _fifo(run, key):
    vals = [v for v in run.values(key, "fifo_violations_per_m") if v >= 0]
    return "-" if not vals else _fmt_ops(max(vals))


def _ranking(run):
    """The answer first: per workload, the designs ordered by throughput in its most contended
    case, with their tail and fairness beside, and the winner of every other case in words."""
    out = []
    for w in run.workloads():
        case = most_contended(run, w)
        if case is None:
            continue
        p99 = _p99_counter(run, w)
        mx = "query_max_ns" if p99 == "query_p99_ns" else "lat_max_ns"
        what = "query" if p99 == "query_p99_ns" else "get"
        unit = _rate_unit(run, w)
        where = "its most contended case" if len(run.cases(w)) > 1 else "its only case"
        out += [f"### {w} — {_md_escape(dz.workload_summary(w))}", "",
                f"Ranked in {where}: {_md_escape(results.case_label(case))}.", ""]
        line = verdict(run, case)
        if line:
            out += [line, ""]
        out += [f"| rank | design | {unit} (min–max) | vs winner | {what} p99 | {what} max | Jain "
                "| FIFO violations / M |", "|---|---|---|---|---|---|---|---|"]
        keys = ranked(run, case)
        pools = [k for k in keys if not dz.is_reference(run, k.design)]
        top = run.median(pools[0], "ops_per_s") if pools else math.nan
        for i, k in enumerate(keys, 1):
            vals = run.values(k, "ops_per_s")
            ops = run.median(k, "ops_per_s")
            rng = f" ({_fmt_ops(min(vals))}–{_fmt_ops(max(vals))})" if len(vals) > 1 else ""
            name = f"**{k.design}**" if pools and k == pools[0] else k.design
            if dz.is_reference(run, k.design):
                name += " (reference, not a pool)"
            jain = run.median(k, "jain")
            out.append(f"| {i} | {name} | {_fmt_ops(ops)}{rng} | "
                       f"{'-' if not top or math.isnan(ops) else f'{100 * ops / top:.0f}%'} | "
                       f"{targets._fmt_ns(run.median(k, p99))} | {targets._fmt_ns(run.worst(k, mx))} | "
                       f"{'-' if math.isnan(jain) else f'{jain:.3f}'} | {_fifo(run, k)} |")
        out.append("")
        others = [c for c in run.cases(w) if c != case]
        if others:
            out += ["Its other cases:", ""]
            for c in others:
                v = verdict(run, c)
                if v:
                    out.append(f"- {_md_escape(results.case_label(c))}: {v}")
            out.append("")
    if out:
        out = ["Per workload, every design ordered by median throughput in the workload's most contended case; "
               "p99 is the median over repetitions, max the worst repetition, Jain's index the median "
               "(1 = every thread served equally), FIFO violations (certain overtakings per million grants) "
               "the worst repetition (- where the workload does not count them); \"vs winner\": median "
               "throughput against the winning pool's. A reference (a design whose registry promises do not include "
               "`bounded`: no slot limit, so not a pool) is never named the winner.", ""] + out
    return out


def _design_lines(run, fastpath):
    names = run.designs() + [d for d in (fastpath or {}).get("designs", {}) if d not in run.designs()]
    flags = dz.flags(run)
    out = []
    for d in names:
        promise = f" Promises: {', '.join(flags[d])}." if flags.get(d) else ""
        out.append(f"- **{d}** — {_md_escape(dz.summary(run, d))}.{promise}")
    return out + [""]


def _workload_lines(run):
    out = []
    for w in run.workloads():
        cases = "; ".join(
            f"{_md_escape(plots.cfg_label(run, c).split(' ', 1)[1] if ' ' in plots.cfg_label(run, c) else '')} "
            f"at {plots.threads_list(plots.cfg_threads(run, c))}"
            for c in plots.configs(run, w))
        out.append(f"- **{w}** — {_md_escape(dz.workload_summary(w))}. Cases: {cases}.")
    return out + ["", "slots = SLOTS (objects in the pool), waiters = MAX_WAITERS (queue cells), hold / think = "
                  "nanoseconds of work with and without an object (bench/README.md)."]


def write_report(run_dir, run, fastpath, plot_paths, meta, source=None):
    """Write run_dir/report.md; returns its path. plot_paths: {title: plots.Figure}; source: the
    analyze.Inputs when the run's files are in another folder than the report."""
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
        ms = c.get("lp_run_ms") or meta.get("run_ms")
        lines += [f"> **Quick run**: {plots.plural(plots.repetitions(run), 'repetition')}"
                  + (f" of {ms} ms" if ms else "") + f" per case; {', '.join(run.workloads())} at "
                  f"{plots.threads_list(run.threads())}; numbers are indicative only.", ""]

    lines += ["## Which design wins each workload", ""] + _ranking(run)
    lines += ["## The designs", ""] + _design_lines(run, fastpath)
    lines += ["## The workloads", ""] + _workload_lines(run) + [""]

    lines += ["## How this run was made", "", "Command line:", "", "```", meta.get("command", "(unknown)"),
              "```", ""]
    if source is None:
        lines += ["Files: `bench.json` (Google Benchmark JSON, contract in bench/JSON.md), "
                  "`detail.json` (latency histograms), `fastpath.json` (callgrind counts), plots `*.png`.", ""]
    else:
        used = [p for p in (source.bench, source.detail, source.fastpath, source.meta) if p]
        lines += ["Drawn from " + ", ".join(f"`{p}`" for p in used) + " (contract in bench/JSON.md); "
                  "plots `*.png` next to this report.", ""]
    lines += ["## Machine", ""] + _context_table(run, meta) + [""]
    lines += ["Docker, VMs and shared hosts cannot pin frequency or isolate cores: compare runs "
              "from the same machine, or use same-run ratios (see scripts/README.md).", ""]

    lines += ["## Plots", ""]
    for title, fig in plot_paths.items():
        lines += [f"### {title}", "", fig.caption, "", f"![{title}]({os.path.basename(fig.path)})", ""]

    lines += ["## Promises", ""] + _promises_table(run)
    lines += ["## Single-thread fast path (callgrind)", ""] + _fastpath_table(fastpath)
    sqlite = _sqlite_ranking(run)
    if sqlite:
        lines += ["## A SQLite connection pool (sqlite_pool): every counter", ""] + sqlite
    lines += ["## Throughput tables", ""] + _throughput_tables(run)
    lines += ["## Remote NUMA memory (get_hold_local against get_hold_remote)", ""] + _remote_section(run)
    ratio = _ratio_table(run)
    if ratio:
        lines += [f"## LockPool's modes against {plots.join(targets.RATIO_REFS)}, every case", ""] + ratio

    lines += ["## Performance targets, computed from this run", ""]
    lines += ["| target | line | measured | verdict |", "|---|---|---|---|"]
    rows = targets.all_rows(run, fastpath)
    for r in rows:
        v = f"**{r.verdict}**" if r.verdict == targets.NOT_MET else r.verdict
        lines.append(f"| {targets.title(r.target)} | {_md_escape(r.what)} | {_md_escape(r.measured)} | {v} |")
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
        lines += [f"- **{targets.title(t)}.** {text}" for t, text in why] + [""]
    path = os.path.join(run_dir, "report.md")
    with open(path, "w") as f:
        f.write("\n".join(lines))
    return path
