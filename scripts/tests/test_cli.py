"""The command lines of every scripts/lp-* tool, run as a user runs them: --help exits 0 and
explains every option; a bad option or bad input is one line on stderr and status 2, never a
traceback; lp-report refuses what is not a benchmark run instead of writing an empty report;
outputs never land in an input folder; lp-sweep --scaling runs a stand-in harness and writes its
CSV and plot."""
import csv
import glob
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import textwrap
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPTS = os.path.dirname(HERE)
sys.path.insert(0, SCRIPTS)
sys.path.insert(0, HERE)
import synth  # noqa: E402

PY = sys.executable
ENV = dict(os.environ, MPLBACKEND="Agg", PYTHONDONTWRITEBYTECODE="1")
TOOLS = sorted(os.path.basename(p) for p in glob.glob(os.path.join(SCRIPTS, "lp-*")))
# Tools with subcommands: each subcommand's --help is checked too.
SUBCOMMANDS = {"lp-history": ["add", "trend", "changes", "backfill", "dashboard", "baseline", "export",
                              "import", "info"]}


def tool(name, *args, cwd=None):
    return subprocess.run([PY, os.path.join(SCRIPTS, name), *args], capture_output=True, text=True,
                          env=ENV, cwd=cwd, timeout=300)


def undocumented(help_text):
    """Options of an argparse --help that have no explanation after them."""
    body = help_text.split("options:", 1)[-1]
    entries = re.split(r"\n(?=  -)", "\n" + body)
    bad = []
    for e in entries:
        e = e.strip("\n")
        if not e.startswith("  -"):
            continue
        first, *rest = e.split("\n")
        spec = re.match(r"\s+(-\S+(?: [A-Z_\[\]=.]+)?(?:, -\S+(?: [A-Z_\[\]=.]+)?)*)\s*(.*)", first)
        text = (spec.group(2) if spec else "") + " ".join(r.strip() for r in rest)
        if not text.strip():
            bad.append(first.strip())
    return bad


def one_line_error(case, p, status=2):
    case.assertEqual(p.returncode, status, p.stderr)
    case.assertNotIn("Traceback", p.stderr)
    lines = [ln for ln in p.stderr.splitlines() if ln.strip()]
    case.assertEqual(len(lines), 1, p.stderr)
    return lines[0]


class TargetsFile(unittest.TestCase):
    """The targets are data (lpbench/targets.json, or the file LP_TARGETS names): a bad one is bad
    input to every tool that reads it, one line and status 2."""

    def report(self, targets_text):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "targets.json")
            with open(path, "w") as f:
                f.write(targets_text)
            doc = os.path.join(d, "run.json")
            synth.write(doc, synth.make_run(seed=1, reps=1, designs=["pthread"], workloads=["get_hold"], threads=[2]))
            p = subprocess.run([PY, os.path.join(SCRIPTS, "lp-report"), doc, "--out", os.path.join(d, "out")],
                               capture_output=True, text=True, env=dict(ENV, LP_TARGETS=path), timeout=300)
            report = os.path.join(d, "out", "report.md")
            p.report = open(report).read() if os.path.exists(report) else ""
            return p

    def test_a_bad_targets_file_is_one_line_and_status_2(self):
        with open(os.path.join(SCRIPTS, "lpbench", "targets.json")) as f:
            good = json.load(f)
        no_usual = json.loads(json.dumps(good))
        del no_usual["roles"]["usual"]
        for text, words in (("{not json", "targets file"), ("[]", "wants objects"),
                            (json.dumps(no_usual), "missing usual")):
            with self.subTest(words=words):
                self.assertIn(words, one_line_error(self, self.report(text)))

    def test_a_targets_file_of_ones_own_is_used(self):
        mine = json.loads(open(os.path.join(SCRIPTS, "lpbench", "targets.json")).read())
        mine["targets"]["fast-path"]["title"] = "MY OWN FAST PATH"
        p = self.report(json.dumps(mine))
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("| MY OWN FAST PATH |", p.report)


class EveryTool(unittest.TestCase):
    def test_the_tools_are_found(self):
        self.assertTrue({"lp-report", "lp-sweep", "lp-gate", "lp-suite"} <= set(TOOLS), TOOLS)

    def test_help_exits_0_and_explains_every_option(self):
        for name in TOOLS:
            for sub in [None] + SUBCOMMANDS.get(name, []):
                with self.subTest(tool=name, sub=sub):
                    p = tool(name, *([sub] if sub else []), "--help")
                    self.assertEqual(p.returncode, 0, p.stderr)
                    self.assertIn("usage:", p.stdout)
                    self.assertEqual(undocumented(p.stdout), [])

    def test_an_unknown_option_is_one_line_and_status_2(self):
        for name in TOOLS:
            with self.subTest(tool=name):
                line = one_line_error(self, tool(name, "--no-such-option"))
                self.assertTrue(line.startswith(name), line)

    def test_the_checker_sees_a_missing_explanation(self):
        self.assertEqual(undocumented("options:\n  -h, --help  show this\n  --seed SEED\n  --x X  the x\n"),
                         ["--seed SEED"])


class LpReport(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()

    def tearDown(self):
        shutil.rmtree(self.dir)

    def write(self, name, text):
        path = os.path.join(self.dir, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
        return path

    def test_bad_inputs_are_refused_without_writing_anything(self):
        gbench = {"context": {}, "benchmarks": [{"name": "BM_Sort/1024", "run_name": "BM_Sort/1024",
                                                 "run_type": "iteration", "real_time": 1.0}]}
        cases = {
            "missing": (os.path.join(self.dir, "nope"), "no such file or folder"),
            "folder without bench.json": (os.path.dirname(self.write("empty/x.txt", "")), "no bench.json"),
            "not JSON": (self.write("a/bench.json", "not json at all"), "not JSON"),
            "binary": (self.write("b/bench.json", "\x00\x01"), "not JSON"),
            "JSON, not benchmark output": (self.write("c/bench.json", json.dumps({"name": "x"})),
                                           "not Google Benchmark JSON"),
            "a list": (self.write("d/bench.json", "[1, 2]"), "not Google Benchmark JSON"),
            "no rows": (self.write("e/bench.json", json.dumps({"benchmarks": []})), "no benchmark rows"),
            "another benchmark's rows": (self.write("f/bench.json", json.dumps(gbench)),
                                         "none of its 1 rows is a lockpool-bench benchmark"),
            "malformed row": (self.write("g/bench.json", json.dumps({"benchmarks": [{"real_time": "x"}]})),
                              "bench.json"),
        }
        doc = synth.make_run(seed=1, reps=1, designs=["pthread"], workloads=["get_hold"], threads=[2])
        self.write("h/bench.json", json.dumps(doc))
        self.write("h/detail.json", "{broken")
        cases["broken detail.json"] = (os.path.join(self.dir, "h"), "detail.json: not JSON")
        for what, (path, msg) in cases.items():
            with self.subTest(what):
                out = os.path.join(self.dir, "out-" + re.sub(r"\W", "_", what))
                line = one_line_error(self, tool("lp-report", path, "--out", out))
                self.assertIn(msg, line)
                self.assertFalse(os.path.exists(out), "nothing written")

    def test_default_output_is_outside_the_run_and_in_place_is_explicit(self):
        run = os.path.join(self.dir, "myrun")
        os.makedirs(run)
        doc = synth.make_run(seed=1, reps=2, designs=["lockpool-fair", "pthread"], workloads=["get_hold"],
                             threads=[2])
        synth.write(os.path.join(run, "bench.json"), doc)
        before = sorted(os.listdir(run))
        out = os.path.join(self.dir, "elsewhere")
        p = tool("lp-report", run, "--out", out)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(sorted(os.listdir(run)), before, "the run folder is untouched")
        with open(os.path.join(out, "report.md")) as f:
            text = f.read()
        self.assertIn(f"Drawn from `{os.path.join(run, 'bench.json')}`", text)
        self.assertIn("throughput.png", os.listdir(out))
        # --out naming the run's own folder is refused; --in-place writes there.
        self.assertIn("--in-place", one_line_error(self, tool("lp-report", run, "--out", run)))
        self.assertEqual(tool("lp-report", run, "--in-place").returncode, 0)
        self.assertIn("report.md", os.listdir(run))
        # Without --out: results/reports/<run name>/ of the repository, never the run folder.
        p = subprocess.run([PY, "-c", textwrap.dedent(f"""
            import os, sys, runpy
            sys.argv = ["lp-report", {run!r}]
            sys.path.insert(0, {SCRIPTS!r})
            from lpbench import analyze
            seen = []
            analyze.analyze_inputs = lambda inputs, out: seen.append(out) or "x"
            try:
                runpy.run_path({os.path.join(SCRIPTS, 'lp-report')!r}, run_name="__main__")
            except SystemExit:
                pass
            print(seen[0])""")], capture_output=True, text=True, env=ENV)
        self.assertEqual(p.stdout.strip().splitlines()[-1], os.path.join(os.path.dirname(SCRIPTS), "results", "reports", "myrun"),
                         p.stderr)

    def test_a_bench_json_file_works_on_its_own(self):
        doc = synth.make_run(seed=1, reps=1, designs=["pthread"], workloads=["get_hold"], threads=[2])
        path = os.path.join(self.dir, "anything.json")
        synth.write(path, doc)
        out = os.path.join(self.dir, "o")
        p = tool("lp-report", path, "--out", out)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertTrue(os.path.isfile(os.path.join(out, "report.md")))

    def test_mutually_exclusive_and_missing_arguments(self):
        one_line_error(self, tool("lp-report"))
        one_line_error(self, tool("lp-report", self.dir, "--out", "x", "--in-place"))


STAND_IN = r'''#!{py}
"""A stand-in lockpool-bench for lp-sweep's tests: synthetic rows for the filter and thread list
it is given, and its argv recorded; never a measurement."""
import json, re, sys
sys.path.insert(0, {here!r})
import synth
args = dict(a.split("=", 1) for a in sys.argv[1:] if "=" in a)
with open(sys.argv[0] + ".argv", "a") as f:
    f.write(json.dumps(sys.argv[1:]) + "\n")
m = re.match(r"\^(\w+)/\((.*)\)/$", args["--benchmark_filter"])
workload, pick = m.group(1), m.group(2)
designs = ["lockpool-fair", "lockpool-barging", "pthread"] if pick == "[^/]+" else pick.split("|")
threads = [int(t) for t in args["--lp_threads"].split(",")]
doc = synth.make_run(seed=1, reps=int(args["--benchmark_repetitions"]), designs=designs,
                     workloads=[workload], threads=threads)
with open(args["--benchmark_out"], "w") as f:
    json.dump(doc, f)
'''


class LpSweep(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.build = os.path.join(self.dir, "build")
        os.makedirs(os.path.join(self.build, "bench"))
        self.bench = os.path.join(self.build, "bench", "lockpool-bench")
        with open(self.bench, "w") as f:
            f.write(STAND_IN.format(py=PY, here=HERE))
        os.chmod(self.bench, os.stat(self.bench).st_mode | stat.S_IXUSR)

    def tearDown(self):
        shutil.rmtree(self.dir)

    def argv(self):
        with open(self.bench + ".argv") as f:
            return [json.loads(line) for line in f]

    def test_scaling_writes_csv_and_plot(self):
        out = os.path.join(self.dir, "scal")
        p = tool("lp-sweep", "--scaling", "--build", self.build, "--workload", "get_hold",
                 "--design", "lockpool-fair,pthread", "--threads", "1,2,4", "--run-ms", "5", "--out", out)
        self.assertEqual(p.returncode, 0, p.stderr)
        (argv,) = self.argv()
        self.assertIn("--benchmark_filter=^get_hold/(lockpool-fair|pthread)/", argv)
        self.assertIn("--lp_threads=1,2,4", argv)
        self.assertIn("--benchmark_repetitions=3", argv, "3 repetitions by default: whiskers need a spread")
        with open(os.path.join(out, "scaling.csv")) as f:
            rows = list(csv.DictReader(f))
        self.assertEqual(len(rows), 2 * 3)
        self.assertEqual({(r["design"], int(r["threads"])) for r in rows},
                         {(d, t) for d in ("lockpool-fair", "pthread") for t in (1, 2, 4)})
        r = rows[0]
        self.assertLessEqual(float(r["ops_per_s_min"]), float(r["ops_per_s_median"]))
        self.assertLessEqual(float(r["ops_per_s_median"]), float(r["ops_per_s_max"]))
        self.assertEqual(r["repetitions"], "3")
        with open(os.path.join(out, "scaling_get_hold.png"), "rb") as f:
            self.assertEqual(f.read(4), b"\x89PNG")
        self.assertIn("fastest", p.stdout)

    def test_scaling_threads_default_to_powers_of_two_up_to_twice_the_cpus(self):
        from lpbench import sweep
        self.assertEqual(sweep.scaling_threads(2), [1, 2, 4])
        self.assertEqual(sweep.scaling_threads(6), [1, 2, 4, 8, 12])
        self.assertEqual(sweep.scaling_threads(1), [1, 2])
        p = tool("lp-sweep", "--scaling", "--build", self.build, "--run-ms", "5", "--reps", "1",
                 "--out", os.path.join(self.dir, "s2"))
        self.assertEqual(p.returncode, 0, p.stderr)
        (argv,) = self.argv()
        want = ",".join(map(str, sweep.scaling_threads(os.cpu_count())))
        self.assertIn(f"--lp_threads={want}", argv)
        self.assertIn("--benchmark_filter=^get_hold/([^/]+)/", argv, "every design by default")

    def test_analyze_never_writes_into_its_input_folder(self):
        src = os.path.join(self.dir, "committed")
        os.makedirs(src)
        rows = []
        for s in (1, 2):
            for t in (2, 4):
                rows.append(synth.make_row(synth.bench_name("get_hold", "lockpool-fair", t, slots=s, waiters=16),
                                           t, 1e6 * s, seed=s))
        synth.write(os.path.join(src, "sweep.json"), {"context": {}, "benchmarks": rows})
        before = sorted(os.listdir(src))
        out = os.path.join(self.dir, "analysis")
        p = tool("lp-sweep", "--analyze", os.path.join(src, "sweep.json"), "--out", out)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(sorted(os.listdir(src)), before)
        self.assertIn("recommendation.txt", os.listdir(out))
        line = one_line_error(self, tool("lp-sweep", "--analyze", os.path.join(src, "sweep.json"), "--out", src))
        self.assertIn("folder of the --analyze input", line)
        self.assertEqual(sorted(os.listdir(src)), before)
        # Scaling analysis of the same file: also elsewhere.
        out2 = os.path.join(self.dir, "analysis2")
        p = tool("lp-sweep", "--scaling", "--analyze", os.path.join(src, "sweep.json"), "--out", out2)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(sorted(os.listdir(src)), before)
        self.assertIn("scaling.csv", os.listdir(out2))

    def test_bad_values_and_inputs(self):
        bad_json = os.path.join(self.dir, "bad.json")
        with open(bad_json, "w") as f:
            f.write("{nope")
        other = os.path.join(self.dir, "other.json")
        synth.write(other, synth.make_run(seed=1, reps=1, designs=["pthread"], workloads=["get_hold"], threads=[2]))
        for args, msg in ((["--threads", "0"], "positive integers"), (["--slots", "1,x"], "positive integers"),
                          (["--reps", "0"], "--reps"), (["--tolerance", "2"], "--tolerance"),
                          (["--run-ms", "abc"], "invalid int"), (["--workload", "get_hold/.*"], "workload name"),
                          (["--scaling", "--design", "a|b"], "design name"),
                          (["--scaling", "--rounds", "2"], "--rounds"),
                          (["--analyze", os.path.join(self.dir, "none.json")], "no such file"),
                          (["--analyze", bad_json], "not JSON"),
                          (["--analyze", other, "--design", "lockpool-fair"], "no get_hold/lockpool-fair results"),
                          (["--scaling", "--analyze", other, "--workload", "async"], "no async results"),
                          (["--scaling", "--analyze", other, "--design", "urcu"], "no get_hold results for urcu"),
                          (["--tune", "spin=1", "--filter", "x"], "PARAM one of"),
                          (["--tune", "bypass_turns=8,x", "--filter", "x"], "distinct integers"),
                          (["--tune", "bypass_turns=0,8", "--filter", "x"], "distinct integers >= 1"),
                          (["--tune", "bypass_turns=8,8", "--filter", "x"], "distinct integers"),
                          (["--tune", "bypass_turns=8"], "needs --filter"),
                          (["--tune", "bypass_turns=8", "--filter", "x", "--reference", "a|b"], "design name"),
                          (["--filter", "x"], "go with --tune")):
            with self.subTest(args=args):
                out = os.path.join(self.dir, "never")
                line = one_line_error(self, tool("lp-sweep", *args, "--out", out, "--build", self.build))
                self.assertIn(msg, line)
                self.assertFalse(os.path.exists(out), "no output folder for a refused command")

    def test_a_missing_harness_is_status_1(self):
        p = tool("lp-sweep", "--scaling", "--build", os.path.join(self.dir, "nobuild"), "--out",
                 os.path.join(self.dir, "x"))
        self.assertEqual(p.returncode, 1)
        self.assertIn("no harness at", p.stderr)
        self.assertNotIn("Traceback", p.stderr)


if __name__ == "__main__":
    unittest.main()
