// test_histogram.cc — the latency histogram against exact, sorted references.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <random>
#include <vector>

#include "check.h"
#include "histogram.h"

using lpb::Hist;

// Every value lies inside its bucket, buckets are ordered, and a bucket is never wider than
// 1/kHalf of its lower bound (the documented precision).
static void test_bucket_layout() {
    std::size_t prev = 0;
    for (uint64_t v = 0; v < 200000; ++v) {
        const std::size_t i = Hist::index_of(v);
        CHECK(i >= prev);
        prev = i;
        CHECK(Hist::lower_bound_of(i) <= v && v <= Hist::upper_bound_of(i));
    }
    std::mt19937_64 rng(7);
    for (int k = 0; k < 200000; ++k) {
        const uint64_t v = rng() >> (rng() % 64);
        const std::size_t i = Hist::index_of(v);
        CHECK(i < Hist::kBuckets);
        const uint64_t lo = Hist::lower_bound_of(i), hi = Hist::upper_bound_of(i);
        CHECK(lo <= v && v <= hi);
        if (v < Hist::kSubBuckets) CHECK(lo == v && hi == v);
        else CHECK(hi - lo + 1 <= lo / Hist::kHalf);
    }
    CHECK(Hist::index_of(UINT64_MAX) == Hist::kBuckets - 1);
    CHECK(Hist::upper_bound_of(Hist::kBuckets - 1) == UINT64_MAX);
    for (std::size_t i = 1; i < Hist::kBuckets; ++i) CHECK(Hist::lower_bound_of(i) == Hist::upper_bound_of(i - 1) + 1);
}

// quantile(q) must be the upper bound of the bucket holding the nearest-rank order statistic,
// clamped to the exact max.
static void check_against_reference(std::vector<uint64_t> values) {
    Hist h;
    for (uint64_t v : values) h.record(v);
    std::sort(values.begin(), values.end());
    CHECK(h.total() == values.size());
    CHECK(h.max() == values.back());
    CHECK(h.min() == values.front());
    uint64_t prev = 0;
    for (double q : {0.001, 0.25, 0.5, 0.9, 0.99, 0.999, 0.9999, 1.0}) {
        std::size_t rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(values.size())));
        rank = std::max<std::size_t>(1, std::min(rank, values.size()));
        const uint64_t ref = values[rank - 1];
        const uint64_t got = h.quantile(q);
        const uint64_t want = std::min(Hist::upper_bound_of(Hist::index_of(ref)), values.back());
        if (got != want) std::fprintf(stderr, "q=%g ref=%llu got=%llu want=%llu\n", q, (unsigned long long)ref,
                                      (unsigned long long)got, (unsigned long long)want);
        CHECK(got == want);
        CHECK(got >= ref);
        CHECK(got - ref <= ref / Hist::kHalf);  // the relative error bound
        CHECK(got >= prev);                      // monotone in q
        CHECK(got <= h.max());
        prev = got;
    }
    CHECK(h.quantile(1.0) == h.max());
}

static void test_quantiles() {
    std::mt19937_64 rng(42);
    {  // uniform, small: mostly exact buckets
        std::vector<uint64_t> v;
        for (int i = 0; i < 10000; ++i) v.push_back(rng() % 300);
        check_against_reference(v);
    }
    {  // log-uniform over 1 ns .. 10 s: every octave
        std::vector<uint64_t> v;
        std::uniform_real_distribution<double> e(0, std::log(1e10));
        for (int i = 0; i < 100000; ++i) v.push_back(static_cast<uint64_t>(std::exp(e(rng))));
        check_against_reference(v);
    }
    {  // latency-like: a body around 150 ns plus a rare heavy tail
        std::vector<uint64_t> v;
        std::normal_distribution<double> body(150, 20);
        for (int i = 0; i < 50000; ++i) {
            double x = body(rng);
            if (rng() % 1000 == 0) x = 1e6 + static_cast<double>(rng() % 5000000);
            v.push_back(static_cast<uint64_t>(std::max(0.0, x)));
        }
        check_against_reference(v);
    }
    check_against_reference({5});
    check_against_reference({0, 0, 0, 0});
    check_against_reference({UINT64_MAX, 1, 1ull << 40});
}

static void test_merge_and_reset() {
    std::mt19937_64 rng(3);
    Hist all, a, b;
    for (int i = 0; i < 20000; ++i) {
        const uint64_t v = rng() % 1000000;
        all.record(v);
        (i % 2 ? a : b).record(v);
    }
    a.merge(b);
    CHECK(a.total() == all.total() && a.max() == all.max() && a.min() == all.min());
    for (double q : {0.5, 0.99, 0.9999}) CHECK(a.quantile(q) == all.quantile(q));
    CHECK(a.buckets() == all.buckets());
    Hist empty;
    a.merge(empty);  // merging nothing changes nothing
    CHECK(a.quantile(0.5) == all.quantile(0.5) && a.min() == all.min());
    a.reset();
    CHECK(a.total() == 0 && a.max() == 0 && a.quantile(0.99) == 0 && a.buckets().empty());
}

int main() {
    test_bucket_layout();
    test_quantiles();
    test_merge_and_reset();
    std::puts("test_histogram: ok");
    return 0;
}
