// histogram.cc — see histogram.h for the bucket layout and its error bound.
#include "histogram.h"

#include <cmath>

namespace lpb {

Hist::Hist() : counts_(kBuckets, 0) {}

std::size_t Hist::index_of(uint64_t value) {
    if (value < kSubBuckets) return static_cast<std::size_t>(value);
    // Octave m = floor(log2 value) >= kSubBits; shift so the value keeps kSubBits significant bits,
    // the top one always set: (value >> shift) is in [kHalf, kSubBuckets).
    const unsigned m = 63u - static_cast<unsigned>(__builtin_clzll(value));
    const unsigned shift = m - (kSubBits - 1);
    const uint64_t sub = (value >> shift) - kHalf;
    return static_cast<std::size_t>(kSubBuckets + (shift - 1) * kHalf + sub);
}

uint64_t Hist::lower_bound_of(std::size_t index) {
    if (index < kSubBuckets) return index;
    const uint64_t above = index - kSubBuckets;
    const unsigned shift = static_cast<unsigned>(above / kHalf) + 1;
    const uint64_t sub = above % kHalf;
    return (kHalf + sub) << shift;
}

uint64_t Hist::upper_bound_of(std::size_t index) {
    if (index < kSubBuckets) return index;
    const uint64_t above = index - kSubBuckets;
    const unsigned shift = static_cast<unsigned>(above / kHalf) + 1;
    const uint64_t sub = above % kHalf;
    const uint64_t next = (kHalf + sub + 1);
    // The last bucket's bound would overflow 2^64: saturate.
    if (shift >= 64 || next > (UINT64_MAX >> shift)) return UINT64_MAX;
    return (next << shift) - 1;
}

void Hist::merge(const Hist &other) {
    for (std::size_t i = 0; i < kBuckets; ++i) counts_[i] += other.counts_[i];
    total_ += other.total_;
    if (other.total_) {
        if (other.max_ > max_) max_ = other.max_;
        if (other.min_ < min_) min_ = other.min_;
    }
}

void Hist::reset() {
    for (auto &c : counts_) c = 0;
    total_ = 0;
    max_ = 0;
    min_ = UINT64_MAX;
}

uint64_t Hist::quantile(double q) const {
    if (total_ == 0) return 0;
    if (q <= 0) return min();
    // Nearest rank: the ceil(q*total)-th smallest value (1-based).
    uint64_t rank = static_cast<uint64_t>(std::ceil(q * static_cast<double>(total_)));
    if (rank < 1) rank = 1;
    if (rank > total_) rank = total_;
    uint64_t seen = 0;
    for (std::size_t i = 0; i < kBuckets; ++i) {
        seen += counts_[i];
        if (seen >= rank) {
            const uint64_t ub = upper_bound_of(i);
            return ub < max_ ? ub : max_;
        }
    }
    return max_;
}

std::vector<std::pair<uint64_t, uint64_t>> Hist::buckets() const {
    std::vector<std::pair<uint64_t, uint64_t>> out;
    for (std::size_t i = 0; i < kBuckets; ++i)
        if (counts_[i]) out.emplace_back(upper_bound_of(i), counts_[i]);
    return out;
}

}  // namespace lpb
