#!/usr/bin/python3
"""Placement on a multi-node machine, asserted from lockpool-bench's own JSON.

Runs lockpool-bench under each placement policy on a short workload, keeps every output in a
folder, and checks that threads ran on the PUs their plan named (pin_ok), that the design's
storage is on the node the plan intended (mem_node), that the context records the machine's
NUMA topology, and that a node the machine lacks is a one-line usage error. Timing means
nothing here (the check runs in an emulated guest): only placement is judged.

  check_placement.py run   --bench BENCH --out DIR --nodes SPEC   run every case, then check
  check_placement.py check --out DIR --nodes SPEC                 check the outputs in DIR again

SPEC is the machine's expected topology in lockpool-bench's own `lp_numa_nodes` form, e.g.
"node0:pu0-1 node1:pu2-3" (at least two nodes with PUs). Exit status: 0 every check passed,
1 a check failed, 2 bad usage or unreadable input."""
import argparse
import json
import os
import re
import subprocess
import sys

# The short workload: two designs, one lock-sized pool, one thread per PU of the guest.
SHORT = ["--benchmark_filter=^get_hold/(lockpool-fair|pthread)/slots:1/", "--lp_threads=4", "--run_ms=20"]
DESIGNS = ["lockpool-fair", "pthread"]
REMOTE = ["--benchmark_filter=^get_hold_(local|remote)/(lockpool-fair|pthread)/", "--run_ms=20"]


class Topo:
    """Nodes (OS index) -> PUs (OS index), parsed from SPEC."""

    def __init__(self, spec):
        self.spec = " ".join(spec.split())
        self.pus = {}
        for item in self.spec.split(" "):
            m = re.fullmatch(r"node(\d+):(?:pu([\d,-]+)|none)", item)
            if not m:
                raise ValueError(f"bad node '{item}' in '{spec}' (want e.g. 'node0:pu0-1 node1:pu2-3')")
            self.pus[int(m.group(1))] = parse_list(m.group(2)) if m.group(2) else set()
        self.nodes = sorted(self.pus)
        self.cpu_nodes = [n for n in self.nodes if self.pus[n]]
        if len(self.cpu_nodes) < 2:
            raise ValueError(f"'{spec}': placement across nodes needs two nodes with PUs")

    def node_of(self, pu):
        return next((n for n in self.nodes if pu in self.pus[n]), None)


def parse_list(text):
    out = set()
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        out.update(range(int(lo), int(hi or lo) + 1))
    return out


def placement(ctx):
    """lp_placement "t0:pu2 t1:pu3" -> [2, 3] (None for an unpinned thread)."""
    out = []
    for item in ctx.get("lp_placement", "").split():
        m = re.fullmatch(r"t\d+:(?:pu(\d+)|any)", item)
        out.append(int(m.group(1)) if m and m.group(1) else None)
    return out


def cases(topo):
    """(name, flags, judge) for every run; judge(doc, topo, check) asserts on its JSON."""
    a, b = topo.cpu_nodes[0], topo.cpu_nodes[1]
    return [
        (f"numa{b}", [f"--pin=numa:{b}", "--mem=local"] + SHORT,
         lambda doc, t, c: judge_pinned(doc, t, c, f"numa:{b}", {b}, mem=b, how=f"local:node{b}")),
        ("scatter", ["--pin=scatter", "--mem=local"] + SHORT, judge_scatter),
        (f"numa{b}_interleave", [f"--pin=numa:{b}", "--mem=interleave"] + SHORT,
         lambda doc, t, c: judge_pinned(doc, t, c, f"numa:{b}", {b}, mem=None, how="interleave:")),
        (f"numa{a}_node{b}", [f"--pin=numa:{a}", f"--mem=node:{b}"] + SHORT,
         lambda doc, t, c: judge_pinned(doc, t, c, f"numa:{a}", {a}, mem=b, how=f"node:{b}")),
        (f"remote_from{a}", [f"--pin=numa:{a}"] + REMOTE, lambda doc, t, c: judge_remote(doc, t, c, a, b)),
        (f"remote_from{b}", [f"--pin=numa:{b}"] + REMOTE, lambda doc, t, c: judge_remote(doc, t, c, b, a)),
    ]


def bad_cases(topo):
    """Node numbers the machine lacks: exit 2 with one line on stderr naming the flag."""
    missing = max(topo.nodes) + 1
    return [(f"bad_numa{missing}", [f"--pin=numa:{missing}"], f"--pin=numa:{missing}"),
            (f"bad_node{missing}", [f"--mem=node:{missing}"], f"--mem=node:{missing}")]


class Checker:
    def __init__(self):
        self.passed, self.failed = 0, []

    def __call__(self, ok, what):
        if ok:
            self.passed += 1
            print(f"ok: {what}")
        else:
            self.failed.append(what)
            print(f"FAIL: {what}")
        return ok


def rows_of(doc):
    return [r for r in doc.get("benchmarks", []) if r.get("run_type", "iteration") == "iteration"]


def judge_common(doc, topo, check, label, n_rows):
    ctx = doc.get("context", {})
    check(ctx.get("lp_numa_nodes") == topo.spec,
          f"{label}: context lp_numa_nodes is the machine's topology '{topo.spec}' (got '{ctx.get('lp_numa_nodes')}')")
    check(f"{len(topo.nodes)} NUMA node(s)" in ctx.get("lp_topology", ""),
          f"{label}: context lp_topology counts {len(topo.nodes)} NUMA nodes ('{ctx.get('lp_topology')}')")
    rows = rows_of(doc)
    check(len(rows) == n_rows, f"{label}: {n_rows} benchmark rows (got {len(rows)})")
    for r in rows:
        name = r.get("name", "?")
        check(not r.get("error_occurred") and r.get("errors") == 0,
              f"{label}: {name} ran without errors ({r.get('error_message', '')}errors={r.get('errors')})")
        check(r.get("pin_ok") == 1, f"{label}: {name} pin_ok = 1: every thread ran on its planned PU "
                                    f"(got {r.get('pin_ok')})")
    return ctx, rows


def judge_pinned(doc, topo, check, policy, want, mem, how):
    """Every thread on the nodes `policy` names; storage on node `mem` (None: interleaved)."""
    ctx, rows = judge_common(doc, topo, check, policy, len(DESIGNS))
    check(ctx.get("lp_pin_policy") == policy, f"{policy}: context lp_pin_policy = {policy}")
    pl = placement(ctx)
    check(pl and all(p is not None and topo.node_of(p) in want for p in pl),
          f"{policy}: every planned PU is on node(s) {sorted(want)} ({ctx.get('lp_placement')})")
    mp = ctx.get("lp_mem_policy", "")
    check(mp.startswith(how) and "unbound" not in mp, f"{policy}: lp_mem_policy is a bound '{how}...' ('{mp}')")
    if mem is None:
        every = ",".join(str(n) for n in topo.nodes)
        spread = re.search(r"pages on nodes ([\d,-]+)", mp)
        check(spread and parse_list(spread.group(1)) == set(topo.nodes),
              f"{policy}: the interleaved probe's pages are on every node ({every}): '{mp}'")
        for r in rows:
            check(r.get("mem_node") in topo.nodes, f"{policy}: {r['name']} mem_node is a node of the machine "
                                                   f"(got {r.get('mem_node')})")
    else:
        for r in rows:
            check(r.get("mem_node") == mem, f"{policy}: {r['name']} mem_node = {mem} (got {r.get('mem_node')})")


def judge_scatter(doc, topo, check):
    ctx, rows = judge_common(doc, topo, check, "scatter", len(DESIGNS))
    pl = placement(ctx)
    nodes = [topo.node_of(p) for p in pl]
    k = len(topo.cpu_nodes)
    check(len(pl) >= k and None not in pl and len(set(pl)) == len(pl),
          f"scatter: every thread on its own PU ({ctx.get('lp_placement')})")
    check(len(set(nodes[:k])) == k, f"scatter: the first {k} threads on {k} different nodes (nodes {nodes})")
    check(all(x != y for x, y in zip(nodes, nodes[1:])), f"scatter: consecutive threads on different nodes ({nodes})")
    for r in rows:
        check(r.get("mem_node") == nodes[0], f"scatter: {r['name']} mem_node = node of thread 0's PU "
                                             f"({nodes[0]}; got {r.get('mem_node')})")


def judge_remote(doc, topo, check, home, remote):
    label = f"remote from node {home}"
    ctx, rows = judge_common(doc, topo, check, label, 2 * 2 * len(DESIGNS))
    note = ctx.get("lp_remote", "")
    check(note.startswith(f"threads on node {home} ") and f"node {remote} (get_hold_remote)" in note,
          f"{label}: context lp_remote names both nodes ('{note}')")
    pus = [int(p) for p in re.findall(r"t\d+:pu(\d+)", note)]
    check(pus and all(topo.node_of(p) == home for p in pus), f"{label}: its threads are all on node {home} ({pus})")
    seen = set()
    for r in rows:
        fam = r.get("name", "").split("/")[0]
        want = {"get_hold_local": home, "get_hold_remote": remote}.get(fam)
        seen.add((fam, r.get("name", "").split("/")[1]))
        check(r.get("mem_node") == want, f"{label}: {r.get('name')} mem_node = {want} (got {r.get('mem_node')})")
    check(seen == {(f, d) for f in ("get_hold_local", "get_hold_remote") for d in DESIGNS},
          f"{label}: local and remote rows for every design ({sorted(seen)})")


def judge_bad(out_dir, name, flag, check):
    rc = read(out_dir, f"{name}.rc").strip()
    err = [line for line in read(out_dir, f"{name}.err").splitlines() if line.strip()]
    check(rc == "2", f"{flag} on this machine: exit status 2 (got {rc})")
    check(len(err) == 1 and flag in err[0] and "Traceback" not in err[0],
          f"{flag}: one line on stderr naming the flag ({err})")


def read(out_dir, name):
    with open(os.path.join(out_dir, name), errors="replace") as f:
        return f.read()


def run_all(bench, out_dir, topo):
    """hwloc-ls, then every case, keeping rc, stdout, stderr and JSON per case in out_dir."""
    with open(os.path.join(out_dir, "hwloc-ls.txt"), "w") as out:
        subprocess.call(["hwloc-ls"], stdout=out, stderr=subprocess.STDOUT, timeout=120)
    for name, flags, _ in cases(topo):
        run_one(bench, out_dir, name, flags + [f"--benchmark_out={os.path.join(out_dir, name + '.json')}",
                                              "--benchmark_out_format=json"])
    for name, flags, _ in bad_cases(topo):
        run_one(bench, out_dir, name, flags)


def run_one(bench, out_dir, name, args):
    print(f"run: {name}: {os.path.basename(bench)} {' '.join(args)}", flush=True)
    with open(os.path.join(out_dir, name + ".out"), "w") as out, open(os.path.join(out_dir, name + ".err"), "w") as err:
        try:
            rc = subprocess.call([bench] + args, stdout=out, stderr=err, timeout=300)
        except subprocess.TimeoutExpired:
            rc = "timeout"
    with open(os.path.join(out_dir, name + ".rc"), "w") as f:
        f.write(f"{rc}\n")


def check_all(out_dir, topo):
    check = Checker()
    hw = read(out_dir, "hwloc-ls.txt") if os.path.exists(os.path.join(out_dir, "hwloc-ls.txt")) else ""
    shown = sorted(int(n) for n in re.findall(r"NUMANode L#\d+ \(P#(\d+)", hw))
    check(shown == topo.nodes, f"hwloc-ls shows NUMA nodes {topo.nodes} (got {shown})")
    for name, _, judge in cases(topo):
        path = os.path.join(out_dir, name + ".json")
        rc = read(out_dir, name + ".rc").strip() if os.path.exists(os.path.join(out_dir, name + ".rc")) else "missing"
        if not check(rc == "0" and os.path.exists(path), f"{name}: lockpool-bench exit status 0 and JSON written "
                                                         f"(status {rc})"):
            continue
        try:
            with open(path) as f:
                doc = json.load(f)
        except ValueError as e:
            check(False, f"{name}: JSON readable ({e})")
            continue
        judge(doc, topo, check)
    for name, _, flag in bad_cases(topo):
        if check(os.path.exists(os.path.join(out_dir, name + ".rc")), f"{name}: was run"):
            judge_bad(out_dir, name, flag, check)
    total = check.passed + len(check.failed)
    if check.failed:
        print(f"FAIL: {len(check.failed)} of {total} placement checks failed")
        return 1
    print(f"PASS: {total} placement checks on {topo.spec}")
    return 0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("mode", choices=["run", "check"], help="run the cases then check, or only check DIR")
    ap.add_argument("--bench", help="lockpool-bench to run (mode run)")
    ap.add_argument("--out", required=True, help="folder for every case's outputs")
    ap.add_argument("--nodes", required=True, help="expected topology, e.g. 'node0:pu0-1 node1:pu2-3'")
    a = ap.parse_args(argv)
    try:
        topo = Topo(a.nodes)
    except ValueError as e:
        print(f"check_placement: {e}", file=sys.stderr)
        return 2
    if not os.path.isdir(a.out):
        print(f"check_placement: no folder {a.out}", file=sys.stderr)
        return 2
    if a.mode == "run":
        if not a.bench or not os.access(a.bench, os.X_OK):
            print(f"check_placement: run needs --bench, an executable lockpool-bench (got {a.bench})", file=sys.stderr)
            return 2
        run_all(a.bench, a.out, topo)
    return check_all(a.out, topo)


if __name__ == "__main__":
    sys.exit(main())
