/*
 * misuse.c — the misuse table of lockpool.h (LP_MISUSE_TABLE), row by row, in every mode
 * lp_init accepts (found by asking lp_init, so a mode added later is covered as is).
 *
 * The table is the list of cases: this file expands it, so a row without a scenario here,
 * or a scenario for a call the table no longer lists, does not compile (-Werror). Each
 * row's driver builds its bad input in every form the table's legend names (e.g. BAD_POOL:
 * NULL, misaligned, zero-filled, arbitrary bytes, a failed lp_init, zeroed with a wait
 * pending), calls the function, and renders what came back as text; that text must equal
 * the table's third column in every form. After each row both valid pools must be idle and
 * usable (a call that reported bad input changed nothing), and a row that does not return
 * within ROW_SECONDS fails the test with its name (a hang, e.g. a cancel spinning on a cell
 * of another pool's ring).
 *
 * It also reads lockpool.h and fails if a function declared there has no row.
 *
 * usage: pool_misuse PATH/TO/lockpool.h      (exit 0 = every row held)
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <regex.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lockpool.h"

#define NSLOTS 2
#define NCELLS 4
#define ROW_SECONDS 20

enum input {
    IN_BAD_POOL,
    IN_NULL_SLOT,
    IN_NULL_WAIT,
    IN_NULL_FN,
    IN_SLOT_RANGE,
    IN_SLOT_FREE,
    IN_SLOT_TWICE,
    IN_SLOT_OTHERS,
    IN_WAIT_NEW,
    IN_WAIT_DONE,
    IN_WAIT_CANCELLED,
    IN_WAIT_OTHER,
    IN_WAIT_PENDING,
    IN_WAIT_ASYNC,
    IN_MODE,
    IN_COUNT,
    IN_STORAGE,
    IN_STATUS,
    IN_NO_INPUT,
    IN_KINDS_
};

/* The forms of BAD_POOL. */
enum bad_kind {
    BAD_NULL,
    BAD_MISALIGNED,   /* 8 bytes into a valid pool's storage */
    BAD_ZERO,         /* zero-filled: static storage never initialised */
    BAD_BYTES_A5,     /* never initialised: arbitrary bytes */
    BAD_BYTES_RANDOM, /* never initialised: arbitrary bytes */
    BAD_FAILED_FRESH, /* lp_init with zero slots (the first thing a new user tries) */
    BAD_FAILED_BUSY,  /* a pool in use (slots held, a wait pending), then a failed lp_init */
    BAD_ZEROED_BUSY,  /* a pool in use (slots held, a wait pending), then memset to 0 */
    BAD_KINDS_
};
static const char *const bad_name[BAD_KINDS_] = {"NULL", "misaligned", "zero-filled", "bytes 0xa5",
                                                 "random bytes", "failed lp_init", "failed lp_init on a busy pool",
                                                 "zeroed while busy"};

/* ---- failing ----------------------------------------------------------------------- */

static const char *current_row = "(set-up)";
static char current_row_buf[160];

_Noreturn static void fail(const char *fmt, ...) {
    va_list ap;
    fprintf(stderr, "pool_misuse: %s: ", current_row);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

#define CHECK(cond, ...)                                                                   \
    do {                                                                                   \
        if (!(cond))                                                                       \
            fail(__VA_ARGS__);                                                             \
    } while (0)

#define EXPECT(expr, want)                                                                 \
    do {                                                                                   \
        lp_status got_ = (expr);                                                           \
        CHECK(got_ == (want), "%s returned %s, expected %s", #expr, lp_status_str(got_),   \
              lp_status_str(want));                                                        \
    } while (0)

static void on_alarm(int sig) {
    (void)sig;
    static const char msg[] = "pool_misuse: a row did not return (hang): ";
    ssize_t ignored = write(2, msg, sizeof msg - 1);
    ignored = write(2, current_row, strlen(current_row));
    ignored = write(2, "\n", 1);
    (void)ignored;
    _exit(1);
}

/* ---- what a call answered, in every form of its bad input --------------------------- */

typedef struct outcome {
    char text[256];
    int seen;
} outcome;

/* Record one answer; answers that differ between forms are all kept, so the row fails
 * naming each form with its answer. */
static void see(outcome *o, const char *answer, const char *form) {
    if (!o->seen) {
        snprintf(o->text, sizeof o->text, "%s", answer);
        o->seen = 1;
        return;
    }
    if (strstr(o->text, " | ") == NULL && strcmp(o->text, answer) == 0)
        return;
    size_t n = strlen(o->text);
    snprintf(o->text + n, sizeof o->text - n, " | %s (%s)", answer, form);
}
static void see_st(outcome *o, lp_status st, const char *form) { see(o, lp_status_str(st), form); }
static void see_num(outcome *o, unsigned long v, const char *form) {
    char buf[32];
    snprintf(buf, sizeof buf, "%lu", v);
    see(o, buf, form);
}

/* ---- the pools ------------------------------------------------------------------------ */

static LP_POOL_DEFINE(store_a, NSLOTS, NCELLS);
static LP_POOL_DEFINE(store_b, NSLOTS, NCELLS);
static LP_POOL_DEFINE(store_c, NSLOTS, NCELLS); /* scratch: lp_init and setter rows */
static LP_POOL_DEFINE(store_bad, NSLOTS, NCELLS);

typedef struct env {
    lp_mode mode;
    lp_pool *a, *b;          /* valid, of `mode`, idle between rows */
    enum bad_kind bad_kind;
    lp_pool *bad;            /* this form of BAD_POOL */
    lp_wait *bad_own;        /* a record pending on `bad` before it went bad, or NULL */
    const lp_mode *modes;    /* every mode lp_init accepts */
    int nmodes;
} env;

static lp_wait bad_own_wait;

static void noop_wake(void *ctx) { ++*(int *)ctx; }
static int wakes;
static const lp_waker waker = {noop_wake, &wakes};

static int create_ok(void *ctx, uint32_t slot) {
    (void)ctx;
    (void)slot;
    return 0;
}

/* Take every slot of p (returns how many: NSLOTS). */
static uint32_t take_all(lp_pool *p, uint32_t held[NSLOTS]) {
    uint32_t n = 0;
    while (n < NSLOTS && lp_try_get(p, &held[n]) == LP_OK)
        n++;
    CHECK(n == NSLOTS, "could take only %u of %u slots", n, NSLOTS);
    return n;
}
static void put_all(lp_pool *p, const uint32_t held[NSLOTS]) {
    for (uint32_t i = 0; i < NSLOTS; i++)
        EXPECT(lp_put(p, held[i]), LP_OK);
}

/* A wait pending on p (every slot held meanwhile, in held[]): begun by lp_get_async, or by
 * lp_get_begin when parked. */
static void make_pending(lp_pool *p, lp_wait *w, uint32_t held[NSLOTS], int parked) {
    uint32_t slot;
    take_all(p, held);
    lp_wait_init(w);
    if (parked)
        EXPECT(lp_get_begin(p, w, &slot), LP_PENDING);
    else
        EXPECT(lp_get_async(p, w, waker, &slot), LP_PENDING);
}
/* Withdraw it (it must still be pending: the call under test changed nothing) and free
 * the slots. */
static void end_pending(lp_pool *p, lp_wait *w, const uint32_t held[NSLOTS]) {
    EXPECT(lp_wait_cancel(p, w, NULL), LP_CANCELLED);
    put_all(p, held);
}

/* A record whose wait has ended, in the form `form` (0: the get returned LP_OK at once;
 * 1: it was queued, served and collected). Leaves p idle. */
static void make_done(lp_pool *p, lp_wait *w, int form, int parked) {
    uint32_t slot, held[NSLOTS];
    lp_wait_init(w);
    if (form == 0) {
        if (parked)
            EXPECT(lp_get_begin(p, w, &slot), LP_OK);
        else
            EXPECT(lp_get_async(p, w, waker, &slot), LP_OK);
        EXPECT(lp_put(p, slot), LP_OK);
        return;
    }
    make_pending(p, w, held, parked);
    EXPECT(lp_put(p, held[0]), LP_OK);
    lp_status st = LP_PENDING;
    if (parked) {
        st = lp_get_finish(p, w, &slot, LP_FOREVER);
    } else {
        /* BARGING: the put woke the wait to retry; the poll retries and takes the slot */
        for (int i = 0; i < 1000 && st == LP_PENDING; i++)
            st = lp_wait_poll(p, w, NULL, &slot);
    }
    EXPECT(st, LP_OK);
    EXPECT(lp_put(p, slot), LP_OK);
    EXPECT(lp_put(p, held[1]), LP_OK);
}

static void make_cancelled(lp_pool *p, lp_wait *w, int parked) {
    uint32_t held[NSLOTS];
    make_pending(p, w, held, parked);
    EXPECT(lp_wait_cancel(p, w, NULL), LP_CANCELLED);
    put_all(p, held);
}

/* Both valid pools idle and usable: nothing held, nothing queued, a get and put work. */
static void check_idle(lp_pool *p, const char *name) {
    uint32_t slot;
    CHECK(lp_debug_held(p) == 0u, "pool %s: %u slots left held", name, lp_debug_held(p));
    CHECK(lp_debug_queued(p) == 0u, "pool %s: %u tickets left queued", name, lp_debug_queued(p));
    CHECK(lp_debug_woken(p) == 0u, "pool %s: %u retry wakes left", name, lp_debug_woken(p));
    EXPECT(lp_try_get(p, &slot), LP_OK);
    EXPECT(lp_put(p, slot), LP_OK);
}

/* Build this form of BAD_POOL in store_bad. */
static void make_bad(env *e, enum bad_kind kind) {
    uint32_t held[NSLOTS];
    e->bad_kind = kind;
    e->bad_own = NULL;
    e->bad = LP_POOL(store_bad);
    switch (kind) {
    case BAD_NULL:
        e->bad = NULL;
        break;
    case BAD_MISALIGNED:
        EXPECT(LP_POOL_INIT(store_bad, e->mode), LP_OK);
        /* a valid pool's storage, 8 bytes in */
        e->bad = (lp_pool *)(void *)((char *)(void *)&store_bad + 8);
        break;
    case BAD_ZERO:
        memset(&store_bad, 0, sizeof store_bad);
        break;
    case BAD_BYTES_A5:
        memset(&store_bad, 0xa5, sizeof store_bad);
        break;
    case BAD_BYTES_RANDOM:
        for (size_t i = 0; i < sizeof store_bad; i++)
            ((unsigned char *)(void *)&store_bad)[i] = (unsigned char)rand();
        break;
    case BAD_FAILED_FRESH:
        memset(&store_bad, 0, sizeof store_bad);
        EXPECT(lp_init(LP_POOL(store_bad), store_bad.slots, 0, store_bad.cells, NCELLS, e->mode), LP_EINVAL);
        break;
    case BAD_FAILED_BUSY:
        EXPECT(LP_POOL_INIT(store_bad, e->mode), LP_OK);
        make_pending(LP_POOL(store_bad), &bad_own_wait, held, 0);
        EXPECT(lp_init(LP_POOL(store_bad), store_bad.slots, 0, store_bad.cells, NCELLS, e->mode), LP_EINVAL);
        e->bad_own = &bad_own_wait;
        break;
    case BAD_ZEROED_BUSY:
        EXPECT(LP_POOL_INIT(store_bad, e->mode), LP_OK);
        make_pending(LP_POOL(store_bad), &bad_own_wait, held, 0);
        memset(&store_bad, 0, sizeof store_bad);
        e->bad_own = &bad_own_wait;
        break;
    case BAD_KINDS_:
        break;
    }
}

/* ---- one driver per call of the table ---------------------------------------------------- */

typedef void driver(env *e, enum input in, outcome *o);

#define NO_SCENARIO(o) see((o), "(no scenario for this input in pool_misuse)", "")

static driver drive_lp_init;
static void drive_lp_init(env *e, enum input in, outcome *o) {
    lp_pool *c = LP_POOL(store_c);
    lp_slot *s = store_c.slots;
    lp_cell *cl = store_c.cells;
    switch (in) {
    case IN_BAD_POOL: {
        /* lp_init's own BAD_POOL: NULL or misaligned (other storage is what it sets up) */
        lp_pool *p = e->bad_kind == BAD_NULL ? NULL : (lp_pool *)(void *)((char *)(void *)&store_c + 8);
        see_st(o, lp_init(p, s, NSLOTS, cl, NCELLS, e->mode), e->bad_kind == BAD_NULL ? "NULL" : "misaligned");
        break;
    }
    case IN_STORAGE:
        see_st(o, lp_init(c, NULL, NSLOTS, cl, NCELLS, e->mode), "slots NULL");
        see_st(o, lp_init(c, s, NSLOTS, NULL, NCELLS, e->mode), "cells NULL, ncells > 0");
        see_st(o, lp_init(c, s, NSLOTS, cl, 0, e->mode), "cells, ncells 0");
        see_st(o, lp_init(c, (lp_slot *)(void *)((char *)s + 4), NSLOTS - 1, cl, NCELLS, e->mode), "slots misaligned");
        see_st(o, lp_init(c, s, NSLOTS, (lp_cell *)(void *)((char *)cl + 4), NCELLS - 1, e->mode), "cells misaligned");
        break;
    case IN_COUNT:
        see_st(o, lp_init(c, s, 0, cl, NCELLS, e->mode), "0 slots");
        see_st(o, lp_init(c, s, LP_MAX_SLOTS + 1u, cl, NCELLS, e->mode), "LP_MAX_SLOTS + 1");
        see_st(o, lp_init(c, s, UINT32_MAX, cl, NCELLS, e->mode), "UINT32_MAX slots");
        see_st(o, lp_init(c, s, NSLOTS, cl, LP_MAX_WAITERS + 1u, e->mode), "LP_MAX_WAITERS + 1");
        break;
    case IN_MODE: {
        int top = 0;
        for (int i = 0; i < e->nmodes; i++)
            top = (int)e->modes[i] > top ? (int)e->modes[i] : top;
        see_st(o, lp_init(c, s, NSLOTS, cl, NCELLS, LP_MODE_INVALID), "LP_MODE_INVALID");
        see_st(o, lp_init(c, s, NSLOTS, cl, NCELLS, (lp_mode)(top + 1)), "one above the last mode");
        see_st(o, lp_init(c, s, NSLOTS, cl, NCELLS, (lp_mode)1000), "1000");
        break;
    }
    default:
        NO_SCENARIO(o);
    }
    /* every failed lp_init on store_c left it unusable */
    if (in != IN_BAD_POOL)
        CHECK(lp_slot_count(c) == 0u, "a failed lp_init left the pool usable");
}

static driver drive_lp_storage_size;
static void drive_lp_storage_size(env *e, enum input in, outcome *o) {
    (void)e;
    if (in != IN_COUNT) {
        NO_SCENARIO(o);
        return;
    }
    see_num(o, (unsigned long)lp_storage_size(0, 1), "0 slots");
    see_num(o, (unsigned long)lp_storage_size(LP_MAX_SLOTS + 1u, 1), "LP_MAX_SLOTS + 1");
    see_num(o, (unsigned long)lp_storage_size(1, LP_MAX_WAITERS + 1u), "LP_MAX_WAITERS + 1");
    see_num(o, (unsigned long)lp_storage_size(UINT32_MAX, UINT32_MAX), "UINT32_MAX");
}

static driver drive_lp_init_in;
static void drive_lp_init_in(env *e, enum input in, outcome *o) {
    void *mem = &store_c; /* LP_POOL_DEFINE's layout is lp_init_in's: header, slots, cells */
    const size_t len = sizeof store_c, need = lp_storage_size(NSLOTS, NCELLS);
    CHECK(need == len, "lp_storage_size(%d, %d) = %zu, LP_POOL_DEFINE holds %zu", NSLOTS, NCELLS, need, len);
    EXPECT(lp_init_in(mem, len, NSLOTS, NCELLS, e->mode), LP_OK); /* a pool the failures must undo */
    switch (in) {
    case IN_STORAGE:
        see_st(o, lp_init_in(NULL, len, NSLOTS, NCELLS, e->mode), "mem NULL");
        see_st(o, lp_init_in((char *)mem + 8, len - 8, NSLOTS, NCELLS - 1, e->mode), "mem misaligned");
        see_st(o, lp_init_in(mem, 0, NSLOTS, NCELLS, e->mode), "len 0");
        see_st(o, lp_init_in(mem, need - 1, NSLOTS, NCELLS, e->mode), "len one byte short");
        see_st(o, lp_init_in(mem, sizeof(lp_pool), NSLOTS, 0, e->mode), "len of the header alone");
        break;
    case IN_COUNT:
        see_st(o, lp_init_in(mem, len, 0, NCELLS, e->mode), "0 slots");
        see_st(o, lp_init_in(mem, SIZE_MAX, LP_MAX_SLOTS + 1u, NCELLS, e->mode), "LP_MAX_SLOTS + 1");
        see_st(o, lp_init_in(mem, SIZE_MAX, NSLOTS, LP_MAX_WAITERS + 1u, e->mode), "LP_MAX_WAITERS + 1");
        break;
    case IN_MODE:
        see_st(o, lp_init_in(mem, len, NSLOTS, NCELLS, LP_MODE_INVALID), "LP_MODE_INVALID");
        see_st(o, lp_init_in(mem, len, NSLOTS, NCELLS, (lp_mode)1000), "1000");
        break;
    default:
        NO_SCENARIO(o);
    }
    /* the storage held a pool before the failed calls: none is left */
    CHECK(lp_slot_count(LP_POOL(store_c)) == 0u, "a failed lp_init_in left the pool usable");
    EXPECT(lp_init_in(mem, len, NSLOTS, NCELLS, e->mode), LP_OK);
    CHECK(lp_slot_count(LP_POOL(store_c)) == NSLOTS && lp_waiter_capacity(LP_POOL(store_c)) == NCELLS,
          "lp_init_in with valid input did not set up the pool");
}

static driver drive_lp_set_fairness_bound;
static void drive_lp_set_fairness_bound(env *e, enum input in, outcome *o) {
    switch (in) {
    case IN_BAD_POOL:
        see_st(o, lp_set_fairness_bound(e->bad, 1000, lp_clock_ns), bad_name[e->bad_kind]);
        break;
    case IN_NULL_FN:
        EXPECT(LP_POOL_INIT(store_c, LP_BOUNDED), LP_OK);
        see_st(o, lp_set_fairness_bound(LP_POOL(store_c), 1000, NULL), "LP_BOUNDED pool");
        see_st(o, lp_set_fairness_bound(e->a, 1000, NULL), "this mode's pool");
        break;
    case IN_MODE:
        for (int i = 0; i < e->nmodes; i++) {
            if (e->modes[i] == LP_BOUNDED)
                continue;
            char form[32];
            snprintf(form, sizeof form, "mode %d", (int)e->modes[i]);
            EXPECT(LP_POOL_INIT(store_c, e->modes[i]), LP_OK);
            see_st(o, lp_set_fairness_bound(LP_POOL(store_c), 1000, lp_clock_ns), form);
        }
        break;
    default:
        NO_SCENARIO(o);
    }
}

static driver drive_lp_set_bypass_bound;
static void drive_lp_set_bypass_bound(env *e, enum input in, outcome *o) {
    switch (in) {
    case IN_BAD_POOL:
        see_st(o, lp_set_bypass_bound(e->bad, 8), bad_name[e->bad_kind]);
        break;
    case IN_COUNT:
        EXPECT(LP_POOL_INIT(store_c, LP_RESTRICTED), LP_OK);
        see_st(o, lp_set_bypass_bound(LP_POOL(store_c), 0), "0 releases");
        see_st(o, lp_set_bypass_bound(LP_POOL(store_c), 0x80000000u), "2^31 releases");
        break;
    case IN_MODE:
        for (int i = 0; i < e->nmodes; i++) {
            if (e->modes[i] == LP_RESTRICTED)
                continue;
            char form[32];
            snprintf(form, sizeof form, "mode %d", (int)e->modes[i]);
            EXPECT(LP_POOL_INIT(store_c, e->modes[i]), LP_OK);
            see_st(o, lp_set_bypass_bound(LP_POOL(store_c), 8), form);
        }
        break;
    default:
        NO_SCENARIO(o);
    }
}

static driver drive_lp_set_retry_wakes;
static void drive_lp_set_retry_wakes(env *e, enum input in, outcome *o) {
    switch (in) {
    case IN_BAD_POOL:
        see_st(o, lp_set_retry_wakes(e->bad, 2), bad_name[e->bad_kind]);
        break;
    case IN_MODE:
        EXPECT(LP_POOL_INIT(store_c, LP_FAIR), LP_OK);
        see_st(o, lp_set_retry_wakes(LP_POOL(store_c), 2), "LP_FAIR pool");
        break;
    default:
        NO_SCENARIO(o);
    }
}

#define BAD_POOL_ONLY(o, in)                                                               \
    do {                                                                                   \
        if ((in) != IN_BAD_POOL) {                                                         \
            NO_SCENARIO(o);                                                                \
            return;                                                                        \
        }                                                                                  \
    } while (0)

static driver drive_lp_slot_count;
static void drive_lp_slot_count(env *e, enum input in, outcome *o) {
    BAD_POOL_ONLY(o, in);
    see_num(o, lp_slot_count(e->bad), bad_name[e->bad_kind]);
}
static driver drive_lp_waiter_capacity;
static void drive_lp_waiter_capacity(env *e, enum input in, outcome *o) {
    BAD_POOL_ONLY(o, in);
    see_num(o, lp_waiter_capacity(e->bad), bad_name[e->bad_kind]);
}
static driver drive_lp_pool_mode;
static void drive_lp_pool_mode(env *e, enum input in, outcome *o) {
    BAD_POOL_ONLY(o, in);
    lp_mode m = lp_pool_mode(e->bad);
    char buf[32];
    snprintf(buf, sizeof buf, "%d", (int)m);
    see(o, m == LP_MODE_INVALID ? "LP_MODE_INVALID" : buf, bad_name[e->bad_kind]);
}
static driver drive_lp_debug_held;
static void drive_lp_debug_held(env *e, enum input in, outcome *o) {
    BAD_POOL_ONLY(o, in);
    see_num(o, lp_debug_held(e->bad), bad_name[e->bad_kind]);
}
static driver drive_lp_debug_queued;
static void drive_lp_debug_queued(env *e, enum input in, outcome *o) {
    BAD_POOL_ONLY(o, in);
    see_num(o, lp_debug_queued(e->bad), bad_name[e->bad_kind]);
}
static driver drive_lp_debug_woken;
static void drive_lp_debug_woken(env *e, enum input in, outcome *o) {
    BAD_POOL_ONLY(o, in);
    see_num(o, lp_debug_woken(e->bad), bad_name[e->bad_kind]);
}

/* The get calls that take (pool, &slot) and nothing that can be bad but those. */
typedef lp_status get_fn(lp_pool *pool, uint32_t *slot);
static lp_status try_get_from_1(lp_pool *p, uint32_t *s) { return lp_try_get_from(p, 1, s); }
static lp_status get_timeout_1ms(lp_pool *p, uint32_t *s) { return lp_get_timeout(p, s, 1000000); }
static lp_status get_timeout_forever(lp_pool *p, uint32_t *s) { return lp_get_timeout(p, s, LP_FOREVER); }

static void drive_get(env *e, enum input in, outcome *o, get_fn *get) {
    uint32_t slot = UINT32_MAX;
    switch (in) {
    case IN_BAD_POOL:
        see_st(o, get(e->bad, &slot), bad_name[e->bad_kind]);
        break;
    case IN_NULL_SLOT:
        see_st(o, get(e->a, NULL), "idle pool");
        break;
    default:
        NO_SCENARIO(o);
    }
}
static driver drive_lp_try_get;
static void drive_lp_try_get(env *e, enum input in, outcome *o) { drive_get(e, in, o, lp_try_get); }
static driver drive_lp_try_get_from;
static void drive_lp_try_get_from(env *e, enum input in, outcome *o) { drive_get(e, in, o, try_get_from_1); }
static driver drive_lp_get;
static void drive_lp_get(env *e, enum input in, outcome *o) { drive_get(e, in, o, lp_get); }
static driver drive_lp_get_timeout;
static void drive_lp_get_timeout(env *e, enum input in, outcome *o) {
    drive_get(e, in, o, get_timeout_1ms);
    drive_get(e, in, o, get_timeout_forever);
}

static void drive_put(env *e, enum input in, outcome *o, lp_status (*put)(lp_pool *, uint32_t)) {
    lp_pool *a = e->a;
    uint32_t slot;
    switch (in) {
    case IN_BAD_POOL:
        see_st(o, put(e->bad, 0), bad_name[e->bad_kind]);
        break;
    case IN_SLOT_RANGE:
        see_st(o, put(a, NSLOTS), "slot == lp_slot_count");
        see_st(o, put(a, UINT32_MAX), "UINT32_MAX");
        EXPECT(lp_try_get(a, &slot), LP_OK); /* and with a slot held */
        see_st(o, put(a, NSLOTS), "slot == lp_slot_count, one held");
        EXPECT(lp_put(a, slot), LP_OK);
        break;
    case IN_SLOT_FREE:
        for (uint32_t s = 0; s < NSLOTS; s++)
            see_st(o, put(a, s), "never taken");
        break;
    case IN_SLOT_TWICE:
        EXPECT(lp_try_get(a, &slot), LP_OK);
        EXPECT(put(a, slot), LP_OK);
        see_st(o, put(a, slot), "second put");
        break;
    case IN_SLOT_OTHERS:
        EXPECT(lp_try_get(a, &slot), LP_OK); /* "the holder" */
        see_st(o, put(a, slot), "put by another caller");
        /* the holder's own put: the slot is no longer held */
        EXPECT(put(a, slot), LP_ENOTHELD);
        break;
    default:
        NO_SCENARIO(o);
    }
}
static driver drive_lp_put;
static void drive_lp_put(env *e, enum input in, outcome *o) { drive_put(e, in, o, lp_put); }
static driver drive_lp_put_discard;
static void drive_lp_put_discard(env *e, enum input in, outcome *o) { drive_put(e, in, o, lp_put_discard); }

static driver drive_lp_slot_created;
static void drive_lp_slot_created(env *e, enum input in, outcome *o) {
    switch (in) {
    case IN_BAD_POOL:
        see_num(o, (unsigned long)lp_slot_created(e->bad, 0), bad_name[e->bad_kind]);
        break;
    case IN_SLOT_RANGE:
        see_num(o, (unsigned long)lp_slot_created(e->a, NSLOTS), "slot == lp_slot_count");
        see_num(o, (unsigned long)lp_slot_created(e->a, UINT32_MAX), "UINT32_MAX");
        break;
    default:
        NO_SCENARIO(o);
    }
}

static driver drive_lp_slot_ensure;
static void drive_lp_slot_ensure(env *e, enum input in, outcome *o) {
    uint32_t slot;
    switch (in) {
    case IN_BAD_POOL:
        see_st(o, lp_slot_ensure(e->bad, 0, create_ok, NULL), bad_name[e->bad_kind]);
        break;
    case IN_SLOT_RANGE:
        see_st(o, lp_slot_ensure(e->a, NSLOTS, create_ok, NULL), "slot == lp_slot_count");
        see_st(o, lp_slot_ensure(e->a, UINT32_MAX, create_ok, NULL), "UINT32_MAX");
        break;
    case IN_SLOT_FREE:
        see_st(o, lp_slot_ensure(e->a, 0, create_ok, NULL), "never taken");
        break;
    case IN_NULL_FN:
        EXPECT(lp_try_get(e->a, &slot), LP_OK);
        see_st(o, lp_slot_ensure(e->a, slot, NULL, NULL), "create NULL");
        EXPECT(lp_put(e->a, slot), LP_OK); /* still held by us */
        break;
    default:
        NO_SCENARIO(o);
    }
}

static driver drive_lp_try_get_or_create;
static void drive_lp_try_get_or_create(env *e, enum input in, outcome *o) {
    uint32_t slot;
    switch (in) {
    case IN_BAD_POOL:
        see_st(o, lp_try_get_or_create(e->bad, &slot, create_ok, NULL), bad_name[e->bad_kind]);
        break;
    case IN_NULL_SLOT:
        see_st(o, lp_try_get_or_create(e->a, NULL, create_ok, NULL), "slot NULL");
        break;
    case IN_NULL_FN:
        see_st(o, lp_try_get_or_create(e->a, &slot, NULL, NULL), "create NULL");
        break;
    default:
        NO_SCENARIO(o);
    }
}

static driver drive_lp_get_or_create;
static void drive_lp_get_or_create(env *e, enum input in, outcome *o) {
    uint32_t slot;
    switch (in) {
    case IN_BAD_POOL:
        see_st(o, lp_get_or_create(e->bad, &slot, LP_FOREVER, create_ok, NULL), bad_name[e->bad_kind]);
        break;
    case IN_NULL_SLOT:
        see_st(o, lp_get_or_create(e->a, NULL, LP_FOREVER, create_ok, NULL), "slot NULL");
        break;
    case IN_NULL_FN:
        see_st(o, lp_get_or_create(e->a, &slot, LP_FOREVER, NULL, NULL), "create NULL");
        break;
    default:
        NO_SCENARIO(o);
    }
}

static driver drive_lp_wait_init;
static void drive_lp_wait_init(env *e, enum input in, outcome *o) {
    (void)e;
    if (in != IN_NULL_WAIT) {
        NO_SCENARIO(o);
        return;
    }
    lp_wait_init(NULL);
    see(o, "nothing", "NULL");
}

/* lp_get_async and lp_get_begin: the calls that begin a wait. */
static lp_status begin_async(lp_pool *p, lp_wait *w, uint32_t *s) { return lp_get_async(p, w, waker, s); }

static void drive_begin(env *e, enum input in, outcome *o, lp_status (*begin)(lp_pool *, lp_wait *, uint32_t *)) {
    uint32_t slot, held[NSLOTS], held_b[NSLOTS];
    lp_wait w = LP_WAIT_INIT;
    switch (in) {
    case IN_BAD_POOL:
        see_st(o, begin(e->bad, &w, &slot), bad_name[e->bad_kind]);
        break;
    case IN_NULL_SLOT:
        see_st(o, begin(e->a, &w, NULL), "slot NULL, idle pool");
        take_all(e->a, held);
        see_st(o, begin(e->a, &w, NULL), "slot NULL, every slot held");
        put_all(e->a, held);
        break;
    case IN_NULL_WAIT:
        see_st(o, begin(e->a, NULL, &slot), "wait NULL, idle pool");
        take_all(e->a, held);
        see_st(o, begin(e->a, NULL, &slot), "wait NULL, every slot held");
        put_all(e->a, held);
        break;
    case IN_NULL_FN: {
        if (begin != begin_async) {
            NO_SCENARIO(o);
            break;
        }
        lp_waker none = {NULL, &wakes};
        see_st(o, lp_get_async(e->a, &w, none, &slot), "waker.wake NULL, idle pool");
        take_all(e->a, held);
        see_st(o, lp_get_async(e->a, &w, none, &slot), "waker.wake NULL, every slot held");
        put_all(e->a, held);
        break;
    }
    case IN_WAIT_PENDING:
        make_pending(e->a, &w, held, 0);
        see_st(o, begin(e->a, &w, &slot), "pending (lp_get_async) on this pool");
        end_pending(e->a, &w, held);
        make_pending(e->a, &w, held, 1);
        see_st(o, begin(e->a, &w, &slot), "pending (lp_get_begin) on this pool");
        end_pending(e->a, &w, held);
        make_pending(e->b, &w, held_b, 0);
        see_st(o, begin(e->a, &w, &slot), "pending on another pool");
        end_pending(e->b, &w, held_b);
        break;
    default:
        NO_SCENARIO(o);
    }
}
static driver drive_lp_get_async;
static void drive_lp_get_async(env *e, enum input in, outcome *o) { drive_begin(e, in, o, begin_async); }
static driver drive_lp_get_begin;
static void drive_lp_get_begin(env *e, enum input in, outcome *o) { drive_begin(e, in, o, lp_get_begin); }

/* lp_wait_poll, lp_wait_cancel and lp_get_finish: the calls on a begun wait. `parked`: the
 * call expects lp_get_begin's records (lp_get_finish). */
typedef lp_status on_wait_fn(lp_pool *p, lp_wait *w, uint32_t *slot);
static lp_status poll_plain(lp_pool *p, lp_wait *w, uint32_t *s) { return lp_wait_poll(p, w, NULL, s); }
static lp_status cancel_taking(lp_pool *p, lp_wait *w, uint32_t *s) { return lp_wait_cancel(p, w, s); }
static lp_status finish_1ms(lp_pool *p, lp_wait *w, uint32_t *s) { return lp_get_finish(p, w, s, 1000000); }

/* The call on a begun wait under test: `parked` and `takes_null_slot` as drive_on_wait says. */
typedef struct on_wait_call {
    on_wait_fn *call;
    int parked, takes_null_slot;
} on_wait_call;

static void on_wait_bad_pool(env *e, outcome *o, const on_wait_call *c) {
    uint32_t slot, held[NSLOTS];
    lp_wait w = LP_WAIT_INIT;
    if (e->bad_own) /* the record pending on this pool before it went bad */
        see_st(o, c->call(e->bad, e->bad_own, &slot), bad_name[e->bad_kind]);
    make_pending(e->a, &w, held, c->parked); /* a record pending on a valid pool */
    see_st(o, c->call(e->bad, &w, &slot), bad_name[e->bad_kind]);
    end_pending(e->a, &w, held);
}

static void on_wait_null_slot(env *e, outcome *o, const on_wait_call *c) {
    uint32_t held[NSLOTS];
    lp_wait w = LP_WAIT_INIT;
    if (c->takes_null_slot) {
        NO_SCENARIO(o);
        return;
    }
    make_pending(e->a, &w, held, c->parked);
    see_st(o, c->call(e->a, &w, NULL), "slot NULL, wait pending");
    end_pending(e->a, &w, held);
}

static void on_wait_null_wait(env *e, outcome *o, const on_wait_call *c) {
    uint32_t slot;
    see_st(o, c->call(e->a, NULL, &slot), "wait NULL");
}

static void on_wait_other_pool(env *e, outcome *o, const on_wait_call *c) {
    uint32_t slot, held[NSLOTS], held_b[NSLOTS];
    lp_wait w = LP_WAIT_INIT;
    make_pending(e->b, &w, held_b, c->parked);
    see_st(o, c->call(e->a, &w, &slot), "idle pool");
    take_all(e->a, held);
    see_st(o, c->call(e->a, &w, &slot), "pool with every slot held");
    put_all(e->a, held);
    end_pending(e->b, &w, held_b);
}

static void on_wait_new(env *e, outcome *o, const on_wait_call *c) {
    uint32_t slot;
    lp_wait w = LP_WAIT_INIT;
    see_st(o, c->call(e->a, &w, &slot), "LP_WAIT_INIT");
    memset(&w, 0, sizeof w);
    see_st(o, c->call(e->a, &w, &slot), "zero-filled");
    lp_wait_init(&w);
    see_st(o, c->call(e->a, &w, &slot), "lp_wait_init");
}

static void on_wait_done(env *e, outcome *o, const on_wait_call *c) {
    uint32_t slot;
    lp_wait w = LP_WAIT_INIT;
    make_done(e->a, &w, 0, c->parked);
    see_st(o, c->call(e->a, &w, &slot), "got a slot at once");
    make_done(e->a, &w, 1, c->parked);
    see_st(o, c->call(e->a, &w, &slot), "queued, served, collected");
    make_done(e->b, &w, 1, c->parked);
    see_st(o, c->call(e->a, &w, &slot), "collected on another pool");
}

static void on_wait_cancelled(env *e, outcome *o, const on_wait_call *c) {
    uint32_t slot;
    lp_wait w = LP_WAIT_INIT;
    make_cancelled(e->a, &w, c->parked);
    see_st(o, c->call(e->a, &w, &slot), "cancelled");
    see_st(o, c->call(e->a, &w, &slot), "cancelled, asked again");
    make_cancelled(e->b, &w, c->parked);
    see_st(o, c->call(e->a, &w, &slot), "cancelled on another pool");
}

static void on_wait_async(env *e, outcome *o, const on_wait_call *c) {
    uint32_t slot, held[NSLOTS];
    lp_wait w = LP_WAIT_INIT;
    if (!c->parked) {
        NO_SCENARIO(o);
        return;
    }
    make_pending(e->a, &w, held, 0);
    see_st(o, c->call(e->a, &w, &slot), "begun by lp_get_async");
    end_pending(e->a, &w, held);
}

/* The scenarios of each input for the calls on a begun wait; an input without one has none. */
static void (*const on_wait_scenario[IN_KINDS_])(env *, outcome *, const on_wait_call *) = {
    [IN_BAD_POOL] = on_wait_bad_pool,   [IN_NULL_SLOT] = on_wait_null_slot,
    [IN_NULL_WAIT] = on_wait_null_wait, [IN_WAIT_OTHER] = on_wait_other_pool,
    [IN_WAIT_NEW] = on_wait_new,        [IN_WAIT_DONE] = on_wait_done,
    [IN_WAIT_CANCELLED] = on_wait_cancelled, [IN_WAIT_ASYNC] = on_wait_async,
};

static void drive_on_wait(env *e, enum input in, outcome *o, on_wait_fn *call, int parked, int takes_null_slot) {
    const on_wait_call c = {call, parked, takes_null_slot};
    if ((unsigned)in < IN_KINDS_ && on_wait_scenario[in])
        on_wait_scenario[in](e, o, &c);
    else
        NO_SCENARIO(o);
}

static driver drive_lp_wait_poll;
static void drive_lp_wait_poll(env *e, enum input in, outcome *o) {
    if (in == IN_NULL_FN) {
        uint32_t slot, held[NSLOTS];
        lp_wait w;
        lp_waker none = {NULL, &wakes};
        make_pending(e->a, &w, held, 0);
        see_st(o, lp_wait_poll(e->a, &w, &none, &slot), "new_waker->wake NULL");
        end_pending(e->a, &w, held);
        return;
    }
    drive_on_wait(e, in, o, poll_plain, 0, 0);
}
static driver drive_lp_wait_cancel;
static void drive_lp_wait_cancel(env *e, enum input in, outcome *o) { drive_on_wait(e, in, o, cancel_taking, 0, 1); }
static driver drive_lp_get_finish;
static void drive_lp_get_finish(env *e, enum input in, outcome *o) { drive_on_wait(e, in, o, finish_1ms, 1, 0); }

static driver drive_lp_status_str;
static void drive_lp_status_str(env *e, enum input in, outcome *o) {
    (void)e;
    if (in != IN_STATUS) {
        NO_SCENARIO(o);
        return;
    }
    const int values[] = {4, 100, -8, -100, 0x7fffffff};
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        char quoted[64], form[32];
        snprintf(quoted, sizeof quoted, "\"%s\"", lp_status_str((lp_status)values[i]));
        snprintf(form, sizeof form, "%d", values[i]);
        see(o, quoted, form);
    }
}

static driver drive_lp_clock_ns;
static void drive_lp_clock_ns(env *e, enum input in, outcome *o) {
    (void)e;
    if (in != IN_NO_INPUT) {
        NO_SCENARIO(o);
        return;
    }
    uint64_t a = lp_clock_ns(), b = lp_clock_ns();
    see(o, b >= a ? "monotonic_ns" : "went back", "two calls");
}

/* ---- the table ------------------------------------------------------------------------- */

typedef struct row {
    const char *call, *input, *expected;
    enum input in;
    driver *drive;
} row;

#define LP_MISUSE_ROW(call, input, result) {#call, #input, #result, IN_##input, drive_##call},
static const row rows[] = {LP_MISUSE_TABLE(LP_MISUSE_ROW)};
#define NROWS ((int)(sizeof rows / sizeof rows[0]))

/* Every function lockpool.h declares has a row: a call added to the header without its
 * rows fails here. Declarations start in column 0 ("lp_status lp_put(", "const char
 * *lp_status_str("); typedefs, macros and comments do not. */
static void check_every_call_has_a_row(const char *header) {
    FILE *f = fopen(header, "r");
    CHECK(f != NULL, "cannot read %s", header);
    regex_t re;
    CHECK(regcomp(&re, "^[A-Za-z_][A-Za-z0-9_ ]*[ *](lp_[a-z0-9_]+)\\(", REG_EXTENDED) == 0, "regcomp");
    char line[512];
    int declared = 0;
    while (fgets(line, sizeof line, f)) {
        regmatch_t m[2];
        if (strncmp(line, "typedef", 7) == 0 || regexec(&re, line, 2, m, 0) != 0)
            continue;
        char name[64];
        int len = (int)(m[1].rm_eo - m[1].rm_so);
        snprintf(name, sizeof name, "%.*s", len, line + m[1].rm_so);
        int rows_of = 0;
        for (int r = 0; r < NROWS; r++)
            rows_of += strcmp(rows[r].call, name) == 0;
        CHECK(rows_of > 0, "%s is declared in lockpool.h but has no row in LP_MISUSE_TABLE", name);
        declared++;
    }
    fclose(f);
    regfree(&re);
    CHECK(declared >= 25, "found only %d declarations in %s", declared, header);
    printf("pool_misuse: each of the %d functions of lockpool.h has rows in LP_MISUSE_TABLE\n", declared);
}

/* Every mode lp_init accepts, asked of lp_init itself. */
static int accepted_modes(lp_mode *out, int cap) {
    int n = 0;
    for (int v = -16; v < 256 && n < cap; v++)
        if (LP_POOL_INIT(store_c, (lp_mode)v) == LP_OK)
            out[n++] = (lp_mode)v;
    return n;
}

int main(int argc, char **argv) {
    signal(SIGALRM, on_alarm);
    srand(12345);
    CHECK(argc == 2, "usage: pool_misuse PATH/TO/lockpool.h");
    check_every_call_has_a_row(argv[1]);

    /* every input kind the test knows is used by some row (no stale scenario) */
    for (int k = 0; k < IN_KINDS_; k++) {
        int used = 0;
        for (int r = 0; r < NROWS; r++)
            used |= rows[r].in == (enum input)k;
        CHECK(used, "input kind %d is in no row of LP_MISUSE_TABLE", k);
    }

    lp_mode modes[64];
    int nmodes = accepted_modes(modes, 64);
    CHECK(nmodes >= 3, "lp_init accepts only %d modes", nmodes);
    for (int i = 0; i < nmodes; i++)
        CHECK(modes[i] != LP_MODE_INVALID, "lp_init accepts LP_MODE_INVALID");

    long calls = 0;
    for (int m = 0; m < nmodes; m++) {
        env e = {.mode = modes[m], .a = LP_POOL(store_a), .b = LP_POOL(store_b), .modes = modes, .nmodes = nmodes};
        EXPECT(LP_POOL_INIT(store_a, e.mode), LP_OK);
        EXPECT(LP_POOL_INIT(store_b, e.mode), LP_OK);
        for (int r = 0; r < NROWS; r++) {
            const row *rw = &rows[r];
            int forms = rw->in == IN_BAD_POOL ? BAD_KINDS_ : 1;
            for (int f = 0; f < forms; f++) {
                snprintf(current_row_buf, sizeof current_row_buf, "mode %d, row %s × %s%s%s", (int)e.mode,
                         rw->call, rw->input, forms > 1 ? ", " : "", forms > 1 ? bad_name[f] : "");
                current_row = current_row_buf;
                if (rw->in == IN_BAD_POOL)
                    make_bad(&e, (enum bad_kind)f);
                outcome o = {{0}, 0};
                alarm(ROW_SECONDS);
                rw->drive(&e, rw->in, &o);
                alarm(0);
                CHECK(o.seen, "the driver made no call");
                CHECK(strcmp(o.text, rw->expected) == 0, "answered %s; the table says %s", o.text, rw->expected);
                check_idle(e.a, "a");
                check_idle(e.b, "b");
                CHECK(lp_pool_mode(e.a) == e.mode && lp_pool_mode(e.b) == e.mode, "a pool's mode changed");
                calls++;
            }
        }
        printf("mode %d: %d rows of LP_MISUSE_TABLE hold\n", (int)e.mode, NROWS);
    }
    printf("pool_misuse: %d rows × %d modes (%ld row runs, BAD_POOL in %d forms): every answer as the table says\n",
           NROWS, nmodes, calls, BAD_KINDS_);
    return 0;
}
