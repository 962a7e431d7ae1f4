// lp_fifo.h — the FIFO-order metric's data and its off-line count (no threads, no Google
// Benchmark: unit-tested on hand-made record sets by tests/test_fifo.cc).
//
// The metric compares the order in which waiters ARRIVED with the order in which the design
// GRANTED them a slot. Grant order is not the order in which threads return from get (a waiter
// already handed its slot may not be scheduled back in for milliseconds); it is read from the
// slot itself: every release is stamped with a run-wide sequence number just before put, and a
// grant's `grant_seq` is the stamp of the slot it received, i.e. the release that fed it.
// Initially free slots carry stamp 0, which sorts before every release (stamps start at 1).
//
// A grant j is a violation if some grant i that had to WAIT arrived strictly earlier
// (arrival_i < arrival_j) and was fed by a later release (grant_seq_i > grant_seq_j): someone
// who arrived earlier was granted later. Each j counts at most once.
//   - waited grant: arrival = its ticket from the run's arrival counter (fetch_add), taken when
//     its try_get had failed and it was about to block;
//   - fast grant (try_get succeeded at once): arrival = the arrival counter's value LOADED just
//     before the try_get, so exactly the waiters with tickets < that value had arrived before it.
// Only waited grants play the role of i: a fast grant i never queued, so nobody can overtake it.
#ifndef LP_BENCH_FIFO_H
#define LP_BENCH_FIFO_H

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace lpbench {

/** One grant: 16 bytes (the waited flag lives in the top bit of the arrival word). */
class GrantRecord {
public:
    GrantRecord() = default;
    static GrantRecord waited(uint64_t ticket, uint64_t grant_seq) { return GrantRecord(ticket | kWaitedBit, grant_seq); }
    static GrantRecord fast(uint64_t arrivals_seen, uint64_t grant_seq) { return GrantRecord(arrivals_seen, grant_seq); }
    uint64_t arrival() const { return arrival_and_flag_ & ~kWaitedBit; }
    bool was_waited() const { return (arrival_and_flag_ & kWaitedBit) != 0; }
    uint64_t grant_seq() const { return grant_seq_; }

private:
    static constexpr uint64_t kWaitedBit = uint64_t{1} << 63;  // tickets never get near 2^63
    GrantRecord(uint64_t a, uint64_t s) : arrival_and_flag_(a), grant_seq_(s) {}
    uint64_t arrival_and_flag_ = 0;
    uint64_t grant_seq_ = 0;
};

/**
 * Violations among `records` (all threads' grants of one run, any order; sorted in place by
 * arrival). O(n log n): after sorting, one pass keeps the largest grant_seq over waited grants
 * with a strictly smaller arrival; a grant fed by an earlier release than that maximum is a
 * violation. Ties: a waited grant is never compared with itself or an equal ticket, and a fast
 * grant that saw L arrivals is compared only with tickets < L.
 */
uint64_t count_fifo_violations(std::vector<GrantRecord> &records);

/**
 * One thread's grant records, appended on the measured path: fixed chunks (no reallocation or
 * copying of what is already recorded), the first allocated up front, at most `cap` records; the
 * ones beyond the cap are only counted (`overflow()`).
 */
class GrantLog {
public:
    static constexpr std::size_t kChunk = std::size_t{1} << 16;  // 1 MiB of records
    static constexpr std::size_t kDefaultCap = std::size_t{4} << 20;
    explicit GrantLog(std::size_t cap = kDefaultCap) : cap_(cap) {}
    /** Allocate the first chunk (call before the run so the first grants allocate nothing). */
    void prepare();
    void push(const GrantRecord &r) {
        if (size_ >= cap_) {
            ++overflow_;
            return;
        }
        if (chunks_.empty() || in_chunk_ == kChunk) {
            chunks_.emplace_back(new GrantRecord[kChunk]);
            in_chunk_ = 0;
        }
        chunks_.back()[in_chunk_++] = r;
        ++size_;
    }
    std::size_t size() const { return size_; }
    uint64_t overflow() const { return overflow_; }
    /** Append every record to `out`. */
    void append_to(std::vector<GrantRecord> &out) const;

private:
    std::vector<std::unique_ptr<GrantRecord[]>> chunks_;
    std::size_t in_chunk_ = 0, size_ = 0, cap_;
    uint64_t overflow_ = 0;
};

}  // namespace lpbench
#endif
