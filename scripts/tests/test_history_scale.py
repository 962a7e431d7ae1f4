"""The scale script at a toy size, so it keeps working (its real size is run by hand; the
times it prints are measurements, not checked here)."""
import subprocess
import sys
import unittest

from tests import history_synth as hs
import os


class ScaleScript(unittest.TestCase):
    def test_toy_size(self):
        p = subprocess.run([sys.executable, os.path.join(hs.SCRIPTS, "lp-history-scale"), "--runs", "40",
                            "--benchmarks", "10", "--reps", "3"], capture_output=True, text=True, timeout=600)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("1 of 1 planted steps found at their run", p.stdout)
        for what in ("load:", "trend:", "changes:", "database:"):
            self.assertIn(what, p.stdout)
        self.assertIn("(one series, 40 runs", p.stdout)

    def test_bad_option(self):
        p = subprocess.run([sys.executable, os.path.join(hs.SCRIPTS, "lp-history-scale"), "--runs", "0"],
                           capture_output=True, text=True)
        self.assertEqual(p.returncode, 2)


if __name__ == "__main__":
    unittest.main()
