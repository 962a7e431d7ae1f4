"""What each design and workload is, and how every plot draws a design.

One place for a design's look: a fixed colour, marker and line style, the same in every plot of
every run. The palette is Paul Tol's colour-blind-safe "muted" set plus black and grey; markers
tell apart what colour alone might not. A design not in the table still gets a stable look: a
variant of a known design (`lockpool-fair-scan0`, or any `NAME-suffix`) takes its parent's colour
with a dashed line and its own marker; any other name gets a colour from its name's CRC, so it is
the same in every plot and every run.

The one-line descriptions come from the run itself when the bench recorded them (context key
`lp_design_summaries`: the C registry's `summary` field), else from the table below (runs made
before the bench recorded them)."""
import json
import zlib

# Paul Tol, "muted" (colour-blind safe; https://personal.sron.nl/~pault/), black and a mid grey.
INDIGO, CYAN, TEAL, GREEN, OLIVE, SAND, ROSE, WINE, PURPLE = (
    "#332288", "#88CCEE", "#44AA99", "#117733", "#999933", "#DDCC77", "#CC6677", "#882255", "#AA4499")
BLACK, GREY = "#000000", "#777777"
PALETTE = [INDIGO, ROSE, TEAL, OLIVE, PURPLE, GREEN, WINE, CYAN, GREY, BLACK]
MARKERS = ["o", "s", "^", "D", "v", "P", "X", "*", "<", ">", "h", "p", "d", "8"]

# design: (colour, marker). LockPool's modes are drawn thicker.
_KNOWN = {
    "lockpool": (BLACK, "o"),
    "lockpool-fair": (INDIGO, "s"),
    "lockpool-barging": (ROSE, "^"),
    "lockpool-bounded": (TEAL, "D"),
    "pthread": (OLIVE, "v"),
    "spin-ttas": (CYAN, "P"),
    "spin-ticket": (PURPLE, "X"),
    "urcu": (GREEN, "*"),
    "ck-mcs": (WINE, "<"),
    "malloc": (GREY, ">"),
    "bare-cas": (SAND, "h"),
}

# Runs written before the bench recorded each design's summary (lp_design_summaries).
_SUMMARIES = {
    "lockpool": "LockPool's default mode (RESTRICTED): running threads take free slots, at most a few "
                "waiters woken at a time, the oldest waiter handed a slot after a bounded number of bypasses",
    "lockpool-fair": "LockPool FAIR: strict FIFO, each release hands its slot to the oldest waiter; "
                     "lock-free try_get/put; waiters spin briefly, then sleep on a futex",
    "lockpool-barging": "LockPool BARGING: a release frees the slot and wakes the oldest waiter, a running "
                        "newcomer may take it first (at most 4 retry wakes in flight)",
    "lockpool-bounded": "LockPool BOUNDED: barging, but a waiter older than 1 ms gets a direct hand-off",
    "lockpool-fair-scan0": "lockpool-fair with try_get scanning from slot 0 instead of a per-thread start "
                           "(the original crate's hot first slot): shows what the spread start buys",
    "lockpool-barging-wakeall": "lockpool-barging without the retry-wake limit (lp_set_retry_wakes 0): every "
                                "release with waiters wakes one, to show what the limit buys",
    "pthread": "mutex + condition variable around a free stack: blocking, not FIFO (a woken waiter "
               "re-competes with newcomers)",
    "spin-ttas": "test-and-test-and-set spinlock with backoff around a free stack: waiters spin, "
                 "barging, starvation possible",
    "spin-ticket": "ticket spinlock around a free stack: the lock is FIFO, the slots are not; "
                   "collapses when the next ticket's thread is not running",
    "urcu": "liburcu lock-free stack, an RCU grace period before a slot is reused (ABA-safe), "
            "futex waits: barging",
    "ck-mcs": "Concurrency Kit MCS queue lock around a free stack: the lock is FIFO, the slots are not; "
              "waiters spin",
    "malloc": "no pool at all: jemalloc malloc/free per get/put, nobody ever waits (the ceiling a pool "
              "cannot beat, not a candidate)",
    "bare-cas": "one compare-and-swap on one word (fast-path floor, measured by callgrind only)",
}

# Designs that are measuring sticks, not pools a user would pick: never named the winner.
REFERENCES = {"malloc", "bare-cas"}

# What each workload does (bench/README.md has the full table).
WORKLOADS = {
    "uncontended": "one thread, try_get + put in a loop: the fast path's cost",
    "try_get_storm": "every thread try_gets (retrying on EMPTY) then puts, no work in between: "
                     "raw contention on the slots",
    "get_hold": "blocking get, hold the object, put, think: more threads than slots, so always waiters",
    "oversubscribed": "far more threads than CPUs and slots, short holds: waiters that are not running",
    "async": "event loops whose tasks queue with lp_get_async and are woken by the releasing thread "
             "(LockPool designs only)",
    "sqlite_pool": "a pool of SQLite connections to one database: get a connection, run one query, "
                   "put it back, think",
}

SUMMARY_KEY = "lp_design_summaries"


def parent(design):
    """The longest known design that `design` extends with '-suffix', or None."""
    best = None
    for known in _KNOWN:
        if design.startswith(known + "-") and (best is None or len(known) > len(best)):
            best = known
    return best


def is_lockpool(design):
    return design == "lockpool" or design.startswith("lockpool-")


def style(design):
    """matplotlib keyword arguments for a line of this design: the same in every plot."""
    crc = zlib.crc32(design.encode())
    if design in _KNOWN:
        color, marker = _KNOWN[design]
        linestyle = "-"
    elif parent(design):
        color = _KNOWN[parent(design)][0]
        used = {m for _, m in _KNOWN.values()}
        spare = [m for m in MARKERS if m not in used] or MARKERS
        marker = spare[crc % len(spare)]
        linestyle = "--"
    else:
        color = PALETTE[crc % len(PALETTE)]
        marker = MARKERS[(crc // len(PALETTE)) % len(MARKERS)]
        linestyle = "-."
    return dict(color=color, marker=marker, linestyle=linestyle,
                linewidth=2.4 if is_lockpool(design) else 1.4, markersize=5)


def hatch(design):
    """Bar hatching: variants of a known design (dashed lines) are hatched in bar charts."""
    return "//" if style(design)["linestyle"] != "-" else None


def summaries(context):
    """{design: one-line description}: the run's own (the C registry's) where recorded, else ours."""
    out = dict(_SUMMARIES)
    raw = (context or {}).get(SUMMARY_KEY)
    if raw:
        try:
            recorded = json.loads(raw) if isinstance(raw, str) else raw
        except ValueError:
            recorded = None
        if isinstance(recorded, dict):
            out.update({str(k): str(v) for k, v in recorded.items()})
    return out


def summary(design, context=None):
    s = summaries(context).get(design)
    if s:
        return s
    p = parent(design)
    if p:
        return f"a variant of {p} (no description recorded in this run)"
    return "(no description recorded in this run)"


def workload_summary(workload):
    return WORKLOADS.get(workload, "(no description: see bench/README.md)")
