"""What each design and workload is, and how every plot draws a design.

Everything about a design comes from the run: its one-line description and its promises are the
C registry's, written by the bench into the JSON context (`lp_design_summaries`,
`lp_design_flags`; bench/JSON.md), and its look is picked by its place in the registry's order
(results.Run.design_order), which the bench keeps from run to run. So a design added to the
registry appears here, in the report and in every plot without a change to these scripts.

The palette is Paul Tol's colour-blind-safe "muted" set plus black and grey; markers tell apart
what colour alone might not, and a design past the palette's length gets a dashed line (hatched
bars) so it differs from the one that shares its colour."""
import json
import zlib

from . import results

# Paul Tol, "muted" (colour-blind safe; https://personal.sron.nl/~pault/), black and a mid grey.
INDIGO, CYAN, TEAL, GREEN, OLIVE, SAND, ROSE, WINE, PURPLE = (
    "#332288", "#88CCEE", "#44AA99", "#117733", "#999933", "#DDCC77", "#CC6677", "#882255", "#AA4499")
BLACK, GREY = "#000000", "#777777"
PALETTE = [BLACK, INDIGO, ROSE, TEAL, PURPLE, OLIVE, CYAN, GREEN, WINE, SAND, GREY]
MARKERS = ["o", "s", "^", "D", "v", "P", "X", "*", "<", ">", "h", "p", "d", "8"]
LINESTYLES = ["-", "--", "-.", ":"]

# What each workload does (bench/README.md has the full table).
WORKLOADS = {
    "uncontended": "one thread, try_get + put in a loop: the fast path's cost",
    "try_get_storm": "every thread try_gets (retrying on EMPTY) then puts, no work in between: "
                     "raw contention on the slots",
    "get_hold": "blocking get, hold the object, put, think: more threads than slots, so always waiters",
    "oversubscribed": "far more threads than CPUs and slots, short holds: waiters that are not running",
    "async": "event loops whose tasks queue with lp_get_async and are woken by the releasing thread "
             "(designs with an async path only)",
    "sqlite_pool": "a pool of SQLite connections to one database: get a connection, run one query, "
                   "put it back, think",
}


def _index(run, design):
    """The design's place in the run's registry order; a design the run does not list (e.g. one
    measured only by callgrind) gets a place after them, from its name's CRC."""
    order = run.design_order()
    if design in order:
        return order.index(design)
    return len(order) + zlib.crc32(design.encode()) % len(PALETTE)


def style(run, design):
    """matplotlib keyword arguments for a line of this design: the same in every plot of a run,
    and in every run whose registry lists the same designs before it."""
    i = _index(run, design)
    return dict(color=PALETTE[i % len(PALETTE)], marker=MARKERS[i % len(MARKERS)],
                linestyle=LINESTYLES[(i // len(PALETTE)) % len(LINESTYLES)], linewidth=1.8, markersize=5)


def hatch(run, design):
    """Bar hatching for a design that shares its colour with an earlier one (a non-solid line)."""
    return "//" if style(run, design)["linestyle"] != "-" else None


def flags(run):
    """{design: [promise, ...]} from the run's context, {} if it records none or is unreadable."""
    try:
        return run.design_flags() or {}
    except ValueError:
        return {}


def is_reference(run, design):
    """A measuring stick, not a pool a user would pick (no slot limit: malloc), so never named a
    winner: a design whose recorded promises lack "bounded". Runs without promises have none."""
    promised = flags(run)
    return design in promised and "bounded" not in promised[design]


def summaries(run):
    """{design: one-line description} as the run's context records them (the C registry's)."""
    raw = run.context.get(results.DESIGN_SUMMARIES_KEY)
    try:
        recorded = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        recorded = None
    return {str(k): str(v) for k, v in recorded.items()} if isinstance(recorded, dict) else {}


def summary(run, design):
    return summaries(run).get(design) or "(no description recorded in this run)"


def workload_summary(workload):
    return WORKLOADS.get(workload, "(no description: see bench/README.md)")
