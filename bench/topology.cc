// topology.cc — see topology.h.
#include "topology.h"

#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>
#include <tuple>

namespace lpb {

static int logical_of_ancestor(hwloc_topology_t topo, hwloc_obj_t pu, hwloc_obj_type_t type) {
    hwloc_obj_t a = hwloc_get_ancestor_obj_by_type(topo, type, pu);
    return a ? static_cast<int>(a->logical_index) : -1;
}

Topology topology_from_hwloc(hwloc_topology_t topo) {
    Topology t;
    const int npu = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_PU);
    for (int i = 0; i < npu; ++i) {
        hwloc_obj_t pu = hwloc_get_obj_by_type(topo, HWLOC_OBJ_PU, static_cast<unsigned>(i));
        PuInfo p;
        p.os_index = static_cast<int>(pu->os_index);
        p.logical = static_cast<int>(pu->logical_index);
        p.package = logical_of_ancestor(topo, pu, HWLOC_OBJ_PACKAGE);
        p.core = logical_of_ancestor(topo, pu, HWLOC_OBJ_CORE);
        // hwloc 2: NUMA nodes are memory children, not ancestors; the PU's nodeset names them.
        if (pu->nodeset && !hwloc_bitmap_iszero(pu->nodeset)) {
            const int node_os = hwloc_bitmap_first(pu->nodeset);
            hwloc_obj_t node = hwloc_get_numanode_obj_by_os_index(topo, static_cast<unsigned>(node_os));
            p.numa = node ? static_cast<int>(node->logical_index) : -1;
        }
        t.pus.push_back(p);
    }
    t.packages = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_PACKAGE);
    t.numa_nodes = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_NUMANODE);
    for (int i = 0; i < t.numa_nodes; ++i)
        t.node_os.push_back(static_cast<int>(hwloc_get_obj_by_type(topo, HWLOC_OBJ_NUMANODE, static_cast<unsigned>(i))->os_index));
    t.cores = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_CORE);
    char buf[1024];
    if (hwloc_topology_export_synthetic(topo, buf, sizeof buf, HWLOC_TOPOLOGY_EXPORT_SYNTHETIC_FLAG_NO_ATTRS) > 0) t.synthetic = buf;
    return t;
}

std::string Topology::summary() const {
    std::string s = std::to_string(packages) + " package(s), " + std::to_string(numa_nodes) + " NUMA node(s), " +
                    std::to_string(cores) + " core(s), " + std::to_string(pus.size()) + " PU(s)";
    if (!synthetic.empty()) s += " [" + synthetic + "]";
    return s;
}

std::string Topology::numa_string() const {
    std::string s;
    for (std::size_t n = 0; n < node_os.size(); ++n) {
        // PU os indices of this node as ranges "0-1,4" (PUs are in logical order, not sorted by os index).
        std::vector<int> pus;
        for (const PuInfo &p : this->pus)
            if (p.numa == static_cast<int>(n)) pus.push_back(p.os_index);
        std::sort(pus.begin(), pus.end());
        std::string list;
        for (std::size_t i = 0; i < pus.size();) {
            std::size_t j = i;
            while (j + 1 < pus.size() && pus[j + 1] == pus[j] + 1) ++j;
            list += (list.empty() ? "" : ",") + std::to_string(pus[i]) + (j > i ? "-" + std::to_string(pus[j]) : "");
            i = j + 1;
        }
        s += (s.empty() ? "" : " ") + std::string("node") + std::to_string(node_os[n]) + ":" +
             (list.empty() ? "none" : "pu" + list);
    }
    return s;
}

std::string MemPolicy::str() const {
    switch (kind) {
    case Local: return "local";
    case Interleave: return "interleave";
    case Node: return "node:" + std::to_string(node);
    }
    return "?";
}

bool parse_mem_policy(const std::string &text, MemPolicy *out, std::string *error) {
    if (text == "local") *out = MemPolicy(MemPolicy::Local);
    else if (text == "interleave") *out = MemPolicy(MemPolicy::Interleave);
    else if (text.rfind("node:", 0) == 0) {
        const std::string k = text.substr(5);
        if (k.empty() || k.size() > 7 || k.find_first_not_of("0123456789") != std::string::npos) {
            *error = "bad NUMA node in --mem=" + text + " (want node:K, K = 0, 1, ...)";
            return false;
        }
        *out = MemPolicy(MemPolicy::Node, std::stoi(k));
    } else {
        *error = "unknown --mem policy '" + text + "' (local, interleave, node:K)";
        return false;
    }
    return true;
}

bool check_mem_policy(const Topology &topo, const MemPolicy &policy, std::string *error) {
    if (policy.kind != MemPolicy::Node || policy.node < topo.numa_nodes) return true;
    *error = "NUMA node " + std::to_string(policy.node) + " does not exist (machine has " +
             std::to_string(topo.numa_nodes) + " node(s): " + topo.numa_string() + ")";
    return false;
}

std::string PinPolicy::str() const {
    switch (kind) {
    case PinKind::None: return "none";
    case PinKind::Compact: return "compact";
    case PinKind::Scatter: return "scatter";
    case PinKind::Numa: return "numa:" + std::to_string(numa_node);
    case PinKind::Cpus: {
        // Ascending runs of 3 or more as ranges, the rest as listed: parses back to this list.
        std::string s = "cpus:";
        for (std::size_t i = 0; i < cpus.size();) {
            std::size_t j = i;
            while (j + 1 < cpus.size() && cpus[j + 1] == cpus[j] + 1) ++j;
            if (i) s += ',';
            if (j >= i + 2) {
                s += std::to_string(cpus[i]) + "-" + std::to_string(cpus[j]);
                i = j + 1;
            } else {
                s += std::to_string(cpus[i]);
                ++i;
            }
        }
        return s;
    }
    }
    return "?";
}

namespace {
// Largest CPU number accepted in a list: far above any machine, small enough to never overflow.
constexpr long kMaxCpu = 1 << 20;

// A decimal number at *p (no sign, no spaces), advancing *p; false if there is none or too big.
bool take_cpu(const char **p, long *out) {
    if (**p < '0' || **p > '9') return false;
    long v = 0;
    while (**p >= '0' && **p <= '9') {
        v = v * 10 + (**p - '0');
        if (v > kMaxCpu) return false;
        ++*p;
    }
    *out = v;
    return true;
}

bool parse_cpu_list(const std::string &list, std::vector<int> *out, std::string *error) {
    out->clear();
    std::vector<bool> seen;
    const char *p = list.c_str();
    for (;;) {
        long lo = 0, hi = 0;
        if (!take_cpu(&p, &lo)) {
            *error = "--pin=cpus: wants a list like 0,2,4-7 (CPU numbers 0.." + std::to_string(kMaxCpu) +
                     "), got '" + list + "'";
            return false;
        }
        hi = lo;
        if (*p == '-') {
            ++p;
            if (!take_cpu(&p, &hi) || hi < lo) {
                *error = "--pin=cpus: bad range in '" + list + "' (ranges are LOW-HIGH with LOW <= HIGH)";
                return false;
            }
        }
        for (long c = lo; c <= hi; ++c) {
            if (static_cast<std::size_t>(c) >= seen.size()) seen.resize(static_cast<std::size_t>(c) + 1, false);
            if (seen[static_cast<std::size_t>(c)]) {
                *error = "--pin=cpus: CPU " + std::to_string(c) + " is listed twice in '" + list + "'";
                return false;
            }
            seen[static_cast<std::size_t>(c)] = true;
            out->push_back(static_cast<int>(c));
        }
        if (*p == '\0') return true;
        if (*p != ',') {
            *error = "--pin=cpus: wants a list like 0,2,4-7, got '" + list + "'";
            return false;
        }
        ++p;
    }
}
}  // namespace

bool parse_pin_policy(const std::string &text, PinPolicy *out, std::string *error) {
    PinPolicy p;
    if (text == "none") p.kind = PinKind::None;
    else if (text == "compact") p.kind = PinKind::Compact;
    else if (text == "scatter") p.kind = PinKind::Scatter;
    else if (text.rfind("numa:", 0) == 0 && text.size() > 5) {
        char *end = nullptr;
        const long k = std::strtol(text.c_str() + 5, &end, 10);
        if (*end != '\0' || k < 0 || k > 1 << 20) {
            *error = "bad NUMA node in --pin=" + text;
            return false;
        }
        p.kind = PinKind::Numa;
        p.numa_node = static_cast<int>(k);
    } else if (text.rfind("cpus:", 0) == 0) {
        p.kind = PinKind::Cpus;
        if (!parse_cpu_list(text.substr(5), &p.cpus, error)) return false;
    } else {
        *error = "unknown --pin policy '" + text + "' (compact, scatter, numa:K, cpus:LIST, none)";
        return false;
    }
    *out = p;
    return true;
}

namespace {
// Rank of each PU inside its core, of each core inside its NUMA node, of each node inside its
// package (ranks in topology order). Missing levels: a PU is its own core; a core its own node.
struct Ranks {
    int pu_in_core, core_in_node, node_in_package, package;
};

std::vector<Ranks> ranks_of(const Topology &topo) {
    std::vector<Ranks> r(topo.pus.size());
    std::map<int, int> pus_seen_in_core;
    // (package, node) -> core -> rank: a node spanning packages still ranks cores per package.
    std::map<std::pair<int, int>, std::map<int, int>> core_rank_in_node;
    std::map<int, std::map<int, int>> node_rank_in_pkg;   // package -> node -> rank
    for (std::size_t i = 0; i < topo.pus.size(); ++i) {
        const PuInfo &p = topo.pus[i];
        const int core = p.core >= 0 ? p.core : 1000000 + static_cast<int>(i);
        auto &cores = core_rank_in_node[{p.package, p.numa}];
        auto &nodes = node_rank_in_pkg[p.package];
        if (!cores.count(core)) cores.emplace(core, static_cast<int>(cores.size()));
        if (!nodes.count(p.numa)) nodes.emplace(p.numa, static_cast<int>(nodes.size()));
        r[i] = Ranks{pus_seen_in_core[core]++, cores[core], nodes[p.numa], p.package};
    }
    return r;
}

// Indices into topo.pus sorted so that consecutive entries are as far apart as possible.
std::vector<std::size_t> spread_order(const Topology &topo, const std::vector<std::size_t> &candidates) {
    const std::vector<Ranks> r = ranks_of(topo);
    std::vector<std::size_t> order = candidates;
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        return std::make_tuple(r[a].pu_in_core, r[a].core_in_node, r[a].node_in_package, r[a].package) <
               std::make_tuple(r[b].pu_in_core, r[b].core_in_node, r[b].node_in_package, r[b].package);
    });
    return order;
}
}  // namespace

bool plan_placement(const Topology &topo, const PinPolicy &policy, int threads, std::vector<int> *pu_of_thread,
                    std::string *error) {
    pu_of_thread->assign(threads > 0 ? static_cast<std::size_t>(threads) : 0, -1);
    if (policy.kind == PinKind::None) return true;
    if (topo.pus.empty()) {
        *error = "topology has no PUs";
        return false;
    }
    std::vector<std::size_t> all(topo.pus.size());
    for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;

    std::vector<std::size_t> order;
    switch (policy.kind) {
    case PinKind::Compact: order = all; break;
    case PinKind::Scatter: order = spread_order(topo, all); break;
    case PinKind::Numa: {
        std::vector<std::size_t> in_node;
        for (std::size_t i : all)
            if (topo.pus[i].numa == policy.numa_node) in_node.push_back(i);
        if (in_node.empty()) {
            // hwloc leaves out PUs that are offline or outside this process's cpuset.
            *error = "NUMA node " + std::to_string(policy.numa_node) +
                     (policy.numa_node < topo.numa_nodes ? " has no PU this process may use (memory only, offline, or outside its cpuset)"
                                                         : " does not exist") +
                     " (machine has " + std::to_string(topo.numa_nodes) + " node(s): " + topo.numa_string() + ")";
            return false;
        }
        order = spread_order(topo, in_node);
        break;
    }
    case PinKind::Cpus: {
        // Every listed CPU must be one of ours (hwloc leaves out CPUs outside our cpuset), even
        // those this thread count does not reach: a typo fails now, not in a later, bigger run.
        for (int cpu : policy.cpus) {
            std::size_t i = 0;
            while (i < topo.pus.size() && topo.pus[i].os_index != cpu) ++i;
            if (i == topo.pus.size()) {
                PinPolicy have;
                have.kind = PinKind::Cpus;
                for (const PuInfo &p : topo.pus) have.cpus.push_back(p.os_index);
                std::sort(have.cpus.begin(), have.cpus.end());
                *error = "CPU " + std::to_string(cpu) + " is not available to this process (available: " +
                         have.str().substr(5) + ")";
                return false;
            }
            order.push_back(i);
        }
        if (order.empty()) {
            *error = "empty CPU list";
            return false;
        }
        break;
    }
    case PinKind::None: break;
    }
    for (int t = 0; t < threads; ++t)
        (*pu_of_thread)[static_cast<std::size_t>(t)] = topo.pus[order[static_cast<std::size_t>(t) % order.size()]].os_index;
    return true;
}

std::string placement_string(const std::vector<int> &pu_of_thread) {
    std::string s;
    for (std::size_t t = 0; t < pu_of_thread.size(); ++t) {
        if (t) s += ' ';
        s += "t" + std::to_string(t) + ":" + (pu_of_thread[t] < 0 ? std::string("any") : "pu" + std::to_string(pu_of_thread[t]));
    }
    return s;
}

// ---- the live machine ---------------------------------------------------------------------

Machine::Machine() {
    hwloc_topology_init(&hw_);
    hwloc_topology_load(hw_);
    topo_ = topology_from_hwloc(hw_);
    saved_ = hwloc_bitmap_alloc();
}

Machine::~Machine() {
    hwloc_bitmap_free(saved_);
    hwloc_topology_destroy(hw_);
}

bool Machine::bind_current_thread(int pu_os, std::string *why) {
    if (pu_os < 0) return true;
    hwloc_bitmap_t want = hwloc_bitmap_alloc();
    hwloc_bitmap_t got = hwloc_bitmap_alloc();
    hwloc_bitmap_only(want, static_cast<unsigned>(pu_os));
    std::string fail;
    errno = 0;
    if (hwloc_set_cpubind(hw_, want, HWLOC_CPUBIND_THREAD) != 0) {
        // EINVAL: the PU is outside this thread's cpuset (a cgroup cpuset changed after start-up)
        // or went offline; EPERM: a seccomp filter or LSM forbids sched_setaffinity.
        fail = std::string("the kernel refused the binding (") + std::strerror(errno) + ")";
    } else if (hwloc_get_cpubind(hw_, got, HWLOC_CPUBIND_THREAD) != 0 || !hwloc_bitmap_isequal(want, got)) {
        char buf[64];
        hwloc_bitmap_list_snprintf(buf, sizeof buf, got);
        fail = std::string("the binding reads back as PUs ") + buf;
    } else {
        // The binding reads back; now check that the scheduler moved us (it must before we run on).
        sched_yield();
        if (hwloc_get_last_cpu_location(hw_, got, HWLOC_CPUBIND_THREAD) != 0 || !hwloc_bitmap_isincluded(got, want)) {
            char buf[64];
            hwloc_bitmap_list_snprintf(buf, sizeof buf, got);
            fail = std::string("the thread still ran on PU ") + buf + " after binding";
        }
    }
    hwloc_bitmap_free(want);
    hwloc_bitmap_free(got);
    if (why) *why = fail;
    return fail.empty();
}

void Machine::save_current_binding() { hwloc_get_cpubind(hw_, saved_, HWLOC_CPUBIND_THREAD); }

void Machine::restore_current_binding() {
    if (!hwloc_bitmap_iszero(saved_)) hwloc_set_cpubind(hw_, saved_, HWLOC_CPUBIND_THREAD);
}

Machine::Region Machine::alloc(std::size_t len, const MemPolicy &policy, int near_pu_os) {
    Region r;
    r.len = len;
    hwloc_bitmap_t nodes = hwloc_bitmap_alloc();
    if (policy.kind == MemPolicy::Interleave) {
        hwloc_bitmap_copy(nodes, hwloc_get_root_obj(hw_)->nodeset);
    } else if (policy.kind == MemPolicy::Node) {
        hwloc_obj_t node = hwloc_get_obj_by_type(hw_, HWLOC_OBJ_NUMANODE, static_cast<unsigned>(policy.node));
        hwloc_bitmap_copy(nodes, node ? node->nodeset : hwloc_get_root_obj(hw_)->nodeset);
    } else {
        hwloc_obj_t pu = nullptr;
        if (near_pu_os >= 0) {
            pu = hwloc_get_pu_obj_by_os_index(hw_, static_cast<unsigned>(near_pu_os));
        } else {
            hwloc_bitmap_t here = hwloc_bitmap_alloc();
            if (hwloc_get_last_cpu_location(hw_, here, HWLOC_CPUBIND_THREAD) == 0 && !hwloc_bitmap_iszero(here))
                pu = hwloc_get_pu_obj_by_os_index(hw_, static_cast<unsigned>(hwloc_bitmap_first(here)));
            hwloc_bitmap_free(here);
        }
        hwloc_bitmap_copy(nodes, pu ? pu->nodeset : hwloc_get_root_obj(hw_)->nodeset);
        if (!pu) hwloc_bitmap_only(nodes, static_cast<unsigned>(hwloc_bitmap_first(nodes)));
    }
    char nodes_str[128];
    hwloc_bitmap_list_snprintf(nodes_str, sizeof nodes_str, nodes);
    const hwloc_membind_policy_t mp = policy.kind == MemPolicy::Interleave ? HWLOC_MEMBIND_INTERLEAVE : HWLOC_MEMBIND_BIND;
    errno = 0;
    r.ptr = hwloc_alloc_membind(hw_, len, nodes, mp, HWLOC_MEMBIND_BYNODESET | HWLOC_MEMBIND_STRICT);
    const char *prefix = policy.kind == MemPolicy::Interleave ? "interleave:" : policy.kind == MemPolicy::Node ? "node:" : "local:node";
    const std::string what = prefix + std::string(nodes_str);
    if (r.ptr) {
        r.bound = true;
        r.how = what;
    } else {
        // Containers often forbid mbind (Docker's seccomp profile without CAP_SYS_NICE); fall
        // back to the kernel's first touch.
        const int err = errno;
        r.ptr = hwloc_alloc(hw_, len);
        r.how = what + "(unbound:" + std::strerror(err) + ",first-touch)";
    }
    hwloc_bitmap_free(nodes);
    if (!r.ptr) return r;
    std::memset(r.ptr, 0, len);  // touch every page now, so placement is decided before the run
    hwloc_bitmap_t where = hwloc_bitmap_alloc();
    // The first page alone (mem_node), then every page (move_pages, page by page, in hwloc).
    const std::size_t page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
    if (hwloc_get_area_memlocation(hw_, r.ptr, std::min(len, page), where, HWLOC_MEMBIND_BYNODESET) == 0 &&
        !hwloc_bitmap_iszero(where))
        r.node_os = hwloc_bitmap_first(where);
    if (hwloc_get_area_memlocation(hw_, r.ptr, len, where, HWLOC_MEMBIND_BYNODESET) == 0 && !hwloc_bitmap_iszero(where)) {
        char buf[128];
        hwloc_bitmap_list_snprintf(buf, sizeof buf, where);
        r.nodes = buf;
    }
    hwloc_bitmap_free(where);
    return r;
}

void Machine::free(Region &region) {
    if (region.ptr) hwloc_free(hw_, region.ptr, region.len);
    region.ptr = nullptr;
}

}  // namespace lpb
