// harness.cc — see harness.h.
#include "harness.h"

#include <sched.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>
#include <set>

#include "fairness.h"

namespace lpb {

std::vector<lpd_param> design_params(const lpd_design *d) {
    lpd_param buf[LPD_MAX_PARAMS];
    const unsigned n = d->params ? d->params(buf) : 0;
    std::vector<lpd_param> out(buf, buf + n);
    for (lpd_param &p : out) {
        if (options().retry_wakes >= 0 && std::strcmp(p.name, "retry_wakes") == 0)
            p.num = static_cast<uint64_t>(options().retry_wakes);
        if (options().bypass_bound != 0 && std::strcmp(p.name, "bypass_bound") == 0) p.num = options().bypass_bound;
    }
    return out;
}

int apply_overrides(const lpd_design *d, void *self) {
    if ((options().retry_wakes < 0 && options().bypass_bound == 0) || !d->set_param) return LP_OK;
    for (const lpd_param &p : design_params(d)) {
        const bool given = std::strcmp(p.name, "retry_wakes") == 0 ? options().retry_wakes >= 0
                           : std::strcmp(p.name, "bypass_bound") == 0 ? options().bypass_bound != 0
                                                                       : false;
        if (!given) continue;
        const int st = d->set_param(self, p.name, p.num);
        if (st != LP_OK) return st;
    }
    return LP_OK;
}

std::string SqliteMix::str() const {
    return "select:" + std::to_string(select) + ",update:" + std::to_string(update) + ",range:" + std::to_string(range);
}

bool parse_sqlite_mix(const std::string &text, SqliteMix *out, std::string *err) {
    SqliteMix m{0, 0, 0};
    std::set<std::string> seen;
    std::size_t from = 0;
    for (;;) {
        const std::size_t comma = text.find(',', from);
        const std::string item = text.substr(from, comma == std::string::npos ? std::string::npos : comma - from);
        const std::size_t colon = item.find(':');
        const std::string kind = item.substr(0, colon);
        unsigned *slot = kind == "select" ? &m.select : kind == "update" ? &m.update : kind == "range" ? &m.range : nullptr;
        const std::string num = colon == std::string::npos ? "" : item.substr(colon + 1);
        char *end = nullptr;
        const unsigned long v = num.empty() || !std::isdigit(static_cast<unsigned char>(num[0])) ? 101 : std::strtoul(num.c_str(), &end, 10);
        if (!slot || v > 100 || (end && *end != '\0') || !seen.insert(kind).second) {
            *err = "'" + text + "': want KIND:PERCENT items, KIND one of select, update, range, each once "
                   "(e.g. select:90,update:10)";
            return false;
        }
        *slot = static_cast<unsigned>(v);
        if (comma == std::string::npos) break;
        from = comma + 1;
    }
    if (m.select + m.update + m.range != 100) {
        *err = "'" + text + "': the percentages sum to " + std::to_string(m.select + m.update + m.range) + ", not 100";
        return false;
    }
    *out = m;
    return true;
}

uint64_t work_reference_ns(const Dist &d) {
    return std::max<uint64_t>(1000, static_cast<uint64_t>(std::llround(d.mean())));
}

Options &options() {
    static Options o;
    return o;
}

Machine &machine() {
    static Machine m;
    return m;
}

int intended_node_os(const Topology &topo, const MemPolicy &policy, int pu_os) {
    int logical = -1;
    if (policy.kind == MemPolicy::Node) logical = policy.node;
    else if (policy.kind == MemPolicy::Local)
        for (const PuInfo &p : topo.pus)
            if (p.os_index == pu_os) logical = p.numa;
    if (logical < 0 || logical >= static_cast<int>(topo.node_os.size())) return -1;
    return topo.node_os[static_cast<std::size_t>(logical)];
}

// ---- calibration -------------------------------------------------------------------------

namespace {
std::map<uint64_t, uint64_t> &calibrations() {
    static std::map<uint64_t, uint64_t> c;
    return c;
}

// Mean ns of one spin_iters(iters), as the median of 5 timed batches (the typical speed; a
// slowdown that lasts through most batches still moves it: calibration_drift reports that).
double time_spin(uint64_t iters) {
    constexpr int kBatch = 200;
    double samples[5];
    for (double &s : samples) {
        const uint64_t t0 = now_ns();
        for (int i = 0; i < kBatch; ++i) spin_iters(iters);
        s = static_cast<double>(now_ns() - t0) / kBatch;
    }
    std::sort(samples, samples + 5);
    return samples[2];
}
}  // namespace

std::string calibration_drift() {
    std::string out;
    for (const auto &kv : calibrations()) {
        const double now = time_spin(kv.second), want = static_cast<double>(kv.first);
        if (now > 1.25 * want || now < want / 1.25)
            out += (out.empty() ? "" : ", ") + std::to_string(kv.first) + " ns of work now takes " +
                   std::to_string(static_cast<long long>(now)) + " ns";
    }
    return out;
}

uint64_t calibrated_iters(uint64_t ns) {
    if (ns == 0) return 0;
    auto it = calibrations().find(ns);
    if (it != calibrations().end()) return it->second;
    const double target = static_cast<double>(ns);
    uint64_t lo = 0, hi = 1;
    while (time_spin(hi) < target && hi < (uint64_t{1} << 40)) {
        lo = hi;
        hi *= 2;
    }
    while (hi - lo > 1) {  // invariant: time(lo) < target <= time(hi)
        const uint64_t mid = lo + (hi - lo) / 2;
        if (time_spin(mid) < target) lo = mid;
        else hi = mid;
    }
    calibrations()[ns] = hi;
    return hi;
}

std::string calibration_summary() {
    std::string s;
    for (const auto &kv : calibrations()) {
        if (!s.empty()) s += ' ';
        s += std::to_string(kv.first) + "ns=" + std::to_string(kv.second) + "it";
    }
    return s;
}

double clock_overhead_ns() {
    constexpr int kCalls = 1000;
    double samples[5];
    for (double &s : samples) {
        const uint64_t t0 = now_ns();
        uint64_t sink = 0;
        for (int i = 0; i < kCalls; ++i) sink += now_ns();
        benchmark::DoNotOptimize(sink);
        s = static_cast<double>(now_ns() - t0) / kCalls;
    }
    std::sort(samples, samples + 5);
    return samples[2];
}

// ---- bookkeeping -------------------------------------------------------------------------

uint64_t thread_cpu_ns() {
    timespec ts{};
    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0) return 0;
    return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

ContextSwitches thread_context_switches() {
    ContextSwitches c;
    rusage ru{};
    if (getrusage(RUSAGE_THREAD, &ru) == 0) {
        c.voluntary = static_cast<uint64_t>(ru.ru_nvcsw);
        c.involuntary = static_cast<uint64_t>(ru.ru_nivcsw);
    }
    return c;
}

int64_t thread_runq_wait_ns() {
    // "<on-CPU ns> <run-queue wait ns> <timeslices>" (Linux, CONFIG_SCHED_INFO).
    const int fd = open("/proc/thread-self/schedstat", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    char buf[128];
    const ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) return -1;
    buf[n] = '\0';
    unsigned long long on_cpu = 0, waited = 0;
    if (std::sscanf(buf, "%llu %llu", &on_cpu, &waited) != 2) return -1;
    return static_cast<int64_t>(waited);
}

void FifoTracker::reset(bool measured, std::size_t slots) {
    measured_ = measured;
    slots_ = measured ? slots : 0;
    stamps_.reset(slots_ ? new Stamp[slots_] : nullptr);  // every stamp 0: "before every release"
    // relaxed: the run's threads start after GB's start barrier, which orders these stores.
    next_ticket_.store(0, std::memory_order_relaxed);
    releases_.store(0, std::memory_order_relaxed);
    foreign_handle_.store(false, std::memory_order_relaxed);
}

ReacquireTable::ReacquireTable() : entries_(new Entry[kEntries]) {}

void Run::start() {
    // acq_rel: the last arrival must see everyone's arrival before it starts the clock.
    if (arrived.fetch_add(1, std::memory_order_acq_rel) + 1 == threads) {
        deadline_ns.store(now_ns() + run_ns, std::memory_order_release);  // release: pairs with deadline()
        return;
    }
    while (deadline() == 0) sched_yield();
}

double Run::finish_and_time_per_op(int) {
    // release: publishes our stats; acquire (and the load below): every thread reads all of them.
    left.fetch_add(1, std::memory_order_acq_rel);
    while (left.load(std::memory_order_acquire) < threads) sched_yield();  // acquire: pairs with the add
    uint64_t ops = 0, first = UINT64_MAX, last = 0;
    for (const auto &s : stats) {
        ops += s->ops;
        first = std::min(first, s->enter_ns);
        last = std::max(last, s->exit_ns);
    }
    const double span_s = last > first ? static_cast<double>(last - first) / 1e9 : 1e-9;
    return static_cast<double>(threads) * span_s / static_cast<double>(ops ? ops : 1);
}

std::string Case::name(int threads) const {
    return std::string(family->name) + "/" + design->name + "/slots:" + std::to_string(slots) +
           "/waiters:" + std::to_string(waiters) + "/hold_ns:" + std::to_string(hold_ns) +
           "/think_ns:" + std::to_string(think_ns) + "/iterations:1/manual_time/threads:" + std::to_string(threads);
}

// ---- detail file ---------------------------------------------------------------------------

namespace {
struct Detail {
    Hist hist;
    std::vector<uint64_t> thread_ops;                 // summed over repetitions
    std::vector<std::vector<uint64_t>> per_rep_ops;  // per repetition, in repetition order
    std::vector<std::vector<uint64_t>> per_rep_cpu_ns, per_rep_vcsw, per_rep_ivcsw, per_rep_wall_ns;  // the same
    std::vector<std::vector<int64_t>> per_rep_runq_ns;
};
std::map<std::string, Detail> &details() {
    static std::map<std::string, Detail> d;
    return d;
}
int g_max_threads = 1;
std::vector<uint64_t> g_work_ns;
}  // namespace

namespace {
std::vector<std::pair<std::string, std::string>> &unmeasured() {  // (benchmark name, why)
    static std::vector<std::pair<std::string, std::string>> u;
    return u;
}
}  // namespace

void note_unmeasured(const std::vector<std::string> &names, const std::string &why) {
    for (const std::string &n : names) unmeasured().emplace_back(n, why);
}

bool BenchmarkFilter::compile(const std::string &filter, std::string *err) {
    // In GB's order: "" and "all" first, then the '-'.
    std::string spec = filter.empty() || filter == "all" ? "." : filter;
    negate_ = spec[0] == '-';
    if (negate_) spec.erase(0, 1);
    try {
        re_ = std::regex(spec, std::regex::extended);
    } catch (const std::regex_error &e) {
        *err = std::string("not a regular expression: ") + e.what();
        return false;
    }
    return true;
}

bool BenchmarkFilter::selects(const std::string &name) const {
    try {
        return std::regex_search(name, re_) != negate_;
    } catch (const std::regex_error &) {  // too complex for std::regex on this name
        return false;
    }
}

bool filter_selects_unmeasured(const BenchmarkFilter &filter, std::string *why) {
    for (const auto &u : unmeasured()) {
        if (filter.selects(u.first)) {
            *why = u.second;
            return true;
        }
    }
    return false;
}

int max_registered_threads() { return g_max_threads; }
std::vector<uint64_t> registered_work_ns() { return g_work_ns; }

namespace {
// `, "name": [[thread 0, thread 1, ...], ...]`: one per-thread vector per repetition.
template <class T>
void write_per_rep(std::ostream &out, const char *name, const std::vector<std::vector<T>> &per_rep) {
    out << ", \"" << name << "\": [";
    for (std::size_t r = 0; r < per_rep.size(); ++r) {
        out << (r ? ", [" : "[");
        for (std::size_t i = 0; i < per_rep[r].size(); ++i) out << (i ? ", " : "") << per_rep[r][i];
        out << "]";
    }
    out << "]";
}
}  // namespace

bool write_detail_file(const std::string &path, const std::string &calibration_drift) {
    std::ofstream out(path);
    // Known only once every run is over, so it cannot be in the JSON's context (written first).
    out << "{\"lp_calibration_drift\": \"" << calibration_drift << "\",\n \"benchmarks\": {";
    bool first = true;
    for (const auto &kv : details()) {
        out << (first ? "\n" : ",\n") << "  \"" << kv.first << "\": {\"hist\": [";
        first = false;
        bool fb = true;
        for (const auto &b : kv.second.hist.buckets()) {
            out << (fb ? "" : ", ") << "[" << b.first << ", " << b.second << "]";
            fb = false;
        }
        out << "], \"thread_ops\": [";
        for (std::size_t i = 0; i < kv.second.thread_ops.size(); ++i) out << (i ? ", " : "") << kv.second.thread_ops[i];
        out << "]";
        write_per_rep(out, "thread_ops_per_rep", kv.second.per_rep_ops);
        write_per_rep(out, "thread_wall_ns_per_rep", kv.second.per_rep_wall_ns);
        write_per_rep(out, "thread_cpu_ns_per_rep", kv.second.per_rep_cpu_ns);
        write_per_rep(out, "thread_runq_ns_per_rep", kv.second.per_rep_runq_ns);
        write_per_rep(out, "thread_vcsw_per_rep", kv.second.per_rep_vcsw);
        write_per_rep(out, "thread_ivcsw_per_rep", kv.second.per_rep_ivcsw);
        out << "}";
    }
    out << "\n}}\n";
    out.close();
    return static_cast<bool>(out);
}

// ---- the driver ----------------------------------------------------------------------------

namespace {
Run *g_run = nullptr;  // one instance runs at a time; written by thread 0 before GB's start barrier
int g_case_number = 0;

}  // namespace

bool default_setup(Run &r) {
    const std::size_t len = r.d->size(r.c->slots, r.c->waiters);
    if (len == 0) {
        r.error = "design size() returned 0";
        return false;
    }
    const MemPolicy &mp = r.c->mem_policy();
    const int pu0 = r.placement.empty() ? -1 : r.placement[0];
    r.mem = machine().alloc(len, mp, pu0);
    if (!r.mem.ptr) {
        r.error = "cannot allocate the design's storage";
        return false;
    }
    const int want = intended_node_os(machine().topology(), mp, pu0);
    // A strict binding the kernel accepted holds even where move_pages cannot confirm it (-1).
    if (r.c->own_placement && (!r.mem.bound || (r.mem.node_os >= 0 && r.mem.node_os != want))) {
        r.error = "design storage is not on node " + std::to_string(want) + " as this case needs (" + r.mem.how +
                  ", first page on node " + std::to_string(r.mem.node_os) + ")";
        machine().free(r.mem);
        return false;
    }
    r.self = r.mem.ptr;  // page aligned, so LPD_ALIGN holds
    int st = r.d->init(r.self, r.c->slots, r.c->waiters);
    if (st == LP_OK) st = apply_overrides(r.d, r.self);
    if (st != LP_OK) {
        r.error = std::string("design init failed: ") + lp_status_str(static_cast<lp_status>(st));
        machine().free(r.mem);
        r.self = nullptr;
        return false;
    }
    return true;
}

void default_teardown(Run &r) {
    r.d->destroy(r.self);
    machine().free(r.mem);
}

namespace {

Run *make_run(const Case &c, int threads, const std::vector<int> &placement) {
    Run *r = new Run;
    r->c = &c;
    r->d = c.design;
    r->threads = threads;
    r->placement = placement;
    r->run_ns = options().run_ms * 1000000ull;
    r->hold_iters = calibrated_iters(c.hold_ns);
    r->think_iters = calibrated_iters(c.think_ns);
    // A random --hold/--think: every length is scaled from one calibrated reference (calibrated
    // up front in main, like the fixed lengths, and re-timed by calibration_drift at exit).
    const Options &o = options();
    auto per_ns = [](const Dist &d) {
        const uint64_t ref = work_reference_ns(d);
        return static_cast<double>(calibrated_iters(ref)) / static_cast<double>(ref);
    };
    if (o.hold_given && o.hold.random() && c.family->hold_is_spin) r->hold_iters_per_ns = per_ns(o.hold);
    if (o.think_given && o.think.random()) r->think_iters_per_ns = per_ns(o.think);
    for (int t = 0; t < threads; ++t) r->stats.emplace_back(new ThreadStats);
    // The metric needs slot identity (handles that are slot indices) and gets that can wait.
    const bool fifo = c.family->measures_fifo && (c.design->flags & LPD_BLOCKING) && (c.design->flags & LPD_BOUNDED);
    r->fifo.reset(fifo, c.slots);
    if (fifo)
        for (auto &st : r->stats) {
            st->fifo_log.prepare();
            st->release_log.prepare();
        }
    r->ready = c.family->setup ? c.family->setup(*r) : default_setup(*r);
    return r;
}

struct OrderMetrics {
    double fifo_violations_per_m = -1;
    double max_bypass = -1;
    double max_wait_releases = -1;
};

// The FIFO metric and the bypass of a finished run (FifoTracker), -1 when not measured. Off the
// measured path: every thread's log is merged and counted here, after GB's stop barrier.
OrderMetrics order_metrics(const Run &r) {
    OrderMetrics m;
    if (!r.fifo.measured()) return m;
    if (r.fifo.saw_foreign_handle()) {
        std::fprintf(stderr, "[lockpool-bench] %s: a handle was not a slot index: fifo_violations_per_m not measured\n",
                     r.c->name(r.threads).c_str());
        return m;
    }
    std::vector<GrantRecord> records;
    std::vector<ReleaseRecord> releases;
    uint64_t overflow = 0;
    for (const auto &s : r.stats) {
        s->fifo_log.append_to(records);
        s->release_log.append_to(releases);
        overflow += s->fifo_log.overflow();
    }
    if (overflow)
        std::fprintf(stderr,
                     "[lockpool-bench] %s: %llu grants beyond the FIFO log's cap not recorded: "
                     "fifo_violations_per_m covers the first %zu grants of each thread\n",
                     r.c->name(r.threads).c_str(), static_cast<unsigned long long>(overflow), GrantLog::kDefaultCap);
    if (records.empty()) return m;
    m.max_bypass = static_cast<double>(max_bypass(records, releases));
    m.max_wait_releases = static_cast<double>(max_wait_releases(records));
    const uint64_t violations = count_fifo_violations(records, releases);
    m.fifo_violations_per_m = 1e6 * static_cast<double>(violations) / static_cast<double>(records.size());
    return m;
}

// Every thread's stats of a finished run, summed (or merged, or the extremes).
struct RunTotals {
    Hist merged;                      // latency of every thread
    std::vector<uint64_t> per_thread;  // ops per thread
    std::vector<uint64_t> cpu_ns;      // CPU time per thread, in its loop
    std::vector<uint64_t> vcsw, ivcsw;  // context switches per thread, in its loop
    std::vector<uint64_t> wall_ns;     // each thread's wall time around its loop (ThreadStats)
    std::vector<int64_t> runq_ns;      // each thread's run-queue wait in its loop (-1: unknown)
    std::vector<uint64_t> per_task;    // async: ops per task, every thread's
    uint64_t ops = 0, attempts = 0, empty = 0, efull = 0, errors = 0, grants = 0, reacq = 0, wait_max = 0;
    uint64_t min_enter = UINT64_MAX, max_enter = 0, min_exit = UINT64_MAX, max_exit = 0;
    // Over threads, around their loops: wall, CPU and run-queue time (known only if every thread's
    // is), context switches.
    uint64_t wall_sum = 0, cpu_sum = 0, runq_sum = 0, vcsw_sum = 0, ivcsw_sum = 0;
    bool runq_known = false;
    bool pin_ok = true;
};

RunTotals sum_threads(const Run &r) {
    RunTotals t;
    t.errors = r.teardown_errors;
    t.runq_known = !r.stats.empty();
    for (const auto &sp : r.stats) {
        const ThreadStats &s = *sp;
        t.merged.merge(s.hist);
        t.per_thread.push_back(s.ops);
        t.cpu_ns.push_back(s.cpu_ns);
        t.vcsw.push_back(s.vcsw);
        t.ivcsw.push_back(s.ivcsw);
        t.wall_ns.push_back(s.wall_ns);
        t.runq_ns.push_back(s.runq_ns);
        t.wall_sum += s.wall_ns;
        t.cpu_sum += s.cpu_ns;
        t.runq_known = t.runq_known && s.runq_ns >= 0;
        if (s.runq_ns > 0) t.runq_sum += static_cast<uint64_t>(s.runq_ns);
        t.vcsw_sum += s.vcsw;
        t.ivcsw_sum += s.ivcsw;
        t.per_task.insert(t.per_task.end(), s.task_ops.begin(), s.task_ops.end());
        t.ops += s.ops;
        t.attempts += s.attempts;
        t.empty += s.empty;
        t.efull += s.efull;
        t.wait_max = std::max(t.wait_max, s.max_wait_ns);
        t.errors += s.errors;
        t.grants += s.grants;
        t.reacq += s.reacquires;
        t.pin_ok = t.pin_ok && s.pin_ok;
        t.min_enter = std::min(t.min_enter, s.enter_ns);
        t.max_enter = std::max(t.max_enter, s.enter_ns);
        t.min_exit = std::min(t.min_exit, s.exit_ns);
        t.max_exit = std::max(t.max_exit, s.exit_ns);
    }
    return t;
}

double fraction(uint64_t part, uint64_t whole) {
    return whole ? static_cast<double>(part) / static_cast<double>(whole) : 0;
}

// The counters every row carries (bench/JSON.md).
void set_common_counters(benchmark::UserCounters &ctr, const Run &r, const RunTotals &t) {
    const OrderMetrics order = order_metrics(r);
    const double span_s = t.max_exit > t.min_enter ? static_cast<double>(t.max_exit - t.min_enter) / 1e9 : 0;
    const double overlap = t.min_exit > t.max_enter ? static_cast<double>(t.min_exit - t.max_enter) / 1e9 : 0;
    const Fairness f = fairness_of(t.per_thread);
    ctr["ops_per_s"] = span_s > 0 ? static_cast<double>(t.ops) / span_s : 0;
    ctr["ops"] = static_cast<double>(t.ops);
    ctr["lat_p50_ns"] = static_cast<double>(t.merged.quantile(0.50));
    ctr["lat_p90_ns"] = static_cast<double>(t.merged.quantile(0.90));
    ctr["lat_p99_ns"] = static_cast<double>(t.merged.quantile(0.99));
    ctr["lat_p999_ns"] = static_cast<double>(t.merged.quantile(0.999));
    ctr["lat_p9999_ns"] = static_cast<double>(t.merged.quantile(0.9999));
    ctr["lat_max_ns"] = static_cast<double>(t.merged.max());
    ctr["lat_samples"] = static_cast<double>(t.merged.total());
    ctr["jain"] = f.jain;
    ctr["minmax_share"] = f.minmax_share;
    ctr["cv_thread_ops"] = f.cv;
    ctr["fifo_violations_per_m"] = order.fifo_violations_per_m;
    ctr["max_bypass"] = order.max_bypass;
    ctr["max_wait_ns"] = order.fifo_violations_per_m < 0 ? -1 : static_cast<double>(t.wait_max);
    ctr["max_wait_releases"] = order.max_wait_releases;
    ctr["reacquire_frac"] = fraction(t.reacq, t.grants);
    ctr["full_concurrency"] = span_s > 0 ? std::min(1.0, overlap / span_s) : 0;
    ctr["empty_frac"] = fraction(t.empty, t.attempts);
    ctr["efull"] = static_cast<double>(t.efull);
    ctr["errors"] = static_cast<double>(t.errors);
    ctr["pin_ok"] = r.c->pin_policy().kind == PinKind::None ? -1 : (t.pin_ok ? 1 : 0);
    ctr["mem_node"] = r.mem.node_os;
    ctr["task_jain"] = t.per_task.empty() ? -1 : fairness_of(t.per_task).jain;
    // An uneven share of ops: of the CPU time the threads got, or of the design's grants per
    // CPU-second (the scheduler's part factored out; a thread the design keeps asleep gets less CPU).
    const Fairness cpu = fairness_of(t.cpu_ns);
    const Fairness per_cpu = fairness_of_values(ops_per_cpu_s(t.per_thread, t.cpu_ns));
    ctr["cpu_jain"] = cpu.jain;
    ctr["cpu_minmax_share"] = cpu.minmax_share;
    ctr["ops_per_cpu_jain"] = per_cpu.jain;
    ctr["ops_per_cpu_minmax_share"] = per_cpu.minmax_share;
    // Where the threads' time around their loops went, summed over threads: waiting for a CPU
    // while runnable (the scheduler's delay), and asleep (neither running nor runnable: parked or
    // blocked by the design).
    const double wall = static_cast<double>(t.wall_sum), runq = static_cast<double>(t.runq_sum);
    const double asleep = wall - static_cast<double>(t.cpu_sum) - runq;
    const bool split = t.runq_known && t.wall_sum > 0;
    ctr["runq_wait_frac"] = split ? std::min(1.0, runq / wall) : -1;
    ctr["asleep_frac"] = split ? std::max(0.0, asleep) / wall : -1;
    ctr["vcsw_per_kop"] = t.ops ? 1000.0 * static_cast<double>(t.vcsw_sum) / static_cast<double>(t.ops) : -1;
    ctr["ivcsw_per_kop"] = t.ops ? 1000.0 * static_cast<double>(t.ivcsw_sum) / static_cast<double>(t.ops) : -1;
}

// For --lp_detail_out. GB calls each repetition of an instance in turn (interleaved or not), so
// the append order is the repetition index; histograms and thread ops add over repetitions.
void keep_detail(const Run &r, const RunTotals &t) {
    Detail &d = details()[r.c->name(r.threads)];
    d.hist.merge(t.merged);
    d.thread_ops.resize(t.per_thread.size(), 0);
    for (std::size_t i = 0; i < t.per_thread.size(); ++i) d.thread_ops[i] += t.per_thread[i];
    d.per_rep_ops.push_back(t.per_thread);
    d.per_rep_cpu_ns.push_back(t.cpu_ns);
    d.per_rep_vcsw.push_back(t.vcsw);
    d.per_rep_ivcsw.push_back(t.ivcsw);
    d.per_rep_wall_ns.push_back(t.wall_ns);
    d.per_rep_runq_ns.push_back(t.runq_ns);
}

void finish_run(benchmark::State &state, Run &r) {
    const RunTotals t = sum_threads(r);
    set_common_counters(state.counters, r, t);
    // Every row carries the same counters (GB's CSV reporter aborts on a counter the first row
    // lacked): -1 where not applicable, including every other registered workload's own counters.
    // Per-thread ops, whose number varies, go to the detail file.
    for (const char *name : family_counter_names()) state.counters[name] = -1;
    if (r.c->family->counters) r.c->family->counters(r, state.counters);
    keep_detail(r, t);
}
}  // namespace

namespace {
// What the scheduler gave a thread during its loop, read around it so nothing is added to the
// measured path: CPU clock reads bracket the loop, the run-queue and context-switch counts
// bracket those, and the wall time brackets everything (every CPU and run-queue interval lies
// inside it: the thread was running at both schedstat reads).
class SchedulerBracket {
public:
    SchedulerBracket() : sw0_(thread_context_switches()), wall0_(now_ns()), runq0_(thread_runq_wait_ns()),
                         cpu0_(thread_cpu_ns()) {}
    void close(ThreadStats &s) const {
        const uint64_t cpu1 = thread_cpu_ns();
        s.cpu_ns = cpu1 > cpu0_ ? cpu1 - cpu0_ : 0;
        const int64_t runq1 = thread_runq_wait_ns();
        s.runq_ns = runq0_ >= 0 && runq1 >= runq0_ ? runq1 - runq0_ : -1;
        s.wall_ns = now_ns() - wall0_;
        const ContextSwitches sw1 = thread_context_switches();
        s.vcsw = sw1.voluntary - sw0_.voluntary;
        s.ivcsw = sw1.involuntary - sw0_.involuntary;
    }

private:
    // Declared (so initialised) in the order the constructor must read them.
    const ContextSwitches sw0_;
    const uint64_t wall0_;
    const int64_t runq0_;
    const uint64_t cpu0_;
};

// Pin the calling benchmark thread as the case's plan says; thread 0 (GB's main thread) also saves
// its binding to put it back after, and sets up the run. Returns whether the binding held.
bool enter_case(const Case &c, int tid, int nthreads, std::vector<int> *plan) {
    std::string err;
    // Options were validated in main; an error here would mean an inconsistent topology.
    if (!plan_placement(machine().topology(), c.pin_policy(), nthreads, plan, &err)) plan->assign(nthreads, -1);
    if (tid == 0) machine().save_current_binding();
    std::string why;
    const int pu = (*plan)[static_cast<std::size_t>(tid)];
    const bool pin_ok = machine().bind_current_thread(pu, &why);
    if (!pin_ok)
        std::fprintf(stderr, "[lockpool-bench] warning: %s: thread %d not on PU %d: %s (pin_ok = 0)\n",
                     c.name(nthreads).c_str(), tid, pu, why.c_str());
    if (tid == 0) {
        std::fprintf(stderr, "[lockpool-bench] #%d %s (%llu ms)\n", ++g_case_number, c.name(nthreads).c_str(),
                     static_cast<unsigned long long>(options().run_ms));
        g_run = make_run(c, nthreads, *plan);
    }
    return pin_ok;
}

// One thread's measured loop, its hold/think lengths sampled first (before the start line: untimed).
void run_thread(Run &r, int tid, ThreadStats &s) {
    const Options &o = options();
    if (r.hold_iters_per_ns > 0) s.hold.fill(o.hold, r.hold_iters_per_ns, thread_seed(kWorkSeed, 0, tid));
    else s.hold.set_fixed(r.hold_iters);
    if (r.think_iters_per_ns > 0) s.think.fill(o.think, r.think_iters_per_ns, thread_seed(kWorkSeed, 1, tid));
    else s.think.set_fixed(r.think_iters);
    const bool per_thread = r.d->thread_enter != nullptr;
    if (per_thread) r.d->thread_enter(r.self);
    r.start();
    const SchedulerBracket bracket;
    s.enter_ns = now_ns();
    r.c->family->loop(r, tid, s);
    s.exit_ns = now_ns();
    bracket.close(s);
    if (per_thread) r.d->thread_exit(r.self);
}

// Thread 0, after GB's stop barrier (every thread has left its loop, so all stats are final):
// tear down, report, free the run and put thread 0's binding back.
void leave_case(benchmark::State &state) {
    Run *r = g_run;
    if (r->ready) {
        if (r->c->family->teardown) r->c->family->teardown(*r);
        else default_teardown(*r);
        finish_run(state, *r);
    } else {
        state.SkipWithError(r->error.c_str());
    }
    g_run = nullptr;
    delete r;
    machine().restore_current_binding();
}
}  // namespace

void run_case(benchmark::State &state, const Case &c) {
    const int tid = state.thread_index();
    std::vector<int> plan;
    const bool pin_ok = enter_case(c, tid, state.threads(), &plan);
    for (auto _ : state) {
        // GB's start barrier orders thread 0's make_run before this read.
        Run &r = *g_run;
        ThreadStats &s = *r.stats[static_cast<std::size_t>(tid)];
        s.pin_ok = pin_ok;
        s.pu = plan[static_cast<std::size_t>(tid)];
        if (!r.ready) continue;  // a failed setup: reported after the loop
        run_thread(r, tid, s);
        // GB's reported time is time per operation (compare.py then sees throughput): every
        // thread waits for all to leave their loops, then reports threads x span / ops, which
        // GB averages over threads and divides by the iterations of all threads (one each).
        state.SetIterationTime(r.finish_and_time_per_op(tid));
    }
    if (tid == 0) leave_case(state);
}

namespace {
void register_one(const Case &registered, const std::vector<int> &registered_threads, uint32_t slots);
}  // namespace

void register_case(const Case &registered, const std::vector<int> &registered_threads) {
    // --lp_slots/--lp_waiters/--lp_threads (tuning sweeps) replace what the workload chose; with
    // several SLOTS values every case is registered once per value, so one process can interleave
    // their repetitions (lp-sweep).
    const Options &o = options();
    if (o.slots.size() > 1 && registered.slots != 0) {
        for (uint32_t s : o.slots) {
            Case one = registered;
            one.slots = s;
            register_one(one, registered_threads, s);
        }
        return;
    }
    register_one(registered, registered_threads, o.slots.empty() ? 0 : o.slots[0]);
}

namespace {
std::vector<const Family *> &registered_families() {
    static std::vector<const Family *> f;
    return f;
}
}  // namespace

std::vector<const char *> family_counter_names() {
    std::vector<const char *> out;
    for (const Family *f : registered_families())
        for (const char *const *n = f->counter_names; n && *n; ++n)
            if (std::find_if(out.begin(), out.end(), [&](const char *o) { return std::strcmp(o, *n) == 0; }) == out.end())
                out.push_back(*n);
    return out;
}

namespace {
void register_one(const Case &registered, const std::vector<int> &registered_threads, uint32_t slots) {
    const Options &o = options();
    Case c = registered;
    auto &fams = registered_families();
    if (std::find(fams.begin(), fams.end(), c.family) == fams.end()) fams.push_back(c.family);
    if (slots) c.slots = slots;
    if (o.waiters) c.waiters = o.waiters;
    // --hold/--think: the name carries the mean (its distribution is in the context).
    if (o.hold_given && c.family->hold_is_spin) c.hold_ns = static_cast<uint64_t>(std::llround(o.hold.mean()));
    if (o.think_given) c.think_ns = static_cast<uint64_t>(std::llround(o.think.mean()));
    const std::vector<int> &thread_counts = o.threads.empty() ? registered_threads : o.threads;
    if (slots || o.waiters) {
        // Workloads that register several SLOTS values would now register the same case twice.
        static std::set<std::string> seen;
        if (!seen.insert(c.name(0)).second) return;
    }
    // The Case must outlive the benchmark: GB keeps the lambda, the lambda keeps a copy.
    const std::string fn = std::string(c.family->name) + "/" + c.design->name;
    auto *b = benchmark::RegisterBenchmark(fn.c_str(), [c](benchmark::State &st) { run_case(st, c); });
    b->Args({static_cast<int64_t>(c.slots), static_cast<int64_t>(c.waiters), static_cast<int64_t>(c.hold_ns),
             static_cast<int64_t>(c.think_ns)});
    b->ArgNames({"slots", "waiters", "hold_ns", "think_ns"});
    for (int t : thread_counts) {
        b->Threads(t);
        g_max_threads = std::max(g_max_threads, t);
    }
    b->Iterations(1);    // one time-bounded run per thread: run_case
    b->UseManualTime();  // time per operation: run_case
    std::vector<uint64_t> work{c.hold_ns, c.think_ns};
    if (o.hold_given && o.hold.random()) work.push_back(work_reference_ns(o.hold));
    if (o.think_given && o.think.random()) work.push_back(work_reference_ns(o.think));
    for (uint64_t ns : work)
        if (std::find(g_work_ns.begin(), g_work_ns.end(), ns) == g_work_ns.end()) g_work_ns.push_back(ns);
}
}  // namespace

// ---- loops shared by workload files ---------------------------------------------------------

namespace {
constexpr uint64_t kSampleEvery = 16;  // try_get loops time one op in 16: the clock costs ~2 ops

// A get that outlives the run by this much (or by 10 runs' length, if longer) is stuck (a lost
// wake-up, or a convoy of preempted spinners that takes seconds per hand-off): it is counted as an
// error and the run ends, instead of hanging the whole suite. Spin-ticket/MCS designs at 32
// threads on 2 cores reach ~8 s.
constexpr uint64_t kStuckGraceNs = 10000000000ull;
// Wait storage for a split get (enough for lp_wait); a design needing more uses its plain get.
constexpr std::size_t kWaitBytes = 256;

// A get that may block, after a failed try_get, for any design: its split get (get_begin +
// get_finish) or its get_timeout, bounded by the deadline plus the stuck grace (LockPool's lp_get
// is lp_get_timeout(LP_FOREVER): the bound costs one clock read); for designs without a blocking
// get, try_get + yield as a user of a non-blocking pool would. LP_EFULL (MAX_WAITERS waiting) is
// counted and retried. `queued` (may be null: no FIFO record) is set when the design queued us;
// *joined is then our FIFO arrival: taken between the halves of a split get (after the design
// fixed our place in line), else just before the blocking get.
int blocking_get(Run &r, ThreadStats &s, uintptr_t *h, uint64_t deadline, bool *queued, FifoTracker::Arrival *joined) {
    const bool has_get = (r.d->flags & LPD_BLOCKING) != 0;
    const bool split = has_get && r.d->get_begin && r.d->wait_size <= kWaitBytes;
    alignas(LPD_ALIGN) unsigned char wait[kWaitBytes];
    for (;;) {
        const uint64_t now = now_ns();
        const uint64_t grace = std::max(kStuckGraceNs, 10 * r.run_ns);
        const uint64_t limit = (deadline > now ? deadline - now : 0) + grace;
        int st;
        if (split) {
            st = r.d->get_begin(r.self, wait, h);
            if (queued) *queued = st == LP_PENDING;
            if (st == LP_PENDING) {
                if (queued) *joined = r.fifo.arrive();
                st = r.d->get_finish(r.self, wait, h, limit);
            }
        } else {
            if (queued) {
                *queued = has_get;
                *joined = r.fifo.arrive();
            }
            st = has_get ? r.d->get_timeout(r.self, h, limit) : r.d->try_get(r.self, h);
        }
        if (st == LP_ETIMEDOUT) {
            std::fprintf(stderr, "[lockpool-bench] %s: a get is stuck %.1f s after the deadline (lost wake-up or convoy)\n",
                         r.c->name(r.threads).c_str(), static_cast<double>(grace) / 1e9);
            return LP_EINVAL;  // an error, not the normal end of the run
        }
        if (st == LP_OK) return LP_OK;
        if (st == LP_EFULL) ++s.efull;
        else if (!(st == LP_EMPTY && !has_get)) return st;
        if (now_ns() >= deadline) return LP_ETIMEDOUT;
        sched_yield();
    }
}
}  // namespace

void loop_try_get(Run &r, int thread, ThreadStats &s) {
    const lpd_design *d = r.d;
    void *self = r.self;
    const uint64_t deadline = r.deadline();
    for (uint64_t n = 0;; ++n) {
        const bool timed = n % kSampleEvery == 0;
        uint64_t t0 = 0;
        if (timed && (t0 = now_ns()) >= deadline) return;
        uintptr_t h = 0;
        for (;;) {
            ++s.attempts;
            const int st = d->try_get(self, &h);
            if (st == LP_OK) break;
            if (st != LP_EMPTY) {
                ++s.errors;
                return;
            }
            if (++s.empty % 64 == 0 && now_ns() >= deadline) return;
            cpu_relax();
        }
        if (timed) s.hist.record(now_ns() - t0);
        ++s.grants;
        if (r.reacquire.note_grant(h, thread)) ++s.reacquires;
        spin_iters(s.hold.next());
        if (d->put(self, h) != LP_OK) ++s.errors;
        ++s.ops;
        spin_iters(s.think.next());
    }
}

int timed_get(Run &r, int thread, ThreadStats &s, uint64_t deadline, uintptr_t *h, uint64_t *t0_out) {
    const bool fifo = r.fifo.measured();
    // The attempt's start: loaded before the timed get, so it costs the latency nothing.
    const uint64_t start = fifo ? r.fifo.arrivals_seen() : 0;
    const uint64_t t0 = now_ns();
    *t0_out = t0;
    if (t0 >= deadline) return LP_ETIMEDOUT;
    ++s.attempts;
    int st = r.d->try_get(r.self, h);
    bool waited = false;
    FifoTracker::Arrival joined;
    if (st == LP_EMPTY) {
        ++s.empty;
        st = blocking_get(r, s, h, deadline, fifo ? &waited : nullptr, &joined);
        if (st != LP_OK) {
            if (st != LP_ETIMEDOUT) ++s.errors;
            return st;
        }
    } else if (st != LP_OK) {
        ++s.errors;
        return st;
    }
    const uint64_t lat = now_ns() - t0;
    s.hist.record(lat);
    if (waited) s.max_wait_ns = std::max(s.max_wait_ns, lat);
    ++s.grants;
    if (fifo) r.fifo.note_grant(s.fifo_log, *h, start, waited, joined);
    if (r.reacquire.note_grant(*h, thread)) ++s.reacquires;
    return LP_OK;
}

void stamped_put(Run &r, ThreadStats &s, uintptr_t h) {
    if (r.fifo.stamped_put(s.release_log, h, [&] { return r.d->put(r.self, h); }) != LP_OK) ++s.errors;
}

void loop_blocking(Run &r, int thread, ThreadStats &s) {
    const uint64_t deadline = r.deadline();
    for (;;) {
        uintptr_t h = 0;
        uint64_t t0;
        if (timed_get(r, thread, s, deadline, &h, &t0) != LP_OK) return;
        spin_iters(s.hold.next());
        stamped_put(r, s, h);
        ++s.ops;
        spin_iters(s.think.next());
    }
}

// ---- registry ------------------------------------------------------------------------------

namespace {
std::vector<std::pair<const char *, Registrar>> &registrars() {
    static std::vector<std::pair<const char *, Registrar>> r;
    return r;
}
}  // namespace

bool add_workload(const char *name, Registrar registrar) {
    registrars().emplace_back(name, registrar);
    return true;
}

void register_all_workloads() {
    // Static-init order across files is unspecified: sort so the run order is the documented one.
    static const char *const kOrder[] = {"uncontended", "try_get_storm", "get_hold", "oversubscribed", "async",
                                         "sqlite_pool"};
    auto rank = [](const char *n) {
        for (std::size_t i = 0; i < sizeof kOrder / sizeof kOrder[0]; ++i)
            if (std::string(n) == kOrder[i]) return i;
        return sizeof kOrder / sizeof kOrder[0];
    };
    auto &r = registrars();
    std::stable_sort(r.begin(), r.end(), [&](const auto &a, const auto &b) { return rank(a.first) < rank(b.first); });
    for (const auto &w : r) w.second();
}

std::vector<const lpd_design *> all_designs() {
    std::size_t n = 0;
    const lpd_design *const *list = lpd_designs(&n);
    return std::vector<const lpd_design *>(list, list + n);
}

}  // namespace lpb
