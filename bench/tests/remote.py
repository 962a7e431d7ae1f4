#!/usr/bin/env python3
"""The remote-memory workloads and --mem=node:K on this machine, whatever its NUMA shape.

One node: get_hold_local/get_hold_remote register nothing, the bench says on stderr and in the
context's lp_remote that nothing remote can be measured, and exits 0. Several nodes: both run,
every thread is pinned, and storage is on the threads' node (local) or another one (remote),
unless the kernel refuses to bind memory, which lp_remote must then say. Everywhere:
--mem=node:0 puts storage on node 0, and a node the machine lacks is a one-line usage error
(exit 2). No timing is judged.

usage: remote.py BENCH
"""
import os
import re
import sys
import tempfile

from checks import check, check_usage_error, command_line, iteration_rows, run, run_json, verdict


SHORT = ["--quick", "--run_ms=5"]


def check_node0(bench, tmp):
    """--mem=node:0 (every machine has node 0) on one cheap case: the run's context, or {}."""
    p, doc = run_json(bench, SHORT + ["--mem=node:0", "--benchmark_filter=^get_hold/pthread/slots:1/"],
                      os.path.join(tmp, "node0.json"))
    check(p.returncode == 0, f"--mem=node:0 exits 0 ({p.returncode}: {p.stderr[-300:]})")
    if doc is None:
        return {}
    ctx = doc["context"]
    nodes = ctx.get("lp_numa_nodes", "").split()
    check(len(nodes) >= 1 and all(re.fullmatch(r"node\d+:(pu[\d,-]+|none)", n) for n in nodes),
           f"context lp_numa_nodes lists the nodes ({ctx.get('lp_numa_nodes')!r})")
    check(ctx.get("lp_mem_policy", "").startswith("node:"), f"lp_mem_policy says node: ({ctx.get('lp_mem_policy')})")
    rows = iteration_rows(doc)
    check(len(rows) == 1, f"one row for --mem=node:0 ({len(rows)})")
    node0 = int(nodes[0].split(":")[0][4:]) if nodes else 0
    # Where mbind is refused (containers) storage falls back to first touch; say which.
    if memory_binds(ctx):
        for r in rows:
            check(r.get("mem_node") == node0, f"--mem=node:0: mem_node = {node0} ({r.get('mem_node')})")
    return ctx


def memory_binds(ctx):
    return "unbound" not in ctx.get("lp_mem_policy", "")


def check_bad_nodes(bench, nodes):
    """Nodes the machine lacks, and malformed ones: exit 2, one line naming the flag."""
    for flag in (f"--mem=node:{len(nodes)}", "--mem=node:x", "--mem=node:-1", "--mem=node:", "--mem=nodes"):
        check_usage_error(run([bench] + SHORT + [flag]), flag, "--mem")


def check_one_node(bench, note, listed):
    """One node: nothing remote registered, and a filter selecting only the pair is answered."""
    check(note.startswith("not measured: this machine has 1 NUMA node") and
           note.endswith("nothing remote can be measured"), f"lp_remote on one node ({note!r})")
    check(not listed, f"nothing remote is registered on one node ({listed[:4]})")
    p = run([bench] + SHORT + ["--benchmark_filter=^get_hold_(local|remote)/"])
    check(p.returncode == 0, f"the remote workloads on one node exit 0 ({p.returncode})")
    check("get_hold_remote: not measured: this machine has 1 NUMA node" in p.stderr and
           "nothing remote can be measured" in p.stderr,
           f"stderr says nothing remote can be measured ({p.stderr[:300]})")
    check("lockpool-bench: nothing to run: get_hold_local/get_hold_remote not measured: " in p.stderr,
           f"a filter selecting only the pair is answered, not a filter matching nothing ({p.stderr[-300:]})")


def check_several_nodes(bench, tmp, note, listed, nnodes):
    """Several nodes: both workloads run pinned, storage on the threads' node or another one."""
    check(listed and all(n.split("/")[0] in ("get_hold_local", "get_hold_remote") for n in listed),
           f"the remote workloads are registered on {nnodes} nodes ({note!r})")
    p, doc = run_json(bench, SHORT + ["--benchmark_filter=^get_hold_(local|remote)/(lockpool-fair|pthread)/"],
                      os.path.join(tmp, "remote.json"))
    check(p.returncode == 0, f"the remote workloads run ({p.returncode}: {p.stderr[-300:]})")
    rows = doc["benchmarks"] if doc else []
    m = re.match(r"threads on node (\d+) .*storage on node (\d+) \(get_hold_local\) and node (\d+) ", note)
    check(m and m.group(1) == m.group(2) != m.group(3), f"lp_remote names two nodes ({note!r})")
    for r in rows:
        want = int(m.group(2) if r["name"].startswith("get_hold_local/") else m.group(3)) if m else None
        check(r.get("pin_ok") == 1 and r.get("mem_node") == want and not r.get("error_occurred"),
               f"{r['name']}: pin_ok 1, mem_node {want} ({r.get('pin_ok')}, {r.get('mem_node')})")
    check(len(rows) == 8, f"2 designs x 2 SLOTS x local/remote = 8 rows ({len(rows)})")


def main():
    bench = command_line(__doc__, 1)[0]
    with tempfile.TemporaryDirectory() as tmp:
        ctx = check_node0(bench, tmp)
        nodes = ctx.get("lp_numa_nodes", "").split()
        check_bad_nodes(bench, nodes)
        p = run([bench] + SHORT + ["--benchmark_filter=^get_hold_(local|remote)/", "--benchmark_list_tests"])
        check(p.returncode == 0, f"listing the remote workloads exits 0 ({p.returncode})")
        listed = p.stdout.split()
        note = ctx.get("lp_remote", "")
        if len(nodes) < 2:
            check_one_node(bench, note, listed)
        elif note.startswith("not measured: "):
            check(not memory_binds(ctx) and not listed, f"remote not measured although memory binds ({note!r})")
        else:
            check_several_nodes(bench, tmp, note, listed, len(nodes))
    return verdict(f"remote: checked on {len(nodes)} NUMA node(s)")


if __name__ == "__main__":
    sys.exit(main())
