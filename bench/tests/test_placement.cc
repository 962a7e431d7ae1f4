// test_placement.cc — the placement planner on hwloc synthetic topologies (this machine is too
// small to show packages, NUMA nodes or SMT), plus binding on the real machine.
#include <hwloc.h>
#include <sched.h>

#include <cstdio>
#include <set>
#include <string>
#include <vector>

#include "check.h"
#include "topology.h"

using namespace lpb;

static Topology synthetic(const char *desc) {
    hwloc_topology_t t;
    CHECK(hwloc_topology_init(&t) == 0);
    CHECK(hwloc_topology_set_synthetic(t, desc) == 0);
    CHECK(hwloc_topology_load(t) == 0);
    Topology topo = topology_from_hwloc(t);
    hwloc_topology_destroy(t);
    return topo;
}

static std::vector<int> plan(const Topology &t, const char *policy, int threads) {
    PinPolicy p;
    std::string err;
    CHECK(parse_pin_policy(policy, &p, &err));
    std::vector<int> out;
    CHECK(plan_placement(t, p, threads, &out, &err));
    CHECK(static_cast<int>(out.size()) == threads);
    return out;
}

static const PuInfo &pu(const Topology &t, int os) {
    for (const PuInfo &p : t.pus)
        if (p.os_index == os) return p;
    CHECK(!"no such PU");
    return t.pus[0];
}

template <class F>
static std::size_t distinct(const Topology &t, const std::vector<int> &pl, std::size_t first_n, F key) {
    std::set<int> s;
    for (std::size_t i = 0; i < first_n; ++i) s.insert(key(pu(t, pl[i])));
    return s.size();
}

static void test_big_numa_machine() {
    const Topology t = synthetic("pack:2 numa:2 core:8 pu:2");
    CHECK(t.pus.size() == 64 && t.packages == 2 && t.numa_nodes == 4 && t.cores == 32);
    auto core = [](const PuInfo &p) { return p.core; };
    auto node = [](const PuInfo &p) { return p.numa; };
    auto pkg = [](const PuInfo &p) { return p.package; };
    auto pu_id = [](const PuInfo &p) { return p.os_index; };

    // compact: SMT siblings first, then the next core; a core's node/package fill before the next.
    const auto c = plan(t, "compact", 64);
    CHECK(pu(t, c[0]).core == pu(t, c[1]).core);
    CHECK(pu(t, c[1]).core != pu(t, c[2]).core);
    CHECK(distinct(t, c, 16, node) == 1 && distinct(t, c, 16, core) == 8);
    CHECK(distinct(t, c, 32, pkg) == 1);
    CHECK(distinct(t, c, 64, pu_id) == 64);

    // scatter: packages first, then nodes, then cores; siblings only after every core has one.
    const auto s = plan(t, "scatter", 64);
    CHECK(pu(t, s[0]).package != pu(t, s[1]).package);
    CHECK(distinct(t, s, 4, node) == 4);
    CHECK(distinct(t, s, 32, core) == 32);
    CHECK(distinct(t, s, 64, pu_id) == 64);
    for (int i = 0; i < 32; ++i) CHECK(pu(t, s[static_cast<std::size_t>(i + 32)]).core == pu(t, s[static_cast<std::size_t>(i)]).core);

    // numa:K stays in node K, one PU per core first.
    const auto n1 = plan(t, "numa:1", 20);
    for (int os : n1) CHECK(pu(t, os).numa == 1);
    CHECK(distinct(t, n1, 8, core) == 8);
    CHECK(distinct(t, n1, 16, pu_id) == 16);
    CHECK(n1[16] == n1[0]);  // 16 PUs in the node: the 17th thread wraps around

    // Oversubscription wraps; plans are prefix-stable in the thread count.
    const auto c100 = plan(t, "compact", 100);
    CHECK(c100[64] == c100[0] && c100[99] == c100[35]);
    for (const char *policy : {"compact", "scatter", "numa:3"}) {
        const auto small = plan(t, policy, 5), big = plan(t, policy, 50);
        for (std::size_t i = 0; i < small.size(); ++i) CHECK(small[i] == big[i]);
    }

    // none pins nothing; a missing node is an error, not a silent fallback.
    for (int os : plan(t, "none", 8)) CHECK(os == -1);
    PinPolicy p;
    std::string err;
    CHECK(parse_pin_policy("numa:4", &p, &err));
    std::vector<int> out;
    CHECK(!plan_placement(t, p, 2, &out, &err) && !err.empty());
}

static void test_small_machines() {
    // This machine's shape: 1 package, 2 cores, no SMT.
    const Topology t = synthetic("pack:1 core:2 pu:1");
    CHECK(t.pus.size() == 2 && t.numa_nodes == 1);
    CHECK(placement_string(plan(t, "compact", 3)) == "t0:pu0 t1:pu1 t2:pu0");
    CHECK(placement_string(plan(t, "scatter", 2)) == "t0:pu0 t1:pu1");
    CHECK(placement_string(plan(t, "numa:0", 2)) == "t0:pu0 t1:pu1");
    CHECK(placement_string(plan(t, "none", 2)) == "t0:any t1:any");

    // SMT without NUMA levels: scatter uses every core before any sibling.
    const Topology smt = synthetic("pack:2 core:2 pu:2");
    const auto s = plan(smt, "scatter", 8);
    CHECK(pu(smt, s[0]).package != pu(smt, s[1]).package);
    std::set<int> cores;
    for (int i = 0; i < 4; ++i) cores.insert(pu(smt, s[static_cast<std::size_t>(i)]).core);
    CHECK(cores.size() == 4);
}

static void test_policy_parsing() {
    PinPolicy p;
    std::string err;
    CHECK(parse_pin_policy("scatter", &p, &err) && p.kind == PinKind::Scatter && p.str() == "scatter");
    CHECK(parse_pin_policy("numa:12", &p, &err) && p.kind == PinKind::Numa && p.numa_node == 12 && p.str() == "numa:12");
    CHECK(!parse_pin_policy("numa:", &p, &err));
    CHECK(!parse_pin_policy("numa:x", &p, &err));
    CHECK(!parse_pin_policy("spread", &p, &err));
}

static void test_numa_string_and_mem_policy() {
    const Topology two = synthetic("pack:2 numa:1 core:2 pu:1");
    CHECK(two.numa_nodes == 2 && two.node_os.size() == 2);
    CHECK(two.numa_string() == "node0:pu0-1 node1:pu2-3");
    CHECK(synthetic("pack:1 core:2 pu:1").numa_string() == "node0:pu0-1");
    const Topology big = synthetic("pack:2 numa:2 core:2 pu:2");
    CHECK(big.numa_string() == "node0:pu0-3 node1:pu4-7 node2:pu8-11 node3:pu12-15");

    MemPolicy m;
    std::string err;
    CHECK(m.kind == MemPolicy::Local && m.str() == "local");
    CHECK(parse_mem_policy("interleave", &m, &err) && m.kind == MemPolicy::Interleave && m.str() == "interleave");
    CHECK(parse_mem_policy("node:1", &m, &err) && m.kind == MemPolicy::Node && m.node == 1 && m.str() == "node:1");
    CHECK(check_mem_policy(two, m, &err));
    CHECK(parse_mem_policy("node:2", &m, &err) && !check_mem_policy(two, m, &err));
    CHECK(err.find("NUMA node 2 does not exist") != std::string::npos && err.find("node1:pu2-3") != std::string::npos);
    CHECK(parse_mem_policy("local", &m, &err) && m.kind == MemPolicy::Local && check_mem_policy(two, m, &err));
    for (const char *bad : {"node:", "node:-1", "node:+1", "node: 1", "node:1x", "node:99999999", "nodes", "remote", ""})
        CHECK(!parse_mem_policy(bad, &m, &err) && !err.empty());
}

static void test_cpu_lists() {
    PinPolicy p;
    std::string err;
    CHECK(parse_pin_policy("cpus:0,2,4-7", &p, &err) && p.kind == PinKind::Cpus);
    CHECK((p.cpus == std::vector<int>{0, 2, 4, 5, 6, 7}) && p.str() == "cpus:0,2,4-7");
    // The order given is the order threads take; str() parses back to the same list.
    CHECK(parse_pin_policy("cpus:7,3,4,5,1-2", &p, &err) && (p.cpus == std::vector<int>{7, 3, 4, 5, 1, 2}));
    CHECK(p.str() == "cpus:7,3-5,1,2");
    PinPolicy again;
    CHECK(parse_pin_policy(p.str(), &again, &err) && again.cpus == p.cpus);
    CHECK(parse_pin_policy("cpus:5", &p, &err) && p.cpus == std::vector<int>{5} && p.str() == "cpus:5");
    CHECK(parse_pin_policy("cpus:3-3", &p, &err) && p.cpus == std::vector<int>{3});

    // Bad lists: an error that names the problem, never a partial policy.
    for (const char *bad : {"cpus:", "cpus:,", "cpus:1,", "cpus:,1", "cpus:1,,2", "cpus:3-1", "cpus:1-", "cpus:-1",
                            "cpus:1--2", "cpus:a", "cpus:1a", "cpus: 1", "cpus:1 ", "cpus:+1", "cpus:0x1",
                            "cpus:1,1", "cpus:0-3,2", "cpus:99999999999999999999", "cpus:0-2000000", "cpu:1"}) {
        err.clear();
        PinPolicy before;
        CHECK(!parse_pin_policy(bad, &before, &err));
        CHECK(!err.empty() && err.find('\n') == std::string::npos);
        CHECK(before.kind == PinKind::Compact && before.cpus.empty());
    }
    CHECK(!parse_pin_policy("cpus:2,0-2", &p, &err) && err.find("CPU 2 is listed twice") != std::string::npos);

    // Placement: thread i on the i-th listed CPU, wrapping around; prefix-stable.
    const Topology t = synthetic("pack:2 numa:2 core:8 pu:2");
    CHECK(placement_string(plan(t, "cpus:0,2,4-7", 8)) == "t0:pu0 t1:pu2 t2:pu4 t3:pu5 t4:pu6 t5:pu7 t6:pu0 t7:pu2");
    CHECK(placement_string(plan(t, "cpus:63,0", 3)) == "t0:pu63 t1:pu0 t2:pu63");
    const auto small = plan(t, "cpus:9,1,33", 2), big = plan(t, "cpus:9,1,33", 40);
    CHECK(small[0] == big[0] && small[1] == big[1] && big[2] == 33 && big[3] == 9);
    // A CPU the machine does not have is an error even when the thread count would not reach it.
    CHECK(parse_pin_policy("cpus:0,64", &p, &err));
    std::vector<int> out;
    err.clear();
    CHECK(!plan_placement(t, p, 1, &out, &err));
    CHECK(err.find("CPU 64 is not available") != std::string::npos && err.find("0-63") != std::string::npos);
}

static void test_real_machine() {
    Machine m;
    CHECK(!m.topology().pus.empty());
    m.save_current_binding();
    for (const PuInfo &p : m.topology().pus) CHECK(m.bind_current_thread(p.os_index));
    CHECK(m.bind_current_thread(-1));  // "none": nothing to do
    m.restore_current_binding();

    // cpus:LIST on this machine: every listed CPU is bound, and the affinity reads back as it.
    const int last = m.topology().pus.back().os_index, first = m.topology().pus.front().os_index;
    PinPolicy p;
    std::string err;
    CHECK(parse_pin_policy("cpus:" + std::to_string(last) + "," + std::to_string(first), &p, &err));
    std::vector<int> pl;
    CHECK(plan_placement(m.topology(), p, 2, &pl, &err) && pl[0] == last && pl[1] == first);
    m.save_current_binding();
    for (int os : pl) {
        CHECK(m.bind_current_thread(os));
        cpu_set_t set;
        CHECK(sched_getaffinity(0, sizeof set, &set) == 0);
        CHECK(CPU_COUNT(&set) == 1 && CPU_ISSET(os, &set));
    }
    m.restore_current_binding();
    Machine::Region r = m.alloc(1 << 16, MemPolicy::Local, m.topology().pus[0].os_index);
    CHECK(r.ptr != nullptr && !r.how.empty());
    for (std::size_t i = 0; i < r.len; ++i) CHECK(static_cast<unsigned char *>(r.ptr)[i] == 0);
    m.free(r);
    CHECK(r.ptr == nullptr);
    Machine::Region il = m.alloc(1 << 16, MemPolicy::Interleave, -1);
    CHECK(il.ptr != nullptr && il.how.rfind("interleave", 0) == 0);
    m.free(il);
    // Node 0 exists everywhere. Where the kernel binds memory, every page is on node 0 and so is
    // the first one; where it refuses (containers without CAP_SYS_NICE) the fallback says so.
    Machine::Region n0 = m.alloc(1 << 16, MemPolicy(MemPolicy::Node, 0), -1);
    CHECK(n0.ptr != nullptr && n0.how.rfind("node:", 0) == 0);
    const std::string node0 = std::to_string(m.topology().node_os[0]);
    if (n0.bound) CHECK(n0.node_os == m.topology().node_os[0] && n0.nodes == node0);
    else CHECK(n0.how.find("unbound") != std::string::npos);
    m.free(n0);
}

int main() {
    test_policy_parsing();
    test_cpu_lists();
    test_big_numa_machine();
    test_small_machines();
    test_numa_string_and_mem_policy();
    test_real_machine();
    std::puts("test_placement: ok");
    return 0;
}
