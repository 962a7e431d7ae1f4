// check.h — a CHECK that aborts with the failing expression and location (tests only).
#ifndef LP_BENCH_TEST_CHECK_H
#define LP_BENCH_TEST_CHECK_H
#include <cstdio>
#include <cstdlib>

#define CHECK(cond)                                                                      \
    do {                                                                                 \
        if (!(cond)) {                                                                   \
            std::fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
            std::abort();                                                                \
        }                                                                                \
    } while (0)
#endif
