// fairness.h — fairness statistics over per-thread operation counts.
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

inline Fairness fairness_of(const std::vector<uint64_t> &per_thread) {
    Fairness f;
    const double n = static_cast<double>(per_thread.size());
    if (per_thread.empty()) return f;
    double sum = 0;
    uint64_t lo = UINT64_MAX, hi = 0;
    for (uint64_t x : per_thread) {
        const double v = static_cast<double>(x);
        sum += v;
        if (x < lo) lo = x;
        if (x > hi) hi = x;
    }
    if (hi > 0) f.minmax_share = static_cast<double>(lo) / static_cast<double>(hi);
    const double mean = sum / n;
    if (mean > 0) {
        // Two passes: E[x^2] - mean^2 cancels catastrophically for large, nearly equal counts.
        double dev_sq = 0;
        for (uint64_t x : per_thread) {
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

}  // namespace lpb
#endif
