// histogram.h — a small log-linear (HDR-style) latency histogram for the harness.
//
// Values are non-negative integers (ns). Values below kSubBuckets are counted exactly; above,
// each power-of-two range [2^m, 2^(m+1)) is split into kHalf equal buckets, so a bucket's width
// is at most 1/kHalf of its lower bound: every reported quantile is the upper bound of the bucket
// holding the exact order statistic, at most 0.8% above it (2-3 significant digits). The
// exact max is tracked on the side, and quantiles are clamped to it, so p50 <= p99 <= max.
//
// One instance per thread (no atomics: record() is a plain increment); merge() afterwards.
#ifndef LP_BENCH_HISTOGRAM_H
#define LP_BENCH_HISTOGRAM_H

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace lpb {

class Hist {
public:
    static constexpr unsigned kSubBits = 8;
    static constexpr uint64_t kSubBuckets = uint64_t{1} << kSubBits;  // exact below this
    static constexpr uint64_t kHalf = kSubBuckets / 2;                // buckets per octave above
    static constexpr std::size_t kBuckets = kSubBuckets + (64 - kSubBits) * kHalf;

    Hist();

    void record(uint64_t value) {
        ++counts_[index_of(value)];
        ++total_;
        if (value > max_) max_ = value;
        if (value < min_) min_ = value;
    }
    void merge(const Hist &other);
    void reset();

    uint64_t total() const { return total_; }
    uint64_t max() const { return total_ ? max_ : 0; }
    uint64_t min() const { return total_ ? min_ : 0; }

    /** Smallest bucket upper bound covering a fraction q (0 < q <= 1) of the values, clamped to
     *  max(); 0 when empty. q = 0.5 is the median (nearest-rank definition). */
    uint64_t quantile(double q) const;

    /** Non-empty buckets as (inclusive upper bound, count), ascending. */
    std::vector<std::pair<uint64_t, uint64_t>> buckets() const;

    static std::size_t index_of(uint64_t value);
    static uint64_t upper_bound_of(std::size_t index);
    static uint64_t lower_bound_of(std::size_t index);

private:
    std::vector<uint64_t> counts_;
    uint64_t total_ = 0;
    uint64_t max_ = 0;
    uint64_t min_ = UINT64_MAX;
};

}  // namespace lpb
#endif
