// test_fifo_order.cc — the FIFO metric's off-line count on hand-made grant records (FIFO order, barges,
// overtaken waiters, ties, overlapping releases, tickets taken after joining), against a
// brute-force O(n^2) reading of the definition on random sets, and the per-thread logs (chunks,
// cap, overflow).
#include <algorithm>
#include <cstdio>
#include <random>
#include <vector>

#include "check.h"
#include "fifo_order.h"

using lpb::count_fifo_violations;
using lpb::max_bypass;
using lpb::max_wait_releases;
using lpb::GrantLog;
using lpb::GrantRecord;
using lpb::ReleaseRecord;

namespace {

// A waiter whose ticket was taken at its start (a design without split get), and one whose
// start was loaded before it joined and whose ticket was taken after (split get).
// `joined` (releases begun when the ticket was taken) only matters to max_wait_releases: J sets it.
GrantRecord W(uint64_t ticket, uint64_t seq) { return GrantRecord::waited(ticket, ticket, seq, 0); }
GrantRecord WS(uint64_t start, uint64_t ticket, uint64_t seq) { return GrantRecord::waited(start, ticket, seq, 0); }
GrantRecord J(uint64_t joined, uint64_t seq) { return GrantRecord::waited(0, 0, seq, joined); }
GrantRecord F(uint64_t start, uint64_t seq) { return GrantRecord::fast(start, seq); }
ReleaseRecord R(uint64_t seq, uint64_t end) { return ReleaseRecord{seq, end}; }

uint64_t count(std::vector<GrantRecord> v, const std::vector<ReleaseRecord> &rel = {}) {
    return count_fifo_violations(v, rel);
}

// A release's end: its record's, or the release itself where it has none (a log past its cap).
uint64_t end_of(const std::vector<ReleaseRecord> &rel, uint64_t seq) {
    uint64_t end = seq;
    for (const ReleaseRecord &r : rel)
        if (r.seq == seq) end = std::max(r.end, seq);
    return end;
}

// The definition, literally: j is a violation if some waited i had joined before j started
// (ticket_i < start_j) and was fed by a release that began after j's release ended.
uint64_t brute_force(const std::vector<GrantRecord> &v, const std::vector<ReleaseRecord> &rel = {}) {
    uint64_t n = 0;
    for (const GrantRecord &j : v) {
        bool bad = false;
        for (const GrantRecord &i : v)
            bad = bad || (i.was_waited() && i.ticket() < j.start() && i.release_seq() > end_of(rel, j.release_seq()));
        n += bad;
    }
    return n;
}

// The bypass definition, literally: over waited i, the number of grants j with ticket_i < start_j
// fed by a release that ended before i's began.
uint64_t brute_bypass(const std::vector<GrantRecord> &v, const std::vector<ReleaseRecord> &rel = {}) {
    uint64_t best = 0;
    for (const GrantRecord &i : v) {
        if (!i.was_waited()) continue;
        uint64_t n = 0;
        for (const GrantRecord &j : v) n += i.ticket() < j.start() && end_of(rel, j.release_seq()) < i.release_seq();
        best = std::max(best, n);
    }
    return best;
}

// The shape of a random record set: grants, arrivals (tickets 0..arrivals-1), release stamps.
struct SetShape {
    std::size_t grants;
    uint64_t arrivals, seqs;
};
SetShape random_shape(std::mt19937_64 &rng) {
    const std::size_t grants = 1 + rng() % 60;
    const uint64_t arrivals = 1 + rng() % 20, seqs = 1 + rng() % 30;
    return SetShape{grants, arrivals, seqs};
}

// Release records for stamps 1..seqs-1, about two in three of them, each ending 0-3 later.
std::vector<ReleaseRecord> random_releases(std::mt19937_64 &rng, uint64_t seqs) {
    std::vector<ReleaseRecord> rel;
    for (uint64_t q = 1; q < seqs; ++q)
        if (rng() % 3) rel.push_back(R(q, q + rng() % 4));
    return rel;
}

void test_record() {
    CHECK(count({}) == 0);  // nothing recorded
    // the record keeps its fields (the waited flag shares a word with the ticket)
    const GrantRecord w = GrantRecord::waited(12340, 12345, 7, 3), f = F(12345, 8);
    CHECK(w.was_waited() && w.start() == 12340 && w.ticket() == 12345 && w.release_seq() == 7 && w.joined() == 3);
    CHECK(!f.was_waited() && f.start() == 12345 && f.release_seq() == 8 && f.joined() == 0);
    CHECK(sizeof(GrantRecord) == 32);
}

void test_fifo_and_barges() {
    // strict FIFO: waiters fed by releases in ticket order, fast grants before/after them
    CHECK(count({F(0, 0), W(0, 1), W(1, 2), W(2, 3), W(3, 4), F(4, 5), F(4, 6)}) == 0);
    // any input order gives the same answer
    CHECK(count({W(3, 4), F(4, 6), W(0, 1), F(0, 0), W(2, 3), F(4, 5), W(1, 2)}) == 0);
    // one barge: a try_get that started after waiter 0 arrived took release 4; waiter 0 got 5
    CHECK(count({W(0, 5), W(1, 6), F(2, 4)}) == 1);
    // the same try_get, started before any waiter arrived, is no barge
    CHECK(count({W(0, 5), W(1, 6), F(0, 4)}) == 0);
}

void test_overtaken_waiters() {
    // one overtaken waiter: ticket 1 was fed before ticket 0; the one served early counts
    CHECK(count({W(0, 3), W(1, 2), W(2, 4)}) == 1);
    // three waiters overtake ticket 0: each counts once
    CHECK(count({W(0, 10), W(1, 2), W(2, 3), W(3, 4)}) == 3);
    // ticket 2 overtakes both 0 and 1, ticket 1 overtakes 0: counted once each, so 2
    CHECK(count({W(0, 10), W(1, 9), W(2, 1)}) == 2);
    // fast grants are never the overtaken party: nobody can jump a queue they never joined
    CHECK(count({F(0, 9), W(5, 1)}) == 0);
    CHECK(count({F(0, 9), F(5, 1)}) == 0);
}

void test_ties() {
    // ties in arrival: a fast grant that saw L arrivals is compared with tickets < L only
    CHECK(count({W(2, 9), F(2, 1)}) == 0);  // ticket 2 arrived after the fast grant's load
    CHECK(count({W(2, 9), F(3, 1)}) == 1);  // ticket 2 arrived before it
    // several fast grants with the same L: each compared on its own
    CHECK(count({W(0, 5), F(1, 4), F(1, 6), F(1, 3)}) == 2);
    // ties in grant_seq: slots never released (stamp 0) are not "later" than each other
    CHECK(count({W(0, 0), F(1, 0), W(1, 0)}) == 0);
}

void test_overlapping_releases_and_split_get() {
    // overlapping releases (several slots): release 1 had not ended when release 2 began, so
    // which of them fed its waiter first is unknown: not counted; once they do not overlap, it is
    CHECK(count({W(0, 2), W(1, 1)}, {R(1, 2), R(2, 2)}) == 0);
    CHECK(count({W(0, 2), W(1, 1)}, {R(1, 1), R(2, 2)}) == 1);
    // a release without a record (a log past its cap) is a point: as if end = seq
    CHECK(count({W(0, 2), W(1, 1)}, {R(2, 2)}) == 1);
    // split get: a ticket taken after joining; a waiter who joined after j started is no victim
    CHECK(count({WS(0, 5, 9), F(3, 1)}) == 0);  // joined (ticket 5) after j began (start 3)
    CHECK(count({WS(0, 2, 9), F(3, 1)}) == 1);  // joined before
    // two split waiters that started together: the one that joined second may be fed first
    CHECK(count({WS(0, 1, 2), WS(0, 0, 1)}) == 0);
    CHECK(count({WS(0, 0, 2), WS(1, 1, 1)}) == 1);
}

// Random record sets (fixed seeds), unique tickets: the O(n log n) count equals the definition.
void test_count_matches_definition() {
    for (uint32_t seed = 1; seed <= 200; ++seed) {
        std::mt19937_64 rng(seed);
        const SetShape shape = random_shape(rng);
        const uint64_t arrivals = shape.arrivals, seqs = shape.seqs;
        std::vector<GrantRecord> v;
        std::vector<uint64_t> tickets(arrivals);
        for (uint64_t t = 0; t < arrivals; ++t) tickets[t] = t;
        std::shuffle(tickets.begin(), tickets.end(), rng);
        std::size_t next_ticket = 0;
        for (std::size_t k = 0; k < shape.grants; ++k) {
            const bool waited = next_ticket < tickets.size() && rng() % 2 == 0;  // tickets are unique
            const uint64_t seq = rng() % seqs;
            if (waited) {
                const uint64_t t = tickets[next_ticket++];
                v.push_back(rng() % 2 ? W(t, seq) : WS(t - rng() % (t + 1), t, seq));
            } else {
                v.push_back(F(rng() % (arrivals + 1), seq));
            }
        }
        const std::vector<ReleaseRecord> rel = random_releases(rng, seqs);
        CHECK(count(v) == brute_force(v));
        CHECK(count(v, rel) == brute_force(v, rel));
    }
}

// Large sets: many runs (a full sort) and a few sorted runs, as threads' logs are (a merge).
void test_large_sets() {
    std::mt19937_64 rng(7);
    std::vector<GrantRecord> shuffled, runs;
    for (uint64_t k = 0; k < 3000; ++k) shuffled.push_back(rng() % 3 ? W(k, rng() % 4000) : F(rng() % 3001, rng() % 4000));
    std::shuffle(shuffled.begin(), shuffled.end(), rng);
    CHECK(count(shuffled) == brute_force(shuffled));
    for (int thread = 0; thread < 5; ++thread) {  // each "thread": arrivals non-decreasing
        uint64_t arrival = 0;
        for (int k = 0; k < 400; ++k) {
            arrival += rng() % 4;
            runs.push_back(rng() % 2 ? W(arrival * 5 + static_cast<uint64_t>(thread), rng() % 3000)
                                     : F(arrival * 5, rng() % 3000));
        }
    }
    CHECK(count(runs) == brute_force(runs));
    std::vector<GrantRecord> sorted = runs;
    count_fifo_violations(sorted, {});
    bool ordered = true;
    for (std::size_t k = 1; k < sorted.size(); ++k) ordered = ordered && sorted[k - 1].start() <= sorted[k].start();
    CHECK(ordered && sorted.size() == runs.size());
}

// Bypass: the most grants that surely overtook one waiter.
void test_bypass_cases() {
    CHECK(max_bypass({}, {}) == 0);
    CHECK(max_bypass({F(0, 1), F(0, 2)}, {}) == 0);  // nobody waited
    // FIFO: waiters fed in ticket order, fast grants before them: no bypass
    CHECK(max_bypass({F(0, 0), W(0, 1), W(1, 2), W(2, 3)}, {}) == 0);
    // waiter 0 (fed by release 10) overtaken by three later fast grants and one later waiter
    CHECK(max_bypass({W(0, 10), F(1, 2), F(1, 3), F(2, 4), W(3, 5)}, {}) == 4);
    // the same, but the fast grants started before waiter 0 joined: only the waiter counts
    CHECK(max_bypass({W(1, 10), F(1, 2), F(1, 3), F(0, 4), W(3, 5)}, {}) == 1);
    // the largest over waiters: waiter 5 is overtaken by 2, waiter 0 by 1
    CHECK(max_bypass({W(0, 3), F(1, 2), W(5, 9), F(6, 4), F(7, 5)}, {}) == 2);
    // overlapping releases are not sure overtakings
    CHECK(max_bypass({W(0, 2), F(1, 1)}, {R(1, 2), R(2, 2)}) == 0);
    CHECK(max_bypass({W(0, 2), F(1, 1)}, {R(1, 1), R(2, 2)}) == 1);
}

// Random sets (fixed seeds, tickets may repeat): the bypass equals its definition.
void test_bypass_matches_definition() {
    for (uint32_t seed = 1; seed <= 300; ++seed) {
        std::mt19937_64 rng(seed);
        const SetShape shape = random_shape(rng);
        std::vector<GrantRecord> v;
        for (std::size_t k = 0; k < shape.grants; ++k) {
            const uint64_t seq = rng() % shape.seqs, t = rng() % shape.arrivals;
            v.push_back(rng() % 2 ? W(t, seq) : rng() % 2 ? WS(t - rng() % (t + 1), t, seq) : F(t, seq));
        }
        const std::vector<ReleaseRecord> rel = random_releases(rng, shape.seqs);
        CHECK(max_bypass(v, {}) == brute_bypass(v));
        CHECK(max_bypass(v, rel) == brute_bypass(v, rel));
    }
}

void test_wait_releases() {
    CHECK(max_wait_releases({}) == 0);
    CHECK(max_wait_releases({F(0, 5), F(0, 9)}) == 0);  // nobody waited: fast grants never count
    // joined after 4 releases, fed by release 10: releases 5..9 went to others meanwhile
    CHECK(max_wait_releases({J(4, 10)}) == 5);
    CHECK(max_wait_releases({J(4, 5)}) == 0);   // the next release fed it
    CHECK(max_wait_releases({J(7, 3)}) == 0);   // a slot freed before it joined (stamp below joined)
    CHECK(max_wait_releases({J(0, 0)}) == 0);   // an initially free slot (stamp 0)
    CHECK(max_wait_releases({J(4, 10), J(2, 20), F(0, 100), J(30, 31)}) == 17);  // the oldest of them
}

void test_grant_log() {
    // order kept across chunks, the cap counted as overflow, nothing lost below it
    const std::size_t cap = GrantLog::kChunk + 3;
    GrantLog log(cap);
    log.prepare();
    std::vector<GrantRecord> out;
    log.append_to(out);
    CHECK(out.empty() && log.size() == 0);
    for (std::size_t k = 0; k < cap + 5; ++k) log.push(W(k, k + 1));
    CHECK(log.size() == cap && log.overflow() == 5);
    log.append_to(out);
    CHECK(out.size() == cap);
    bool in_order = true;
    for (std::size_t k = 0; k < out.size(); ++k)
        in_order = in_order && out[k].ticket() == k && out[k].release_seq() == k + 1 && out[k].was_waited();
    CHECK(in_order);
    // without prepare(): the first push allocates
    GrantLog unprepared(4);
    unprepared.push(F(1, 2));
    std::vector<GrantRecord> one;
    unprepared.append_to(one);
    CHECK(one.size() == 1 && one[0].start() == 1 && !one[0].was_waited());
}

}  // namespace

int main() {
    test_record();
    test_fifo_and_barges();
    test_overtaken_waiters();
    test_ties();
    test_overlapping_releases_and_split_get();
    test_count_matches_definition();
    test_large_sets();
    test_bypass_cases();
    test_bypass_matches_definition();
    test_wait_releases();
    test_grant_log();
    std::puts("test_fifo_order: ok");
    return 0;
}
