#!/usr/bin/env python3
"""--pin=cpus:LIST end to end: bad lists exit 2 with one line on stderr and nothing run; a good
list is recorded in the JSON context, every thread lands on its listed CPU in order, and every
row's pin_ok says the affinity the threads got was the one asked for.

usage: pin_cpus.py BENCH
"""
import os
import sys
import tempfile

from checks import check, check_usage_error, command_line, iteration_rows, run, run_json, verdict


def main():
    bench = command_line(__doc__, 1)[0]
    cpus = sorted(os.sched_getaffinity(0))

    r = run([bench, "--help"])
    check(r.returncode == 0 and "cpus:LIST" in r.stdout, "--help exits 0 and documents --pin=cpus:LIST")

    bad = ["cpus:", "cpus:1,", "cpus:,1", "cpus:3-1", "cpus:a", "cpus:-1", "cpus:1--2", "cpus:0,0",
           "cpus:0-99999999", "cpus:%d" % (cpus[-1] + 1), "cpus:0,%d" % (cpus[-1] + 100)]
    for pin in bad:
        r = run([bench, "--pin=" + pin, "--quick", "--benchmark_filter=^uncontended/lockpool-fair/"])
        check_usage_error(r, "--pin=" + pin)
        check(r.stdout == "", "--pin=%s: nothing may run, stdout was %r" % (pin, r.stdout[:200]))

    # Reverse order, so the placement cannot be the compact default by accident.
    order = list(reversed(cpus))[:4]
    pin = "cpus:" + ",".join(str(c) for c in order)
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "out.json")
        r, doc = run_json(bench, ["--pin=" + pin, "--quick", "--run_ms=3",
                                  "--benchmark_filter=^(uncontended|try_get_storm)/lockpool-fair/"], out)
        check(r.returncode == 0, "--pin=%s: exit %d: %s" % (pin, r.returncode, r.stderr[-500:]))
        if doc:
            ctx = doc["context"]
            # A descending list has no ascending run to write as a range: recorded as given.
            check(ctx.get("lp_pin_policy") == pin,
                  "context lp_pin_policy %r, want %r" % (ctx.get("lp_pin_policy"), pin))
            placement = ctx.get("lp_placement", "").split()
            check(len(placement) > 0, "context has a placement")
            for i, p in enumerate(placement):
                check(p == "t%d:pu%d" % (i, order[i % len(order)]), "placement %s: want thread %d on CPU %d"
                      % (p, i, order[i % len(order)]))
            rows = iteration_rows(doc)
            check(len(rows) >= 2, "both workloads ran (%d rows)" % len(rows))
            for b in rows:
                check(b.get("pin_ok") == 1, "%s: pin_ok %r, want 1" % (b["name"], b.get("pin_ok")))
    return verdict("pin_cpus: %d bad lists refused, %s placed and verified" % (len(bad), pin))


if __name__ == "__main__":
    sys.exit(main())
