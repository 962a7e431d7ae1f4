/*
 * unit_sync.c — the blocking layer: lp_get, lp_get_timeout (0, small timeouts, LP_FOREVER),
 * lp_get_or_create, lp_clock_ns. After every timeout the pool must be consistent: nothing
 * held that was not, no waiter left behind (a FAIR try_get works again after a release).
 * No test here asserts on how long anything took.
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <sched.h>
#include <time.h>

#include "unit_util.h"

static void sleep_us(long us) {
    struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
    nanosleep(&ts, NULL);
}

static void get_takes_free_slot_and_rejects_null(void **state) {
    (void)state;
    static LP_POOL_DEFINE(pl, 2, 2);
    lp_pool *p = LP_POOL(pl);
    assert_status(LP_POOL_INIT(pl, LP_FAIR), LP_OK);
    uint32_t a, b;
    assert_status(lp_get(p, &a), LP_OK);
    assert_status(lp_get_timeout(p, &b, 0), LP_OK);
    assert_true(a < 2 && b < 2 && a != b);
    assert_int_equal(lp_debug_held(p), 2);
    assert_status(lp_put(p, a), LP_OK);
    assert_status(lp_get_timeout(p, &a, LP_FOREVER), LP_OK);
    assert_status(lp_put(p, a), LP_OK);
    assert_status(lp_put(p, b), LP_OK);

    assert_status(lp_get(NULL, &a), LP_EINVAL);
    assert_status(lp_get(p, NULL), LP_EINVAL);
    assert_status(lp_get_timeout(NULL, &a, 0), LP_EINVAL);
    assert_status(lp_get_timeout(p, NULL, 0), LP_EINVAL);
    assert_int_equal(lp_debug_held(p), 0);
}

/* Timeouts of 0 and a few small values: LP_ETIMEDOUT, and nothing left behind. */
static void get_timeout_expires_and_leaves_pool_consistent(void **state) {
    (void)state;
    const lp_mode modes[] = {LP_FAIR, LP_BARGING, LP_BOUNDED};
    const uint64_t timeouts_ns[] = {0, 1, 1000, 50000, 1000000, 5000000};
    for (size_t m = 0; m < sizeof modes / sizeof modes[0]; m++) {
        static LP_POOL_DEFINE(pl, 2, 2);
        lp_pool *p = LP_POOL(pl);
        assert_status(LP_POOL_INIT(pl, modes[m]), LP_OK);
        uint32_t held[2] = {0, 0}, got;
        assert_int_equal(take_all(p, held, 2), 2);
        for (size_t t = 0; t < sizeof timeouts_ns / sizeof timeouts_ns[0]; t++) {
            assert_status(lp_get_timeout(p, &got, timeouts_ns[t]), LP_ETIMEDOUT);
            assert_int_equal(lp_debug_held(p), 2);
            assert_int_equal(lp_debug_queued(p), 0);
        }
        assert_status(lp_put(p, held[0]), LP_OK);
        assert_int_equal(lp_debug_held(p), 1);
        assert_status(lp_try_get(p, &got), LP_OK); /* no stale waiter got it */
        assert_int_equal(got, held[0]);
        assert_status(lp_put(p, got), LP_OK);
        assert_status(lp_put(p, held[1]), LP_OK);
        assert_int_equal(lp_debug_held(p), 0);
    }
}

/* With no cells at all a blocking get cannot wait. */
static void get_with_zero_cells_is_efull(void **state) {
    (void)state;
    LP_POOL_DEFINE(pl, 1, 1);
    lp_pool *p = &pl.pool;
    assert_status(lp_init(p, pl.slots, 1, NULL, 0, LP_FAIR), LP_OK);
    uint32_t a, b;
    assert_status(lp_get(p, &a), LP_OK);
    assert_status(lp_get(p, &b), LP_EFULL);
    assert_int_equal(lp_debug_held(p), 1);
    assert_status(lp_put(p, a), LP_OK);
}

typedef struct blocked_getter {
    lp_pool *pool;
    uint64_t timeout_ns; /* LP_FOREVER: use lp_get */
    uint32_t slot;
    lp_status st;
} blocked_getter;

static void *blocked_getter_main(void *arg) {
    blocked_getter *g = arg;
    g->st = g->timeout_ns == LP_FOREVER ? lp_get(g->pool, &g->slot)
                                        : lp_get_timeout(g->pool, &g->slot, g->timeout_ns);
    return NULL;
}

/* Wait (without a deadline: ctest's timeout is the hang detector) until n waiters are queued. */
static void wait_until_queued(lp_pool *p, uint32_t n) {
    while (lp_debug_queued(p) < n)
        sleep_us(100);
}

/* A blocked lp_get / lp_get_timeout is handed the slot another thread releases. */
static void blocked_get_receives_release(void **state) {
    (void)state;
    const uint64_t timeouts[] = {LP_FOREVER, 3600ull * 1000000000ull};
    const lp_mode modes[] = {LP_FAIR, LP_BARGING};
    for (size_t m = 0; m < 2; m++) {
        for (size_t t = 0; t < 2; t++) {
            static LP_POOL_DEFINE(pl, 1, 2);
            lp_pool *p = LP_POOL(pl);
            assert_status(LP_POOL_INIT(pl, modes[m]), LP_OK);
            uint32_t held;
            assert_status(lp_try_get(p, &held), LP_OK);
            blocked_getter g = {.pool = p, .timeout_ns = timeouts[t], .slot = UINT32_MAX};
            pthread_t th;
            assert_int_equal(pthread_create(&th, NULL, blocked_getter_main, &g), 0);
            wait_until_queued(p, 1);
            assert_status(lp_put(p, held), LP_OK);
            assert_int_equal(pthread_join(th, NULL), 0);
            assert_status(g.st, LP_OK);
            assert_int_equal(g.slot, held);
            assert_int_equal(lp_debug_held(p), 1);
            assert_int_equal(lp_debug_queued(p), 0);
            assert_status(lp_put(p, g.slot), LP_OK);
        }
    }
}

/* Two blocked threads in FAIR mode are served in the order they queued. */
static void blocked_gets_are_served_in_order(void **state) {
    (void)state;
    static LP_POOL_DEFINE(pl, 1, 4);
    lp_pool *p = LP_POOL(pl);
    assert_status(LP_POOL_INIT(pl, LP_FAIR), LP_OK);
    uint32_t held;
    assert_status(lp_try_get(p, &held), LP_OK);
    blocked_getter g[2] = {{.pool = p, .timeout_ns = LP_FOREVER}, {.pool = p, .timeout_ns = LP_FOREVER}};
    pthread_t th[2];
    assert_int_equal(pthread_create(&th[0], NULL, blocked_getter_main, &g[0]), 0);
    wait_until_queued(p, 1);
    assert_int_equal(pthread_create(&th[1], NULL, blocked_getter_main, &g[1]), 0);
    wait_until_queued(p, 2);
    assert_status(lp_put(p, held), LP_OK);
    assert_int_equal(pthread_join(th[0], NULL), 0); /* the first queued returns first */
    assert_status(g[0].st, LP_OK);
    assert_int_equal(lp_debug_queued(p), 1);        /* the second still waits */
    assert_status(lp_put(p, g[0].slot), LP_OK);
    assert_int_equal(pthread_join(th[1], NULL), 0);
    assert_status(g[1].st, LP_OK);
    assert_status(lp_put(p, g[1].slot), LP_OK);
    assert_int_equal(lp_debug_held(p), 0);
}

/* lp_get_begin/lp_get_finish: begin never blocks; waits begun in some order are served
 * in that order (FAIR), all from one thread, so the order is the test's, not a scheduler's. */
static void split_get_serves_in_begin_order(void **state) {
    (void)state;
    static LP_POOL_DEFINE(pl, 1, 4);
    lp_pool *p = LP_POOL(pl);
    assert_status(LP_POOL_INIT(pl, LP_FAIR), LP_OK);
    lp_wait w[3] = {LP_WAIT_INIT, LP_WAIT_INIT, LP_WAIT_INIT};
    uint32_t held, got[3] = {9, 9, 9};
    assert_status(lp_get_begin(p, &w[0], &held), LP_OK); /* free: taken at once */
    assert_status(lp_get_begin(p, &w[1], &got[1]), LP_PENDING);
    assert_status(lp_get_begin(p, &w[2], &got[2]), LP_PENDING);
    assert_status(lp_get_begin(p, &w[1], &got[1]), LP_ESTATE); /* already pending */
    assert_int_equal(lp_debug_queued(p), 2);
    uint32_t other;
    assert_status(lp_try_get(p, &other), LP_EMPTY);
    assert_status(lp_put(p, held), LP_OK);                    /* hand-off to w[1] */
    assert_status(lp_try_get(p, &other), LP_EMPTY);          /* no barging past w[2] */
    assert_status(lp_get_finish(p, &w[1], &got[1], 0), LP_OK); /* already served: no wait */
    assert_int_equal(got[1], held);
    assert_status(lp_get_finish(p, &w[1], &got[1], 0), LP_ESTATE); /* finished */
    assert_status(lp_put(p, got[1]), LP_OK);                  /* hand-off to w[2] */
    assert_status(lp_get_finish(p, &w[2], &got[2], LP_FOREVER), LP_OK);
    assert_int_equal(got[2], held);
    assert_int_equal(lp_debug_queued(p), 0);
    assert_status(lp_put(p, got[2]), LP_OK);
    assert_int_equal(lp_debug_held(p), 0);
}

/* A begun wait that is never served: finish times out and withdraws it; cancel also works;
 * an lp_get_async wait is refused by finish; bad input gets a status. */
static void split_get_timeout_cancel_and_bad_input(void **state) {
    (void)state;
    const lp_mode modes[] = {LP_FAIR, LP_BARGING, LP_BOUNDED};
    for (size_t m = 0; m < sizeof modes / sizeof modes[0]; m++) {
        static LP_POOL_DEFINE(pl, 1, 2);
        lp_pool *p = LP_POOL(pl);
        assert_status(LP_POOL_INIT(pl, modes[m]), LP_OK);
        uint32_t held, got = 7;
        assert_status(lp_try_get(p, &held), LP_OK);
        lp_wait w = LP_WAIT_INIT;
        assert_status(lp_get_finish(p, &w, &got, 0), LP_ESTATE); /* never begun */
        assert_status(lp_get_begin(p, &w, &got), LP_PENDING);
        assert_status(lp_get_finish(p, &w, &got, 1000000), LP_ETIMEDOUT);
        assert_int_equal(lp_debug_queued(p), 0);
        assert_status(lp_get_finish(p, &w, &got, 0), LP_ESTATE); /* withdrawn */
        assert_status(lp_get_begin(p, &w, &got), LP_PENDING);
        assert_status(lp_wait_cancel(p, &w, &got), LP_CANCELLED);
        assert_int_equal(lp_debug_queued(p), 0);

        lp_wait aw = LP_WAIT_INIT;
        wake_counter woken = {0};
        assert_status(lp_get_async(p, &aw, counting_waker(&woken), &got), LP_PENDING);
        assert_status(lp_get_finish(p, &aw, &got, 0), LP_ESTATE); /* not a begun wait */
        assert_status(lp_wait_cancel(p, &aw, &got), LP_CANCELLED);

        assert_status(lp_get_begin(NULL, &w, &got), LP_EINVAL);
        assert_status(lp_get_begin(p, NULL, &got), LP_EINVAL);
        assert_status(lp_get_begin(p, &w, NULL), LP_EINVAL);
        assert_status(lp_get_finish(NULL, &w, &got, 0), LP_EINVAL);
        assert_status(lp_get_finish(p, NULL, &got, 0), LP_EINVAL);
        assert_status(lp_get_finish(p, &w, NULL, 0), LP_EINVAL);
        assert_status(lp_put(p, held), LP_OK);
        assert_status(lp_try_get(p, &got), LP_OK); /* nothing left queued in front */
        assert_status(lp_put(p, got), LP_OK);
    }
}

/* Another thread's release reaches a finish that is parked. */
static void *release_later_main(void *arg) {
    lp_pool *p = arg;
    sleep_us(2000);
    lp_put(p, 0);
    return NULL;
}

static void split_get_finish_parks_until_release(void **state) {
    (void)state;
    static LP_POOL_DEFINE(pl, 1, 2);
    lp_pool *p = LP_POOL(pl);
    assert_status(LP_POOL_INIT(pl, LP_FAIR), LP_OK);
    uint32_t held, got = 9;
    assert_status(lp_try_get(p, &held), LP_OK);
    assert_int_equal(held, 0);
    lp_wait w = LP_WAIT_INIT;
    assert_status(lp_get_begin(p, &w, &got), LP_PENDING);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, release_later_main, p), 0);
    assert_status(lp_get_finish(p, &w, &got, LP_FOREVER), LP_OK);
    assert_int_equal(got, 0);
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_status(lp_put(p, got), LP_OK);
}

static void get_or_create_statuses(void **state) {
    (void)state;
    static LP_POOL_DEFINE(pl, 1, 2);
    lp_pool *p = LP_POOL(pl);
    assert_status(LP_POOL_INIT(pl, LP_FAIR), LP_OK);
    create_ctx cc = {0};
    uint32_t slot, other;

    assert_status(lp_get_or_create(p, &slot, 0, unit_create, &cc), LP_OK);
    assert_int_equal(cc.calls, 1);
    assert_int_equal(lp_slot_created(p, slot), 1);
    /* empty pool: times out without calling create */
    assert_status(lp_get_or_create(p, &other, 0, unit_create, &cc), LP_ETIMEDOUT);
    assert_status(lp_get_or_create(p, &other, 100000, unit_create, &cc), LP_ETIMEDOUT);
    assert_int_equal(cc.calls, 1);
    assert_int_equal(lp_debug_queued(p), 0);
    assert_status(lp_put_discard(p, slot), LP_OK);

    /* the create fails: LP_ECREATE and the slot is back in the pool */
    cc.fail = 1;
    assert_status(lp_get_or_create(p, &slot, LP_FOREVER, unit_create, &cc), LP_ECREATE);
    assert_int_equal(cc.calls, 2);
    assert_int_equal(lp_debug_held(p), 0);
    cc.fail = 0;
    assert_status(lp_get_or_create(p, &slot, LP_FOREVER, unit_create, &cc), LP_OK);
    assert_int_equal(cc.calls, 3);
    assert_status(lp_put(p, slot), LP_OK);
    assert_status(lp_get_or_create(p, &slot, 0, unit_create, &cc), LP_OK);
    assert_int_equal(cc.calls, 3); /* kept across a plain put */
    assert_status(lp_put(p, slot), LP_OK);
}

static void clock_is_monotonic(void **state) {
    (void)state;
    uint64_t prev = lp_clock_ns();
    assert_true(prev > 0);
    for (int i = 0; i < 1000; i++) {
        uint64_t now = lp_clock_ns();
        assert_true(now >= prev);
        prev = now;
    }
    sleep_us(1000);
    assert_true(lp_clock_ns() > prev);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(get_takes_free_slot_and_rejects_null),
        cmocka_unit_test(get_timeout_expires_and_leaves_pool_consistent),
        cmocka_unit_test(get_with_zero_cells_is_efull),
        cmocka_unit_test(blocked_get_receives_release),
        cmocka_unit_test(blocked_gets_are_served_in_order),
        cmocka_unit_test(split_get_serves_in_begin_order),
        cmocka_unit_test(split_get_timeout_cancel_and_bad_input),
        cmocka_unit_test(split_get_finish_parks_until_release),
        cmocka_unit_test(get_or_create_statuses),
        cmocka_unit_test(clock_is_monotonic),
    };
    return cmocka_run_group_tests_name("pool.unit.sync", tests, NULL, NULL);
}
