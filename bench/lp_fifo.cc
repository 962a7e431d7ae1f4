// lp_fifo.cc — see lp_fifo.h.
#include "lp_fifo.h"

#include <algorithm>

namespace lpbench {

uint64_t count_fifo_violations(std::vector<GrantRecord> &records) {
    std::sort(records.begin(), records.end(),
              [](const GrantRecord &a, const GrantRecord &b) { return a.arrival() < b.arrival(); });
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
