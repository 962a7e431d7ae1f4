// cxx_header.cpp — lockpool.h compiles as C++ (built as C++11 with -Wpedantic: no _Atomic,
// no C-only syntax leaks out of the header) and the C library links from C++ through
// extern "C". The layout seen from C++ must match the C one: the sizes are fixed here.
#include <lockpool.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <type_traits>

static_assert(alignof(lp_slot) == LP_CACHELINE && sizeof(lp_slot) == LP_CACHELINE, "slot: one cache line");
static_assert(alignof(lp_cell) == LP_CACHELINE && sizeof(lp_cell) == LP_CACHELINE, "cell: one cache line");
static_assert(sizeof(lp_pool) == 3 * LP_CACHELINE, "pool header: three cache lines");
static_assert(std::is_trivially_copyable<lp_wait>::value, "lp_wait is a plain C struct");
static_assert(std::is_standard_layout<lp_pool>::value, "lp_pool is a plain C struct");

namespace {

LP_POOL_DEFINE(demo, 2, 4);

struct Counter {
    int calls = 0;
};

void count_call(void *ctx) { static_cast<Counter *>(ctx)->calls++; }

int check(bool ok, const char *what) {
    if (!ok)
        std::fprintf(stderr, "cxx_header: %s failed\n", what);
    return ok ? 0 : 1;
}

} // namespace

int main() {
    int failures = 0;
    failures += check(LP_POOL_INIT(demo, LP_FAIR) == LP_OK, "LP_POOL_INIT");
    lp_pool *pool = LP_POOL(demo);
    failures += check(lp_storage_size(2, 4) == sizeof demo, "lp_storage_size");

    std::uint32_t a = 0, b = 0, c = 0;
    failures += check(lp_try_get(pool, &a) == LP_OK, "lp_try_get");
    failures += check(lp_get(pool, &b) == LP_OK, "lp_get");
    failures += check(lp_try_get(pool, &c) == LP_EMPTY, "lp_try_get on an empty pool");

    Counter counter;
    lp_wait wait = LP_WAIT_INIT;
    lp_waker waker = {count_call, &counter};
    failures += check(lp_get_async(pool, &wait, waker, &c) == LP_PENDING, "lp_get_async");
    failures += check(lp_put(pool, a) == LP_OK && counter.calls == 1, "lp_put hands off");
    failures += check(lp_wait_poll(pool, &wait, nullptr, &c) == LP_OK && c == a, "lp_wait_poll");
    failures += check(lp_put(pool, b) == LP_OK && lp_put(pool, c) == LP_OK, "lp_put");
    failures += check(lp_debug_held(pool) == 0, "lp_debug_held");
    failures += check(std::strlen(lp_status_str(LP_ETIMEDOUT)) > 0, "lp_status_str");
    if (failures == 0)
        std::printf("cxx_header: ok\n");
    return failures;
}
