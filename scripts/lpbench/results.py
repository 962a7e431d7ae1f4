"""Reading lockpool-bench results: benchmark names, counters, repetitions, detail files.

Everything else in lpbench works on the `Run` defined here, so the JSON contract
(bench/JSON.md) is parsed in exactly one place."""
import json
import math
import re
import statistics
from collections import OrderedDict, namedtuple

# Workload order used in tables and plots (the harness's own order, bench/JSON.md).
WORKLOADS = ["uncontended", "try_get_storm", "get_hold", "get_hold_local", "get_hold_remote", "oversubscribed",
             "async", "sqlite_pool"]
# The remote-memory pair: get_hold with every thread on one NUMA node, storage on that node or another.
LOCAL_WORKLOAD, REMOTE_WORKLOAD = "get_hold_local", "get_hold_remote"

# (label, counter) pairs for the get-latency percentiles, in increasing order.
PERCENTILES = [("p50", "lat_p50_ns"), ("p90", "lat_p90_ns"), ("p99", "lat_p99_ns"),
               ("p99.9", "lat_p999_ns"), ("p99.99", "lat_p9999_ns"), ("max", "lat_max_ns")]

# Counters where a larger value is better; every other gated counter is "lower is better".
HIGHER_IS_BETTER = {"ops_per_s", "ops", "jain", "minmax_share", "full_concurrency", "cpu_jain", "cpu_minmax_share",
                    "ops_per_cpu_jain", "ops_per_cpu_minmax_share"}

# Per-thread vectors of each repetition in the detail file besides the ops (bench/JSON.md), under
# the names Sample.threads uses: time around the loop, CPU time, run-queue wait, context switches.
THREAD_DETAIL = {"wall_ns": "thread_wall_ns_per_rep", "cpu_ns": "thread_cpu_ns_per_rep",
                 "runq_ns": "thread_runq_ns_per_rep", "vcsw": "thread_vcsw_per_rep",
                 "ivcsw": "thread_ivcsw_per_rep"}

# sqlite_pool's whole-query latency (get + query + put), in increasing order (bench/JSON.md).
QUERY_PERCENTILES = [("p50", "query_p50_ns"), ("p90", "query_p90_ns"), ("p99", "query_p99_ns"),
                     ("p99.9", "query_p999_ns"), ("max", "query_max_ns")]

# Counters renamed since older runs were written: {current name: old name}. Readers ask for the
# current name; a row that only has the old one answers under the new name.
RENAMED = {"cv_thread_ops": "cv"}

# Context key with each design's promises (the LPD_* flags of the C design registry), a JSON
# object {design: ["fifo", "bounded", ...]} in the registry's order (bench/JSON.md).
DESIGN_FLAGS_KEY = "lp_design_flags"
# Context key with each design's one-line description, {design: "..."}, same order.
DESIGN_SUMMARIES_KEY = "lp_design_summaries"
# Context key with each design's settings as its init applies them, {design: {setting: value}}
# (LockPool: mode, bypass_bound, retry_wakes, fairness_bound_ns), same order.
DESIGN_PARAMS_KEY = "lp_design_params"

# Aggregates over the repetitions of one benchmark, defined here once and used by the report, the
# plots and the targets: `median` is the typical repetition; `worst` the least favourable one
# (the smallest value of a counter in HIGHER_IS_BETTER, the largest of any other). Per-repetition
# values are the bench's own counters (Jain's index, min/max share, ...): nothing is recomputed.

_NAME_RE = re.compile(
    r"^(?P<workload>[^/]+)/(?P<design>[^/]+)"
    r"/slots:(?P<slots>\d+)/waiters:(?P<waiters>\d+)"
    r"/hold_ns:(?P<hold_ns>\d+)/think_ns:(?P<think_ns>\d+)"
    r"(?:/[a-z_]+(?::\d+(?:\.\d+)?s?)?)*?"          # manual_time (older: real_time), min_time:..., iterations:...
    r"(?:/threads:(?P<threads>\d+))?$")
_AGGREGATE_SUFFIX_RE = re.compile(r"_(mean|median|stddev|cv|min|max)$")
_THREAD_OPS_RE = re.compile(r"^t(\d+)_ops$")

Key = namedtuple("Key", "workload design slots waiters hold_ns think_ns threads")


def parse_name(name):
    """Split a benchmark name into a Key, or None if it is not a lockpool-bench name."""
    m = _NAME_RE.match(name)
    if not m:
        return None
    d = m.groupdict()
    return Key(d["workload"], d["design"], int(d["slots"]), int(d["waiters"]),
               int(d["hold_ns"]), int(d["think_ns"]), int(d["threads"] or 1))


def key_name(key):
    """The canonical benchmark name of a Key (inverse of parse_name)."""
    return (f"{key.workload}/{key.design}/slots:{key.slots}/waiters:{key.waiters}"
            f"/hold_ns:{key.hold_ns}/think_ns:{key.think_ns}/real_time/threads:{key.threads}")


def case_of(key):
    """The Key without its design: the cell of a design comparison."""
    return key._replace(design="*")


def case_label(key, with_threads=True):
    s = f"{key.workload} slots={key.slots} waiters={key.waiters}"
    if key.hold_ns or key.think_ns:
        s += f" hold={key.hold_ns}ns think={key.think_ns}ns"
    if with_threads:
        s += f" threads={key.threads}"
    return s


def numa_nodes(context):
    """The NUMA nodes of the run's machine from its lp_numa_nodes context ("node0:pu0-1 node1:pu2-3"),
    as a list of strings; None if the run does not record them."""
    text = context.get("lp_numa_nodes")
    if not isinstance(text, str) or not text.strip():
        return None
    return text.split()




class Sample:
    """One repetition of one benchmark: its counters and per-thread ops."""

    def __init__(self, key, row):
        self.key = key
        self.name = row.get("run_name", row["name"])
        self.repetition = int(row.get("repetition_index", 0))
        self.real_time = float(row.get("real_time", "nan"))
        self.cpu_time = float(row.get("cpu_time", "nan"))
        self.time_unit = row.get("time_unit", "ns")
        self.counters = {}
        per_thread = {}
        for k, v in row.items():
            if not isinstance(v, (int, float)) or isinstance(v, bool):
                continue
            m = _THREAD_OPS_RE.match(k)
            if m:
                per_thread[int(m.group(1))] = float(v)
            else:
                self.counters[k] = float(v)
        for new, old in RENAMED.items():
            if new not in self.counters and old in self.counters:
                self.counters[new] = self.counters[old]
        # Older runs carried per-thread ops as tNN_ops counters; newer ones in the detail file.
        self.thread_ops = [per_thread[i] for i in sorted(per_thread)]
        # {THREAD_DETAIL name: this repetition's per-thread vector}, from the detail file.
        self.threads = {}

    def get(self, counter, default=math.nan):
        return self.counters.get(counter, default)


class Run:
    """A lockpool-bench result file (+ optional detail file): samples grouped by Key."""

    def __init__(self, doc, detail=None, source=""):
        self.source = source
        self.context = dict(doc.get("context", {}))
        self.samples = OrderedDict()     # Key -> [Sample, ...] (one per repetition)
        self.names = {}                  # Key -> the benchmark's name as the run wrote it
        order = {}                       # Key -> GB registration order (family, instance)
        self.skipped = []                # names that did not parse or had errors
        aggregates = OrderedDict()       # Key -> median row, used only if no iteration rows
        for row in doc.get("benchmarks", []):
            name = row.get("run_name", row.get("name", ""))
            if row.get("error_occurred"):
                self.skipped.append(name)
                continue
            if row.get("run_type") == "aggregate":
                base = _AGGREGATE_SUFFIX_RE.sub("", row.get("run_name", row.get("name", "")))
                key = parse_name(base)
                if key and row.get("aggregate_name", "median") == "median":
                    aggregates[key] = Sample(key, dict(row, run_name=base))
                continue
            key = parse_name(name)
            if key is None:
                self.skipped.append(name)
                continue
            self.samples.setdefault(key, []).append(Sample(key, row))
            self.names.setdefault(key, name)
            order.setdefault(key, (row.get("family_index", 1 << 30), row.get("per_family_instance_index", 0)))
        # --benchmark_report_aggregates_only: fall back to the median rows.
        for key, sample in aggregates.items():
            self.samples.setdefault(key, [sample])
        # Random interleaving shuffles the rows: restore the harness's registration order
        # (workload, then design as lpd_designs() lists them), stable for rows without indices.
        # One process per workload restarts family_index at 0, so the workload order comes first.
        rank = {w: i for i, w in enumerate(WORKLOADS)}
        keys = sorted(self.samples, key=lambda k: (rank.get(k.workload, len(rank)), order.get(k, (1 << 30, 0))))
        self.samples = OrderedDict((k, self.samples[k]) for k in keys)
        self.detail = {}
        if detail:
            for name, d in detail.get("benchmarks", {}).items():
                key = parse_name(_AGGREGATE_SUFFIX_RE.sub("", name))
                if key is not None:
                    self.detail[key] = d
                    # Per-repetition thread ops, in repetition order (bench/JSON.md).
                    per_rep = d.get("thread_ops_per_rep") or []
                    for s in self.samples.get(key, []):
                        if not s.thread_ops and 0 <= s.repetition < len(per_rep):
                            s.thread_ops = [float(x) for x in per_rep[s.repetition]]
                        for name, field in THREAD_DETAIL.items():
                            vecs = d.get(field) or []
                            if 0 <= s.repetition < len(vecs) and isinstance(vecs[s.repetition], list):
                                s.threads[name] = [float(x) for x in vecs[s.repetition]]

    @classmethod
    def load(cls, path, detail_path=None):
        with open(path) as f:
            doc = json.load(f)
        detail = None
        if detail_path:
            with open(detail_path) as f:
                detail = json.load(f)
        return cls(doc, detail, source=str(path))

    def name_of(self, key):
        """The benchmark's name as this run wrote it (real_time or manual_time: the harness's
        timing mode changed once; Keys ignore it)."""
        return self.names.get(key) or key_name(key)

    def design_flags(self):
        """{design: [flag, ...]} from the context (the C registry's promises), or None for a run
        made before the bench recorded them. ValueError if the key is there but malformed."""
        raw = self.context.get(DESIGN_FLAGS_KEY)
        if raw is None:
            return None
        try:
            flags = json.loads(raw) if isinstance(raw, str) else raw
        except ValueError:
            raise ValueError(f"context key {DESIGN_FLAGS_KEY} is not JSON") from None
        if not isinstance(flags, dict) or not all(isinstance(v, list) for v in flags.values()):
            raise ValueError(f"context key {DESIGN_FLAGS_KEY} is not an object of flag lists")
        return {str(d): [str(f) for f in v] for d, v in flags.items()}

    def design_params(self, design):
        """{setting: value} of one design as the run's context records it ({} if the run does not
        record settings, or the design has none)."""
        raw = self.context.get(DESIGN_PARAMS_KEY)
        try:
            params = json.loads(raw) if isinstance(raw, str) else raw
        except ValueError:
            return {}
        mine = params.get(design) if isinstance(params, dict) else None
        return dict(mine) if isinstance(mine, dict) else {}

    # ---- selection -------------------------------------------------------------------
    def keys(self, workload=None, design=None, threads=None):
        return [k for k in self.samples
                if (workload is None or k.workload == workload)
                and (design is None or k.design == design)
                and (threads is None or k.threads == threads)]

    def workloads(self):
        seen = [k.workload for k in self.samples]
        order = [w for w in WORKLOADS if w in seen]
        return order + sorted(set(seen) - set(order))

    def design_order(self):
        """Every design this run knows, in the C registry's order as the context lists it (its
        promises, else its summaries), then any other design of the rows in their order. The
        order is stable from run to run, so a design's place in it can pick its look."""
        order = []
        for key in (DESIGN_FLAGS_KEY, DESIGN_SUMMARIES_KEY):
            raw = self.context.get(key)
            try:
                listed = json.loads(raw) if isinstance(raw, str) else raw
            except ValueError:
                listed = None
            if isinstance(listed, dict) and listed:
                order = [str(d) for d in listed]
                break
        for k in self.samples:
            if k.design not in order:
                order.append(k.design)
        return order

    def designs(self, workload=None):
        """The designs with rows (in this workload), in design_order()."""
        seen = {k.design for k in self.keys(workload=workload)}
        return [d for d in self.design_order() if d in seen]

    def counts_queries(self, workload):
        """Whether one op of this workload is a query rather than a get+put pair, as its rows say:
        rows of a workload that measures queries carry query latencies, every other row -1
        (bench/JSON.md); ops_per_s is then queries per second and the tail a caller sees is the
        whole query's."""
        return any(v >= 0 for k in self.keys(workload=workload) for v in self.values(k, "query_p99_ns"))

    def op_unit(self, workload):
        """("queries", "query") or ("get+put pairs", "get"): what ops_per_s counts in this workload,
        and whose latency is the one its callers see."""
        return ("queries", "query") if self.counts_queries(workload) else ("get+put pairs", "get")

    def threads(self, workload=None):
        return sorted({k.threads for k in self.keys(workload=workload)})

    def cases(self, workload=None):
        """Distinct design-less configurations (one per slots/waiters/hold/think/threads)."""
        out = []
        for k in self.keys(workload=workload):
            c = case_of(k)
            if c not in out:
                out.append(c)
        return out

    def find(self, case, design):
        k = case._replace(design=design)
        return k if k in self.samples else None

    # ---- values ----------------------------------------------------------------------
    def values(self, key, counter):
        """Per-repetition values of one counter (NaN-free)."""
        vals = []
        for s in self.samples.get(key, []):
            v = s.get(counter)
            if not math.isnan(v):
                vals.append(v)
        return vals

    def median(self, key, counter, default=math.nan):
        vals = self.values(key, counter)
        return statistics.median(vals) if vals else default

    def worst(self, key, counter):
        """The least favourable repetition (max latency: the largest; throughput: the smallest)."""
        vals = self.values(key, counter)
        if not vals:
            return math.nan
        return min(vals) if counter in HIGHER_IS_BETTER else max(vals)

    def least_sample(self, key, counter):
        """The repetition (Sample) with the least favourable value of `counter` (as `worst`
        picks it), or None if no repetition has it."""
        samples = [s for s in self.samples.get(key, []) if not math.isnan(s.get(counter))]
        if not samples:
            return None
        pick = min if counter in HIGHER_IS_BETTER else max
        return pick(samples, key=lambda s: s.get(counter))

    def percentiles(self, key):
        """{label: median over repetitions} for the get-latency percentiles present."""
        out = OrderedDict()
        for label, counter in PERCENTILES:
            v = self.median(key, counter)
            if not math.isnan(v):
                out[label] = v
        return out

    def median_repetition(self, key):
        """The repetition with the median throughput that has per-thread ops (a real, consistent
        vector with its own counters), or None."""
        samples = sorted((s for s in self.samples.get(key, []) if s.thread_ops),
                         key=lambda s: s.get("ops_per_s", 0.0))
        return samples[len(samples) // 2] if samples else None

    def thread_ops(self, key):
        """Per-thread ops of the median-throughput repetition; without per-repetition vectors, the
        detail file's sum over repetitions."""
        s = self.median_repetition(key)
        if s is None:
            return [float(x) for x in self.detail.get(key, {}).get("thread_ops", [])]
        return s.thread_ops

    def histogram(self, key):
        """[(upper_bound_ns, count), ...] sorted, from the detail file; [] if absent."""
        d = self.detail.get(key)
        if not d:
            return []
        return sorted((float(ub), float(c)) for ub, c in d.get("hist", []) if c > 0)

    def machine_label(self):
        """One line naming the machine, for plot captions."""
        c = self.context
        cpu = c.get("lp_cpu_model") or c.get("host_name", "")
        ncpu = c.get("num_cpus", "?")
        return f"{cpu} ({ncpu} CPUs), {c.get('host_name', '')}".strip(", ")


def ccdf(hist):
    """Complementary CDF from a histogram: xs = bucket upper bounds (ns), ys = fraction of
    samples in that bucket or above, i.e. P(latency >= bucket). Starts at 1, never 0."""
    total = sum(c for _, c in hist)
    if total <= 0:
        return [], []
    xs, ys, above = [], [], total
    for ub, c in hist:
        xs.append(ub)
        ys.append(above / total)
        above -= c
    return xs, ys


def hist_quantile(hist, q):
    """Smallest bucket upper bound at or below which at least q of the samples lie."""
    total = sum(c for _, c in hist)
    if total <= 0:
        return math.nan
    need, cum = q * total, 0.0
    for ub, c in hist:
        cum += c
        if cum >= need:
            return ub
    return hist[-1][0]
