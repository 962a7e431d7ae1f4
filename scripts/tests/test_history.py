"""lp-history on SQLite: add (idempotent, refusals), schema migration, trend, changes,
baseline (read by the gate), export/import, backfill (range, resume) and --help.
HistoryCases also runs against PostgreSQL (test_history_pg.py)."""
import csv
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import unittest

from lpbench import backfill, history
from tests import history_synth as hs

TOP = os.path.dirname(hs.SCRIPTS)


class HistoryCases:
    """Every case takes its database from self.url(); subclasses pick the backend."""

    def url(self):
        raise NotImplementedError

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="lp-history-test-")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def ok(self, *args):
        rc, out, err = hs.lp_history(*args, "--db", self.url()) if args[0] != "--help" else hs.lp_history(*args)
        self.assertEqual(rc, 0, f"lp-history {' '.join(map(str, args))}: {err}")
        return out

    def refused(self, *args):
        rc, out, err = hs.lp_history(*args, "--db", self.url())
        self.assertEqual(rc, 2, f"expected exit 2 from lp-history {' '.join(map(str, args))}: {out} {err}")
        lines = [line for line in err.splitlines() if line.strip()]
        self.assertEqual(len(lines), 1, f"want a one-line error, got: {err}")
        self.assertNotIn("Traceback", err)
        return lines[0]

    def count(self, table):
        db = history.DB(self.url())
        try:
            return db.query(f"SELECT COUNT(*) FROM {table}")[0][0]
        finally:
            db.close()

    # ---- add
    def test_add_rows_and_idempotent(self):
        runs = hs.history_runs(self.tmp, n=3)
        out = self.ok("add", *runs)
        self.assertEqual(out.count("added "), 3)
        # 4 benchmarks x 2 counters x 5 repetitions + 2 fast-path designs, per run
        self.assertEqual(self.count("samples"), 3 * (4 * 2 * 5 + 2))
        self.assertEqual(self.count("run_medians"), 3 * (4 * 2 + 2))
        db = history.DB(self.url())
        row = db.query("SELECT commit_sha, commit_date, run_date, tag FROM runs ORDER BY commit_ts")[0]
        fp = db.query("SELECT fingerprint FROM machines")
        db.close()
        self.assertEqual(row, (hs.sha(0), "2026-11-01T00:00:00Z", "2026-12-01T00:30:00Z", "full"))
        self.assertEqual(fp, [(history.fingerprint(hs.CONTEXT),)])
        before = {t: self.count(t) for t in ("runs", "samples", "run_medians", "benchmarks", "machines")}
        out = self.ok("add", *runs)
        self.assertEqual(out.count("already in the history"), 3)
        # A copy of a run in another folder is the same run.
        copy = os.path.join(self.tmp, "copy")
        shutil.copytree(runs[0], copy)
        self.ok("add", copy)
        self.assertEqual({t: self.count(t) for t in before}, before)

    def test_bad_and_partial_runs_refused(self):
        good = hs.history_runs(self.tmp, n=1)[0]

        def variant(name, edit):
            d = os.path.join(self.tmp, name)
            shutil.copytree(good, d)
            edit(d)
            return d

        def write(path, text):
            with open(path, "w") as f:
                f.write(text)

        def set_meta(d, **kw):
            with open(os.path.join(d, "run.json")) as f:
                m = json.load(f)
            m.update(kw)
            write(os.path.join(d, "run.json"), json.dumps(m))

        def edit_bench(d, fn):
            with open(os.path.join(d, "bench.json")) as f:
                doc = json.load(f)
            fn(doc)
            write(os.path.join(d, "bench.json"), json.dumps(doc))

        cases = {
            "not a run folder": os.path.join(self.tmp, "nothing-here"),
            "no bench.json": variant("nobench", lambda d: os.remove(os.path.join(d, "bench.json"))),
            "partial run": variant("parts", lambda d: os.makedirs(os.path.join(d, ".parts"))),
            "families failed": variant("failed", lambda d: set_meta(d, failures={"get_hold/pthread": "timed out"})),
            "not JSON": variant("garbled", lambda d: write(os.path.join(d, "bench.json"), '{"bench')),
            "reported an error": variant("errrow", lambda d: edit_bench(
                d, lambda doc: doc["benchmarks"][0].update(error_occurred=True, error_message="x"))),
            "no clean commit": variant("dirty", lambda d: edit_bench(
                d, lambda doc: doc["context"].update(lp_git_commit=hs.sha(0) + "-dirty"))),
            "cannot find the date": variant("nodate", lambda d: set_meta(d, commit_date=None)),
            "no measurements": variant("empty", lambda d: edit_bench(d, lambda doc: doc.update(benchmarks=[]))),
            "not a lockpool-bench benchmark": variant("foreign", lambda d: edit_bench(
                d, lambda doc: doc["benchmarks"][0].update(name="BM_foo", run_name="BM_foo"))),
        }
        os.makedirs(cases["not a run folder"])
        for why, folder in cases.items():
            with self.subTest(why=why):
                line = self.refused("add", folder)
                self.assertIn(why, line)
        # One bad folder among good ones: nothing is added.
        self.refused("add", good, cases["partial run"])
        self.assertEqual(self.count("runs"), 0)

    # ---- trend
    def test_trend_table_and_png(self):
        self.ok("add", *hs.history_runs(self.tmp, n=8, shift_at=4))
        png = os.path.join(self.tmp, "t.png")
        out = self.ok("trend", "--design", "lockpool-barging", "--workload", "oversubscribed",
                      "--filter", "threads:16", "--png", png)
        lines = [line for line in out.splitlines() if line.startswith("  " + hs.sha(0)[:7])
                 or line.strip().startswith(tuple(hs.sha(i)[:12] for i in range(8)))]
        self.assertEqual(len(lines), 8, out)
        self.assertIn("8 runs", out)
        # The planted 3x: medians near 1M before commit 4 and near 3M from it on.
        self.assertRegex(lines[0], r" (0\.9\d\dM|1\.0\d\dM) ")
        self.assertRegex(lines[-1], r" (2\.9\d\dM|3\.0\d\dM|3\.1\d\dM) ")
        with open(png, "rb") as f:
            self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")
        self.assertIn("no ops_per_s series", self.refused("trend", "--design", "nope", "--workload", "oversubscribed"))

    def test_one_series_across_the_time_measurement_in_names(self):
        # The harness once named its rows .../real_time/..., later .../manual_time/...: the
        # history keeps one series per benchmark, so a change across that rename stays visible.
        runs = hs.history_runs(self.tmp, n=8, shift_at=4)
        for folder in runs[4:]:
            path = os.path.join(folder, "bench.json")
            with open(path) as f:
                text = f.read()
            with open(path, "w") as f:
                f.write(text.replace("/real_time/", "/manual_time/"))
        self.ok("add", *runs)
        self.assertEqual(self.count("benchmarks"), len(hs.OVERSUB) + 2)
        out = self.ok("trend", "--design", "lockpool-barging", "--workload", "oversubscribed",
                      "--filter", "threads:16")
        self.assertIn("8 runs", out)
        out = self.ok("changes", "--workload", "oversubscribed")
        self.assertRegex(out, hs.sha(3)[:7] + r"\w* -> " + hs.sha(4)[:7])

    # ---- changes
    def test_changes_finds_the_planted_step_only(self):
        self.ok("add", *hs.history_runs(self.tmp, n=14, shift_at=7, factor=3.0))
        js = os.path.join(self.tmp, "changes.json")
        out = self.ok("changes", "--workload", "oversubscribed", "--json-out", js)
        with open(js) as f:
            doc = json.load(f)
        found = {c["benchmark"]: c for c in doc["changes"]}
        self.assertEqual(doc["series"], 4)
        # Both barging series change at commit 7, and pthread (unchanged) does not.
        self.assertEqual(sorted(found), sorted(n for n in hs.OVERSUB if "barging" in n), out)
        for c in found.values():
            self.assertEqual(c["commit"], hs.sha(7))
            self.assertEqual(c["previous_commit"], hs.sha(6))
            self.assertAlmostEqual(c["magnitude"], 2.0, delta=0.2)
            self.assertEqual(c["direction"], "improvement")
            self.assertGreaterEqual(c["confidence"], 0.95)
        self.assertIn(f"{hs.sha(6)[:12]} -> {hs.sha(7)[:12]}", out)
        # Latency is lower-is-better: the same step is an improvement there too.
        out = self.ok("changes", "--metric", "lat_p99_ns", "--design", "lockpool-barging")
        self.assertIn("improvement", out)
        self.assertNotIn("regression", out)
        rc, out, err = hs.lp_history("changes", "--db", self.url(), "--fail-on-change")
        self.assertEqual(rc, 1, err)
        self.assertIn("must be between 0 and 1", self.refused("changes", "--alpha", "5"))

    def test_ratio_to_a_reference_cancels_the_machine(self):
        # The machine halves every design's speed at commit 4; barging's code triples it at 10.
        self.ok("add", *hs.history_runs(self.tmp, n=15, shift_at=10, factor=3.0, machine_at=4))
        js = os.path.join(self.tmp, "c.json")
        self.ok("changes", "--json-out", js)
        with open(js) as f:
            plain = json.load(f)["changes"]
        self.assertIn(hs.sha(4), {c["commit"] for c in plain})
        self.assertTrue(any("pthread" in c["benchmark"] for c in plain))
        out = self.ok("changes", "--ratio-to", "pthread", "--json-out", js)
        with open(js) as f:
            doc = json.load(f)
        self.assertEqual(doc["metric"], "ops_per_s / pthread")
        self.assertEqual(sorted(c["benchmark"] for c in doc["changes"]), sorted(n for n in hs.OVERSUB if "barging" in n), out)
        self.assertEqual({c["commit"] for c in doc["changes"]}, {hs.sha(10)})
        for c in doc["changes"]:
            self.assertAlmostEqual(c["after_median"] / c["before_median"], 3.0, delta=0.3)
        out = self.ok("trend", "--design", "lockpool-barging", "--workload", "oversubscribed", "--ratio-to", "pthread")
        self.assertIn("ops_per_s / pthread", out)
        self.assertIn("no ops_per_s / nope series", self.refused("changes", "--ratio-to", "nope"))

    # ---- baseline for the gate
    def test_baseline_median_of_last_k_runs_feeds_the_gate(self):
        runs = hs.history_runs(self.tmp, n=9, shift_at=6, factor=3.0)
        self.ok("add", *runs)
        out_dir = os.path.join(self.tmp, "baseline")
        self.ok("baseline", "--last", "3", out_dir)
        with open(os.path.join(out_dir, "bench.json")) as f:
            doc = json.load(f)
        rows = [r for r in doc["benchmarks"] if r["name"] == hs.OVERSUB[1]]
        self.assertEqual(len(rows), 3)             # the last 3 runs' medians
        for r in rows:                             # all after the step: ~3M
            self.assertAlmostEqual(r["ops_per_s"], 3.0e6, delta=0.2e6)
        with open(os.path.join(out_dir, "fastpath.json")) as f:
            self.assertEqual(json.load(f)["designs"]["pthread"]["instr_per_pair"], 184.0)
        # The gate reads it like any run folder: the last run passes, a run from before the
        # step is a regression for barging.
        gate = os.path.join(hs.SCRIPTS, "lp-gate")
        if not os.path.exists("/usr/share/benchmark/gbench/report.py"):
            self.skipTest("libbenchmark-tools not installed: the gate cannot run")
        p = subprocess.run([sys.executable, gate, out_dir, runs[-1]], capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        p = subprocess.run([sys.executable, gate, out_dir, runs[0], "--checks", "abs"], capture_output=True, text=True)
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertIn("REGRESSION", p.stdout)

    # ---- export / import
    def test_export_import_round_trip(self):
        self.ok("add", *hs.history_runs(self.tmp, n=3))
        out = os.path.join(self.tmp, "h.csv")
        self.ok("export", out)
        with open(out) as f:
            rows = list(csv.reader(f))
        self.assertEqual(len(rows) - 1, self.count("samples"))
        other = os.path.join(self.tmp, "other.sqlite")
        rc, o, err = hs.lp_history("import", out, "--db", other)
        self.assertEqual(rc, 0, err)
        rc, o, err = hs.lp_history("import", out, "--db", other)
        self.assertIn("0 runs added, 3 already there", o)
        db = history.DB(other)
        self.assertEqual(db.query("SELECT COUNT(*) FROM samples")[0][0], len(rows) - 1)
        self.assertEqual(db.query("SELECT COUNT(*) FROM run_medians")[0][0], self.count("run_medians"))
        db.close()

    def test_dashboard_data(self):
        from lpbench import dashboard
        self.ok("add", *hs.history_runs(self.tmp, n=10, shift_at=5))
        db = history.DB(self.url())
        charts = dashboard.collect(db, ["ops_per_s", "lat_p99_ns"])
        with_ratio = dashboard.collect(db, ["ops_per_s", "lat_p99_ns"], ratio_to="pthread")
        db.close()
        # ratio charts: barging / pthread for both metrics (pthread / pthread is not drawn)
        self.assertEqual([c["metric"] for c in with_ratio[4:]], ["ops_per_s \u00f7 pthread", "lat_p99_ns \u00f7 pthread"])
        self.assertEqual(len(with_ratio), 6)
        # 2 designs x 1 workload x 2 metrics, 2 thread counts each
        self.assertEqual(len(charts), 4)
        self.assertEqual(sum(len(c["series"]) for c in charts), 8)
        for c in charts:
            for s in c["series"]:
                self.assertEqual(len(s["changes"]), 1 if "barging" in s["name"] else 0, s["name"])
                if "barging" in s["name"]:
                    self.assertEqual(s["changes"][0]["x"], 5)
                    best = max(s["y"]) if c["higher_is_better"] else min(s["y"])
                    self.assertEqual(s["best"], best)


class SQLiteHistory(HistoryCases, unittest.TestCase):
    def url(self):
        return os.path.join(self.tmp, "history.sqlite")

    def test_wal_and_schema_version(self):
        self.ok("add", *hs.history_runs(self.tmp, n=1))
        con = sqlite3.connect(self.url())
        self.assertEqual(con.execute("PRAGMA journal_mode").fetchone()[0], "wal")
        self.assertEqual(con.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[0],
                         str(history.SCHEMA_VERSION))
        con.close()

    def test_migration_from_version_1(self):
        # A database made by the first schema step only (no run_medians) ...
        db = history.DB.__new__(history.DB)
        db.url, db.kind, db.conn = self.url(), "sqlite", sqlite3.connect(self.url())
        db.migrate(upto=1)
        self.assertNotIn("run_medians", db.tables())
        run = history.LoadedRun(hs.history_runs(self.tmp, n=1)[0])
        db.execute("INSERT INTO machines (fingerprint) VALUES ('m')")
        db.execute("INSERT INTO runs (run_hash, commit_sha, commit_date, commit_ts, run_date, run_ts, machine_id,"
                   " tag) VALUES ('h', ?, 'c', 1, 'r', 1, 1, 'full')", (run.commit,))
        bc, mc = {}, {}
        for name, metric, rep, value in run.rows:
            db.execute("INSERT INTO samples VALUES (?, ?, 1, ?, ?)",
                       (db.benchmark_id(name, bc), db.metric_id(metric, mc), rep, value))
        db.commit()
        db.close()
        # ... is brought to the current version on open, its medians filled from its samples.
        rc, out, err = hs.lp_history("info", "--db", self.url())
        self.assertEqual(rc, 0, err)
        self.assertIn(f"schema version {history.SCHEMA_VERSION}", out)
        self.assertEqual(self.count("run_medians"), 4 * 2 + 2)
        out = self.ok("trend", "--design", "pthread", "--workload", "oversubscribed")
        self.assertIn("1 runs", out)

    def test_migration_merges_time_measurement_names(self):
        # A version-2 database that holds one benchmark under both spellings ...
        db = history.DB.__new__(history.DB)
        db.url, db.kind, db.conn = self.url(), "sqlite", sqlite3.connect(self.url())
        db.migrate(upto=2)
        db.execute("INSERT INTO machines (fingerprint) VALUES ('m')")
        old = hs.OVERSUB[0]
        new = old.replace("/real_time/", "/manual_time/")
        mid = db.metric_id("ops_per_s", {})
        for run, name in ((1, old), (2, new)):
            db.execute("INSERT INTO runs (run_hash, commit_sha, commit_date, commit_ts, run_date, run_ts,"
                       " machine_id, tag) VALUES (?, ?, 'c', ?, 'r', ?, 1, 'full')", (f"h{run}", hs.sha(run), run, run))
            bid = db._id("benchmarks", "name", name, dict(workload="oversubscribed", design="lockpool-barging"))
            db.execute("INSERT INTO samples VALUES (?, ?, ?, 0, ?)", (bid, mid, run, float(run)))
            db.execute("INSERT INTO run_medians VALUES (?, ?, ?, ?, 1)", (bid, mid, run, float(run)))
        db.commit()
        db.close()
        # ... has one benchmark, holding both runs' rows, once opened by this version.
        con = history.DB(self.url())
        names = con.query("SELECT name FROM benchmarks")
        rows = con.query("SELECT b.name, s.run_id FROM samples s JOIN benchmarks b ON b.id = s.benchmark_id"
                         " ORDER BY s.run_id")
        medians = con.query("SELECT COUNT(*) FROM run_medians")[0][0]
        con.close()
        self.assertEqual(names, [(old,)])
        self.assertEqual(rows, [(old, 1), (old, 2)])
        self.assertEqual(medians, 2)

    def test_newer_or_foreign_database_refused(self):
        self.ok("add", *hs.history_runs(self.tmp, n=1))
        con = sqlite3.connect(self.url())
        con.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
        con.commit()
        con.close()
        self.assertIn("newer than this lp-history knows", self.refused("info"))
        foreign = os.path.join(self.tmp, "foreign.sqlite")
        con = sqlite3.connect(foreign)
        con.execute("CREATE TABLE t (x)")
        con.commit()
        con.close()
        rc, out, err = hs.lp_history("info", "--db", foreign)
        self.assertEqual(rc, 2)
        self.assertIn("not a history database", err)
        notdb = os.path.join(self.tmp, "text.sqlite")
        with open(notdb, "w") as f:
            f.write("hello, this is not sqlite" * 100)
        rc, out, err = hs.lp_history("info", "--db", notdb)
        self.assertEqual((rc, len(err.strip().splitlines())), (2, 1), err)
        rc, out, err = hs.lp_history("trend", "--design", "x", "--workload", "y", "--db",
                                     os.path.join(self.tmp, "missing.sqlite"))
        self.assertEqual(rc, 2)
        self.assertIn("no history database", err)

    def test_help_and_usage(self):
        for cmd in ([], ["add"], ["trend"], ["changes"], ["backfill"], ["dashboard"], ["baseline"], ["export"],
                    ["import"], ["info"]):
            rc, out, err = hs.lp_history(*cmd, "--help")
            self.assertEqual(rc, 0, cmd)
            self.assertIn("--db", out)
        rc, out, err = hs.lp_history()
        self.assertEqual(rc, 2)
        rc, out, err = hs.lp_history("frobnicate")
        self.assertEqual((rc, "Traceback" in err), (2, False))
        rc, out, err = hs.lp_history("baseline", "--db", self.url(), "--last", "0", self.tmp)
        self.assertEqual(rc, 2)
        self.assertIn("must be at least 1", err)


class Backfill(unittest.TestCase):
    """The range, the skip-what-is-there resume and the refusals, with a stand-in for the
    build-and-run step; BackfillReal runs the real one."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="lp-backfill-test-")
        self.repo = os.path.join(self.tmp, "repo")
        os.makedirs(os.path.join(self.repo, "pool"))
        env = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@t", GIT_COMMITTER_NAME="t",
                   GIT_COMMITTER_EMAIL="t@t")
        self.shas = []
        for i in range(5):
            sub = "pool" if i % 2 == 0 else "."
            with open(os.path.join(self.repo, sub, f"f{i}"), "w") as f:
                f.write(str(i))
            env["GIT_COMMITTER_DATE"] = env["GIT_AUTHOR_DATE"] = f"2026-11-0{i + 1}T10:00:00+00:00"
            cmds = ([["git", "init", "-q"]] if i == 0 else []) + [["git", "add", "-A"], ["git", "commit", "-qm", f"c{i}"]]
            for c in cmds:
                subprocess.run(c, cwd=self.repo, env=env, check=True, capture_output=True)
            self.shas.append(subprocess.run(["git", "rev-parse", "HEAD"], cwd=self.repo, capture_output=True,
                                            text=True).stdout.strip())
        self.calls = []

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def fake_runner(self, fail_on=None, interrupt_on=None):
        def run(repo, sha, work, filt, reps, run_ms, nice, jobs, tag, run_name):
            self.calls.append(sha)
            if sha == interrupt_on:
                raise KeyboardInterrupt
            if sha == fail_on:
                return None, "build failed"
            d = os.path.join(work, "runs", run_name)
            i = self.shas.index(sha)
            hs.write_run(d, sha, f"2026-11-0{i + 1}T10:00:00+00:00", f"2026-12-01T0{len(self.calls)}:00:00+00:00",
                         {hs.OVERSUB[0]: [1.0e6 + len(self.calls)] * reps}, meta={"history_tag": tag})
            return d, None
        return run

    def test_range_paths_and_resume(self):
        db = history.DB(os.path.join(self.tmp, "h.sqlite"))
        work = os.path.join(self.tmp, "work")
        pool_commits = [self.shas[i] for i in (2, 4)]     # c1..c4 touching pool/: c2, c4
        self.assertEqual(backfill.commits_in(self.repo, f"{self.shas[0]}..{self.shas[4]}", ["pool/"]), pool_commits)
        # Interrupted at the second commit: the first is in, the second is not.
        with self.assertRaises(KeyboardInterrupt):
            backfill.backfill(db, self.repo, f"{self.shas[0]}..{self.shas[4]}", work, paths=["pool/"], reps=2,
                              runner=self.fake_runner(interrupt_on=pool_commits[1]))
        self.assertEqual(db.query("SELECT commit_sha FROM runs"), [(pool_commits[0],)])
        # Resumed: only the missing commit runs.
        self.calls.clear()
        added, skipped, failed = backfill.backfill(db, self.repo, f"{self.shas[0]}..{self.shas[4]}", work,
                                                   paths=["pool/"], reps=2, runner=self.fake_runner())
        self.assertEqual(self.calls, [pool_commits[1]])
        self.assertEqual((added, skipped, failed), ([pool_commits[1][:12]], [pool_commits[0][:12]], []))
        # A run folder left complete by an interrupted add is added without running again;
        # a commit that fails is reported and the others go on.
        self.fake_runner()(self.repo, self.shas[1], work, "", 2, 0, 0, 1, "backfill", self.shas[1][:12])
        self.calls.clear()
        added, skipped, failed = backfill.backfill(db, self.repo, f"{self.shas[0]}..{self.shas[4]}", work,
                                                   reps=2, runner=self.fake_runner(fail_on=self.shas[3]))
        self.assertEqual(self.calls, [self.shas[3]])
        self.assertEqual(added, [self.shas[1][:12]])
        self.assertEqual(failed, [self.shas[3][:12]])
        self.assertEqual(db.query("SELECT COUNT(*) FROM runs")[0][0], 3)
        # A second pass, newest first, gives each commit a second run (in its own folder).
        self.calls.clear()
        added, skipped, failed = backfill.backfill(db, self.repo, f"{self.shas[0]}..{self.shas[4]}", work,
                                                   paths=["pool/"], reps=2, runs_per_commit=2, newest_first=True,
                                                   runner=self.fake_runner())
        self.assertEqual(self.calls, pool_commits[::-1])
        self.assertTrue(os.path.isdir(os.path.join(work, "runs", pool_commits[0][:12] + "-2")))
        self.assertEqual(db.query("SELECT COUNT(*) FROM runs WHERE commit_sha = ?", (pool_commits[0],))[0][0], 2)
        db.close()

    def test_bad_ranges_refused(self):
        db = history.DB(os.path.join(self.tmp, "h.sqlite"))
        for spec, why in ((self.shas[1], "not a range"), ("nope..HEAD", "unknown commit"),
                          (f"{self.shas[4]}..{self.shas[4]}", "no commits")):
            with self.subTest(spec=spec):
                with self.assertRaises(history.HistoryError) as cm:
                    backfill.backfill(db, self.repo, spec, os.path.join(self.tmp, "w"), runner=self.fake_runner())
                self.assertIn(why, str(cm.exception))
        db.close()
        rc, out, err = hs.lp_history("backfill", "nope..HEAD", "--db", os.path.join(self.tmp, "h.sqlite"))
        self.assertEqual(rc, 2)
        self.assertIn("unknown commit", err)


class BackfillSet(unittest.TestCase):
    def test_default_set(self):
        """The default design, the named modes and the control; nothing else, whatever a name begins with."""
        rx = re.compile(backfill.DEFAULT_FILTER)
        tail = "/slots:2/waiters:64/hold_ns:200/think_ns:0/manual_time/threads:16"
        for d in ("lockpool", "lockpool-fair", "lockpool-barging", "lockpool-bounded", "pthread"):
            self.assertTrue(rx.search("oversubscribed/" + d + tail), d)
            self.assertTrue(rx.search(f"get_hold/{d}/slots:1/waiters:64/hold_ns:1000/think_ns:1000/real_time/threads:8"), d)
        for d in ("lockpool-fair-scan0", "lockpool-barging-wakeall", "spin-ttas"):
            self.assertFalse(rx.search("oversubscribed/" + d + tail), d)
        self.assertFalse(rx.search("get_hold/lockpool/slots:4/waiters:64/hold_ns:1000/think_ns:1000/real_time/threads:8"))
        self.assertFalse(rx.search("sqlite_pool/lockpool/slots:4/waiters:64/hold_ns:0/think_ns:5000/manual_time/threads:8"))


@unittest.skipUnless(os.environ.get("LP_HISTORY_REAL_BACKFILL"), "set LP_HISTORY_REAL_BACKFILL=1 (ctest does)")
class BackfillReal(unittest.TestCase):
    """Builds this repository's HEAD in a worktree and runs one tiny benchmark with it."""

    def test_one_commit(self):
        head = subprocess.run(["git", "-C", TOP, "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
        parent = subprocess.run(["git", "-C", TOP, "rev-parse", "--verify", "--quiet", "HEAD~1"],
                                capture_output=True, text=True)
        if parent.returncode != 0:
            self.skipTest("no git history with HEAD~1 here (a shallow clone or a copy without .git)")
        with tempfile.TemporaryDirectory(prefix="lp-backfill-real-") as tmp:
            dbp = os.path.join(tmp, "h.sqlite")
            # --first-parent: HEAD~1..HEAD is one commit even where HEAD is a merge.
            args = ["backfill", "HEAD~1..HEAD", "--first-parent", "--db", dbp, "--work", os.path.join(tmp, "work"),
                    "--filter", "^uncontended/pthread/", "--reps", "2", "--run-ms", "20", "--nice", "0"]
            # A build on a busy machine can take many minutes; on a timeout the backfill gets
            # SIGTERM, so it removes its worktree before the test fails.
            p = subprocess.Popen([sys.executable, hs.LP_HISTORY] + args, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True)
            try:
                out, err = p.communicate(timeout=1500)
            except subprocess.TimeoutExpired:
                p.terminate()
                out, err = p.communicate()
                self.fail(f"backfill of one commit took more than 1500 s: {out[-500:]} {err[-500:]}")
            rc = p.returncode
            self.assertEqual(rc, 0, out + err)
            self.assertIn("1 added", out)
            db = history.DB(dbp)
            self.assertEqual(db.query("SELECT commit_sha, tag FROM runs"), [(head, "backfill")])
            self.assertEqual(db.query("SELECT COUNT(DISTINCT repetition) FROM samples")[0][0], 2)
            db.close()
            rc, out, err = hs.lp_history(*args)
            self.assertIn("1 already there", out)
            # The worktree is gone again.
            wt = subprocess.run(["git", "-C", TOP, "worktree", "list"], capture_output=True, text=True).stdout
            self.assertNotIn(os.path.join(tmp, "work"), wt)


if __name__ == "__main__":
    unittest.main()
