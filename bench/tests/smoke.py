#!/usr/bin/env python3
"""Smoke run of lockpool-bench: every workload for every design, tiny runs, then check that the
JSON (bench/JSON.md) has every counter and that the values are sane. No timing thresholds.

usage: smoke.py BENCH [bench flags...]
"""
import json
import os
import re
import subprocess
import sys
import tempfile

WORKLOADS = ["uncontended", "try_get_storm", "get_hold", "oversubscribed", "async", "sqlite_pool"]
ASYNC_DESIGNS = {"lockpool-fair", "lockpool-barging", "lockpool-bounded"}
# Designs whose handles name no slot and whose get cannot block: the FIFO metric is -1 for them.
NO_FIFO_DESIGNS = {"malloc"}
# sqlite_pool runs the designs that bound their objects and let callers wait: not these.
NO_SQLITE_DESIGNS = NO_FIFO_DESIGNS
SQLITE_COUNTERS = ["query_p50_ns", "query_p90_ns", "query_p99_ns", "query_p999_ns", "query_max_ns",
                   "busy_retries", "sqlite_share", "conns_opened", "conns_by_design"]
COUNTERS = ["ops_per_s", "ops", "lat_p50_ns", "lat_p90_ns", "lat_p99_ns", "lat_p999_ns", "lat_p9999_ns",
            "lat_max_ns", "jain", "minmax_share", "cv", "fifo_violations_per_m", "reacquire_frac",
            "full_concurrency", "empty_frac", "efull", "errors", "pin_ok", "mem_node", "lat_samples"]
CONTEXT = ["lp_pin_policy", "lp_placement", "lp_mem_policy", "lp_topology", "lp_cpu_model", "lp_compiler",
           "lp_build_flags", "lp_git_commit", "lp_governor", "lp_quick", "lp_run_ms", "lp_spin_calibration",
           "lp_numa_nodes", "lp_remote"]
NAME = re.compile(r"^(?P<wl>[a-z_]+)/(?P<design>[a-z0-9-]+)/slots:(\d+)/waiters:(\d+)/hold_ns:(\d+)"
                  r"/think_ns:(\d+)/real_time/threads:(?P<threads>\d+)$")

failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL:", msg, file=sys.stderr)


def main():
    bench, flags = sys.argv[1], sys.argv[2:]
    with tempfile.TemporaryDirectory() as tmp:
        out, detail = os.path.join(tmp, "out.json"), os.path.join(tmp, "detail.json")
        listed = subprocess.run([bench, "--benchmark_list_tests"] + flags, check=True,
                                stdout=subprocess.PIPE, universal_newlines=True).stdout.split()
        subprocess.run([bench, "--benchmark_out=" + out, "--benchmark_out_format=json",
                        "--lp_detail_out=" + detail] + flags, check=True)
        with open(out) as f:
            doc = json.load(f)
        with open(detail) as f:
            det = json.load(f)["benchmarks"]

    for key in CONTEXT:
        if not str(doc["context"].get(key, "")):
            fail("context key %s missing or empty" % key)

    rows = [b for b in doc["benchmarks"] if b.get("run_type", "iteration") == "iteration"]
    names = [b["name"] for b in rows]
    if sorted(set(names)) != sorted(set(listed)):
        fail("ran %s, listed %s" % (sorted(set(names)), sorted(set(listed))))
    designs = set()
    seen = set()
    for b in rows:
        m = NAME.match(b["name"])
        if not m:
            fail("name does not follow JSON.md: " + b["name"])
            continue
        wl, design, threads = m.group("wl"), m.group("design"), int(m.group("threads"))
        designs.add(design)
        seen.add((wl, design))
        if b.get("error_occurred"):
            fail("%s: error: %s" % (b["name"], b.get("error_message")))
            continue
        missing = [c for c in COUNTERS if c not in b]
        if missing:
            fail("%s: missing counters %s" % (b["name"], missing))
            continue
        check_row(b, wl, design, threads)
        d = det.get(b["name"])
        if d is None:
            fail("%s: not in the detail file" % b["name"])
        elif sum(c for _, c in d["hist"]) < b["lat_samples"] or len(d["thread_ops"]) != threads:
            fail("%s: detail histogram or thread_ops inconsistent" % b["name"])

    if not flags_filter(sys.argv[2:]):
        for design in designs:
            for wl in WORKLOADS:
                if ((wl != "async" or design in ASYNC_DESIGNS) and (wl != "sqlite_pool" or design not in NO_SQLITE_DESIGNS)
                        and (wl, design) not in seen):
                    fail("workload %s missing for design %s" % (wl, design))
        if not ASYNC_DESIGNS & designs:
            fail("no LockPool design in the registry")
    if failures:
        print("%d failure(s)" % len(failures), file=sys.stderr)
        return 1
    print("smoke: %d benchmarks over %d designs checked" % (len(rows), len(designs)))
    return 0


def flags_filter(flags):
    return any(f.startswith("--benchmark_filter") for f in flags)


def check_row(b, wl, design, threads):
    name = b["name"]

    def expect(cond, what):
        if not cond:
            fail("%s: %s (%s)" % (name, what, {k: b.get(k) for k in COUNTERS}))

    expect(b["errors"] == 0, "errors == 0")
    expect(b["ops"] > 0 and b["ops_per_s"] > 0, "ops > 0")
    expect(0 < b["jain"] <= 1 and b["jain"] >= 1.0 / threads - 1e-9, "1/N <= jain <= 1")
    expect(0 <= b["minmax_share"] <= 1 and b["cv"] >= 0, "0 <= minmax_share <= 1, cv >= 0")
    lat = [b[k] for k in ("lat_p50_ns", "lat_p90_ns", "lat_p99_ns", "lat_p999_ns", "lat_p9999_ns", "lat_max_ns")]
    expect(b["lat_samples"] > 0 and lat == sorted(lat), "p50 <= p90 <= p99 <= p99.9 <= p99.99 <= max")
    expect(0 <= b["full_concurrency"] <= 1, "0 <= full_concurrency <= 1")
    expect(0 <= b["empty_frac"] <= 1 and 0 <= b["reacquire_frac"] <= 1, "fractions in [0,1]")
    fifo = b["fifo_violations_per_m"]
    if wl in ("uncontended", "try_get_storm"):
        expect(fifo == -1, "fifo not measured for try_get workloads")
    elif design in NO_FIFO_DESIGNS:
        expect(fifo == -1, "fifo not measured without slot identity or a blocking get")
    else:
        expect(0 <= fifo <= 1e6, "0 <= fifo_violations_per_m <= 1e6")
    per_thread = [b.get("t%02d_ops" % t) for t in range(threads)]
    expect(None not in per_thread and sum(per_thread) == b["ops"], "per-thread ops sum to ops")
    expect(b["pin_ok"] in (-1, 1), "every pin took effect")
    if wl == "async":
        expect("task_jain" in b and 0 < b["task_jain"] <= 1, "0 < task_jain <= 1")
    if wl == "sqlite_pool":
        missing = [c for c in SQLITE_COUNTERS if c not in b]
        expect(not missing, "sqlite_pool counters present: missing %s" % missing)
        if missing:
            return
        q = [b[k] for k in SQLITE_COUNTERS[:5]]
        expect(q == sorted(q), "query p50 <= p90 <= p99 <= p99.9 <= max")
        # A query's latency includes its get: every quantile of it is at least the get's.
        expect(all(b[qk] >= b[gk] for qk, gk in (("query_p50_ns", "lat_p50_ns"), ("query_p99_ns", "lat_p99_ns"),
                                                 ("query_max_ns", "lat_max_ns"))), "query latency >= get latency")
        slots = int(NAME.match(name).group(3))
        expect(1 <= b["conns_opened"] <= slots, "1 <= connections opened <= SLOTS (lazily)")
        expect(0 < b["sqlite_share"] <= 1 and b["busy_retries"] >= 0, "0 < sqlite_share <= 1, busy_retries >= 0")
        expect(b["conns_by_design"] == (1 if design.startswith("lockpool") else 0),
               "connections opened through the design's create path exactly for LockPool designs")


if __name__ == "__main__":
    sys.exit(main())
