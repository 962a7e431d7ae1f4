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
from lpbench import gate  # noqa: E402

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
        # 30% slower throughput = +43% time per op: a 60% threshold lets it through.
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
        self.assertTrue(all(v["change"] > 0.10 and v["pvalue"] < 0.05 for v in bad))

    def test_nothing_in_common_is_an_error(self):
        other = os.path.join(self.tmp.name, "other.json")
        synth.write(other, {"context": {}, "benchmarks": []})
        rc, out = self.gate(self.base, other, "--checks", "abs")
        self.assertEqual(rc, 2, out)


class GateStatistics(unittest.TestCase):
    def test_min_significant_reps(self):
        self.assertEqual(gate.min_significant_reps(0.05), 4)   # n=3 can never reach p < 0.1
        self.assertEqual(gate.min_significant_reps(0.01), 5)

    def test_large_but_not_significant_change_is_noise(self):
        base = {"b": [100.0, 150.0, 90.0, 160.0, 95.0]}
        cur = {"b": [120.0, 100.0, 170.0, 92.0, 165.0]}
        (v,) = gate.compare_series("abs", base, cur, threshold=0.10, alpha=0.05)
        self.assertGreater(v.change, 0.10)
        self.assertGreaterEqual(v.pvalue, 0.05)
        self.assertEqual(v.verdict, gate.NOISE)

    def test_significant_regression(self):
        base = {"b": [100.0, 101.0, 99.0, 100.5, 99.5]}
        cur = {"b": [130.0, 131.0, 129.0, 130.5, 129.5]}
        (v,) = gate.compare_series("abs", base, cur, threshold=0.10, alpha=0.05)
        self.assertAlmostEqual(v.change, 0.30)
        self.assertEqual(v.verdict, gate.REGRESSION)

    def test_significant_improvement(self):
        base = {"b": [130.0, 131.0, 129.0, 130.5, 129.5]}
        cur = {"b": [100.0, 101.0, 99.0, 100.5, 99.5]}
        (v,) = gate.compare_series("abs", base, cur, threshold=0.10, alpha=0.05)
        self.assertEqual(v.verdict, gate.IMPROVEMENT)

    def test_single_repetition_falls_back_to_threshold(self):
        (v,) = gate.compare_series("abs", {"b": [100.0]}, {"b": [130.0]}, threshold=0.10, alpha=0.05)
        self.assertEqual(v.verdict, gate.REGRESSION)
        self.assertIn("threshold only", v.note)
        (v,) = gate.compare_series("abs", {"b": [100.0]}, {"b": [105.0]}, threshold=0.10, alpha=0.05)
        self.assertEqual(v.verdict, gate.SAME)

    def test_missing_benchmark_reported_not_failed(self):
        (v,) = gate.compare_series("abs", {"b": [1.0, 2.0]}, {}, threshold=0.1, alpha=0.05)
        self.assertEqual(v.verdict, gate.MISSING)

    def test_ratio_series_pairs_repetitions(self):
        doc = synth.make_run(seed=3, reps=4, designs=["lockpool-fair", "pthread"],
                             workloads=["get_hold"], threads=[4])
        from lpbench import results
        run = results.Run(doc)
        series = gate.ratio_series(run, "ops_per_s", "pthread")
        (name,) = series
        self.assertTrue(name.endswith(" / pthread"))
        fair = {s.repetition: s.get("ops_per_s") for s in run.samples[run.keys(design="lockpool-fair")[0]]}
        ref = {s.repetition: s.get("ops_per_s") for s in run.samples[run.keys(design="pthread")[0]]}
        # time ratio = (1/fair) / (1/ref) = ref / fair, per repetition
        self.assertEqual(len(series[name]), 4)
        for r, v in enumerate(series[name]):
            self.assertAlmostEqual(v, ref[r] / fair[r])

    def test_instr_verdicts(self):
        vs = gate.compare_instr({"a": 20.0, "b": 30.0, "c": 5.0}, {"a": 20.0, "b": 29.0}, 0.0)
        self.assertEqual([v.verdict for v in vs], [gate.SAME, gate.IMPROVEMENT, gate.MISSING])


if __name__ == "__main__":
    unittest.main()
