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




class RemoteSection(unittest.TestCase):
    """get_hold_local against get_hold_remote: the ratio on several nodes, said plainly on one."""

    @staticmethod
    def doc(nodes, remote_rows=True, context=None):
        doc = synth.make_run(seed=3, reps=3, designs=["lockpool-fair", "pthread"], workloads=["get_hold"],
                             threads=[2])
        ctx = {"lp_numa_nodes": nodes}
        ctx.update(context or {})
        doc["context"].update(ctx)
        if remote_rows:
            for w, node, ops in (("get_hold_local", 0, 2.0e6), ("get_hold_remote", 1, 0.8e6)):
                for d in ("lockpool-fair", "pthread"):
                    for rep in range(3):
                        row = synth.make_row(synth.bench_name(w, d, 2, hold_ns=1000, think_ns=1000), 2,
                                             ops * (1 + 0.01 * rep), seed=rep, rep=rep, reps=3,
                                             lat_scale=100.0 if node == 0 else 150.0)
                        row["mem_node"] = node
                        doc["benchmarks"].append(row)
        return doc

    def section(self, doc):
        return "\n".join(report._remote_section(results.Run(doc)))

    def test_two_nodes_show_the_local_over_remote_ratio(self):
        text = self.section(self.doc("node0:pu0-1 node1:pu2-3", context={
            "lp_remote": "threads on node 0 (--pin=numa:0: t0:pu0 t1:pu1); storage on node 0 (get_hold_local) "
                         "and node 1 (get_hold_remote)"}))
        self.assertIn("2 NUMA nodes (node0:pu0-1 node1:pu2-3)", text)
        self.assertIn("threads on node 0", text)
        # Medians 2.02e6 and 0.808e6: 2.50x; p99.9 150/100 -> 1.50x; storage nodes 0 / 1.
        self.assertRegex(text, r"\| get_hold slots=2 waiters=16 hold=1000ns think=1000ns threads=2 \| lockpool-fair "
                               r"\| 2\.02 M \| 808\.0 k \| 2\.50× \| 1\.50× \| 0 / 1 \|")
        self.assertEqual(text.count("| pthread |"), 1)

    def test_one_node_says_nothing_remote_can_be_measured(self):
        text = self.section(self.doc("node0:pu0-1", remote_rows=False))
        self.assertIn("one NUMA node (node0:pu0-1): nothing remote can be measured", text)
        self.assertNotIn("|", text)

    def test_several_nodes_without_rows_say_why(self):
        text = self.section(self.doc("node0:pu0-1 node1:pu2-3", remote_rows=False, context={
            "lp_remote": "not measured: storage cannot be bound to NUMA node 1 (node:1(unbound:Operation not "
                         "permitted,first-touch))"}))
        self.assertIn("2 NUMA nodes", text)
        self.assertIn("no `get_hold_local`/`get_hold_remote` rows: not measured: storage cannot be bound", text)

    def test_storage_that_did_not_move_is_flagged(self):
        doc = self.doc("node0:pu0-1 node1:pu2-3")
        for r in doc["benchmarks"]:
            if r["name"].startswith("get_hold_remote"):
                r["mem_node"] = 0
        self.assertIn("0 / 0 (**not remote**)", self.section(doc))

    def test_a_run_without_topology_says_so(self):
        doc = self.doc("", remote_rows=False)
        self.assertIn("does not record its NUMA topology", self.section(doc))


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
