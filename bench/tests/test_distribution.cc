// test_distribution.cc — hold/think distributions: spec parsing (accepted, normalised, rejected with a
// reason), and the moments of the samples on a fixed seed, each within 5 standard errors of the
// distribution's own (the seed is fixed, so the outcome is the same on every run; 5 SE keeps a
// correct sampler far from the edge). No timing anywhere.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "check.h"
#include "distribution.h"

using lpb::Dist;
using lpb::parse_dist;
using lpb::Rng;

namespace {

constexpr int kN = 200000;

Dist parsed(const char *spec) {
    Dist d;
    std::string err;
    if (!parse_dist(spec, &d, &err)) {
        std::fprintf(stderr, "unexpected parse failure of %s: %s\n", spec, err.c_str());
        std::abort();
    }
    return d;
}

bool rejected(const char *spec) {
    Dist d;
    std::string err;
    const bool ok = parse_dist(spec, &d, &err);
    // A rejection always says why, on one line, naming the spec.
    return !ok && !err.empty() && err.find('\n') == std::string::npos && err.find(spec) != std::string::npos;
}

std::vector<double> draw(const Dist &d, uint64_t seed, int n = kN) {
    Rng rng(seed);
    std::vector<double> xs(static_cast<std::size_t>(n));
    for (double &x : xs) x = lpb::sample(d, rng);
    return xs;
}

double mean_of(const std::vector<double> &xs) {
    double s = 0;
    for (double x : xs) s += x;
    return s / static_cast<double>(xs.size());
}

double var_of(const std::vector<double> &xs) {
    const double m = mean_of(xs);
    double s = 0;
    for (double x : xs) s += (x - m) * (x - m);
    return s / static_cast<double>(xs.size() - 1);
}

bool within(double got, double want, double se) {
    const bool ok = std::fabs(got - want) <= 5 * se;
    if (!ok) std::fprintf(stderr, "got %.6g, want %.6g +- 5 x %.3g\n", got, want, se);
    return ok;
}

void test_parsing() {
    CHECK(parsed("1000").kind == Dist::Kind::Fixed && parsed("1000").a == 1000 && !parsed("1000").random());
    CHECK(parsed("0").mean() == 0);
    CHECK(parsed("exp:2500").kind == Dist::Kind::Exp && parsed("exp:2500").mean() == 2500);
    CHECK(parsed("exp:2500.0").spec == "exp:2500");
    const Dist ln = parsed("lognormal:1000,0.5");
    CHECK(ln.kind == Dist::Kind::LogNormal && ln.a == 1000 && ln.b == 0.5 && ln.spec == "lognormal:1000,0.5");
    CHECK(std::fabs(ln.mean() - 1000 * std::exp(0.125)) < 1e-9);
    const Dist bi = parsed("bimodal:200,20000,0.05");
    CHECK(bi.kind == Dist::Kind::Bimodal && bi.a == 200 && bi.b == 20000 && bi.p == 0.05);
    CHECK(std::fabs(bi.mean() - (0.95 * 200 + 0.05 * 20000)) < 1e-9);
    CHECK(parsed("bimodal:0,1000,0").mean() == 0 && parsed("bimodal:0,1000,1").mean() == 1000);
    for (const char *bad : {"", "abc", "-5", "1e10", "nan", "inf", "exp:", "exp:0", "exp:-1", "exp:1,2",
                            "exp:1e9", "exp:x", "lognormal:1000", "lognormal:0,1", "lognormal:1000,0",
                            "lognormal:1000,5", "lognormal:100000000,1", "lognormal:1000,1,2",
                            "bimodal:1,2", "bimodal:1,2,1.5", "bimodal:1,2,-0.1", "bimodal:-1,2,0.5",
                            "bimodal:1,2e9,0.5", "gamma:1,2", "exp: 100", "exp:100 ", "1000ns", ":5", ":"})
        CHECK(rejected(bad));
}

void test_generator() {
    {  // same seed, same sequence; another seed or thread, another one
        Rng a(42), b(42), c(43);
        bool all_same = true, any_diff = false;
        for (int i = 0; i < 100; ++i) {
            const uint64_t x = a.next(), y = b.next(), z = c.next();
            all_same = all_same && x == y;
            any_diff = any_diff || x != z;
        }
        CHECK(all_same && any_diff);
        CHECK(lpb::thread_seed(1, 0, 0) != lpb::thread_seed(1, 0, 1));
        CHECK(lpb::thread_seed(1, 0, 3) != lpb::thread_seed(1, 1, 3));
        CHECK(lpb::thread_seed(1, 1, 3) == lpb::thread_seed(1, 1, 3));
    }
    {  // uniform: in [0, 1), mean 1/2, variance 1/12
        Rng rng(7);
        std::vector<double> u(kN);
        for (double &x : u) {
            x = rng.uniform();
            CHECK(x >= 0 && x < 1);
        }
        CHECK(within(mean_of(u), 0.5, std::sqrt(1.0 / 12 / kN)));
        CHECK(within(var_of(u), 1.0 / 12, std::sqrt((1.0 / 80 - 1.0 / 144) / kN)));
    }
    {  // standard normal: mean 0, variance 1 (fourth moment 3: SE of the variance sqrt(2/n))
        Rng rng(8);
        std::vector<double> z(kN);
        for (double &x : z) x = rng.normal();
        CHECK(within(mean_of(z), 0, std::sqrt(1.0 / kN)));
        CHECK(within(var_of(z), 1, std::sqrt(2.0 / kN)));
    }
}

// The moments of each distribution, within 5 standard errors of their own.
void test_fixed_and_exponential() {
    {  // fixed: every sample is the value
        const auto xs = draw(parsed("1234"), 1, 1000);
        CHECK(std::all_of(xs.begin(), xs.end(), [](double x) { return x == 1234; }));
    }
    {  // exponential: mean m, variance m^2 (fourth central moment 9 m^4: SE of the variance sqrt(8/n) m^2)
        const double m = 2500;
        const auto xs = draw(parsed("exp:2500"), 11);
        CHECK(std::all_of(xs.begin(), xs.end(), [](double x) { return x >= 0; }));
        CHECK(within(mean_of(xs), m, m / std::sqrt(kN)));
        CHECK(within(var_of(xs), m * m, std::sqrt(8.0 / kN) * m * m));
        // memorylessness, coarse: P(X > m) = 1/e
        const double above = static_cast<double>(std::count_if(xs.begin(), xs.end(), [&](double x) { return x > m; })) / kN;
        CHECK(within(above, std::exp(-1.0), std::sqrt(std::exp(-1.0) * (1 - std::exp(-1.0)) / kN)));
    }
}

void test_lognormal_and_bimodal() {
    {  // lognormal: ln X ~ N(ln median, sigma^2); the median itself; the mean median*exp(sigma^2/2)
        const double med = 1000, sigma = 0.8;
        const auto xs = draw(parsed("lognormal:1000,0.8"), 12);
        std::vector<double> logs(xs.size());
        std::transform(xs.begin(), xs.end(), logs.begin(), [](double x) { return std::log(x); });
        CHECK(within(mean_of(logs), std::log(med), sigma / std::sqrt(kN)));
        CHECK(within(var_of(logs), sigma * sigma, std::sqrt(2.0 / kN) * sigma * sigma));
        const double below = static_cast<double>(std::count_if(xs.begin(), xs.end(), [&](double x) { return x < med; })) / kN;
        CHECK(within(below, 0.5, std::sqrt(0.25 / kN)));
        const double mean = med * std::exp(sigma * sigma / 2);
        const double var = (std::exp(sigma * sigma) - 1) * mean * mean;
        CHECK(within(mean_of(xs), mean, std::sqrt(var / kN)));
    }
    {  // bimodal: only the two values, LONG with probability P
        const auto xs = draw(parsed("bimodal:200,20000,0.05"), 13);
        CHECK(std::all_of(xs.begin(), xs.end(), [](double x) { return x == 200 || x == 20000; }));
        const double p = static_cast<double>(std::count(xs.begin(), xs.end(), 20000.0)) / kN;
        CHECK(within(p, 0.05, std::sqrt(0.05 * 0.95 / kN)));
        CHECK(within(mean_of(xs), 0.95 * 200 + 0.05 * 20000, 19800 * std::sqrt(0.05 * 0.95 / kN)));
    }
}

void test_cap_and_work_ring() {
    {  // the cap: never above 1 s, even for the most spread spec accepted
        Dist d = parsed("lognormal:1,4");
        const auto xs = draw(d, 14);
        CHECK(std::all_of(xs.begin(), xs.end(), [](double x) { return x >= 0 && x <= lpb::kMaxSampleNs; }));
    }
    {  // the ring a thread runs from: the same samples, scaled to iterations, then repeated
        const Dist d = parsed("exp:2500");
        lpb::WorkSeq w;
        w.fill(d, 4.0, 99);
        const auto xs = draw(d, 99, static_cast<int>(lpb::WorkSeq::kRing));
        bool same = true;
        for (std::size_t i = 0; i < xs.size(); ++i) same = same && w.next() == static_cast<uint64_t>(std::llround(4.0 * xs[i]));
        CHECK(same);
        CHECK(w.next() == static_cast<uint64_t>(std::llround(4.0 * xs[0])));
        w.set_fixed(17);
        CHECK(w.next() == 17 && w.next() == 17 && w.ring().empty());
    }
}

}  // namespace

int main() {
    test_parsing();
    test_generator();
    test_fixed_and_exponential();
    test_lognormal_and_bimodal();
    test_cap_and_work_ring();
    std::printf("test_distribution: ok\n");
    return 0;
}
