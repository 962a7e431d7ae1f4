"""The main job's runner: size the default suite for this machine, run lockpool-bench with
progress and an ETA, count fast-path instructions under callgrind, then draw the plots and
write the report into a dated run folder.

The harness runs one workload (all its designs, repetitions interleaved) per process, under
a watchdog: a design that hangs or crashes costs its own rows (listed in the report), not
the suite."""
import datetime
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time

from . import fastpath as fastpath_mod
from . import results, targets

# Time budgets for the benchmark part (seconds) and repetitions, full suite and --quick.
# 14 minutes keeps run_ms near 550 ms with 133 instances (sqlite_pool's 20 added 2 minutes).
FULL_BUDGET_S = 14 * 60
QUICK_BUDGET_S = 25
FULL_REPS = 9          # compare.py's advice for its U test (>= 4 can reach p < 0.05 at all)
QUICK_REPS = 3
# lockpool-bench runs every instance for a fixed wall time (--run_ms; bench/harness.h), plus a
# cost per instance (set-up, thread start, and above all the last operation: with 16-32 threads
# on 2 cores a spinning FIFO lock needs every preempted waiter to run once more). Measured on
# a 2-core VM over all designs: 0.15-0.25 s per instance (under 0.01 s for pthread, lockpool,
# spin-ttas alone), and per process (topology, spin calibration).
OVERHEAD_S = 0.15
PROCESS_OVERHEAD_S = 0.3
RUN_MS_RANGE = (25, 2000)
# --quick counts instructions only for the designs the fast-path target judges (targets.json).
FASTPATH_QUICK_DESIGNS = targets.MODES + [targets.USUAL, targets.FLOOR]
_START_RE = re.compile(r"^\[lockpool-bench\] #(\d+) (\S+)")


def fmt_dur(seconds):
    seconds = max(0, int(round(seconds)))
    return f"{seconds // 60}:{seconds % 60:02d}"


def log(msg):
    print(f"[lp-suite {datetime.datetime.now():%H:%M:%S}] {msg}", flush=True)


def list_benchmarks(bench_bin, args):
    """The harness's benchmark names for these flags; SystemExit(2) with its message if it
    refuses them (a bad --harness-arg)."""
    p = subprocess.run([bench_bin, "--benchmark_list_tests=true"] + args,
                       capture_output=True, text=True, timeout=120)
    if p.returncode != 0:
        why = [l for l in p.stderr.splitlines() if l.startswith("lockpool-bench:")] or p.stderr.splitlines()[-1:]
        print(f"lp-suite: the harness refuses {' '.join(args) or 'its default flags'}: "
              f"{why[0] if why else f'status {p.returncode}'}", file=sys.stderr)
        raise SystemExit(2)
    return [line.strip() for line in p.stdout.splitlines() if line.strip()]


def posix_escape(text):
    """Escape for Google Benchmark's POSIX extended regex (which rejects re.escape's '\\-')."""
    return re.sub(r"([.^$*+?()\[\]{}|\\])", r"\\\1", text)


def families(names):
    """Benchmark names grouped by 'workload/design', in the harness's order."""
    out = {}
    for n in names:
        fam = "/".join(n.split("/")[:2])
        out.setdefault(fam, []).append(n)
    return out


def plan(n_benchmarks, budget_s, reps, run_ms=None, n_processes=0):
    """Pick run_ms so n x reps instance runs fit the budget; returns (run_ms, expected_s)."""
    runs = max(1, n_benchmarks * reps)
    fixed = n_processes * PROCESS_OVERHEAD_S
    if run_ms is None:
        run_ms = int(1000 * ((budget_s - fixed) / runs - OVERHEAD_S))
        run_ms = min(RUN_MS_RANGE[1], max(RUN_MS_RANGE[0], run_ms))
    return run_ms, fixed + runs * (run_ms / 1000.0 + OVERHEAD_S)


def run_folder(results_dir, quick, when):
    host = re.sub(r"[^A-Za-z0-9.-]", "-", socket.gethostname())[:40] or "host"
    name = f"{when:%Y-%m-%d_%H%M%S}_{host}" + ("_quick" if quick else "")
    path = os.path.join(results_dir, "runs", name)
    os.makedirs(path, exist_ok=True)
    return path


class Progress:
    def __init__(self, total):
        self.total, self.done, self.start = total, 0, time.time()

    def step(self, label):
        self.done += 1
        elapsed = time.time() - self.start
        left = elapsed / self.done * (self.total - self.done) if self.done > 1 else float("nan")
        left_s = "?" if left != left else fmt_dur(left)
        print(f"  [{self.done:4d}/{self.total}] {100 * self.done / self.total:3.0f}%  elapsed "
              f"{fmt_dur(elapsed)}  left ~{left_s}  {label}", flush=True)


def run_process(bench_bin, args, out_json, detail_json, timeout_s, logf, progress):
    """One harness process. Returns (rc, note). Kills it after timeout_s."""
    cmd = [bench_bin] + args + [f"--benchmark_out={out_json}", "--benchmark_out_format=json",
                                f"--lp_detail_out={detail_json}"]
    logf.write("$ " + " ".join(cmd) + "\n")
    logf.flush()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1)
    killed = []

    def watchdog():
        killed.append(True)
        proc.kill()

    timer = threading.Timer(timeout_s, watchdog)
    timer.start()
    try:
        for line in proc.stdout:
            logf.write(line)
            m = _START_RE.match(line)
            if m:
                progress.step(m.group(2))
        rc = proc.wait()
    finally:
        timer.cancel()
    if killed:
        return rc, f"killed after {timeout_s:.0f} s (hung?)"
    return rc, ("" if rc == 0 else f"exit status {rc}")


def merge(parts):
    """Concatenate per-process bench JSON documents (context from the first)."""
    merged = None
    for doc in parts:
        if merged is None:
            merged = {"context": doc.get("context", {}), "benchmarks": []}
        merged["benchmarks"] += doc.get("benchmarks", [])
    return merged or {"context": {}, "benchmarks": []}


def name_filter(names):
    """A --benchmark_filter matching exactly these benchmark names."""
    return "^(" + "|".join(posix_escape(n) for n in names) + ")$"


def workloads_of(fams):
    """{workload: {family: names}}: one harness process per workload, so the repetitions of all
    designs of a workload interleave in time and same-run ratios compare like with like. The
    remote-memory pair is one unit (under get_hold_local): the report divides one by the other."""
    out = {}
    for fam, names in fams.items():
        w = fam.split("/")[0]
        out.setdefault(results.LOCAL_WORKLOAD if w == results.REMOTE_WORKLOAD else w, {})[fam] = names
    return out


def run_suite(bench_bin, common, fams, reps, run_ms, out_dir):
    """One process per workload; if one fails (a design hangs or crashes), its families are
    re-run one process each so only the failing family is lost. Returns (bench doc, detail doc,
    failures, load samples, calibration notes): the notes are each process's spin calibration
    (its context's lp_spin_calibration) and any drift it found at its end (its detail file's
    lp_calibration_drift), both from the JSON the harness wrote."""
    total = sum(len(v) for v in fams.values()) * reps
    progress = Progress(total)
    parts, detail, failures = [], {"benchmarks": {}}, {}
    notes = {"spin_calibrations": [], "calibration_drift": []}
    tmp = os.path.join(out_dir, ".parts")
    os.makedirs(tmp, exist_ok=True)
    counter = [0]

    def run_unit(label, names, logf):
        counter[0] += 1
        part = os.path.join(tmp, f"{counter[0]:03d}.json")
        part_detail = os.path.join(tmp, f"{counter[0]:03d}.detail.json")
        args = common + [f"--benchmark_filter={name_filter(names)}", f"--run_ms={run_ms}",
                         f"--benchmark_repetitions={reps}", "--benchmark_color=false"]
        if reps > 1:
            # Random order, repetitions interleaved: slow drift (neighbours, thermal) spreads
            # over every design instead of favouring whichever ran first.
            args.append("--benchmark_enable_random_interleaving=true")
        expected = len(names) * reps * (run_ms / 1000.0 + OVERHEAD_S) + PROCESS_OVERHEAD_S
        before = progress.done
        rc, note = run_process(bench_bin, args, part, part_detail, 3 * expected + 60, logf, progress)
        progress.done = before + len(names) * reps
        doc = None
        if rc == 0 and os.path.exists(part):
            try:
                with open(part) as f:
                    doc = json.load(f)
                with open(part_detail) as f:
                    unit_detail = json.load(f)
            except (ValueError, OSError):
                doc, note = None, "unreadable JSON"
        if doc is None:
            return note or "no output"
        parts.append(doc)
        detail["benchmarks"].update(unit_detail.get("benchmarks", {}))
        notes["spin_calibrations"].append(str(doc.get("context", {}).get("lp_spin_calibration", "")))
        if unit_detail.get("lp_calibration_drift"):
            notes["calibration_drift"].append(str(unit_detail["lp_calibration_drift"]))
        return None

    load_samples = []
    with open(os.path.join(out_dir, "bench.log"), "w") as logf:
        for workload, wfams in workloads_of(fams).items():
            load_samples.append(round(os.getloadavg()[0], 2))
            names = [n for v in wfams.values() for n in v]
            err = run_unit(workload, names, logf)
            if err is None:
                continue
            print(f"  !! {workload}: {err}; re-running its {len(wfams)} families one by one", flush=True)
            progress.total += len(names) * reps
            for fam, fnames in wfams.items():
                ferr = run_unit(fam, fnames, logf)
                if ferr is not None:
                    failures[fam] = ferr
                    print(f"  !! {fam}: {ferr}; its rows are missing from this run", flush=True)
    shutil.rmtree(tmp, ignore_errors=True)
    load_samples.append(round(os.getloadavg()[0], 2))
    return merge(parts), detail, failures, load_samples, notes


def check_gate(top, baseline, gate_args):
    """Validate --gate BASELINE and --gate-arg before anything is measured: the baseline gated
    against itself reads it exactly as the real gate will (folder, JSON, options). Returns None,
    or lp-gate's one-line complaint."""
    cmd = [sys.executable, os.path.join(top, "scripts", "lp-gate"), baseline, baseline, "--quiet"] + list(gate_args)
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode == 2:
        return (p.stderr.strip().splitlines() or ["lp-gate: error (status 2)"])[-1]
    return None


def run_problems(doc, failures):
    """What went wrong inside the run, worst first: failed families, failed rows, rows with
    errors. Empty if nothing did."""
    out = [f"family {fam} failed ({why}): its rows are missing" for fam, why in failures.items()]
    failed_rows = [r.get("run_name", r.get("name")) for r in doc.get("benchmarks", []) if r.get("error_occurred")]
    out += [f"benchmark {n} failed: no result" for n in dict.fromkeys(failed_rows)]
    errs = {}
    for r in doc.get("benchmarks", []):
        if r.get("run_type", "iteration") == "iteration" and (r.get("errors") or 0) > 0:
            name = r.get("run_name", r.get("name"))
            errs[name] = errs.get(name, 0) + r["errors"]
    out += [f"benchmark {n}: {e:g} errors (lost wake-up, stuck get or busy pool)" for n, e in errs.items()]
    return out


def parse_args(argv):
    from . import cli
    ap = cli.Parser(prog="lp-suite", description="Run the default benchmark suite "
                                 "into a dated run folder (called by scripts/run-suite.sh). Exit "
                                 "status: 0 done, 1 something failed inside the run (a family, a "
                                 "benchmark, errors: the report lists them first) or the gate found "
                                 "a regression, 2 a usage or input error (e.g. a --gate baseline "
                                 "that is not a run), found before anything is measured.")
    ap.add_argument("--build", required=True, help="build directory with bench/ and baselines/")
    ap.add_argument("--results", default=None, help="results directory (default: <repo>/results)")
    ap.add_argument("--out", default=None, help="exact run folder (default: results/runs/<date>_<host>)")
    ap.add_argument("--quick", action="store_true", help="about a minute: indicative numbers only")
    ap.add_argument("--reps", type=int, default=None, help="repetitions per benchmark")
    ap.add_argument("--run-ms", type=int, default=None,
                    help="measured wall time per benchmark instance (default: sized to the budget)")
    ap.add_argument("--budget", type=float, default=None, help="benchmark time budget in seconds")
    ap.add_argument("--filter", default=None, help="regex on benchmark names (default: all)")
    ap.add_argument("--harness-arg", action="append", default=[], help="extra flag for lockpool-bench")
    ap.add_argument("--no-fastpath", action="store_true", help="skip the callgrind counts")
    ap.add_argument("--fastpath-iters", type=int, default=None,
                    help="N of the callgrind count (Ir(2N) - Ir(N)) / N (default 200000, --quick 20000)")
    ap.add_argument("--gate", default=None, metavar="BASELINE",
                    help="afterwards run scripts/lp-gate BASELINE <run>; exit with its status")
    ap.add_argument("--gate-arg", action="append", default=[], help="extra flag for lp-gate")
    ap.add_argument("--history", default=None, metavar="DB",
                    help="afterwards add the run to this history database (scripts/lp-history add)")
    ap.add_argument("--command", default=None, help="command line to record in the report")
    ap.add_argument("--check-gate-only", action="store_true",
                    help="only validate --gate and --gate-arg, then exit (run-suite.sh does this "
                         "before building)")
    return ap.parse_args(argv)


def gate_problem(top, a):
    """None if --gate/--gate-arg are usable (or absent), else the one-line complaint."""
    if not (a.gate or a.gate_arg):
        return None
    if not a.gate:
        return "lp-suite: error: --gate-arg without --gate BASELINE"
    err = check_gate(top, a.gate, a.gate_arg)
    return f"lp-suite: --gate {a.gate}: {err}; nothing measured" if err else None


class Plan:
    """What the suite will run: benchmarks, repetitions, run_ms, callgrind designs, expected time."""

    def __init__(self, a, bench_bin, fp_bin):
        self.reps = a.reps or (QUICK_REPS if a.quick else FULL_REPS)
        budget = a.budget or (QUICK_BUDGET_S if a.quick else FULL_BUDGET_S)
        self.common = list(a.harness_arg) + (["--quick"] if a.quick else [])
        names = list_benchmarks(bench_bin, self.common)
        if a.filter:
            names = [n for n in names if re.search(a.filter, n)]
        self.names = names
        self.fams = families(names)
        self.n_workloads = len(workloads_of(self.fams))
        self.run_ms, self.bench_s = plan(len(names), budget, self.reps, a.run_ms, n_processes=self.n_workloads)
        self.fp_designs = []
        self.do_fp = bool(not a.no_fastpath and os.access(fp_bin, os.X_OK) and shutil.which("valgrind"))
        self.fp_iters = a.fastpath_iters or (20000 if a.quick else 200000)
        if self.do_fp:
            self.fp_designs = fastpath_mod.list_designs(fp_bin)
            if a.quick:
                self.fp_designs = [d for d in self.fp_designs if d in FASTPATH_QUICK_DESIGNS]
        self.fp_s = len(self.fp_designs) * (2.0 if a.quick else 3.0)
        self.analysis_s = 20.0
        self.total_s = self.bench_s + self.fp_s + self.analysis_s

    def announce(self, out_dir):
        log(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; {len(self.names)} benchmarks "
            f"({self.n_workloads} workloads) x {self.reps} repetitions x {self.run_ms} ms")
        log(f"EXPECTED TOTAL: ~{fmt_dur(self.total_s)} (benchmarks ~{fmt_dur(self.bench_s)}, "
            f"callgrind ~{fmt_dur(self.fp_s)}, plots+report ~{fmt_dur(self.analysis_s)})")
        log(f"run folder: {out_dir}")


def _write_json(path, doc, indent=1):
    with open(path, "w") as f:
        json.dump(doc, f, indent=indent)


def measure(bench_bin, p, out_dir, meta):
    """The harness part: bench.json, detail.json and the run's notes into meta. False if the
    harness produced no results at all."""
    t0 = time.time()
    log(f"[1/3] lockpool-bench: {len(p.names) * p.reps} runs, one process per workload ...")
    doc, detail, failures, load_samples, notes = run_suite(bench_bin, p.common, p.fams, p.reps, p.run_ms, out_dir)
    # Other processes on the machine are the first suspect for odd numbers: keep the evidence.
    meta["load_avg_1min_samples"] = load_samples
    meta.update(notes)
    meta["bench_s"] = round(time.time() - t0, 1)
    meta["failures"] = failures
    meta["problems"] = run_problems(doc, failures)
    if not doc["benchmarks"]:
        log(f"FAILED: lockpool-bench produced no results; see {out_dir}/bench.log")
        return False
    _write_json(os.path.join(out_dir, "bench.json"), doc)
    _write_json(os.path.join(out_dir, "detail.json"), detail, indent=None)
    return True


def count_instructions(fp_bin, p, out_dir, meta):
    if not p.do_fp:
        log("[2/3] skipping callgrind counts (no lp-fastpath or valgrind, or --no-fastpath)")
        return
    t1 = time.time()
    log(f"[2/3] callgrind fast-path counts for {len(p.fp_designs)} designs (N = {p.fp_iters}) ...")
    fp_doc = fastpath_mod.measure(fp_bin, p.fp_iters, p.fp_designs,
                                  progress=lambda i, n, d: print(f"  [{i + 1}/{n}] {d}", flush=True))
    fastpath_mod.write(os.path.join(out_dir, "fastpath.json"), fp_doc)
    meta["fastpath_s"] = round(time.time() - t1, 1)


def report(out_dir, meta, t0):
    log("[3/3] plots and report ...")
    meta["duration_s"] = round(time.time() - t0, 1)
    _write_json(os.path.join(out_dir, "run.json"), meta)
    from . import analyze
    path = analyze.analyze(out_dir)
    meta["duration_s"] = round(time.time() - t0, 1)
    _write_json(os.path.join(out_dir, "run.json"), meta)
    log(f"done in {fmt_dur(time.time() - t0)} (expected ~{fmt_dur(meta['expected_s'])}): {path}")


def afterwards(top, a, out_dir, meta):
    """The run's own verdict, then --history and --gate: the exit status."""
    rc = 0
    if meta["problems"]:
        log(f"FAILED: {len(meta['problems'])} problem(s) in this run (first in its report): "
            + "; ".join(meta["problems"][:5]) + (" ..." if len(meta["problems"]) > 5 else ""))
        rc = 1
    if a.history:
        # lp-history refuses a partial run (exit 2): then it is not in the history, and says so.
        hist_cmd = [sys.executable, os.path.join(top, "scripts", "lp-history"), "add", "--db", a.history, out_dir]
        log("history: " + " ".join(hist_cmd))
        rc = rc or subprocess.call(hist_cmd)
    if a.gate:
        gate_cmd = [sys.executable, os.path.join(top, "scripts", "lp-gate"), a.gate, out_dir] + a.gate_arg
        log("gate: " + " ".join(gate_cmd))
        gate_rc = subprocess.call(gate_cmd)
        rc = gate_rc if gate_rc else rc
    return rc


def main(argv=None):
    a = parse_args(argv)
    top = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    problem = gate_problem(top, a)
    if problem:
        print(problem, file=sys.stderr)
        return 2
    if a.check_gate_only:
        return 0
    bench_bin = os.path.join(a.build, "bench", "lockpool-bench")
    fp_bin = os.path.join(a.build, "baselines", "lp-fastpath")
    if not os.access(bench_bin, os.X_OK):
        print(f"lp-suite: no harness at {bench_bin} (build the lockpool-bench target)", file=sys.stderr)
        return 2
    started = datetime.datetime.now()
    p = Plan(a, bench_bin, fp_bin)
    if not p.names:
        print("lp-suite: the harness lists no benchmarks (for this filter)", file=sys.stderr)
        return 2
    out_dir = a.out or run_folder(a.results or os.path.join(top, "results"), a.quick, started)
    os.makedirs(out_dir, exist_ok=True)
    p.announce(out_dir)
    meta = {"command": a.command or " ".join(sys.argv), "started": f"{started:%Y-%m-%d %H:%M:%S}",
            "quick": a.quick, "repetitions": p.reps, "run_ms": p.run_ms, "benchmarks": len(p.names),
            "harness_args": p.common, "expected_s": round(p.total_s)}
    t0 = time.time()
    if not measure(bench_bin, p, out_dir, meta):
        return 1
    count_instructions(fp_bin, p, out_dir, meta)
    report(out_dir, meta, t0)
    return afterwards(top, a, out_dir, meta)
