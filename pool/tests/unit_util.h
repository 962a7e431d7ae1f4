/*
 * unit_util.h — shared helpers for the cmocka unit tests of the pool core.
 *
 * The unit tests are single-threaded unless a test says otherwise, so the wakers
 * here count with plain ints: every call happens on the test's own thread (the
 * releasing thread is the caller of lp_put).
 */
#ifndef LP_UNIT_UTIL_H
#define LP_UNIT_UTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "lockpool.h"

/* Fail with both statuses spelled out, so a wrong status reads as "LP_EMPTY, expected LP_OK". */
#define assert_status(expr, expected)                                                      \
    do {                                                                                   \
        lp_status unit_st_ = (expr);                                                       \
        lp_status unit_exp_ = (expected);                                                  \
        if (unit_st_ != unit_exp_)                                                         \
            fail_msg("%s returned %s (%d), expected %s (%d)", #expr, lp_status_str(unit_st_), \
                     (int)unit_st_, lp_status_str(unit_exp_), (int)unit_exp_);            \
    } while (0)

/* Records every call of one waker, and where it fell in the order of all wake-ups. */
typedef struct wake_log wake_log;
typedef struct wake_counter {
    int calls;
    int id;
    wake_log *log; /* optional: shared order of wake-ups across wakers */
} wake_counter;

#define WAKE_LOG_CAP 256
struct wake_log {
    int ids[WAKE_LOG_CAP];
    int n;
};

static inline void unit_count_wake(void *ctx) {
    wake_counter *c = (wake_counter *)ctx;
    c->calls++;
    if (c->log && c->log->n < WAKE_LOG_CAP)
        c->log->ids[c->log->n++] = c->id;
}

static inline lp_waker counting_waker(wake_counter *c) {
    lp_waker w = {unit_count_wake, c};
    return w;
}

/* A create callback that counts calls, remembers the last slot and can be told to fail. */
typedef struct create_ctx {
    int calls;
    int fail;
    uint32_t last_slot;
} create_ctx;

static inline int unit_create(void *ctx, uint32_t slot) {
    create_ctx *c = (create_ctx *)ctx;
    c->calls++;
    c->last_slot = slot;
    return c->fail ? -1 : 0;
}

/* Take every free slot of the pool; returns how many were taken (slots written to out). */
static inline uint32_t take_all(lp_pool *pool, uint32_t *out, uint32_t cap) {
    uint32_t n = 0;
    uint32_t slot;
    while (n < cap && lp_try_get(pool, &slot) == LP_OK)
        out[n++] = slot;
    return n;
}

#endif /* LP_UNIT_UTIL_H */
