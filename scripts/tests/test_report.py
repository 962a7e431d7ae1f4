"""Plots and report for a run folder: every plot drawn, the report embeds them, opens with the
ranking of the designs per workload, says what each design and workload is, and names the
machine, the command line and the target verdicts (last)."""
import json
import os
import re
import shutil
import sys
import tempfile
import unittest
from unittest import mock

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
        expected |= {f"scaling_{w}.png" for w in synth.WORKLOADS}
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
        self.assertIn("## Performance targets, computed from this run", self.text)
        self.assertNotRegex(self.text.lower(), r"issue[ -]?\d")
        self.assertRegex(self.text, r"\| fast path \| lockpool-fair fast-path instr ≤ 0.25× pthread \| .*0.22× \| met \|")
        # Targets are named, never numbered.
        self.assertNotRegex(self.text, r"[Tt]arget \d")

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
            self.assertIn("Throughput per workload", out)




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
def _report_of(doc, fastpath=None, meta=None):
    """The report text of a synthetic run (written in a temporary folder; no plots drawn: the
    RunFolder tests cover those)."""
    with tempfile.TemporaryDirectory() as d, mock.patch.object(plots, "all_plots", return_value={}):
        synth.write(os.path.join(d, "bench.json"), doc)
        if fastpath:
            synth.write(os.path.join(d, "fastpath.json"), fastpath)
        if meta:
            synth.write(os.path.join(d, "run.json"), meta)
        with open(analyze.analyze(d)) as f:
            return f.read()


def _section(text, title):
    start = text.index(f"## {title}")
    end = text.find("\n## ", start + 3)
    return text[start:end if end >= 0 else None]


class Ranking(unittest.TestCase):
    """The report's first screen: which design wins each workload, by how much, at what tail."""

    @classmethod
    def setUpClass(cls):
        # get_hold at 2 and 8 threads: barging fastest, then bounded, fair, pthread; malloc above all.
        cls.doc = synth.make_run(seed=7, reps=5, noise=0.002,
                                 designs=["lockpool-fair", "lockpool-barging", "lockpool-bounded", "pthread",
                                          "malloc", "lockpool"],
                                 workloads=["get_hold", "try_get_storm"], threads=[2, 8],
                                 scale={"lockpool-fair": 0.5, "lockpool": 0.1})
        for row in cls.doc["benchmarks"]:  # a design the scripts have never heard of
            row["name"] = row["run_name"] = row["name"].replace("/lockpool/", "/lockpool-newmode/")
        cls.text = _report_of(cls.doc, meta={"command": "scripts/run-suite.sh"})
        cls.r = results.Run(cls.doc)

    def test_the_ranking_comes_first_and_targets_last(self):
        heads = re.findall(r"^## (.*)$", self.text, flags=re.M)
        self.assertEqual(heads[0], "Which design wins each workload")
        self.assertEqual(heads[1:3], ["The designs", "The workloads"])
        self.assertEqual(heads[-1], "Performance targets, computed from this run")

    def test_designs_ordered_by_median_throughput_with_tail_and_fairness(self):
        sec = _section(self.text, "Which design wins")
        table = sec[sec.index("### get_hold"):]
        table = table[:table.index("Its other cases")]
        rows = re.findall(r"^\| (\d+) \| \**([a-z-]+)\**[^|]* \|(.*)$", table, flags=re.M)
        order = [d for _, d, _ in rows]
        case = results.case_of(self.r.keys(workload="get_hold", threads=8)[0])
        want = sorted(self.r.designs("get_hold"),
                      key=lambda d: -self.r.median(case._replace(design=d), "ops_per_s"))
        self.assertEqual(order, want)
        self.assertEqual(order[0], "malloc")
        self.assertIn("| get p99 | get max | Jain | FIFO violations / M |", table)
        fair = [cells for _, d, cells in rows if d == "lockpool-fair"][0]
        k = case._replace(design="lockpool-fair")
        self.assertIn(f"{self.r.median(k, 'jain'):.3f}", fair)
        self.assertIn("| 0 |", fair + "|", "FAIR's FIFO violations are counted (0)")
        pth = [cells for _, d, cells in rows if d == "pthread"][0]
        self.assertTrue(pth.rstrip().endswith("| - |"), "not counted for pthread: '-'")

    def test_winner_and_margin_in_words_never_a_reference(self):
        case = results.case_of(self.r.keys(workload="get_hold", threads=8)[0])
        a = self.r.median(case._replace(design="lockpool-barging"), "ops_per_s")
        b = self.r.median(case._replace(design="lockpool-bounded"), "ops_per_s")
        self.assertIn(f"**lockpool-barging** wins, {(a / b - 1) * 100:.1f}% ahead of lockpool-bounded", self.text)
        self.assertNotIn("**malloc** wins", self.text)
        self.assertIn("malloc (reference, not a pool)", self.text)
        # The other case of the workload is summed up in one line.
        self.assertRegex(self.text, r"- get_hold slots=2 waiters=16 hold=200ns think=0ns threads=2: "
                                    r"\*\*lockpool-barging\*\* wins")

    def test_overlapping_repetitions_are_said_to_overlap(self):
        doc = synth.make_run(seed=1, reps=5, noise=0.2, designs=["lockpool-fair", "pthread"],
                             workloads=["get_hold"], threads=[4], scale={"pthread": 5.0})  # pthread loses 1/1.9 at 4 threads
        self.assertIn("the repetitions overlap", _report_of(doc))
        doc = synth.make_run(seed=1, reps=1, designs=["lockpool-fair", "pthread"], workloads=["get_hold"],
                             threads=[4])
        self.assertIn("one repetition: no spread to judge the margin by", _report_of(doc))

    def test_every_design_and_workload_explained(self):
        designs = _section(self.text, "The designs")
        for d in self.r.designs():
            line = re.search(rf"^- \*\*{re.escape(d)}\*\* — (.+)$", designs, flags=re.M)
            self.assertTrue(line and len(line.group(1)) > 20, d)
        self.assertIn("- **lockpool-newmode** — (no description recorded in this run).", designs)
        works = _section(self.text, "The workloads")
        self.assertRegex(works, r"- \*\*get_hold\*\* — blocking get.*Cases: slots=2 waiters=16 hold=200ns "
                                r"think=0ns at 2 and 8 threads\.")
        self.assertIn("- **try_get_storm** — ", works)

    def test_descriptions_and_promises_from_the_run_context(self):
        doc = synth.make_run(seed=1, reps=1, designs=["lockpool-fair", "pthread"], workloads=["get_hold"],
                             threads=[4], context={
                                 "lp_design_summaries": json.dumps({"pthread": "THE RUN'S OWN WORDS"}),
                                 "lp_design_flags": json.dumps({"lockpool-fair": ["fifo", "bounded"],
                                                                "pthread": ["blocking"]})})
        text = _section(_report_of(doc), "The designs")
        self.assertIn("- **pthread** — THE RUN'S OWN WORDS. Promises: blocking.", text)
        self.assertIn("- **lockpool-fair** — (no description recorded in this run). Promises: fifo, bounded.", text)

    def test_any_workload_is_ranked(self):
        doc = synth.make_run(seed=1, reps=3, designs=["lockpool-fair", "pthread"], workloads=["get_hold"],
                             threads=[4])
        for row in doc["benchmarks"]:
            row["name"] = row["run_name"] = row["name"].replace("get_hold/", "brand_new/")
        text = _report_of(doc)
        self.assertIn("### brand_new — (no description: see bench/README.md)", text)
        self.assertRegex(_section(text, "Which design wins"), r"\*\*lockpool-fair\*\* wins, [\d.]+% ahead of pthread")

    def test_quick_run_says_so_without_claiming_a_duration(self):
        doc = synth.make_run(seed=1, reps=1, designs=["lockpool-fair", "pthread"], workloads=["get_hold"],
                             threads=[1], context={"lp_quick": "1"})
        text = _report_of(doc)
        self.assertIn("> **Quick run**: 1 repetition per case; get_hold at 1 thread; numbers are indicative only.",
                      text)
        self.assertNotIn("1 threads", text)
        self.assertNotIn("1 repetitions", text)


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
        doc = synth.make_run(seed=2, reps=2, designs=["lockpool-fair"], workloads=["get_hold"], threads=[2],
                             registry=False)
        self.assertIn("predates the bench recording", self.render(doc, {}))


class ReportBadInput(unittest.TestCase):
    def test_bad_run_folders_exit_2_with_one_line(self):
        import subprocess
        lp_report = os.path.join(os.path.dirname(HERE), "lp-report")
        with tempfile.TemporaryDirectory() as d:
            with open(os.path.join(d, "bench.json"), "w") as f:
                f.write('{"benchmarks": [')
            for args, says in (([os.path.join(d, "nosuch")], "no such file"), ([d], "not JSON"),
                               ([], "required: RUN")):
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
        header = next(line for line in lines if line.startswith("| rank"))
        rule = next(line for line in lines if line.startswith("|---"))
        self.assertTrue(all(line.count("|") == header.count("|") == rule.count("|") for line in table),
                        (header, rule, table[0]))
        self.assertEqual([line.split("|")[2].strip() for line in table],
                         ["lockpool-barging", "pthread", "lockpool-fair"])
        self.assertIn("| 1.50× |", table[0])  # 90k vs pthread's 60k
        self.assertIn("300.0 µs", table[0])   # query p99
        self.assertIn("| 25% |", table[0])
        self.assertIn("select:90,update:10", lines[0])

    def test_no_sqlite_rows_no_section(self):
        run = results.Run(synth.make_run(seed=1, reps=1))
        self.assertEqual(report._sqlite_ranking(run), [])


class TailCounter(unittest.TestCase):
    def test_query_latency_only_where_measured(self):
        rows = []
        for w, q in (("get_hold", -1.0), ("sqlite_pool", 3e5)):
            r = synth.make_row(synth.bench_name(w, "pthread", 8, slots=4), 8, 1e5, seed=1)
            r["query_p99_ns"] = q  # the harness writes -1 where a workload measures no query
            rows.append(r)
        run = results.Run({"context": {}, "benchmarks": rows})
        self.assertEqual(report._p99_counter(run, "get_hold"), "lat_p99_ns")
        self.assertEqual(report._p99_counter(run, "sqlite_pool"), "query_p99_ns")
