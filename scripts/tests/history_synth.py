"""Synthetic run folders and histories for the lp-history tests (toy numbers from a seeded
generator, never results). A run folder looks like run-suite.sh's: bench.json (Google
Benchmark JSON with the harness's context), run.json, optionally fastpath.json."""
import json
import os
import random
import subprocess
import sys

from tests.synth import bench_name

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPTS = os.path.dirname(HERE)
LP_HISTORY = os.path.join(SCRIPTS, "lp-history")

CONTEXT = {"host_name": "synth", "lp_cpu_model": "Toy CPU", "num_cpus": 2, "mhz_per_cpu": 1000,
           "caches": [], "lp_topology": "1 package, 2 cores", "lp_quick": "0"}

OVERSUB = [bench_name("oversubscribed", d, t, slots=2, waiters=64, hold_ns=200)
           for d in ("lockpool-barging", "pthread") for t in (4, 16)]


def sha(i):
    return f"{i:07x}" + "ab" * 16 + "c"


def commit_date(i):
    return f"2026-11-{1 + i // 24:02d}T{i % 24:02d}:00:00+00:00"


def write_run(folder, commit, cdate, rdate, values, counters=("ops_per_s",), fastpath=None, meta=None,
              context=None):
    """values: {benchmark name: [one number per repetition]}; every counter gets the same numbers
    (scaled for lat_*: 1e9 / value), so one dict describes the run."""
    os.makedirs(folder, exist_ok=True)
    rows = []
    for name, reps in values.items():
        for i, v in enumerate(reps):
            row = {"name": name, "run_name": name, "run_type": "iteration", "repetitions": len(reps),
                   "repetition_index": i, "threads": 1, "iterations": 1, "real_time": 1.0, "cpu_time": 1.0,
                   "time_unit": "ns", "t00_ops": 5.0}
            for c in counters:
                row[c] = v if not c.startswith("lat_") else 1e9 / v
            rows.append(row)
    ctx = dict(CONTEXT, date=rdate, lp_git_commit=commit)
    ctx.update(context or {})
    with open(os.path.join(folder, "bench.json"), "w") as f:
        json.dump({"context": ctx, "benchmarks": rows}, f)
    m = {"command": "synthetic", "quick": False, "failures": {}, "commit_date": cdate}
    m.update(meta or {})
    with open(os.path.join(folder, "run.json"), "w") as f:
        json.dump(m, f)
    if fastpath:
        with open(os.path.join(folder, "fastpath.json"), "w") as f:
            json.dump({"designs": {d: {"instr_per_pair": v} for d, v in fastpath.items()}}, f)
    return folder


def history_runs(root, n=12, shift_at=6, factor=3.0, reps=5, seed=7, names=OVERSUB, shifted=None,
                 machine_at=None, machine_factor=0.5):
    """n run folders, one per commit; from commit `shift_at` on, the benchmarks in `shifted`
    (default: the barging ones) run `factor` times faster; from `machine_at` on, every benchmark
    runs `machine_factor` times as fast (the machine, not the code). Noise: +-5 % uniform per
    repetition."""
    rng = random.Random(seed)
    shifted = [x for x in names if "barging" in x] if shifted is None else shifted
    folders = []
    for i in range(n):
        values = {}
        for name in names:
            base = 1.0e6 * (factor if (name in shifted and i >= shift_at) else 1.0)
            if machine_at is not None and i >= machine_at:
                base *= machine_factor
            values[name] = [base * rng.uniform(0.95, 1.05) for _ in range(reps)]
        folders.append(write_run(os.path.join(root, f"run{i:02d}"), sha(i), commit_date(i),
                                 f"2026-12-01T{i % 24:02d}:30:00+00:00", values,
                                 counters=("ops_per_s", "lat_p99_ns"),
                                 fastpath={"lockpool-barging": 81.0, "pthread": 184.0}))
    return folders


def lp_history(*args, env=None):
    """Run the command; (exit status, stdout, stderr)."""
    e = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", MPLBACKEND="Agg")
    e.update(env or {})
    p = subprocess.run([sys.executable, LP_HISTORY] + [str(a) for a in args], capture_output=True, text=True,
                       env=e, timeout=600)
    return p.returncode, p.stdout, p.stderr
