"""Performance-regression gate: current run vs a stored baseline.

Every metric the gate judges, its direction and its default threshold are in METRICS below,
the one place they are defined: lp-gate's options, its output and the table in
scripts/README.md (checked by a test) all come from it.

Statistics: for the metrics measured once per repetition (throughput, latency, fairness,
same-run ratios), a change fails when the median moved in the bad direction by more than
the threshold AND a one-sided Mann-Whitney U test over the repetitions (scipy's, the test
Google Benchmark's compare.py runs two-sided) says the shift is significant (p < alpha). A
large change the test does not support is "noise". With fewer repetitions than the test
can ever call significant, the threshold alone decides (and the line says so). Errors, FIFO
promises and callgrind instruction counts need no statistics: they are compared exactly.
FIFO violations are exact too, but a FIFO design can show a documented residue (one grant
now and then that the bench's dating counts): over a baseline that has one, a rise fails only
when it passes both the relative threshold and an absolute floor of violating grants."""
import collections
import json
import math
import os
import re
import statistics

from . import results, targets

MINUS = "\u2212"

REGRESSION, IMPROVEMENT, SAME, NOISE, MISSING = "REGRESSION", "improved", "same", "noise", "missing"
ALLOWED_MISSING = "missing (allowed)"
FAILING = (REGRESSION, MISSING)


class InputError(Exception):
    """A bad input or usage: lp-gate prints the message on one line and exits 2."""


# ---- the threshold table ----------------------------------------------------------------------

Metric = collections.namedtuple("Metric", "name check counter direction kind default unit fails why floor "
                                           "floor_unit", defaults=(None, ""))
# kind: how a change is measured and shown, and how the threshold reads:
#   loss    relative change of a higher-is-better value, shown "-30.0%"; fails below -threshold
#   factor  new / old of a lower-is-better value, shown "x3.0"; fails above the threshold
#   drop    absolute change of a value in [0, 1], shown "-0.050"; fails below -threshold
#   growth  relative change of a lower-is-better exact count, shown "+10.0%"; fails above it
#   fifo    worst repetition vs the baseline's worst, exact; only designs that promise FIFO.
#           A zero baseline allows nothing; over a nonzero one (a residue) the worst rate must
#           rise by more than the threshold (a fraction of the baseline's worst) AND the worst
#           repetition's violating grants (rate x ops / 1e6) by more than `floor`
#   errors  worst repetition of the current run, exact
# "spread" below: max / min (or max - min) over the 9 repetitions of one benchmark in the
# reference run (results/runs/2026-11-26_185407_vm), median and worst tenth over its benchmarks.
METRICS = [
    Metric("throughput", "abs", "ops_per_s", "higher", "loss", 0.10, "fraction",
           "median fell by more than the threshold and the U test says p < alpha",
           "repetitions spread 1.5x (worst tenth: 10x) on 2 cores, so the U test over 9 "
           "repetitions, not the threshold, keeps noise out; 10% is the smallest loss worth a red build"),
    Metric("p99", "abs", "lat_p99_ns", "lower", "factor", 2.0, "factor",
           "median grew by more than the factor and p < alpha",
           "with 8-32 threads on 2 cores a blocked get waits whole scheduler time slices, so p99 moves "
           "in steps of milliseconds: repetitions spread 3x (worst tenth: 135x); only a doubled median "
           "is worth failing on"),
    Metric("max", "abs", "lat_max_ns", "lower", "factor", 5.0, "factor",
           "median grew by more than the factor and p < alpha",
           "a repetition's max is one sample, usually one preemption: repetitions spread 2.5x "
           "(worst tenth: 17x)"),
    Metric("jain", "abs", "jain", "higher", "drop", 0.03, "absolute",
           "median fell by more than the threshold and p < alpha",
           "repetitions spread 0.014 (worst tenth: 0.26, the unfair designs); a fair design reads "
           "0.98-1.0, and 0.03 is below the 0.05 that a lost fairness property costs"),
    Metric("minmax", "abs", "minmax_share", "higher", "drop", 0.10, "absolute",
           "median fell by more than the threshold and p < alpha",
           "the smallest thread's share is one thread's luck with the scheduler: repetitions spread "
           "0.13 (worst tenth: 0.36), a wider margin than Jain"),
    Metric("fifo", "fifo", "fifo_violations_per_m", "lower", "fifo", 1.0, "fraction",
           "a design that promises FIFO: any violation where every baseline repetition read 0; over a "
           "nonzero baseline (a residue), the worst repetition's rate rose by more than the threshold "
           "(a fraction of the baseline's worst) and the worst repetition has more violating grants "
           "than the baseline's worst plus the floor",
           "the count is exact and load does not excuse it, so a zero baseline allows none. The one "
           "known residue (bench/README.md: a slot a rescanning waiter serves is dated to its last "
           "put; queue order is kept) is a single violating grant in a repetition, whose rate is "
           "10^6 / the repetition's grants and so moves with throughput: the rate alone cannot tell "
           "it from a fault. Over a residue a rise must pass both the threshold (1: the rate more than "
           "doubled) and the floor in grants; designs without the promise read hundreds to 10^6 per M",
           floor=5, floor_unit="violating grants"),
    Metric("errors", "errors", "errors", "lower", "errors", 0.0, "count",
           "any repetition of the current run has more errors than this",
           "an error is a lost wake-up, a stuck get or a pool left busy: never noise"),
    Metric("instr", "instr", "instr_per_pair", "lower", "growth", 0.0, "fraction",
           "callgrind instructions per single-thread try_get+put grew by more than this",
           "callgrind counts do not depend on load or frequency: exact"),
    Metric("ratio", "ratio", "ops_per_s", "higher", "loss", 0.25, "fraction",
           "each repetition divided by the reference design's median in the same run: median "
           "fell by more than the threshold and p < alpha",
           "machine speed cancels (a baseline from another machine works), but the reference's "
           "own median moves between runs too (pthread spreads 2.2-3.6x oversubscribed) and the U "
           "test cannot see that: a wider margin"),
]
METRIC_BY_NAME = {m.name: m for m in METRICS}
CHECKS = ["abs", "ratio", "fifo", "errors", "instr"]
ALPHA = 0.05
REFERENCE = targets.USUAL  # the ratio check divides by the usual pool (targets.json roles)


def threshold_table():
    """The Markdown table of scripts/README.md, generated from METRICS."""
    lines = ["| metric | counter | better | fails when | default threshold | why this threshold on a noisy 2-core machine |",
             "|---|---|---|---|---|---|"]
    for m in METRICS:
        floor = f"; floor {m.floor:g} {m.floor_unit}" if m.floor is not None else ""
        lines.append(f"| `{m.name}` | `{m.counter}` | {m.direction} | {m.fails} | "
                     f"{m.default:g} ({m.unit}){floor} | {m.why} |")
    lines.append(f"| (all of the above with a U test) | | | | alpha {ALPHA:g} | "
                 f"9 repetitions (the suite's default) can reach p = 0.0002; 4 is the fewest that "
                 f"can reach p < 0.05 at all |")
    return lines


def parse_metrics(text):
    """'throughput,p99' or counter names -> [Metric]; InputError on an unknown name."""
    out = []
    for item in [s.strip() for s in text.split(",") if s.strip()]:
        m = METRIC_BY_NAME.get(item) or next((m for m in METRICS if m.counter == item and m.check == "abs"), None)
        if m is None or m.check != "abs":
            raise InputError(f"unknown metric '{item}' (known: "
                             f"{', '.join(x.name for x in METRICS if x.check == 'abs')})")
        out.append(m)
    if not out:
        raise InputError("--metric names no metric")
    return out


def parse_checks(text):
    checks = [c.strip() for c in text.split(",") if c.strip()]
    bad = [c for c in checks if c not in CHECKS]
    if bad or not checks:
        raise InputError(f"unknown check '{','.join(bad)}' (known: {', '.join(CHECKS)})")
    return checks


def parse_thresholds(items):
    """['p99=3', '0.2'] -> {metric name: value}; a bare number is the throughput threshold.
    InputError when a value is out of its metric's range."""
    out = {}
    for item in items:
        name, _, value = item.rpartition("=")
        name = name or "throughput"
        m = METRIC_BY_NAME.get(name)
        if m is None:
            raise InputError(f"--threshold {item}: unknown metric '{name}' (known: "
                             f"{', '.join(METRIC_BY_NAME)})")
        try:
            v = float(value)
        except ValueError:
            raise InputError(f"--threshold {item}: '{value}' is not a number") from None
        check_threshold(m, v, f"--threshold {item}")
        out[m.name] = v
    return out


def check_threshold(m, v, what):
    if math.isnan(v) or math.isinf(v):
        raise InputError(f"{what}: must be a finite number")
    if m.kind == "loss" and not 0 < v < 1:
        raise InputError(f"{what}: a {m.name} threshold is a fraction of loss, 0 < x < 1")
    if m.kind == "factor" and not v > 1:
        raise InputError(f"{what}: a {m.name} threshold is a factor, > 1")
    if m.kind == "drop" and not 0 < v <= 1:
        raise InputError(f"{what}: a {m.name} threshold is an absolute drop, 0 < x <= 1")
    if m.kind in ("growth", "fifo", "errors") and not v >= 0:
        raise InputError(f"{what}: a {m.name} threshold must be >= 0")


def check_alpha(alpha):
    if math.isnan(alpha) or not 0 < alpha < 1:
        raise InputError(f"--alpha {alpha:g}: a significance level, 0 < alpha < 1 (usual: 0.05)")


# ---- loading, with every bad input named --------------------------------------------------------

def read_json(path, what):
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        raise InputError(f"{what} {path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{what} {path}: is a directory") from None
    except OSError as e:
        raise InputError(f"{what} {path}: cannot read: {e.strerror}") from None
    if not data.strip():
        raise InputError(f"{what} {path}: empty file")
    try:
        return json.loads(data.decode("utf-8", errors="replace"))
    except ValueError as e:
        raise InputError(f"{what} {path}: not valid JSON (truncated?): {getattr(e, 'msg', e)} at line "
                         f"{getattr(e, 'lineno', '?')} column {getattr(e, 'colno', '?')}") from None


def resolve(path, role):
    """A run folder or a bench JSON file -> (bench.json, fastpath.json or None)."""
    if not os.path.exists(path):
        raise InputError(f"{role} {path}: no such file or folder")
    if os.path.isdir(path):
        bench = os.path.join(path, "bench.json")
        if not os.path.isfile(bench):
            raise InputError(f"{role} {path}: a folder without a run (no bench.json)")
        fp = os.path.join(path, "fastpath.json")
        return bench, (fp if os.path.isfile(fp) else None)
    return path, None


def load_run(path, role):
    doc = read_json(path, role)
    if not isinstance(doc, dict) or not isinstance(doc.get("benchmarks"), list):
        raise InputError(f"{role} {path}: not Google Benchmark JSON (no 'benchmarks' list)")
    run = results.Run(doc, source=path)
    if not run.samples:
        why = f"{len(run.skipped)} rows failed or have foreign names" if run.skipped else "no benchmark rows"
        raise InputError(f"{role} {path}: no lockpool-bench results ({why})")
    return run


def load_fastpath(path, role="fastpath"):
    doc = read_json(path, role)
    if not isinstance(doc, dict) or not isinstance(doc.get("designs"), dict):
        raise InputError(f"{role} {path}: not an lp-fastpath result (no 'designs' object)")
    out = {}
    for d, v in doc["designs"].items():
        ipp = v.get("instr_per_pair") if isinstance(v, dict) else None
        if isinstance(ipp, (int, float)) and not isinstance(ipp, bool):
            out[d] = float(ipp)
    return out


# ---- statistics -------------------------------------------------------------------------------

def min_significant_reps(alpha):
    """Fewest repetitions per side for which a one-sided exact U test can reach p < alpha
    (n = 3: p >= 0.05; n = 4: p >= 0.014)."""
    n = 1
    while 1.0 / math.comb(2 * n, n) >= alpha:
        n += 1
    return n


def u_test_worse(base, cur, direction):
    """One-sided p-value that `cur` is worse than `base` (lower if direction is 'higher')."""
    try:
        from scipy.stats import mannwhitneyu  # Debian python3-scipy (scripts/packages.txt)
    except ImportError as e:
        raise InputError(f"the U test needs scipy (apt-get install python3-scipy): {e}") from None
    if len(set(base) | set(cur)) == 1:
        return 1.0  # identical constants: nothing shifted
    alt = "less" if direction == "higher" else "greater"
    p = mannwhitneyu(cur, base, alternative=alt).pvalue
    return 1.0 if p is None or math.isnan(p) else float(p)


def u_test_better(base, cur, direction):
    return u_test_worse(base, cur, "lower" if direction == "higher" else "higher")


class Verdict:
    def __init__(self, metric, name, old, new, change, pvalue, verdict, reps, note=""):
        self.metric, self.name, self.old, self.new = metric, name, old, new
        self.change, self.pvalue, self.verdict, self.reps, self.note = change, pvalue, verdict, reps, note

    @property
    def check(self):
        return METRIC_BY_NAME[self.metric].check if self.metric in METRIC_BY_NAME else self.metric

    def severity(self, threshold):
        """How far past its threshold, for ranking the worst offenders (inf: exact failures)."""
        m = METRIC_BY_NAME.get(self.metric)
        if self.verdict == MISSING or m is None or m.kind in ("fifo", "errors"):
            return math.inf
        if m.kind == "factor":
            return self.change / threshold
        if m.kind in ("loss", "drop"):
            return -self.change / threshold
        return self.change / threshold if threshold else math.inf

    def as_dict(self):
        return dict(metric=self.metric, check=self.check, name=self.name, old=_num(self.old),
                    new=_num(self.new), change=_num(self.change), shown=format_change(self),
                    pvalue=self.pvalue, verdict=self.verdict, reps=list(self.reps), note=self.note)


def _num(x):
    return None if x is None or (isinstance(x, float) and (math.isnan(x) or math.isinf(x))) else x


def _change(m, old, new):
    if m.kind == "factor":
        return new / old if old > 0 else (1.0 if new == old else math.inf)
    if m.kind == "drop":
        return new - old
    if m.kind in ("loss", "growth"):
        return (new - old) / old if old else (0.0 if new == old else math.inf)
    return new - old


def _is_worse(m, change, threshold):
    if m.kind == "factor":
        return change > threshold
    if m.kind in ("loss", "drop"):
        return change < -threshold
    return change > threshold


def _is_better(m, change, threshold):
    if m.kind == "factor":
        return change < 1.0 / threshold
    if m.kind in ("loss", "drop"):
        return change > threshold
    return change < -threshold


def compare_values(m, name, base, cur, threshold, alpha):
    """One Verdict for one benchmark and one statistical metric (repetitions base vs cur)."""
    old, new = statistics.median(base), statistics.median(cur)
    change = _change(m, old, new)
    reps = (len(base), len(cur))
    testable = min(reps) >= min_significant_reps(alpha)
    note = "" if testable else f"< {min_significant_reps(alpha)} repetitions: threshold only"
    p = None
    if _is_worse(m, change, threshold):
        p = u_test_worse(base, cur, m.direction) if testable else None
        v = REGRESSION if (p is None or p < alpha) else NOISE
    elif _is_better(m, change, threshold):
        p = u_test_better(base, cur, m.direction) if testable else None
        v = IMPROVEMENT if (p is None or p < alpha) else NOISE
    else:
        v = SAME
    return Verdict(m.name, name, old, new, change, p, v, reps, note)


# ---- the checks -------------------------------------------------------------------------------

def _name(base, cur, k):
    return cur.name_of(k) if k in cur.samples else base.name_of(k)


def _keys(run, name_filter):
    return [k for k in run.samples if not name_filter or re.search(name_filter, run.name_of(k))]


def check_abs(m, base, cur, keys, threshold, alpha):
    out = []
    for k in keys:
        if k not in cur.samples:
            continue
        b, c = base.values(k, m.counter), cur.values(k, m.counter)
        if not b:
            continue
        name = _name(base, cur, k)
        if not c:
            out.append(Verdict(m.name, name, statistics.median(b), math.nan, math.nan, None, MISSING,
                               (len(b), 0), f"counter {m.counter} absent from the current run"))
            continue
        out.append(compare_values(m, name, b, c, threshold, alpha))
    return out


def ratio_values(run, key, reference):
    """Each repetition's throughput divided by the reference design's median throughput in
    the same run (the reference's median, not its same-index repetition: repetitions are
    randomly interleaved, so index i of two designs ran at unrelated moments)."""
    ref = run.values(key._replace(design=reference), "ops_per_s")
    if not ref:
        return []
    med = statistics.median(ref)
    return [v / med for v in run.values(key, "ops_per_s")] if med > 0 else []


def check_ratio(m, base, cur, keys, threshold, alpha, reference):
    out = []
    for k in keys:
        if k.design == reference or k not in cur.samples:
            continue
        b = ratio_values(base, k, reference)
        if not b:
            continue
        name = f"{_name(base, cur, k)} / {reference}"
        c = ratio_values(cur, k, reference)
        if not c:
            out.append(Verdict(m.name, name, statistics.median(b), math.nan, math.nan, None, MISSING,
                               (len(b), 0), f"no {reference} rows next to it in the current run"))
            continue
        out.append(compare_values(m, name, b, c, threshold, alpha))
    return out


def check_errors(m, base, cur, keys, threshold):
    out = []
    for k in keys:
        if k not in cur.samples:
            continue
        vals = cur.values(k, m.counter)
        if not vals:
            continue
        worst = max(vals)
        bad = sum(v > threshold for v in vals)
        out.append(Verdict(m.name, _name(base, cur, k), 0.0, worst, worst, None,
                           REGRESSION if worst > threshold else SAME, (0, len(vals)),
                           f"{bad} of {len(vals)} repetitions" if bad else ""))
    return out


def fifo_promises(base, cur):
    """(set of designs promising FIFO, how we know). From the runs' context
    (lp_design_flags, written by the bench from the C design registry); a promise in either
    run is judged. Runs made before the bench recorded promises: a design that showed no
    violation in any measured baseline repetition is held to zero."""
    known = [r.design_flags() for r in (cur, base)]
    if any(f is not None for f in known):
        fifo = set()
        for flags in known:
            fifo |= {d for d, fl in (flags or {}).items() if "fifo" in fl}
        src = "cur" if known[0] is not None else "base"
        return fifo, f"from lp_design_flags in the {'current run' if src == 'cur' else 'baseline'}'s context"
    clean, dirty = set(), set()
    for k in base.samples:
        for v in base.values(k, "fifo_violations_per_m"):
            if v > 0:
                dirty.add(k.design)
            elif v == 0:
                clean.add(k.design)
    return clean - dirty, ("fallback: neither run records lp_design_flags (made before the bench "
                           "wrote them), so designs with no violation in any measured baseline "
                           "repetition are held to zero")


def fifo_repetitions(run, key, counter="fifo_violations_per_m"):
    """[(violations per M grants, violating grants or None)], one per measured repetition
    (the bench writes -1 where it does not measure). Grants = rate x the repetition's `ops`
    / 10^6; None when the row has no `ops` counter and the rate is not 0."""
    out = []
    for s in run.samples.get(key, []):
        rate = s.get(counter)
        if math.isnan(rate) or rate < 0:
            continue
        ops = s.get("ops")
        if rate == 0:
            out.append((0.0, 0.0))
        else:
            out.append((rate, round(rate * ops / 1e6, 6) if ops > 0 else None))
    return out


def judge_fifo(m, old_reps, new_reps, threshold):
    """(verdict, note) for one benchmark of a FIFO design, from fifo_repetitions() of each run."""
    old = max((r for r, _ in old_reps), default=0.0)
    new = max(r for r, _ in new_reps)
    if old == 0:
        return (REGRESSION if new > 0 else SAME), ""
    rate_rose = new > old * (1.0 + threshold)
    old_n = [n for _, n in old_reps]
    new_n = [n for _, n in new_reps]
    if None in old_n or None in new_n:
        note = (f"baseline residue {old:g}; no ops counter to count grants: "
                f"fails above {old * (1.0 + threshold):.4g} per M alone")
        bad = rate_rose
    else:
        limit = max(old_n) + m.floor
        note = (f"baseline residue {old:g} ({max(old_n):g} grants); fails above "
                f"{old * (1.0 + threshold):.4g} per M and {limit:g} grants")
        bad = rate_rose and max(new_n) > limit
        if rate_rose and not bad:
            return NOISE, note + f": {max(new_n):g} grants, within the floor"
    if bad:
        return REGRESSION, note
    return (IMPROVEMENT if new < old else SAME), note


def check_fifo(m, base, cur, keys, threshold, promised):
    out = []
    for k in keys:
        if k.design not in promised or k not in cur.samples:
            continue
        b = fifo_repetitions(base, k, m.counter)
        c = fifo_repetitions(cur, k, m.counter)
        if not b and not c:
            continue  # not measured in this workload (try_get workloads)
        old = max((r for r, _ in b), default=0.0)
        name = _name(base, cur, k)
        if not c:
            out.append(Verdict(m.name, name, old, math.nan, math.nan, None, MISSING, (len(b), 0),
                               "FIFO not measured in the current run"))
            continue
        new = max(r for r, _ in c)
        verdict, note = judge_fifo(m, b, c, threshold)
        out.append(Verdict(m.name, name, old, new, new - old, None, verdict, (len(b), len(c)), note))
    return out


def compare_instr(base, cur, tolerance):
    """Callgrind instruction counts are exact: any increase beyond `tolerance` (a fraction;
    default 0) is a regression, no statistics needed."""
    m = METRIC_BY_NAME["instr"]
    out = []
    for design, old in base.items():
        if design not in cur:
            out.append(Verdict("instr", design, old, math.nan, math.nan, None, MISSING, (1, 0),
                               "not in the current fastpath.json"))
            continue
        new = cur[design]
        change = _change(m, old, new)
        if change > tolerance + 1e-12:
            v = REGRESSION
        elif change < -tolerance - 1e-12:
            v = IMPROVEMENT
        else:
            v = SAME
        out.append(Verdict("instr", design, old, new, change, None, v, (1, 1), "exact"))
    return out


def missing_benchmarks(base, cur, keys):
    """Verdicts for benchmarks of the baseline absent from the current run."""
    out = []
    for k in keys:
        if k not in cur.samples:
            out.append(Verdict("benchmark", _name(base, cur, k), math.nan, math.nan, math.nan, None,
                               MISSING, (len(base.samples[k]), 0), "not in the current run"))
    return out


def _skip_reason(run, design):
    """'; not built: REASON' when the run's build left the design out (lp_designs_skipped)."""
    for line in str(run.context.get("lp_designs_skipped", "")).splitlines():
        name, _, reason = line.partition(":")
        if name.strip() == design:
            return f"; not built: {reason.strip()}"
    return ""


def describe_missing(base, cur, keys):
    """Whole workloads and designs of the baseline absent from the current run, as phrases."""
    gone = [k for k in keys if k not in cur.samples]
    if not gone:
        return []
    out = []
    base_workloads = {k.workload for k in keys}
    lost_workloads = sorted(w for w in base_workloads if not any(k.workload == w for k in cur.samples))
    for w in lost_workloads:
        out.append(f"workload {w} ({sum(k.workload == w for k in gone)} benchmarks)")
    rest = [k for k in gone if k.workload not in lost_workloads]
    for d in sorted({k.design for k in rest}):
        mine = [k for k in keys if k.design == d and k.workload not in lost_workloads]
        lost = [k for k in rest if k.design == d]
        if len(lost) == len(mine):
            out.append(f"design {d} ({len(lost)} benchmarks{_skip_reason(cur, d)})")
        else:
            out += [f"benchmark {_name(base, cur, k)}" for k in lost]
    return out


# ---- the gate ---------------------------------------------------------------------------------

class Outcome:
    def __init__(self):
        self.verdicts, self.notes, self.missing_phrases = [], [], []
        self.thresholds, self.promises_source, self.fifo_designs = {}, "", []


def run_gate(baseline, current, checks=None, metrics=None, reference=REFERENCE, thresholds=None,
             alpha=ALPHA, name_filter=None, allow_missing=(), baseline_fastpath=None,
             current_fastpath=None, explicit_checks=False):
    """Judge `current` against `baseline`. Returns an Outcome; raises InputError when the
    inputs cannot be judged at all."""
    checks = list(checks or CHECKS)
    metrics = list(metrics or [m for m in METRICS if m.check == "abs"])
    th = {m.name: m.default for m in METRICS}
    th.update(thresholds or {})
    check_alpha(alpha)
    for name, v in th.items():
        check_threshold(METRIC_BY_NAME[name], v, f"threshold {name}")
    if name_filter is not None:
        try:
            re.compile(name_filter)
        except re.error as e:
            raise InputError(f"--filter {name_filter!r}: not a regular expression: {e}") from None
    allow = []
    for pat in allow_missing:
        try:
            allow.append(re.compile(pat))
        except re.error as e:
            raise InputError(f"--allow-missing {pat!r}: not a regular expression: {e}") from None

    out = Outcome()
    out.thresholds = th
    base_bench, base_fp = resolve(baseline, "baseline")
    cur_bench, cur_fp = resolve(current, "current")
    base_fp = baseline_fastpath or base_fp
    cur_fp = current_fastpath or cur_fp
    bench_checks = [c for c in checks if c != "instr"]
    if bench_checks:
        base, cur = load_run(base_bench, "baseline"), load_run(cur_bench, "current")
        keys = _keys(base, name_filter)
        if not keys:
            raise InputError(f"--filter {name_filter!r} matches no benchmark of the baseline")
        out.verdicts += missing_benchmarks(base, cur, keys)
        out.missing_phrases = describe_missing(base, cur, keys)
        if "abs" in checks:
            for m in metrics:
                out.verdicts += check_abs(m, base, cur, keys, th[m.name], alpha)
        if "ratio" in checks:
            if not base.keys(design=reference):
                msg = f"ratio check: no '{reference}' rows in the baseline to divide by"
                if explicit_checks:
                    raise InputError(msg + " (--reference names another design)")
                out.notes.append(msg + "; ratio check skipped")
            else:
                out.verdicts += check_ratio(METRIC_BY_NAME["ratio"], base, cur, keys, th["ratio"], alpha, reference)
        if "errors" in checks:
            out.verdicts += check_errors(METRIC_BY_NAME["errors"], base, cur, keys, th["errors"])
        if "fifo" in checks:
            promised, out.promises_source = fifo_promises(base, cur)
            out.fifo_designs = sorted(promised)
            out.notes.append(f"FIFO promises ({out.promises_source}): "
                             f"{', '.join(out.fifo_designs) or 'none'}")
            out.verdicts += check_fifo(METRIC_BY_NAME["fifo"], base, cur, keys, th["fifo"], promised)
    if "instr" in checks:
        if base_fp:
            bfp = load_fastpath(base_fp, "baseline fastpath")
            if cur_fp:
                out.verdicts += compare_instr(bfp, load_fastpath(cur_fp, "current fastpath"), th["instr"])
            else:
                out.verdicts += [Verdict("instr", d, v, math.nan, math.nan, None, MISSING, (1, 0),
                                         "the current run has no fastpath.json") for d, v in bfp.items()]
                out.missing_phrases.append("fastpath.json (callgrind counts)")
        elif explicit_checks:
            raise InputError("instr check: the baseline has no fastpath.json (give a run folder or "
                             "--baseline-fastpath)")
        else:
            out.notes.append("instr check skipped: the baseline has no fastpath.json")
    for v in out.verdicts:
        if v.verdict == MISSING and any(p.search(v.name) for p in allow):
            v.verdict = ALLOWED_MISSING
    if allow:
        out.missing_phrases = [p for p in out.missing_phrases if not any(a.search(p) for a in allow)]
    return out


# ---- output -----------------------------------------------------------------------------------

def _fmt(x):
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    return f"{x:.4g}"


def format_change(v):
    """The change in the metric's own direction: 'throughput -30.0%', 'p99 x3.0'."""
    m = METRIC_BY_NAME.get(v.metric)
    if m is None or v.change is None or (isinstance(v.change, float) and math.isnan(v.change)):
        return f"{v.metric} {v.verdict}"
    c = v.change
    if m.kind == "factor":
        return f"{m.name} \u00d7{c:.1f}" if math.isfinite(c) else f"{m.name} \u00d7inf"
    if m.kind in ("loss", "growth"):
        s = f"{c:+.1%}" if math.isfinite(c) else "+inf"
    elif m.kind == "drop":
        s = f"{c:+.3f}"
    elif m.kind == "fifo":
        return f"{m.name} {v.old:g} \u2192 {v.new:g} per M"
    else:
        return f"{m.name} {v.new:g}"
    return f"{m.name} {s.replace('-', MINUS)}"


def format_table(verdicts, show="all"):
    shown = [v for v in verdicts if show == "all" or v.verdict != SAME]
    width = max([len(v.name) for v in shown] + [9])
    lines = [f"{'metric':<10} {'benchmark':<{width}} {'old':>10} {'new':>10} {'change':<20} "
             f"{'p-value':>8}  verdict"]
    for v in shown:
        p = f"{v.pvalue:8.4f}" if v.pvalue is not None else "       -"
        ch = format_change(v) if v.verdict not in (MISSING, ALLOWED_MISSING) else "-"
        note = f"  ({v.note})" if v.note and v.note != "exact" else ""
        lines.append(f"{v.metric:<10} {v.name:<{width}} {_fmt(v.old):>10} {_fmt(v.new):>10} {ch:<20} "
                     f"{p}  {v.verdict}{note}")
    return lines


def worst_offenders(outcome, n=5):
    """Short phrases for the verdict line: missing workloads/designs first, then regressions
    ranked by how far past their threshold they are."""
    phrases = list(outcome.missing_phrases)
    regs = [v for v in outcome.verdicts if v.verdict == REGRESSION]
    regs.sort(key=lambda v: -v.severity(outcome.thresholds.get(v.metric, 1.0) or 1.0))
    # The worst of each metric first, so one metric's many lines do not hide another's.
    firsts = list({v.metric: v for v in reversed(regs)}.values())[::-1]
    firsts.sort(key=lambda v: regs.index(v))
    regs = firsts + [v for v in regs if v not in firsts]
    for v in regs:
        phrases.append(f"{format_change(v)} {v.name}")
    # Missing benchmarks are in missing_phrases; here what is missing inside present ones.
    phrases += [f"{v.metric} missing: {v.name}" for v in outcome.verdicts
                if v.verdict == MISSING and v.metric != "benchmark"
                and v.note != "the current run has no fastpath.json"]
    extra = len(phrases) - n
    return phrases[:n] + ([f"... and {extra} more"] if extra > 0 else [])
