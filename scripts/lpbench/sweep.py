"""Tuning sweep: one workload over a grid of SLOTS x MAX_WAITERS (x threads). Heatmaps of
throughput and p99.9 get latency, and the smallest configuration within a tolerance of the
best one.

"Smallest" is fewest SLOTS (objects are the caller's real resource), then fewest
MAX_WAITERS (each is a 64-byte cell). A configuration qualifies at a thread count when its
throughput is at least (1 - tolerance) x the best throughput at that thread count and its
p99.9 is at most lat_factor x the best p99.9 there; it is recommended when it qualifies at
every thread count swept."""
import math
import os
import statistics

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.colors import LogNorm, Normalize  # noqa: E402

from . import results, targets  # noqa: E402


def grid(run, workload, design):
    """{threads: {(slots, waiters): (ops_per_s, p999_ns)}} from every matching benchmark."""
    out = {}
    for key in run.keys(workload=workload, design=design):
        ops = run.median(key, "ops_per_s")
        lat = run.median(key, "lat_p999_ns")
        out.setdefault(key.threads, {})[(key.slots, key.waiters)] = (ops, lat)
    return out


def qualifying(cells, tolerance, lat_factor):
    """Configurations of one thread count within the tolerance of the best."""
    valid = {c: v for c, v in cells.items() if not math.isnan(v[0])}
    if not valid:
        return set()
    best_ops = max(v[0] for v in valid.values())
    lats = [v[1] for v in valid.values() if not math.isnan(v[1])]
    best_lat = min(lats) if lats else math.nan
    ok = set()
    for c, (ops, lat) in valid.items():
        if ops < (1.0 - tolerance) * best_ops:
            continue
        if not math.isnan(best_lat) and (math.isnan(lat) or lat > lat_factor * max(best_lat, 1.0)):
            continue
        ok.add(c)
    return ok


def recommend(g, tolerance=0.05, lat_factor=2.0):
    """(slots, waiters) qualifying at every thread count, smallest first; None if none."""
    common = None
    for threads, cells in g.items():
        q = qualifying(cells, tolerance, lat_factor)
        common = q if common is None else common & q
    if not common:
        return None
    return min(common)


def heatmaps(g, out_dir, workload, design, machine, recommended=None):
    """One figure: a row per thread count, columns throughput and p99.9. Returns the path."""
    threads = sorted(g)
    slots = sorted({s for cells in g.values() for s, _ in cells})
    waiters = sorted({w for cells in g.values() for _, w in cells})
    fig, axes = plt.subplots(len(threads), 2, figsize=(5.2 + 0.6 * len(slots), 1.2 + 3.0 * len(threads)),
                             squeeze=False)
    for row, t in zip(axes, threads):
        for ax, idx, title, unit, cmap in ((row[0], 0, "throughput", "M pairs/s", "viridis"),
                                           (row[1], 1, "p99.9 get latency", "µs", "magma_r")):
            scale = 1e-6 if idx == 0 else 1e-3
            data = [[g[t].get((s, w), (math.nan, math.nan))[idx] * scale for s in slots] for w in waiters]
            finite = [v for r in data for v in r if not math.isnan(v) and v > 0]
            # Log colours when the cells span more than a decade: one outlier would wash out the rest.
            norm = (LogNorm(min(finite), max(finite)) if finite and max(finite) > 10 * min(finite)
                    else Normalize(min(finite or [0]), max(finite or [1])))
            im = ax.imshow(data, origin="lower", cmap=cmap, aspect="auto", norm=norm)
            ax.set_xticks(range(len(slots)), [str(s) for s in slots])
            ax.set_yticks(range(len(waiters)), [str(w) for w in waiters])
            ax.set_xlabel("SLOTS")
            ax.set_ylabel("MAX_WAITERS")
            ax.set_title(f"{title} ({unit}), {t} threads", fontsize=9)
            for yi, r in enumerate(data):
                for xi, v in enumerate(r):
                    if not math.isnan(v):
                        dark = norm(v) < 0.5 if idx == 0 else norm(v) > 0.5
                        ax.text(xi, yi, f"{v:.3g}", ha="center", va="center", fontsize=7,
                                color="white" if dark else "black")
            if recommended and recommended[0] in slots and recommended[1] in waiters:
                ax.add_patch(plt.Rectangle((slots.index(recommended[0]) - 0.5, waiters.index(recommended[1]) - 0.5),
                                           1, 1, fill=False, edgecolor="red", linewidth=2))
            fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
    rec = f"recommended (red box): SLOTS={recommended[0]}, MAX_WAITERS={recommended[1]}" if recommended \
        else "no configuration within tolerance at every thread count"
    fig.suptitle(f"Tuning sweep — {workload}, {design}\n{rec}", fontsize=10)
    fig.text(0.01, 0.005, f"machine: {machine}", fontsize=7, color="#555555")
    fig.tight_layout(rect=(0, 0.02, 1, 0.94))
    path = os.path.join(out_dir, f"sweep_{workload}_{design}.png")
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def summary_lines(g, rec, tolerance, lat_factor):
    lines = []
    for t in sorted(g):
        cells = g[t]
        best = max(cells.items(), key=lambda kv: kv[1][0])
        lines.append(f"{t:3d} threads: best throughput {best[1][0] / 1e6:.3f} M pairs/s at "
                     f"SLOTS={best[0][0]} MAX_WAITERS={best[0][1]}; "
                     f"{len(qualifying(cells, tolerance, lat_factor))} of {len(cells)} configurations "
                     f"within tolerance")
    if rec:
        lines.append(f"RECOMMENDED: SLOTS={rec[0]} MAX_WAITERS={rec[1]} — the smallest configuration with "
                     f"throughput >= {1 - tolerance:.0%} of the best and p99.9 <= {lat_factor:g}x the best "
                     f"at every thread count swept")
    else:
        lines.append("RECOMMENDED: none — no configuration is within tolerance at every thread count "
                     "(loosen --tolerance / --lat-factor or sweep more values)")
    return lines


# ---- pool sizing: how many objects for a given number of threads ---------------------------

def p99_counter(run, workload):
    """The p99 that matters to a pool's user: the whole query where the workload measures one
    (sqlite_pool's query_p99_ns: get + query + put), else the get's."""
    for key in run.keys(workload=workload):
        # Other workloads' rows carry it as -1 (bench/JSON.md).
        if any(s.get("query_p99_ns") >= 0 for s in run.samples[key]):
            return "query_p99_ns"
    return "lat_p99_ns"


def _quartiles(vals):
    """(25th, 75th percentile) of the repetitions, NaN without any."""
    vals = sorted(v for v in vals if not math.isnan(v))
    if not vals:
        return math.nan, math.nan
    at = lambda q: vals[min(len(vals) - 1, int(q * (len(vals) - 1) + 0.5))]  # noqa: E731
    return at(0.25), at(0.75)


def sizing(run, workload, design):
    """{threads: {slots: (ops_per_s, p99_ns, ops_q1, ops_q3, ops_per_cpu_s, ops samples)}} at the largest
    MAX_WAITERS swept (enough waiters: LP_EFULL would measure the bound, not the pool size): medians
    over repetitions, the interquartile range of the throughput (how far to trust a difference), and
    ops per CPU-second of the harness process (NaN without `cpu_s`), which load from other processes
    changes far less than ops per second."""
    keys = run.keys(workload=workload, design=design)
    if not keys:
        return {}
    waiters = max(k.waiters for k in keys)
    lat = p99_counter(run, workload)
    out = {}
    for k in keys:
        if k.waiters == waiters:
            q1, q3 = _quartiles(run.values(k, "ops_per_s"))
            per_cpu = [s.get("ops") / s.get("cpu_s") for s in run.samples[k] if s.get("cpu_s", 0) > 0]
            eff = statistics.median(per_cpu) if per_cpu else math.nan
            out.setdefault(k.threads, {})[k.slots] = (run.median(k, "ops_per_s"), run.median(k, lat), q1, q3, eff,
                                                      tuple(run.values(k, "ops_per_s")))
    return out


def _slower_p(mine, best):
    """One-sided Mann-Whitney U p-value that `mine` (repetitions) is slower than `best`: small means
    surely slower. None when either side has fewer than 2 repetitions: then only the tolerance decides."""
    if len(mine) < 2 or len(best) < 2:
        return None
    from scipy.stats import mannwhitneyu
    return float(mannwhitneyu(mine, best, alternative="less").pvalue)


def smallest_pool(series, tolerance=0.05, alpha=0.0):
    """(slots, ops, p99, best_slots, best_ops, why): the fewest objects whose median throughput is at
    least (1 - tolerance) x the best at this thread count or, with alpha > 0, whose repetitions are not
    significantly slower than the best's (one-sided Mann-Whitney U, p >= alpha: on a noisy machine a
    pool size that only loses by chance is not ruled out). None if nothing was measured."""
    valid = {s: v for s, v in series.items() if not math.isnan(v[0])}
    if not valid:
        return None
    best_slots = max(valid, key=lambda s: valid[s][0])
    best_ops = valid[best_slots][0]
    samples = lambda s: list(valid[s][5]) if len(valid[s]) > 5 else []  # noqa: E731
    for slots in sorted(valid):
        if valid[slots][0] >= (1.0 - tolerance) * best_ops:
            why = "the best" if slots == best_slots else f"within {tolerance:.0%} of the best"
            break
        p = _slower_p(samples(slots), samples(best_slots)) if alpha > 0 else None
        if p is not None and p >= alpha:
            why = (f"not significantly below the best (one-sided Mann-Whitney U p = {p:.2f} over "
                   f"{len(samples(slots))} and {len(samples(best_slots))} repetitions)")
            break
    return slots, valid[slots][0], valid[slots][1], best_slots, best_ops, why


def _fmt_us(ns):
    if math.isnan(ns):
        return "-"
    if ns < 1e3:
        return f"{ns:.0f} ns"
    return f"{ns / 1e3:.1f} µs" if ns < 1e6 else f"{ns / 1e6:.2f} ms"


def sizing_lines(sz, tolerance, unit="ops/s", alpha=0.0):
    lines = []
    for t in sorted(sz):
        pick = smallest_pool(sz[t], tolerance, alpha)
        if pick is None:
            lines.append(f"{t:3d} threads: no measurement")
            continue
        slots, ops, p99, best_slots, best_ops, why = pick
        q = lambda s: f"{sz[t][s][2]:,.0f}–{sz[t][s][3]:,.0f}" if len(sz[t][s]) > 3 else "?"  # noqa: E731
        line = (f"{t:3d} threads: POOL SIZE {slots} — {ops:,.0f} {unit} (middle half of the repetitions "
                f"{q(slots)}), p99 {_fmt_us(p99)}; best {best_ops:,.0f} at {best_slots} ({q(best_slots)})")
        eff = {s: v[4] for s, v in sz[t].items() if len(v) > 4 and not math.isnan(v[4])}
        if eff:
            top = max(eff, key=eff.get)
            line += (f"; per CPU-second: {eff.get(slots, math.nan):,.0f} at {slots}, most {eff[top]:,.0f} at {top}")
        lines.append(line + f" — chosen as {why}")
    return lines


def sizing_curve(sz, out_dir, workload, design, machine, tolerance, lat_label="p99", alpha=0.0):
    """Throughput and p99 against the pool size, a line per thread count; the chosen size of each
    thread count circled. Returns the path."""
    fig, (ax_t, ax_l) = plt.subplots(1, 2, figsize=(11, 4.2))
    for t in sorted(sz):
        series = sz[t]
        slots = sorted(series)
        line, = ax_t.plot(slots, [series[s][0] for s in slots], marker="o", label=f"{t} threads")
        if all(len(series[s]) > 3 for s in slots):  # the middle half of the repetitions, shaded
            ax_t.fill_between(slots, [series[s][2] for s in slots], [series[s][3] for s in slots],
                              color=line.get_color(), alpha=0.15, linewidth=0)
        ax_l.plot(slots, [series[s][1] / 1e3 for s in slots], marker="o", color=line.get_color(),
                  label=f"{t} threads")
        pick = smallest_pool(series, tolerance, alpha)
        if pick:
            ax_t.plot([pick[0]], [pick[1]], marker="o", markersize=14, fillstyle="none",
                      color=line.get_color())
            ax_l.plot([pick[0]], [pick[2] / 1e3], marker="o", markersize=14, fillstyle="none",
                      color=line.get_color())
    for ax in (ax_t, ax_l):
        ax.set_xscale("log", base=2)
        ax.set_xlabel("pool size (SLOTS)")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8)
        ticks = sorted({s for series in sz.values() for s in series})
        ax.set_xticks(ticks, [str(s) for s in ticks])
    ax_t.set_ylabel("throughput (ops/s): median, middle half shaded", fontsize=9)
    ax_t.set_ylim(bottom=0)
    ax_l.set_ylabel(f"{lat_label} latency (µs)")
    ax_l.set_yscale("log")
    crit = f"within {tolerance:.0%} of the best throughput" + (
        f" or not significantly below it (U test, α = {alpha:g})" if alpha > 0 else "")
    fig.suptitle(f"Pool size — {workload}, {design}: circled, the smallest {crit}", fontsize=10)
    fig.text(0.01, 0.005, f"machine: {machine}", fontsize=7, color="#555555")
    fig.tight_layout(rect=(0, 0.03, 1, 0.94))
    path = os.path.join(out_dir, f"sizing_{workload}_{design}.png")
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


# ---- thread scaling: every design at 1, 2, 4, ... threads --------------------------------------

def scaling_threads(cpus):
    """1, 2, 4, ... up to 2 x cpus, and 2 x cpus itself (6 CPUs: 1, 2, 4, 8, 12)."""
    top = 2 * max(1, int(cpus))
    out, t = [], 1
    while t < top:
        out.append(t)
        t *= 2
    return out + [top]


SCALING_COLUMNS = ["workload", "design", "slots", "waiters", "hold_ns", "think_ns", "threads", "repetitions",
                   "ops_per_s_median", "ops_per_s_min", "ops_per_s_max",
                   "p99_ns_median", "p99_ns_min", "p99_ns_max", "max_ns_worst", "jain_median",
                   "fifo_violations_per_m_worst"]


def scaling_rows(run, workload):
    """One row per (configuration, design, threads) of the workload, SCALING_COLUMNS in order:
    medians and min/max over repetitions; p99 and max of the whole query for sqlite_pool, of
    the get otherwise; FIFO violations empty where the workload does not count them."""
    lat = p99_counter(run, workload)
    worst = "query_max_ns" if lat == "query_p99_ns" else "lat_max_ns"
    rows = []
    for k in run.keys(workload=workload):
        ops = run.values(k, "ops_per_s")
        p99 = run.values(k, lat)
        fifo = [v for v in run.values(k, "fifo_violations_per_m") if v >= 0]

        def num(x):
            return "" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.6g}"

        rows.append([k.workload, k.design, k.slots, k.waiters, k.hold_ns, k.think_ns, k.threads,
                     len(run.samples[k]),
                     num(run.median(k, "ops_per_s")), num(min(ops) if ops else None),
                     num(max(ops) if ops else None),
                     num(run.median(k, lat)), num(min(p99) if p99 else None), num(max(p99) if p99 else None),
                     num(run.worst(k, worst)), num(run.median(k, "jain")), num(max(fifo) if fifo else None)])
    return rows


def write_scaling_csv(run, workload, path):
    import csv
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(SCALING_COLUMNS)
        w.writerows(scaling_rows(run, workload))
    return path


def scaling_lines(run, workload):
    """Per configuration and thread count: the fastest design (median) and its throughput."""
    lines = []
    for case in run.cases(workload):
        keys = [k for k in (run.find(case, d) for d in run.designs(workload)) if k]
        if not keys:
            continue
        best = max(keys, key=lambda k: run.median(k, "ops_per_s", default=-1.0))
        lines.append(f"{results.case_label(case)}: fastest {best.design}, "
                     f"{run.median(best, 'ops_per_s'):,.0f} ops/s (median of {len(run.samples[best])})")
    return lines


# ---- parameter tuning (lp-sweep --tune) ------------------------------------------------------

# The pool parameters lp-sweep --tune can vary, and the harness flag that sets each.
TUNE_FLAGS = {"bypass_turns": "--lp_bypass_turns", "retry_wakes": "--lp_retry_wakes"}

TUNE_COLUMNS = ["value", "case", "threads", "ops_per_s", "ratios", "jain_min", "minmax_min",
                "max_bypass", "max_wait_releases", "bypass_bound", "lat_max_ns"]


def tune_rows(runs, design, references, param=None):
    """One row per (value, case) of the tuned design. `runs` is [(value, Run), ...], one Run per
    harness process (several per value: rounds). A ratio to a reference design is taken within
    each process (median over its repetitions, design over reference), then the median over the
    processes of that value: load that differs between processes cancels. jain/minmax are the
    lowest repetition, max_bypass, max_wait_releases and lat_max_ns the highest; bypass_bound only
    for bypass_turns."""
    by_case = {}
    for value, run in runs:
        for key in run.keys(design=design):
            row = by_case.setdefault((value, results.case_of(key)), {
                "ops": [], "ratios": {r: [] for r in references}, "jain": [], "minmax": [],
                "bypass": [], "wait": [], "lat_max": []})
            row["ops"] += run.values(key, "ops_per_s")
            mine = run.median(key, "ops_per_s")
            for ref in references:
                other = run.find(results.case_of(key), ref)
                theirs = run.median(other, "ops_per_s") if other else math.nan
                if theirs and not math.isnan(theirs) and not math.isnan(mine):
                    row["ratios"][ref].append(mine / theirs)
            row["jain"] += run.values(key, "jain")
            row["minmax"] += run.values(key, "minmax_share")
            row["bypass"] += [v for v in run.values(key, "max_bypass") if v >= 0]
            row["wait"] += [v for v in run.values(key, "max_wait_releases") if v >= 0]
            row["lat_max"] += run.values(key, "lat_max_ns")
    out = []
    for (value, case), r in sorted(by_case.items(), key=lambda kv: (kv[0][0], kv[0][1].workload, kv[0][1].slots,
                                                                    kv[0][1].threads)):
        out.append({
            "value": value,
            "case": f"{case.workload} slots={case.slots}",
            "threads": case.threads,
            "ops_per_s": statistics.median(r["ops"]) if r["ops"] else math.nan,
            "ratios": {ref: statistics.median(v) if v else math.nan for ref, v in r["ratios"].items()},
            "jain_min": min(r["jain"]) if r["jain"] else math.nan,
            "minmax_min": min(r["minmax"]) if r["minmax"] else math.nan,
            "max_bypass": max(r["bypass"]) if r["bypass"] else math.nan,
            "max_wait_releases": max(r["wait"]) if r["wait"] else math.nan,
            "bypass_bound": (targets.bypass_bound(value, case.threads, case.slots)
                             if param == "bypass_turns" else math.nan),
            "lat_max_ns": max(r["lat_max"]) if r["lat_max"] else math.nan,
        })
    return out


def _cell(v, fmt):
    return "-" if isinstance(v, float) and math.isnan(v) else format(v, fmt)


def write_tune_csv(rows, references, path):
    import csv
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["value", "case", "threads", "ops_per_s"] + [f"x_{r}" for r in references] +
                   ["jain_min", "minmax_min", "max_bypass", "max_wait_releases", "bypass_bound", "lat_max_ns"])
        for r in rows:
            w.writerow([r["value"], r["case"], r["threads"], _cell(r["ops_per_s"], ".0f")] +
                       [_cell(r["ratios"][ref], ".3f") for ref in references] +
                       [_cell(r["jain_min"], ".4f"), _cell(r["minmax_min"], ".3f"), _cell(r["max_bypass"], ".0f"),
                        _cell(r["max_wait_releases"], ".0f"), _cell(r["bypass_bound"], ".0f"), _cell(r["lat_max_ns"], ".0f")])
    return path


def tune_lines(rows, param, design, references):
    """A fixed-width table, one line per (value, case)."""
    head = (f"{param:>12} {'case':<34} {'pairs/s':>9} " + " ".join(f"{'x ' + r:>18}" for r in references) +
            f" {'Jain min':>8} {'min/max':>7} {'bypass':>8} {'wait':>8} {'bound':>7} {'max get':>9}")
    lines = [f"{design}: medians over repetitions; ratios within each harness process, median over processes",
             head]
    for r in rows:
        value = str(r["value"])
        case = f"{r['case']} threads={r['threads']}"
        ops = _cell(r["ops_per_s"] / 1e6, ".3f") + "M"
        lat = _cell(r["lat_max_ns"] / 1e6, ".1f") + "ms"
        lines.append(f"{value:>12} {case:<34} {ops:>9} " +
                     " ".join(f"{_cell(r['ratios'][ref], '.2f'):>18}" for ref in references) +
                     f" {_cell(r['jain_min'], '.3f'):>8} {_cell(r['minmax_min'], '.2f'):>7}"
                     f" {_cell(r['max_bypass'], '.0f'):>8} {_cell(r['max_wait_releases'], '.0f'):>8}"
                     f" {_cell(r['bypass_bound'], '.0f'):>7}"
                     f" {lat:>9}")
    return lines
