// harness.h — what every workload file shares: options, clock, calibrated spin, the per-run
// context, the measurement bookkeeping (latency, fairness, FIFO order, hand-over locality), and
// the driver that runs one design under one workload on Google Benchmark's threads.
//
// Timing model (decided once for all workloads): every benchmark instance runs exactly ONE
// Google Benchmark iteration per thread (registered with Iterations(1), so GB never grows the
// count), and inside it each thread loops until a deadline shared by all threads
// (set by the last thread to reach our own start line, run_ms later: GB's barrier releases the
// threads, but with more threads than cores some are not scheduled for several ms, and a deadline
// set by the first would leave them nothing). So runs are time-bounded: no thread finishes early
// while others still run, except for its last operation. Each thread notes when it entered and
// left its loop; `full_concurrency` is the fraction of the run's span during which all of them
// were inside. The time GB reports is manual: the run's time per get+put pair (Run::finish_and_time_per_op),
// so GB's compare.py compares throughput; ops_per_s is the same figure as a rate.
#ifndef LP_BENCH_HARNESS_H
#define LP_BENCH_HARNESS_H

#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdint>
#include <memory>
// Under -fsanitize=address GCC (12 to 14 at least) warns -Wmaybe-uninitialized inside libstdc++'s
// <regex> (GCC bug 105616, a false positive): silenced for that header only.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <regex>
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
#include <string>
#include <vector>

#include "lp_design.h"
#include "distribution.h"
#include "fifo_order.h"
#include "histogram.h"
#include "topology.h"
#include "lockpool.h"
#include "lp_support.h"

namespace lpb {

// ---- options -----------------------------------------------------------------------------

/** sqlite_pool's query mix, in percent (sums to 100). */
struct SqliteMix {
    unsigned select = 90;  // point select by primary key (prepared)
    unsigned update = 10;  // single-row update in its own transaction (BEGIN IMMEDIATE ... COMMIT)
    unsigned range = 0;    // sum over 100 consecutive keys
    std::string str() const;
};
/** "select:P,update:P,range:P" (any subset, any order; missing kinds are 0; must sum to 100). */
bool parse_sqlite_mix(const std::string &text, SqliteMix *out, std::string *err);

struct Options {
    PinPolicy pin;                  // --pin=compact|scatter|numa:K|none (default compact)
    MemPolicy mem;                  // --mem=local|interleave|node:K (default local)
    uint64_t run_ms = 1000;         // --run_ms=N (default 1000; 25 with --quick)
    bool run_ms_given = false;
    bool quick = false;             // --quick: the CI smoke set
    std::string detail_out;         // --lp_detail_out=F
    // Tuning sweeps (scripts/lp-sweep): when set, override every registered case.
    std::vector<uint32_t> slots;    // --lp_slots=S1,S2,...: each case once per value (interleavable)
    uint32_t waiters = 0;           // --lp_waiters=W
    std::vector<int> threads;       // --lp_threads=T1,T2,...
    int retry_wakes = -1;           // --lp_retry_wakes=N: setting retry_wakes of every design that has it (-1: its own)
    uint32_t bypass_bound = 0;      // --lp_bypass_turns=N: setting bypass_bound of every design that has it (0: its own)
    // --hold=SPEC / --think=SPEC (distribution.h): replace every case's fixed hold / think time (hold:
    // the workloads whose hold is a spin; think: every workload). A random one is sampled per
    // thread from a seeded generator before the run (WorkSeq); the case's name carries its mean.
    Dist hold, think;
    bool hold_given = false, think_given = false;
    SqliteMix sqlite_mix;           // --lp_sqlite_mix=select:90,update:10
};
/** Seed of every thread's hold/think stream (thread_seed(kWorkSeed, stream, thread)). */
constexpr uint64_t kWorkSeed = 0x4C6F636B506F6F6Cull;
/** The length calibrated for a random distribution `d`: iterations per ns are taken from it (its
 *  mean, at least 1000 ns so the binary search's resolution is fine enough). */
uint64_t work_reference_ns(const Dist &d);
Options &options();
Machine &machine();
/** The NUMA node (OS index) `policy` means to put storage on when thread 0 runs on PU `pu_os`:
 *  -1 for interleave, or for local storage of an unpinned thread. */
int intended_node_os(const Topology &topo, const MemPolicy &policy, int pu_os);

/** The settings `d` runs with (its params), with the --lp_* overrides this run applies to it
 *  (apply_overrides) in place of its own values. */
std::vector<lpd_param> design_params(const lpd_design *d);
/** Apply the run's overrides (--lp_retry_wakes, --lp_bypass_turns) to an initialised instance of `d`, through its
 *  set_param, for each setting its params list: LP_OK, or the error set_param gave. */
int apply_overrides(const lpd_design *d, void *self);

// ---- time and calibrated work ------------------------------------------------------------

inline uint64_t now_ns() { return lps_now_ns(); }
inline void cpu_relax() { lps_cpu_relax(); }

/** Busy work of `iters` loop iterations (the compiler may not elide or merge them). */
inline void spin_iters(uint64_t iters) {
    for (uint64_t i = 0; i < iters; ++i) asm volatile("" ::: "memory");
}

/** Iterations of spin_iters lasting about `ns`, found once per value by binary search on the
 *  spin loop, each probe the median of 5 timings (as lockhammer does). 0 ns -> 0 iterations. */
uint64_t calibrated_iters(uint64_t ns);
/** "200ns=1234it ..." for every value calibrated so far. */
std::string calibration_summary();
/** Re-times every calibrated length: "" if all still within 25% of their target, else which moved
 *  (the CPU's speed changed since calibration, e.g. a process calibrated during a noisy moment of
 *  a VM: seen here once, its 1000 ns hold ran in ~430 ns, so its throughput doubled). */
std::string calibration_drift();
/** Median cost of one now_ns() call, in ns. */
double clock_overhead_ns();

/** The calling thread's CPU time so far (CLOCK_THREAD_CPUTIME_ID), in ns; 0 if unreadable. */
uint64_t thread_cpu_ns();
/** The calling thread's context switches so far (getrusage RUSAGE_THREAD; 0 where the kernel
 *  refuses): voluntary (it blocked: parked, slept, yielded) and involuntary (preempted). */
struct ContextSwitches {
    uint64_t voluntary = 0, involuntary = 0;
};
ContextSwitches thread_context_switches();
/** The calling thread's time spent runnable but waiting for a CPU so far, in ns (the second field
 *  of /proc/thread-self/schedstat: the scheduler's delay), or -1 where the kernel does not say. */
int64_t thread_runq_wait_ns();

// ---- measurement bookkeeping -------------------------------------------------------------

/** Per-thread results; one cache line apart so threads never share a written line. */
struct alignas(128) ThreadStats {
    uint64_t ops = 0;       // completed get+put pairs
    uint64_t attempts = 0;  // try_get calls
    uint64_t empty = 0;     // try_get calls that found no slot
    uint64_t efull = 0;     // LP_EFULL returns (MAX_WAITERS reached)
    uint64_t max_wait_ns = 0;  // longest get the design queued (recorded where the FIFO metric is)
    uint64_t errors = 0;    // any status the workload did not expect
    uint64_t grants = 0;
    uint64_t reacquires = 0;
    uint64_t enter_ns = 0, exit_ns = 0;
    // The thread's own CPU time and context switches while in its loop (thread_cpu_ns,
    // thread_context_switches): what the
    // scheduler gave it, so an uneven share of ops can be told apart from an uneven share of CPU.
    uint64_t cpu_ns = 0;
    uint64_t vcsw = 0, ivcsw = 0;  // voluntary (it blocked) and involuntary (preempted) switches
    int64_t runq_ns = -1;          // runnable, waiting for a CPU (-1: the kernel does not say)
    uint64_t wall_ns = 0;          // wall time from before the first of these reads to after the last
    int pu = -1;
    bool pin_ok = true;
    Hist hist;
    std::vector<uint64_t> task_ops;  // async: completed pairs per task of this thread's loop
    WorkSeq hold, think;             // this thread's hold/think lengths in spin iterations
    // Workload-specific (sqlite_pool): whole-operation latency (get + work + put), retries of work
    // the design did not cause (SQLITE_BUSY), time inside the work itself and in whole operations.
    Hist op_hist;
    uint64_t retries = 0;
    uint64_t inner_ns = 0, op_ns = 0;
    GrantLog fifo_log;               // grants for the FIFO metric (FifoTracker)
    ReleaseLog release_log;          // releases for the FIFO metric (FifoTracker)
};

/**
 * FIFO order: the order in which the design GRANTED slots, compared with the order in which the
 * waiters JOINED its queue, counting only certain overtakings (definition and the off-line
 * count: fifo_order.h; bench/README.md).
 *   - Every attempt loads the arrival counter first (`start`). A get that had to wait takes a
 *     ticket from it: between get_begin and get_finish when the design has a split get (the
 *     ticket then follows the design's own enqueue), else just before its blocking get.
 *   - Every release is stamped: just before put(h) the holder takes seq from the run's release
 *     counter (first release 1; a slot never released has stamp 0) and stores it in h's entry of
 *     a stamp table (one padded entry per slot); after put returns it logs {seq, end}, end being
 *     the counter read again (releases begun by then).
 *   - Every grant appends {start, ticket, release_seq = stamp of the slot it got} to its thread's
 *     GrantLog.
 *   - After the run, count_fifo_violations(): grant j is a violation if a waiter that had joined
 *     before j started (ticket < start_j) was fed by a release that began after j's had ended.
 * So a waiter already handed its slot but not yet scheduled back in is no false positive (its
 * release is known whenever it runs again), nor are two releases of different slots racing
 * between stamp and put, nor (with a split get) a waiter stalled before it joined the queue.
 * Designs without a split get keep one residue: a waiter preempted between its ticket and its
 * enqueue can be overtaken even in a FIFO design.
 * Measured only where a handle names a slot and get can block (LPD_BOUNDED and LPD_BLOCKING,
 * i.e. not malloc) in the workloads that queue; -1 elsewhere.
 * Cost on the measured path: one shared load per attempt, before its timed get; one fetch_add
 * per wait, inside the timed get (the ticket); per release one shared fetch_add and one store
 * before put, one fetch_add(0) after it; per wait also one load of the release counter just before
 * its ticket (for max_wait_releases); 32- and 16-byte appends to thread-local logs.
 */
class FifoTracker {
public:
    /** `measured`: whether this run records anything; `slots`: the stamp table's size. */
    void reset(bool measured, std::size_t slots);
    bool measured() const { return measured_; }

    /** An attempt's start: how many waiters have taken a ticket so far. */
    uint64_t arrivals_seen() const {
        // acquire: keeps the design's try_get (and its successful grab) from moving before this
        // load, and sees every enqueue that came before a ticket it counts (arrive: release).
        return next_ticket_.load(std::memory_order_acquire);
    }
    /** A waiter joining: its ticket (0, 1, 2, ...) and the releases begun by then. */
    struct Arrival {
        uint64_t ticket = 0;
        uint64_t releases = 0;
    };
    /** Take a waiter's ticket: after the design's enqueue (split get) or just before get. */
    Arrival arrive() {
        Arrival a;
        // First, so a waiter preempted between the two reads counts the releases meanwhile as part
        // of its wait rather than hiding them. seq_cst: in the single order of stamp_release's RMWs,
        // a stamp taken after this load is counted in our wait (max_wait_releases).
        a.releases = releases_.load(std::memory_order_seq_cst);
        // acq_rel: release publishes our enqueue to whoever loads a later count (so its try_get
        // sees us queued); acquire keeps a following get from moving before the ticket.
        a.ticket = next_ticket_.fetch_add(1, std::memory_order_acq_rel);
        return a;
    }
    /** Release `handle` through `put()` (returns a status) as the metric needs it: stamped just
     *  before, while still held, and its end logged in `log` once put has returned. Unmeasured
     *  runs just put. */
    template <class Put>
    int stamped_put(ReleaseLog &log, uintptr_t handle, Put put) {
        if (!measured_) return put();
        const uint64_t seq = stamp_release(handle);
        const int st = put();
        note_release_end(log, seq);
        return st;
    }

private:
    /** Stamp `handle`'s release; call it just before put(handle), while still holding it. */
    uint64_t stamp_release(uintptr_t handle) {
        // seq_cst: ordered with the read in note_release_end of other releasers (see there); the
        // put that follows (a release operation in every design) publishes the stamp.
        const uint64_t seq = releases_.fetch_add(1, std::memory_order_seq_cst) + 1;
        if (Stamp *e = entry(handle)) e->seq.store(seq, std::memory_order_relaxed);  // relaxed: as above
        return seq;
    }
    /** After put(handle) returned: log the release's interval {seq, releases begun by now}. */
    void note_release_end(ReleaseLog &log, uint64_t seq) {
        // seq_cst RMW (not a fence + load: TSan has no fences): it reads the latest count and
        // orders the put's writes (the hand-off) before it, so a release whose stamp is above `end`
        // began after our put had completed; adding 0 changes nothing.
        log.push(ReleaseRecord{seq, releases_.fetch_add(0, std::memory_order_seq_cst)});
    }
public:
    /** Record a grant of `handle` in `log` (right after get/try_get returned it). */
    void note_grant(GrantLog &log, uintptr_t handle, uint64_t start, bool waited, const Arrival &joined) {
        const Stamp *e = entry(handle);
        // relaxed: the previous holder stored it before its put, and the design's get
        // synchronises with that put; nobody else writes it while we hold the slot.
        const uint64_t seq = e ? e->seq.load(std::memory_order_relaxed) : 0;
        log.push(waited ? GrantRecord::waited(start, joined.ticket, seq, joined.releases) : GrantRecord::fast(start, seq));
    }
    /** True if some handle was not a slot index below `slots` (the run's metric is then void). */
    bool saw_foreign_handle() const { return foreign_handle_.load(std::memory_order_relaxed); }  // relaxed: read after the run

private:
    struct alignas(128) Stamp {
        std::atomic<uint64_t> seq{0};  // 0: never released in this run
    };
    Stamp *entry(uintptr_t handle) const {
        if (handle < slots_) return &stamps_[handle];
        foreign_handle_.store(true, std::memory_order_relaxed);  // relaxed: read after the run
        return nullptr;
    }
    alignas(128) std::atomic<uint64_t> next_ticket_{0};
    alignas(128) std::atomic<uint64_t> releases_{0};
    alignas(128) std::unique_ptr<Stamp[]> stamps_;
    std::size_t slots_ = 0;
    bool measured_ = false;
    mutable std::atomic<bool> foreign_handle_{false};
};

/** Hand-over locality: the last holder of each slot (handle), so a grant of a slot to the same
 *  thread that held it last counts as a re-acquisition. Entries are cache-line padded and written
 *  only by the slot's current holder. Non-slot handles (malloc's addresses) are hashed. */
class ReacquireTable {
public:
    static constexpr int kEntryBits = 10;
    static constexpr std::size_t kEntries = std::size_t{1} << kEntryBits;
    ReacquireTable();
    bool note_grant(uintptr_t handle, int thread) {
        Entry &e = entries_[index_of(handle)];
        const uint32_t me = static_cast<uint32_t>(thread) + 1;
        // relaxed: only the holder of the slot writes its entry; the design's own acquire/release
        // already orders holders, and an approximate value for hashed handles is acceptable.
        const bool same = e.holder.load(std::memory_order_relaxed) == me;
        e.holder.store(me, std::memory_order_relaxed);
        return same;
    }

private:
    struct alignas(64) Entry {
        std::atomic<uint32_t> holder{0};
    };
    static std::size_t index_of(uintptr_t h) {
        if (h < kEntries) return static_cast<std::size_t>(h);
        // Fibonacci hashing: the product's top kEntryBits bits index the table.
        return static_cast<std::size_t>((static_cast<uint64_t>(h) * 0x9E3779B97F4A7C15ull) >> (64 - kEntryBits));
    }
    std::unique_ptr<Entry[]> entries_;
};

// ---- one run of one benchmark instance ---------------------------------------------------

struct Family;

/** What a benchmark instance is: workload, design, parameters (names per bench/JSON.md). */
struct Case {
    const Family *family = nullptr;
    const lpd_design *design = nullptr;
    uint32_t slots = 0, waiters = 0;
    uint64_t hold_ns = 0, think_ns = 0;
    // Thread and storage placement of this case. Unset: --pin and --mem. Workloads whose subject
    // is placement itself (get_hold_local/-remote) fix their own; storage that does not land
    // where such a case says is a setup error, never a silently mislabelled row.
    bool own_placement = false;
    PinPolicy pin;
    MemPolicy mem;
    const PinPolicy &pin_policy() const { return own_placement ? pin : options().pin; }
    const MemPolicy &mem_policy() const { return own_placement ? mem : options().mem; }
    std::string name(int threads) const;
};

/** Shared state of one running instance, built by thread 0 before GB's start barrier. */
struct Run {
    const Case *c = nullptr;
    const lpd_design *d = nullptr;
    int threads = 0;
    void *self = nullptr;       // the design's storage
    Machine::Region mem;
    bool ready = false;
    std::string error;
    uint64_t teardown_errors = 0;  // e.g. the pool was not idle after the run
    uint64_t run_ns = 0;
    uint64_t hold_iters = 0, think_iters = 0;       // the case's fixed hold/think
    double hold_iters_per_ns = 0, think_iters_per_ns = 0;  // for a random --hold/--think (0: fixed)
    std::atomic<uint64_t> deadline_ns{0};
    std::atomic<int> arrived{0};
    std::atomic<int> left{0};
    std::vector<std::unique_ptr<ThreadStats>> stats;
    std::vector<int> placement;
    FifoTracker fifo;
    ReacquireTable reacquire;

    /** Our start line: every thread arrives, the last one sets the shared deadline run_ns from
     *  now, the others wait for it (yielding, so oversubscribed threads all get there). */
    void start();
    /** Our finish line, called by each thread after its loop: waits until all threads have left
     *  theirs, then returns the manual time this thread reports to GB, threads x span / ops
     *  seconds. GB averages these over the threads and divides by the iterations of all threads
     *  (one each), so its time per iteration is span / ops, the run's time per operation. */
    double finish_and_time_per_op(int thread);
    /** The shared deadline (valid after start()). */
    uint64_t deadline() const { return deadline_ns.load(std::memory_order_acquire); }  // acquire: pairs with start()
};

/** One workload: its loop and (optionally) its own setup/teardown of the design. */
struct Family {
    const char *name;
    void (*loop)(Run &run, int thread, ThreadStats &stats);
    bool measures_fifo;     // grants can follow a wait (blocking workloads); see FifoTracker
    bool (*setup)(Run &run) = nullptr;      // default: size/init the design in placed memory
    void (*teardown)(Run &run) = nullptr;   // default: destroy it
    // Its own counters, added after the common ones (e.g. sqlite_pool's query latency).
    void (*counters)(const Run &run, benchmark::UserCounters &out) = nullptr;
    bool hold_is_spin = true;  // --hold replaces the hold (false: the hold is real work, e.g. a query)
    // The names `counters` sets, nullptr-terminated: every other workload's rows carry them as -1,
    // so all rows have one counter set (GB's CSV reporter requires it).
    const char *const *counter_names = nullptr;
};

/** Every counter name the registered workloads add (Family::counter_names), each once. */
std::vector<const char *> family_counter_names();

/** The default set-up: size and init the design in placed memory (r.self); false + r.error on
 *  failure. A workload with its own set-up calls it for the design part. */
bool default_setup(Run &r);
/** The default teardown: destroy the design, free its memory. */
void default_teardown(Run &r);

/** The benchmark function body for every family. */
void run_case(benchmark::State &state, const Case &c);

/** Register `c` under Google Benchmark with its args and the given thread counts, or those of
 *  --lp_slots/--lp_waiters/--lp_threads where given. */
void register_case(const Case &c, const std::vector<int> &thread_counts);

/** get_hold's case for design `d` at SLOTS = `slots` (wl_get_hold.cc), under `family`, and
 *  its SLOTS values: the remote-memory workloads (wl_remote.cc) run the same case. */
Case get_hold_case(const Family *family, const lpd_design *d, uint32_t slots);
const std::vector<uint32_t> &get_hold_slots();

// The two loops shared by several workload files.
void loop_try_get(Run &run, int thread, ThreadStats &stats);   // try_get until OK; hold; put; think
void loop_blocking(Run &run, int thread, ThreadStats &stats);  // try_get, else get; hold; put; think

/** One get of a blocking workload: try_get, else the design's blocking get (bounded: see
 *  bench/README.md); its latency recorded in stats.hist, the grant noted for the FIFO and
 *  hand-over metrics. *t0: when the get began. LP_OK (*h held), LP_ETIMEDOUT (the deadline
 *  passed while waiting: the run is over), or an error, already counted in stats.errors. */
int timed_get(Run &run, int thread, ThreadStats &stats, uint64_t deadline, uintptr_t *h, uint64_t *t0);
/** Put `h` back as the FIFO metric needs it (stamped); a failed put is counted in stats.errors. */
void stamped_put(Run &run, ThreadStats &stats, uintptr_t h);

// ---- workload registry -------------------------------------------------------------------

/** Each wl_*.cc adds one registrar at static-init time; main calls them after parsing flags. */
using Registrar = void (*)();
bool add_workload(const char *name, Registrar registrar);
void register_all_workloads();

/** Every design of the build (lpd_designs()), in order. */
std::vector<const lpd_design *> all_designs();

/** Histograms and per-thread ops per benchmark name, for --lp_detail_out, and the process's
 *  calibration drift (calibration_drift(), "" if none); false if the file could not be written. */
bool write_detail_file(const std::string &path, const std::string &calibration_drift);

/** A workload that cannot be measured on this machine registers nothing and records here the
 *  benchmarks it would have had and why not, so a filter that selects only those is answered
 *  with that reason and exit status 0 rather than as a filter matching nothing. */
void note_unmeasured(const std::vector<std::string> &names, const std::string &why);
/** --benchmark_filter read as Google Benchmark reads it: "" and "all" select everything, a leading
 *  '-' negates, the rest is a std::regex in POSIX extended syntax, searched for in the name. */
class BenchmarkFilter {
public:
    /** false with std::regex's reason if the filter is not a regular expression (GB itself only
     *  says so on stderr and runs nothing). */
    bool compile(const std::string &filter, std::string *err);
    bool selects(const std::string &name) const;

private:
    std::regex re_;
    bool negate_ = false;
};
/** True if `filter` selects one of the noted benchmarks; *why is the reason they were not
 *  registered. */
bool filter_selects_unmeasured(const BenchmarkFilter &filter, std::string *why);

/** Largest thread count registered so far (for the placement shown in the context). */
int max_registered_threads();
/** Every hold/think length registered so far, to calibrate them all before the first run. */
std::vector<uint64_t> registered_work_ns();

}  // namespace lpb
#endif
