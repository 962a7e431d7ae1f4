"""The regression gate's verdicts on doctored runs: a 30% slowdown must fail, run-to-run
noise and a repeat of the same run must pass; ratios survive a uniformly slower machine;
callgrind counts are compared exactly."""
import json
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPTS = os.path.dirname(HERE)
sys.path.insert(0, SCRIPTS)
sys.path.insert(0, HERE)
import synth  # noqa: E402
from lpbench import gate, results  # noqa: E402

LP_GATE = os.path.join(SCRIPTS, "lp-gate")


def fastpath_doc(**ipp):
    return {"iters": 1000, "designs": {d.replace("_", "-"): {"instr_per_pair": v} for d, v in ipp.items()}}


class GateCli(unittest.TestCase):
    """Through the command line, as CI calls it: exit status is the verdict."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        d = cls.tmp.name

        def run_dir(name, doc, fp):
            path = os.path.join(d, name)
            os.makedirs(path)
            synth.write(os.path.join(path, "bench.json"), doc)
            synth.write(os.path.join(path, "fastpath.json"), fp)
            return path

        fp = fastpath_doc(lockpool_fair=21.0, pthread=95.0, bare_cas=16.0)
        cls.base = run_dir("base", synth.make_run(seed=11), fp)
        cls.repeat = run_dir("repeat", synth.make_run(seed=12), fp)        # same config, new noise
        cls.same = run_dir("same", synth.make_run(seed=11), fp)            # byte-identical
        cls.slow = run_dir("slow", synth.make_run(seed=13, scale={"lockpool-fair": 0.7}), fp)
        cls.machine = run_dir("machine", synth.make_run(seed=14, scale={d: 0.7 for d in synth.DESIGNS}), fp)
        cls.instr = run_dir("instr", synth.make_run(seed=12),
                            fastpath_doc(lockpool_fair=22.0, pthread=95.0, bare_cas=16.0))

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def gate(self, *args):
        p = subprocess.run([sys.executable, LP_GATE, *args], capture_output=True, text=True)
        return p.returncode, p.stdout + p.stderr

    def test_repeat_of_same_configuration_passes(self):
        rc, out = self.gate(self.base, self.repeat)
        self.assertEqual(rc, 0, out)
        self.assertIn("PASS", out)

    def test_identical_run_passes(self):
        rc, out = self.gate(self.base, self.same)
        self.assertEqual(rc, 0, out)

    def test_thirty_percent_slowdown_fails(self):
        rc, out = self.gate(self.base, self.slow)
        self.assertEqual(rc, 1, out)
        regressed = [l for l in out.splitlines() if l.rstrip().endswith("REGRESSION")]
        self.assertTrue(regressed)
        self.assertTrue(all("lockpool-fair" in l for l in regressed), regressed)

    def test_slowdown_fails_in_ratio_mode_too(self):
        rc, out = self.gate(self.base, self.slow, "--checks", "ratio")
        self.assertEqual(rc, 1, out)

    def test_uniformly_slower_machine_fails_absolute_but_passes_ratio(self):
        rc_abs, out_abs = self.gate(self.base, self.machine, "--checks", "abs")
        rc_ratio, out_ratio = self.gate(self.base, self.machine, "--checks", "ratio")
        self.assertEqual(rc_abs, 1, out_abs)
        self.assertEqual(rc_ratio, 0, out_ratio)

    def test_threshold_is_respected(self):
        # 30% less throughput: a 60% loss threshold lets it through.
        rc, out = self.gate(self.base, self.slow, "--checks", "abs", "--threshold", "0.6")
        self.assertEqual(rc, 0, out)

    def test_one_more_instruction_fails_exactly(self):
        rc, out = self.gate(self.base, self.instr, "--checks", "instr")
        self.assertEqual(rc, 1, out)
        rc, out = self.gate(self.base, self.instr, "--checks", "instr", "--instr-tolerance", "0.05")
        self.assertEqual(rc, 0, out)

    def test_json_out(self):
        path = os.path.join(self.tmp.name, "verdicts.json")
        rc, _ = self.gate(self.base, self.slow, "--json-out", path)
        self.assertEqual(rc, 1)
        with open(path) as f:
            doc = json.load(f)
        bad = [v for v in doc["verdicts"] if v["verdict"] == gate.REGRESSION]
        self.assertTrue(bad)
        self.assertTrue(all(v["pvalue"] < 0.05 for v in bad))
        self.assertTrue(all(v["change"] < -0.10 for v in bad if v["metric"] in ("throughput", "ratio")))

    def test_nothing_in_common_is_an_error(self):
        other = os.path.join(self.tmp.name, "other.json")
        synth.write(other, {"context": {}, "benchmarks": []})
        rc, out = self.gate(self.base, other, "--checks", "abs")
        self.assertEqual(rc, 2, out)


THROUGHPUT = gate.METRIC_BY_NAME["throughput"]
P99 = gate.METRIC_BY_NAME["p99"]


class GateStatistics(unittest.TestCase):
    def test_min_significant_reps(self):
        self.assertEqual(gate.min_significant_reps(0.05), 4)   # n=3 can never reach p < 0.05
        self.assertEqual(gate.min_significant_reps(0.01), 5)

    def test_large_but_not_significant_change_is_noise(self):
        base = [100.0, 150.0, 90.0, 160.0, 95.0]
        cur = [120.0, 100.0, 170.0, 92.0, 165.0]
        v = gate.compare_values(P99, "b", base, cur, threshold=1.1, alpha=0.05)
        self.assertGreater(v.change, 1.1)
        self.assertGreaterEqual(v.pvalue, 0.05)
        self.assertEqual(v.verdict, gate.NOISE)

    def test_significant_regression_in_the_metrics_direction(self):
        base = [100.0, 101.0, 99.0, 100.5, 99.5]
        cur = [70.0, 70.7, 69.3, 70.35, 69.65]
        v = gate.compare_values(THROUGHPUT, "b", base, cur, threshold=0.10, alpha=0.05)
        self.assertAlmostEqual(v.change, -0.30)
        self.assertEqual(v.verdict, gate.REGRESSION)
        self.assertEqual(gate.format_change(v), "throughput \u221230.0%")
        v = gate.compare_values(P99, "b", base, [3 * x for x in base], threshold=2.0, alpha=0.05)
        self.assertEqual((v.verdict, gate.format_change(v)), (gate.REGRESSION, "p99 \u00d73.0"))

    def test_significant_improvement(self):
        base = [70.0, 70.7, 69.3, 70.35, 69.65]
        cur = [100.0, 101.0, 99.0, 100.5, 99.5]
        v = gate.compare_values(THROUGHPUT, "b", base, cur, threshold=0.10, alpha=0.05)
        self.assertEqual(v.verdict, gate.IMPROVEMENT)

    def test_single_repetition_falls_back_to_threshold(self):
        v = gate.compare_values(THROUGHPUT, "b", [100.0], [70.0], threshold=0.10, alpha=0.05)
        self.assertEqual(v.verdict, gate.REGRESSION)
        self.assertIn("threshold only", v.note)
        v = gate.compare_values(THROUGHPUT, "b", [100.0], [95.0], threshold=0.10, alpha=0.05)
        self.assertEqual(v.verdict, gate.SAME)

    def test_ratio_values_divide_by_the_reference_median(self):
        doc = synth.make_run(seed=3, reps=4, designs=["lockpool-fair", "pthread"],
                             workloads=["get_hold"], threads=[4])
        from lpbench import results
        import statistics
        run = results.Run(doc)
        (fair,) = run.keys(design="lockpool-fair")
        ref = statistics.median(run.values(fair._replace(design="pthread"), "ops_per_s"))
        got = gate.ratio_values(run, fair, "pthread")
        self.assertEqual(len(got), 4)
        for v, ops in zip(got, run.values(fair, "ops_per_s")):
            self.assertAlmostEqual(v, ops / ref)

    def test_instr_verdicts(self):
        vs = gate.compare_instr({"a": 20.0, "b": 30.0, "c": 5.0}, {"a": 20.0, "b": 29.0}, 0.0)
        self.assertEqual([v.verdict for v in vs], [gate.SAME, gate.IMPROVEMENT, gate.MISSING])

    def test_every_threshold_range_is_checked(self):
        for m in gate.METRICS:
            gate.check_threshold(m, m.default, "default")  # the defaults are in range
            with self.assertRaises(gate.InputError):
                gate.check_threshold(m, -1.0, "negative")


class DesignPromises(unittest.TestCase):
    """FIFO promises are read from the run's context (written by the bench from the C
    registry), so a new design is judged without any change here."""

    def gate_on(self, flags, violations):
        with tempfile.TemporaryDirectory() as d:
            designs = ["lockpool", "pthread"]
            ctx = {"lp_design_flags": json.dumps(flags)} if flags is not None else {}
            base = synth.make_run(seed=5, designs=designs, workloads=["get_hold"], threads=[2, 8], context=ctx,
                                  registry=flags is not None)
            cur = synth.make_run(seed=5, designs=designs, workloads=["get_hold"], threads=[2, 8], context=ctx,
                                 registry=flags is not None)
            for doc, v in ((base, 0.0), (cur, violations)):
                for r in doc["benchmarks"]:
                    if "/lockpool/" in r["name"]:
                        r["fifo_violations_per_m"] = 0.0
                if doc is cur:
                    doc["benchmarks"][0]["fifo_violations_per_m"] = v
            synth.write(os.path.join(d, "b.json"), base)
            synth.write(os.path.join(d, "c.json"), cur)
            p = subprocess.run([sys.executable, LP_GATE, os.path.join(d, "b.json"), os.path.join(d, "c.json"),
                                "--checks", "fifo,errors"], capture_output=True, text=True)
            return p.returncode, p.stdout + p.stderr

    def test_a_new_design_promising_fifo_is_held_to_it(self):
        rc, out = self.gate_on({"lockpool": ["fifo", "bounded", "blocking"], "pthread": ["bounded"]}, 3.0)
        self.assertEqual(rc, 1, out)
        self.assertIn("fifo 0 \u2192 3 per M get_hold/lockpool/", out)
        self.assertIn("from lp_design_flags", out)

    def test_a_design_without_the_promise_is_not(self):
        rc, out = self.gate_on({"lockpool": ["bounded", "blocking"], "pthread": ["bounded"]}, 3.0)
        self.assertEqual(rc, 0, out)

    def test_runs_without_the_key_fall_back_and_say_so(self):
        rc, out = self.gate_on(None, 3.0)
        self.assertEqual(rc, 1, out)
        self.assertIn("fallback", out)

    def test_a_malformed_key_is_an_input_error(self):
        rc, out = self.gate_on("not a dict", 0.0)
        self.assertEqual(rc, 2, out)
        self.assertNotIn("Traceback", out)


class FifoPolicy(unittest.TestCase):
    """judge_fifo on (violations per M, violating grants) per repetition: a zero baseline
    allows nothing; over a residue a rise must pass the relative threshold and the floor."""
    m = gate.METRIC_BY_NAME["fifo"]

    def judge(self, old, new, threshold=None):
        return gate.judge_fifo(self.m, old, new, self.m.default if threshold is None else threshold)[0]

    @staticmethod
    def reps(*pairs):
        """(grants, ops) per repetition -> (rate per M, grants)."""
        return [(g * 1e6 / ops, float(g)) for g, ops in pairs]

    def test_a_zero_baseline_allows_no_violation(self):
        clean = self.reps((0, 2e5), (0, 3e5))
        self.assertEqual(self.judge(clean, self.reps((0, 2e5), (1, 4e6))), gate.REGRESSION)
        self.assertEqual(self.judge(clean, clean), gate.SAME)

    def test_one_residue_grant_in_a_slower_repetition_is_noise(self):
        base = self.reps((1, 2e5), (0, 2e5))             # 5 per M
        self.assertEqual(self.judge(base, self.reps((1, 5e4), (0, 2e5))), gate.NOISE)   # 20 per M: x4
        floor = int(self.m.floor)
        self.assertEqual(self.judge(base, self.reps((1 + floor, 2e5))), gate.NOISE)
        self.assertEqual(self.judge(base, self.reps((2 + floor, 2e5))), gate.REGRESSION)

    def test_many_grants_that_do_not_double_the_rate_pass(self):
        base = self.reps((50, 2e5))                      # 250 per M
        self.assertNotEqual(self.judge(base, self.reps((60, 2e5))), gate.REGRESSION)    # +10 grants, x1.2
        self.assertEqual(self.judge(base, self.reps((120, 2e5))), gate.REGRESSION)      # x2.4
        self.assertNotEqual(self.judge(base, self.reps((120, 2e5)), threshold=2.0), gate.REGRESSION)

    def test_without_ops_the_rate_alone_decides_and_says_so(self):
        base = [(5.0, None)]
        verdict, note = gate.judge_fifo(self.m, base, [(11.0, None)], self.m.default)
        self.assertEqual(verdict, gate.REGRESSION)
        self.assertIn("no ops counter", note)
        self.assertNotEqual(self.judge(base, [(9.0, None)]), gate.REGRESSION)

    def test_grants_are_counted_from_the_ops_counter(self):
        doc = synth.make_run(seed=5, designs=["lockpool-fair"], workloads=["get_hold"], threads=[8], reps=3)
        rows = [r for r in doc["benchmarks"] if r.get("run_type", "iteration") == "iteration"]
        rows[0]["fifo_violations_per_m"] = 3 * 1e6 / rows[0]["ops"]
        del rows[1]["ops"]
        rows[1]["fifo_violations_per_m"] = 2.0
        run = results.Run(doc)
        (key,) = list(run.samples)
        got = sorted(gate.fifo_repetitions(run, key), key=lambda x: (x[1] is None, x))
        self.assertEqual([n for _, n in got], [0.0, 3.0, None])


class UTestPower(unittest.TestCase):
    """scripts/README.md: with 9 repetitions a side, a change past its threshold fails when at
    most 21 of the 81 (baseline, current) repetition pairs have the current one ahead."""

    def test_twenty_one_of_eighty_one_pairs(self):
        m = gate.METRIC_BY_NAME["throughput"]
        base = [100.0 * (i + 1) for i in range(9)]
        for ahead, verdict in (([0, 0, 0, 0, 1, 2, 3, 6, 9], gate.REGRESSION), ([0, 0, 0, 0, 1, 2, 4, 6, 9], gate.NOISE)):
            cur = [100.0 * k + 50 for k in ahead]       # above exactly k baseline repetitions
            self.assertEqual(sum(c > b for c in cur for b in base), sum(ahead))
            self.assertEqual(gate.compare_values(m, "x", base, cur, m.default, gate.ALPHA).verdict, verdict)


if __name__ == "__main__":
    unittest.main()
