"""The dashboard in a real browser: Debian's chromium, headless, opens the page from a file
(no server, no network) and dumps the DOM after the inline script ran. The test wants no
console message at all, data-status="ok", and as many drawn series and change-point marks as
the synthetic history has. A page with a script error must fail the same check."""
import os
import re
import shutil
import subprocess
import tempfile
import unittest

from tests import history_synth as hs

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def open_in_chromium(page, tmp):
    """(DOM after load, console lines) of a page opened by headless chromium."""
    cmd = [CHROMIUM, "--headless=new", "--disable-gpu", "--no-first-run", "--disable-extensions",
           f"--user-data-dir={os.path.join(tmp, 'profile')}", "--enable-logging=stderr", "--v=0",
           "--dump-dom", "file://" + os.path.abspath(page)]
    if os.geteuid() == 0:
        cmd.insert(1, "--no-sandbox")   # chromium's sandbox refuses to run as root (CI does)
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
    console = [line for line in p.stderr.splitlines() if ":CONSOLE" in line]
    return p.returncode, p.stdout, console


@unittest.skipUnless(CHROMIUM, "chromium not installed (scripts/install-deps.sh installs it from "
                               "scripts/packages-history.txt)")
class DashboardInChromium(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="lp-dashboard-test-")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_loads_without_errors_and_draws_every_series(self):
        db = os.path.join(self.tmp, "h.sqlite")
        rc, out, err = hs.lp_history("add", "--db", db, *hs.history_runs(self.tmp, n=10, shift_at=5))
        self.assertEqual(rc, 0, err)
        page = os.path.join(self.tmp, "dash.html")
        rc, out, err = hs.lp_history("dashboard", "--db", db, page)
        self.assertEqual(rc, 0, err)
        # 2 designs x 1 workload x 2 headline metrics = 4 charts, 2 thread counts each; the
        # planted step marks both barging series in both metrics.
        self.assertIn("4 charts, 8 series, 4 change points", out)
        with open(page) as f:
            text = f.read()
        # Nothing fetched at view time: no src/href/url()/import, no http(s) but the SVG namespace.
        self.assertIsNone(re.search(r"\b(src|href)\s*=|url\(|@import|<link", text))
        self.assertEqual(set(re.findall(r"https?://[^\s'\"]+", text)), {"http://www.w3.org/2000/svg"})
        rc, dom, console = open_in_chromium(page, self.tmp)
        self.assertEqual(rc, 0)
        self.assertEqual(console, [])
        self.assertIn('data-status="ok"', dom)
        self.assertIn('data-series="8"', dom)
        self.assertEqual(len(re.findall(r'<path[^>]*class="series"', dom)), 8)
        self.assertEqual(len(re.findall(r'<line[^>]*class="change"', dom)), 4)
        self.assertEqual(len(re.findall(r'<section class="chart"', dom)), 4)

    def test_a_script_error_is_caught(self):
        # The same check on a page whose data is broken must fail: it can tell.
        db = os.path.join(self.tmp, "h.sqlite")
        hs.lp_history("add", "--db", db, *hs.history_runs(self.tmp, n=4))
        page = os.path.join(self.tmp, "dash.html")
        rc, out, err = hs.lp_history("dashboard", "--db", db, page)
        self.assertEqual(rc, 0, err)
        with open(page) as f:
            text = f.read()
        with open(page, "w") as f:
            f.write(text.replace('"charts":', '"chartz":', 1))
        rc, dom, console = open_in_chromium(page, self.tmp)
        self.assertIn('data-status="error"', dom)
        self.assertTrue(any("Uncaught" in line for line in console), console)
        self.assertEqual(len(re.findall(r'class="series"', dom)), 0)


if __name__ == "__main__":
    unittest.main()
