// fairness.h — fairness statistics over per-thread amounts (operation counts, CPU time, rates).
#ifndef LP_BENCH_FAIRNESS_H
#define LP_BENCH_FAIRNESS_H

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

namespace lpb {

struct Fairness {
    double jain = 0;          // (sum x)^2 / (n * sum x^2), in [1/n, 1]; 0 if nobody did anything
    double minmax_share = 0;  // min x / max x; 0 if max is 0
    double cv = 0;            // population stddev / mean; 0 if the mean is 0
};

/** Over any non-negative per-thread amounts: operation counts, CPU nanoseconds, rates. */
template <class T>
Fairness fairness_of_values(const std::vector<T> &per_thread) {
    Fairness f;
    const double n = static_cast<double>(per_thread.size());
    if (per_thread.empty()) return f;
    double sum = 0, lo = 0, hi = 0;
    for (std::size_t i = 0; i < per_thread.size(); ++i) {
        const double v = static_cast<double>(per_thread[i]);
        sum += v;
        if (i == 0 || v < lo) lo = v;
        if (i == 0 || v > hi) hi = v;
    }
    if (hi > 0) f.minmax_share = lo / hi;
    const double mean = sum / n;
    if (mean > 0) {
        // Two passes: E[x^2] - mean^2 cancels catastrophically for large, nearly equal counts.
        double dev_sq = 0;
        for (const T &x : per_thread) {
            const double d = static_cast<double>(x) - mean;
            dev_sq += d * d;
        }
        f.cv = std::sqrt(dev_sq / n) / mean;
        // J = (sum x)^2 / (n sum x^2) = 1 / (1 + CV^2): computed from the two-pass CV, it is exactly
        // 1 for equal counts and never rounds above 1.
        f.jain = 1.0 / (1.0 + f.cv * f.cv);
    }
    return f;
}

inline Fairness fairness_of(const std::vector<uint64_t> &per_thread) { return fairness_of_values(per_thread); }

/** Each thread's operations per CPU-second, ops[i] / cpu_ns[i]: how evenly the design served the
 *  threads for the CPU time each was given, the scheduler's share of the unevenness factored out.
 *  A thread without CPU time (nothing measured) is left out; empty if the sizes differ. */
inline std::vector<double> ops_per_cpu_s(const std::vector<uint64_t> &ops, const std::vector<uint64_t> &cpu_ns) {
    std::vector<double> out;
    if (ops.size() != cpu_ns.size()) return out;
    for (std::size_t i = 0; i < ops.size(); ++i)
        if (cpu_ns[i] > 0) out.push_back(static_cast<double>(ops[i]) * 1e9 / static_cast<double>(cpu_ns[i]));
    return out;
}

}  // namespace lpb
#endif
