#!/usr/bin/env python3
"""Google Benchmark's own tools on lockpool-bench's output, and its flag checks. No timing
thresholds: only that the tools run and agree with our counters.

  - --benchmark_format=csv and =console run to the end (CSV needs one counter set on every row);
  - GB's compare.py (libbenchmark-tools) sees throughput: its time change between two designs
    is exactly their ops_per_s ratio, repetition by repetition;
  - no counter ends in a GB aggregate suffix (_mean, _median, _stddev, _cv, ...);
  - bad flags, and a filter that matches nothing, exit non-zero with a message, never a crash;
  - a filter that is not a regular expression, and a bad value of one of our flags (an unwritable
    --lp_detail_out included), exit 2 with one line, and nothing runs.

usage: gb_tools.py BENCH COMPARE_PY [bench flags...]   (COMPARE_PY may be '-': that check is skipped)
"""
import os
import sys
import tempfile

from checks import check, check_usage_error, command_line, fail, iteration_rows, load_json, run, run_json, verdict

AGGREGATE_SUFFIXES = ("_mean", "_median", "_stddev", "_cv", "_min", "_max")
PAIR = "^uncontended/(lockpool-fair|pthread)/"
# Not regular expressions (as GB reads them: POSIX extended), negated or not.
BAD_FILTERS = ["(", "-(", "[a", "a{1,0}", "x\\", "^get_hold_remote/(", "[[:nosuch:]]"]
# Our own flags with bad values: exit 2, one line naming the flag.
BAD_VALUES = ["--run_ms=+5", "--run_ms=", "--lp_slots=0", "--lp_slots=1,,2", "--lp_waiters=0", "--lp_threads=",
              "--lp_threads=2,x", "--lp_retry_wakes=70000", "--lp_detail_out=", "--lp_detail_out=/nonexistent/d.json"]


def check_formats(bench, flags):
    """--benchmark_format=csv and =console run to the end (CSV needs one counter set on every row)."""
    for fmt in ("csv", "console"):
        p = run([bench, "--benchmark_format=" + fmt, "--benchmark_filter=^(uncontended|async)/",
                 "--benchmark_repetitions=2"] + flags)
        rows = [line for line in p.stdout.splitlines() if "/threads:" in line]
        check(p.returncode == 0 and rows, "--benchmark_format=%s: status %d, %d rows; stderr tail: %s"
               % (fmt, p.returncode, len(rows), p.stderr.strip().splitlines()[-3:]))


def check_counter_names(doc):
    """No counter is named like one of GB's aggregates."""
    for row in doc["benchmarks"]:
        bad = [k for k in row if k.endswith(AGGREGATE_SUFFIXES) and k != "run_name"]
        check(not bad, "%s: counters named like GB aggregates: %s" % (row["name"], bad))


def check_bad_flags(bench, flags):
    """Bad flags and filters that match nothing: a message and a non-zero status, never a crash."""
    bad_flags = [["--benchmark_repetitions=-3"], ["--benchmark_repetitions=0"], ["--benchmark_repetitions=x"],
                 ["--benchmark_filter=nosuch"], ["--benchmark_filter=^get_hold/no-such-design/"],
                 ["--benchmark_filter=nosuch", "--benchmark_list_tests"], ["--nosuch_flag"], ["--pin=bogus"],
                 ["--run_ms=0"], ["--benchmark_format=bogus"], ["--lp_retry_wakes=-1"], ["--lp_bypass_turns=0"],
                 ["--lp_bypass_turns="], ["--lp_bypass_turns=64x"], ["--lp_bypass_turns=1000001"]]
    for extra in bad_flags:
        p = run([bench] + flags + extra)
        crashed = p.returncode < 0 or "terminate called" in p.stderr or "length_error" in p.stderr
        check(p.returncode != 0 and not crashed and p.stderr.strip(),
               "%s: status %d (want a message and a non-zero status, no crash); stderr: %s"
               % (" ".join(extra), p.returncode, p.stderr.strip()[-300:]))
    for flag in BAD_VALUES:
        check_usage_error(run([bench] + flags + [flag, "--benchmark_list_tests"]), flag, flag.split("=")[0])
    for regex in BAD_FILTERS:
        flag = "--benchmark_filter=" + regex
        for extra in ([flag], [flag, "--benchmark_list_tests"]):
            p = run([bench] + flags + extra)
            check_usage_error(p, " ".join(extra), flag)
            check(p.stdout == "", "%s: nothing may run, stdout was %r" % (" ".join(extra), p.stdout[:200]))


def main():
    args = command_line(__doc__, 2)
    bench, compare, flags = args[0], args[1], args[2:]
    check_formats(bench, flags)
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "pair.json")
        p, doc = run_json(bench, ["--benchmark_filter=" + PAIR, "--benchmark_repetitions=3"] + flags, out)
        if not check(doc is not None, "pair run: status %d: %s" % (p.returncode, p.stderr[-500:])):
            return verdict("")
        check_counter_names(doc)
        if compare != "-":
            check_compare(compare, out, doc, tmp)
    check_bad_flags(bench, flags)
    return verdict("gb_tools: csv, console, compare.py and flag checks ok")


def check_compare(compare, out, doc, tmp):
    """compare.py's time change between two designs of one run = their throughput ratio."""
    dump = os.path.join(tmp, "compare.json")
    p = run([sys.executable, compare, "--no-color", "-d", dump, "benchmarksfiltered",
             out, "uncontended/pthread/", out, "uncontended/lockpool-fair/"],
            cwd=os.path.dirname(compare))
    if p.returncode != 0:
        fail("compare.py: status %d: %s" % (p.returncode, p.stderr[-500:]))
        return
    report = load_json(dump)
    ops = {}
    for row in iteration_rows(doc):
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


if __name__ == "__main__":
    sys.exit(main())
