// test_fairness.cc — Jain's index, min/max share and CV against hand-computed values.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

#include "check.h"
#include "fairness.h"

using lpb::fairness_of;

static bool near(double a, double b) { return std::fabs(a - b) <= 1e-12 * std::max(1.0, std::fabs(b)); }

int main() {
    {  // perfectly fair
        const auto f = fairness_of({7, 7, 7, 7});
        CHECK(f.jain == 1.0 && f.minmax_share == 1.0 && f.cv == 0.0);
    }
    {  // huge equal counts: no cancellation error, J exactly 1, CV exactly 0
        const auto f = fairness_of(std::vector<uint64_t>(32, 123456789012345ull));
        CHECK(f.jain == 1.0 && f.cv == 0.0 && f.minmax_share == 1.0);
    }
    {  // one thread does everything: J = 1/n
        const auto f = fairness_of({0, 0, 0, 100});
        CHECK(near(f.jain, 0.25));
        CHECK(f.minmax_share == 0.0);
        CHECK(near(f.cv, std::sqrt(3.0)));  // mean 25, stddev sqrt(1875) = 25*sqrt(3)
    }
    {  // 1,2,3,4: J = 100/(4*30); mean 2.5, population variance 1.25
        const auto f = fairness_of({1, 2, 3, 4});
        CHECK(near(f.jain, 100.0 / 120.0));
        CHECK(near(f.minmax_share, 0.25));
        CHECK(near(f.cv, std::sqrt(1.25) / 2.5));
        CHECK(near(f.jain, 1.0 / (1.0 + f.cv * f.cv)));  // the identity J = 1/(1+CV^2)
    }
    {  // one thread
        const auto f = fairness_of({5});
        CHECK(f.jain == 1.0 && f.cv == 0.0 && f.minmax_share == 1.0);
    }
    {  // nothing happened: all zero, and no threads at all
        const auto z = fairness_of({0, 0});
        CHECK(z.jain == 0.0 && z.cv == 0.0 && z.minmax_share == 0.0);
        const auto e = fairness_of({});
        CHECK(e.jain == 0.0 && e.cv == 0.0);
    }
    {  // CPU nanoseconds and rates (doubles) go through the same statistics
        const auto f = lpb::fairness_of_values(std::vector<double>{1.0, 2.0, 3.0, 4.0});
        CHECK(near(f.jain, 100.0 / 120.0) && near(f.minmax_share, 0.25));
        const auto z = lpb::fairness_of_values(std::vector<double>{0.0, 0.0});
        CHECK(z.jain == 0.0 && z.minmax_share == 0.0);
    }
    {  // ops per CPU-second: unequal ops in proportion to unequal CPU time is an even share
        const std::vector<double> r = lpb::ops_per_cpu_s({100, 400}, {1000000000ull, 4000000000ull});
        CHECK(r.size() == 2 && near(r[0], 100.0) && near(r[1], 100.0));
        const auto f = lpb::fairness_of_values(r);
        CHECK(f.jain == 1.0 && f.minmax_share == 1.0);
        CHECK(near(lpb::fairness_of({100, 400}).minmax_share, 0.25));
        // equal CPU, unequal ops: the design's own unevenness stays
        CHECK(near(lpb::fairness_of_values(lpb::ops_per_cpu_s({100, 400}, {500, 500})).minmax_share, 0.25));
        // a thread without CPU time is left out; mismatched sizes give nothing
        CHECK(lpb::ops_per_cpu_s({5, 7}, {0, 10}).size() == 1);
        CHECK(lpb::ops_per_cpu_s({5, 7}, {10}).empty());
    }
    std::puts("test_fairness: ok");
    return 0;
}
