"""The issue-7 targets, computed from one run (bench JSON + fastpath.json).

Each check yields rows (target, what, measured, verdict). Conventions, chosen to be
conservative and symmetric:
  * throughput: median over repetitions;
  * worst-case latency: the largest lat_max_ns of any repetition, for both sides;
  * fairness (Jain, min/max share, FIFO violations): the least fair repetition."""
import math

from .results import LOCKPOOL_DESIGNS

FAIR, BARGING, BOUNDED = LOCKPOOL_DESIGNS
MET, NOT_MET, NO_DATA = "met", "NOT met", "no data"
BOUND_NS = 1_000_000  # LP_BOUNDED's default fairness bound (lockpool.h): 1 ms


def _trunc(x, digits):
    """Truncated, not rounded, so a value just below a target never prints as meeting it."""
    if x is None or math.isnan(x):
        return "-"
    return f"{math.floor(x * 10 ** digits) / 10 ** digits:.{digits}f}"


def _threads(n):
    return f"{n} thread" + ("" if n == 1 else "s")


def _verdict(ok):
    if ok is None:
        return NO_DATA
    return MET if ok else NOT_MET


def _fmt_ratio(x):
    if x is None or math.isnan(x):
        return "-"
    if math.isinf(x):
        return "inf"
    return f"{x:.2f}×" if x < 100 else f"{x:.0f}×"


def _fmt_ns(x):
    if x is None or math.isnan(x):
        return "-"
    if x >= 1e9:
        return f"{x / 1e9:.2f} s"
    if x >= 1e6:
        return f"{x / 1e6:.2f} ms"
    if x >= 1e3:
        return f"{x / 1e3:.1f} µs"
    return f"{x:.0f} ns"


class Row:
    def __init__(self, target, what, measured, ok):
        self.target, self.what, self.measured, self.verdict = target, what, measured, _verdict(ok)


def _ratio(a, b):
    if a is None or b is None or math.isnan(a) or math.isnan(b):
        return math.nan
    if b == 0:
        return math.inf if a > 0 else math.nan
    return a / b


def fastpath_rows(fastpath):
    """(1) fast path instr <= 0.25x pthread and <= 1.5x bare-cas."""
    rows = []
    designs = (fastpath or {}).get("designs", {})
    ipp = {d: v.get("instr_per_pair") for d, v in designs.items()}
    for mode in LOCKPOOL_DESIGNS:
        mine = ipp.get(mode)
        for ref, limit in (("pthread", 0.25), ("bare-cas", 1.5)):
            other = ipp.get(ref)
            if mine is None or other is None:
                rows.append(Row("1", f"{mode} fast-path instr ≤ {limit}× {ref}", "-", None))
                continue
            r = _ratio(mine, other)
            rows.append(Row("1", f"{mode} fast-path instr ≤ {limit}× {ref}",
                            f"{mine:.1f} vs {other:.1f} instr/pair = {_fmt_ratio(r)}", r <= limit))
    return rows


def _contended_cases(run, workload):
    cases = run.cases(workload)
    multi = [c for c in cases if c.threads >= 2]
    return multi or cases


def storm_rows(run):
    """(2) try_get_storm: lockpool >= 10x pthread and >= 1.5x spin-ttas, every thread count >= 2."""
    rows = []
    for mode in LOCKPOOL_DESIGNS:
        for ref, limit in (("pthread", 10.0), ("spin-ttas", 1.5)):
            worst, where = math.inf, None
            for case in _contended_cases(run, "try_get_storm"):
                a, b = run.find(case, mode), run.find(case, ref)
                if not a or not b:
                    continue
                r = _ratio(run.median(a, "ops_per_s"), run.median(b, "ops_per_s"))
                if not math.isnan(r) and r < worst:
                    worst, where = r, case.threads
            what = f"try_get_storm {mode} throughput ≥ {limit:g}× {ref}"
            if where is None:
                rows.append(Row("2", what, "-", None))
            else:
                rows.append(Row("2", what, f"worst {_fmt_ratio(worst)} ({_threads(where)})", worst >= limit))
    return rows


def _hold_cases(run, multiples=(2, 8)):
    """get_hold cases with threads = 2×SLOTS and 8×SLOTS."""
    return [c for c in run.cases("get_hold") if any(c.threads == m * c.slots for m in multiples)]


def fair_rows(run):
    """(3) get_hold at 2×/8×SLOTS: FAIR Jain >= 0.99, min/max >= 0.9, 0 FIFO violations,
    max get latency >= 10x lower than pthread's and spin-ttas's."""
    rows = []
    cases = _hold_cases(run)
    if not cases:
        return [Row("3", "get_hold at threads = 2×SLOTS and 8×SLOTS", "no such case in this run", None)]
    for case in cases:
        tag = f"get_hold slots={case.slots} threads={case.threads} ({case.threads // case.slots}×SLOTS)"
        k = run.find(case, FAIR)
        if not k:
            rows.append(Row("3", f"{tag}: {FAIR}", "-", None))
            continue
        jain = min(run.values(k, "jain") or [math.nan])
        mm = min(run.values(k, "minmax_share") or [math.nan])
        fifo_vals = [v for v in run.values(k, "fifo_violations_per_m") if v >= 0]
        fifo = max(fifo_vals) if fifo_vals else math.nan
        rows.append(Row("3", f"{tag}: FAIR Jain's index ≥ 0.99", _trunc(jain, 4),
                        None if math.isnan(jain) else jain >= 0.99))
        rows.append(Row("3", f"{tag}: FAIR min/max share ≥ 0.9", _trunc(mm, 3),
                        None if math.isnan(mm) else mm >= 0.9))
        rows.append(Row("3", f"{tag}: FAIR FIFO violations = 0",
                        "not measured" if math.isnan(fifo) else f"{fifo:g} per M grants",
                        None if math.isnan(fifo) else fifo == 0))
        mine = run.worst(k, "lat_max_ns")
        for ref in ("pthread", "spin-ttas"):
            rk = run.find(case, ref)
            theirs = run.worst(rk, "lat_max_ns") if rk else math.nan
            r = _ratio(theirs, mine)
            rows.append(Row("3", f"{tag}: FAIR max get latency ≥ 10× lower than {ref}",
                            f"FAIR {_fmt_ns(mine)}, {ref} {_fmt_ns(theirs)}: {ref} ÷ FAIR = {_fmt_ratio(r)}",
                            None if math.isnan(r) else r >= 10.0))
    return rows


def barging_rows(run):
    """(4) BARGING throughput >= 1.5x pthread in every get_hold case."""
    worst, where = math.inf, None
    for case in run.cases("get_hold"):
        a, b = run.find(case, BARGING), run.find(case, "pthread")
        if a and b:
            r = _ratio(run.median(a, "ops_per_s"), run.median(b, "ops_per_s"))
            if not math.isnan(r) and r < worst:
                worst, where = r, case
    what = "get_hold BARGING throughput ≥ 1.5× pthread (every case)"
    if where is None:
        return [Row("4", what, "-", None)]
    return [Row("4", what, f"worst {_fmt_ratio(worst)} (slots={where.slots}, {_threads(where.threads)})",
                worst >= 1.5)]


def bounded_rows(run):
    """(5) BOUNDED throughput >= 0.8x BARGING (get_hold) and max latency <= 2x bound."""
    rows = []
    worst, where = math.inf, None
    for case in run.cases("get_hold"):
        a, b = run.find(case, BOUNDED), run.find(case, BARGING)
        if a and b:
            r = _ratio(run.median(a, "ops_per_s"), run.median(b, "ops_per_s"))
            if not math.isnan(r) and r < worst:
                worst, where = r, case
    what = "get_hold BOUNDED throughput ≥ 0.8× BARGING (every case)"
    rows.append(Row("5", what, "-" if where is None else
                    f"worst {_fmt_ratio(worst)} (slots={where.slots}, {_threads(where.threads)})",
                    None if where is None else worst >= 0.8))
    for workload in ("get_hold", "oversubscribed"):
        lat, at = -1.0, None
        for key in run.keys(workload=workload, design=BOUNDED):
            v = run.worst(key, "lat_max_ns")
            if not math.isnan(v) and v > lat:
                lat, at = v, key
        what = f"{workload} BOUNDED max get latency ≤ 2× bound ({_fmt_ns(2 * BOUND_NS)})"
        rows.append(Row("5", what, "-" if at is None else f"{_fmt_ns(lat)} ({_threads(at.threads)})",
                        None if at is None else lat <= 2 * BOUND_NS))
    return rows


def scaling_rows(run, at_threads=16):
    """(6) at 16 threads every LockPool mode keeps >= 50% of its best throughput. Judged per
    workload configuration that ran at 16 threads AND at least one other thread count (the
    same slots/hold/think), so the ratio compares like with like."""
    rows = []
    for mode in LOCKPOOL_DESIGNS:
        worst, where = math.inf, None
        for workload in run.workloads():
            by_threads = {}
            for key in run.keys(workload=workload, design=mode):
                # Group by everything but threads (a workload may have several configurations).
                cfg = key._replace(threads=0)
                by_threads.setdefault(cfg, {})[key.threads] = run.median(key, "ops_per_s")
            for cfg, series in by_threads.items():
                if at_threads not in series or len(series) < 2:
                    continue
                best = max(v for v in series.values() if not math.isnan(v))
                r = _ratio(series[at_threads], best)
                if not math.isnan(r) and r < worst:
                    worst, where = r, workload
        what = f"{mode} throughput at {at_threads} threads ≥ 50% of its best (every workload)"
        if where is None:
            rows.append(Row("6", what, f"no workload ran at {at_threads} threads and another thread "
                                       "count with the same configuration", None))
        else:
            rows.append(Row("6", what, f"worst {worst:.0%} ({where})", worst >= 0.5))
    return rows


def all_rows(run, fastpath=None):
    return (fastpath_rows(fastpath) + storm_rows(run) + fair_rows(run) + barging_rows(run)
            + bounded_rows(run) + scaling_rows(run))


def ratio_summary(run):
    """Informational ratios for the report: per case, LockPool modes vs pthread / spin-ttas."""
    out = []
    for workload in ("try_get_storm", "get_hold", "oversubscribed"):
        for case in run.cases(workload):
            ref_tp = {r: run.median(run.find(case, r), "ops_per_s") if run.find(case, r) else math.nan
                      for r in ("pthread", "spin-ttas")}
            ref_lat = {r: run.worst(run.find(case, r), "lat_max_ns") if run.find(case, r) else math.nan
                       for r in ("pthread", "spin-ttas")}
            for mode in LOCKPOOL_DESIGNS:
                k = run.find(case, mode)
                if not k:
                    continue
                tp, lat = run.median(k, "ops_per_s"), run.worst(k, "lat_max_ns")
                out.append((case, mode, _ratio(tp, ref_tp["pthread"]), _ratio(tp, ref_tp["spin-ttas"]),
                            _ratio(ref_lat["pthread"], lat), _ratio(ref_lat["spin-ttas"], lat)))
    return out
