"""The gate on real data: the committed reference baseline (results/baseline/reference),
doctored. A 30% throughput loss of one design must fail; the same run, and the same run with
+-3% noise on every repetition, must pass. Skipped (not passed) while no baseline is committed."""
import copy
import json
import os
import random
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPTS = os.path.dirname(HERE)
BASELINE = os.path.join(os.path.dirname(SCRIPTS), "results", "baseline", "reference")
LP_GATE = os.path.join(SCRIPTS, "lp-gate")


def doctored(doc, factor_of):
    out = copy.deepcopy(doc)
    for row in out["benchmarks"]:
        if row.get("run_type") == "iteration" and "ops_per_s" in row:
            row["ops_per_s"] *= factor_of(row)
    return out


@unittest.skipUnless(os.path.exists(os.path.join(BASELINE, "bench.json")), "no committed baseline yet")
class ReferenceBaseline(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        with open(os.path.join(BASELINE, "bench.json")) as f:
            cls.doc = json.load(f)
        cls.tmp = tempfile.TemporaryDirectory()

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def gate(self, doc, *args):
        path = os.path.join(self.tmp.name, f"current{random.random()}.json")
        with open(path, "w") as f:
            json.dump(doc, f)
        p = subprocess.run([sys.executable, LP_GATE, os.path.join(BASELINE, "bench.json"), path,
                            "--checks", "abs", *args], capture_output=True, text=True)
        return p.returncode, p.stdout + p.stderr

    def test_has_repetitions_for_the_u_test(self):
        reps = [r.get("repetitions", 1) for r in self.doc["benchmarks"] if r.get("run_type") == "iteration"]
        self.assertGreaterEqual(min(reps), 4)

    def test_same_run_passes(self):
        rc, out = self.gate(self.doc)
        self.assertEqual(rc, 0, out)

    def test_small_noise_passes(self):
        rng = random.Random(7)
        rc, out = self.gate(doctored(self.doc, lambda r: 1.0 + rng.uniform(-0.03, 0.03)))
        self.assertEqual(rc, 0, out)

    def test_thirty_percent_slowdown_of_one_design_fails(self):
        slow = doctored(self.doc, lambda r: 0.7 if "/lockpool-fair/" in r["name"] else 1.0)
        rc, out = self.gate(slow)
        self.assertEqual(rc, 1, out)
        regressed = [l for l in out.splitlines() if l.rstrip().endswith("REGRESSION")]
        self.assertTrue(regressed and all("/lockpool-fair/" in l for l in regressed), out)
        # Where the repetitions themselves spread wider than 43% (blocking workloads on a busy
        # host), the U test may not call it: such lines must say "noise", never "same".
        fair_lines = [l for l in out.splitlines() if l.startswith("abs:") and "/lockpool-fair/" in l]
        self.assertTrue(fair_lines)
        self.assertTrue(all(l.rstrip().endswith(("REGRESSION", "noise")) for l in fair_lines), out)
        self.assertGreaterEqual(len(regressed), len(fair_lines) / 2)


if __name__ == "__main__":
    unittest.main()
