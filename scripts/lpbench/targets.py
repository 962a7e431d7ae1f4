"""The performance targets, judged from one run (bench JSON + fastpath.json).

What the targets are (the designs they are about, their limits, their wording and the paragraph
printed when one is not met) is data, in targets.json next to this file; this module holds the
checks, and fills every placeholder of that file from the run it judges. Each check yields rows
(target, what, measured, verdict). Conventions, chosen to be conservative and symmetric (the
aggregates of results.py):
  * throughput: median over repetitions;
  * worst-case latency: the largest lat_max_ns of any repetition, for both sides;
  * fairness (Jain, min/max share, FIFO violations): the least fair repetition.

Same-run bounds. An unmet throughput or latency line also says whether the target was within reach
of ANY design in the same run, from the no-pool design (role `no_pool`: plain malloc/free, no slot
limit, nobody waits), which does the same hold/think work with no pool in the way:
  * its median ops/s in a get_hold case is the no-pool ceiling of that case (the hold/think work is
    busy CPU time, so no pool can complete more pairs per second);
  * its largest max get latency is the no-wait floor of that case (a get that never waits is still
    stretched by preemption) -- but only where threads <= CPUs. With more threads than CPUs every
    no-pool thread is always runnable, while a pool whose waiters sleep shortens the run queue and
    can beat the no-pool max.
A bound counts only where no design beat it in that case (a ceiling some design outran, or a floor
some design got under, is evidently no bound there). Verdicts stay those of the measured ratios."""
import json
import math
import os
import re
import statistics
import sys

MET, NOT_MET, NO_DATA = "met", "NOT met", "no data"
REACHABLE, UNREACHABLE = "reachable", "unreachable"   # Row.bound (None: no same-run bound)

# The targets file: targets.json next to this module, or the file LP_TARGETS names (to judge runs
# by targets of one's own, in the same shape).
TARGETS_FILE = os.environ.get("LP_TARGETS") or os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                           "targets.json")
_ROLES = ("fair", "barging", "bounded", "default", "barging_unlimited", "usual", "spinlock", "no_pool", "floor",
          "fifo_locks")
_TARGETS = ("fast-path", "storm", "fair", "barging", "bounded", "scaling", "sqlite")


def load(path=TARGETS_FILE):
    """The targets file as a dict; ValueError (one line) if it is unreadable or lacks a part."""
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError) as e:
        raise ValueError(f"targets file {path}: {e}") from None
    if not isinstance(data, dict) or not all(isinstance(data.get(k), (dict, list)) for k in ("roles", "modes", "targets")):
        raise ValueError(f"targets file {path}: wants objects 'roles' and 'targets' and a list 'modes'")
    missing = [r for r in _ROLES if r not in data["roles"]] + [t for t in _TARGETS if t not in data["targets"]]
    if missing or len(data["modes"]) != 3 or any(m not in data["roles"] for m in data["modes"]):
        raise ValueError(f"targets file {path}: missing {', '.join(missing) or 'three modes named in roles'}")
    return data


try:
    DATA = load()
except ValueError as e:  # every lp-* tool imports this: one line and status 2, as for any bad input
    print(f"lpbench: {e}", file=sys.stderr)
    sys.exit(2)
ROLES = DATA["roles"]
T = DATA["targets"]
FAIR, BARGING, BOUNDED = (ROLES[m] for m in DATA["modes"])
MODES = [FAIR, BARGING, BOUNDED]
USUAL, SPINLOCK, NO_POOL, FLOOR = ROLES["usual"], ROLES["spinlock"], ROLES["no_pool"], ROLES["floor"]


def fill(template, **values):
    """A template of targets.json with its placeholders filled: the roles' design names, then the
    values given (figures of the run being judged)."""
    return template.format_map({**{k: v for k, v in ROLES.items() if isinstance(v, str)}, **values})


def title(target):
    """The target's name as the report prints it."""
    return T[target]["title"]


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


# Why a case has no same-run bound although the no-pool design ran: (short reason for one case, kind for a summary).
def _oversubscribed(case, cpus):
    return f"{_threads(case.threads)} > {cpus} CPUs", "more threads than CPUs"


def _beaten(design, what):
    return f"{design}'s {what} beats {NO_POOL}'s here", f"a design's {what} beats {NO_POOL}'s"


def _ops_ceiling(run, case):
    """(the no-pool design's median ops/s, None), or (None, why) / (None, None) if there is no ceiling."""
    m = run.find(case, NO_POOL)
    top = run.median(m, "ops_per_s") if m else math.nan
    if math.isnan(top):
        return None, None
    for k in _case_keys(run, case):
        if run.median(k, "ops_per_s") > top:
            return None, _beaten(k.design, "throughput")
    return top, None


def _lat_floor(run, case):
    """(the no-pool design's largest max get latency, None), or (None, why) / (None, None) if there is no floor."""
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
    """fast-path: each mode's instructions per pair against the usual pool's and the floor's (a
    bare CAS). An unmet row also says where the instructions go (per-function self cost), when
    fastpath.json has it."""
    t, rows = T["fast-path"], []
    designs = (fastpath or {}).get("designs", {})
    ipp = {d: v.get("instr_per_pair") for d, v in designs.items()}
    for mode in MODES:
        mine = ipp.get(mode)
        where = fastpath_breakdown(designs.get(mode, {}).get("functions"))
        for role, limit in t["limits"].items():
            ref = ROLES[role]
            what = fill(t["what"], design=mode, limit=f"{limit:g}", ref=ref)
            other = ipp.get(ref)
            if mine is None or other is None:
                rows.append(Row("fast-path", what, "-", None))
                continue
            r = _ratio(mine, other)
            text = f"{mine:.1f} vs {other:.1f} instr/pair = {_fmt_ratio(r)}"
            if r > limit and where:
                text += f"; per pair: {where}"
            rows.append(Row("fast-path", what, text, r <= limit))
    return rows


def _contended_cases(run, workload):
    cases = run.cases(workload)
    multi = [c for c in cases if c.threads >= 2]
    return multi or cases


def _worst_ratio(run, workload, design, ref, counter="ops_per_s", pick=None, cases=None):
    """(worst ratio of design's to ref's counter over the workload's cases, case) or (nan, None):
    medians unless `pick` says otherwise; for throughput the lowest ratio is the worst, for any
    other counter (a latency) the highest."""
    get = pick or run.median
    lower_is_worse = counter == "ops_per_s"
    worst, at = math.nan, None
    for case in (run.cases(workload) if cases is None else cases):
        a, b = run.find(case, design), run.find(case, ref)
        if not a or not b:
            continue
        r = _ratio(get(a, counter), get(b, counter))
        if not math.isnan(r) and (math.isnan(worst) or (r < worst if lower_is_worse else r > worst)):
            worst, at = r, case
    return worst, at


def storm_rows(run):
    """storm: each mode's try_get_storm throughput against the references', at every thread count >= 2."""
    t, rows = T["storm"], []
    for mode in MODES:
        for role, limit in t["limits"].items():
            ref = ROLES[role]
            worst, at = _worst_ratio(run, "try_get_storm", mode, ref, cases=_contended_cases(run, "try_get_storm"))
            what = fill(t["what"], design=mode, limit=f"{limit:g}", ref=ref)
            if at is None:
                rows.append(Row("storm", what, "-", None))
            else:
                rows.append(Row("storm", what, f"worst {_fmt_ratio(worst)} ({_threads(at.threads)})", worst >= limit))
    return rows


def _hold_cases(run):
    """get_hold cases with threads = each of the fair target's multiples of SLOTS."""
    multiples = T["fair"]["multiples"]
    return [c for c in run.cases("get_hold") if any(c.threads == m * c.slots for m in multiples)]


def _fair_latency_rows(run, case, k, tag):
    t = T["fair"]
    limit = t["limits"]["latency"]
    mine = run.worst(k, "lat_max_ns")
    floor, why = _lat_floor(run, case)
    rows = []
    for role in t["latency_refs"]:
        ref = ROLES[role]
        rk = run.find(case, ref)
        theirs = run.worst(rk, "lat_max_ns") if rk else math.nan
        r = _ratio(theirs, mine)
        measured = f"{FAIR} {_fmt_ns(mine)}, {ref} {_fmt_ns(theirs)}: {ref} ÷ {FAIR} = {_fmt_ratio(r)}"
        bound = None
        if not math.isnan(r) and r < limit:
            needed = theirs / limit
            if floor is not None:
                bound = UNREACHABLE if needed < floor else REACHABLE
                measured += (f"; unreachable: needs ≤ {_fmt_ns(needed)}, below the no-wait floor "
                             f"{_fmt_ns(floor)} ({NO_POOL}'s max in this case)" if bound == UNREACHABLE
                             else f"; floor {_fmt_ns(floor)} ({NO_POOL}'s max in this case): reachable")
            elif why:
                measured += f"; no same-run floor: {why[0]}"
        what = fill(t["what"]["latency"], tag=tag, limit=f"{limit:g}", ref=ref)
        rows.append(Row("fair", what, measured, None if math.isnan(r) else r >= limit, bound))
    return rows


def fair_rows(run):
    """fair: get_hold at the given multiples of SLOTS: the FIFO mode's Jain's index, min/max share
    and FIFO violations, and its max get latency against the references'."""
    t = T["fair"]
    lim, what = t["limits"], t["what"]
    cases = _hold_cases(run)
    if not cases:
        multiples = " and ".join(f"{m}×SLOTS" for m in t["multiples"])
        return [Row("fair", f"get_hold at threads = {multiples}", "no such case in this run", None)]
    rows = []
    for case in cases:
        tag = f"get_hold slots={case.slots} threads={case.threads} ({case.threads // case.slots}×SLOTS)"
        k = run.find(case, FAIR)
        if not k:
            rows.append(Row("fair", f"{tag}: {FAIR}", "-", None))
            continue
        jain = min(run.values(k, "jain") or [math.nan])
        mm = min(run.values(k, "minmax_share") or [math.nan])
        fifo_vals = [v for v in run.values(k, "fifo_violations_per_m") if v >= 0]
        fifo = max(fifo_vals) if fifo_vals else math.nan
        rows.append(Row("fair", fill(what["jain"], tag=tag, limit=f"{lim['jain']:g}"), _trunc(jain, 4),
                        None if math.isnan(jain) else jain >= lim["jain"]))
        rows.append(Row("fair", fill(what["minmax"], tag=tag, limit=f"{lim['minmax']:g}"), _trunc(mm, 3),
                        None if math.isnan(mm) else mm >= lim["minmax"]))
        rows.append(Row("fair", fill(what["fifo"], tag=tag, limit=f"{lim['fifo']:g}"),
                        "not measured" if math.isnan(fifo) else f"{fifo:g} per M grants",
                        None if math.isnan(fifo) else fifo <= lim["fifo"]))
        rows += _fair_latency_rows(run, case, k, tag)
    return rows


def barging_rows(run):
    """barging: the barging mode's throughput against the usual pool's in every get_hold case.
    Same-run bound per case: the no-pool ceiling (no-pool ÷ usual); the target is out of reach if
    it is below the limit in any case."""
    t = T["barging"]
    limit = t["limits"]["usual"]
    worst, where = math.inf, None
    ceilings, whys, judged = {}, [], 0
    for case in run.cases("get_hold"):
        a, b = run.find(case, BARGING), run.find(case, USUAL)
        if a and b:
            usual_ops = run.median(b, "ops_per_s")
            r = _ratio(run.median(a, "ops_per_s"), usual_ops)
            if not math.isnan(r):
                judged += 1
                if r < worst:
                    worst, where = r, case
                top, why = _ops_ceiling(run, case)
                c = math.nan if top is None else _ratio(top, usual_ops)
                if not math.isnan(c):
                    ceilings[case] = c
                elif why:
                    whys.append(why)
    what = fill(t["what"], limit=f"{limit:g}", ref=USUAL)
    if where is None:
        return [Row("barging", what, "-", None)]
    measured, bound = f"worst {_fmt_ratio(worst)} ({_where(where)})", None
    if worst < limit and (ceilings or whys):
        low = min(ceilings, key=ceilings.get) if ceilings else None
        there = f"there {_fmt_ratio_down(ceilings[where])}" if where in ceilings else ""
        if low is not None and ceilings[low] < limit:
            bound = UNREACHABLE
            at = there if low == where else ", ".join(
                filter(None, [there, f"{_fmt_ratio_down(ceilings[low])} at {_where(low)}"]))
            measured += (f"; no-pool ceiling {at} ({NO_POOL} ÷ {USUAL}): {limit:g}× is above what any pool "
                         "can reach in this run")
        elif len(ceilings) == judged:
            bound = REACHABLE
            measured += f"; no-pool ceiling {there} ({NO_POOL} ÷ {USUAL}), ≥ {limit:g}× in every case: reachable"
        else:
            measured += (f"; no-pool ceiling {there} ({NO_POOL} ÷ {USUAL})" if there else "")
            measured += f"; no same-run ceiling {_missing(whys, judged)}"
    return [Row("barging", what, measured, worst >= limit, bound)]


def _bounded_latency_row(run, workload, limit):
    t = T["bounded"]
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
    what = fill(t["what"]["latency"], workload=workload, multiple=t["limits"]["bound_multiple"], limit=_fmt_ns(limit))
    if at is None:
        return Row("bounded", what, "-", None)
    measured, bound = f"{_fmt_ns(lat)} ({_threads(at.threads)})", None
    if lat > limit and (floors or whys):
        high = max(floors, key=floors.get) if floors else None
        if high is not None and floors[high] > limit:
            bound = UNREACHABLE
            measured += (f"; unreachable: needs ≤ {_fmt_ns(limit)} in every case, below the no-wait "
                         f"floor {_fmt_ns(floors[high])} ({NO_POOL}'s max at {_where(high)})")
        elif high is not None:
            measured += f"; floor {_fmt_ns(floors[high])} ({NO_POOL}'s max, highest at {_where(high)})"
            if len(floors) == judged:
                bound = REACHABLE
                measured += ": reachable"
            else:
                measured += f": reachable there, but no same-run floor {_missing(whys, judged)}"
        else:
            measured += f"; no same-run floor {_missing(whys, judged)}"
    return Row("bounded", what, measured, lat <= limit, bound)


def bounded_rows(run):
    """bounded: the bounded mode's get_hold throughput against the barging mode's, and its max get
    latency in each of the target's workloads against the target's limit."""
    t = T["bounded"]
    limit = t["limits"]["barging"]
    worst, where = math.inf, None
    for case in run.cases("get_hold"):
        a, b = run.find(case, BOUNDED), run.find(case, BARGING)
        if a and b:
            r = _ratio(run.median(a, "ops_per_s"), run.median(b, "ops_per_s"))
            if not math.isnan(r) and r < worst:
                worst, where = r, case
    what = fill(t["what"]["throughput"], limit=f"{limit:g}", ref=BARGING)
    rows = [Row("bounded", what, "-" if where is None else f"worst {_fmt_ratio(worst)} ({_where(where)})",
                None if where is None else worst >= limit)]
    limit = bounded_limit_ns(run)
    if limit is None:
        return rows + [Row("bounded", fill(t["what"]["latency"], workload=w, multiple=t["limits"]["bound_multiple"],
                                           limit="?"),
                           f"this run does not record {BOUNDED}'s fairness bound (lp_design_params)", None)
                       for w in t["workloads"]]
    return rows + [_bounded_latency_row(run, w, limit) for w in t["workloads"]]


def scaling_rows(run):
    """scaling: at the target's thread count every mode keeps the limit's share of its best
    throughput. Judged per workload configuration that ran at that thread count AND at least one
    other (the same slots/hold/think), so the ratio compares like with like."""
    t = T["scaling"]
    at_threads, limit = t["at_threads"], t["limits"]["best"]
    rows = []
    for mode in MODES:
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
        what = fill(t["what"], design=mode, threads=at_threads, limit=f"{limit:.0%}")
        if where is None:
            rows.append(Row("scaling", what, f"no workload ran at {at_threads} threads and another thread "
                                             "count with the same configuration", None))
        else:
            rows.append(Row("scaling", what, f"worst {worst:.0%} ({where})", worst >= limit))
    return rows


def sqlite_designs(run):
    """The designs the sqlite target judges in this run: its judged roles where they ran, else
    the roles that stand in for them (each its own rows)."""
    ran = run.designs("sqlite_pool")
    judged = [ROLES[r] for r in T["sqlite"]["judged"] if ROLES[r] in ran]
    return judged or [ROLES[r] for r in T["sqlite"]["stand_ins"] if ROLES[r] in ran]


def sqlite_cases(run):
    """sqlite_pool cases with threads >= 2 x SLOTS (always callers waiting for a connection)."""
    return [c for c in run.cases("sqlite_pool") if c.threads >= 2 * c.slots]


def sqlite_rows(run):
    """sqlite: in every sqlite_pool case with threads >= 2 x SLOTS, the judged design's queries/s
    against the usual pool's (medians), and its p99 query latency (median over repetitions)."""
    t = T["sqlite"]
    limit = t["limits"]["usual"]
    cases, designs = sqlite_cases(run), sqlite_designs(run)
    if not cases or not designs or not any(run.find(c, USUAL) for c in cases):
        return [Row("sqlite", f"sqlite_pool at threads ≥ 2×SLOTS: LockPool vs {USUAL}",
                    f"no sqlite_pool case with {USUAL} and a judged design in this run", None)]
    rows = []
    for d in designs:
        for case in cases:
            a, b = run.find(case, d), run.find(case, USUAL)
            tag = f"sqlite_pool slots={case.slots} threads={case.threads}: {d}"
            what = fill(t["what"]["throughput"], tag=tag, limit=f"{limit:.1f}", ref=USUAL)
            if not a or not b:
                rows.append(Row("sqlite", what, "-", None))
                continue
            mine, theirs = run.median(a, "ops_per_s"), run.median(b, "ops_per_s")
            r = _ratio(mine, theirs)
            rows.append(Row("sqlite", what, f"{mine:,.0f} vs {theirs:,.0f} queries/s = {_fmt_ratio(r)}",
                            None if math.isnan(r) else r >= limit))
            lm, lt = run.median(a, "query_p99_ns"), run.median(b, "query_p99_ns")
            ok = None if math.isnan(lm) or math.isnan(lt) else lm <= lt
            rows.append(Row("sqlite", fill(t["what"]["latency"], tag=tag, ref=USUAL),
                            f"{_fmt_ns(lm)} vs {_fmt_ns(lt)} ({USUAL} ÷ {d} = {_fmt_ratio(_ratio(lt, lm))})", ok))
    return rows


# ---- the default design (role `default`): the targets of the mode a caller gets without choosing one.

def _ratio_row(what, worst, at, ok_if):
    if at is None:
        return Row("default", what, "-", None)
    return Row("default", what, f"worst {_fmt_ratio(worst)} ({_where(at)})", ok_if(worst))


def bypass_bound(turns, threads, slots):
    """RESTRICTED's documented bypass bound (pool/DESIGN.md, "The bound"): T x bypass_turns + S + T - 1."""
    return threads * turns + slots + threads - 1


def default_bypass_bound(run):
    """The default design's bypass bound as the run recorded it (lp_design_params), or None."""
    b = run.design_params(ROLES["default"]).get("bypass_bound")
    return b if isinstance(b, int) and not isinstance(b, bool) and b > 0 else None


def _most_threads(run, workload):
    """(the workload's largest thread count, its cases there); (None, []) if it did not run."""
    cases = run.cases(workload)
    most = max((c.threads for c in cases), default=None)
    return most, [c for c in cases if c.threads == most]


def _held_cases(run):
    return run.cases("get_hold") + run.cases("oversubscribed")


def _default_fairness_rows(run, t, default):
    """Jain and min/max share (the least fair repetition), max get latency against the usual pool's
    (the largest of any repetition, both sides), in every get_hold and oversubscribed case."""
    rows = []
    for counter, key in (("jain", "jain"), ("minmax_share", "minmax")):
        limit = t["limits"][key]
        vals = [(run.worst(k, counter), c) for c in _held_cases(run) for k in [run.find(c, default)] if k]
        vals = [(v, c) for v, c in vals if not math.isnan(v)]
        what = fill(t["what"][key], limit=f"{limit:g}")
        if not vals:
            rows.append(Row("default", what, "-", None))
            continue
        v, c = min(vals, key=lambda x: x[0])
        below = sum(x < limit for x, _ in vals)
        rows.append(Row("default", what, f"least {v:.3f} ({c.workload} {_where(c)}); {below} of {len(vals)} "
                                         f"cases below {limit:g}", v >= limit))
    worst, at = _worst_ratio(run, "get_hold", default, USUAL, "lat_max_ns", run.worst, _held_cases(run))
    rows.append(_ratio_row(fill(t["what"]["latency"], ref=USUAL), worst, at,
                           lambda r: r <= t["limits"]["latency"]))
    return rows


def _default_bound_row(run, t, default, counter, key):
    """The largest `counter` of any repetition (max_bypass: the most grants that overtook one waiter;
    max_wait_releases: the oldest wait in releases) against the documented bound
    T x bypass_bound + S + T - 1 of each case; targets.json's what[key] names the line."""
    bound = default_bypass_bound(run)
    what = fill(t["what"][key], bound=bound if bound else "bound")
    if bound is None:
        return Row("default", what, "the run does not record the default design's bypass bound", None)
    over, judged, worst = [], 0, None
    for c in _held_cases(run):
        k = run.find(c, default)
        v = run.worst(k, counter) if k else math.nan
        if math.isnan(v) or v < 0:
            continue
        judged += 1
        limit = bypass_bound(bound, c.threads, c.slots)
        if worst is None or v / limit > worst[0] / worst[1]:
            worst = (v, limit, c)
        if v > limit:
            over.append(c)
    if not judged:
        return Row("default", what, "-", None)
    v, limit, c = worst
    return Row("default", what, f"{len(over)} of {judged} cases over; nearest its bound or most over: "
                                f"{v:,.0f} of {limit:,} ({c.workload} {_where(c)})", not over)


def default_rows(run):
    """default: the default design against the usual pool, the fair and barging modes and its own
    best, as targets.json's `default` target lists; [] where the targets file has none."""
    t = T.get("default")
    default = ROLES.get("default")
    if not t or not default:
        return []
    lim, what = t["limits"], t["what"]
    rows = []
    w, at = _worst_ratio(run, "uncontended", default, USUAL)
    rows.append(_ratio_row(fill(what["uncontended"], limit=f"{lim['uncontended']:g}", ref=USUAL), w, at,
                           lambda r: r >= lim["uncontended"]))
    storm = _contended_cases(run, "try_get_storm")
    for ref, key in ((USUAL, "storm_usual"), (FAIR, "storm_fair")):
        w, at = _worst_ratio(run, "try_get_storm", default, ref, cases=storm)
        rows.append(_ratio_row(fill(what["storm"], limit=f"{lim[key]:g}", ref=ref), w, at,
                               lambda r, x=lim[key]: r >= x))
    w, at = _worst_ratio(run, "get_hold", default, USUAL)
    rows.append(_ratio_row(fill(what["hold"], limit=f"{lim['hold']:g}", ref=USUAL), w, at,
                           lambda r: r >= lim["hold"]))
    most, top = _most_threads(run, "oversubscribed")
    for ref, key in ((USUAL, "over_usual"), (BARGING, "over_barging")):
        w, at = _worst_ratio(run, "oversubscribed", default, ref, cases=top)
        rows.append(_ratio_row(fill(what["over"], threads=_threads(most or 0), limit=f"{lim[key]:g}", ref=ref),
                               w, at, lambda r, x=lim[key]: r >= x))
    shares = _own_best_share(run, "oversubscribed", default, most)
    what_best = fill(what["over_best"], threads=_threads(most or 0), limit=f"{lim['over_best']:.0%}")
    rows.append(Row("default", what_best, "-", None) if shares is None else
                Row("default", what_best, f"{shares:.0%}", shares >= lim["over_best"]))
    return rows + _default_fairness_rows(run, t, default) + [
        _default_bound_row(run, t, default, "max_bypass", "bypass"),
        _default_bound_row(run, t, default, "max_wait_releases", "wait")]


def _own_best_share(run, workload, design, threads):
    """The design's median throughput at `threads` ÷ its best over the workload's thread counts,
    or None where it ran at fewer than two."""
    per = _throughput_by_threads(run, workload, design)
    if threads not in per or len(per) < 2 or max(per.values()) <= 0:
        return None
    return per[threads] / max(per.values())


def all_rows(run, fastpath=None):
    return (fastpath_rows(fastpath) + storm_rows(run) + fair_rows(run) + barging_rows(run)
            + bounded_rows(run) + scaling_rows(run) + sqlite_rows(run) + default_rows(run))


def bound_summary(rows):
    """One sentence for under the table: how many unmet lines the same-run bounds put out of reach.
    Empty if no line has a bound (e.g. a run without the no-pool design)."""
    unmet = [r for r in rows if r.verdict == NOT_MET]
    out = sum(r.bound == UNREACHABLE for r in unmet)
    within = sum(r.bound == REACHABLE for r in unmet)
    if not out and not within:
        return ""
    return (f"Same-run bounds ({NO_POOL}: no-pool ceiling, no-wait floor): {out} of the {len(unmet)} unmet "
            f"lines are beyond what any pool could reach in this run, {within} within it, "
            f"{len(unmet) - out - within} without one (fast path, fairness and scaling have none; "
            f"latency has none where threads > CPUs or a design beat {NO_POOL}'s max).")


RATIO_REFS = (USUAL, SPINLOCK)  # the references of the report's ratio table


def ratio_summary(run):
    """Informational ratios for the report: per case, each mode against the RATIO_REFS."""
    out = []
    for workload in ("try_get_storm", "get_hold", "oversubscribed"):
        for case in run.cases(workload):
            ref_tp = {r: run.median(run.find(case, r), "ops_per_s") if run.find(case, r) else math.nan
                      for r in RATIO_REFS}
            ref_lat = {r: run.worst(run.find(case, r), "lat_max_ns") if run.find(case, r) else math.nan
                       for r in RATIO_REFS}
            for mode in MODES:
                k = run.find(case, mode)
                if not k:
                    continue
                tp, lat = run.median(k, "ops_per_s"), run.worst(k, "lat_max_ns")
                out.append((case, mode) + tuple(_ratio(tp, ref_tp[r]) for r in RATIO_REFS)
                           + tuple(_ratio(ref_lat[r], lat) for r in RATIO_REFS))
    return out


# ---- reasons for unmet targets -------------------------------------------------------------
# One paragraph per target that has an unmet row: the known cause, from targets.json, with the
# figures of the same run that show it filled in (not a verdict: the rows above are the verdicts).

def _max_over(run, workload, design, counter, pick=max):
    vals = [run.worst(k, counter) for k in (run.find(c, design) for c in run.cases(workload)) if k]
    vals = [v for v in vals if not math.isnan(v)]
    return pick(vals) if vals else math.nan


def _reason_fastpath(run, fastpath):
    designs = (fastpath or {}).get("designs", {})
    fair, usual = designs.get(FAIR, {}), designs.get(USUAL, {}).get("instr_per_pair")
    where = fastpath_breakdown(fair.get("functions"))
    if not where or usual is None:
        return None
    limit = T["fast-path"]["limits"]["usual"]
    lib = sum(v for n, v in fair.get("functions", {}).items() if n.startswith("lp_"))
    rest = fair.get("instr_per_pair", math.nan) - lib
    return fill(T["fast-path"]["why"], breakdown=where, limit=f"{limit:g}", allowed=f"{limit * usual:.0f}",
                rest=f"{rest:.0f}")


def _rate(run, workload, design, threads=None):
    vals = [run.median(run.find(c, design), "ops_per_s") for c in run.cases(workload)
            if run.find(c, design) and (threads is None or c.threads == threads)]
    vals = [v for v in vals if not math.isnan(v)]
    return min(vals) if vals else math.nan


def _reason_storm(run):
    cpus = _cpus(run)
    lp = min((_rate(run, "try_get_storm", d) for d in MODES), default=math.nan)
    lp1 = _rate(run, "uncontended", FAIR, threads=1)
    pth, pth1 = _rate(run, "try_get_storm", USUAL), _rate(run, "uncontended", USUAL, threads=1)
    if not cpus or any(math.isnan(v) for v in (lp, lp1, pth, pth1)) or lp1 <= 0 or pth1 <= 0:
        return None
    return fill(T["storm"]["why"], cpus=cpus, lp_rate=f"{lp / 1e6:.0f}M", lp_share=f"{100 * lp / (cpus * lp1):.0f}%",
                lp_single=f"{lp1 / 1e6:.0f}M", usual_rate=f"{pth / 1e6:.1f}M",
                usual_share=f"{100 * pth / (cpus * pth1):.0f}%", usual_single=f"{pth1 / 1e6:.0f}M")


def _reason_fairness(run):
    why = T["fair"]["why_fairness"]
    fifo = _max_over(run, "get_hold", FAIR, "fifo_violations_per_m")
    cpus = _cpus(run)
    small = [c for c in run.cases("get_hold") if cpus and c.threads <= cpus]
    jain_small = min((run.worst(run.find(c, FAIR), "jain") for c in small if run.find(c, FAIR)), default=math.nan)
    text = ""
    if fifo == 0:
        text += fill(why["fifo_zero"])
    elif not math.isnan(fifo):
        text += fill(why["fifo_some"], fifo=f"{fifo:g}")
    text += fill(why["shares"])
    if not math.isnan(jain_small):
        text += fill(why["small"], jain_small=f"{jain_small:.4f}")
    return text + "."


def _reason_latency(run):
    m = _max_over(run, "get_hold", NO_POOL, "lat_max_ns", pick=min)
    f = _max_over(run, "get_hold", FAIR, "lat_max_ns", pick=min)
    if math.isnan(m) or math.isnan(f):
        return None
    return fill(T["fair"]["why_latency"]["text"], no_pool_max=_fmt_ns(m), mode_max=_fmt_ns(f),
                limit=f"{T['fair']['limits']['latency']:g}")


def _reason_bounded(run):
    f = _max_over(run, "get_hold", FAIR, "lat_max_ns")
    b = _max_over(run, "get_hold", BOUNDED, "lat_max_ns")
    if math.isnan(f) or math.isnan(b):
        return None
    return fill(T["bounded"]["why"], fair_max=_fmt_ns(f), mode_max=_fmt_ns(b),
                limit=_fmt_ns(bounded_limit_ns(run) or math.nan))


def bounded_limit_ns(run):
    """The bounded target's latency limit: its multiple of the fairness bound the run's bounded
    mode ran with (lp_design_params' fairness_bound_ns); None if the run does not record it."""
    bound = run.design_params(BOUNDED).get("fairness_bound_ns")
    if not isinstance(bound, (int, float)) or isinstance(bound, bool) or bound <= 0:
        return None
    return T["bounded"]["limits"]["bound_multiple"] * bound


def retry_wakes(run):
    """The retry-wake limit the run's barging mode ran with, from its context (lp_design_params'
    retry_wakes; runs made before it: lp_retry_wakes, "default (4)" or the number given), as text;
    None if the run does not record it."""
    wakes = run.design_params(BARGING).get("retry_wakes")
    if isinstance(wakes, int) and not isinstance(wakes, bool):
        return str(wakes)
    m = re.search(r"\d+", str(run.context.get("lp_retry_wakes", "")))
    return m.group(0) if m else None


def _throughput_by_threads(run, workload, design):
    """{threads: the design's median throughput} over the workload's cases (NaN medians left out)."""
    per = {c.threads: run.median(run.find(c, design), "ops_per_s")
           for c in run.cases(workload) if run.find(c, design)}
    return {t: v for t, v in per.items() if not math.isnan(v)}


def _scaling_shares(run, designs, threads):
    """{design: throughput at `threads` ÷ its best} in the scaling target's workload, and the
    slots of the case it was measured in."""
    vals, slots = {}, None
    for d in designs:
        per = _throughput_by_threads(run, T["scaling"]["workload"], d)
        if per and threads in per and max(per.values()) > 0:
            vals[d] = per[threads] / max(per.values())
            slots = slots or next(c.slots for c in run.cases(T["scaling"]["workload"]) if c.threads == threads)
    return vals, slots


def _reason_scaling(run):
    t = T["scaling"]
    why, threads, limit = t["why"], t["at_threads"], t["limits"]["best"]
    unlimited, fifo_locks = ROLES["barging_unlimited"], ROLES["fifo_locks"]
    vals, slots = _scaling_shares(run, [FAIR, BARGING, BOUNDED, unlimited] + fifo_locks, threads)
    if FAIR not in vals:
        return None
    text = fill(why["fair"], fair_kept=f"{100 * vals[FAIR]:.0f}%", threads=threads,
                slots=f"{slots} slot" + ("" if slots == 1 else "s"))
    kept_locks = ", ".join(f"{d} {100 * vals[d]:.0f}%" for d in fifo_locks if d in vals)
    text += (fill(why["fifo_locks"], fifo_locks_kept=kept_locks) if kept_locks else "") + ")."
    shares = [(d, vals[d]) for d in (BARGING, BOUNDED) if d in vals]
    wakes = retry_wakes(run)
    if shares and wakes is not None:
        kept = " and ".join(f"{d}{' keeps' if i == 0 else ''} {100 * v:.0f}%" for i, (d, v) in enumerate(shares))
        text += fill(why["barging"], kept=kept, retry_wakes=wakes)
        if unlimited in vals:
            text += fill(why["unlimited"], unlimited_kept=f"{100 * vals[unlimited]:.0f}%")
        text += "."
        if any(v < limit for _, v in shares):
            text += fill(why["low"], limit=f"{limit:.0%}")
    return text


def _sqlite_cells(run, unmet):
    cells = []
    for case in sqlite_cases(run):
        judged = [d for d in sqlite_designs(run) if any(r.what.startswith(
            f"sqlite_pool slots={case.slots} threads={case.threads}: {d} ") for r in unmet)]
        if not judged:
            continue
        parts = []
        for d in judged + [USUAL]:
            k = run.find(case, d)
            if k:
                parts.append(f"{d} {100 * run.median(k, 'sqlite_share'):.0f}% inside SQLite, "
                             f"{100 * run.median(k, 'reacquire_frac'):.0f}% of grants back to the releasing thread")
        cells.append(f"at {case.threads} threads / {case.slots} connections: " + "; ".join(parts))
    return cells


def _reason_sqlite(run, rows):
    """Why a judged design is behind the usual pool on sqlite_pool, from the same run: where a
    query's time goes (inside SQLite vs waiting for a connection), how often a released connection
    went back to the thread that released it, and how the other modes did."""
    why = T["sqlite"]["why"]
    unmet = [r for r in rows if r.target == "sqlite" and r.verdict == NOT_MET]
    cells = _sqlite_cells(run, unmet) if unmet else []
    if not cells:
        return None
    cpus = _cpus(run)
    text = fill(why["intro"], cells=" — ".join(cells))
    if cpus and any(f": {FAIR} " in r.what for r in unmet):
        text += fill(why["fair"], cpus=cpus)
    if any(f": {BARGING} " in r.what for r in unmet):
        barging = [f"Jain {run.median(k, 'jain'):.2f} and a worst query of "
                   f"{_fmt_ns(run.worst(k, 'query_max_ns'))} at {case.threads} threads"
                   for case in sqlite_cases(run) for k in [run.find(case, BARGING)] if k]
        if barging:
            text += fill(why["barging"], cells=", ".join(barging))
    others = [f"{d} {_fmt_ratio(_ratio(run.median(k, 'ops_per_s'), run.median(b, 'ops_per_s')))} at {case.threads} threads"
              for case in sqlite_cases(run) for b in [run.find(case, USUAL)] for d in MODES
              for k in [run.find(case, d)] if k and b and d not in sqlite_designs(run)]
    if others:
        text += fill(why["others"], cells=", ".join(others))
    return text.strip()


def _share(x):
    return "-" if x is None or math.isnan(x) or x < 0 else _trunc(x, 2)


def _time_parts(sample, thread):
    """(on a CPU, runnable waiting for one, asleep) as fractions of one thread's time around its
    loop, from the detail file's per-thread vectors; None without them."""
    v = sample.threads
    try:
        wall, cpu, runq = v["wall_ns"][thread], v["cpu_ns"][thread], v["runq_ns"][thread]
    except (KeyError, IndexError):
        return None
    if wall <= 0 or runq < 0:
        return None
    return cpu / wall, runq / wall, max(0.0, wall - cpu - runq) / wall


def _extremes(sample, per_thread):
    """The time parts of the thread with the least and the one with the most of `per_thread`
    (a vector of one repetition), or None."""
    if not per_thread:
        return None
    lo = _time_parts(sample, per_thread.index(min(per_thread)))
    hi = _time_parts(sample, per_thread.index(max(per_thread)))
    return (lo, hi) if lo and hi else None


def _served(sample):
    """The time parts of the least- and the most-served thread (by ops) of one repetition, or None."""
    return _extremes(sample, sample.thread_ops)


def _pct(parts):
    return " / ".join(f"{100 * x:.0f}%" for x in parts)


def _served_split(sample):
    """'least-served thread 8% / 12% / 80%, most-served 9% / 12% / 78%' for one repetition, or ""."""
    served = _served(sample)
    return f"least-served thread {_pct(served[0])}, most-served {_pct(served[1])}" if served else ""


# (ops counter, CPU-time counter, ops-per-CPU-second counter) of each fairness line (bench/JSON.md).
_SHARE_COUNTERS = {"minmax": ("minmax_share", "cpu_minmax_share", "ops_per_cpu_minmax_share"),
                   "jain": ("jain", "cpu_jain", "ops_per_cpu_jain")}


def _shares_of(run, key, line):
    """(ops, CPU time, ops per CPU-second, the repetition) of the least fair repetition by the ops
    counter of `line` ('minmax' or 'jain'); None if the design did not run there."""
    ops_c, cpu_c, per_c = _SHARE_COUNTERS[line]
    s = run.least_sample(key, ops_c) if key else None
    if s is None:
        return None
    return s.get(ops_c), s.get(cpu_c), s.get(per_c), s


def _measured(x):
    return x is not None and not math.isnan(x) and x >= 0


def _shares_text(name, shares, with_split):
    ops, cpu, per, s = shares
    text = f"{name} ops {_share(ops)}, CPU time {_share(cpu)}, per CPU-second {_share(per)}"
    split = _served_split(s) if with_split else ""
    return text + (f" ({split})" if split else "")


def _default_share_cases(run, default, line, limit):
    """[(case, the default's shares, the usual pool's shares)] for each held case where the
    default design's least fair repetition is below `limit` on `line`."""
    out = []
    for c in _held_cases(run):
        mine = _shares_of(run, run.find(c, default), line)
        if mine is not None and mine[0] < limit:
            out.append((c, mine, _shares_of(run, run.find(c, USUAL), line)))
    return out


def _reason_shares(run, t, default):
    """The fairness lines' measurement: per unmet case, the default's (and the usual pool's) ops,
    CPU-time and ops-per-CPU-second shares, the served threads' time split, and which of them is
    below the limit."""
    why, limit = t["why"], t["limits"]["minmax"]
    low = _default_share_cases(run, default, "minmax", limit)
    jain_limit = t["limits"]["jain"]
    low_jain = _default_share_cases(run, default, "jain", jain_limit)
    cases = low or low_jain
    if not cases:
        return ""
    if not any(_measured(mine[1]) and _measured(mine[2]) for _, mine, _ in cases):
        return fill(why["not_measured"])
    text = ""
    if low:
        cells = []
        for c, mine, usual in low:
            cell = f"{c.workload} {_where(c)} (repetition {mine[3].repetition}): " + _shares_text(default, mine, True)
            if usual is not None:
                cell += "; " + _shares_text(USUAL, usual, False)
            cells.append(cell)
        text += fill(why["shares"], cells=" — ".join(cells))
        groups = {"even_per_cpu": [], "uneven_equal_cpu": [], "uneven_both": []}
        for c, (_, cpu, per, _s), _u in low:
            if not (_measured(cpu) and _measured(per)):
                continue
            kind = "even_per_cpu" if per >= limit else "uneven_equal_cpu" if cpu >= limit else "uneven_both"
            groups[kind].append(f"{c.workload} {_where(c)}")
        for kind, where in groups.items():
            if where:
                text += fill(why[kind], cases=_cases_text(where, len(low)), limit=f"{limit:g}")
        text += _cpu_cause(why, low, limit)
    if low_jain:
        cells = [f"{c.workload} {_where(c)} {_jain(mine[0])} / {_jain(mine[1])} / {_jain(mine[2])}"
                 for c, mine, _ in low_jain]
        text += fill(why["jain"], limit=f"{jain_limit:g}", cells=", ".join(cells))
    return text.strip()


def _cpu_cause(why, low, limit):
    """Where the missing CPU time of the thread with the least CPU time went, against the thread
    with the most, in the cases whose CPU-time share is below the limit: more time asleep (parked
    in the pool) or more time runnable but waiting for a CPU (withheld by the scheduler),
    whichever differs more."""
    groups = {"cpu_asleep": [], "cpu_runq": []}
    for c, (_, cpu, _p, sample), _u in low:
        parts = _extremes(sample, sample.threads.get("cpu_ns")) if _measured(cpu) and cpu < limit else None
        if not parts:
            continue
        (_, rq_lo, sl_lo), (_, rq_hi, sl_hi) = parts
        cell = (f"{c.workload} {_where(c)}: asleep {100 * sl_lo:.0f}% vs {100 * sl_hi:.0f}%, "
                f"waiting for a CPU {100 * rq_lo:.0f}% vs {100 * rq_hi:.0f}%")
        groups["cpu_asleep" if sl_lo - sl_hi > rq_lo - rq_hi else "cpu_runq"].append(cell)
    return "".join(fill(why[kind], cells="; ".join(cells)) for kind, cells in groups.items() if cells)


def _jain(x):
    return "-" if not _measured(x) else _trunc(x, 3)


def _cases_text(where, total):
    """'2 of 6 cases (get_hold slots=1, 8 threads; ...)' or 'all 6 cases'."""
    if len(where) == total:
        return f"each of the {total} cases" if total > 1 else "that case"
    return f"{len(where)} of {total} cases ({'; '.join(where)})"


def _reason_over(run, t, default):
    """The rotation's cost in the most oversubscribed case, with the bench's own counters where the
    run has them: voluntary context switches per 1000 pairs and time asleep, against BARGING's."""
    why = t["why"]
    text = fill(why["over"], bound=default_bypass_bound(run) or "bound")
    most, top = _most_threads(run, "oversubscribed")
    cells = []
    for c in top:
        for d in (default, BARGING):
            k = run.find(c, d)
            vcsw, asleep = (run.median(k, "vcsw_per_kop"), run.median(k, "asleep_frac")) if k else (math.nan,) * 2
            if _measured(vcsw):
                cell = f"{d} {vcsw:.2f} voluntary context switches per 1000 pairs"
                cells.append(cell + (f", {100 * asleep:.0f}% of the threads' time asleep" if _measured(asleep) else ""))
    if cells:
        text += fill(why["over_measured"], threads=_threads(most), cells="; ".join(cells))
    return text


def _spread_text(vals, counter):
    """'median M (low–high over N repetitions)' of one design's per-repetition values."""
    fmt = _fmt_ns if counter.endswith("_ns") else (lambda v: f"{v / 1e6:.2f}M")
    return f"{fmt(statistics.median(vals))} ({fmt(min(vals))}–{fmt(max(vals))} over {len(vals)} repetitions)"


def _wait_in_releases(run, t, case, key):
    """The default design's oldest wait in releases in `case` (max_wait_releases, else max_bypass
    from a run without it) and how long that many releases take at the case's median rate."""
    for counter in ("max_wait_releases", "max_bypass"):
        w = run.worst(key, counter)
        if _measured(w) and w >= 0:
            break
    else:
        return ""
    rate = run.median(key, "ops_per_s")
    if not _measured(rate) or rate <= 0:
        return ""
    return fill(t["why"]["wait_time"], counter=counter, releases=f"{w:,.0f}", rate=f"{rate / 1e6:.2f}M",
                time=_fmt_ns(1e9 * w / rate))


def _reason_spread(run, t, default, key, cases, counter, misses, pick=None, extra=None):
    """For each case where the default design misses the line against the usual pool (by the
    medians, or `pick`), both designs' per-repetition values side by side, whether their ranges
    overlap (a miss inside the run-to-run spread is not a measured difference), and `extra`'s words
    for the case."""
    why = t["why"]
    pick = pick or run.median
    cells, inside = [], 0
    for c in cases:
        k, u = run.find(c, default), run.find(c, USUAL)
        mine, ref = (run.values(k, counter) if k else []), (run.values(u, counter) if u else [])
        if not mine or not ref or pick(u, counter) <= 0 or not misses(pick(k, counter), pick(u, counter)):
            continue
        overlap = not (max(mine) < min(ref) or max(ref) < min(mine))
        inside += overlap
        cells.append(fill(why["spread_cell"], workload=c.workload, where=_where(c), mine=_spread_text(mine, counter),
                          ref=USUAL, theirs=_spread_text(ref, counter),
                          overlap=why["spread_overlap"] if overlap else why["spread_apart"])
                     + (extra(c, k) if extra else ""))
    if not cells:
        return None
    return fill(why[key], cells="; ".join(cells), inside=inside, total=len(cells),
                bound=default_bypass_bound(run) or "bound")


def _reason_over_best(run, t, default):
    """The default design at its best thread count against its most-threaded one in the
    oversubscribed workload: throughput, voluntary context switches per 1000 pairs, time asleep."""
    per = _throughput_by_threads(run, "oversubscribed", default)
    if len(per) < 2:
        return None
    cells = []
    for threads in sorted({max(per, key=per.get), max(per)}):
        key = next((run.find(c, default) for c in run.cases("oversubscribed") if c.threads == threads), None)
        vcsw, asleep = (run.median(key, "vcsw_per_kop"), run.median(key, "asleep_frac")) if key else (math.nan,) * 2
        cell = f"{_threads(threads)} {per[threads] / 1e6:.2f}M pairs/s"
        if _measured(vcsw) and _measured(asleep):
            cell += f", {vcsw:.2f} voluntary context switches per 1000 pairs, {100 * asleep:.0f}% asleep"
        cells.append(cell)
    best, cpus = max(per, key=per.get), _cpus(run)
    fits = fill(t["why"]["over_best_fits"]) if cpus and best <= cpus < max(per) else ""
    return fill(t["why"]["over_best"], cells="; ".join(cells)) + fits


def _reason_default(run, rows):
    """Why the default design misses a fairness, oversubscription or bypass line, each part given
    only when its line is unmet, from the run's own measurements."""
    t, default = T.get("default"), ROLES.get("default")
    if not t or not default:
        return None
    unmet = [r.what for r in rows if r.target == "default" and r.verdict == NOT_MET]
    lim = t["limits"]

    def missed(key, **values):
        return fill(t["what"][key], **values) in unmet

    parts = []
    if missed("hold", limit=f"{lim['hold']:g}", ref=USUAL):
        parts.append(_reason_spread(run, t, default, "hold", run.cases("get_hold"), "ops_per_s",
                                    lambda mine, ref: mine / ref < lim["hold"]))
    if missed("latency", ref=USUAL):
        parts.append(_reason_spread(run, t, default, "latency", _held_cases(run), "lat_max_ns",
                                    lambda mine, ref: mine / ref > lim["latency"], pick=run.worst,
                                    extra=lambda c, k: _wait_in_releases(run, t, c, k)))
    over_best = any(missed("over_best", threads=_threads(c.threads), limit=f"{lim['over_best']:.0%}")
                    for c in run.cases("oversubscribed"))
    if over_best or any(missed("over", threads=_threads(c.threads), limit=f"{lim['over_barging']:g}", ref=BARGING)
                        for c in run.cases("oversubscribed")):
        parts.append(_reason_over(run, t, default))
    if over_best:
        parts.append(_reason_over_best(run, t, default))
    if missed("jain", limit=f"{lim['jain']:g}") or missed("minmax", limit=f"{lim['minmax']:g}"):
        parts.append(_reason_shares(run, t, default))
    if missed("bypass", bound=default_bypass_bound(run) or "bound"):
        parts.append(fill(t["why"]["bypass"]))
    if missed("wait", bound=default_bypass_bound(run) or "bound"):
        parts.append(fill(t["why"]["wait"]))
    text = " ".join(p for p in parts if p)
    return text or None


def _range_text(vals):
    return f"{min(vals) / 1e6:.1f}M", f"{max(vals) / 1e6:.1f}M"


def default_storm_what():
    """The default design's storm line against the FIFO mode, as the table words it."""
    t = T.get("default") or {}
    if "what" not in t:
        return None
    return fill(t["what"]["storm"], limit=f"{t['limits']['storm_fair']:g}", ref=FAIR)


def _reason_default_storm(run, fastpath):
    """The default design against the FIFO mode in the storm: both designs' repetitions (do their
    ranges overlap?) in the worst case, and both fast paths' instructions per pair."""
    t, default = T.get("default"), ROLES.get("default")
    if not t or not default:
        return None
    why = t["why"]
    w, at = _worst_ratio(run, "try_get_storm", default, FAIR, cases=_contended_cases(run, "try_get_storm"))
    if at is None:
        return None
    mine, fair = run.values(run.find(at, default), "ops_per_s"), run.values(run.find(at, FAIR), "ops_per_s")
    apart = max(mine) < min(fair) or max(fair) < min(mine)
    overlap = fill(why["storm_apart"] if apart else why["storm_overlap"], ratio=_fmt_ratio(w))
    designs = (fastpath or {}).get("designs", {})
    instr, fair_instr = (designs.get(d, {}).get("instr_per_pair") for d in (default, FAIR))
    if isinstance(instr, (int, float)) and isinstance(fair_instr, (int, float)):
        fp = fill(why["storm_fastpath"], instr=f"{instr:.1f}", fair_instr=f"{fair_instr:.1f}",
                  same=": the same count" if instr == fair_instr else f": {instr - fair_instr:+.1f} for {default}")
    else:
        fp = fill(why["storm_no_fastpath"])
    low, high = _range_text(mine)
    fair_low, fair_high = _range_text(fair)
    return fill(why["storm"], threads=_threads(at.threads), median=f"{statistics.median(mine) / 1e6:.1f}M",
                fair_median=f"{statistics.median(fair) / 1e6:.1f}M", low=low, high=high, fair_low=fair_low,
                fair_high=fair_high, overlap=overlap, fastpath=fp)


def reasons(run, rows, fastpath=None):
    """[(target, paragraph)] for each target with an unmet row and a known cause. A paragraph
    that explains only some rows of its target (targets.json "explains": words those rows say) is
    given only when one of those rows is unmet."""
    fair = T["fair"]
    storm_what = default_storm_what()
    makers = [("fast-path", [], lambda: _reason_fastpath(run, fastpath)),
              ("storm", T["storm"]["explains"], lambda: _reason_storm(run)),
              ("fair", fair["why_fairness"]["explains"], lambda: _reason_fairness(run)),
              ("fair", fair["why_latency"]["explains"], lambda: _reason_latency(run)),
              ("barging", [], lambda: fill(T["barging"]["why"])),
              ("bounded", [], lambda: _reason_bounded(run)),
              ("scaling", [], lambda: _reason_scaling(run)),
              ("sqlite", [], lambda: _reason_sqlite(run, rows)),
              ("default", T.get("default", {}).get("explains", []), lambda: _reason_default(run, rows)),
              ("default", [storm_what] if storm_what else [], lambda: _reason_default_storm(run, fastpath))]
    out = []
    for target, words, make in makers:
        words = [fill(w) for w in words]
        if not any(r.target == target and r.verdict == NOT_MET and (not words or any(w in r.what for w in words))
                   for r in rows):
            continue
        text = make()
        if text:
            out.append((target, text))
    return out
