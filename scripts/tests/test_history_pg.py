"""The same lp-history cases against a real PostgreSQL server, started for this test in a
temporary folder (initdb + pg_ctl, Unix socket only, no TCP port) and stopped after it.
PostgreSQL refuses to run as root, so as root (CI) the server runs as the user 'nobody'.
Skipped, saying why, only where the server or psycopg2 is not installed."""
import glob
import os
import shutil
import subprocess
import tempfile
import unittest

from lpbench import history
from tests import history_synth as hs
from tests.test_history import HistoryCases


def _bindir():
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(p.split("/")[4]) if p.split("/")[4].isdigit() else 0)
    return os.path.dirname(found[-1]) if found else None


def _have_psycopg2():
    try:
        import psycopg2  # noqa: F401
        return True
    except ImportError:
        return False


BINDIR = _bindir()
WHY_NOT = (None if BINDIR and _have_psycopg2() else
           "PostgreSQL server (initdb) or python3-psycopg2 not installed; scripts/install-deps.sh "
           "installs both from scripts/packages-history.txt")


class Server:
    """A throw-away PostgreSQL cluster listening only on a socket in its own folder."""

    def __init__(self):
        self.root = tempfile.mkdtemp(prefix="lp-pg-")
        self.user = None
        if os.geteuid() == 0:
            self.user = "nobody"
            shutil.chown(self.root, user="nobody")
        self.data = os.path.join(self.root, "data")
        self.log = os.path.join(self.root, "server.log")

    def _run(self, *cmd):
        full = (["runuser", "-u", self.user, "--"] if self.user else []) + list(cmd)
        p = subprocess.run(full, capture_output=True, text=True, timeout=120, cwd=self.root)
        if p.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd[:2])} failed: {p.stdout[-500:]} {p.stderr[-500:]}")
        return p.stdout

    def start(self):
        self._run(os.path.join(BINDIR, "initdb"), "-D", self.data, "-A", "trust", "-U", "lp", "--no-sync", "-E", "UTF8")
        opts = f"-k {self.root} -c listen_addresses='' -c fsync=off -c full_page_writes=off"
        self._run(os.path.join(BINDIR, "pg_ctl"), "-D", self.data, "-l", self.log, "-o", opts, "-w", "start")
        self.base = f"postgresql://lp@/%s?host={self.root}"

    def create_db(self, name):
        self._run(os.path.join(BINDIR, "createdb"), "-h", self.root, "-U", "lp", name)
        return self.base % name

    def stop(self):
        try:
            self._run(os.path.join(BINDIR, "pg_ctl"), "-D", self.data, "-m", "fast", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


@unittest.skipIf(WHY_NOT, WHY_NOT or "")
class PostgreSQLHistory(HistoryCases, unittest.TestCase):
    server = None
    counter = 0

    @classmethod
    def setUpClass(cls):
        cls.server = Server()
        try:
            cls.server.start()
        except Exception:
            cls.server.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        if cls.server:
            cls.server.stop()

    def setUp(self):
        super().setUp()
        PostgreSQLHistory.counter += 1
        self._url = self.server.create_db(f"h{PostgreSQLHistory.counter}")

    def url(self):
        return self._url

    def test_schema_is_the_sqlite_one(self):
        self.ok("add", *hs.history_runs(self.tmp, n=2))
        pg = history.DB(self.url())
        sq = history.DB(os.path.join(self.tmp, "same.sqlite"))
        self.assertEqual(pg.tables(), sq.tables())
        self.assertEqual(pg.version(), history.SCHEMA_VERSION)
        for t in sorted(pg.tables()):
            cols_pg = [r[0] for r in pg.query("SELECT column_name FROM information_schema.columns WHERE "
                                              "table_name = ? ORDER BY ordinal_position", (t,))]
            cols_sq = [r[1] for r in sq.query(f"PRAGMA table_info({t})")]
            self.assertEqual(cols_pg, cols_sq, t)
        pg.close()
        sq.close()

    def test_unreachable_server_is_one_line(self):
        rc, out, err = hs.lp_history("info", "--db", f"postgresql://lp@/nope?host={self.tmp}")
        self.assertEqual(rc, 2)
        self.assertEqual(len(err.strip().splitlines()), 1, err)
        self.assertIn("cannot connect", err)


if __name__ == "__main__":
    unittest.main()
