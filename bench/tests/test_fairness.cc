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
    std::puts("test_fairness: ok");
    return 0;
}
