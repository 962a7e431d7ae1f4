"""The gate on real data, run as a user runs it (scripts/lp-gate BASELINE CURRENT, default
options): the committed baseline (results/baseline/reference, a copy of the reference run)
against doctored copies of itself. Every doctored change must exit 1 and name what changed;
the same run, and the same run with every benchmark counter jittered by +-3%, must exit 0;
every bad input must exit 2 with one line on stderr and no traceback.

Callgrind instruction counts are exact (not noise), so the jitter case keeps fastpath.json
as it is; its own case adds 10%."""
import copy
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPTS = os.path.dirname(HERE)
BASELINE = os.path.join(os.path.dirname(SCRIPTS), "results", "baseline", "reference")
LP_GATE = os.path.join(SCRIPTS, "lp-gate")

FAIR = "lockpool-fair"


def iteration_rows(doc):
    return [r for r in doc["benchmarks"] if r.get("run_type") == "iteration"]


def rows_of(doc, workload=None, design=None, threads=None, slots=None):
    out = []
    for r in iteration_rows(doc):
        parts = r["name"].split("/")
        if workload and parts[0] != workload or design and parts[1] != design:
            continue
        if threads is not None and not r["name"].endswith(f"/threads:{threads}"):
            continue
        if slots is not None and f"/slots:{slots}/" not in r["name"]:
            continue
        out.append(r)
    return out


def drop(doc, pred):
    """Remove every row (iterations and GB's aggregates) whose run_name satisfies pred."""
    out = copy.deepcopy(doc)
    out["benchmarks"] = [r for r in out["benchmarks"] if not pred(r.get("run_name", r["name"]))]
    return out


class ReferenceBaseline(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        with open(os.path.join(BASELINE, "bench.json")) as f:
            cls.doc = json.load(f)
        with open(os.path.join(BASELINE, "fastpath.json")) as f:
            cls.fastpath = json.load(f)
        cls.tmp = tempfile.TemporaryDirectory()
        cls.n = 0

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def current(self, doc=None, fastpath=None):
        """A run folder holding a (doctored) copy."""
        ReferenceBaseline.n += 1
        path = os.path.join(self.tmp.name, f"run{self.n}")
        os.makedirs(path)
        with open(os.path.join(path, "bench.json"), "w") as f:
            json.dump(self.doc if doc is None else doc, f)
        with open(os.path.join(path, "fastpath.json"), "w") as f:
            json.dump(self.fastpath if fastpath is None else fastpath, f)
        return path

    def gate(self, *args):
        p = subprocess.run([sys.executable, LP_GATE, *args], capture_output=True, text=True)
        self.assertNotIn("Traceback", p.stderr)
        return p.returncode, p.stdout, p.stderr

    def gate_fails(self, doc=None, fastpath=None, *args):
        rc, out, err = self.gate(BASELINE, self.current(doc, fastpath), *args)
        self.assertEqual(rc, 1, out + err)
        verdict = [l for l in out.splitlines() if l.startswith("lp-gate: FAIL")]
        self.assertEqual(len(verdict), 1, out)
        return verdict[0], [l for l in out.splitlines() if " REGRESSION" in l and not l.startswith("lp-gate")]

    def doctored(self, rows_pick, counter, fn):
        doc = copy.deepcopy(self.doc)
        for r in rows_pick(doc):
            r[counter] = fn(r[counter])
        return doc

    # ---- passes ---------------------------------------------------------------------------

    def test_reference_against_itself_passes(self):
        rc, out, err = self.gate(BASELINE, self.current())
        self.assertEqual(rc, 0, out + err)
        self.assertIn("lp-gate: PASS", out)

    def test_has_repetitions_for_the_u_test(self):
        reps = [r.get("repetitions", 1) for r in iteration_rows(self.doc)]
        self.assertGreaterEqual(min(reps), 4)

    def test_three_percent_jitter_on_every_counter_passes(self):
        rng = random.Random(7)
        doc = copy.deepcopy(self.doc)
        jittered = 0
        for r in iteration_rows(doc):
            for k, v in r.items():
                if isinstance(v, (int, float)) and not isinstance(v, bool) and k not in (
                        "repetitions", "repetition_index", "threads", "iterations", "family_index",
                        "per_family_instance_index"):
                    r[k] = v * (1.0 + rng.uniform(-0.03, 0.03))
                    jittered += 1
        self.assertGreater(jittered, 10000)
        rc, out, err = self.gate(BASELINE, self.current(doc))
        self.assertEqual(rc, 0, out + err)

    def test_a_run_in_todays_shape_against_the_older_baseline_passes(self):
        """manual_time names, per-thread ops in the detail file, cv_thread_ops: the same numbers."""
        sys.path.insert(0, HERE)
        import synth
        doc, _ = synth.current_format(self.doc)
        self.assertTrue(all("/manual_time/" in r["name"] and "cv" not in r for r in doc["benchmarks"]))
        rc, out, err = self.gate(BASELINE, self.current(doc))
        self.assertEqual(rc, 0, out + err)

    # ---- each doctored change fails and is named -----------------------------------------

    def test_rows_of_one_design_deleted(self):
        verdict, _ = self.gate_fails(drop(self.doc, lambda n: f"/{FAIR}/" in n))
        self.assertIn(f"design {FAIR}", verdict)

    def test_a_design_left_out_of_the_build_says_why(self):
        doc = drop(self.doc, lambda n: "/urcu/" in n)
        doc["context"]["lp_designs_skipped"] = "urcu: liburcu not found\n"
        verdict, _ = self.gate_fails(doc)
        n = len({r["run_name"] for r in rows_of(self.doc, design="urcu")})
        self.assertIn(f"design urcu ({n} benchmarks; not built: liburcu not found)", verdict)

    def test_rows_of_one_design_deleted_but_allowed(self):
        rc, out, err = self.gate(BASELINE, self.current(drop(self.doc, lambda n: f"/{FAIR}/" in n)),
                                 "--allow-missing", f"/{FAIR}/")
        self.assertEqual(rc, 0, out + err)

    def test_a_whole_workload_family_lost(self):
        verdict, _ = self.gate_fails(drop(self.doc, lambda n: n.startswith("async/")))
        self.assertIn("workload async", verdict)

    def test_errors_on_one_row(self):
        doc = copy.deepcopy(self.doc)
        row = rows_of(doc, "get_hold", "pthread", threads=8, slots=1)[3]
        row["errors"] = 1.0
        verdict, regressed = self.gate_fails(doc)
        self.assertIn("errors 1", verdict)
        self.assertEqual(len(regressed), 1, regressed)
        self.assertIn(row["run_name"], regressed[0])

    def test_throughput_loss_on_one_design_at_one_thread_count(self):
        pick = lambda d: rows_of(d, "get_hold", FAIR, threads=8, slots=1)  # noqa: E731
        verdict, regressed = self.gate_fails(self.doctored(pick, "ops_per_s", lambda v: 0.7 * v))
        self.assertIn(f"throughput {chr(0x2212)}30.0%", verdict)
        self.assertIn(f"get_hold/{FAIR}/slots:1", verdict)
        # Judged twice, absolutely and as a same-run ratio to pthread: nothing else moved.
        self.assertEqual(sorted((l.split()[0], l.split()[1]) for l in regressed),
                         [("ratio", pick(self.doc)[0]["run_name"]), ("throughput", pick(self.doc)[0]["run_name"])],
                         regressed)

    def test_p99_tripled(self):
        pick = lambda d: rows_of(d, "get_hold", FAIR)  # noqa: E731
        verdict, regressed = self.gate_fails(self.doctored(pick, "lat_p99_ns", lambda v: 3 * v))
        self.assertIn("p99 \u00d73.0", verdict)
        self.assertTrue(regressed and all(l.startswith("p99") and f"/{FAIR}/" in l for l in regressed), regressed)

    def test_max_latency_ten_times(self):
        pick = lambda d: rows_of(d, "get_hold", FAIR)  # noqa: E731
        verdict, regressed = self.gate_fails(self.doctored(pick, "lat_max_ns", lambda v: 10 * v))
        self.assertIn("max \u00d710.0", verdict)
        self.assertTrue(regressed and all(l.startswith("max") and f"/{FAIR}/" in l for l in regressed), regressed)

    def test_jain_down_by_five_hundredths(self):
        pick = lambda d: rows_of(d, "get_hold", FAIR)  # noqa: E731
        verdict, regressed = self.gate_fails(self.doctored(pick, "jain", lambda v: v - 0.05))
        self.assertIn(f"jain {chr(0x2212)}0.050", verdict)
        self.assertTrue(regressed and all(l.startswith("jain") and f"/{FAIR}/" in l for l in regressed), regressed)

    def test_fifo_violations_appear_for_a_fifo_design(self):
        doc = copy.deepcopy(self.doc)
        row = rows_of(doc, "get_hold", FAIR, threads=32)[0]
        row["fifo_violations_per_m"] = 12.0
        verdict, regressed = self.gate_fails(doc)
        self.assertIn("fifo 0 \u2192 12 per M", verdict)
        self.assertEqual([l.split()[1] for l in regressed], [row["run_name"]])

    def test_instructions_up_ten_percent(self):
        fp = copy.deepcopy(self.fastpath)
        fp["designs"][FAIR]["instr_per_pair"] *= 1.10
        verdict, regressed = self.gate_fails(fastpath=fp)
        self.assertIn(f"instr +10.0% {FAIR}", verdict)
        self.assertEqual(len(regressed), 1, regressed)

    def test_ratio_check_catches_a_loss_at_every_thread_count(self):
        pick = lambda d: rows_of(d, "oversubscribed", FAIR)  # noqa: E731
        doc = self.doctored(pick, "ops_per_s", lambda v: 0.7 * v)
        threads = {r["threads"] for r in pick(self.doc)}
        self.assertGreaterEqual(len(threads), 4)
        verdict, regressed = self.gate_fails(doc, None, "--checks", "ratio")
        self.assertIn(f"ratio {chr(0x2212)}30.0%", verdict)
        caught = {int(l.split()[1].split("threads:")[1]) for l in regressed}
        self.assertEqual(caught, threads, regressed)

    # ---- bad inputs: status 2, one line, no traceback ---------------------------------------

    def bad(self, *args, says):
        rc, out, err = self.gate(*args)
        self.assertEqual(rc, 2, out + err)
        lines = err.strip().splitlines()
        self.assertEqual(len(lines), 1, err)
        self.assertIn(says, lines[0])
        self.assertNotIn("PASS", out)

    def write(self, name, text):
        path = os.path.join(self.tmp.name, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def test_missing_file(self):
        self.bad(BASELINE, os.path.join(self.tmp.name, "nosuch.json"), says="no such file")

    def test_empty_file(self):
        self.bad(BASELINE, self.write("empty.json", ""), says="empty file")

    def test_truncated_file(self):
        with open(os.path.join(BASELINE, "bench.json")) as f:
            text = f.read()
        self.bad(BASELINE, self.write("cut.json", text[: len(text) // 2]), says="not valid JSON")

    def test_non_benchmark_json(self):
        self.bad(BASELINE, self.write("other.json", '{"hello": [1, 2]}'), says="not Google Benchmark JSON")
        self.bad(BASELINE, self.write("list.json", "[1, 2, 3]"), says="not Google Benchmark JSON")
        self.bad(BASELINE, self.write("foreign.json", '{"benchmarks": [{"name": "BM_x", "real_time": 1}]}'),
                 says="no lockpool-bench results")

    def test_baseline_folder_without_a_run(self):
        empty = os.path.join(self.tmp.name, "not-a-run")
        os.makedirs(empty, exist_ok=True)
        self.bad(empty, self.current(), says="without a run")

    def test_unknown_metric_and_check(self):
        self.bad(BASELINE, self.current(), "--metric", "nosuch", says="unknown metric")
        self.bad(BASELINE, self.current(), "--checks", "abs,nosuch", says="unknown check")
        self.bad(BASELINE, self.current(), "--threshold", "nosuch=2", says="unknown metric")

    def test_filter_matching_nothing(self):
        self.bad(BASELINE, self.current(), "--filter", "nosuch", says="matches no benchmark")
        self.bad(BASELINE, self.current(), "--filter", "(", says="not a regular expression")

    def test_threshold_and_alpha_out_of_range(self):
        self.bad(BASELINE, self.current(), "--threshold", "-1", says="0 < x < 1")
        self.bad(BASELINE, self.current(), "--threshold", "p99=0.5", says="factor")
        self.bad(BASELINE, self.current(), "--threshold", "jain=abc", says="not a number")
        self.bad(BASELINE, self.current(), "--alpha", "5", says="0<alpha<1".replace("<", " < "))
        self.bad(BASELINE, self.current(), "--ratio-threshold", "2", says="0 < x < 1")

    def test_unknown_option_and_missing_arguments(self):
        self.bad(BASELINE, self.current(), "--nosuch", says="unrecognized")
        self.bad(BASELINE, says="required")


class Power(unittest.TestCase):
    """How much of the reference run a 30% throughput loss is caught on (the count
    scripts/README.md states): every LockPool benchmark, and 97 of 113 in all."""

    def test_a_thirty_percent_loss_is_caught_where_the_readme_says(self):
        sys.path.insert(0, SCRIPTS)
        from lpbench import gate, results
        run = results.Run.load(os.path.join(BASELINE, "bench.json"))
        m = gate.METRIC_BY_NAME["throughput"]
        missed = []
        for k in run.samples:
            base = run.values(k, "ops_per_s")
            v = gate.compare_values(m, "", base, [0.7 * x for x in base], m.default, gate.ALPHA)
            if v.verdict != gate.REGRESSION:
                missed.append(k)
        self.assertEqual((len(run.samples) - len(missed), len(run.samples)), (97, 113))
        self.assertFalse([k for k in missed if k.design.startswith("lockpool")], missed)
        self.assertEqual({k.design for k in missed}, {"spin-ticket", "ck-mcs", "urcu"})


class ThresholdTable(unittest.TestCase):
    def test_readme_table_is_the_code_table(self):
        """scripts/README.md shows exactly the table lp-gate --thresholds prints (METRICS)."""
        p = subprocess.run([sys.executable, LP_GATE, "--thresholds"], capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        table = p.stdout.strip()
        with open(os.path.join(SCRIPTS, "README.md"), encoding="utf-8") as f:
            readme = f.read()
        self.assertTrue(table in readme, "scripts/README.md's threshold table differs from "
                        "`scripts/lp-gate --thresholds`: paste its output there")
        self.assertGreaterEqual(table.count("\n"), 10)


if __name__ == "__main__":
    unittest.main()
