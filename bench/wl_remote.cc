// wl_remote.cc — get_hold's case with every thread on one NUMA node and the design's storage on
// that node (get_hold_local) or on another node (get_hold_remote): on a multi-socket machine, what
// it costs each design when its slot lines live across the interconnect. Both families run in the
// same process, so their ratio compares like with like. threads = 2 x SLOTS only: waiters always
// exist, and on any machine with 8 PUs per node the node's cores are not oversubscribed.
//
// Placement is the subject here, so these cases ignore --pin/--mem except to choose nodes: the
// threads' node is K of --pin=numa:K (else the first node with PUs), the remote node is K of
// --mem=node:K when that is another node (else the next node after the threads' one, in logical
// order). On one node, or where memory cannot be bound to a node (mbind refused), nothing is
// registered: the run says why on stderr and in the context's `lp_remote`, and exits 0.
#include <algorithm>
#include <cstdio>

#include "harness.h"

namespace lpb {
namespace {

const Family kLocal{"get_hold_local", loop_blocking, /*measures_fifo=*/true};
const Family kRemote{"get_hold_remote", loop_blocking, /*measures_fifo=*/true};

bool has_pus(const Topology &t, int node) {
    for (const PuInfo &p : t.pus)
        if (p.numa == node) return true;
    return false;
}

// The threads' node and the storage's remote node (logical indices), or false and why not.
bool choose_nodes(const Topology &t, int *home, int *remote, std::string *why) {
    if (t.numa_nodes < 2) {
        *why = "this machine has " + std::to_string(t.numa_nodes) + " NUMA node (" + t.numa_string() +
               "): nothing remote can be measured";
        return false;
    }
    const Options &o = options();
    *home = -1;
    if (o.pin.kind == PinKind::Numa) *home = o.pin.numa_node;  // main checked that it has PUs
    for (int n = 0; n < t.numa_nodes && *home < 0; ++n)
        if (has_pus(t, n)) *home = n;
    if (*home < 0) {
        *why = "no NUMA node has PUs";
        return false;
    }
    *remote = o.mem.kind == MemPolicy::Node && o.mem.node != *home ? o.mem.node : (*home + 1) % t.numa_nodes;
    return true;
}

void say_not_measured(const std::string &why) {
    std::fprintf(stderr, "[lockpool-bench] get_hold_remote: not measured: %s\n", why.c_str());
    benchmark::AddCustomContext("lp_remote", "not measured: " + why);
    std::vector<std::string> names;
    for (uint32_t slots : get_hold_slots())
        for (const lpd_design *d : all_designs())
            for (const Family *f : {&kLocal, &kRemote}) names.push_back(get_hold_case(f, d, slots).name(2 * static_cast<int>(slots)));
    note_unmeasured(names, "get_hold_local/get_hold_remote not measured: " + why);
}

void register_remote() {
    const Topology &t = machine().topology();
    int home = 0, remote = 0;
    std::string why;
    if (!choose_nodes(t, &home, &remote, &why)) return say_not_measured(why);
    const int home_os = t.node_os[static_cast<std::size_t>(home)];
    const int remote_os = t.node_os[static_cast<std::size_t>(remote)];
    // Containers without CAP_SYS_NICE refuse mbind: first touch would put "remote" storage on
    // the threads' node, so find out before registering rows that would be mislabelled. A strict
    // binding the kernel accepted is where it says even when move_pages may not tell (Docker's
    // default seccomp profile refuses move_pages whatever the capabilities).
    Machine::Region probe = machine().alloc(4096, MemPolicy(MemPolicy::Node, remote), -1);
    const bool bound = probe.bound && (probe.node_os == remote_os || probe.node_os < 0);
    const bool seen = probe.node_os >= 0;
    const std::string how = probe.how;
    machine().free(probe);
    if (!bound) return say_not_measured("storage cannot be bound to NUMA node " + std::to_string(remote_os) + " (" + how + ")");

    PinPolicy pin;
    pin.kind = PinKind::Numa;
    pin.numa_node = home;
    int most_threads = 1;
    for (uint32_t slots : get_hold_slots()) {
        const std::vector<int> threads{static_cast<int>(2 * slots)};
        most_threads = std::max(most_threads, threads.back());
        for (const lpd_design *d : all_designs()) {
            for (const Family *f : {&kLocal, &kRemote}) {
                Case c = get_hold_case(f, d, slots);
                c.own_placement = true;
                c.pin = pin;
                c.mem = MemPolicy(MemPolicy::Node, f == &kLocal ? home : remote);
                register_case(c, threads);
            }
        }
    }
    std::vector<int> plan;
    // --lp_threads replaces the thread counts of every case (register_case).
    for (int n : options().threads) most_threads = std::max(most_threads, n);
    plan_placement(t, pin, most_threads, &plan, &why);
    const std::string what = "threads on node " + std::to_string(home_os) + " (--pin=" + pin.str() + ": " +
                             placement_string(plan) + "); storage on node " + std::to_string(home_os) +
                             " (get_hold_local) and node " + std::to_string(remote_os) + " (get_hold_remote)" +
                             (seen ? "" : "; bound by the kernel, page location not readable (move_pages refused)");
    std::fprintf(stderr, "[lockpool-bench] get_hold_remote: %s\n", what.c_str());
    benchmark::AddCustomContext("lp_remote", what);
}

const bool registered = add_workload("get_hold_remote", register_remote);

}  // namespace
}  // namespace lpb
