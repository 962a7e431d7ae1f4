"""The main job's runner: size the default suite for this machine, run lockpool-bench with
progress and an ETA, count fast-path instructions under callgrind, then draw the plots and
write the report into a dated run folder."""
import datetime
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time

from . import fastpath as fastpath_mod

# Time budget for the benchmark part of the default suite, and for --quick (seconds).
FULL_BUDGET_S = 12 * 60
QUICK_BUDGET_S = 45
FULL_REPS = 5          # >= 4 so the gate's U test can reach p < 0.05 (n = 5: p >= 0.008)
QUICK_REPS = 1
# lockpool-bench runs every instance for a fixed wall time (--run_ms; harness.h), plus a
# fixed cost per instance (design set-up, thread start, placement) measured on this machine.
OVERHEAD_S = 0.06
RUN_MS_RANGE = (25, 2000)
QUICK_RUN_MS = 25          # the harness's own --quick default
FASTPATH_QUICK_DESIGNS = ["lockpool-fair", "lockpool-barging", "lockpool-bounded", "pthread",
                          "bare-cas"]


def fmt_dur(seconds):
    seconds = max(0, int(round(seconds)))
    return f"{seconds // 60}:{seconds % 60:02d}"


def log(msg):
    print(f"[lp-suite {datetime.datetime.now():%H:%M:%S}] {msg}", flush=True)


def list_benchmarks(bench_bin, args):
    out = subprocess.run([bench_bin, "--benchmark_list_tests=true"] + args,
                         capture_output=True, text=True, check=True).stdout
    return [line.strip() for line in out.splitlines() if line.strip()]


def plan(n_benchmarks, budget_s, reps, run_ms=None):
    """Pick run_ms so n x reps instance runs fit the budget; returns (run_ms, expected_s)."""
    runs = max(1, n_benchmarks * reps)
    if run_ms is None:
        run_ms = int(1000 * (budget_s / runs - OVERHEAD_S))
        run_ms = min(RUN_MS_RANGE[1], max(RUN_MS_RANGE[0], run_ms))
    return run_ms, runs * (run_ms / 1000.0 + OVERHEAD_S)


def run_folder(results_dir, quick, when):
    host = re.sub(r"[^A-Za-z0-9.-]", "-", socket.gethostname())[:40] or "host"
    name = f"{when:%Y-%m-%d_%H%M%S}_{host}" + ("_quick" if quick else "")
    path = os.path.join(results_dir, "runs", name)
    os.makedirs(path, exist_ok=True)
    return path


def run_harness(bench_bin, args, names, reps, log_path):
    """Run the harness, echoing one progress line per finished repetition. Returns rc."""
    total = len(names) * reps
    known = set(names)
    done, start = 0, time.time()
    with open(log_path, "w") as logf:
        proc = subprocess.Popen([bench_bin] + args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True, bufsize=1)
        for line in proc.stdout:
            logf.write(line)
            first = line.split(" ", 1)[0].strip()
            if first in known:
                done += 1
                elapsed = time.time() - start
                eta = elapsed / done * (total - done)
                print(f"  [{done:4d}/{total}] {100 * done / total:3.0f}%  elapsed {fmt_dur(elapsed)}"
                      f"  left ~{fmt_dur(eta)}  {first}", flush=True)
            elif "ERROR" in line or "error" in line.lower():
                print("  " + line.rstrip(), flush=True)
        return proc.wait()


def main(argv=None):
    import argparse
    ap = argparse.ArgumentParser(prog="lp-suite", description="Run the default benchmark suite "
                                 "into a dated run folder (called by scripts/run-suite.sh).")
    ap.add_argument("--build", required=True, help="build directory with bench/ and baselines/")
    ap.add_argument("--results", default=None, help="results directory (default: <repo>/results)")
    ap.add_argument("--out", default=None, help="exact run folder (default: results/runs/<date>_<host>)")
    ap.add_argument("--quick", action="store_true", help="about a minute: indicative numbers only")
    ap.add_argument("--reps", type=int, default=None, help="repetitions per benchmark")
    ap.add_argument("--run-ms", type=int, default=None,
                    help="measured wall time per benchmark instance (default: sized to the budget)")
    ap.add_argument("--budget", type=float, default=None, help="benchmark time budget in seconds")
    ap.add_argument("--filter", default=None, help="--benchmark_filter regex (default: all)")
    ap.add_argument("--harness-arg", action="append", default=[], help="extra flag for lockpool-bench")
    ap.add_argument("--no-fastpath", action="store_true", help="skip the callgrind counts")
    ap.add_argument("--fastpath-iters", type=int, default=None)
    ap.add_argument("--gate", default=None, metavar="BASELINE",
                    help="afterwards run scripts/lp-gate BASELINE <run>; exit with its status")
    ap.add_argument("--command", default=None, help="command line to record in the report")
    a = ap.parse_args(argv)

    top = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    results_dir = a.results or os.path.join(top, "results")
    bench_bin = os.path.join(a.build, "bench", "lockpool-bench")
    fp_bin = os.path.join(a.build, "baselines", "lp-fastpath")
    if not os.access(bench_bin, os.X_OK):
        sys.exit(f"lp-suite: no harness at {bench_bin} (build the lockpool-bench target)")

    started = datetime.datetime.now()
    out_dir = a.out or run_folder(results_dir, a.quick, started)
    os.makedirs(out_dir, exist_ok=True)
    reps = a.reps or (QUICK_REPS if a.quick else FULL_REPS)
    budget = a.budget or (QUICK_BUDGET_S if a.quick else FULL_BUDGET_S)

    common = list(a.harness_arg)
    if a.quick:
        common.append("--quick")
    if a.filter:
        common.append(f"--benchmark_filter={a.filter}")
    names = list_benchmarks(bench_bin, common)
    if not names:
        sys.exit("lp-suite: the harness lists no benchmarks for this filter")
    run_ms, bench_s = plan(len(names), budget, reps, a.run_ms or (QUICK_RUN_MS if a.quick else None))

    fp_designs = None
    do_fp = not a.no_fastpath and os.access(fp_bin, os.X_OK) and shutil.which("valgrind")
    fp_iters = a.fastpath_iters or (20000 if a.quick else 100000)
    fp_s = 0.0
    if do_fp:
        fp_designs = fastpath_mod.list_designs(fp_bin)
        if a.quick:
            fp_designs = [d for d in fp_designs if d in FASTPATH_QUICK_DESIGNS]
        fp_s = len(fp_designs) * (1.0 if a.quick else 2.5)
    analysis_s = 10.0
    log(f"machine: {os.cpu_count()} CPUs; {len(names)} benchmarks x {reps} repetitions x "
        f"{run_ms} ms")
    log(f"EXPECTED TOTAL: ~{fmt_dur(bench_s + fp_s + analysis_s)} (benchmarks ~{fmt_dur(bench_s)}, "
        f"callgrind ~{fmt_dur(fp_s)}, plots+report ~{fmt_dur(analysis_s)})")
    log(f"run folder: {out_dir}")

    bench_json = os.path.join(out_dir, "bench.json")
    detail_json = os.path.join(out_dir, "detail.json")
    # No --benchmark_min_time: the harness forces one GB iteration and times itself (run_ms).
    args = common + [f"--run_ms={run_ms}",
                     f"--benchmark_repetitions={reps}",
                     f"--benchmark_out={bench_json}", "--benchmark_out_format=json",
                     "--benchmark_color=false"]
    if reps > 1:
        # Interleave repetitions so slow drift (thermal, neighbours) spreads over all designs.
        args.append("--benchmark_enable_random_interleaving=true")
    args.append(f"--lp_detail_out={detail_json}")
    meta = {"command": a.command or " ".join(sys.argv), "started": f"{started:%Y-%m-%d %H:%M:%S}",
            "quick": a.quick, "repetitions": reps, "run_ms": run_ms,
            "harness_args": args, "benchmarks": len(names)}
    t0 = time.time()
    log(f"running lockpool-bench ({len(names) * reps} repetitions) ...")
    rc = run_harness(bench_bin, args, names, reps, os.path.join(out_dir, "bench.log"))
    meta["bench_s"] = round(time.time() - t0, 1)
    if rc != 0 or not os.path.exists(bench_json):
        log(f"lockpool-bench failed (rc {rc}); see {out_dir}/bench.log")
        return rc or 1

    if do_fp:
        t1 = time.time()
        log(f"callgrind fast-path counts for {len(fp_designs)} designs (N = {fp_iters}) ...")
        doc = fastpath_mod.measure(fp_bin, fp_iters, fp_designs,
                                   progress=lambda i, n, d: print(f"  [{i + 1}/{n}] {d}", flush=True))
        fastpath_mod.write(os.path.join(out_dir, "fastpath.json"), doc)
        meta["fastpath_s"] = round(time.time() - t1, 1)
    else:
        log("skipping callgrind counts (no lp-fastpath or valgrind, or --no-fastpath)")

    meta["duration_s"] = round(time.time() - t0, 1)
    with open(os.path.join(out_dir, "run.json"), "w") as f:
        json.dump(meta, f, indent=1)
    from . import analyze
    report = analyze.analyze(out_dir)
    meta["duration_s"] = round(time.time() - t0, 1)
    with open(os.path.join(out_dir, "run.json"), "w") as f:
        json.dump(meta, f, indent=1)
    log(f"done in {fmt_dur(time.time() - t0)}: {report}")
    if a.gate:
        gate_cmd = [sys.executable, os.path.join(top, "scripts", "lp-gate"), a.gate, out_dir]
        log("gate: " + " ".join(gate_cmd))
        return subprocess.call(gate_cmd)
    return 0
