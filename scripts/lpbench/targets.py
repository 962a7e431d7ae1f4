"""The performance targets, computed from one run (bench JSON + fastpath.json).

Each check yields rows (target, what, measured, verdict). Conventions, chosen to be
conservative and symmetric:
  * throughput: median over repetitions;
  * worst-case latency: the largest lat_max_ns of any repetition, for both sides;
  * fairness (Jain, min/max share, FIFO violations): the least fair repetition.

Same-run bounds. An unmet throughput or latency line also says whether the target was within reach
of ANY design in the same run, from the `malloc` baseline (plain malloc/free: no slot limit, nobody
waits), which does the same hold/think work with no pool in the way:
  * its median ops/s in a get_hold case is the no-pool ceiling of that case (the hold/think work is
    busy CPU time, so no pool can complete more pairs per second);
  * its largest max get latency is the no-wait floor of that case (a get that never waits is still
    stretched by preemption) -- but only where threads <= CPUs. With more threads than CPUs every
    malloc thread is always runnable, while a pool whose waiters sleep shortens the run queue and can
    beat malloc's max (the reference run shows FAIR at 27 ms against malloc's 76 ms, 32 threads).
A bound counts only where no design beat it in that case (a ceiling some design outran, or a floor
some design got under, is evidently no bound there). Verdicts stay those of the measured ratios."""
import math

from .results import LOCKPOOL_DESIGNS

FAIR, BARGING, BOUNDED = LOCKPOOL_DESIGNS
MET, NOT_MET, NO_DATA = "met", "NOT met", "no data"
BOUND_NS = 1_000_000  # LP_BOUNDED's default fairness bound (lockpool.h): 1 ms
NO_POOL = "malloc"    # the baseline that never waits for a slot: source of the same-run bounds
REACHABLE, UNREACHABLE = "reachable", "unreachable"   # Row.bound (None: no same-run bound)


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


def _fmt_ratio_down(x):
    """A ratio truncated like _trunc, so a ceiling just below a target never prints as reaching it."""
    return f"{_trunc(x, 2)}×" if x < 100 else f"{math.floor(x):.0f}×"


def _where(case):
    return f"slots={case.slots}, {_threads(case.threads)}"


class Row:
    def __init__(self, target, what, measured, ok, bound=None):
        self.target, self.what, self.measured, self.verdict = target, what, measured, _verdict(ok)
        self.bound = bound  # REACHABLE / UNREACHABLE by the same-run bound, None if there is none


def _ratio(a, b):
    if a is None or b is None or math.isnan(a) or math.isnan(b):
        return math.nan
    if b == 0:
        return math.inf if a > 0 else math.nan
    return a / b


def _case_keys(run, case):
    return [k for k in (run.find(case, d) for d in run.designs(case.workload)) if k]


def _cpus(run):
    try:
        n = int(run.context.get("num_cpus", 0))
    except (TypeError, ValueError):
        return None
    return n if n > 0 else None


# Why a case has no same-run bound although malloc ran: (short reason for one case, kind for a summary).
def _oversubscribed(case, cpus):
    return f"{_threads(case.threads)} > {cpus} CPUs", "more threads than CPUs"


def _beaten(design, what):
    return f"{design}'s {what} beats malloc's here", f"a design's {what} beats malloc's"


def _ops_ceiling(run, case):
    """(malloc's median ops/s, None), or (None, why) / (None, None) if there is no ceiling."""
    m = run.find(case, NO_POOL)
    top = run.median(m, "ops_per_s") if m else math.nan
    if math.isnan(top):
        return None, None
    for k in _case_keys(run, case):
        if run.median(k, "ops_per_s") > top:
            return None, _beaten(k.design, "throughput")
    return top, None


def _lat_floor(run, case):
    """(malloc's largest max get latency, None), or (None, why) / (None, None) if there is no floor."""
    m, cpus = run.find(case, NO_POOL), _cpus(run)
    floor = run.worst(m, "lat_max_ns") if m else math.nan
    if math.isnan(floor) or cpus is None:
        return None, None
    if case.threads > cpus:
        return None, _oversubscribed(case, cpus)
    for k in _case_keys(run, case):
        if run.worst(k, "lat_max_ns") < floor:
            return None, _beaten(k.design, "max")
    return floor, None


def _missing(whys, total):
    """'in 3 of 4 cases (more threads than CPUs)': which cases have no same-run bound, and why."""
    kinds = sorted({why[1] for why in whys})
    return f"in {len(whys)} of {total} cases ({'; '.join(kinds)})"


def fastpath_breakdown(functions):
    """'library lp_* 52.0, adapter 16.0, driver loop 13.0' from per-function instr/pair (self
    cost): where a LockPool pair's instructions go. "" without function data."""
    if not functions:
        return ""
    parts = {"library lp_*": 0.0, "adapter lockpool_*": 0.0, "driver loop": 0.0, "other": 0.0}
    for name, per in functions.items():
        key = ("library lp_*" if name.startswith("lp_") else "adapter lockpool_*" if name.startswith("lockpool_")
               else "driver loop" if name == "run_pairs" else "other")
        parts[key] += per
    return ", ".join(f"{k} {v:.1f}" for k, v in parts.items() if v > 0)


def fastpath_rows(fastpath):
    """(1) fast path instr <= 0.25x pthread and <= 1.5x bare-cas. An unmet row also says where
    the instructions go (per-function self cost), when fastpath.json has it."""
    rows = []
    designs = (fastpath or {}).get("designs", {})
    ipp = {d: v.get("instr_per_pair") for d, v in designs.items()}
    for mode in LOCKPOOL_DESIGNS:
        mine = ipp.get(mode)
        where = fastpath_breakdown(designs.get(mode, {}).get("functions"))
        for ref, limit in (("pthread", 0.25), ("bare-cas", 1.5)):
            other = ipp.get(ref)
            if mine is None or other is None:
                rows.append(Row("1", f"{mode} fast-path instr ≤ {limit}× {ref}", "-", None))
                continue
            r = _ratio(mine, other)
            text = f"{mine:.1f} vs {other:.1f} instr/pair = {_fmt_ratio(r)}"
            if r > limit and where:
                text += f"; per pair: {where}"
            rows.append(Row("1", f"{mode} fast-path instr ≤ {limit}× {ref}", text, r <= limit))
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
        floor, why = _lat_floor(run, case)
        for ref in ("pthread", "spin-ttas"):
            rk = run.find(case, ref)
            theirs = run.worst(rk, "lat_max_ns") if rk else math.nan
            r = _ratio(theirs, mine)
            measured = f"FAIR {_fmt_ns(mine)}, {ref} {_fmt_ns(theirs)}: {ref} ÷ FAIR = {_fmt_ratio(r)}"
            bound = None
            if not math.isnan(r) and r < 10.0:
                needed = theirs / 10.0
                if floor is not None:
                    bound = UNREACHABLE if needed < floor else REACHABLE
                    measured += (f"; unreachable: needs ≤ {_fmt_ns(needed)}, below the no-wait floor "
                                 f"{_fmt_ns(floor)} (malloc's max in this case)" if bound == UNREACHABLE
                                 else f"; floor {_fmt_ns(floor)} (malloc's max in this case): reachable")
                elif why:
                    measured += f"; no same-run floor: {why[0]}"
            rows.append(Row("3", f"{tag}: FAIR max get latency ≥ 10× lower than {ref}", measured,
                            None if math.isnan(r) else r >= 10.0, bound))
    return rows


def barging_rows(run, limit=1.5):
    """(4) BARGING throughput >= 1.5x pthread in every get_hold case. Same-run bound per case: the
    no-pool ceiling malloc ÷ pthread; the target is out of reach if it is below 1.5x in any case."""
    worst, where = math.inf, None
    ceilings, whys, judged = {}, [], 0
    for case in run.cases("get_hold"):
        a, b = run.find(case, BARGING), run.find(case, "pthread")
        if a and b:
            pthread_ops = run.median(b, "ops_per_s")
            r = _ratio(run.median(a, "ops_per_s"), pthread_ops)
            if not math.isnan(r):
                judged += 1
                if r < worst:
                    worst, where = r, case
                top, why = _ops_ceiling(run, case)
                c = math.nan if top is None else _ratio(top, pthread_ops)
                if not math.isnan(c):
                    ceilings[case] = c
                elif why:
                    whys.append(why)
    what = f"get_hold BARGING throughput ≥ {limit:g}× pthread (every case)"
    if where is None:
        return [Row("4", what, "-", None)]
    measured, bound = f"worst {_fmt_ratio(worst)} ({_where(where)})", None
    if worst < limit and (ceilings or whys):
        low = min(ceilings, key=ceilings.get) if ceilings else None
        there = f"there {_fmt_ratio_down(ceilings[where])}" if where in ceilings else ""
        if low is not None and ceilings[low] < limit:
            bound = UNREACHABLE
            at = there if low == where else ", ".join(
                filter(None, [there, f"{_fmt_ratio_down(ceilings[low])} at {_where(low)}"]))
            measured += (f"; no-pool ceiling {at} (malloc ÷ pthread): {limit:g}× is above what any pool "
                         "can reach in this run")
        elif len(ceilings) == judged:
            bound = REACHABLE
            measured += f"; no-pool ceiling {there} (malloc ÷ pthread), ≥ {limit:g}× in every case: reachable"
        else:
            measured += (f"; no-pool ceiling {there} (malloc ÷ pthread)" if there else "")
            measured += f"; no same-run ceiling {_missing(whys, judged)}"
    return [Row("4", what, measured, worst >= limit, bound)]


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
        floors, whys, judged = {}, [], 0
        for key in run.keys(workload=workload, design=BOUNDED):
            v = run.worst(key, "lat_max_ns")
            if math.isnan(v):
                continue
            judged += 1
            if v > lat:
                lat, at = v, key
            floor, why = _lat_floor(run, key._replace(design="*"))
            if floor is not None:
                floors[key._replace(design="*")] = floor
            elif why:
                whys.append(why)
        what = f"{workload} BOUNDED max get latency ≤ 2× bound ({_fmt_ns(2 * BOUND_NS)})"
        if at is None:
            rows.append(Row("5", what, "-", None))
            continue
        limit = 2 * BOUND_NS
        measured, bound = f"{_fmt_ns(lat)} ({_threads(at.threads)})", None
        if lat > limit and (floors or whys):
            high = max(floors, key=floors.get) if floors else None
            if high is not None and floors[high] > limit:
                bound = UNREACHABLE
                measured += (f"; unreachable: needs ≤ {_fmt_ns(limit)} in every case, below the no-wait "
                             f"floor {_fmt_ns(floors[high])} (malloc's max at {_where(high)})")
            elif high is not None:
                measured += f"; floor {_fmt_ns(floors[high])} (malloc's max, highest at {_where(high)})"
                if len(floors) == judged:
                    bound = REACHABLE
                    measured += ": reachable"
                else:
                    measured += f": reachable there, but no same-run floor {_missing(whys, judged)}"
            else:
                measured += f"; no same-run floor {_missing(whys, judged)}"
        rows.append(Row("5", what, measured, None if at is None else lat <= limit, bound))
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


# sqlite_pool is judged for the default LockPool design; until a run has it, for the modes that stand
# in for it (each its own rows), so the same code picks the default up as soon as the harness has it.
SQLITE_DEFAULT = "lockpool"
SQLITE_STAND_INS = (FAIR, BARGING)


def sqlite_designs(run):
    """The designs target 7 judges in this run: the default `lockpool` if it ran, else the stand-ins."""
    ran = run.designs("sqlite_pool")
    if SQLITE_DEFAULT in ran:
        return [SQLITE_DEFAULT]
    return [d for d in SQLITE_STAND_INS if d in ran]


def sqlite_cases(run):
    """sqlite_pool cases with threads >= 2 x SLOTS (always callers waiting for a connection)."""
    return [c for c in run.cases("sqlite_pool") if c.threads >= 2 * c.slots]


def sqlite_rows(run):
    """(7) sqlite_pool, every case with threads >= 2 x SLOTS: the default design's queries/s >= 1.0x
    pthread's (medians) and its p99 query latency (median over repetitions) <= pthread's."""
    cases, designs = sqlite_cases(run), sqlite_designs(run)
    if not cases or not designs or not any(run.find(c, "pthread") for c in cases):
        return [Row("7", "sqlite_pool at threads ≥ 2×SLOTS: LockPool vs pthread",
                    "no sqlite_pool case with pthread and a LockPool design in this run", None)]
    rows = []
    for d in designs:
        for case in cases:
            a, b = run.find(case, d), run.find(case, "pthread")
            tag = f"sqlite_pool slots={case.slots} threads={case.threads}: {d}"
            if not a or not b:
                rows.append(Row("7", f"{tag} queries/s ≥ 1.0× pthread", "-", None))
                continue
            mine, theirs = run.median(a, "ops_per_s"), run.median(b, "ops_per_s")
            r = _ratio(mine, theirs)
            rows.append(Row("7", f"{tag} queries/s ≥ 1.0× pthread",
                            f"{mine:,.0f} vs {theirs:,.0f} queries/s = {_fmt_ratio(r)}",
                            None if math.isnan(r) else r >= 1.0))
            lm, lt = run.median(a, "query_p99_ns"), run.median(b, "query_p99_ns")
            ok = None if math.isnan(lm) or math.isnan(lt) else lm <= lt
            rows.append(Row("7", f"{tag} p99 query latency ≤ pthread's",
                            f"{_fmt_ns(lm)} vs {_fmt_ns(lt)} (pthread ÷ {d} = {_fmt_ratio(_ratio(lt, lm))})", ok))
    return rows


def all_rows(run, fastpath=None):
    return (fastpath_rows(fastpath) + storm_rows(run) + fair_rows(run) + barging_rows(run)
            + bounded_rows(run) + scaling_rows(run) + sqlite_rows(run))


def bound_summary(rows):
    """One sentence for under the table: how many unmet lines the same-run bounds put out of reach.
    Empty if no line has a bound (e.g. a run without malloc)."""
    unmet = [r for r in rows if r.verdict == NOT_MET]
    out = sum(r.bound == UNREACHABLE for r in unmet)
    within = sum(r.bound == REACHABLE for r in unmet)
    if not out and not within:
        return ""
    return (f"Same-run bounds (malloc: no-pool ceiling, no-wait floor): {out} of the {len(unmet)} unmet "
            f"lines are beyond what any pool could reach in this run, {within} within it, "
            f"{len(unmet) - out - within} without one (fast path, fairness and scaling have none; "
            "latency has none where threads > CPUs or a design beat malloc's max).")


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


# ---- reasons for unmet targets -------------------------------------------------------------
# One paragraph per target number that has an unmet row: the known cause, with the figures of the
# same run that show it (not a verdict: the rows above are the verdicts).

def _max_over(run, workload, design, counter, pick=max):
    vals = [run.worst(k, counter) for k in (run.find(c, design) for c in run.cases(workload)) if k]
    vals = [v for v in vals if not math.isnan(v)]
    return pick(vals) if vals else math.nan


def _reason_fastpath(run, fastpath):
    designs = (fastpath or {}).get("designs", {})
    fair, pth = designs.get(FAIR, {}), designs.get("pthread", {}).get("instr_per_pair")
    where = fastpath_breakdown(fair.get("functions"))
    if not where or pth is None:
        return None
    funcs = fair.get("functions", {})
    lib = sum(v for n, v in funcs.items() if n.startswith("lp_"))
    rest = fair.get("instr_per_pair", math.nan) - lib
    return (f"A pair through the design interface is {where} instructions. The library's share is two "
            f"atomic read-modify-writes plus the contract: NULL and range checks, FAIR's look at the queue, "
            f"the per-caller start hint, and the look at the queue after the unlock that rules out lost "
            f"wakeups. 0.25× pthread is {0.25 * pth:.0f} instructions for everything, of which the adapter "
            f"and the driver loop alone take {rest:.0f}. A plain release store instead of the XCHG would need "
            f"a membarrier on every enqueue (measured 9.8 µs with a second thread running; pool/DESIGN.md).")


def _rate(run, workload, design, threads=None):
    vals = [run.median(run.find(c, design), "ops_per_s") for c in run.cases(workload)
            if run.find(c, design) and (threads is None or c.threads == threads)]
    vals = [v for v in vals if not math.isnan(v)]
    return min(vals) if vals else math.nan


def _reason_storm(run):
    cpus = _cpus(run)
    lp = min((_rate(run, "try_get_storm", d) for d in LOCKPOOL_DESIGNS), default=math.nan)
    lp1 = _rate(run, "uncontended", FAIR, threads=1)
    pth, pth1 = _rate(run, "try_get_storm", "pthread"), _rate(run, "uncontended", "pthread", threads=1)
    if not cpus or any(math.isnan(v) for v in (lp, lp1, pth, pth1)) or lp1 <= 0 or pth1 <= 0:
        return None
    return (f"LockPool's slowest mode completes {lp / 1e6:.0f}M pairs/s in the storm, "
            f"{100 * lp / (cpus * lp1):.0f}% of {cpus} CPUs × its own single-thread uncontended rate "
            f"({lp1 / 1e6:.0f}M/s): callers rarely collide, so what is left is the cost of a pair itself (two "
            f"atomic read-modify-writes; target 1's paragraph). pthread reaches {pth / 1e6:.1f}M/s, "
            f"{100 * pth / (cpus * pth1):.0f}% of its own {cpus} × {pth1 / 1e6:.0f}M/s: its storm rate is set by "
            f"how often the mutex line moves between CPUs, which varies between runs, and the ratio with it.")


def _reason_fairness(run):
    fifo = _max_over(run, "get_hold", FAIR, "fifo_violations_per_m")
    cpus = _cpus(run)
    small = [c for c in run.cases("get_hold") if cpus and c.threads <= cpus]
    jain_small = min((run.worst(run.find(c, FAIR), "jain") for c in small if run.find(c, FAIR)), default=math.nan)
    text = ""
    if fifo == 0:
        text += ("FAIR granted every get_hold case in queue order: 0 FIFO violations in every repetition (a "
                 "count of certain overtakings; bench/README.md). ")
    elif not math.isnan(fifo):
        text += (f"FAIR's FIFO violations reach {fifo:g} per million grants in some get_hold repetition "
                 f"(bench/README.md describes the metric's residue: a slot handed over by the design itself "
                 f"after sitting free is dated to its last put). ")
    text += ("Per-thread counts under strict FIFO are set by how soon each thread comes back to the queue, "
             "which with more threads than CPUs is the scheduler's choice, not the pool's")
    if not math.isnan(jain_small):
        text += f"; with threads ≤ CPUs the same pool's least fair repetition has Jain {jain_small:.4f}"
    return text + "."


def _reason_latency(run):
    m = _max_over(run, "get_hold", NO_POOL, "lat_max_ns", pick=min)
    f = _max_over(run, "get_hold", FAIR, "lat_max_ns", pick=min)
    if math.isnan(m) or math.isnan(f):
        return None
    return (f"A worst-case get in any pool waits out one stall, by the scheduler or the hypervisor, of the "
            f"thread it depends on: the holder, or the waiter a slot is handed to. malloc, which never waits "
            f"for a slot, has {_fmt_ns(m)} as its smallest worst case of any get_hold case; FAIR {_fmt_ns(f)}. "
            f"A 10× lower worst case than another pool's needs that pool's stalls to be 10× longer than ours, "
            f"which they are for the spinlocks (whose waiters burn the holder's CPU) but not for pthread, whose "
            f"waiters sleep too.")


def _reason_bounded(run):
    f = _max_over(run, "get_hold", FAIR, "lat_max_ns")
    b = _max_over(run, "get_hold", BOUNDED, "lat_max_ns")
    if math.isnan(f) or math.isnan(b):
        return None
    return (f"After the bound, BOUNDED hands releases over in queue order (FAIR's discipline) until the "
            f"starving wait is served, so its worst case is of the order of FAIR's, which is {_fmt_ns(f)} in "
            f"get_hold here (BOUNDED: {_fmt_ns(b)}): what is left above 2 ms is the scheduler's delay of the "
            f"waiters the slots are handed to.")


WAKEALL = "lockpool-barging-wakeall"  # BARGING without the retry-wake limit (lp_set_retry_wakes 0)


def _reason_scaling(run):
    vals = {}
    for d in (FAIR, BARGING, BOUNDED, WAKEALL, "spin-ticket", "ck-mcs"):
        per = {c.threads: run.median(run.find(c, d), "ops_per_s") for c in run.cases("oversubscribed") if run.find(c, d)}
        per = {t: v for t, v in per.items() if not math.isnan(v)}
        if per and 16 in per and max(per.values()) > 0:
            vals[d] = per[16] / max(per.values())
    if FAIR not in vals:
        return None
    fifo_others = ", ".join(f"{d} {100 * vals[d]:.0f}%" for d in ("spin-ticket", "ck-mcs") if d in vals)
    text = (f"FAIR keeps {100 * vals[FAIR]:.0f}% at 16 threads on 2 slots: strict FIFO hands each slot to the "
            f"oldest waiter, which when oversubscribed is usually not running, so every grant waits for a "
            f"wake-up and a context switch (the FIFO collapse")
    text += f"; the FIFO baselines keep {fifo_others})." if fifo_others else ")."
    shares = [(d.split("-")[1].upper(), vals[d]) for d in (BARGING, BOUNDED) if d in vals]
    if shares:
        low = any(v < 0.5 for _, v in shares)
        kept = " and ".join(f"{name}{' keeps' if i == 0 else ''} {100 * v:.0f}%" for i, (name, v) in enumerate(shares))
        text += f" {kept}, with at most 4 waiters woken to retry at a time (lp_set_retry_wakes)"
        if WAKEALL in vals:
            text += (f"; BARGING waking one waiter on every release ({WAKEALL}) keeps {100 * vals[WAKEALL]:.0f}%: "
                     f"most of those retries lose to a barger and park again, futile wake-ups that cost the "
                     f"holders their CPU")
        text += "."
        if low:
            text += (" Below 50%: the fixes tried, with their measurements, are in pool/DESIGN.md ('Tried, "
                     "measured, not kept').")
    return text


def _reason_sqlite(run, rows):
    """Why a LockPool design is behind pthread on sqlite_pool, from the same run: where a query's time
    goes (inside SQLite vs waiting for a connection), how often a released connection went back to the
    thread that released it, and whether a LockPool mode met the line where the judged one did not."""
    unmet = [r for r in rows if r.target == "7" and r.verdict == NOT_MET]
    if not unmet:
        return None
    cpus = _cpus(run)
    parts = []
    for case in sqlite_cases(run):
        judged = [d for d in sqlite_designs(run) if any(r.what.startswith(
            f"sqlite_pool slots={case.slots} threads={case.threads}: {d} ") for r in unmet)]
        if not judged:
            continue
        cells = []
        for d in judged + ["pthread"]:
            k = run.find(case, d)
            if not k:
                continue
            cells.append(f"{d} {100 * run.median(k, 'sqlite_share'):.0f}% inside SQLite, "
                         f"{100 * run.median(k, 'reacquire_frac'):.0f}% of grants back to the releasing thread")
        parts.append(f"at {case.threads} threads / {case.slots} connections: " + "; ".join(cells))
    if not parts:
        return None
    text = ("Share of a query's time as its caller sees it (get + query + put) spent inside SQLite, and "
            "hand-over locality, in the cases not met: " + " — ".join(parts) + ". ")
    if cpus and any(f": {FAIR} " in r.what for r in unmet):
        text += (f"With more threads than the {cpus} CPUs, FAIR hands a released connection to the oldest "
                 "waiter, so every hand-off waits for that waiter to be woken and scheduled, while a releaser "
                 "that takes its own connection again (pthread's condvar, BARGING) runs on without a context "
                 "switch: the FIFO collapse of the oversubscribed workload (target 6). ")
    if any(f": {BARGING} " in r.what for r in unmet):
        cells = []
        for case in sqlite_cases(run):
            k = run.find(case, BARGING)
            if k:
                cells.append(f"Jain {run.median(k, 'jain'):.2f} and a worst query of "
                             f"{_fmt_ns(run.worst(k, 'query_max_ns'))} at {case.threads} threads")
        if cells:
            text += ("BARGING lets the releasing thread take its connection straight back (the locality above), "
                     "so the waiters it wakes mostly lose and wait again: " + ", ".join(cells) + ". ")
    others = []
    for case in sqlite_cases(run):
        b = run.find(case, "pthread")
        for d in LOCKPOOL_DESIGNS:
            k = run.find(case, d)
            if k and b and d not in sqlite_designs(run):
                others.append(f"{d} {_fmt_ratio(_ratio(run.median(k, 'ops_per_s'), run.median(b, 'ops_per_s')))} "
                              f"at {case.threads} threads")
    if others:
        text += "Other LockPool modes against pthread in queries/s, same run: " + ", ".join(others) + "."
    return text.strip()


def reasons(run, rows, fastpath=None):
    """[(target number, paragraph)] for each target number with an unmet row and a known cause.
    A paragraph that explains only some rows of its target (words: what those rows say) is
    given only when one of those rows is unmet."""
    makers = [("1", (), lambda: _reason_fastpath(run, fastpath)),
              ("2", ("pthread",), lambda: _reason_storm(run)),
              ("3", ("Jain", "share"), lambda: _reason_fairness(run)),
              ("3", ("latency",), lambda: _reason_latency(run)),
              ("4", (), lambda: ("The rows give the no-pool ceiling (malloc ÷ pthread) of the worst case where "
                                 "malloc ran: no pool can complete more pairs per second than no pool.")),
              ("5", (), lambda: _reason_bounded(run)),
              ("6", (), lambda: _reason_scaling(run)),
              ("7", (), lambda: _reason_sqlite(run, rows))]
    out = []
    for target, words, make in makers:
        if not any(r.target == target and r.verdict == NOT_MET and (not words or any(w in r.what for w in words))
                   for r in rows):
            continue
        text = make()
        if text:
            out.append((target, text))
    return out
