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
import json
import os
import re
import subprocess
import sys
import tempfile

from checks import check as expect, verdict


def run(bench, args, out=None):
    cmd = [bench] + args + ([f"--benchmark_out={out}", "--benchmark_out_format=json"] if out else [])
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, timeout=300)
    return p.returncode, p.stdout, p.stderr


def main():
    bench = sys.argv[1]
    short = ["--quick", "--run_ms=5"]
    with tempfile.TemporaryDirectory() as tmp:
        # --mem=node:0 (every machine has node 0), on one cheap case.
        out = os.path.join(tmp, "node0.json")
        rc, _, err = run(bench, short + ["--mem=node:0", "--benchmark_filter=^get_hold/pthread/slots:1/"], out)
        expect(rc == 0, f"--mem=node:0 exits 0 ({rc}: {err[-300:]})")
        doc = json.load(open(out)) if rc == 0 else {"context": {}, "benchmarks": []}
        ctx = doc["context"]
        nodes = ctx.get("lp_numa_nodes", "").split()
        expect(len(nodes) >= 1 and all(re.fullmatch(r"node\d+:(pu[\d,-]+|none)", n) for n in nodes),
               f"context lp_numa_nodes lists the nodes ({ctx.get('lp_numa_nodes')!r})")
        expect(ctx.get("lp_mem_policy", "").startswith("node:"), f"lp_mem_policy says node: ({ctx.get('lp_mem_policy')})")
        bound = "unbound" not in ctx.get("lp_mem_policy", "")
        rows = [b for b in doc["benchmarks"] if b.get("run_type", "iteration") == "iteration"]
        expect(len(rows) == 1, f"one row for --mem=node:0 ({len(rows)})")
        node0 = int(nodes[0].split(":")[0][4:]) if nodes else 0
        for r in rows:
            # Where mbind is refused (containers) storage falls back to first touch; say which.
            if bound:
                expect(r.get("mem_node") == node0, f"--mem=node:0: mem_node = {node0} ({r.get('mem_node')})")

        # Nodes the machine lacks, and malformed ones: exit 2, one line naming the flag.
        for flag in (f"--mem=node:{len(nodes)}", "--mem=node:x", "--mem=node:-1", "--mem=node:", "--mem=nodes"):
            rc, _, err = run(bench, short + [flag])
            lines = [line for line in err.splitlines() if line.strip()]
            expect(rc == 2 and len(lines) == 1 and lines[0].startswith("lockpool-bench: ") and "--mem" in lines[0],
                   f"{flag}: exit 2 with one line ({rc}, {lines})")

        # The remote workloads.
        out = os.path.join(tmp, "remote.json")
        rc, listed, err = run(bench, short + ["--benchmark_filter=^get_hold_(local|remote)/", "--benchmark_list_tests"])
        expect(rc == 0, f"listing the remote workloads exits 0 ({rc})")
        listed = listed.split()
        note = ctx.get("lp_remote", "")
        if len(nodes) < 2:
            expect(note.startswith("not measured: this machine has 1 NUMA node") and
                   note.endswith("nothing remote can be measured"), f"lp_remote on one node ({note!r})")
            expect(not listed, f"nothing remote is registered on one node ({listed[:4]})")
            rc, _, err = run(bench, short + ["--benchmark_filter=^get_hold_(local|remote)/"])
            expect(rc == 0, f"the remote workloads on one node exit 0 ({rc})")
            expect("get_hold_remote: not measured: this machine has 1 NUMA node" in err and
                   "nothing remote can be measured" in err, f"stderr says nothing remote can be measured ({err[:300]})")
            expect("lockpool-bench: nothing to run: get_hold_local/get_hold_remote not measured: " in err,
                   f"a filter selecting only the pair is answered, not a filter matching nothing ({err[-300:]})")
        elif note.startswith("not measured: "):
            expect(not bound and not listed, f"remote not measured although memory binds ({note!r})")
        else:
            expect(listed and all(n.split("/")[0] in ("get_hold_local", "get_hold_remote") for n in listed),
                   f"the remote workloads are registered on {len(nodes)} nodes ({note!r})")
            rc, _, err = run(bench, short + ["--benchmark_filter=^get_hold_(local|remote)/(lockpool-fair|pthread)/"], out)
            expect(rc == 0, f"the remote workloads run ({rc}: {err[-300:]})")
            rows = json.load(open(out))["benchmarks"] if rc == 0 else []
            m = re.match(r"threads on node (\d+) .*storage on node (\d+) \(get_hold_local\) and node (\d+) ", note)
            expect(m and m.group(1) == m.group(2) != m.group(3), f"lp_remote names two nodes ({note!r})")
            for r in rows:
                want = int(m.group(2) if r["name"].startswith("get_hold_local/") else m.group(3)) if m else None
                expect(r.get("pin_ok") == 1 and r.get("mem_node") == want and not r.get("error_occurred"),
                       f"{r['name']}: pin_ok 1, mem_node {want} ({r.get('pin_ok')}, {r.get('mem_node')})")
            expect(len(rows) == 8, f"2 designs x 2 SLOTS x local/remote = 8 rows ({len(rows)})")
    return verdict(f"remote: checked on {len(nodes)} NUMA node(s)")


if __name__ == "__main__":
    sys.exit(main())
