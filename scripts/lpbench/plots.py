"""Plots for design comparison. Every figure names its units, designs and machine, so it reads
without the JSON; every caption is built from what the run holds (thread counts, repetitions,
quick or full run). Throughput is drawn on linear axes from zero with each value written on its
bar; the spread across repetitions (min to max) is drawn wherever a run has more than one; a zero
is drawn as a mark, never as nothing; legends sit outside the data; each design has one colour,
marker and line style in every plot (lpbench.designs). Agg backend: no display needed."""
import math
import os
from collections import OrderedDict, namedtuple

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter, ScalarFormatter  # noqa: E402

from . import designs as dz  # noqa: E402
from . import results  # noqa: E402
from .results import PERCENTILES  # noqa: E402

# One plot: the file and the caption the report prints under its title.
Figure = namedtuple("Figure", "path caption")

# Get-latency percentiles, light to dark; max is black and dashed (never a pale colour).
_PCT_COLORS = {"p50": dz.CYAN, "p90": dz.TEAL, "p99": dz.INDIGO, "p99.9": dz.PURPLE,
               "p99.99": dz.ROSE, "max": dz.BLACK}
_LEGEND = dict(fontsize=8, frameon=False)
# Throughput ticks as 120M / 650k: no '1e8' offset to multiply in one's head.
_OPS_AXIS = FuncFormatter(lambda v, _pos: "0" if v == 0 else fmt_ops(v))


def plural(n, word, words=None):
    """'1 thread', '2 threads'."""
    return f"{n} {word if n == 1 else (words or word + 's')}"


def join(items, last="and"):
    items = [str(x) for x in items]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {last} " + items[-1]


def threads_list(threads):
    """[2, 8] -> '2 and 8 threads'; [1] -> '1 thread'."""
    threads = list(threads)
    return f"{join(threads)} thread{'' if threads == [1] else 's'}"


def fmt_ops(x):
    """Short throughput label: 1.23M, 65.3k, 812."""
    if x is None or math.isnan(x):
        return "-"
    if x >= 1e6:
        return f"{x / 1e6:.3g}M"
    if x >= 1e3:
        return f"{x / 1e3:.3g}k"
    return f"{x:.0f}"


def repetitions(run):
    """The number of repetitions per benchmark (the most common one)."""
    counts = [len(v) for v in run.samples.values()]
    return max(set(counts), key=counts.count) if counts else 0


def spread_note(run, stat="median"):
    n = repetitions(run)
    if n <= 1:
        return "one repetition, so no spread to draw"
    return f"{stat} of {n} repetitions; whiskers span the smallest to the largest repetition"


def threads_note(threads):
    return plural(len(threads), "thread count") + ": " + join(threads) if len(threads) > 1 \
        else plural(threads[0], "thread") if threads else "no threads"


def _quick(run):
    return run.context.get("lp_quick") == "1"


def _footer(fig, run):
    c = run.context
    parts = [f"machine: {run.machine_label()}",
             f"pinning: {c.get('lp_pin_policy', '?')}",
             f"commit {str(c.get('lp_git_commit', '?'))[:12]}",
             c.get("date", ""),
             plural(repetitions(run), "repetition"),
             f"{c['lp_run_ms']} ms each" if c.get("lp_run_ms") else ""]
    if _quick(run):
        parts.append("QUICK run: indicative only")
    fig.text(0.01, 0.005, " | ".join(p for p in parts if p), fontsize=7, color="#555555",
             ha="left", va="bottom")


def _threads_axis(ax, threads):
    ax.set_xscale("log", base=2)
    ax.xaxis.set_major_locator(FixedLocator(threads))
    ax.xaxis.set_major_formatter(ScalarFormatter())
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("threads")
    ax.grid(True, which="major", alpha=0.3)
    if len(threads) == 1:
        ax.set_xlim(threads[0] / 1.5, threads[0] * 1.5)


def _save(fig, out_dir, name):
    path = os.path.join(out_dir, name)
    # tight: the legend beside the panels is kept whole, however long a design's name.
    fig.savefig(path, dpi=110, bbox_inches="tight", pad_inches=0.15)
    plt.close(fig)
    return path


def _legend_outside(fig, handles, labels, title=None):
    """A legend to the right of every panel (the figure keeps room for it)."""
    if handles:
        fig.legend(handles, labels, loc="center left", bbox_to_anchor=(0.855, 0.5), title=title,
                   title_fontsize=8, **_LEGEND)


def _design_handles(run, names):
    hs = []
    for d in names:
        st = dz.style(run, d)
        hs.append(plt.Line2D([], [], **st))
    return hs, list(names)


def configs(run, workload):
    """Distinct thread-less configurations of a workload (usually one)."""
    seen = []
    for k in run.keys(workload=workload):
        c = k._replace(design="*", threads=0)
        if c not in seen:
            seen.append(c)
    return seen


def cfg_threads(run, cfg):
    return sorted({k.threads for k in run.keys(workload=cfg.workload)
                   if k._replace(design="*", threads=0) == cfg})


def cfg_label(run, cfg):
    """'get_hold slots=4 waiters=64 hold=1000ns think=1000ns': a configuration, never '(2)'."""
    return results.case_label(cfg, with_threads=False)


def stat(run, key, counter, reducer="median"):
    """(centre, low, high) over repetitions: the median (or the worst repetition for a max) and
    the smallest and largest repetition; NaNs if the run has no value."""
    vals = run.values(key, counter)
    if not vals:
        return math.nan, math.nan, math.nan
    centre = run.median(key, counter) if reducer == "median" else run.worst(key, counter)
    return centre, min(vals), max(vals)


def _series(run, cfg, design, counter, reducer="median"):
    xs, ys, lo, hi = [], [], [], []
    for t in cfg_threads(run, cfg):
        k = cfg._replace(design=design, threads=t)
        if k in run.samples:
            c, a, b = stat(run, k, counter, reducer)
            if not math.isnan(c):
                xs.append(t)
                ys.append(c)
                lo.append(a)
                hi.append(b)
    return xs, ys, lo, hi


def _errorbar(run, ax, xs, ys, lo, hi, design, clamp=None, **kw):
    st = dict(dz.style(run, design))
    st.update(kw)
    if clamp is not None:
        ys, lo, hi = ([max(v, clamp) for v in s] for s in (ys, lo, hi))
    yerr = [[max(0.0, y - a) for y, a in zip(ys, lo)], [max(0.0, b - y) for y, b in zip(ys, hi)]]
    ax.errorbar(xs, ys, yerr=yerr, capsize=2.5, elinewidth=0.9, label=design, **st)


def _all_designs(run):
    return run.designs()


# ---- throughput: grouped bars per workload configuration -----------------------------------

def _grouped_bars(ax, run, cfg, designs, counter, fmt, ymax_floor=None):
    """One group per thread count, one bar per design (fixed colour), min-max whiskers, each
    value written above its bar; a zero is a mark on the axis."""
    threads = cfg_threads(run, cfg)
    present = [d for d in designs if any(cfg._replace(design=d, threads=t) in run.samples for t in threads)]
    n = max(1, len(present))
    width = 0.84 / n
    top = 0.0
    for gi, t in enumerate(threads):
        for di, d in enumerate(present):
            k = cfg._replace(design=d, threads=t)
            if k not in run.samples:
                continue
            c, lo, hi = stat(run, k, counter)
            if math.isnan(c):
                continue
            x = gi + (di - (n - 1) / 2) * width
            st = dz.style(run, d)
            ax.bar(x, c, width=width * 0.92, color=st["color"], hatch=dz.hatch(run, d),
                   edgecolor="white" if dz.hatch(run, d) else st["color"], linewidth=0, gid=d)
            if hi > lo:
                ax.errorbar(x, c, yerr=[[c - lo], [hi - c]], fmt="none", ecolor="#333333",
                            elinewidth=0.8, capsize=1.5)
            if c == 0:
                ax.plot(x, 0, marker=st["marker"], color=st["color"], markersize=8, markeredgecolor="black",
                        markeredgewidth=0.8, clip_on=False, zorder=5, gid=f"zero:{d}")
            ax.text(x, max(hi, c), " " + fmt(c), rotation=90, ha="center", va="bottom", fontsize=5.5)
            top = max(top, hi, c)
    ax.set_xticks(range(len(threads)), [plural(t, "thread") for t in threads])
    ax.set_xlim(-0.5, len(threads) - 0.5)
    top = max(top, ymax_floor or 0.0)
    ax.set_ylim(0, (top or 1.0) * 1.32)  # room for the value labels
    ax.grid(True, axis="y", alpha=0.3)
    return present


def throughput(run, out_dir):
    """Throughput per workload configuration: grouped bars, linear axis from zero."""
    cfgs = [c for w in run.workloads() for c in configs(run, w)]
    if not cfgs:
        return None
    designs = _all_designs(run)
    ncol = min(2, len(cfgs))
    nrow = math.ceil(len(cfgs) / ncol)
    fig, axes = plt.subplots(nrow, ncol, figsize=(7.2 * ncol + 2.2, 3.9 * nrow), squeeze=False)
    shown = []
    for ax, cfg in zip(axes.flat, cfgs):
        for d in _grouped_bars(ax, run, cfg, designs, "ops_per_s", fmt_ops):
            if d not in shown:
                shown.append(d)
        ax.set_ylabel(f"{run.op_unit(cfg.workload)[0]} / s, all threads", fontsize=8)
        ax.set_title(cfg_label(run, cfg), fontsize=9)
        ax.tick_params(axis="y", labelsize=7)
        ax.yaxis.set_major_formatter(_OPS_AXIS)
    for ax in list(axes.flat)[len(cfgs):]:
        ax.axis("off")
    _legend_outside(fig, *_design_handles(run, [d for d in designs if d in shown]), title="design")
    fig.suptitle("Throughput per workload (" + spread_note(run) + ")", fontsize=11)
    fig.tight_layout(rect=(0, 0.02, 0.85, 0.96))
    _footer(fig, run)
    return _save(fig, out_dir, "throughput.png")


def throughput_caption(run):
    ws = []
    for w in run.workloads():
        for cfg in configs(run, w):
            ws.append(f"{cfg_label(run, cfg)} at {threads_list(cfg_threads(run, cfg))}")
    cpus = run.context.get("num_cpus")
    queries = [w for w in run.workloads() if run.counts_queries(w)]
    what = "get+put pairs" + (f" ({', '.join(queries)}: queries)" if queries else "")
    return (f"Completed {what} per second over all threads, linear axis from "
            f"zero, one bar per design with its value written above it ({spread_note(run)}). "
            f"Cases run: {'; '.join(ws)}."
            + (f" The machine has {plural(cpus, 'logical CPU')}: above that, threads time-share them."
               if cpus else ""))


# ---- thread scaling: one figure per workload --------------------------------------------------

def scaling(run, out_dir, workload, name=None):
    """Throughput (linear) and p99 get latency against threads, one row per configuration of the
    workload that ran at two thread counts or more; None if none did."""
    cfgs = [c for c in configs(run, workload) if len(cfg_threads(run, c)) > 1]
    if not cfgs:
        return None
    designs = run.designs(workload)
    unit, whose = run.op_unit(workload)
    p99 = "query_p99_ns" if run.counts_queries(workload) else "lat_p99_ns"
    fig, axes = plt.subplots(len(cfgs), 2, figsize=(13.5, 4.0 * len(cfgs)), squeeze=False)
    shown = []
    for row, cfg in zip(axes, cfgs):
        threads = cfg_threads(run, cfg)
        for d in designs:
            xs, ys, lo, hi = _series(run, cfg, d, "ops_per_s")
            if xs:
                _errorbar(run, row[0], xs, ys, lo, hi, d)
                if d not in shown:
                    shown.append(d)
            xs, ys, lo, hi = _series(run, cfg, d, p99)
            if xs:
                _errorbar(run, row[1], xs, ys, lo, hi, d, clamp=1.0)
        for ax in row:
            _threads_axis(ax, threads)
            ax.tick_params(labelsize=7)
        row[0].set_ylim(bottom=0)
        row[0].yaxis.set_major_formatter(_OPS_AXIS)
        row[0].set_ylabel(f"{unit} / s, all threads", fontsize=8)
        row[0].set_title(f"throughput — {cfg_label(run, cfg)}", fontsize=9)
        row[1].set_yscale("log")
        row[1].set_ylabel(f"{whose} latency p99 (ns, log)", fontsize=8)
        row[1].set_title(f"p99 latency — {cfg_label(run, cfg)}", fontsize=9)
        row[1].grid(True, which="both", alpha=0.3)
    _legend_outside(fig, *_design_handles(run, [d for d in designs if d in shown]), title="design")
    fig.suptitle(f"Thread scaling — {workload} ({spread_note(run)})", fontsize=11)
    fig.tight_layout(rect=(0, 0.02, 0.85, 0.96))
    _footer(fig, run)
    return _save(fig, out_dir, name or f"scaling_{workload}.png")


def scaling_caption(run, workload):
    parts = [f"{cfg_label(run, c)}: {threads_list(cfg_threads(run, c))}" for c in configs(run, workload)
             if len(cfg_threads(run, c)) > 1]
    cpus = run.context.get("num_cpus")
    return (f"Throughput (linear, from zero) and p99 {run.op_unit(workload)[1]} "
            f"latency (log) against thread count, one line per design ({spread_note(run)}). "
            + "; ".join(parts) + "."
            + (f" Beyond {plural(cpus, 'logical CPU')}, threads time-share the CPUs." if cpus else ""))


# ---- latency percentiles ----------------------------------------------------------------------

def _latency_profile(run, cfg, designs):
    """A configuration run at one thread count: percentile on x, one line per design."""
    (threads,) = cfg_threads(run, cfg)
    fig, ax = plt.subplots(figsize=(10.5, 5.2))
    labels = [label for label, _ in PERCENTILES]
    for d in designs:
        k = cfg._replace(design=d, threads=threads)
        xs, ys, lo, hi = [], [], [], []
        for i, (label, counter) in enumerate(PERCENTILES):
            c, a, b = stat(run, k, counter, "worst" if counter == "lat_max_ns" else "median")
            if not math.isnan(c):
                xs.append(i)
                ys.append(c)
                lo.append(a)
                hi.append(b)
        if xs:
            _errorbar(run, ax, xs, ys, lo, hi, d, clamp=1.0)
    ax.set_xticks(range(len(labels)), labels)
    ax.set_xlabel("percentile of get latency")
    ax.set_yscale("log")
    ax.set_ylabel("get latency (ns, log; a 0 ns bucket drawn at 1 ns)")
    ax.grid(True, which="both", alpha=0.3)
    _legend_outside(fig, *_design_handles(run, designs), title="design")
    fig.suptitle(f"Get latency percentiles — {cfg_label(run, cfg)}, {plural(threads, 'thread')}\n"
                 f"({spread_note(run)}; max: the worst repetition)", fontsize=10)
    fig.tight_layout(rect=(0, 0.03, 0.85, 0.93))
    _footer(fig, run)
    return fig


def latency(run, out_dir, workload):
    """[(configuration label, path)]: get-latency percentiles against threads, one panel per
    design; a percentile profile per design when the configuration ran at a single thread count."""
    out = []
    cfgs = configs(run, workload)
    for cfg in cfgs:
        designs = [d for d in run.designs(workload) if run.keys(workload=workload, design=d)]
        if not designs:
            continue
        suffix = "" if len(cfgs) == 1 else f"_s{cfg.slots}_w{cfg.waiters}"
        if len(cfg_threads(run, cfg)) < 2:
            fig = _latency_profile(run, cfg, designs)
            out.append((cfg_label(run, cfg), _save(fig, out_dir, f"latency_{workload}{suffix}.png")))
            continue
        ncol = min(3, len(designs))
        nrow = math.ceil(len(designs) / ncol)
        fig, axes = plt.subplots(nrow, ncol, figsize=(4.4 * ncol + 1.6, 3.4 * nrow), squeeze=False,
                                 sharey=True)
        for ax, d in zip(axes.flat, designs):
            for label, counter in PERCENTILES:
                reducer = "worst" if counter == "lat_max_ns" else "median"
                xs, ys, lo, hi = _series(run, cfg, d, counter, reducer)
                if xs:
                    ys, lo, hi = ([max(v, 1.0) for v in s] for s in (ys, lo, hi))
                    ax.errorbar(xs, ys, yerr=[[y - a for y, a in zip(ys, lo)], [b - y for y, b in zip(ys, hi)]],
                                marker="o", markersize=3, capsize=2, elinewidth=0.8, label=label,
                                color=_PCT_COLORS.get(label, dz.GREY),
                                linestyle="--" if label == "max" else "-", linewidth=1.4)
            _threads_axis(ax, cfg_threads(run, cfg))
            ax.set_yscale("log")
            ax.tick_params(labelsize=7)
            ax.set_title(d, fontsize=10, color=dz.style(run, d)["color"])
            ax.set_ylabel("get latency (ns, log)", fontsize=8)
        for ax in list(axes.flat)[len(designs):]:
            ax.axis("off")
        handles, labels = axes.flat[0].get_legend_handles_labels()
        _legend_outside(fig, handles, labels, title="percentile")
        fig.suptitle(f"Get latency percentiles against threads — {cfg_label(run, cfg)}\n"
                     f"({spread_note(run)}; max: the worst repetition)", fontsize=11)
        fig.tight_layout(rect=(0, 0.02, 0.85, 0.94))
        _footer(fig, run)
        out.append((cfg_label(run, cfg), _save(fig, out_dir, f"latency_{workload}{suffix}.png")))
    return out


def latency_caption(run, label):
    return ("p50 … p99.99 and max of the get call's latency (log axis), "
            f"{spread_note(run)}; the max is the worst repetition's. Case: {label}.")


# ---- CCDF -------------------------------------------------------------------------------------

def pick_ccdf_case(run, workload="get_hold"):
    """The most contended case of the workload that has detail histograms (max threads)."""
    cands = [k for k in run.detail if k.workload == workload] or list(run.detail)
    if not cands:
        return None
    best = max(cands, key=lambda k: (k.threads / max(1, k.slots), k.threads))
    return results.case_of(best)


def latency_ccdf(run, out_dir, case=None):
    """P(get latency >= x) per design at one thread count, log-log, from --lp_detail_out."""
    case = case or pick_ccdf_case(run)
    if case is None:
        return None
    designs = [d for d in run.designs(case.workload) if run.histogram(case._replace(design=d))]
    if not designs:
        return None
    fig, ax = plt.subplots(figsize=(10, 5))
    for d in designs:
        xs, ys = results.ccdf(run.histogram(case._replace(design=d)))
        st = dz.style(run, d)
        # where="pre": for x in (ub[i-1], ub[i]], P(latency >= x) <= ys[i] (bucket resolution).
        ax.step(xs, ys, where="pre", label=d, color=st["color"], linestyle=st["linestyle"],
                linewidth=st["linewidth"])
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("get latency x (ns)")
    ax.set_ylabel("fraction of gets with latency ≥ x\n(histogram bucket resolution)")
    ax.grid(True, which="both", alpha=0.3)
    _legend_outside(fig, *_design_handles(run, designs), title="design")
    ax.set_title(f"Get-latency CCDF — {results.case_label(case)}", fontsize=10)
    fig.tight_layout(rect=(0, 0.03, 0.85, 1))
    _footer(fig, run)
    return _save(fig, out_dir, f"ccdf_{case.workload}_t{case.threads}.png")


def ccdf_caption(run, case):
    return (f"Fraction of get calls at least x slow, per design, in {results.case_label(case)} (the most "
            "contended case with latency histograms; all repetitions' histograms merged): "
            "the further right a curve reaches, the worse its tail.")


# ---- fairness ---------------------------------------------------------------------------------

def fairness(run, out_dir):
    """Jain's index and min/max share, per contended workload configuration, per design."""
    cfgs = [c for w in run.workloads() if w != "uncontended" for c in configs(run, w)
            if max(cfg_threads(run, c)) > 1]
    if not cfgs:
        return None
    designs = _all_designs(run)
    fig, axes = plt.subplots(len(cfgs), 2, figsize=(15, 3.5 * len(cfgs)), squeeze=False)
    shown = []
    for row, cfg in zip(axes, cfgs):
        for ax, counter, label in ((row[0], "jain", "Jain's index"),
                                   (row[1], "minmax_share", "min/max per-thread share")):
            if len(cfg_threads(run, cfg)) < 2:
                present = _grouped_bars(ax, run, cfg, designs, counter, lambda v: f"{v:.2f}", ymax_floor=1.0)
                ax.set_ylim(0, 1.3)
            else:
                present = []
                for d in designs:
                    xs, ys, lo, hi = _series(run, cfg, d, counter)
                    if xs:
                        _errorbar(run, ax, xs, ys, lo, hi, d)
                        present.append(d)
                _threads_axis(ax, cfg_threads(run, cfg))
                ax.set_ylim(-0.06, 1.06)  # a 0 sits above the axis line, visible
            shown += [d for d in present if d not in shown]
            ax.axhline(0, color="#999999", linewidth=0.6)
            ax.set_ylabel(label + " (1 = fair)", fontsize=8)
            ax.tick_params(labelsize=7)
            ax.set_title(cfg_label(run, cfg), fontsize=9)
    _legend_outside(fig, *_design_handles(run, [d for d in designs if d in shown]), title="design")
    fig.suptitle(f"Fairness per design ({spread_note(run)})", fontsize=11)
    fig.tight_layout(rect=(0, 0.02, 0.85, 0.97))
    _footer(fig, run)
    return _save(fig, out_dir, "fairness.png")


def fairness_caption(run):
    return ("Jain's index over per-thread completed pairs (1 = every thread the same; 1/N = one thread got "
            "everything) and the smallest thread's count over the largest's (0 = some thread starved), per "
            f"design and workload ({spread_note(run)}). Lines where a case ran at several thread counts, "
            "bars where it ran at one.")


# ---- per-thread ops ---------------------------------------------------------------------------

def pick_contended_case(run):
    """Most contended blocking case: highest threads per slot in get_hold/oversubscribed."""
    cands = [k for k in run.samples if k.workload in ("get_hold", "oversubscribed")] or list(run.samples)
    if not cands:
        return None
    best = max(cands, key=lambda k: (k.threads / max(1, k.slots), k.threads, k.workload == "get_hold"))
    return results.case_of(best)


def thread_ops(run, out_dir, case=None):
    """Per-thread completed pairs (relative to the fair share) in the most contended case."""
    case = case or pick_contended_case(run)
    if case is None:
        return None
    designs = [d for d in run.designs(case.workload) if run.thread_ops(case._replace(design=d))]
    if not designs:
        return None
    ncol = min(3, len(designs))
    nrow = math.ceil(len(designs) / ncol)
    fig, axes = plt.subplots(nrow, ncol, figsize=(4.6 * ncol, 3.2 * nrow), squeeze=False, sharey=True)
    top = 1.0
    for ax, d in zip(axes.flat, designs):
        k = case._replace(design=d)
        ops = run.thread_ops(k)
        mean = sum(ops) / len(ops) if ops and sum(ops) > 0 else 1.0
        shares = [x / mean for x in ops]
        top = max(top, max(shares))
        st = dz.style(run, d)
        ax.bar(range(len(shares)), shares, color=st["color"], hatch=dz.hatch(run, d), edgecolor="white")
        zeros = [i for i, s in enumerate(shares) if s < 0.01]
        if zeros:  # a starved thread: a mark on the axis, not a bar too short to see
            ax.plot(zeros, [0] * len(zeros), "x", color="#cc0000", markersize=6, clip_on=False)
        ax.axhline(1.0, color="black", linewidth=0.8, linestyle="--")
        # The bench's own fairness counters of the repetition drawn (the median of all where
        # the run only has the per-thread sum over repetitions).
        rep = run.median_repetition(k)
        jain, mm = ((rep.get("jain"), rep.get("minmax_share")) if rep
                    else (run.median(k, "jain"), run.median(k, "minmax_share")))
        ax.set_title(f"{d}\nJain {jain:.3f}, min/max {mm:.2f}, {sum(ops):.3g} pairs", fontsize=8)
        ax.set_xlabel("thread index")
        ax.set_ylabel("pairs / fair share")
    for ax in axes.flat:
        ax.set_ylim(0, top * 1.1)
    for ax in list(axes.flat)[len(designs):]:
        ax.axis("off")
    fig.suptitle(f"Per-thread ops, most contended case — {results.case_label(case)}\n"
                 "(dashed line: every thread gets an equal share; the median-throughput repetition; "
                 "red x: a thread with under 1% of its fair share)", fontsize=10)
    fig.tight_layout(rect=(0, 0.03, 1, 0.93))
    _footer(fig, run)
    return _save(fig, out_dir, f"thread_ops_{case.workload}_t{case.threads}.png")


def thread_ops_caption(run, case):
    return (f"Each thread's completed pairs divided by the equal share in {results.case_label(case)} "
            "(the repetition with the median throughput): bars far from the dashed line are starved "
            "or favoured threads.")


def all_plots(run, out_dir):
    """Draw everything; returns {title: Figure(path, caption)} in report order."""
    os.makedirs(out_dir, exist_ok=True)
    out = OrderedDict()
    p = throughput(run, out_dir)
    if p:
        out["Throughput per workload"] = Figure(p, throughput_caption(run))
    for w in run.workloads():
        p = scaling(run, out_dir, w)
        if p:
            out[f"Thread scaling: {w}"] = Figure(p, scaling_caption(run, w))
    for w in run.workloads():
        for label, p in latency(run, out_dir, w):
            out[f"Get latency percentiles: {label}"] = Figure(p, latency_caption(run, label))
    case = pick_ccdf_case(run)
    p = latency_ccdf(run, out_dir, case)
    if p:
        out["Get-latency CCDF"] = Figure(p, ccdf_caption(run, case))
    p = fairness(run, out_dir)
    if p:
        out["Fairness"] = Figure(p, fairness_caption(run))
    case = pick_contended_case(run)
    p = thread_ops(run, out_dir, case)
    if p:
        out["Per-thread ops, most contended case"] = Figure(p, thread_ops_caption(run, case))
    return out
