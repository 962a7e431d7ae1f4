"""Synthetic lockpool-bench output for the script tests (never a result: the numbers come
from a toy model and a seeded random generator). Follows bench/JSON.md, except that per-thread
ops are written as tNN_ops counters on each row, as runs before the fixed counter set did (readers
accept both); current_format() turns a run into today's shape."""
import json
import math
import random

DESIGNS = ["lockpool-fair", "lockpool-barging", "lockpool-bounded", "pthread", "spin-ttas"]
WORKLOADS = ["uncontended", "try_get_storm", "get_hold", "oversubscribed"]
THREADS = [1, 2, 4, 8, 16]

# Toy throughput (pairs/s at one thread) and latency scale per design.
_BASE_OPS = {"lockpool-fair": 4.0e7, "lockpool": 4.0e7, "lockpool-barging": 4.5e7, "lockpool-bounded": 4.4e7,
             "pthread": 1.5e7, "spin-ttas": 2.0e7,
             "malloc": 6.0e7}  # not in DESIGNS by default: pass designs=DESIGNS + ["malloc"]


# A toy design registry, in the order a bench's context lists it (every design of the build,
# whatever ran): {design: (promises, one-line summary)}. make_run writes it into the context as
# the bench does (lp_design_flags, lp_design_summaries), unless registry=False (runs made before
# the bench recorded it).
REGISTRY = {
    "lockpool": (["lock_free", "bounded", "blocking", "wait_queue", "bypass_bounded"],
                 "synthetic default mode: bounded bypass"),
    "lockpool-fair": (["fifo", "lock_free", "bounded", "blocking", "wait_queue"], "synthetic FIFO hand-off pool"),
    "lockpool-barging": (["lock_free", "bounded", "blocking", "wait_queue"], "synthetic barging pool"),
    "lockpool-bounded": (["lock_free", "bounded", "blocking", "wait_queue"], "synthetic barging pool with a bound"),
    "pthread": (["bounded", "blocking", "wait_queue"], "synthetic mutex + condvar pool"),
    "spin-ttas": (["bounded", "blocking", "wait_queue"], "synthetic spinlock pool"),
    "malloc": ([], "synthetic no-pool reference: unbounded, nobody waits"),
}


def registry_context(registry=None):
    """The context keys a bench writes for this registry (default REGISTRY)."""
    reg = REGISTRY if registry is None else registry
    params = {"lockpool": {"mode": "RESTRICTED", "bypass_bound": 64, "retry_wakes": 4},
              "lockpool-fair": {"mode": "FAIR"}, "lockpool-barging": {"mode": "BARGING", "retry_wakes": 4},
              "lockpool-bounded": {"mode": "BOUNDED", "retry_wakes": 4, "fairness_bound_ns": 1000000}}
    return {"lp_design_flags": json.dumps({d: f for d, (f, _) in reg.items()}),
            "lp_design_summaries": json.dumps({d: s for d, (_, s) in reg.items()}),
            "lp_design_params": json.dumps({d: params.get(d, {}) for d in reg})}


def bench_name(workload, design, threads, slots=2, waiters=16, hold_ns=0, think_ns=0):
    return (f"{workload}/{design}/slots:{slots}/waiters:{waiters}/hold_ns:{hold_ns}"
            f"/think_ns:{think_ns}/real_time/threads:{threads}")


def make_row(name, threads, ops_per_s, seed, rep=0, reps=1, unfair=False, fifo=0.0,
             lat_scale=100.0):
    """One iteration row with every counter of the contract."""
    rng = random.Random(seed)
    shares = [1.0 + (3.0 * i if unfair else rng.uniform(-0.01, 0.01)) for i in range(threads)]
    total_ops = ops_per_s * 1.0  # one-second run
    norm = sum(shares)
    per_thread = [total_ops * s / norm for s in shares]
    mean = total_ops / threads
    cv = math.sqrt(sum((x - mean) ** 2 for x in per_thread) / threads) / mean
    row = {
        "name": name, "run_name": name, "run_type": "iteration",
        "repetitions": reps, "repetition_index": rep, "threads": threads,
        "iterations": int(total_ops), "real_time": 1e9 / ops_per_s * threads,
        "cpu_time": 1e9 / ops_per_s * threads, "time_unit": "ns",
        "ops_per_s": ops_per_s, "ops": total_ops,
        "lat_p50_ns": lat_scale, "lat_p90_ns": 2 * lat_scale, "lat_p99_ns": 5 * lat_scale,
        "lat_p999_ns": 20 * lat_scale, "lat_p9999_ns": 80 * lat_scale,
        "lat_max_ns": 400 * lat_scale,
        "jain": sum(per_thread) ** 2 / (threads * sum(x * x for x in per_thread)),
        "minmax_share": min(per_thread) / max(per_thread), "cv_thread_ops": cv,
        "fifo_violations_per_m": fifo, "reacquire_frac": 0.1, "full_concurrency": 0.99,
        "empty_frac": 0.0, "errors": 0.0,
    }
    for i, x in enumerate(per_thread):
        row[f"t{i:02d}_ops"] = x
    return row


def make_run(seed=1, reps=5, noise=0.03, scale=None, designs=DESIGNS, workloads=WORKLOADS,
             threads=THREADS, context=None, registry=True):
    """A whole run. scale: {design: factor} multiplies throughput (e.g. 0.7 = 30% slower)."""
    rng = random.Random(seed)
    scale = scale or {}
    rows = []
    for w in workloads:
        hold = 200 if w in ("get_hold", "oversubscribed") else 0
        for d in designs:
            for t in threads:
                name = bench_name(w, d, t, hold_ns=hold)
                contention = 1.0 / (1.0 + 0.3 * (t - 1)) if d in ("pthread", "spin-ttas") else 1.0
                lat_scale = 100.0 * (t if d in ("pthread", "spin-ttas") else 1.0)
                for r in range(reps):
                    ops = (_BASE_OPS.get(d, 1.0e7) * contention * scale.get(d, 1.0)
                           * (1.0 + rng.gauss(0.0, noise)))
                    rows.append(make_row(name, t, ops, seed=rng.random(), rep=r, reps=reps,
                                         unfair=(d == "spin-ttas"),
                                         fifo=(0.0 if d == "lockpool-fair" else -1.0),
                                         lat_scale=lat_scale))
    ctx = {"date": "synthetic", "host_name": "synthetic-host", "num_cpus": 2,
           "lp_pin_policy": "spread", "lp_cpu_model": "Synthetic CPU", "lp_quick": "0",
           "lp_git_commit": "0000000", "lp_governor": "performance"}
    if registry:
        ctx.update(registry_context())
    ctx.update(context or {})
    return {"context": ctx, "benchmarks": rows}


def make_detail(run_doc):
    """A detail file: a geometric latency histogram per benchmark, scaled by its p50."""
    out = {}
    for row in run_doc["benchmarks"]:
        p50 = row["lat_p50_ns"]
        hist, count, ub = [], 1_000_000.0, p50 / 4
        while count >= 1:
            hist.append([ub, int(count)])
            ub *= 2
            count /= 8
        out[row["name"]] = {"hist": hist,
                            "thread_ops": [row[k] for k in sorted(row) if k.endswith("_ops") and k[0] == "t"]}
    return {"benchmarks": out}


def write(path, doc):
    with open(path, "w") as f:
        json.dump(doc, f, indent=1)


def current_format(run_doc):
    """(bench doc, detail doc) as the harness writes them today: per-thread ops moved from the
    rows' tNN_ops counters to the detail file's thread_ops_per_rep, names in manual_time."""
    import copy
    import re
    doc = copy.deepcopy(run_doc)
    per_rep = {}
    for r in doc["benchmarks"]:
        ops = [r.pop(k) for k in sorted(k for k in list(r) if re.match(r"^t\d+_ops$", k))]
        if "cv" in r:
            r["cv_thread_ops"] = r.pop("cv")
        for key in ("name", "run_name"):
            r[key] = r[key].replace("/real_time/", "/manual_time/")
        if r.get("run_type", "iteration") == "iteration":
            per_rep.setdefault(r["name"], {})[r.get("repetition_index", 0)] = ops
    detail = {"benchmarks": {n: {"hist": [], "thread_ops": [sum(x) for x in zip(*reps.values())],
                                 "thread_ops_per_rep": [reps[i] for i in sorted(reps)]}
                             for n, reps in per_rep.items()}}
    return doc, detail
