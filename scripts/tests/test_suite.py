"""The suite runner's verdicts, through scripts/lp-suite as run-suite.sh calls it, with a
stand-in harness: a small script that answers like lockpool-bench from the rows of the
committed reference run (so nothing is measured) and crashes on one workload.

A workload family that fails makes the suite exit 1 and its report say so first; a --gate
baseline that is not a run stops the suite (status 2) before the harness is started."""
import json
import os
import re
import stat
import subprocess
import sys
import tempfile
import textwrap
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPTS = os.path.dirname(HERE)
REFERENCE = os.path.join(os.path.dirname(SCRIPTS), "results", "runs", "2026-11-26_185407_vm")
LP_SUITE = os.path.join(SCRIPTS, "lp-suite")

FAKE_BENCH = textwrap.dedent('''\
    #!{python}
    """Stand-in for lockpool-bench: lists and 'runs' the reference run's benchmarks."""
    import json, re, sys
    ref = json.load(open({bench!r}))
    log = open({calls!r}, "a")
    log.write(" ".join(sys.argv[1:]) + "\\n")
    args = dict(a.split("=", 1) for a in sys.argv[1:] if "=" in a)
    names = list(dict.fromkeys(r["run_name"] for r in ref["benchmarks"] if r.get("run_type") == "iteration"))
    pat = re.compile(args.get("--benchmark_filter", "."))
    names = [n for n in names if pat.search(n)]
    if "--benchmark_list_tests=true" in sys.argv:
        print("\\n".join(names))
        sys.exit(0)
    if any(n.startswith({crash!r}) for n in names):
        print("[lockpool-bench] #1 " + names[0], flush=True)
        sys.exit(134)  # as a crashing design would
    rows = [r for r in ref["benchmarks"] if r.get("run_type") == "iteration" and r["run_name"] in names]
    for n in names:
        print("[lockpool-bench] #1 " + n, flush=True)
    # Each process's calibration in its context, and (for the get_hold process) a drift found at
    # its end in its detail file, as the harness writes them; nothing about either on the console.
    ctx = dict(ref["context"], lp_spin_calibration="200ns=7%02dit" % len(names))
    drift = "200 ns of work now takes 430 ns" if any(n.startswith("get_hold/") for n in names) else ""
    json.dump({{"context": ctx, "benchmarks": rows}}, open(args["--benchmark_out"], "w"))
    json.dump({{"lp_calibration_drift": drift, "benchmarks": {{}}}}, open(args["--lp_detail_out"], "w"))
''')


class SuiteVerdicts(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.build = os.path.join(self.tmp.name, "build")
        os.makedirs(os.path.join(self.build, "bench"))
        self.calls = os.path.join(self.tmp.name, "calls.log")

    def tearDown(self):
        self.tmp.cleanup()

    def fake_bench(self, crash_prefix):
        path = os.path.join(self.build, "bench", "lockpool-bench")
        with open(path, "w") as f:
            f.write(FAKE_BENCH.format(python=sys.executable, bench=os.path.join(REFERENCE, "bench.json"),
                                      calls=self.calls, crash=crash_prefix))
        os.chmod(path, os.stat(path).st_mode | stat.S_IXUSR)

    def suite(self, *args):
        out = os.path.join(self.tmp.name, "run")
        p = subprocess.run([sys.executable, LP_SUITE, "--build", self.build, "--out", out, "--no-fastpath",
                            "--reps", "1", "--run-ms", "25", *args],
                           capture_output=True, text=True, env=dict(os.environ, MPLBACKEND="Agg"))
        self.assertNotIn("Traceback", p.stderr)
        return p.returncode, p.stdout + p.stderr, out

    def test_a_failing_family_fails_the_suite_and_heads_the_report(self):
        self.fake_bench("async/")
        rc, out, run = self.suite("--filter", "^(uncontended|async)/(lockpool-fair|pthread)/")
        self.assertEqual(rc, 1, out)
        self.assertIn("FAILED: 1 problem(s)", out)
        with open(os.path.join(run, "report.md")) as f:
            report = f.read().splitlines()
        first = next(l for l in report[1:] if l.strip())
        self.assertIn("incomplete or broken", first)
        self.assertTrue(any("family async/lockpool-fair failed" in l for l in report[:8]), report[:8])
        with open(os.path.join(run, "run.json")) as f:
            self.assertEqual(len(json.load(f)["problems"]), 1)

    def test_a_clean_run_exits_zero(self):
        self.fake_bench("nothing-crashes")
        rc, out, _ = self.suite("--filter", "^uncontended/(lockpool-fair|pthread)/")
        self.assertEqual(rc, 0, out)

    def test_calibration_notes_come_from_the_harness_json(self):
        self.fake_bench("nothing-crashes")
        rc, out, run = self.suite("--filter", "^(uncontended|get_hold)/pthread/")
        self.assertEqual(rc, 0, out)
        with open(os.path.join(run, "run.json")) as f:
            meta = json.load(f)
        self.assertEqual(len(meta["spin_calibrations"]), 2, "one per harness process")
        self.assertTrue(all(re.fullmatch(r"200ns=7\d\dit", c) for c in meta["spin_calibrations"]), meta)
        self.assertEqual(meta["calibration_drift"], ["200 ns of work now takes 430 ns"])
        with open(os.path.join(run, "bench.log")) as f:
            self.assertNotIn("calibration", f.read(), "the notes cannot have come from the log")
        with open(os.path.join(run, "report.md")) as f:
            self.assertIn("drift: 200 ns of work now takes 430 ns", f.read())

    def test_a_gate_baseline_that_is_no_run_stops_before_measuring(self):
        self.fake_bench("nothing-crashes")
        for bad in (os.path.join(self.tmp.name, "typo"), self.tmp.name):
            rc, out, run = self.suite("--gate", bad)
            self.assertEqual(rc, 2, out)
            self.assertIn("nothing measured", out)
            self.assertFalse(os.path.exists(self.calls), "the harness was started")
            self.assertFalse(os.path.exists(run))

    def test_bad_gate_options_stop_before_measuring(self):
        self.fake_bench("nothing-crashes")
        rc, out, _ = self.suite("--gate", REFERENCE, "--gate-arg=--metric=nosuch")
        self.assertEqual(rc, 2, out)
        self.assertIn("unknown metric", out)
        self.assertFalse(os.path.exists(self.calls))


if __name__ == "__main__":
    unittest.main()
