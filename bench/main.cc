// main.cc — lockpool-bench: Google Benchmark's flags plus ours, context, then every workload.
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include <unistd.h>

#include "harness.h"

#ifdef LP_BENCH_JEMALLOC
#include <jemalloc/jemalloc.h>
#endif

#ifndef LP_BENCH_BUILD_FLAGS
#define LP_BENCH_BUILD_FLAGS "unknown"
#endif
#ifndef LP_BENCH_SOURCE_DIR
#define LP_BENCH_SOURCE_DIR "."
#endif

using namespace lpb;

namespace {

const char kUsage[] =
    "lockpool-bench [Google Benchmark flags] [lockpool flags]\n"
    "  --pin=compact|scatter|numa:K|none  thread placement policy (default compact)\n"
    "  --pin=cpus:LIST                    thread i on the i-th CPU of LIST, e.g. 0,2,4-7 (wraps around)\n"
    "  --mem=local|interleave|node:K      design storage: on the NUMA node of thread 0 (default), interleaved\n"
    "                                     over all nodes, or on node K (hwloc logical index, as numa:K)\n"
    "  --run_ms=N                         length of each run in ms (default 1000; 25 with --quick)\n"
    "  --quick                            the CI smoke set (fewer thread counts, short runs)\n"
    "  --lp_detail_out=FILE               merged latency histograms and per-thread ops, as JSON\n"
    "  --lp_slots=S[,S2,...] --lp_waiters=W  override SLOTS / MAX_WAITERS of every case (tuning sweeps;\n"
    "                                     several SLOTS: every case once per value)\n"
    "  --lp_threads=T1,T2,...             override the thread counts of every case (tuning sweeps)\n"
    "  --lp_retry_wakes=N                 setting retry_wakes (lp_set_retry_wakes) of every design that has\n"
    "                                     one (lp_design_params in the context lists them; 0: no limit)\n"
    "  --lp_bypass_turns=N                setting bypass_bound (lp_set_bypass_bound: lockpool, RESTRICTED) of\n"
    "                                     every design that has one, N = 1..1000000\n"
    "  --hold=SPEC --think=SPEC           replace every case's hold / think time (ns) by SPEC: N (fixed),\n"
    "                                     exp:MEAN, lognormal:MEDIAN,SIGMA or bimodal:SHORT,LONG,P (LONG with\n"
    "                                     probability P); sampled per thread from a seeded generator before\n"
    "                                     the run; names carry the mean. --hold does not apply to sqlite_pool\n"
    "                                     (its hold is the query)\n"
    "  --lp_sqlite_mix=select:P,update:P,range:P  sqlite_pool's query mix in percent (default select:90,update:10)\n"
    "Useful Google Benchmark flags: --benchmark_filter=REGEX --benchmark_out=F.json\n"
    "  --benchmark_out_format=json --benchmark_format=console|json|csv --benchmark_repetitions=N (>= 1)\n"
    "  --benchmark_list_tests\n"
    "(--benchmark_min_time is set by lockpool-bench: every instance is one time-bounded run. GB's reported\n"
    "time is the run's time per get+put pair, so GB's compare.py compares throughput.)\n"
    "Exit status: 0 done (also when the filter selects only workloads this machine cannot measure, e.g.\n"
    "  get_hold_remote on one NUMA node: it says why), 2 a bad flag or a filter that matches no benchmark.\n";

bool take_value(const char *arg, const char *flag, std::string *value) {
    const std::size_t n = std::strlen(flag);
    if (std::strncmp(arg, flag, n) != 0 || arg[n] != '=') return false;
    *value = arg + n + 1;
    return true;
}

std::string read_first_line(const char *path) {
    std::ifstream in(path);
    std::string line;
    if (in && std::getline(in, line)) return line;
    return "";
}

std::string cpu_model() {
    std::ifstream in("/proc/cpuinfo");
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("model name", 0) == 0 || line.rfind("Model", 0) == 0) {
            const std::size_t colon = line.find(':');
            if (colon != std::string::npos) return line.substr(colon + 2);
        }
    }
    return "unknown";
}

std::string git_commit() {
    // At run time, so a rebuilt-but-not-reconfigured tree still reports the right commit.
    const std::string cmd = "git -C '" + std::string(LP_BENCH_SOURCE_DIR) +
                            "' describe --always --dirty --abbrev=40 --match=NeVeRmAtCh 2>/dev/null";
    std::string out;
    if (FILE *p = popen(cmd.c_str(), "r")) {
        char buf[128];
        if (std::fgets(buf, sizeof buf, p)) out = buf;
        pclose(p);
    }
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
    if (out.empty()) {
        // A tree without .git (a container image): the commit it was built from, if the build said.
        const char *env = std::getenv("LP_GIT_COMMIT");
        if (env && *env) out = env;
    }
    return out.empty() ? "unknown" : out;
}

// Each design's promises (the registry's LPD_* flags) as one JSON object, so scripts judge a
// design by what it promises (e.g. FIFO) and a new design needs no script change.
std::string design_flags_json() {
    std::string out = "{";
    for (const lpd_design *d : all_designs()) {
        out += (out.size() > 1 ? ", \"" : "\"") + std::string(d->name) + "\": [";
        bool first = true;
        for (unsigned bit = 1; bit != 0; bit <<= 1) {
            const char *name = (d->flags & bit) ? lpd_flag_name(bit) : nullptr;
            if (!name) continue;
            out += (first ? "\"" : ", \"") + std::string(name) + "\"";
            first = false;
        }
        out += "]";
    }
    return out + "}";
}

// A JSON string literal (summaries are prose: quotes and backslashes escaped, control bytes dropped).
std::string json_string(const char *s) {
    std::string out = "\"";
    for (; s && *s; s++) {
        if (*s == '"' || *s == '\\') out += '\\';
        if (static_cast<unsigned char>(*s) >= 0x20) out += *s;
    }
    return out + "\"";
}

// Each design's one-line summary (the registry's `summary`), so a report says what a design is
// in the words of the code that implements it.
std::string design_summaries_json() {
    std::string out = "{";
    for (const lpd_design *d : all_designs())
        out += (out.size() > 1 ? ", " : "") + json_string(d->name) + ": " + json_string(d->summary);
    return out + "}";
}

// Each design's settings (the registry's params: LockPool's mode, bypass bound, retry wakes,
// fairness bound), as this run applies them (--lp_* overrides included): a JSON object of
// objects, {"lockpool": {"mode": "RESTRICTED", "bypass_bound": 64, ...}, "pthread": {}, ...}.
std::string design_params_json() {
    std::string out = "{";
    for (const lpd_design *d : all_designs()) {
        out += (out.size() > 1 ? ", " : "") + json_string(d->name) + ": {";
        bool first = true;
        for (const lpd_param &p : design_params(d)) {
            out += (first ? "" : ", ") + json_string(p.name) + ": " +
                   (p.text ? json_string(p.text) : std::to_string(p.num));
            first = false;
        }
        out += "}";
    }
    return out + "}";
}

// Google Benchmark flags whose bad values GB itself does not reject (a negative repetition
// count dies in std::vector::reserve; an unknown format prints GB's usage and exits 0).
// Returns false with a message for a bad value.
bool check_gb_flag(const char *arg, std::string *err) {
    for (const char *flag : {"--benchmark_format", "--benchmark_out_format"}) {
        std::string v;
        if (take_value(arg, flag, &v) && v != "console" && v != "json" && v != "csv") {
            *err = std::string(flag) + " must be console, json or csv, not '" + v + "'";
            return false;
        }
    }
    static const char *const kPositiveInts[] = {"--benchmark_repetitions"};
    for (const char *flag : kPositiveInts) {
        std::string v;
        if (!take_value(arg, flag, &v)) continue;
        char *end = nullptr;
        errno = 0;
        const long n = std::strtol(v.c_str(), &end, 10);
        if (v.empty() || *end != '\0' || errno != 0 || n < 1 || n > 1000000) {
            *err = std::string(flag) + " must be a whole number 1..1000000, not '" + v + "'";
            return false;
        }
    }
    return true;
}

std::string governor() {
    const std::string g = read_first_line("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor");
    return g.empty() ? "unavailable (no cpufreq: VM or container)" : g;
}

std::string allocator() {
#ifdef LP_BENCH_JEMALLOC
    const char *version = nullptr;
    std::size_t len = sizeof version;
    if (mallctl("version", &version, &len, nullptr, 0) == 0 && version) return std::string("jemalloc ") + version;
    return "jemalloc";
#else
    return "libc malloc (jemalloc not linked: sanitizer build or not found)";
#endif
}

}  // namespace

int main(int argc, char **argv) {
    Options &opt = options();
    std::vector<char *> gb_args{argv[0]};
    bool user_min_time = false;
    for (int i = 1; i < argc; ++i) {
        std::string v;
        const char *a = argv[i];
        if (take_value(a, "--pin", &v)) {
            std::string err;
            if (!parse_pin_policy(v, &opt.pin, &err)) {
                std::fprintf(stderr, "lockpool-bench: %s\n", err.c_str());
                return 2;
            }
        } else if (take_value(a, "--mem", &v)) {
            std::string err;
            if (!parse_mem_policy(v, &opt.mem, &err)) {
                std::fprintf(stderr, "lockpool-bench: %s\n", err.c_str());
                return 2;
            }
        } else if (take_value(a, "--run_ms", &v)) {
            char *end = nullptr;
            const unsigned long long ms = std::strtoull(v.c_str(), &end, 10);
            if (*end != '\0' || ms == 0 || ms > 3600000) {
                std::fprintf(stderr, "lockpool-bench: --run_ms must be 1..3600000\n");
                return 2;
            }
            opt.run_ms = ms;
            opt.run_ms_given = true;
        } else if (std::strcmp(a, "--quick") == 0) {
            opt.quick = true;
        } else if (take_value(a, "--lp_detail_out", &v)) {
            opt.detail_out = v;
        } else if (take_value(a, "--lp_slots", &v)) {
            opt.slots.clear();
            for (const char *p = v.c_str(); *p;) {
                char *end = nullptr;
                const long n = std::isdigit(static_cast<unsigned char>(*p)) ? std::strtol(p, &end, 10) : -1;
                if (n < 1 || n > LP_MAX_SLOTS || (*end != ',' && *end != '\0')) {
                    std::fprintf(stderr, "lockpool-bench: --lp_slots wants values 1..65535, e.g. 4 or 1,2,4,8\n");
                    return 2;
                }
                opt.slots.push_back(static_cast<uint32_t>(n));
                p = *end ? end + 1 : end;
            }
            if (opt.slots.empty()) {
                std::fprintf(stderr, "lockpool-bench: --lp_slots wants values 1..65535, e.g. 4 or 1,2,4,8\n");
                return 2;
            }
        } else if (take_value(a, "--lp_waiters", &v)) {
            char *end = nullptr;
            const unsigned long n = std::strtoul(v.c_str(), &end, 10);
            if (v.empty() || *end != '\0' || n == 0 || n > LP_MAX_WAITERS) {
                std::fprintf(stderr, "lockpool-bench: --lp_waiters must be 1..65535\n");
                return 2;
            }
            opt.waiters = static_cast<uint32_t>(n);
        } else if (take_value(a, "--lp_retry_wakes", &v)) {
            char *end = nullptr;
            const unsigned long n = std::strtoul(v.c_str(), &end, 10);
            if (v.empty() || *end != '\0' || n > 65535) {
                std::fprintf(stderr, "lockpool-bench: --lp_retry_wakes must be 0..65535 (0: no limit)\n");
                return 2;
            }
            opt.retry_wakes = static_cast<int>(n);
        } else if (take_value(a, "--lp_bypass_turns", &v)) {
            char *end = nullptr;
            const unsigned long n = std::isdigit(static_cast<unsigned char>(v[0])) ? std::strtoul(v.c_str(), &end, 10) : 0;
            if (n == 0 || *end != '\0' || n > 1000000) {
                std::fprintf(stderr, "lockpool-bench: --lp_bypass_turns must be 1..1000000\n");
                return 2;
            }
            opt.bypass_bound = static_cast<uint32_t>(n);
        } else if (take_value(a, "--hold", &v) || take_value(a, "--think", &v)) {
            const bool hold = std::strncmp(a, "--hold", 6) == 0;
            std::string err;
            if (!parse_dist(v, hold ? &opt.hold : &opt.think, &err)) {
                std::fprintf(stderr, "lockpool-bench: %s: %s\n", hold ? "--hold" : "--think", err.c_str());
                return 2;
            }
            (hold ? opt.hold_given : opt.think_given) = true;
        } else if (take_value(a, "--lp_sqlite_mix", &v)) {
            std::string err;
            if (!parse_sqlite_mix(v, &opt.sqlite_mix, &err)) {
                std::fprintf(stderr, "lockpool-bench: --lp_sqlite_mix: %s\n", err.c_str());
                return 2;
            }
        } else if (take_value(a, "--lp_threads", &v)) {
            opt.threads.clear();
            for (const char *p = v.c_str(); *p;) {
                char *end = nullptr;
                const long t = std::strtol(p, &end, 10);
                if (end == p || t < 1 || t > 1024 || (*end != ',' && *end != '\0')) {
                    std::fprintf(stderr, "lockpool-bench: --lp_threads wants a list like 2,8,32\n");
                    return 2;
                }
                opt.threads.push_back(static_cast<int>(t));
                p = *end ? end + 1 : end;
            }
        } else {
            if (std::strcmp(a, "--help") == 0 || std::strcmp(a, "-h") == 0) std::fputs(kUsage, stdout);
            std::string err;
            if (!check_gb_flag(a, &err)) {
                std::fprintf(stderr, "lockpool-bench: %s\n", err.c_str());
                return 2;
            }
            if (std::strncmp(a, "--benchmark_min_time", 20) == 0) user_min_time = true;
            gb_args.push_back(argv[i]);
        }
    }
    if (opt.quick && !opt.run_ms_given) opt.run_ms = 25;
    if (user_min_time)
        std::fprintf(stderr, "lockpool-bench: ignoring --benchmark_min_time: each instance is one run of --run_ms\n");
    // Last flag wins in GB's parser: one iteration per thread, however short the run.
    static char min_time_flag[] = "--benchmark_min_time=0.000000001";
    gb_args.push_back(min_time_flag);
    gb_args.push_back(nullptr);
    int gb_argc = static_cast<int>(gb_args.size()) - 1;

    Machine &m = machine();  // load the topology before any benchmark thread exists
    std::vector<int> plan;
    std::string err;
    if (!plan_placement(m.topology(), opt.pin, 1, &plan, &err)) {
        std::fprintf(stderr, "lockpool-bench: --pin=%s: %s\n", opt.pin.str().c_str(), err.c_str());
        return 2;
    }
    if (!check_mem_policy(m.topology(), opt.mem, &err)) {
        std::fprintf(stderr, "lockpool-bench: --mem=%s: %s\n", opt.mem.str().c_str(), err.c_str());
        return 2;
    }

    benchmark::Initialize(&gb_argc, gb_args.data());
    if (benchmark::ReportUnrecognizedArguments(gb_argc, gb_args.data())) return 2;

    register_all_workloads();

    // Calibrate every hold/think length up front, once, so no run pays for it.
    for (uint64_t ns : registered_work_ns()) calibrated_iters(ns);

    plan_placement(m.topology(), opt.pin, max_registered_threads(), &plan, &err);
    // 16 pages, so an interleaved probe shows its pages spread over the nodes.
    Machine::Region probe = m.alloc(16 * static_cast<std::size_t>(sysconf(_SC_PAGESIZE)), opt.mem, plan.empty() ? -1 : plan[0]);
    const std::string mem_policy =
        probe.how + (probe.node_os >= 0 ? " (first page on node " + std::to_string(probe.node_os) + "; pages on nodes " +
                                              probe.nodes + ")"
                                        : " (page location unknown: move_pages failed)");
    m.free(probe);

    benchmark::AddCustomContext("lp_pin_policy", opt.pin.str());
    benchmark::AddCustomContext("lp_placement", placement_string(plan));
    benchmark::AddCustomContext("lp_mem_policy", mem_policy);
    benchmark::AddCustomContext("lp_topology", m.topology().summary());
    benchmark::AddCustomContext("lp_numa_nodes", m.topology().numa_string());
    benchmark::AddCustomContext("lp_cpu_model", cpu_model());
    benchmark::AddCustomContext("lp_compiler", std::string(
#if defined(__clang__)
        "clang "
#elif defined(__GNUC__)
        "gcc "
#endif
        __VERSION__));
    benchmark::AddCustomContext("lp_build_flags", LP_BENCH_BUILD_FLAGS);
    benchmark::AddCustomContext("lp_git_commit", git_commit());
    benchmark::AddCustomContext("lp_governor", governor());
    benchmark::AddCustomContext("lp_quick", opt.quick ? "1" : "0");
    benchmark::AddCustomContext("lp_run_ms", std::to_string(opt.run_ms));
    benchmark::AddCustomContext("lp_retry_wakes", opt.retry_wakes < 0 ? std::string("default (") +
                                    std::to_string(LP_RETRY_WAKES_DEFAULT) + ")" : std::to_string(opt.retry_wakes));
    benchmark::AddCustomContext("lp_hold", opt.hold_given ? opt.hold.spec : "per case (fixed, as named)");
    benchmark::AddCustomContext("lp_think", opt.think_given ? opt.think.spec : "per case (fixed, as named)");
    benchmark::AddCustomContext("lp_work_seed", std::to_string(kWorkSeed));
    benchmark::AddCustomContext("lp_sqlite_mix", opt.sqlite_mix.str());
    benchmark::AddCustomContext("lp_clock_overhead_ns", std::to_string(clock_overhead_ns()));
    benchmark::AddCustomContext("lp_spin_calibration", calibration_summary());
    benchmark::AddCustomContext("lp_allocator", allocator());
    benchmark::AddCustomContext("lp_designs_skipped", lpd_skipped());
    benchmark::AddCustomContext("lp_design_flags", design_flags_json());
    benchmark::AddCustomContext("lp_design_summaries", design_summaries_json());
    benchmark::AddCustomContext("lp_design_params", design_params_json());

    std::fprintf(stderr, "[lockpool-bench] pin=%s mem=%s run_ms=%llu topology: %s\n", opt.pin.str().c_str(),
                 mem_policy.c_str(), static_cast<unsigned long long>(opt.run_ms), m.topology().summary().c_str());
    std::fprintf(stderr, "[lockpool-bench] placement (max threads): %s\n", placement_string(plan).c_str());
    std::fprintf(stderr, "[lockpool-bench] spin calibration: %s\n", calibration_summary().c_str());

    const std::size_t matched = benchmark::RunSpecifiedBenchmarks();
    std::string unmeasured_why;
    if (matched == 0 && filter_selects_unmeasured(benchmark::GetBenchmarkFilter(), &unmeasured_why)) {
        // Nothing to run because the machine cannot measure it: an answer, not a usage error.
        std::fprintf(stderr, "lockpool-bench: nothing to run: %s\n", unmeasured_why.c_str());
        benchmark::Shutdown();
        return 0;
    }
    if (matched == 0) {
        // GB says so on stderr and exits 0; a run that measured nothing must not pass for one.
        std::fprintf(stderr, "lockpool-bench: no benchmark matches --benchmark_filter=%s (a workload or design name "
                             "that does not exist?); --benchmark_list_tests lists them\n",
                     benchmark::GetBenchmarkFilter().c_str());
        benchmark::Shutdown();
        return 2;
    }
    const std::string drift = calibration_drift();
    if (!drift.empty())
        std::fprintf(stderr, "[lockpool-bench] warning: spin calibration drifted (%s): this process's hold/think "
                             "times were not what the case names say; compare its results with care\n", drift.c_str());
    benchmark::Shutdown();
    if (!opt.detail_out.empty()) write_detail_file(opt.detail_out, drift);
    return 0;
}
