#!/usr/bin/python3
"""Placement on a multi-node machine, asserted from lockpool-bench's own JSON.

Runs lockpool-bench under each placement policy on a short workload, keeps every output in a
folder, and checks that threads ran on the PUs their plan named (pin_ok), that the design's
storage is on the node the plan intended (mem_node), that the context records the machine's
NUMA topology, and that a node the machine lacks is a one-line usage error. Timing means
nothing here (the check runs in an emulated guest): only placement is judged.

  check_placement.py run   --bench BENCH --out DIR --nodes SPEC   run every case, then check
  check_placement.py check --out DIR --nodes SPEC                 check the outputs in DIR again
  check_placement.py exec-denying NR,NR,... CMD [ARGS]           run CMD with those system calls
                                                                  failing with EPERM (x86_64 numbers)

SPEC is the machine's expected topology in lockpool-bench's own `lp_numa_nodes` form, e.g.
"node0:pu0-1 node1:pu2-3" (at least two nodes with PUs). Exit status: 0 every check passed,
1 a check failed, 2 bad usage or unreadable input."""
import argparse
import collections
import contextlib
import json
import os
import re
import subprocess
import sys
import threading

# The short workload: two designs, one lock-sized pool, one thread per PU of the guest.
SHORT = ["--benchmark_filter=^get_hold/(lockpool-fair|pthread)/slots:1/", "--lp_threads=4", "--run_ms=20"]
DESIGNS = ["lockpool-fair", "pthread"]
REMOTE = ["--benchmark_filter=^get_hold_(local|remote)/(lockpool-fair|pthread)/", "--run_ms=20"]


class Topo:
    """Nodes (OS index) -> PUs (OS index), parsed from SPEC."""

    def __init__(self, spec, need_cpu_nodes=2):
        self.spec = " ".join(spec.split())
        self.pus = {}
        for item in self.spec.split(" "):
            m = re.fullmatch(r"node(\d+):(?:pu([\d,-]+)|none)", item)
            if not m:
                raise ValueError(f"bad node '{item}' in '{spec}' (want e.g. 'node0:pu0-1 node1:pu2-3')")
            self.pus[int(m.group(1))] = parse_list(m.group(2)) if m.group(2) else set()
        self.nodes = sorted(self.pus)
        self.cpu_nodes = [n for n in self.nodes if self.pus[n]]
        if len(self.cpu_nodes) < need_cpu_nodes:
            raise ValueError(f"'{spec}': placement across nodes needs two nodes with PUs")

    def node_of(self, pu):
        return next((n for n in self.nodes if pu in self.pus[n]), None)

    def keeping(self, pus):
        """The topology as a process sees it when only `pus` are usable (the rest offline or outside
        its cpuset): every node stays, with the PUs it keeps (lockpool-bench's lp_numa_nodes form)."""
        return Topo(" ".join(f"node{n}:" + (f"pu{fmt_list(self.pus[n] & pus)}" if self.pus[n] & pus else "none")
                             for n in self.nodes), need_cpu_nodes=1)


def parse_list(text):
    out = set()
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        out.update(range(int(lo), int(hi or lo) + 1))
    return out


def fmt_list(values):
    """{0, 1, 3} -> "0-1,3" (as hwloc and lp_numa_nodes write lists)."""
    out, vals = [], sorted(values)
    i = 0
    while i < len(vals):
        j = i
        while j + 1 < len(vals) and vals[j + 1] == vals[j] + 1:
            j += 1
        out.append(str(vals[i]) if i == j else f"{vals[i]}-{vals[j]}")
        i = j + 1
    return ",".join(out)


def placement(ctx):
    """lp_placement "t0:pu2 t1:pu3" -> [2, 3] (None for an unpinned thread)."""
    out = []
    for item in ctx.get("lp_placement", "").split():
        m = re.fullmatch(r"t\d+:(?:pu(\d+)|any)", item)
        out.append(int(m.group(1)) if m and m.group(1) else None)
    return out


# Docker's default seccomp profile: the memory-policy calls only with CAP_SYS_NICE, move_pages and
# migrate_pages never (moby profiles/seccomp/default.json). Numbers are x86_64's.
NEEDS_SYS_NICE = {"mbind": 237, "set_mempolicy": 238, "get_mempolicy": 239, "set_mempolicy_home_node": 450}
NEVER_IN_DOCKER = {"migrate_pages": 256, "move_pages": 279}

# A run of lockpool-bench: its flags, how to judge its JSON (judge(doc, check)), and what to do to
# the machine around it: None; ("offline", PUs): those CPUs offline; ("cpuset", PUs): run inside a
# cgroup v2 cpuset of just those CPUs; ("shrink", PUs, fewer): start in a cpuset of PUs, cut it to
# `fewer` once the first instance has bound its threads; ("seccomp", {name: number}): those system
# calls fail with EPERM, as in a container.
Case = collections.namedtuple("Case", "name flags judge env")
# A run that must be a usage error: exit 2, one line on stderr naming `flag` and saying `says`.
Bad = collections.namedtuple("Bad", "name flags flag says env")


def cases(topo):
    a, b = topo.cpu_nodes[0], topo.cpu_nodes[1]
    last = max(topo.pus[b])  # CPU 0 may not go offline; the last CPU of node b can
    offline = topo.keeping(set().union(*topo.pus.values()) - {last})
    confined = topo.keeping(topo.pus[a])
    return [
        Case(f"numa{b}", [f"--pin=numa:{b}", "--mem=local"] + SHORT,
             lambda doc, c: judge_pinned(doc, c, topo, f"numa:{b}", {b}, mem=b, how=f"local:node{b}"), None),
        Case("scatter", ["--pin=scatter", "--mem=local"] + SHORT, lambda doc, c: judge_scatter(doc, c, topo), None),
        Case(f"numa{b}_interleave", [f"--pin=numa:{b}", "--mem=interleave"] + SHORT,
             lambda doc, c: judge_pinned(doc, c, topo, f"numa:{b}", {b}, mem=None, how="interleave:"), None),
        Case(f"numa{a}_node{b}", [f"--pin=numa:{a}", f"--mem=node:{b}"] + SHORT,
             lambda doc, c: judge_pinned(doc, c, topo, f"numa:{a}", {a}, mem=b, how=f"node:{b}"), None),
        Case(f"remote_from{a}", [f"--pin=numa:{a}"] + REMOTE, lambda doc, c: judge_remote(doc, c, topo, a, b), None),
        Case(f"remote_from{b}", [f"--pin=numa:{b}"] + REMOTE, lambda doc, c: judge_remote(doc, c, topo, b, a), None),
        # CPU `last` offline before the bench starts: hwloc leaves it out, so no plan names it.
        Case(f"numa{b}_pu{last}_offline", [f"--pin=numa:{b}", "--mem=local"] + SHORT,
             lambda doc, c: judge_pinned(doc, c, offline, f"numa:{b}", {b}, mem=b, how=f"local:node{b}"),
             ("offline", {last})),
        # Started inside a cpuset of node a's CPUs: node b keeps its memory but shows no PUs.
        Case(f"scatter_cpuset{a}", ["--pin=scatter", "--mem=local"] + SHORT,
             lambda doc, c: judge_pinned(doc, c, confined, "scatter", {a}, mem=a, how=f"local:node{a}"),
             ("cpuset", topo.pus[a])),
        # Started with every CPU, then the cpuset shrinks to node a's while it runs: bindings to
        # node b fail from then on, and pin_ok must say so (it is not 1 by construction).
        Case(f"numa{b}_cpuset_shrinks", [f"--pin=numa:{b}", "--benchmark_repetitions=4", "--run_ms=150"] + SHORT[:2],
             lambda doc, c: judge_shrunk(doc, c, topo, b), ("shrink", set().union(*topo.pus.values()), topo.pus[a])),
        # As in a Docker container: without CAP_SYS_NICE nothing binds memory and the remote
        # workload is not registered; with it, storage binds but its pages cannot be located.
        Case("docker_default", [f"--pin=numa:{a}"] + SHORT,
             lambda doc, c: judge_container(doc, c, topo, a, b, sys_nice=False),
             ("seccomp", dict(NEEDS_SYS_NICE, **NEVER_IN_DOCKER))),
        Case("docker_sys_nice", [f"--pin=numa:{a}"] + REMOTE,
             lambda doc, c: judge_container(doc, c, topo, a, b, sys_nice=True), ("seccomp", NEVER_IN_DOCKER)),
    ]


def bad_cases(topo):
    a, b = topo.cpu_nodes[0], topo.cpu_nodes[1]
    missing = max(topo.nodes) + 1
    return [Bad(f"bad_numa{missing}", [f"--pin=numa:{missing}"], f"--pin=numa:{missing}", "does not exist", None),
            Bad(f"bad_node{missing}", [f"--mem=node:{missing}"], f"--mem=node:{missing}", "does not exist", None),
            Bad(f"cpuset{a}_numa{b}", [f"--pin=numa:{b}"], f"--pin=numa:{b}", "has no PU this process may use",
                ("cpuset", topo.pus[a]))]


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


def judge_common(doc, check, topo, label, n_rows):
    ctx = doc.get("context", {})
    check(ctx.get("lp_numa_nodes") == topo.spec,
          f"{label}: context lp_numa_nodes is the machine's topology '{topo.spec}' (got '{ctx.get('lp_numa_nodes')}')")
    n_pus = sum(len(p) for p in topo.pus.values())
    check(f"{len(topo.nodes)} NUMA node(s)" in ctx.get("lp_topology", "") and
          f"{n_pus} PU(s)" in ctx.get("lp_topology", ""),
          f"{label}: context lp_topology counts {len(topo.nodes)} NUMA nodes and {n_pus} PUs "
          f"('{ctx.get('lp_topology')}')")
    rows = rows_of(doc)
    check(len(rows) == n_rows, f"{label}: {n_rows} benchmark rows (got {len(rows)})")
    for r in rows:
        name = r.get("name", "?")
        check(not r.get("error_occurred") and r.get("errors") == 0,
              f"{label}: {name} ran without errors ({r.get('error_message', '')}errors={r.get('errors')})")
        check(r.get("pin_ok") == 1, f"{label}: {name} pin_ok = 1: every thread ran on its planned PU "
                                    f"(got {r.get('pin_ok')})")
    return ctx, rows


def judge_pinned(doc, check, topo, policy, want, mem, how):
    """Every thread on the nodes `want`; storage on node `mem` (None: interleaved over all)."""
    label = f"{policy} on {topo.spec}"
    ctx, rows = judge_common(doc, check, topo, label, len(DESIGNS))
    check(ctx.get("lp_pin_policy") == policy, f"{label}: context lp_pin_policy = {policy}")
    pl = placement(ctx)
    check(pl and all(p is not None and topo.node_of(p) in want for p in pl),
          f"{label}: every planned PU is on node(s) {sorted(want)} ({ctx.get('lp_placement')})")
    mp = ctx.get("lp_mem_policy", "")
    check(mp.startswith(how) and "unbound" not in mp, f"{label}: lp_mem_policy is a bound '{how}...' ('{mp}')")
    if mem is None:
        every = ",".join(str(n) for n in topo.nodes)
        spread = re.search(r"pages on nodes ([\d,-]+)", mp)
        check(spread and parse_list(spread.group(1)) == set(topo.nodes),
              f"{label}: the interleaved probe's pages are on every node ({every}): '{mp}'")
        for r in rows:
            check(r.get("mem_node") in topo.nodes, f"{label}: {r['name']} mem_node is a node of the machine "
                                                   f"(got {r.get('mem_node')})")
    else:
        for r in rows:
            check(r.get("mem_node") == mem, f"{label}: {r['name']} mem_node = {mem} (got {r.get('mem_node')})")


def judge_scatter(doc, check, topo):
    ctx, rows = judge_common(doc, check, topo, "scatter", len(DESIGNS))
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


def judge_remote(doc, check, topo, home, remote):
    label = f"remote from node {home}"
    ctx, rows = judge_common(doc, check, topo, label, 2 * 2 * len(DESIGNS))
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


def judge_shrunk(doc, check, topo, b):
    """Pinned to node b, then node b's CPUs left the cpuset mid-run: the later instances report
    pin_ok = 0, each thread that could not be bound says so on stderr, and nothing crashed."""
    label = f"numa:{b}, cpuset shrunk mid-run"
    rows = rows_of(doc)
    pins = [r.get("pin_ok") for r in rows]
    check(len(rows) == 4 * len(DESIGNS), f"{label}: {4 * len(DESIGNS)} rows (got {len(rows)})")
    check(pins and pins[-1] == 0 and set(pins) <= {0, 1}, f"{label}: pin_ok falls to 0 once the CPUs are gone ({pins})")
    check(all(not r.get("error_occurred") for r in rows), f"{label}: every instance still ran")
    warnings = doc.get("_stderr_warnings", [])
    # Seen on Linux 6.1: EINVAL from sched_setaffinity once the CPUs are gone; and, for a binding
    # made just before the cut, the kernel moving the thread back into the cpuset.
    pattern = (r"\[lockpool-bench\] warning: \S+: thread \d+ not on PU (\d+): (the kernel refused the binding "
               r"\(Invalid argument\)|the binding reads back as PUs [\d,-]+|the thread still ran on PU [\d,-]+ after "
               r"binding) \(pin_ok = 0\)")
    pus = [int(m.group(1)) for w in warnings for m in [re.fullmatch(pattern, w)] if m]
    check(pus and len(pus) == len(warnings) and all(topo.node_of(p) == b for p in pus),
          f"{label}: each failed binding is named on stderr ({len(warnings)} warnings, e.g. {warnings[:1]})")


def judge_container(doc, check, topo, a, b, sys_nice):
    """Threads pinned to node a as usual; memory policy as a container allows it."""
    label = "container " + ("with" if sys_nice else "without") + " CAP_SYS_NICE"
    ctx, rows = judge_common(doc, check, topo, label, (2 * 2 if sys_nice else 1) * len(DESIGNS))
    mp, note = ctx.get("lp_mem_policy", ""), ctx.get("lp_remote", "")
    check(mp.endswith("(page location unknown: move_pages failed)"), f"{label}: lp_mem_policy says pages cannot be "
                                                                     f"located ('{mp}')")
    if sys_nice:
        check(mp.startswith(f"local:node{a} ") and "unbound" not in mp, f"{label}: storage is bound ('{mp}')")
        check(note.startswith(f"threads on node {a} ") and note.endswith("page location not readable (move_pages "
                                                                         "refused)"),
              f"{label}: remote measured, and lp_remote says its pages cannot be located ('{note}')")
        for r in rows:
            check(r.get("mem_node") == -1, f"{label}: {r.get('name')} mem_node = -1 (got {r.get('mem_node')})")
    else:
        check(mp.startswith(f"local:node{a}(unbound:Operation not permitted,first-touch)"),
              f"{label}: lp_mem_policy names the refused binding ('{mp}')")
        for r in rows:
            check(r.get("mem_node") == -1, f"{label}: {r.get('name')} mem_node = -1 (got {r.get('mem_node')})")
        check(note == f"not measured: storage cannot be bound to NUMA node {b} "
                      f"(node:{b}(unbound:Operation not permitted,first-touch))",
              f"{label}: lp_remote says why nothing remote is measured ('{note}')")


def judge_bad(out_dir, bad, check):
    rc = read(out_dir, f"{bad.name}.rc").strip()
    err = [line for line in read(out_dir, f"{bad.name}.err").splitlines() if line.strip()]
    where = " in a cpuset" if bad.env else ""
    check(rc == "2", f"{bad.flag}{where}: exit status 2 (got {rc})")
    check(len(err) == 1 and bad.flag in err[0] and bad.says in err[0],
          f"{bad.flag}{where}: one line on stderr naming the flag and saying '{bad.says}' ({err})")


def read(out_dir, name):
    with open(os.path.join(out_dir, name), errors="replace") as f:
        return f.read()


def run_all(bench, out_dir, topo):
    """hwloc-ls, then every case, keeping rc, stdout, stderr and JSON per case in out_dir."""
    with open(os.path.join(out_dir, "hwloc-ls.txt"), "w") as out:
        subprocess.call(["hwloc-ls"], stdout=out, stderr=subprocess.STDOUT, timeout=120)
    for c in cases(topo):
        run_one(bench, out_dir, c.name, c.env, c.flags + [f"--benchmark_out={os.path.join(out_dir, c.name + '.json')}",
                                                        "--benchmark_out_format=json"])
    for b in bad_cases(topo):
        run_one(bench, out_dir, b.name, b.env, b.flags)


def write_sys(path, text):
    with open(path, "w") as f:
        f.write(text)


@contextlib.contextmanager
def environment(env):
    """Set the machine up for one run (see Case); yields the command prefix to run it with."""
    if env is None:
        yield []
    elif env[0] == "offline":
        for pu in env[1]:
            write_sys(f"/sys/devices/system/cpu/cpu{pu}/online", "0")
        try:
            yield []
        finally:
            for pu in env[1]:
                write_sys(f"/sys/devices/system/cpu/cpu{pu}/online", "1")
    elif env[0] in ("cpuset", "shrink"):
        root = "/sys/fs/cgroup"
        if not os.path.exists(os.path.join(root, "cgroup.controllers")):
            subprocess.check_call(["mount", "-t", "cgroup2", "cgroup2", root])
        write_sys(os.path.join(root, "cgroup.subtree_control"), "+cpuset")
        group = os.path.join(root, "lp-check")
        os.makedirs(group, exist_ok=True)
        write_sys(os.path.join(group, "cpuset.cpus"), fmt_list(env[1]))
        yield ["sh", "-c", f'echo $$ > {group}/cgroup.procs && exec "$0" "$@"']
    elif env[0] == "seccomp":
        yield [sys.executable, os.path.abspath(__file__), "exec-denying", ",".join(str(n) for n in env[1].values())]
    else:
        raise ValueError(f"unknown environment {env}")


def env_label(env):
    if env[0] == "seccomp":
        return "refusing " + ", ".join(sorted(env[1]))
    return f"{env[0]} " + " -> ".join(fmt_list(pus) for pus in env[1:])


def run_one(bench, out_dir, name, env, args):
    print(f"run: {name}: {os.path.basename(bench)} {' '.join(args)}" + (f" ({env_label(env)})" if env else ""),
          flush=True)
    with open(os.path.join(out_dir, name + ".out"), "w") as out, open(os.path.join(out_dir, name + ".err"), "w") as err:
        try:
            with environment(env) as prefix:
                proc = subprocess.Popen(prefix + [bench] + args, stdout=out, stderr=subprocess.PIPE,
                                        universal_newlines=True)
                watchdog = threading.Timer(300, proc.kill)
                watchdog.start()
                try:
                    for line in proc.stderr:
                        err.write(line)
                        if env and env[0] == "shrink" and line.startswith("[lockpool-bench] #1 "):
                            # The first instance has bound its threads: take node b's CPUs away.
                            write_sys("/sys/fs/cgroup/lp-check/cpuset.cpus", fmt_list(env[2]))
                finally:
                    if proc.poll() is None and watchdog.is_alive():
                        proc.stderr.close()
                    rc = proc.wait()
                    if not watchdog.is_alive():
                        rc = "killed after 300 s"
                    watchdog.cancel()
        except (OSError, subprocess.CalledProcessError) as e:
            rc = f"setup failed: {e}"
    with open(os.path.join(out_dir, name + ".rc"), "w") as f:
        f.write(f"{rc}\n")


def check_all(out_dir, topo):
    check = Checker()
    hw = read(out_dir, "hwloc-ls.txt") if os.path.exists(os.path.join(out_dir, "hwloc-ls.txt")) else ""
    shown = sorted(int(n) for n in re.findall(r"NUMANode L#\d+ \(P#(\d+)", hw))
    check(shown == topo.nodes, f"hwloc-ls shows NUMA nodes {topo.nodes} (got {shown})")
    for c in cases(topo):
        path = os.path.join(out_dir, c.name + ".json")
        rc = read(out_dir, c.name + ".rc").strip() if os.path.exists(os.path.join(out_dir, c.name + ".rc")) else "missing"
        if not check(rc == "0" and os.path.exists(path), f"{c.name}: lockpool-bench exit status 0 and JSON written "
                                                         f"(status {rc})"):
            continue
        try:
            with open(path) as f:
                doc = json.load(f)
        except ValueError as e:
            check(False, f"{c.name}: JSON readable ({e})")
            continue
        errpath = os.path.join(out_dir, c.name + ".err")
        doc["_stderr_warnings"] = [line.strip() for line in (read(out_dir, c.name + ".err").splitlines()
                                                             if os.path.exists(errpath) else [])
                                   if line.startswith("[lockpool-bench] warning: ") and "not on PU" in line]
        c.judge(doc, check)
    for b in bad_cases(topo):
        if check(os.path.exists(os.path.join(out_dir, b.name + ".rc")), f"{b.name}: was run"):
            judge_bad(out_dir, b, check)
    total = check.passed + len(check.failed)
    if check.failed:
        print(f"FAIL: {len(check.failed)} of {total} placement checks failed")
        return 1
    print(f"PASS: {total} placement checks on {topo.spec}")
    return 0


def exec_denying(numbers, argv):
    """exec argv with the system calls `numbers` failing with EPERM (a seccomp filter, x86_64)."""
    import ctypes
    import errno
    import struct

    ld_abs, jeq, ret = 0x20, 0x15, 0x06
    allow, deny = 0x7FFF0000, 0x00050000 | errno.EPERM
    prog = [(ld_abs, 0, 0, 4), (jeq, 0, 1 + 2 * len(numbers), 0xC000003E), (ld_abs, 0, 0, 0)]  # x86_64 only
    for n in numbers:
        prog += [(jeq, 0, 1, n), (ret, 0, 0, deny)]
    prog.append((ret, 0, 0, allow))
    buf = ctypes.create_string_buffer(b"".join(struct.pack("=HBBI", *ins) for ins in prog))

    class Fprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    fprog = Fprog(len(prog), ctypes.cast(buf, ctypes.c_void_p))
    libc = ctypes.CDLL(None, use_errno=True)
    pr_set_no_new_privs, pr_set_seccomp, seccomp_mode_filter = 38, 22, 2
    if libc.prctl(pr_set_no_new_privs, 1, 0, 0, 0) != 0 or \
            libc.prctl(pr_set_seccomp, seccomp_mode_filter, ctypes.byref(fprog), 0, 0) != 0:
        print(f"check_placement: seccomp filter refused: {os.strerror(ctypes.get_errno())}", file=sys.stderr)
        return 2
    os.execv(argv[0], argv)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["exec-denying"] and len(argv) >= 3:
        return exec_denying([int(n) for n in argv[1].split(",")], argv[2:])
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
