// topology.h — machine topology, thread placement and memory placement (hwloc).
//
// The placement planner is a plain function of (topology, policy, threads) so it can be tested
// against hwloc's synthetic topologies; Machine applies a plan to the running threads and checks
// that every binding took effect.
#ifndef LP_BENCH_TOPOLOGY_H
#define LP_BENCH_TOPOLOGY_H

#include <hwloc.h>

#include <cstddef>
#include <string>
#include <vector>

namespace lpb {

/** One processing unit (hardware thread). Indices are hwloc logical indices, -1 if the level
 *  is absent (then the planner treats the PU as its own core/node/package). */
struct PuInfo {
    int os_index = -1;
    int logical = -1;
    int package = -1;
    int numa = -1;
    int core = -1;
};

struct Topology {
    std::vector<PuInfo> pus;  // in hwloc logical order (core siblings adjacent)
    int packages = 0;
    int numa_nodes = 0;
    int cores = 0;
    std::string synthetic;  // hwloc's synthetic description, if it can express this machine
    std::vector<int> node_os;   // OS index of each NUMA node, by logical index
    std::string summary() const;
    /** Each NUMA node (OS index) and its PUs (OS indices): "node0:pu0-1 node1:pu2-3"; a node
     *  without PUs (memory only) shows "node2:none". */
    std::string numa_string() const;
};

/** Read the levels of an already loaded hwloc topology. */
Topology topology_from_hwloc(hwloc_topology_t topo);

enum class PinKind { None, Compact, Scatter, Numa, Cpus };

struct PinPolicy {
    PinKind kind = PinKind::Compact;
    int numa_node = 0;      // PinKind::Numa: logical NUMA node index
    std::vector<int> cpus;  // PinKind::Cpus: OS CPU numbers, in the order threads take them
    std::string str() const;  // parses back to the same policy ("cpus:0,2,4-7")
};

/** "compact", "scatter", "numa:K", "none", or "cpus:LIST" with LIST like 0,2,4-7 (OS CPU
 *  numbers as in taskset/lscpu; ranges ascending; no CPU twice). */
bool parse_pin_policy(const std::string &text, PinPolicy *out, std::string *error);

/**
 * The PU (os index) each of `threads` threads goes to, or -1 for every thread under "none".
 *   compact: PUs in topology order — fill a core's PUs, then the next core, node, package.
 *   scatter: one PU per core first, spreading consecutive threads across packages, then NUMA
 *            nodes within a package, then cores; SMT siblings only once every core has one.
 *   numa:K:  only node K's PUs, one per core first (as scatter, within the node).
 *   cpus:L:  thread i on the i-th CPU of the list (lockhammer's -o).
 * More threads than PUs wrap around (oversubscription): thread i goes where thread i mod P went.
 * Plans are prefix-stable: thread i is placed the same way for any thread count > i.
 * @return false (with *error) for a NUMA node or a listed CPU that this topology does not have
 *         (every listed CPU is checked, whatever the thread count), or an empty topology
 */
bool plan_placement(const Topology &topo, const PinPolicy &policy, int threads, std::vector<int> *pu_of_thread,
                    std::string *error);

/** "t0:pu0 t1:pu1 ..." ("t0:any ..." for unpinned threads). */
std::string placement_string(const std::vector<int> &pu_of_thread);

/** Where a design's storage goes: the NUMA node of a given PU, interleaved over every node, or
 *  one named node. Implicit from its kind, so `MemPolicy::Interleave` reads as a policy. */
struct MemPolicy {
    enum Kind { Local, Interleave, Node };
    Kind kind = Local;
    int node = 0;  // Node: logical NUMA node index (as --pin=numa:K)
    MemPolicy(Kind k = Local, int n = 0) : kind(k), node(n) {}
    std::string str() const;
};

/** "local", "interleave", "node:K". */
bool parse_mem_policy(const std::string &text, MemPolicy *out, std::string *error);

/** False (with *error) if the policy names a NUMA node this topology does not have. */
bool check_mem_policy(const Topology &topo, const MemPolicy &policy, std::string *error);

/** The live machine: owns the hwloc topology of this process. */
class Machine {
public:
    Machine();
    ~Machine();
    Machine(const Machine &) = delete;
    Machine &operator=(const Machine &) = delete;

    const Topology &topology() const { return topo_; }

    /** Bind the calling thread to PU `pu_os` (-1: leave it unbound) and verify both that the
     *  binding reads back and that the thread now runs there. On failure *why (if given) says
     *  which of the three steps failed. */
    bool bind_current_thread(int pu_os, std::string *why = nullptr);
    /** Save / restore the calling thread's binding (GB runs thread 0 on the main thread). */
    void save_current_binding();
    void restore_current_binding();

    struct Region {
        void *ptr = nullptr;
        std::size_t len = 0;
        bool bound = false;    // the kernel accepted the binding
        int node_os = -1;      // where the first page actually is (-1: unknown)
        std::string nodes;     // every node holding one of its pages, e.g. "0-1" ("" if unknown)
        std::string how;       // e.g. "local:node0", "node:1", "interleave:0-1", "...(unbound:...)"
    };
    /** Page-aligned, zeroed memory placed by policy: Local on the node of PU `near_pu_os` (-1:
     *  where we run), Node on the policy's node (check_mem_policy first), or interleaved. */
    Region alloc(std::size_t len, const MemPolicy &policy, int near_pu_os);
    void free(Region &region);

private:
    hwloc_topology_t hw_ = nullptr;
    Topology topo_;
    hwloc_bitmap_t saved_ = nullptr;
};

}  // namespace lpb
#endif
