// fifo_order.h — the FIFO-order metric's data and its off-line count (no threads, no Google
// Benchmark: unit-tested on hand-made record sets by tests/test_fifo_order.cc).
//
// The metric compares the order in which waiters JOINED the queue with the order in which the
// design GRANTED them a slot, and counts only overtakings that are certain: where both orders
// are known from intervals that do not overlap, never from a race between two of them. Residue: a
// slot that sits free after its put and is later handed over by the design itself (LockPool: a
// rescanning waiter serves it) is dated to that old put (bench/README.md).
//
// Grant order is not the order in which threads return from get (a waiter already handed its
// slot may not be scheduled back in for milliseconds); it is read from the slot: every release
// takes a run-wide sequence number `seq` just before put (the stamp, stored in the slot) and
// reads the counter again once put has returned (`end`: releases begun by then). A grant's
// `release_seq` is the stamp of the slot it received. Release a surely completed before release
// b began iff end_a < seq_b. Initially free slots carry stamp 0 (end 0): before every release.
//
// Arrival: every attempt first loads the run's arrival counter (`start`). A grant that had to
// wait also takes a `ticket` (fetch_add on that counter): between lp_get_begin-style halves
// when the design has them (then the ticket is taken after its place in line is fixed), else
// just before the blocking get (then a waiter preempted between ticket and enqueue can be
// overtaken in a FIFO design too: such designs' counts include that residue). Waiter i had
// surely joined before attempt j began iff ticket_i < start_j.
//
// Grant j is a violation iff some waited grant i had surely joined before j began
// (ticket_i < start_j) and was fed by a release that surely began after the one that fed j
// had completed (release_seq_i > end of release_seq_j). Each j counts at most once.
#ifndef LP_BENCH_FIFO_ORDER_H
#define LP_BENCH_FIFO_ORDER_H

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace lpb {

/** One grant: 32 bytes (the waited flag lives in the top bit of the ticket word). A waited grant
 *  also keeps `joined`: how many releases had begun (been stamped) when its ticket was taken. */
class GrantRecord {
public:
    GrantRecord() = default;
    static GrantRecord waited(uint64_t start, uint64_t ticket, uint64_t release_seq, uint64_t joined) {
        return GrantRecord(start, ticket | kWaitedBit, release_seq, joined);
    }
    static GrantRecord fast(uint64_t start, uint64_t release_seq) { return GrantRecord(start, 0, release_seq, 0); }
    uint64_t start() const { return start_; }
    uint64_t ticket() const { return ticket_and_flag_ & ~kWaitedBit; }
    bool was_waited() const { return (ticket_and_flag_ & kWaitedBit) != 0; }
    uint64_t release_seq() const { return release_seq_; }
    uint64_t joined() const { return joined_; }

private:
    static constexpr uint64_t kWaitedBit = uint64_t{1} << 63;  // tickets never get near 2^63
    GrantRecord(uint64_t s, uint64_t t, uint64_t r, uint64_t j) : start_(s), ticket_and_flag_(t), release_seq_(r), joined_(j) {}
    uint64_t start_ = 0;
    uint64_t ticket_and_flag_ = 0;
    uint64_t release_seq_ = 0;
    uint64_t joined_ = 0;
};

/** One release: its stamp and the release counter read after put returned (end >= seq). */
struct ReleaseRecord {
    uint64_t seq = 0;
    uint64_t end = 0;
};

/**
 * Violations among `grants` (all threads' grants of one run, any order; sorted in place by
 * start). `releases`: all threads' release records; a stamp without one (a log past its cap)
 * counts as a point interval (end = seq). O(n log n).
 */
uint64_t count_fifo_violations(std::vector<GrantRecord> &grants, const std::vector<ReleaseRecord> &releases);

/**
 * The most grants that surely overtook one waiter (the bypass of a bounded-bypass design): over
 * waited grants i, the largest number of grants j (waited or not) that began after i had joined
 * (ticket_i < start_j) and were fed by a release that had completed before the one that fed i
 * began (end of release_seq_j < release_seq_i). Same certainty rule as the FIFO count: overlapping
 * intervals never count. 0 when no grant waited. `releases` as above. O(n log n).
 */
uint64_t max_bypass(const std::vector<GrantRecord> &grants, const std::vector<ReleaseRecord> &releases);

/**
 * The oldest wait counted in releases: over waited grants, the most releases that began after the
 * waiter joined (its `joined` count) and before the release that fed it began (stamps joined + 1 ..
 * release_seq - 1). Every release in that window went to somebody else while the waiter was queued:
 * the ones that overtook it and the ones that served waiters ahead of it. 0 when no grant waited,
 * and for a waiter fed by a release that began before it joined (a slot freed before it queued).
 */
uint64_t max_wait_releases(const std::vector<GrantRecord> &grants);

/**
 * One thread's records, appended on the measured path: fixed chunks (no reallocation or copying
 * of what is already recorded), the first allocated up front, at most `cap` records; the ones
 * beyond the cap are only counted (`overflow()`).
 */
template <class Record>
class ChunkLog {
public:
    static constexpr std::size_t kChunk = std::size_t{1} << 16;
    static constexpr std::size_t kDefaultCap = std::size_t{4} << 20;
    explicit ChunkLog(std::size_t cap = kDefaultCap) : cap_(cap) {}
    /** Allocate the first chunk (call before the run so the first records allocate nothing). */
    void prepare() {
        if (chunks_.empty()) {
            chunks_.emplace_back(new Record[kChunk]);
            in_chunk_ = 0;
        }
    }
    void push(const Record &r) {
        if (size_ >= cap_) {
            ++overflow_;
            return;
        }
        if (chunks_.empty() || in_chunk_ == kChunk) {
            chunks_.emplace_back(new Record[kChunk]);
            in_chunk_ = 0;
        }
        chunks_.back()[in_chunk_++] = r;
        ++size_;
    }
    std::size_t size() const { return size_; }
    uint64_t overflow() const { return overflow_; }
    /** Append every record to `out`, in push order. */
    void append_to(std::vector<Record> &out) const {
        out.reserve(out.size() + size_);
        for (std::size_t c = 0; c < chunks_.size(); ++c) {
            const std::size_t n = c + 1 < chunks_.size() ? kChunk : in_chunk_;
            out.insert(out.end(), chunks_[c].get(), chunks_[c].get() + n);
        }
    }

private:
    std::vector<std::unique_ptr<Record[]>> chunks_;
    std::size_t in_chunk_ = 0, size_ = 0, cap_;
    uint64_t overflow_ = 0;
};

using GrantLog = ChunkLog<GrantRecord>;
using ReleaseLog = ChunkLog<ReleaseRecord>;

}  // namespace lpb
#endif
