"""results/runs/ is ignored by git except the committed reference runs, and results/README.md
names exactly those: a new run leaves `git status` clean, a reference run cannot be ignored by
mistake, and .gitignore keeps no exception for a run that is gone."""
import os
import re
import subprocess
import unittest

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def git(*args):
    return subprocess.run(["git", "-C", TOP] + list(args), capture_output=True, text=True)


def ignored(path):
    """git check-ignore's verdict for a path (need not exist, nor be tracked)."""
    r = git("check-ignore", "-q", "--no-index", path)
    if r.returncode not in (0, 1):
        raise AssertionError(f"git check-ignore {path}: {r.stderr.strip()}")
    return r.returncode == 0


@unittest.skipUnless(git("rev-parse", "--is-inside-work-tree").stdout.strip() == "true",
                     "not a git checkout: nothing to check")
class ResultsIgnored(unittest.TestCase):
    def committed_runs(self):
        files = git("ls-files", "results/runs").stdout.split()
        return sorted({f.split("/")[2] for f in files if f.count("/") >= 3})

    def test_there_is_a_reference_run(self):
        self.assertTrue(self.committed_runs(), "no run is committed under results/runs/")

    def test_new_runs_are_ignored(self):
        for name in ("2031-01-02_030405_somehost", "2031-01-02_030405_somehost_quick", "my-scratch"):
            for f in ("bench.json", "report.md", "throughput.png", ".parts/x.json"):
                self.assertTrue(ignored(f"results/runs/{name}/{f}"), f"results/runs/{name}/{f} is not ignored")

    def test_reference_runs_are_kept_and_named(self):
        with open(os.path.join(TOP, "results", "README.md")) as f:
            readme = f.read()
        for name in self.committed_runs():
            for f in ("bench.json", "report.md", "a-new-plot.png"):
                self.assertFalse(ignored(f"results/runs/{name}/{f}"), f"reference run {name}: {f} is ignored")
            self.assertIn(f"runs/{name}/", readme, f"reference run {name} is not named in results/README.md")

    def test_no_stale_exception(self):
        with open(os.path.join(TOP, ".gitignore")) as f:
            kept = re.findall(r"^!/results/runs/([^/\s]+)/?\s*$", f.read(), re.M)
        self.assertTrue(kept, ".gitignore keeps no reference run")
        self.assertEqual(sorted(kept), self.committed_runs(),
                         ".gitignore's exceptions and the committed runs differ")

    def test_other_results_not_ignored(self):
        self.assertFalse(ignored("results/README.md"))
        self.assertFalse(ignored("results/baseline/reference/bench.json"))


if __name__ == "__main__":
    unittest.main()
