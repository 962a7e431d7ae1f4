#!/usr/bin/env python3
"""Smoke run of lockpool-bench: every workload for every design, tiny runs, then check that the
JSON (bench/JSON.md) has every counter and that the values are sane. No timing thresholds.

usage: smoke.py BENCH [bench flags...]
"""
import json
import os
import re
import sys
import tempfile

from checks import command_line, fail, iteration_rows, load_json, run, verdict

WORKLOADS = ["uncontended", "try_get_storm", "get_hold", "oversubscribed", "async", "sqlite_pool"]
ASYNC_DESIGNS = {"lockpool-fair", "lockpool-barging", "lockpool-bounded"}
# sqlite_pool runs the designs that bound their objects and let callers wait (lp_design_flags).
SQLITE_COUNTERS = ["query_p50_ns", "query_p90_ns", "query_p99_ns", "query_p999_ns", "query_max_ns",
                   "busy_retries", "sqlite_share", "conns_opened", "conns_by_design", "cpu_s"]
COUNTERS = ["ops_per_s", "ops", "lat_p50_ns", "lat_p90_ns", "lat_p99_ns", "lat_p999_ns", "lat_p9999_ns",
            "lat_max_ns", "jain", "minmax_share", "cv_thread_ops", "fifo_violations_per_m", "reacquire_frac",
            "full_concurrency", "empty_frac", "efull", "errors", "pin_ok", "mem_node", "lat_samples", "task_jain",
            "cpu_jain", "cpu_minmax_share", "ops_per_cpu_jain", "ops_per_cpu_minmax_share", "vcsw_per_kop",
            "ivcsw_per_kop", "runq_wait_frac", "asleep_frac", "max_bypass", "max_wait_ns", "max_wait_releases"]
# Per-thread vectors of each repetition in the detail file, one entry per thread.
PER_REP = ["thread_ops_per_rep", "thread_wall_ns_per_rep", "thread_cpu_ns_per_rep", "thread_runq_ns_per_rep",
           "thread_vcsw_per_rep", "thread_ivcsw_per_rep"]
CONTEXT = ["lp_pin_policy", "lp_placement", "lp_mem_policy", "lp_topology", "lp_cpu_model", "lp_compiler",
           "lp_build_flags", "lp_git_commit", "lp_governor", "lp_quick", "lp_run_ms", "lp_spin_calibration",
           "lp_design_flags", "lp_design_summaries",
           "lp_numa_nodes", "lp_remote"]
# Row keys that are Google Benchmark's own, not counters.
GB_KEYS = {"name", "family_index", "per_family_instance_index", "run_name", "run_type", "repetitions",
           "repetition_index", "threads", "iterations", "real_time", "cpu_time", "time_unit",
           "aggregate_name", "aggregate_unit", "error_occurred", "error_message", "label"}
NAME = re.compile(r"^(?P<wl>[a-z_]+)/(?P<design>[a-z0-9-]+)/slots:(\d+)/waiters:(\d+)/hold_ns:(\d+)"
                  r"/think_ns:(\d+)/iterations:1/manual_time/threads:(?P<threads>\d+)$")

def run_everything(bench, flags):
    """The listed names, the JSON document and the detail file of one run with `flags`."""
    with tempfile.TemporaryDirectory() as tmp:
        out, detail = os.path.join(tmp, "out.json"), os.path.join(tmp, "detail.json")
        listing = run([bench, "--benchmark_list_tests"] + flags)
        p = run([bench, "--benchmark_out=" + out, "--benchmark_out_format=json", "--lp_detail_out=" + detail] + flags,
                timeout=None)
        sys.stderr.write(p.stderr)
        if listing.returncode != 0 or p.returncode != 0:
            fail("the bench exited %d (listing) and %d (run)" % (listing.returncode, p.returncode))
            return None
        return listing.stdout.split(), load_json(out), load_json(detail)


def context_json(doc, key):
    """A context value that is JSON, parsed; None (and a failure) if it is not."""
    try:
        return json.loads(doc["context"].get(key, "{}"))
    except ValueError:
        fail("context %s is not JSON" % key)
        return None


def check_context(doc, det_doc):
    if not isinstance(det_doc.get("lp_calibration_drift"), str):
        fail("detail file: lp_calibration_drift missing or not a string")
    for key in CONTEXT:
        if not str(doc["context"].get(key, "")):
            fail("context key %s missing or empty" % key)


def check_counter_sets(rows):
    """GB's CSV reporter aborts when a row has a counter the first row lacked: one fixed set."""
    counter_sets = {tuple(sorted(k for k in b if k not in GB_KEYS)) for b in rows if not b.get("error_occurred")}
    if len(counter_sets) > 1:
        fail("rows carry different counter sets: %s" % sorted(set.union(*map(set, counter_sets))
                                                               - set.intersection(*map(set, counter_sets))))


def check_rows(rows, det, flags):
    """Every row against JSON.md and its detail entry; the (workload, design) pairs seen."""
    seen = set()
    for b in rows:
        m = NAME.match(b["name"])
        if not m:
            fail("name does not follow JSON.md: " + b["name"])
            continue
        wl, design, threads = m.group("wl"), m.group("design"), int(m.group("threads"))
        seen.add((wl, design))
        if b.get("error_occurred"):
            fail("%s: error: %s" % (b["name"], b.get("error_message")))
            continue
        missing = [c for c in COUNTERS if c not in b]
        if missing:
            fail("%s: missing counters %s" % (b["name"], missing))
            continue
        d = det.get(b["name"])
        if d is None:
            fail("%s: not in the detail file" % b["name"])
            continue
        rep = b.get("repetition_index", 0)
        vectors = {f: (d.get(f, [])[rep] if rep < len(d.get(f, [])) else None) for f in PER_REP}
        check_row(b, wl, design, threads, vectors, (flags or {}).get(design))
        if sum(c for _, c in d["hist"]) < b["lat_samples"] or len(d["thread_ops"]) != threads:
            fail("%s: detail histogram or thread_ops inconsistent" % b["name"])
        if flags is not None and "fifo" in flags.get(design, []) and wl in ("get_hold", "oversubscribed") \
                and b["fifo_violations_per_m"] < 0:
            fail("%s: a design that promises FIFO is not measured for it" % b["name"])
    return seen


def check_design_context(doc, designs, flags):
    """Every design that ran has promises, and every design of the build a description."""
    if flags is not None and not designs <= set(flags):
        fail("lp_design_flags lacks designs %s" % sorted(designs - set(flags)))
    summaries = context_json(doc, "lp_design_summaries") or {}
    if set(summaries) != set(flags or {}) or not all(isinstance(v, str) and v for v in summaries.values()):
        fail("lp_design_summaries does not give every design of lp_design_flags a description")


def check_coverage(seen, flags):
    """Without a filter, every design ran every workload that applies to it."""
    designs = {design for _, design in seen}
    for design in designs:
        for wl in WORKLOADS:
            promises = (flags or {}).get(design, [])
            sqlite_runs = "bounded" in promises and "blocking" in promises
            if ((wl != "async" or design in ASYNC_DESIGNS) and (wl != "sqlite_pool" or sqlite_runs)
                    and (wl, design) not in seen):
                fail("workload %s missing for design %s" % (wl, design))
    if not ASYNC_DESIGNS & designs:
        fail("no LockPool design in the registry")


def main():
    args = command_line(__doc__, 1)
    bench, bench_flags = args[0], args[1:]
    ran = run_everything(bench, bench_flags)
    if ran is None:
        return verdict("")
    listed, doc, det_doc = ran
    check_context(doc, det_doc)
    flags = context_json(doc, "lp_design_flags")
    rows = iteration_rows(doc)
    names = sorted({b["name"] for b in rows})
    if names != sorted(set(listed)):
        fail("ran %s, listed %s" % (names, sorted(set(listed))))
    check_counter_sets(rows)
    seen = check_rows(rows, det_doc["benchmarks"], flags)
    designs = {design for _, design in seen}
    check_design_context(doc, designs, flags)
    if not any(f.startswith("--benchmark_filter") for f in bench_flags):
        check_coverage(seen, flags)
    return verdict("smoke: %d benchmarks over %d designs checked" % (len(rows), len(designs)))


def check_row(b, wl, design, threads, vectors, promises):
    name = b["name"]

    def check(cond, what):
        if not cond:
            fail("%s: %s (%s)" % (name, what, {k: b.get(k) for k in COUNTERS}))

    check(b["errors"] == 0, "errors == 0")
    check(b["ops"] > 0 and b["ops_per_s"] > 0, "ops > 0")
    check(0 < b["jain"] <= 1 and b["jain"] >= 1.0 / threads - 1e-9, "1/N <= jain <= 1")
    check(0 <= b["minmax_share"] <= 1 and b["cv_thread_ops"] >= 0, "0 <= minmax_share <= 1, cv_thread_ops >= 0")
    # GB's time is the time per pair (compare.py compares throughput through it).
    check(b["time_unit"] == "ns" and abs(b["real_time"] * b["ops_per_s"] / 1e9 - 1) < 1e-6,
           "real_time = 1e9 / ops_per_s ns")
    lat = [b[k] for k in ("lat_p50_ns", "lat_p90_ns", "lat_p99_ns", "lat_p999_ns", "lat_p9999_ns", "lat_max_ns")]
    check(b["lat_samples"] > 0 and lat == sorted(lat), "p50 <= p90 <= p99 <= p99.9 <= p99.99 <= max")
    check(0 <= b["full_concurrency"] <= 1, "0 <= full_concurrency <= 1")
    check(0 <= b["empty_frac"] <= 1 and 0 <= b["reacquire_frac"] <= 1, "fractions in [0,1]")
    fifo = b["fifo_violations_per_m"]
    if wl in ("uncontended", "try_get_storm"):
        check(fifo == -1, "fifo not measured for try_get workloads")
    elif promises is None:
        fail("%s: design missing from lp_design_flags" % name)
    elif not ("bounded" in promises and "blocking" in promises):
        # Handles that name no slot, or a get that cannot block: the metric is not defined.
        check(fifo == -1, "fifo not measured without slot identity or a blocking get")
    else:
        check(0 <= fifo <= 1e6, "0 <= fifo_violations_per_m <= 1e6")
    order = (b["max_bypass"], b["max_wait_ns"], b["max_wait_releases"])
    if fifo == -1:
        check(order == (-1, -1, -1), "max_bypass, max_wait_ns, max_wait_releases not measured where the FIFO metric is not")
    else:
        # A grant that overtook a waiter was fed by a release that began while it waited, or by one
        # of the slots that were free when it joined (at most SLOTS of those).
        slots = int(NAME.match(name).group(3))
        check(min(order) >= 0 and b["max_bypass"] <= b["max_wait_releases"] + slots,
              "max_wait_ns >= 0, 0 <= max_bypass <= max_wait_releases + SLOTS")
    thread_ops = vectors["thread_ops_per_rep"]
    check(thread_ops is not None and len(thread_ops) == threads and sum(thread_ops) == b["ops"],
           "this repetition's per-thread ops (detail file) sum to ops")
    check(all(v is not None and len(v) == threads and min(v) >= (-1 if f == "thread_runq_ns_per_rep" else 0)
              for f, v in vectors.items()),
          "this repetition's per-thread loop and CPU time, run-queue wait, context switches (detail file): "
          "one per thread")
    cpu = vectors["thread_cpu_ns_per_rep"] or []
    check(sum(cpu) > 0, "the threads' loops took CPU time")
    for counter in ("cpu_jain", "ops_per_cpu_jain"):
        check(0 < b[counter] <= 1 and b[counter] >= 1.0 / threads - 1e-9, "1/N <= %s <= 1" % counter)
    for counter in ("cpu_minmax_share", "ops_per_cpu_minmax_share"):
        check(0 <= b[counter] <= 1, "0 <= %s <= 1" % counter)
    check(b["vcsw_per_kop"] >= 0 and b["ivcsw_per_kop"] >= 0, "context switches per 1000 ops >= 0")
    fracs = (b["runq_wait_frac"], b["asleep_frac"])
    check(fracs == (-1, -1) or (min(fracs) >= 0 and sum(fracs) <= 1 + 1e-9),
          "run-queue wait and asleep: fractions of the loop time (or both -1: not known)")
    if cpu and thread_ops and sum(cpu) > 0 and len(cpu) == len(thread_ops):
        # The counters are the detail file's per-thread values, reduced (bench/JSON.md).
        share = min(cpu) / max(cpu)
        check(abs(b["cpu_minmax_share"] - share) <= 1e-6, "cpu_minmax_share = least / most thread CPU time")
        ops = sum(thread_ops)
        switches = sum(vectors["thread_vcsw_per_rep"] or [0])
        check(abs(b["vcsw_per_kop"] - 1000.0 * switches / ops) <= 1e-6 * max(1.0, b["vcsw_per_kop"]),
              "vcsw_per_kop = 1000 x voluntary switches / ops")
    check(b["pin_ok"] in (-1, 1), "every pin took effect")
    if wl == "async":
        check(0 < b["task_jain"] <= 1, "0 < task_jain <= 1")
    else:
        check(b["task_jain"] == -1, "task_jain -1 outside async")
    if wl == "sqlite_pool":
        missing = [c for c in SQLITE_COUNTERS if c not in b]
        check(not missing, "sqlite_pool counters present: missing %s" % missing)
        if missing:
            return
        q = [b[k] for k in SQLITE_COUNTERS[:5]]
        check(q == sorted(q), "query p50 <= p90 <= p99 <= p99.9 <= max")
        # A query's latency includes its get: every quantile of it is at least the get's.
        check(all(b[qk] >= b[gk] for qk, gk in (("query_p50_ns", "lat_p50_ns"), ("query_p99_ns", "lat_p99_ns"),
                                                 ("query_max_ns", "lat_max_ns"))), "query latency >= get latency")
        slots = int(NAME.match(name).group(3))
        check(1 <= b["conns_opened"] <= slots, "1 <= connections opened <= SLOTS (lazily)")
        check(0 < b["sqlite_share"] <= 1 and b["busy_retries"] >= 0, "0 < sqlite_share <= 1, busy_retries >= 0")
        check(b["cpu_s"] >= 0, "cpu_s >= 0")
        check(b["conns_by_design"] == (1 if design.startswith("lockpool") else 0),
               "connections opened through the design's create path exactly for LockPool designs")


if __name__ == "__main__":
    sys.exit(main())
