// fifo_order.cc — see fifo_order.h.
#include "fifo_order.h"

#include <algorithm>
#include <utility>

namespace lpb {

namespace {
bool earlier_start(const GrantRecord &a, const GrantRecord &b) { return a.start() < b.start(); }

// Sort by start. A blocking thread's own log is already in start order (its loads of the counter
// only grow), so the merged logs are a few sorted runs: merge them (O(n log runs)) instead of
// sorting from scratch; fall back to a full sort when there are many runs (async logs are in
// grant order, hand-made sets in any order).
void sort_by_start(std::vector<GrantRecord> &v) {
    constexpr std::size_t kMaxRuns = 256;
    std::vector<std::size_t> bounds{0};  // run i is [bounds[i], bounds[i+1])
    for (std::size_t i = 1; i < v.size() && bounds.size() <= kMaxRuns; ++i)
        if (earlier_start(v[i], v[i - 1])) bounds.push_back(i);
    if (bounds.size() > kMaxRuns) {
        std::sort(v.begin(), v.end(), earlier_start);
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
                                   v.begin() + static_cast<std::ptrdiff_t>(end), earlier_start);
            merged.push_back(end);
        }
        bounds.swap(merged);
    }
}

// The end of each release by stamp, for every stamp a grant names; stamps without a record stay
// point intervals (end = seq).
std::vector<uint64_t> ends_by_stamp(const std::vector<GrantRecord> &grants, const std::vector<ReleaseRecord> &releases) {
    uint64_t max_seq = 0;
    for (const GrantRecord &g : grants) max_seq = std::max(max_seq, g.release_seq());
    std::vector<uint64_t> end_of(max_seq + 1);
    for (uint64_t s = 0; s <= max_seq; ++s) end_of[s] = s;
    for (const ReleaseRecord &r : releases)
        if (r.seq <= max_seq) end_of[r.seq] = std::max(r.end, r.seq);
    return end_of;
}
}  // namespace

uint64_t count_fifo_violations(std::vector<GrantRecord> &grants, const std::vector<ReleaseRecord> &releases) {
    const std::vector<uint64_t> end_of = ends_by_stamp(grants, releases);

    // Waited grants by ticket: (ticket, release_seq).
    std::vector<std::pair<uint64_t, uint64_t>> waiters;
    for (const GrantRecord &g : grants)
        if (g.was_waited()) waiters.emplace_back(g.ticket(), g.release_seq());
    std::sort(waiters.begin(), waiters.end());

    sort_by_start(grants);
    uint64_t violations = 0;
    // Over waiters with ticket < the current start; 0 (none yet) is never > an end.
    uint64_t latest_release_of_joined = 0;
    std::size_t joined = 0;
    for (const GrantRecord &j : grants) {
        // A waiter's own ticket is >= its start (taken after the start was loaded): never itself.
        for (; joined < waiters.size() && waiters[joined].first < j.start(); ++joined)
            latest_release_of_joined = std::max(latest_release_of_joined, waiters[joined].second);
        if (latest_release_of_joined > end_of[j.release_seq()]) ++violations;
    }
    return violations;
}

uint64_t max_bypass(const std::vector<GrantRecord> &grants, const std::vector<ReleaseRecord> &releases) {
    const std::vector<uint64_t> end_of = ends_by_stamp(grants, releases);
    // Queries (waiters) by ticket, latest first; grants by start, latest first. Walking both down,
    // every grant that began after the current waiter's ticket is in the tree, keyed by the end of
    // its release; the waiter's bypass is the number of those ends below its own release's stamp.
    std::vector<std::pair<uint64_t, uint64_t>> waiters;  // (ticket, release_seq)
    for (const GrantRecord &g : grants)
        if (g.was_waited()) waiters.emplace_back(g.ticket(), g.release_seq());
    if (waiters.empty()) return 0;
    std::sort(waiters.begin(), waiters.end(), [](const auto &a, const auto &b) { return a.first > b.first; });
    std::vector<std::pair<uint64_t, uint64_t>> by_start;  // (start, end of its release)
    by_start.reserve(grants.size());
    uint64_t max_end = 0;
    for (const GrantRecord &g : grants) {
        const uint64_t end = end_of[g.release_seq()];
        by_start.emplace_back(g.start(), end);
        max_end = std::max(max_end, end);
    }
    std::sort(by_start.begin(), by_start.end(), [](const auto &a, const auto &b) { return a.first > b.first; });
    std::vector<uint32_t> tree(max_end + 2, 0);  // Fenwick tree over end + 1
    auto add = [&](uint64_t end) {
        for (uint64_t k = end + 1; k < tree.size(); k += k & (~k + 1)) ++tree[k];
    };
    auto below = [&](uint64_t seq) {  // how many ends < seq
        uint64_t n = 0;
        for (uint64_t k = std::min<uint64_t>(seq, tree.size() - 1); k > 0; k -= k & (~k + 1)) n += tree[k];
        return n;
    };
    uint64_t best = 0;
    std::size_t next = 0;
    for (const auto &w : waiters) {
        for (; next < by_start.size() && by_start[next].first > w.first; ++next) add(by_start[next].second);
        best = std::max(best, below(w.second));
    }
    return best;
}

uint64_t max_wait_releases(const std::vector<GrantRecord> &grants) {
    uint64_t oldest = 0;
    for (const GrantRecord &g : grants)
        if (g.was_waited() && g.release_seq() > g.joined() + 1) oldest = std::max(oldest, g.release_seq() - 1 - g.joined());
    return oldest;
}

}  // namespace lpb
