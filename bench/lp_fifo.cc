// lp_fifo.cc — see lp_fifo.h.
#include "lp_fifo.h"

#include <algorithm>

namespace lpbench {

namespace {
bool earlier_arrival(const GrantRecord &a, const GrantRecord &b) { return a.arrival() < b.arrival(); }

// Sort by arrival. A blocking thread's own log is already in arrival order (its tickets and loaded
// counter values only grow), so the merged logs are a few sorted runs: merge them (O(n log runs))
// instead of sorting from scratch; fall back to a full sort when there are many runs (async logs
// are in grant order, hand-made sets in any order).
void sort_by_arrival(std::vector<GrantRecord> &v) {
    constexpr std::size_t kMaxRuns = 256;
    std::vector<std::size_t> bounds{0};  // run i is [bounds[i], bounds[i+1])
    for (std::size_t i = 1; i < v.size() && bounds.size() <= kMaxRuns; ++i)
        if (earlier_arrival(v[i], v[i - 1])) bounds.push_back(i);
    if (bounds.size() > kMaxRuns) {
        std::sort(v.begin(), v.end(), earlier_arrival);
        return;
    }
    bounds.push_back(v.size());
    while (bounds.size() > 2) {  // merge neighbouring runs pairwise until one is left
        std::vector<std::size_t> merged{0};
        for (std::size_t r = 0; r + 1 < bounds.size(); r += 2) {
            const std::size_t end = r + 2 < bounds.size() ? bounds[r + 2] : bounds[r + 1];
            if (r + 2 < bounds.size())
                std::inplace_merge(v.begin() + static_cast<std::ptrdiff_t>(bounds[r]),
                                   v.begin() + static_cast<std::ptrdiff_t>(bounds[r + 1]),
                                   v.begin() + static_cast<std::ptrdiff_t>(end), earlier_arrival);
            merged.push_back(end);
        }
        bounds.swap(merged);
    }
}
}  // namespace

uint64_t count_fifo_violations(std::vector<GrantRecord> &records) {
    sort_by_arrival(records);
    uint64_t violations = 0;
    // Over waited grants with a smaller arrival than the current one; 0 (no such grant yet) is
    // never > a grant_seq, so it needs no flag.
    uint64_t latest_seq_of_earlier_waiters = 0;
    std::size_t earlier = 0;  // records[0, earlier) have arrival < the current arrival
    for (const GrantRecord &j : records) {
        // Sorted, so `earlier` stops at j itself at the latest: strictly smaller arrivals only.
        for (; records[earlier].arrival() < j.arrival(); ++earlier)
            if (records[earlier].was_waited())
                latest_seq_of_earlier_waiters = std::max(latest_seq_of_earlier_waiters, records[earlier].grant_seq());
        if (latest_seq_of_earlier_waiters > j.grant_seq()) ++violations;
    }
    return violations;
}

void GrantLog::prepare() {
    if (chunks_.empty()) {
        chunks_.emplace_back(new GrantRecord[kChunk]);
        in_chunk_ = 0;
    }
}

void GrantLog::append_to(std::vector<GrantRecord> &out) const {
    out.reserve(out.size() + size_);
    for (std::size_t c = 0; c < chunks_.size(); ++c) {
        const std::size_t n = c + 1 < chunks_.size() ? kChunk : in_chunk_;
        out.insert(out.end(), chunks_[c].get(), chunks_[c].get() + n);
    }
}

}  // namespace lpbench
