#!/usr/bin/env python3
"""Google Benchmark's own tools on lockpool-bench's output, and its flag checks. No timing
thresholds: only that the tools run and agree with our counters.

  - --benchmark_format=csv and =console run to the end (CSV needs one counter set on every row);
  - GB's compare.py (libbenchmark-tools) sees throughput: its time change between two designs
    is exactly their ops_per_s ratio, repetition by repetition;
  - no counter ends in a GB aggregate suffix (_mean, _median, _stddev, _cv, ...);
  - bad flags, and a filter that matches nothing, exit non-zero with a message, never a crash.

usage: gb_tools.py BENCH COMPARE_PY [bench flags...]   (COMPARE_PY may be '-': that check is skipped)
"""
import json
import os
import subprocess
import sys
import tempfile

from checks import fail, verdict

AGGREGATE_SUFFIXES = ("_mean", "_median", "_stddev", "_cv", "_min", "_max")
PAIR = "^uncontended/(lockpool-fair|pthread)/"


def run(cmd, **kw):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, **kw)


def main():
    bench, compare, flags = sys.argv[1], sys.argv[2], sys.argv[3:]
    with tempfile.TemporaryDirectory() as tmp:
        for fmt in ("csv", "console"):
            p = run([bench, "--benchmark_format=" + fmt, "--benchmark_filter=^(uncontended|async)/",
                     "--benchmark_repetitions=2"] + flags)
            rows = [l for l in p.stdout.splitlines() if "/threads:" in l]
            if p.returncode != 0 or not rows:
                fail("--benchmark_format=%s: status %d, %d rows; stderr tail: %s"
                     % (fmt, p.returncode, len(rows), p.stderr.strip().splitlines()[-3:]))

        out = os.path.join(tmp, "pair.json")
        p = run([bench, "--benchmark_filter=" + PAIR, "--benchmark_repetitions=3", "--benchmark_out=" + out,
                 "--benchmark_out_format=json"] + flags)
        if p.returncode != 0:
            fail("pair run: status %d: %s" % (p.returncode, p.stderr[-500:]))
            return finish()
        with open(out) as f:
            doc = json.load(f)
        for row in doc["benchmarks"]:
            bad = [k for k in row if k.endswith(AGGREGATE_SUFFIXES) and k != "run_name"]
            if bad:
                fail("%s: counters named like GB aggregates: %s" % (row["name"], bad))
        if compare != "-":
            check_compare(compare, out, doc, tmp)

    bad_flags = [["--benchmark_repetitions=-3"], ["--benchmark_repetitions=0"], ["--benchmark_repetitions=x"],
                 ["--benchmark_filter=nosuch"], ["--benchmark_filter=^get_hold/no-such-design/"],
                 ["--benchmark_filter=nosuch", "--benchmark_list_tests"], ["--nosuch_flag"], ["--pin=bogus"],
                 ["--run_ms=0"], ["--benchmark_format=bogus"], ["--lp_retry_wakes=-1"], ["--lp_bypass_turns=0"],
                 ["--lp_bypass_turns="], ["--lp_bypass_turns=64x"], ["--lp_bypass_turns=1000001"]]
    for extra in bad_flags:
        p = run([bench] + flags + extra)
        crashed = p.returncode < 0 or "terminate called" in p.stderr or "length_error" in p.stderr
        if p.returncode == 0 or crashed or not p.stderr.strip():
            fail("%s: status %d (want a message and a non-zero status, no crash); stderr: %s"
                 % (" ".join(extra), p.returncode, p.stderr.strip()[-300:]))
    return finish()


def check_compare(compare, out, doc, tmp):
    """compare.py's time change between two designs of one run = their throughput ratio."""
    dump = os.path.join(tmp, "compare.json")
    p = run([sys.executable, compare, "--no-color", "-d", dump, "benchmarksfiltered",
             out, "uncontended/pthread/", out, "uncontended/lockpool-fair/"],
            cwd=os.path.dirname(compare))
    if p.returncode != 0:
        fail("compare.py: status %d: %s" % (p.returncode, p.stderr[-500:]))
        return
    with open(dump) as f:
        report = json.load(f)
    ops = {}
    for row in doc["benchmarks"]:
        if row.get("run_type") == "iteration":
            ops.setdefault(row["name"].split("/")[1], []).append(row["ops_per_s"])
    entry = next((e for e in report if e.get("run_type") == "iteration" or "measurements" in e), None)
    if entry is None or len(entry.get("measurements", [])) != len(ops.get("pthread", [])):
        fail("compare.py: no per-repetition measurements in %s" % dump)
        return
    for m, mutex, fair in zip(entry["measurements"], ops["pthread"], ops["lockpool-fair"]):
        want = mutex / fair - 1.0  # time per pair is 1 / throughput
        if abs(m["time"] - want) > 1e-6 * max(1.0, abs(want)):
            fail("compare.py time change %.6f, throughput says %.6f" % (m["time"], want))
    print("gb_tools: compare.py sees throughput: lockpool-fair vs pthread time change %+.4f = ops ratio"
          % entry["measurements"][0]["time"])


def finish():
    return verdict("gb_tools: csv, console, compare.py and flag checks ok")


if __name__ == "__main__":
    sys.exit(main())
