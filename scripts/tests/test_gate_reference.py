"""The gate on real data, run as a user runs it (scripts/lp-gate BASELINE CURRENT, default
options): the committed baseline (results/baseline/reference, a copy of a reference run)
against doctored copies of itself. Every doctored change must exit 1 and name what changed;
the same run, and the same run with every benchmark counter jittered by +-3%, must exit 0;
every bad input must exit 2 with one line on stderr and no traceback.

Nothing here is tied to one run: which benchmarks a doctored change must fail is computed
from the baseline's own repetitions with the rule scripts/README.md states (the median past
the threshold and a one-sided Mann-Whitney U test, scipy's, at p < alpha), so the baseline
can be re-made from any full run and these tests still say whether the gate does what the
README says on it.

Callgrind instruction counts are exact (not noise), so the jitter case keeps fastpath.json
as it is; its own case adds 10%."""
import copy
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import unittest

from scipy.stats import mannwhitneyu  # Debian python3-scipy (scripts/packages.txt), as the gate

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPTS = os.path.dirname(HERE)
BASELINE = os.path.join(os.path.dirname(SCRIPTS), "results", "baseline", "reference")
LP_GATE = os.path.join(SCRIPTS, "lp-gate")

FAIR = "lockpool-fair"
REFERENCE = "pthread"   # the ratio check's default divisor
ALPHA = 0.05            # the gate's default significance level
# The defaults of the threshold table (scripts/README.md) the doctored cases are sized against.
LOSS, RATIO_LOSS, P99_FACTOR, MAX_FACTOR, JAIN_DROP = 0.10, 0.25, 2.0, 5.0, 0.03
FIFO_RISE, FIFO_FLOOR = 1.0, 5


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


def repetitions(doc, counter, pick=None):
    """{run_name: [value per repetition]} of one counter over the rows pick(doc) (default all)."""
    out = {}
    for r in (pick(doc) if pick else iteration_rows(doc)):
        if isinstance(r.get(counter), (int, float)):
            out.setdefault(r["run_name"], []).append(float(r[counter]))
    return out


def caught_by_rule(base, cur, kind, threshold, higher_is_better):
    """Whether the README's rule fails `cur` against `base` (one benchmark's repetitions):
    the median moved past the threshold in the bad direction (kind: 'loss' a fraction,
    'factor' a ratio, 'drop' an absolute fall) and the one-sided U test gives p < ALPHA."""
    old, new = statistics.median(base), statistics.median(cur)
    if kind == "loss":
        moved = old > 0 and (new - old) / old < -threshold
    elif kind == "factor":
        moved = new / old > threshold if old > 0 else new > old
    else:
        moved = new - old < -threshold
    if not moved or len(set(base) | set(cur)) == 1:
        return False
    return mannwhitneyu(cur, base, alternative="less" if higher_is_better else "greater").pvalue < ALPHA


def regression_lines(out):
    """[(metric, benchmark)] of the REGRESSION lines of lp-gate's table."""
    return [(l.split()[0], l.split()[1]) for l in out.splitlines()
            if " REGRESSION" in l and not l.startswith("lp-gate")]


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
        """-30% on one benchmark of FAIR that the baseline's spread lets both the absolute and
        the ratio check see (the first such, in the baseline's order): exactly those two lines
        fail, nothing else moved."""
        ops = repetitions(self.doc, "ops_per_s")
        target = None
        for name, base in repetitions(self.doc, "ops_per_s", lambda d: rows_of(d, design=FAIR)).items():
            ref = ops.get(name.replace(f"/{FAIR}/", f"/{REFERENCE}/"))
            if not ref:
                continue
            ratios = [v / statistics.median(ref) for v in base]
            if (caught_by_rule(base, [0.7 * v for v in base], "loss", LOSS, True)
                    and caught_by_rule(ratios, [0.7 * v for v in ratios], "loss", RATIO_LOSS, True)):
                target = name
                break
        self.assertIsNotNone(target, f"no benchmark of {FAIR} where the baseline can see a 30% loss")
        doc = self.doctored(lambda d: [r for r in iteration_rows(d) if r["run_name"] == target],
                            "ops_per_s", lambda v: 0.7 * v)
        verdict, regressed = self.gate_fails(doc)
        self.assertIn(f"throughput {chr(0x2212)}30.0% {target}", verdict)
        self.assertEqual(sorted(regression_lines("\n".join(regressed))),
                         [("ratio", target), ("throughput", target)], regressed)

    def fails_where_the_rule_says(self, metric, counter, fn, kind, threshold, higher_is_better, shown):
        """Doctor every repetition of FAIR's get_hold rows with fn: the gate must fail exactly
        the benchmarks whose repetitions let the rule see the change, and there must be some."""
        pick = lambda d: rows_of(d, "get_hold", FAIR)  # noqa: E731
        expected = sorted((metric, name) for name, base in repetitions(self.doc, counter, pick).items()
                          if caught_by_rule(base, [fn(v) for v in base], kind, threshold, higher_is_better))
        self.assertTrue(expected, f"the baseline cannot see {shown} on any get_hold benchmark of {FAIR}")
        verdict, regressed = self.gate_fails(self.doctored(pick, counter, fn))
        self.assertIn(shown, verdict)
        self.assertEqual(sorted(regression_lines("\n".join(regressed))), expected, regressed)

    def test_p99_tripled(self):
        self.fails_where_the_rule_says("p99", "lat_p99_ns", lambda v: 3 * v, "factor", P99_FACTOR, False, "p99 \u00d73.0")

    def test_max_latency_ten_times(self):
        self.fails_where_the_rule_says("max", "lat_max_ns", lambda v: 10 * v, "factor", MAX_FACTOR, False, "max \u00d710.0")

    def test_jain_down_by_five_hundredths(self):
        self.fails_where_the_rule_says("jain", "jain", lambda v: v - 0.05, "drop", JAIN_DROP, True, f"jain {chr(0x2212)}0.050")

    # ---- FIFO: exact, with the documented residue allowed for over a nonzero baseline ------

    def fifo_benchmarks(self, doc):
        """{run_name: [rows]} of FAIR's benchmarks where the bench measures FIFO order."""
        out = {}
        for r in rows_of(doc, design=FAIR):
            if r.get("fifo_violations_per_m", -1) >= 0:
                out.setdefault(r["run_name"], []).append(r)
        self.assertTrue(out, f"the baseline measures no FIFO order for {FAIR}")
        return out

    def test_fifo_violations_appear_where_the_baseline_has_none(self):
        doc = copy.deepcopy(self.doc)
        clean = [rows for rows in self.fifo_benchmarks(doc).values()
                 if all(r["fifo_violations_per_m"] == 0 for r in rows)]
        self.assertTrue(clean, f"every FIFO-measured benchmark of {FAIR} has a residue in the baseline")
        row = clean[-1][0]
        row["fifo_violations_per_m"] = 12.0
        verdict, regressed = self.gate_fails(doc)
        self.assertIn("fifo 0 \u2192 12 per M", verdict)
        self.assertEqual([l.split()[1] for l in regressed], [row["run_name"]])

    def residue_baseline(self):
        """(baseline folder, its doc, the benchmark with a residue): the committed baseline
        with FAIR's largest FIFO residue, or, where it has none, one violating grant added to
        one repetition, as the bench's dating makes now and then (bench/README.md)."""
        doc = copy.deepcopy(self.doc)
        benches = self.fifo_benchmarks(doc)
        name = max(benches, key=lambda n: max(r["fifo_violations_per_m"] for r in benches[n]))
        rows = benches[name]
        self.assertTrue(all(r.get("ops", 0) > 0 for r in rows), "rows without the ops counter")
        # A baseline from before the bench recorded promises holds FAIR to FIFO by its clean record
        # (the gate's fallback); the residue added here would end that, so name the promise.
        doc["context"].setdefault("lp_design_flags", json.dumps({FAIR: ["fifo"]}))
        if max(r["fifo_violations_per_m"] for r in rows) == 0:
            rows[0]["fifo_violations_per_m"] = 1e6 / rows[0]["ops"]
        return self.current(doc), doc, name

    def with_grants(self, doc, name, grants):
        """A copy of doc whose repetition of `name` with the fewest grants had `grants`
        violating ones (so its rate rises most); (copy, that rate, the baseline's worst rate)."""
        out = copy.deepcopy(doc)
        rows = [r for r in iteration_rows(out) if r["run_name"] == name]
        old_rate = max(r["fifo_violations_per_m"] for r in rows)
        row = min(rows, key=lambda r: r["ops"])
        row["fifo_violations_per_m"] = grants * 1e6 / row["ops"]
        return out, row["fifo_violations_per_m"], old_rate

    def grants_of(self, doc, name):
        return max(round(r["fifo_violations_per_m"] * r["ops"] / 1e6)
                   for r in iteration_rows(doc) if r["run_name"] == name)

    def test_the_fifo_residue_within_its_floor_passes(self):
        """Over a residue baseline, up to FIFO_FLOOR more violating grants in a repetition
        pass even when the rate more than doubles (one grant's rate moves with throughput)."""
        base, doc, name = self.residue_baseline()
        cur, rate, old = self.with_grants(doc, name, self.grants_of(doc, name) + FIFO_FLOOR)
        self.assertGreater(rate, old * (1 + FIFO_RISE))  # past the relative threshold: the floor decides
        rc, out, err = self.gate(base, self.current(cur))
        self.assertEqual(rc, 0, out + err)
        line = [l for l in out.splitlines() if l.startswith("fifo") and f" {name} " in l]
        self.assertEqual(len(line), 1, out)
        self.assertIn("noise", line[0])
        self.assertIn("within the floor", line[0])

    def test_the_fifo_residue_jittered_passes(self):
        base, doc, name = self.residue_baseline()
        cur = copy.deepcopy(doc)
        rng = random.Random(3)
        for r in iteration_rows(cur):
            if r["run_name"] == name:
                r["fifo_violations_per_m"] *= 1.0 + rng.uniform(-0.03, 0.03)
        rc, out, err = self.gate(base, self.current(cur))
        self.assertEqual(rc, 0, out + err)

    def test_fifo_violations_past_the_residue_floor_fail(self):
        base, doc, name = self.residue_baseline()
        cur, rate, old = self.with_grants(doc, name, self.grants_of(doc, name) + FIFO_FLOOR + 1)
        self.assertGreater(rate, old * (1 + FIFO_RISE))
        rc, out, err = self.gate(base, self.current(cur))
        self.assertEqual(rc, 1, out + err)
        self.assertEqual(regression_lines(out), [("fifo", name)], out)
        self.assertIn(f"{old:g} \u2192 {rate:g} per M {name}", out)

    def test_a_lost_fifo_order_fails_everywhere(self):
        """FAIR behaving like a barging design (10^5 violations per M) in every benchmark where
        FIFO is measured: every one of them fails, whatever residue the baseline shows."""
        doc = copy.deepcopy(self.doc)
        for rows in self.fifo_benchmarks(doc).values():
            for r in rows:
                r["fifo_violations_per_m"] = 1e5
        verdict, regressed = self.gate_fails(doc)
        self.assertEqual(sorted(n for m, n in regression_lines("\n".join(regressed)) if m == "fifo"),
                         sorted(self.fifo_benchmarks(self.doc)), regressed)

    def test_instructions_up_ten_percent(self):
        fp = copy.deepcopy(self.fastpath)
        fp["designs"][FAIR]["instr_per_pair"] *= 1.10
        verdict, regressed = self.gate_fails(fastpath=fp)
        self.assertIn(f"instr +10.0% {FAIR}", verdict)
        self.assertEqual(len(regressed), 1, regressed)

    def test_ratio_check_catches_a_loss_where_the_rule_says(self):
        """-30% for FAIR oversubscribed at every thread count, --checks ratio: the gate fails
        exactly the thread counts whose ratio repetitions let the rule see it (some must)."""
        pick = lambda d: rows_of(d, "oversubscribed", FAIR)  # noqa: E731
        ops = repetitions(self.doc, "ops_per_s")
        expected = []
        for name, base in repetitions(self.doc, "ops_per_s", pick).items():
            ref = statistics.median(ops[name.replace(f"/{FAIR}/", f"/{REFERENCE}/")])
            ratios = [v / ref for v in base]
            if caught_by_rule(ratios, [0.7 * v for v in ratios], "loss", RATIO_LOSS, True):
                expected.append(name)
        self.assertGreaterEqual(len({r["threads"] for r in pick(self.doc)}), 4)
        self.assertTrue(expected, f"the baseline's ratios cannot see a 30% loss of {FAIR} oversubscribed")
        verdict, regressed = self.gate_fails(self.doctored(pick, "ops_per_s", lambda v: 0.7 * v), None,
                                             "--checks", "ratio")
        self.assertIn(f"ratio {chr(0x2212)}30.0%", verdict)
        self.assertEqual(sorted(regression_lines("\n".join(regressed))), sorted(("ratio", n) for n in expected),
                         regressed)

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
    """Where a 30% throughput loss is caught (scripts/README.md, "What the gate cannot see"):
    on every benchmark of the baseline whose repetitions and the same repetitions 30% slower
    are far enough apart for the U test, and on no other; certainly where they do not overlap."""

    def test_a_thirty_percent_loss_is_caught_exactly_where_the_spread_allows(self):
        with open(os.path.join(BASELINE, "bench.json")) as f:
            doc = json.load(f)
        base = repetitions(doc, "ops_per_s")
        slower = copy.deepcopy(doc)
        for r in iteration_rows(slower):
            r["ops_per_s"] *= 0.7
        with tempfile.TemporaryDirectory() as d:
            with open(os.path.join(d, "bench.json"), "w") as f:
                json.dump(slower, f)
            p = subprocess.run([sys.executable, LP_GATE, os.path.join(BASELINE, "bench.json"),
                                os.path.join(d, "bench.json"), "--checks", "abs", "--metric", "throughput"],
                               capture_output=True, text=True)
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        caught = {n for m, n in regression_lines(p.stdout)}
        expected = {n for n, v in base.items() if caught_by_rule(v, [0.7 * x for x in v], "loss", LOSS, True)}
        apart = {n for n, v in base.items() if 0.7 * max(v) < min(v)}  # max/min < 1/0.7: no overlap
        self.assertTrue(apart, "no benchmark of the baseline spreads less than 1/0.7")
        self.assertLessEqual(apart, caught)
        self.assertEqual(caught, expected)


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
