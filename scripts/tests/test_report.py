"""Plots and report for a run folder: every plot drawn, the report embeds them and names the
machine, the command line and the target verdicts."""
import json
import os
import re
import shutil
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)
import synth  # noqa: E402
from lpbench import analyze, plots, report, results  # noqa: E402

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


class RunFolder(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp()
        doc = synth.make_run(seed=5, reps=3, context={"lp_cpu_model": "Test CPU 9000"})
        synth.write(os.path.join(cls.dir, "bench.json"), doc)
        synth.write(os.path.join(cls.dir, "detail.json"), synth.make_detail(doc))
        synth.write(os.path.join(cls.dir, "fastpath.json"),
                    {"iters": 10, "designs": {"lockpool-fair": {"instr_per_pair": 20.0},
                                              "pthread": {"instr_per_pair": 90.0},
                                              "bare-cas": {"instr_per_pair": 15.0}}})
        synth.write(os.path.join(cls.dir, "run.json"),
                    {"command": "scripts/run-suite.sh --test", "started": "2026-01-01 00:00:00",
                     "repetitions": 3, "run_ms": 100,
                     "spin_calibrations": ["200ns=700it 1000ns=4000it", "200ns=300it 1000ns=1700it"],
                     "calibration_drift": ["1000 ns of work now takes 430 ns"]})
        cls.report = analyze.analyze(cls.dir)
        with open(cls.report) as f:
            cls.text = f.read()

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir)

    def test_every_plot_is_a_png(self):
        names = sorted(f for f in os.listdir(self.dir) if f.endswith(".png"))
        expected = {"throughput.png", "fairness.png", "ccdf_get_hold_t16.png", "thread_ops_get_hold_t16.png",
                    "latency_get_hold.png", "latency_try_get_storm.png", "latency_uncontended.png",
                    "latency_oversubscribed.png"}
        self.assertEqual(set(names), expected)
        for n in names:
            with open(os.path.join(self.dir, n), "rb") as f:
                self.assertEqual(f.read(8), PNG_MAGIC, n)

    def test_report_embeds_every_plot(self):
        embedded = set(re.findall(r"!\[[^\]]*\]\(([^)]+)\)", self.text))
        on_disk = {f for f in os.listdir(self.dir) if f.endswith(".png")}
        self.assertEqual(embedded, on_disk)

    def test_report_has_context_command_and_targets(self):
        self.assertIn("scripts/run-suite.sh --test", self.text)
        self.assertIn("Test CPU 9000", self.text)
        self.assertIn("| pinning policy | spread |", self.text)
        self.assertIn("## Targets (issue 7)", self.text)
        self.assertRegex(self.text, r"\| 1 \| lockpool-fair fast-path instr ≤ 0.25× pthread \| .*0.22× \| met \|")

    def test_report_shows_each_process_calibration_and_its_drift(self):
        self.assertIn("200ns=700it 1000ns=4000it, 200ns=300it 1000ns=1700it; drift: 1000 ns of work now takes "
                      "430 ns", self.text)

    def test_throughput_table_uses_medians(self):
        run = results.Run.load(os.path.join(self.dir, "bench.json"))
        key = run.keys(workload="get_hold", design="pthread", threads=16)[0]
        m = run.median(key, "ops_per_s")
        self.assertIn(f"{m / 1e6:.2f} M", self.text)


class CasePicking(unittest.TestCase):
    def test_most_contended_case(self):
        doc = synth.make_run(seed=1, reps=1, designs=["pthread"], workloads=["try_get_storm", "get_hold"],
                             threads=[1, 4, 8])
        run = results.Run(doc, synth.make_detail(doc))
        c = plots.pick_contended_case(run)
        self.assertEqual((c.workload, c.threads), ("get_hold", 8))
        c = plots.pick_ccdf_case(run)
        self.assertEqual((c.workload, c.threads), ("get_hold", 8))

    def test_without_detail_file_no_ccdf(self):
        doc = synth.make_run(seed=1, reps=1, designs=["pthread"], workloads=["get_hold"], threads=[2])
        with tempfile.TemporaryDirectory() as d:
            self.assertIsNone(plots.latency_ccdf(results.Run(doc), d))
            out = plots.all_plots(results.Run(doc), d)
            self.assertNotIn("Get-latency CCDF", out)
            self.assertIn("Throughput vs threads", out)




class CalibrationNotes(unittest.TestCase):
    def test_reads_every_process_calibration_and_drift_warning_from_the_log(self):
        from lpbench import suite
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "bench.log")
            with open(path, "w") as f:
                f.write("[lockpool-bench] spin calibration: 200ns=700it 1000ns=4000it\n"
                        "[lockpool-bench] #1 get_hold/x (200 ms)\n"
                        "[lockpool-bench] spin calibration: 200ns=300it 1000ns=1700it\n"
                        "[lockpool-bench] warning: spin calibration drifted (1000 ns of work now takes 430 ns): "
                        "this process's hold/think times were not what the case names say\n")
            notes = suite.calibration_notes(path)
            self.assertEqual(notes["spin_calibrations"], ["200ns=700it 1000ns=4000it", "200ns=300it 1000ns=1700it"])
            self.assertEqual(notes["calibration_drift"], ["1000 ns of work now takes 430 ns"])
            self.assertEqual(suite.calibration_notes(os.path.join(d, "missing.log")), {})

class ReportVerdicts(unittest.TestCase):
    """What went wrong comes first; promises are read from the run's context."""

    def render(self, doc, meta):
        from lpbench import report
        with tempfile.TemporaryDirectory() as d:
            path = report.write_report(d, results.Run(doc), None, {}, meta)
            with open(path) as f:
                return f.read()

    def test_problems_come_first(self):
        doc = synth.make_run(seed=2, reps=2, designs=["lockpool-fair", "pthread"], workloads=["get_hold"], threads=[2])
        text = self.render(doc, {"problems": ["family async/pthread failed (exit status 134): its rows are missing"]})
        body = [l for l in text.splitlines()[1:] if l.strip()]
        self.assertIn("incomplete or broken", body[0])
        self.assertIn("async/pthread failed", body[1])
        self.assertNotIn("incomplete", self.render(doc, {"problems": []}))

    def test_promises_from_the_context(self):
        flags = {"lockpool-fair": ["fifo", "bounded", "blocking"], "pthread": ["bounded", "blocking"]}
        doc = synth.make_run(seed=2, reps=2, designs=["lockpool-fair", "pthread"], workloads=["get_hold"],
                             threads=[2], context={"lp_design_flags": json.dumps(flags)})
        text = self.render(doc, {})
        self.assertIn("| lockpool-fair | fifo, bounded, blocking | 0 | 0 |", text)
        self.assertIn("| pthread | bounded, blocking | - | 0 |", text)
        for r in doc["benchmarks"]:
            if "/lockpool-fair/" in r["name"]:
                r["fifo_violations_per_m"] = 7.0
        self.assertIn("| lockpool-fair | fifo, bounded, blocking | 7 **(promise broken)** | 0 |",
                      self.render(doc, {}))

    def test_runs_without_promises_say_so(self):
        doc = synth.make_run(seed=2, reps=2, designs=["lockpool-fair"], workloads=["get_hold"], threads=[2])
        self.assertIn("predates the bench recording", self.render(doc, {}))


class ReportBadInput(unittest.TestCase):
    def test_bad_run_folders_exit_2_with_one_line(self):
        import subprocess
        lp_report = os.path.join(os.path.dirname(HERE), "lp-report")
        with tempfile.TemporaryDirectory() as d:
            with open(os.path.join(d, "bench.json"), "w") as f:
                f.write('{"benchmarks": [')
            for args, says in (([os.path.join(d, "nosuch")], "no such file"), ([d], "not valid JSON"),
                               ([], "lp-report RUN_DIR")):
                p = subprocess.run([sys.executable, lp_report] + args, capture_output=True, text=True)
                self.assertEqual(p.returncode, 2, p.stderr)
                self.assertIn(says, p.stderr)
                self.assertNotIn("Traceback", p.stderr)


if __name__ == "__main__":
    unittest.main()


class SqliteRanking(unittest.TestCase):
    def test_designs_ranked_by_median_queries_per_second(self):
        rows = []
        for d, ops in (("pthread", 60e3), ("lockpool-barging", 90e3), ("lockpool-fair", 40e3)):
            for rep, f in enumerate((1.0, 0.5, 1.01)):  # one slow repetition: the median decides
                r = synth.make_row(synth.bench_name("sqlite_pool", d, 8, slots=4, think_ns=5000), 8, ops * f,
                                   seed=rep, rep=rep)
                r.update({"query_p50_ns": 1e4, "query_p90_ns": 2e4, "query_p99_ns": 3e5, "query_p999_ns": 1e6,
                          "query_max_ns": 5e6, "busy_retries": 7, "sqlite_share": 0.25, "errors": 0})
                rows.append(r)
        run = results.Run({"context": {"lp_sqlite_mix": "select:90,update:10,range:0"}, "benchmarks": rows})
        lines = report._sqlite_ranking(run)
        table = [line for line in lines if line.startswith("| ") and line[2].isdigit()]
        self.assertEqual([line.split("|")[2].strip() for line in table],
                         ["**lockpool-barging**", "pthread", "**lockpool-fair**"])
        self.assertIn("| 1.50× |", table[0])  # 90k vs pthread's 60k
        self.assertIn("300.0 µs", table[0])   # query p99
        self.assertIn("| 25% |", table[0])
        self.assertIn("select:90,update:10", lines[0])

    def test_no_sqlite_rows_no_section(self):
        run = results.Run(synth.make_run(seed=1, reps=1))
        self.assertEqual(report._sqlite_ranking(run), [])
