/*
 * prim_none.c — a build without a platform layer (CMake -DLP_PRIM=none): every blocking call
 * answers LP_ENOSYS, with good arguments and bad, and changes nothing; the core around it
 * (try_get, put, the async path) works as everywhere, in every mode. Built and run only in
 * that build (scripts/run-tests.sh, phase prim_none).
 */
#include <stdio.h>
#include <stdlib.h>

#include "lockpool.h"

#define NSLOTS 2
#define NCELLS 4

static int failures;

#define EXPECT(expr, want)                                                                 \
    do {                                                                                   \
        lp_status got_ = (expr);                                                           \
        if (got_ != (want)) {                                                              \
            fprintf(stderr, "prim_none: mode %d: %s returned %s, expected %s\n", mode,     \
                    #expr, lp_status_str(got_), lp_status_str(want));                      \
            failures++;                                                                    \
        }                                                                                  \
    } while (0)

static int create_ok(void *ctx, uint32_t slot) {
    (void)ctx;
    (void)slot;
    return 0;
}

static void wake_count(void *ctx) { ++*(int *)ctx; }

static LP_POOL_DEFINE(store, NSLOTS, NCELLS);

/* Every blocking call, with valid and with bad arguments: LP_ENOSYS, nothing taken. */
static void blocking_calls_unavailable(lp_pool *pool, int mode) {
    uint32_t slot = UINT32_MAX;
    lp_wait wait = LP_WAIT_INIT;
    EXPECT(lp_get(pool, &slot), LP_ENOSYS);
    EXPECT(lp_get_timeout(pool, &slot, 0), LP_ENOSYS);
    EXPECT(lp_get_timeout(pool, &slot, LP_FOREVER), LP_ENOSYS);
    EXPECT(lp_get_begin(pool, &wait, &slot), LP_ENOSYS);
    EXPECT(lp_get_finish(pool, &wait, &slot, 1000), LP_ENOSYS);
    EXPECT(lp_get_or_create(pool, &slot, LP_FOREVER, create_ok, NULL), LP_ENOSYS);
    EXPECT(lp_get(NULL, NULL), LP_ENOSYS);
    EXPECT(lp_get_begin(pool, NULL, NULL), LP_ENOSYS);
    EXPECT(lp_get_or_create(pool, &slot, 0, NULL, NULL), LP_ENOSYS);
    if (lp_debug_held(pool) != 0u || lp_debug_queued(pool) != 0u) {
        fprintf(stderr, "prim_none: mode %d: a blocking call took a slot or queued\n", mode);
        failures++;
    }
    if (lp_clock_ns() != 0u) {
        fprintf(stderr, "prim_none: lp_clock_ns() is not 0 without a platform clock\n");
        failures++;
    }
}

/* The core: take every slot, queue an async wait, hand a slot to it, collect it. */
static void core_works(lp_pool *pool, int mode) {
    uint32_t held[NSLOTS], slot = UINT32_MAX;
    int wakes = 0;
    lp_wait wait = LP_WAIT_INIT;
    for (int i = 0; i < NSLOTS; i++)
        EXPECT(lp_try_get(pool, &held[i]), LP_OK);
    EXPECT(lp_try_get(pool, &slot), LP_EMPTY);
    EXPECT(lp_get_async(pool, &wait, (lp_waker){wake_count, &wakes}, &slot), LP_PENDING);
    EXPECT(lp_put(pool, held[0]), LP_OK);
    if (wakes != 1) {
        fprintf(stderr, "prim_none: mode %d: %d wakes after the put, expected 1\n", mode, wakes);
        failures++;
    }
    /* FAIR hands the slot over; the other modes woke the wait to retry, and the slot is free */
    EXPECT(lp_wait_poll(pool, &wait, NULL, &slot), LP_OK);
    EXPECT(lp_put(pool, slot), LP_OK);
    EXPECT(lp_put(pool, held[1]), LP_OK);
    if (lp_debug_held(pool) != 0u || lp_debug_queued(pool) != 0u) {
        fprintf(stderr, "prim_none: mode %d: the pool is not idle after the async round\n", mode);
        failures++;
    }
}

int main(void) {
    const lp_mode modes[] = {LP_RESTRICTED, LP_FAIR, LP_BARGING, LP_BOUNDED};
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
        int mode = (int)modes[i];
        EXPECT(lp_init_in(&store, sizeof store, NSLOTS, NCELLS, modes[i]), LP_OK);
        blocking_calls_unavailable(LP_POOL(store), mode);
        core_works(LP_POOL(store), mode);
        blocking_calls_unavailable(LP_POOL(store), mode);
    }
    if (failures) {
        fprintf(stderr, "prim_none: %d checks failed\n", failures);
        return 1;
    }
    printf("prim_none: every blocking call answers LP_ENOSYS; the core works in all 4 modes\n");
    return 0;
}
