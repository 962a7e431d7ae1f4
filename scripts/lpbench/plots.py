"""Plots for design comparison. Every figure names its units, designs and machine, so it
reads without the JSON. Agg backend: no display needed."""
import math
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import FixedLocator, NullFormatter, ScalarFormatter  # noqa: E402

from . import results  # noqa: E402
from .results import LOCKPOOL_DESIGNS, PERCENTILES  # noqa: E402

_PALETTE = ["#d62728", "#ff7f0e", "#9467bd", "#1f77b4", "#2ca02c", "#8c564b", "#e377c2",
            "#7f7f7f", "#bcbd22", "#17becf", "#393b79", "#637939"]
_MARKERS = ["o", "s", "^", "D", "v", "P", "X", "*", "<", ">", "h", "p"]


def _style(designs):
    """Stable colour/marker per design; LockPool's modes drawn thicker."""
    out = {}
    for i, d in enumerate(designs):
        out[d] = dict(color=_PALETTE[i % len(_PALETTE)], marker=_MARKERS[i % len(_MARKERS)],
                      linewidth=2.4 if d in LOCKPOOL_DESIGNS else 1.3, markersize=5)
    return out


def _footer(fig, run):
    c = run.context
    parts = [f"machine: {run.machine_label()}",
             f"pinning: {c.get('lp_pin_policy', '?')}",
             f"commit {c.get('lp_git_commit', '?')}",
             c.get("date", "")]
    if c.get("lp_quick") == "1":
        parts.append("QUICK run")
    fig.text(0.01, 0.005, " | ".join(p for p in parts if p), fontsize=7, color="#555555",
             ha="left", va="bottom")


def _threads_axis(ax, threads):
    ax.set_xscale("log", base=2)
    ax.xaxis.set_major_locator(FixedLocator(threads))
    ax.xaxis.set_major_formatter(ScalarFormatter())
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("threads")
    ax.grid(True, which="both", alpha=0.3)


def _save(fig, out_dir, name):
    path = os.path.join(out_dir, name)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _configs(run, workload):
    """Distinct thread-less configurations of a workload (usually one)."""
    seen = []
    for k in run.keys(workload=workload):
        c = k._replace(design="*", threads=0)
        if c not in seen:
            seen.append(c)
    return seen


def _cfg_threads(run, cfg):
    return sorted({k.threads for k in run.keys(workload=cfg.workload)
                   if k._replace(design="*", threads=0) == cfg})


def _series(run, cfg, design, counter, reducer="median"):
    xs, ys = [], []
    for t in _cfg_threads(run, cfg):
        k = cfg._replace(design=design, threads=t)
        if k in run.samples:
            v = run.median(k, counter) if reducer == "median" else run.worst(k, counter)
            if not math.isnan(v):
                xs.append(t)
                ys.append(v)
    return xs, ys


def _bars(ax, run, cfg, designs, style, counter, log=False):
    """A configuration run at a single thread count: one bar per design (a line needs 2 points)."""
    present = [(d, k) for d in designs for k in run.keys(workload=cfg.workload, design=d)
               if k._replace(design="*", threads=0) == cfg]
    if not present:
        return
    xs = range(len(present))
    ys = [run.median(k, counter) for _, k in present]
    ax.bar(xs, ys, color=[style[d]["color"] for d, _ in present])
    ax.set_xticks(list(xs), [d for d, _ in present], rotation=40, ha="right", fontsize=7)
    finite = [y for y in ys if y > 0 and not math.isnan(y)]
    # Log only when designs differ by orders of magnitude; otherwise bars from 0 compare honestly.
    if log and finite and max(finite) / min(finite) > 20:
        ax.set_yscale("log")
    ax.grid(True, axis="y", which="both", alpha=0.3)
    threads = sorted({k.threads for _, k in present})
    n = ", ".join(map(str, threads))
    ax.set_xlabel(f"design (all at {n} thread{'' if threads == [1] else 's'})", fontsize=8)


def _single_thread_count(run, cfg):
    return len({k.threads for k in run.keys(workload=cfg.workload)
                if k._replace(design="*", threads=0) == cfg}) < 2


def throughput(run, out_dir):
    """Throughput vs threads, one panel per workload configuration, one line per design."""
    cfgs = [c for w in run.workloads() for c in _configs(run, w)]
    if not cfgs:
        return None
    designs = run.designs()
    style = _style(designs)
    ncol = min(2, len(cfgs))
    nrow = math.ceil(len(cfgs) / ncol)
    fig, axes = plt.subplots(nrow, ncol, figsize=(6.5 * ncol, 4.2 * nrow), squeeze=False)
    legend_ax = None
    for ax, cfg in zip(axes.flat, cfgs):
        if _single_thread_count(run, cfg):
            _bars(ax, run, cfg, designs, style, "ops_per_s", log=True)
        else:
            for d in designs:
                xs, ys = _series(run, cfg, d, "ops_per_s")
                if xs:
                    ax.plot(xs, ys, label=d, **style[d])
            _threads_axis(ax, _cfg_threads(run, cfg))
            ax.set_yscale("log")
            legend_ax = legend_ax or ax
        ax.set_ylabel("throughput (get+put pairs / s, all threads)", fontsize=8)
        ax.set_title(results.case_label(cfg, with_threads=False), fontsize=9)
    for ax in list(axes.flat)[len(cfgs):]:
        ax.axis("off")
    if legend_ax is not None:
        handles, labels = legend_ax.get_legend_handles_labels()
        fig.legend(handles, labels, loc="upper right", fontsize=8, ncol=1)
    fig.suptitle(f"Throughput vs threads (pinning policy: {run.context.get('lp_pin_policy', '?')}; "
                 "bars where a configuration ran at one thread count)",
                 fontsize=12)
    fig.tight_layout(rect=(0, 0.02, 0.86, 0.96))
    _footer(fig, run)
    return _save(fig, out_dir, "throughput.png")


def _latency_profile(run, cfg, designs):
    """A configuration run at one thread count: percentile on x, one line per design."""
    style = _style(run.designs())
    (threads,) = _cfg_threads(run, cfg)
    fig, ax = plt.subplots(figsize=(9, 5.5))
    labels = [label for label, _ in PERCENTILES]
    for d in designs:
        k = cfg._replace(design=d, threads=threads)
        ys = []
        for label, counter in PERCENTILES:
            v = run.worst(k, counter) if counter == "lat_max_ns" else run.median(k, counter)
            ys.append(max(v, 1.0) if not math.isnan(v) else math.nan)
        ax.plot(range(len(labels)), ys, label=d, **style[d])
    ax.set_xticks(range(len(labels)), labels)
    ax.set_xlabel("percentile of get latency")
    ax.set_yscale("log")
    ax.set_ylabel("get latency (ns)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8, loc="upper left")
    fig.suptitle(f"Get latency percentiles — {results.case_label(cfg, False)}, {threads} threads\n"
                 "(the configuration runs at one thread count; median over repetitions, max = worst "
                 "repetition)", fontsize=10)
    fig.tight_layout(rect=(0, 0.03, 1, 0.95))
    _footer(fig, run)
    return fig


def latency(run, out_dir, workload):
    """Get-latency percentiles vs threads, one panel per design (log scale); a percentile
    profile per design when the configuration ran at a single thread count."""
    paths = []
    for cfg in _configs(run, workload):
        designs = [d for d in run.designs(workload) if run.keys(workload=workload, design=d)]
        if not designs:
            continue
        suffix = "" if len(_configs(run, workload)) == 1 else f"_s{cfg.slots}_w{cfg.waiters}"
        if _single_thread_count(run, cfg):
            fig = _latency_profile(run, cfg, designs)
            paths.append(_save(fig, out_dir, f"latency_{workload}{suffix}.png"))
            continue
        ncol = min(3, len(designs))
        nrow = math.ceil(len(designs) / ncol)
        fig, axes = plt.subplots(nrow, ncol, figsize=(4.6 * ncol, 3.6 * nrow), squeeze=False,
                                 sharey=True)
        cmap = plt.get_cmap("viridis")
        for ax, d in zip(axes.flat, designs):
            for i, (label, counter) in enumerate(PERCENTILES):
                reducer = "worst" if counter == "lat_max_ns" else "median"
                xs, ys = _series(run, cfg, d, counter, reducer)
                ys = [max(y, 1.0) for y in ys]  # log axis: clamp a 0 ns bucket to 1 ns
                if xs:
                    ax.plot(xs, ys, marker="o", markersize=3, label=label,
                            color=cmap(i / max(1, len(PERCENTILES) - 1)),
                            linestyle="--" if label == "max" else "-")
            _threads_axis(ax, _cfg_threads(run, cfg))
            ax.set_yscale("log")
            ax.set_title(d, fontsize=10, fontweight="bold" if d in LOCKPOOL_DESIGNS else "normal")
            ax.set_ylabel("get latency (ns)")
        for ax in list(axes.flat)[len(designs):]:
            ax.axis("off")
        handles, labels = axes.flat[0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="upper right", fontsize=8, title="percentile", title_fontsize=8)
        fig.suptitle(f"Get latency percentiles vs threads — {results.case_label(cfg, False)}\n"
                     "(median over repetitions; max = worst repetition)", fontsize=11)
        fig.tight_layout(rect=(0, 0.02, 0.9, 0.95))
        _footer(fig, run)
        paths.append(_save(fig, out_dir, f"latency_{workload}{suffix}.png"))
    return paths


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
    style = _style(run.designs())
    fig, ax = plt.subplots(figsize=(8, 5))
    for d in designs:
        xs, ys = results.ccdf(run.histogram(case._replace(design=d)))
        # where="pre": for x in (ub[i-1], ub[i]], P(latency >= x) <= ys[i] (bucket resolution).
        ax.step(xs, ys, where="pre", label=d, color=style[d]["color"],
                linewidth=style[d]["linewidth"])
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("get latency x (ns)")
    ax.set_ylabel("fraction of gets with latency ≥ x\n(histogram bucket resolution)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title(f"Get-latency CCDF — {results.case_label(case)}", fontsize=10)
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    _footer(fig, run)
    return _save(fig, out_dir, f"ccdf_{case.workload}_t{case.threads}.png")


def fairness(run, out_dir):
    """Jain's index and min/max share vs threads, per contended workload, per design."""
    cfgs = [c for w in run.workloads() if w != "uncontended" for c in _configs(run, w)
            if max(_cfg_threads(run, c)) > 1]
    if not cfgs:
        return None
    designs = run.designs()
    style = _style(designs)
    fig, axes = plt.subplots(len(cfgs), 2, figsize=(12, 3.6 * len(cfgs)), squeeze=False)
    legend_ax = None
    for row, cfg in zip(axes, cfgs):
        for ax, counter, label in ((row[0], "jain", "Jain's index over per-thread ops"),
                                   (row[1], "minmax_share", "min/max per-thread ops share")):
            if _single_thread_count(run, cfg):
                _bars(ax, run, cfg, designs, style, counter)
            else:
                for d in designs:
                    xs, ys = _series(run, cfg, d, counter)
                    if xs:
                        ax.plot(xs, ys, label=d, **style[d])
                _threads_axis(ax, _cfg_threads(run, cfg))
                legend_ax = legend_ax or ax
            ax.set_ylim(-0.02, 1.05)
            ax.set_ylabel(label + " (1 = fair)", fontsize=8)
            ax.set_title(results.case_label(cfg, with_threads=False), fontsize=9)
    if legend_ax is not None:
        handles, labels = legend_ax.get_legend_handles_labels()
        fig.legend(handles, labels, loc="upper right", fontsize=8)
    fig.suptitle("Fairness per design (median over repetitions; lines: against threads, bars: one thread count)", fontsize=11)
    fig.tight_layout(rect=(0, 0.02, 0.86, 0.97))
    _footer(fig, run)
    return _save(fig, out_dir, "fairness.png")


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
    style = _style(run.designs())
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
        ax.bar(range(len(shares)), shares, color=style[d]["color"])
        ax.axhline(1.0, color="black", linewidth=0.8, linestyle="--")
        ax.set_title(f"{d}\nJain {results.jain_index(ops):.3f}, min/max {results.minmax_share(ops):.2f}, "
                     f"{sum(ops):.3g} pairs", fontsize=8)
        ax.set_xlabel("thread index")
        ax.set_ylabel("pairs / fair share")
    for ax in axes.flat:
        ax.set_ylim(0, top * 1.1)
    for ax in list(axes.flat)[len(designs):]:
        ax.axis("off")
    fig.suptitle(f"Per-thread ops, most contended case — {results.case_label(case)}\n"
                 "(dashed line: every thread gets an equal share; median-throughput repetition)",
                 fontsize=10)
    fig.tight_layout(rect=(0, 0.03, 1, 0.93))
    _footer(fig, run)
    return _save(fig, out_dir, f"thread_ops_{case.workload}_t{case.threads}.png")


def all_plots(run, out_dir):
    """Draw everything; returns {title: path} in report order."""
    os.makedirs(out_dir, exist_ok=True)
    out = {}
    p = throughput(run, out_dir)
    if p:
        out["Throughput vs threads"] = p
    for w in run.workloads():
        for i, p in enumerate(latency(run, out_dir, w)):
            out[f"Get latency percentiles: {w}" + (f" ({i + 1})" if i else "")] = p
    p = latency_ccdf(run, out_dir)
    if p:
        out["Get-latency CCDF"] = p
    p = fairness(run, out_dir)
    if p:
        out["Fairness vs threads"] = p
    p = thread_ops(run, out_dir)
    if p:
        out["Per-thread ops, most contended case"] = p
    return out
