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
    "(Every instance is one time-bounded run: one iteration per thread, so --benchmark_min_time has no\n"
    "effect. GB's reported time is the run's time per get+put pair, so GB's compare.py compares throughput.)\n"
    "Exit status: 0 done (also when the filter selects only workloads this machine cannot measure, e.g.\n"
    "  get_hold_remote on one NUMA node: it says why), 1 the detail file could not be written at the end,\n"
    "  2 a bad flag, a filter that is not a regular expression, or one that matches no benchmark.\n";

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

// A whole number lo..hi in plain decimal digits (no sign, no blanks) at the start of `text`;
// *end: the first character after it.
bool parse_whole(const char *text, unsigned long lo, unsigned long hi, unsigned long *out, const char **end) {
    if (!std::isdigit(static_cast<unsigned char>(*text))) return false;
    char *after = nullptr;
    errno = 0;
    const unsigned long n = std::strtoul(text, &after, 10);
    *end = after;
    if (errno != 0 || n < lo || n > hi) return false;
    *out = n;
    return true;
}

// `text` is exactly one whole number lo..hi.
bool parse_one_whole(const std::string &text, unsigned long lo, unsigned long hi, unsigned long *out) {
    const char *end = nullptr;
    return parse_whole(text.c_str(), lo, hi, out, &end) && *end == '\0';
}

// `text` is a non-empty comma-separated list of whole numbers lo..hi.
bool parse_whole_list(const std::string &text, unsigned long lo, unsigned long hi, std::vector<unsigned long> *out) {
    out->clear();
    for (const char *p = text.c_str();;) {
        unsigned long n = 0;
        const char *end = nullptr;
        if (!parse_whole(p, lo, hi, &n, &end) || (*end != ',' && *end != '\0')) return false;
        out->push_back(n);
        if (*end == '\0') return true;
        p = end + 1;
    }
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
    std::string v;
    unsigned long n = 0;
    if (take_value(arg, "--benchmark_repetitions", &v) && !parse_one_whole(v, 1, 1000000, &n)) {
        *err = "--benchmark_repetitions must be a whole number 1..1000000, not '" + v + "'";
        return false;
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

// ---- our flags ------------------------------------------------------------------------------

// `value` of `flag` as a whole number lo..hi; else false and the reason ("FLAG must be lo..hi",
// then `note`).
bool whole_value(const char *flag, const std::string &value, unsigned long lo, unsigned long hi, const char *note,
                 unsigned long *n, std::string *err) {
    if (parse_one_whole(value, lo, hi, n)) return true;
    *err = std::string(flag) + " must be " + std::to_string(lo) + ".." + std::to_string(hi) + note;
    return false;
}

// Each setter reads the value of one flag into the options; false with the one-line reason.
using Setter = bool (*)(const std::string &value, Options &opt, std::string *err);

bool set_pin(const std::string &v, Options &opt, std::string *err) { return parse_pin_policy(v, &opt.pin, err); }

bool set_mem(const std::string &v, Options &opt, std::string *err) { return parse_mem_policy(v, &opt.mem, err); }

bool set_run_ms(const std::string &v, Options &opt, std::string *err) {
    unsigned long ms = 0;
    if (!whole_value("--run_ms", v, 1, 3600000, "", &ms, err)) return false;
    opt.run_ms = ms;
    opt.run_ms_given = true;
    return true;
}

bool set_detail_out(const std::string &v, Options &opt, std::string *err) {
    // Found out now, not after a run whose details would be lost (the file is rewritten at the end).
    if (v.empty() || !std::ofstream(v, std::ios::app)) {
        *err = "--lp_detail_out=" + v + ": cannot write that file";
        return false;
    }
    opt.detail_out = v;
    return true;
}

bool set_slots(const std::string &v, Options &opt, std::string *err) {
    std::vector<unsigned long> list;
    if (!parse_whole_list(v, 1, LP_MAX_SLOTS, &list)) {
        *err = "--lp_slots wants values 1.." + std::to_string(LP_MAX_SLOTS) + ", e.g. 4 or 1,2,4,8";
        return false;
    }
    opt.slots.assign(list.begin(), list.end());
    return true;
}

bool set_waiters(const std::string &v, Options &opt, std::string *err) {
    unsigned long n = 0;
    if (!whole_value("--lp_waiters", v, 1, LP_MAX_WAITERS, "", &n, err)) return false;
    opt.waiters = static_cast<uint32_t>(n);
    return true;
}

bool set_threads(const std::string &v, Options &opt, std::string *err) {
    std::vector<unsigned long> list;
    if (!parse_whole_list(v, 1, 1024, &list)) {
        *err = "--lp_threads wants a list of 1..1024 like 2,8,32";
        return false;
    }
    opt.threads.assign(list.begin(), list.end());
    return true;
}

bool set_retry_wakes(const std::string &v, Options &opt, std::string *err) {
    unsigned long n = 0;
    if (!whole_value("--lp_retry_wakes", v, 0, 65535, " (0: no limit)", &n, err)) return false;
    opt.retry_wakes = static_cast<int>(n);
    return true;
}

bool set_bypass_turns(const std::string &v, Options &opt, std::string *err) {
    unsigned long n = 0;
    if (!whole_value("--lp_bypass_turns", v, 1, 1000000, "", &n, err)) return false;
    opt.bypass_bound = static_cast<uint32_t>(n);
    return true;
}

bool set_hold(const std::string &v, Options &opt, std::string *err) {
    if (!parse_dist(v, &opt.hold, err)) {
        *err = "--hold: " + *err;
        return false;
    }
    opt.hold_given = true;
    return true;
}

bool set_think(const std::string &v, Options &opt, std::string *err) {
    if (!parse_dist(v, &opt.think, err)) {
        *err = "--think: " + *err;
        return false;
    }
    opt.think_given = true;
    return true;
}

bool set_sqlite_mix(const std::string &v, Options &opt, std::string *err) {
    if (parse_sqlite_mix(v, &opt.sqlite_mix, err)) return true;
    *err = "--lp_sqlite_mix: " + *err;
    return false;
}

// Our flags that take a value (--NAME=VALUE); kUsage documents each one.
const struct {
    const char *name;
    Setter set;
} kValueFlags[] = {
    {"--pin", set_pin},
    {"--mem", set_mem},
    {"--run_ms", set_run_ms},
    {"--lp_detail_out", set_detail_out},
    {"--lp_slots", set_slots},
    {"--lp_waiters", set_waiters},
    {"--lp_threads", set_threads},
    {"--lp_retry_wakes", set_retry_wakes},
    {"--lp_bypass_turns", set_bypass_turns},
    {"--hold", set_hold},
    {"--think", set_think},
    {"--lp_sqlite_mix", set_sqlite_mix},
};

// One command-line argument: ours sets the options, any other goes on to Google Benchmark
// (checked first where GB would take a bad value). false with the reason for a bad one.
bool take_argument(char *arg, Options &opt, std::vector<char *> *gb_args, std::string *err) {
    for (const auto &flag : kValueFlags) {
        std::string value;
        if (take_value(arg, flag.name, &value)) return flag.set(value, opt, err);
    }
    if (std::strcmp(arg, "--quick") == 0) {
        opt.quick = true;
        return true;
    }
    if (std::strcmp(arg, "--help") == 0 || std::strcmp(arg, "-h") == 0) std::fputs(kUsage, stdout);  // then GB's
    if (!check_gb_flag(arg, err)) return false;
    if (std::strncmp(arg, "--benchmark_min_time", 20) == 0)
        std::fprintf(stderr, "lockpool-bench: ignoring --benchmark_min_time: each instance is one run of --run_ms\n");
    gb_args->push_back(arg);
    return true;
}

// Every argument into options() and *gb_args (argv[0] first, nullptr last, as GB's Initialize
// wants them); false with the reason for the first bad one.
bool parse_command_line(int argc, char **argv, std::vector<char *> *gb_args, std::string *err) {
    Options &opt = options();
    gb_args->assign(1, argv[0]);
    for (int i = 1; i < argc; ++i)
        if (!take_argument(argv[i], opt, gb_args, err)) return false;
    if (opt.quick && !opt.run_ms_given) opt.run_ms = 25;
    gb_args->push_back(nullptr);
    return true;
}

// --pin and --mem against this machine's topology (before any benchmark thread exists).
bool check_placement_flags(Machine &m, std::string *err) {
    const Options &opt = options();
    std::vector<int> plan;
    std::string why;
    if (!plan_placement(m.topology(), opt.pin, 1, &plan, &why)) {
        *err = "--pin=" + opt.pin.str() + ": " + why;
        return false;
    }
    if (!check_mem_policy(m.topology(), opt.mem, &why)) {
        *err = "--mem=" + opt.mem.str() + ": " + why;
        return false;
    }
    return true;
}

// ---- the run's context ------------------------------------------------------------------------

// Where --mem puts storage, as found on a probe placed like thread 0's: the policy and the
// nodes its pages landed on. 16 pages, so an interleaved probe shows its pages spread.
std::string probe_mem_policy(Machine &m, const std::vector<int> &plan) {
    const Options &opt = options();
    Machine::Region probe = m.alloc(16 * static_cast<std::size_t>(sysconf(_SC_PAGESIZE)), opt.mem,
                                    plan.empty() ? -1 : plan[0]);
    const std::string where = probe.node_os >= 0 ? " (first page on node " + std::to_string(probe.node_os) +
                                                       "; pages on nodes " + probe.nodes + ")"
                                                 : " (page location unknown: move_pages failed)";
    m.free(probe);
    return probe.how + where;
}

std::string compiler() {
    return std::string(
#if defined(__clang__)
        "clang "
#elif defined(__GNUC__)
        "gcc "
#endif
        __VERSION__);
}

// The machine and the build: what a result depends on besides the code under test.
void add_machine_context(Machine &m, const std::vector<int> &plan, const std::string &mem_policy) {
    benchmark::AddCustomContext("lp_pin_policy", options().pin.str());
    benchmark::AddCustomContext("lp_placement", placement_string(plan));
    benchmark::AddCustomContext("lp_mem_policy", mem_policy);
    benchmark::AddCustomContext("lp_topology", m.topology().summary());
    benchmark::AddCustomContext("lp_numa_nodes", m.topology().numa_string());
    benchmark::AddCustomContext("lp_cpu_model", cpu_model());
    benchmark::AddCustomContext("lp_compiler", compiler());
    benchmark::AddCustomContext("lp_build_flags", LP_BENCH_BUILD_FLAGS);
    benchmark::AddCustomContext("lp_git_commit", git_commit());
    benchmark::AddCustomContext("lp_governor", governor());
    benchmark::AddCustomContext("lp_clock_overhead_ns", std::to_string(clock_overhead_ns()));
    benchmark::AddCustomContext("lp_spin_calibration", calibration_summary());
    benchmark::AddCustomContext("lp_allocator", allocator());
}

// The run's settings (our flags, defaults spelled out).
void add_run_context(const Options &opt) {
    benchmark::AddCustomContext("lp_quick", opt.quick ? "1" : "0");
    benchmark::AddCustomContext("lp_run_ms", std::to_string(opt.run_ms));
    benchmark::AddCustomContext("lp_retry_wakes", opt.retry_wakes < 0 ? std::string("default (") +
                                    std::to_string(LP_RETRY_WAKES_DEFAULT) + ")" : std::to_string(opt.retry_wakes));
    benchmark::AddCustomContext("lp_hold", opt.hold_given ? opt.hold.spec : "per case (fixed, as named)");
    benchmark::AddCustomContext("lp_think", opt.think_given ? opt.think.spec : "per case (fixed, as named)");
    benchmark::AddCustomContext("lp_work_seed", std::to_string(kWorkSeed));
    benchmark::AddCustomContext("lp_sqlite_mix", opt.sqlite_mix.str());
}

// The designs of this build: what they are and what they promise.
void add_design_context() {
    benchmark::AddCustomContext("lp_designs_skipped", lpd_skipped());
    benchmark::AddCustomContext("lp_design_flags", design_flags_json());
    benchmark::AddCustomContext("lp_design_summaries", design_summaries_json());
    benchmark::AddCustomContext("lp_design_params", design_params_json());
}

void announce(Machine &m, const std::vector<int> &plan, const std::string &mem_policy) {
    const Options &opt = options();
    std::fprintf(stderr, "[lockpool-bench] pin=%s mem=%s run_ms=%llu topology: %s\n", opt.pin.str().c_str(),
                 mem_policy.c_str(), static_cast<unsigned long long>(opt.run_ms), m.topology().summary().c_str());
    std::fprintf(stderr, "[lockpool-bench] placement (max threads): %s\n", placement_string(plan).c_str());
    std::fprintf(stderr, "[lockpool-bench] spin calibration: %s\n", calibration_summary().c_str());
}

// ---- running ------------------------------------------------------------------------------------

// Every selected benchmark, then the detail file; the exit status (see kUsage).
int run_selected(const BenchmarkFilter &filter) {
    const std::size_t matched = benchmark::RunSpecifiedBenchmarks();
    std::string unmeasured_why;
    if (matched == 0 && filter_selects_unmeasured(filter, &unmeasured_why)) {
        // Nothing to run because the machine cannot measure it: an answer, not a usage error.
        std::fprintf(stderr, "lockpool-bench: nothing to run: %s\n", unmeasured_why.c_str());
        return 0;
    }
    if (matched == 0) {
        // GB says so on stderr and exits 0; a run that measured nothing must not pass for one.
        std::fprintf(stderr, "lockpool-bench: no benchmark matches --benchmark_filter=%s (a workload or design name "
                             "that does not exist?); --benchmark_list_tests lists them\n",
                     benchmark::GetBenchmarkFilter().c_str());
        return 2;
    }
    const std::string drift = calibration_drift();
    if (!drift.empty())
        std::fprintf(stderr, "[lockpool-bench] warning: spin calibration drifted (%s): this process's hold/think "
                             "times were not what the case names say; compare its results with care\n", drift.c_str());
    const std::string &detail_out = options().detail_out;
    if (!detail_out.empty() && !write_detail_file(detail_out, drift)) {
        std::fprintf(stderr, "lockpool-bench: --lp_detail_out=%s: writing it failed\n", detail_out.c_str());
        return 1;
    }
    return 0;
}

int usage_error(const std::string &what) {
    std::fprintf(stderr, "lockpool-bench: %s\n", what.c_str());
    return 2;
}

}  // namespace

int main(int argc, char **argv) {
    std::vector<char *> gb_args;
    std::string err;
    if (!parse_command_line(argc, argv, &gb_args, &err)) return usage_error(err);
    Machine &m = machine();  // load the topology before any benchmark thread exists
    if (!check_placement_flags(m, &err)) return usage_error(err);
    int gb_argc = static_cast<int>(gb_args.size()) - 1;
    benchmark::Initialize(&gb_argc, gb_args.data());
    if (benchmark::ReportUnrecognizedArguments(gb_argc, gb_args.data())) return 2;
    BenchmarkFilter filter;
    if (!filter.compile(benchmark::GetBenchmarkFilter(), &err))
        return usage_error("--benchmark_filter=" + benchmark::GetBenchmarkFilter() + ": " + err);

    register_all_workloads();
    for (uint64_t ns : registered_work_ns()) calibrated_iters(ns);  // up front, so no run pays for it
    std::vector<int> plan;
    plan_placement(m.topology(), options().pin, max_registered_threads(), &plan, &err);
    const std::string mem_policy = probe_mem_policy(m, plan);
    add_machine_context(m, plan, mem_policy);
    add_run_context(options());
    add_design_context();
    announce(m, plan, mem_policy);

    const int status = run_selected(filter);
    benchmark::Shutdown();
    return status;
}
