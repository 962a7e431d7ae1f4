"""Callgrind counting: totals parsing and the (Ir(2N) - Ir(N)) / N difference, end to end
with stand-in valgrind and lp-fastpath programs."""
import os
import stat
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from lpbench import fastpath, suite  # noqa: E402

CALLGRIND_OUT = """# callgrind format
version: 1
creator: callgrind-3.19.0
cmd: lp-fastpath --design pthread --iters 1000
events: Ir
fl=(1) x.c
fn=(1) main
5 1234
summary: 987654
totals: 987654
"""

# A stand-in for valgrind: writes a callgrind file whose Ir is setup + per_pair * iters,
# per_pair depending on the design, like a real binary would.
FAKE_VALGRIND = r"""#!/usr/bin/env python3
import sys
args = sys.argv[1:]
out = [a.split("=", 1)[1] for a in args if a.startswith("--callgrind-out-file=")][0]
design = args[args.index("--design") + 1]
iters = int(args[args.index("--iters") + 1])
per_pair = {"lockpool-fair": 23, "pthread": 97, "bare-cas": 16}[design]
with open(out, "w") as f:
    f.write("events: Ir\nsummary: %d\ntotals: %d\n" % (150000 + per_pair * iters, 150000 + per_pair * iters))
"""
FAKE_FASTPATH = "#!/bin/sh\n[ \"$1\" = --list ] && printf 'lockpool-fair\\npthread\\nbare-cas\\n'\n"


class Parsing(unittest.TestCase):
    def test_totals(self):
        self.assertEqual(fastpath.parse_callgrind_totals(CALLGRIND_OUT), 987654)

    def test_summary_only(self):
        self.assertEqual(fastpath.parse_callgrind_totals("events: Ir\nsummary: 42\n"), 42)

    def test_garbage(self):
        with self.assertRaises(ValueError):
            fastpath.parse_callgrind_totals("events: Ir\n")

    def test_functions_self_cost(self):
        text = ("events: Ir\nfl=(1) x.c\nfn=(1) main\n1 10\ncfn=(2) lp_put\ncalls=5 3\n3 400\n"
                "+1 2\nfn=(2)\n3 300\n* 5\nfn=(3) run_pairs\n7 20\ntotals: 737\n")
        # main: 10 + 2 (the 400 after calls= is lp_put's inclusive cost, not main's own)
        self.assertEqual(fastpath.parse_callgrind_functions(text), {"main": 12, "lp_put": 305, "run_pairs": 20})

    def test_functions_per_pair(self):
        per = fastpath.functions_per_pair({"lp_put": 100, "setup": 50, "tiny": 1},
                                          {"lp_put": 2100, "setup": 50, "tiny": 2}, 1000)
        self.assertEqual(per, {"lp_put": 2.0})  # setup cancels, tiny is below 0.5 per pair

    def test_difference_cancels_setup(self):
        self.assertEqual(fastpath.instr_per_pair(1000 + 20 * 500, 1000 + 20 * 1000, 500), 20.0)


class EndToEnd(unittest.TestCase):
    def test_measure_with_stand_ins(self):
        with tempfile.TemporaryDirectory() as d:
            vg, fp = os.path.join(d, "valgrind"), os.path.join(d, "lp-fastpath")
            for path, text in ((vg, FAKE_VALGRIND), (fp, FAKE_FASTPATH)):
                with open(path, "w") as f:
                    f.write(text)
                os.chmod(path, os.stat(path).st_mode | stat.S_IEXEC)
            doc = fastpath.measure(fp, iters=1000, valgrind=vg)
        self.assertEqual({d: v["instr_per_pair"] for d, v in doc["designs"].items()},
                         {"lockpool-fair": 23.0, "pthread": 97.0, "bare-cas": 16.0})
        self.assertEqual(doc["errors"], {})


class SuitePlan(unittest.TestCase):
    def test_budget_is_respected(self):
        run_ms, expected = suite.plan(200, 720, 5)
        self.assertLessEqual(expected, 720 * 1.01)
        self.assertGreater(expected, 720 * 0.9)
        self.assertGreaterEqual(run_ms, suite.RUN_MS_RANGE[0])

    def test_run_ms_clamped(self):
        self.assertEqual(suite.plan(1, 10000, 1)[0], suite.RUN_MS_RANGE[1])
        self.assertEqual(suite.plan(100000, 10, 5)[0], suite.RUN_MS_RANGE[0])

    def test_explicit_run_ms_kept(self):
        self.assertEqual(suite.plan(10, 60, 2, run_ms=300)[0], 300)

    def test_families_group_by_workload_and_design(self):
        names = ["get_hold/pthread/slots:4/waiters:64/hold_ns:1000/think_ns:1000/real_time/threads:8",
                 "get_hold/pthread/slots:4/waiters:64/hold_ns:1000/think_ns:1000/real_time/threads:32",
                 "get_hold/spin-ttas/slots:4/waiters:64/hold_ns:1000/think_ns:1000/real_time/threads:8"]
        fams = suite.families(names)
        self.assertEqual(list(fams), ["get_hold/pthread", "get_hold/spin-ttas"])
        self.assertEqual(len(fams["get_hold/pthread"]), 2)

    def test_name_filter_matches_exactly_these(self):
        import re
        names = ["get_hold/spin-ttas/slots:4/waiters:64/hold_ns:1000/think_ns:1000/real_time/threads:8",
                 "get_hold/pthread/slots:4/waiters:64/hold_ns:1000/think_ns:1000/real_time/threads:8"]
        f = suite.name_filter(names)
        for n in names:
            self.assertTrue(re.search(f, n))
        self.assertFalse(re.search(f, names[1][:-1] + "32"))
        self.assertEqual(list(suite.workloads_of(suite.families(names))), ["get_hold"])

    def test_the_remote_pair_runs_in_one_process(self):
        names = [f"{w}/{d}/slots:1/waiters:64/hold_ns:1000/think_ns:1000/real_time/threads:2"
                 for w in ("get_hold_local", "get_hold_remote", "get_hold") for d in ("pthread", "lockpool-fair")]
        units = suite.workloads_of(suite.families(names))
        self.assertEqual(sorted(units), ["get_hold", "get_hold_local"])
        self.assertEqual(sorted(units["get_hold_local"]), ["get_hold_local/lockpool-fair", "get_hold_local/pthread",
                                                          "get_hold_remote/lockpool-fair", "get_hold_remote/pthread"])

    def test_filter_escape_is_posix(self):
        # POSIX ERE has no '\-' escape (GB rejects it); metacharacters are escaped.
        self.assertEqual(suite.posix_escape("get_hold/spin-ttas"), "get_hold/spin-ttas")
        self.assertEqual(suite.posix_escape("a.b(c)|d"), "a\\.b\\(c\\)\\|d")

    def test_duration_format(self):
        self.assertEqual(suite.fmt_dur(754), "12:34")


if __name__ == "__main__":
    unittest.main()
