"""run-suite's --history: a real (tiny) suite run with the harness of this build is added to
the history as it finishes. ctest passes the build folder in LP_BUILD_DIR."""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

from lpbench import history
from tests import history_synth as hs

BUILD = os.environ.get("LP_BUILD_DIR", "")


@unittest.skipUnless(os.access(os.path.join(BUILD, "bench", "lockpool-bench"), os.X_OK),
                     "no lockpool-bench in LP_BUILD_DIR (ctest sets it to a build with the harness)")
class SuiteAddsToHistory(unittest.TestCase):
    def test_run_is_added_when_it_finishes(self):
        tmp = tempfile.mkdtemp(prefix="lp-suite-history-")
        try:
            db = os.path.join(tmp, "h.sqlite")
            out = os.path.join(tmp, "run")
            p = subprocess.run([sys.executable, os.path.join(hs.SCRIPTS, "lp-suite"), "--build", BUILD,
                                "--out", out, "--filter", "^uncontended/pthread/", "--reps", "2", "--run-ms", "20",
                                "--no-fastpath", "--history", db], capture_output=True, text=True, timeout=600,
                               env=dict(os.environ, MPLBACKEND="Agg", PYTHONDONTWRITEBYTECODE="1"))
            self.assertTrue(os.path.exists(os.path.join(out, "bench.json")), p.stdout + p.stderr)
            st = subprocess.run(["git", "-C", hs.SCRIPTS, "status", "--porcelain", "--untracked-files=no"],
                                capture_output=True, text=True)
            if st.returncode != 0 or st.stdout.strip():
                # A build of uncommitted changes (or of a copy without .git) names no clean commit:
                # the history refuses it, loudly.
                self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
                self.assertIn("names no clean commit", p.stderr)
                return
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
            self.assertIn("lp-history add", p.stdout)
            h = history.DB(db)
            self.assertEqual(h.query("SELECT COUNT(*) FROM runs")[0][0], 1)
            self.assertEqual(h.query("SELECT COUNT(DISTINCT repetition) FROM samples")[0][0], 2)
            h.close()
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
