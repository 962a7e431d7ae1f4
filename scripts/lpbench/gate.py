"""Performance-regression gate: current run vs a stored baseline.

The statistics are Google Benchmark's own (Debian's libbenchmark-tools): we import
gbench.report from /usr/share/benchmark and call get_difference_report(utest=True),
which runs the two-sided Mann-Whitney U test over repetitions exactly as compare.py
does. What we add is (a) the choice of measurement, fed to gbench as its `real_time`
field ("time per unit of work", lower is better), (b) same-run ratios against a
reference design, which cancel out machine speed, (c) exact callgrind instruction
counts and (d) a verdict with an exit status.

Verdicts: REGRESSION (fails the gate) when the median got worse by more than the
threshold AND the U test says the difference is significant (p < alpha). With fewer
repetitions than the U test can ever call significant, the threshold alone decides
(and the report says so)."""
import json
import math
import os
import re
import statistics
import sys

from . import results

GBENCH_DIR = os.environ.get("LP_GBENCH_DIR", "/usr/share/benchmark")


def _import_gbench_report():
    if GBENCH_DIR not in sys.path:
        sys.path.insert(0, GBENCH_DIR)
    try:
        from gbench import report  # noqa: E402  (Debian: libbenchmark-tools)
    except ImportError as e:
        raise SystemExit(f"lp-gate: cannot import gbench from {GBENCH_DIR} "
                         f"(install libbenchmark-tools): {e}")
    return report


REGRESSION, IMPROVEMENT, SAME, NOISE, MISSING = "REGRESSION", "improved", "same", "noise", "missing"


def _as_time(metric, value):
    """Map a measurement to 'time per unit of work' (lower is better), gbench's view."""
    if metric in results.HIGHER_IS_BETTER:
        return 1.0 / value if value > 0 else math.inf
    return value


def _gbench_doc(series):
    """{name: [time, ...]} -> a minimal Google Benchmark JSON document."""
    rows = []
    for name, times in series.items():
        for i, t in enumerate(times):
            rows.append({"name": name, "run_type": "iteration", "repetition_index": i,
                         "iterations": 1, "real_time": t, "cpu_time": t, "time_unit": "ns"})
    return {"benchmarks": rows}


def min_significant_reps(alpha):
    """Fewest repetitions per side for which a two-sided exact U test can reach p < alpha
    (n = 3: p >= 0.1; n = 4: p >= 0.029)."""
    n = 1
    while 2.0 / math.comb(2 * n, n) >= alpha:
        n += 1
    return n


class Verdict:
    def __init__(self, check, name, old, new, change, pvalue, verdict, reps, note=""):
        self.check, self.name, self.old, self.new = check, name, old, new
        self.change, self.pvalue, self.verdict, self.reps, self.note = change, pvalue, verdict, reps, note

    def as_dict(self):
        return dict(check=self.check, name=self.name, old=self.old, new=self.new,
                    change=self.change, pvalue=self.pvalue, verdict=self.verdict,
                    reps=list(self.reps), note=self.note)


def compare_series(check, base, cur, threshold, alpha, invert_display=False):
    """base/cur: {name: [time-like values, lower is better]}. One Verdict per name in base.
    invert_display: show old/new as 1/time (e.g. ops/s) while judging on time."""
    report = _import_gbench_report()
    common = [n for n in base if n in cur and base[n] and cur[n]]
    diff = report.get_difference_report(_gbench_doc({n: base[n] for n in common}),
                                        _gbench_doc({n: cur[n] for n in common}), utest=True)
    pvalues = {d["name"]: d["utest"].get("time_pvalue") for d in diff if d.get("utest")}
    need = min_significant_reps(alpha)
    out = []
    for name in base:
        if name not in common:
            old = _med(base[name])
            if invert_display and old:
                old = 1.0 / old
            out.append(Verdict(check, name, old, math.nan, math.nan, None, MISSING,
                               (len(base[name]), 0), "not in the current run"))
            continue
        old, new = statistics.median(base[name]), statistics.median(cur[name])
        change = report.calculate_change(old, new)  # compare.py's (new - old) / |old|
        if invert_display:
            old, new = (1.0 / old if old else math.inf), (1.0 / new if new else math.inf)
        p = pvalues.get(name)
        reps = (len(base[name]), len(cur[name]))
        testable = min(reps) >= need and p is not None
        significant = (p < alpha) if testable else True
        note = "" if testable else f"< {need} repetitions: threshold only"
        if change > threshold and significant:
            v = REGRESSION
        elif change < -threshold and significant:
            v = IMPROVEMENT
        elif abs(change) > threshold:
            v = NOISE
        else:
            v = SAME
        out.append(Verdict(check, name, old, new, change, p, v, reps, note))
    return out


def _med(xs):
    return statistics.median(xs) if xs else math.nan


def absolute_series(run, metric, name_filter=None):
    """{benchmark name: [time-like value per repetition]} for one counter."""
    out = {}
    for key in run.samples:
        name = results.key_name(key)
        if name_filter and not re.search(name_filter, name):
            continue
        vals = [_as_time(metric, v) for v in run.values(key, metric)]
        if vals:
            out[name] = vals
    return out


def ratio_series(run, metric, reference, name_filter=None):
    """{name + ' / ' + reference: [design's time / reference's time per repetition]}.
    Repetitions are paired by index: the same repetition of the same run, so machine speed,
    frequency and noisy neighbours largely cancel."""
    out = {}
    for key in run.samples:
        if key.design == reference:
            continue
        ref_key = key._replace(design=reference)
        if ref_key not in run.samples:
            continue
        name = results.key_name(key)
        if name_filter and not re.search(name_filter, name):
            continue
        mine = {s.repetition: s.get(metric) for s in run.samples[key]}
        ref = {s.repetition: s.get(metric) for s in run.samples[ref_key]}
        vals = []
        for rep in sorted(set(mine) & set(ref)):
            a, b = _as_time(metric, mine[rep]), _as_time(metric, ref[rep])
            if b > 0 and not math.isnan(a) and not math.isnan(b) and math.isfinite(a / b):
                vals.append(a / b)
        if vals:
            out[f"{name} / {reference}"] = vals
    return out


def load_fastpath(path):
    with open(path) as f:
        doc = json.load(f)
    return {d: float(v["instr_per_pair"]) for d, v in doc.get("designs", {}).items()
            if v.get("instr_per_pair") is not None}


def compare_instr(base, cur, tolerance):
    """Callgrind instruction counts are exact: any increase beyond `tolerance` (a fraction;
    default 0) is a regression, no statistics needed."""
    out = []
    for design, old in base.items():
        if design not in cur:
            out.append(Verdict("instr", design, old, math.nan, math.nan, None, MISSING, (1, 0),
                               "not in the current fastpath.json"))
            continue
        new = cur[design]
        change = (new - old) / old if old else (0.0 if new == old else math.inf)
        if change > tolerance + 1e-12:
            v = REGRESSION
        elif change < -tolerance - 1e-12:
            v = IMPROVEMENT
        else:
            v = SAME
        out.append(Verdict("instr", design, old, new, change, None, v, (1, 1), "exact"))
    return out


def resolve(path):
    """A run folder or a bench JSON file -> (bench.json, fastpath.json or None)."""
    if os.path.isdir(path):
        bench = os.path.join(path, "bench.json")
        fp = os.path.join(path, "fastpath.json")
        return (bench if os.path.exists(bench) else None), (fp if os.path.exists(fp) else None)
    return path, None


def run_gate(baseline, current, checks=("abs", "instr"), metric="ops_per_s",
             reference="pthread", threshold=0.10, alpha=0.05, instr_tolerance=0.0, ratio_threshold=None,
             name_filter=None, baseline_fastpath=None, current_fastpath=None):
    """Returns (verdicts, problems). problems: reasons the gate could not judge at all."""
    base_bench, base_fp = resolve(baseline)
    cur_bench, cur_fp = resolve(current)
    base_fp = baseline_fastpath or base_fp
    cur_fp = current_fastpath or cur_fp
    verdicts, problems = [], []
    if ("abs" in checks or "ratio" in checks) and not (base_bench and cur_bench):
        problems.append("no bench.json in baseline or current")
    elif "abs" in checks or "ratio" in checks:
        b, c = results.Run.load(base_bench), results.Run.load(cur_bench)
        if "abs" in checks:
            verdicts += compare_series("abs:" + metric, absolute_series(b, metric, name_filter),
                                       absolute_series(c, metric, name_filter), threshold, alpha,
                                       invert_display=metric in results.HIGHER_IS_BETTER)
        if "ratio" in checks:
            rb = ratio_series(b, metric, reference, name_filter)
            if not rb:
                problems.append(f"ratio check: no design runs next to '{reference}' in the baseline")
            verdicts += compare_series(f"ratio:{metric}", rb, ratio_series(c, metric, reference, name_filter),
                                       threshold if ratio_threshold is None else ratio_threshold, alpha,
                                       invert_display=metric in results.HIGHER_IS_BETTER)
    if "instr" in checks:
        if base_fp and cur_fp:
            verdicts += compare_instr(load_fastpath(base_fp), load_fastpath(cur_fp), instr_tolerance)
        else:
            problems.append("instr check: fastpath.json missing in baseline or current")
    if not verdicts:
        problems.append("no benchmark in common between baseline and current")
    return verdicts, problems


def format_table(verdicts, show="all"):
    lines = []
    width = max([len(v.name) for v in verdicts] + [9])
    lines.append(f"{'check':<16} {'benchmark':<{width}} {'old':>12} {'new':>12} {'change':>8} "
                 f"{'p-value':>8}  verdict")
    for v in verdicts:
        if show == "changes" and v.verdict in (SAME,):
            continue
        p = f"{v.pvalue:8.4f}" if v.pvalue is not None else "       -"
        ch = f"{v.change:+8.1%}" if not math.isnan(v.change) else "       -"
        note = f"  ({v.note})" if v.note and v.note != "exact" else ""
        lines.append(f"{v.check:<16} {v.name:<{width}} {v.old:12.4g} {v.new:12.4g} {ch} {p}  "
                     f"{v.verdict}{note}")
    return lines
