/*
 * stress_util.h — shared pieces of the stress tests. Plain C11 + pthreads (no cmocka), so
 * the stress tests also run cross-compiled under qemu. Include this first: it sets the
 * POSIX feature level for nanosleep / clock_gettime.
 *
 * Every invariant violation aborts with a message (STRESS_CHECK). The only clock-based
 * check is the watchdog, a hang detector: it aborts when no operation has completed for
 * STRESS_STALL_SECONDS, which only a lost wakeup or a deadlock can cause. Work is bounded
 * by iteration counts, scaled down under sanitizers (stress_scale).
 */
#ifndef LP_STRESS_UTIL_H
#define LP_STRESS_UTIL_H

#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lockpool.h"
#include "lp_support.h" /* LPS_TSAN / LPS_ASAN scale work down; lps_now_ns */

#define STRESS_STALL_SECONDS 60

/* ---- failure ------------------------------------------------------------------------ */

_Noreturn static inline void stress_fail(const char *file, int line, const char *expr, const char *fmt, ...) {
    va_list ap;
    fprintf(stderr, "%s:%d: invariant violated: %s\n  ", file, line, expr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    fflush(stderr);
    abort();
}

#define STRESS_CHECK(cond, ...)                                                            \
    do {                                                                                   \
        if (!(cond))                                                                       \
            stress_fail(__FILE__, __LINE__, #cond, __VA_ARGS__);                           \
    } while (0)

/* A status check that names both statuses. */
#define STRESS_EXPECT(expr, expected)                                                      \
    do {                                                                                   \
        lp_status stress_st_ = (expr);                                                     \
        STRESS_CHECK(stress_st_ == (expected), "%s returned %s, expected %s", #expr,       \
                     lp_status_str(stress_st_), lp_status_str(expected));                  \
    } while (0)

/* ---- work scale ---------------------------------------------------------------------- */

/* Iterations scale: 1 normally, smaller under sanitizers; LP_STRESS_SCALE (a percentage)
 * overrides, e.g. LP_STRESS_SCALE=10 under qemu. */
static inline long stress_scale(long iterations) {
    long percent = 100;
#if defined(LPS_TSAN)
    percent = 25;
#elif defined(LPS_ASAN)
    percent = 40;
#endif
    const char *env = getenv("LP_STRESS_SCALE");
    if (env && atol(env) > 0)
        percent = atol(env);
    long n = iterations * percent / 100;
    return n > 0 ? n : 1;
}

/* ---- pauses --------------------------------------------------------------------- */

static inline void stress_sleep_ns(long ns) {
    struct timespec ts = {ns / 1000000000L, ns % 1000000000L};
    nanosleep(&ts, NULL);
}

/* A short busy pause of `n` steps: widens race windows without a syscall. */
static inline void stress_spin(uint32_t n) {
    volatile uint32_t sink = 0; /* volatile: the loop must not be optimised away; local: no sharing */
    for (uint32_t i = 0; i < n; i++)
        sink = sink + i;
}

/* Back-off while waiting for another thread: spin a little, then yield, then sleep, so
 * waiting threads do not starve the ones they wait for on a 2-core machine. */
static inline void stress_relax(uint32_t *round) {
    uint32_t r = (*round)++;
    if (r < 64)
        return;
    if (r < 256)
        sched_yield();
    else
        stress_sleep_ns(20000);
}

/* ---- random numbers (xorshift64*, per thread) ----------------------------------------- */

typedef struct stress_rng {
    uint64_t s;
} stress_rng;

static inline void stress_rng_seed(stress_rng *r, uint64_t seed) {
    r->s = seed * 0x9E3779B97F4A7C15u + 0x2545F4914F6CDD1Du;
    if (r->s == 0)
        r->s = 1;
}

static inline uint32_t stress_rand(stress_rng *r) {
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;
    return (uint32_t)((r->s * 0x2545F4914F6CDD1Du) >> 32);
}

static inline uint32_t stress_below(stress_rng *r, uint32_t n) { return stress_rand(r) % n; }

/* ---- watchdog: a hang detector, never a performance threshold ----------------------- */

typedef struct stress_watchdog {
    atomic_uint_fast64_t progress; /* bumped by every completed operation */
    atomic_int done;
    const char *name;
    void (*dump)(void *ctx); /* prints the test's state before the abort */
    void *dump_ctx;
    pthread_t thread;
} stress_watchdog;

static inline void *stress_watchdog_main(void *arg) {
    stress_watchdog *wd = arg;
    uint64_t last_progress = 0, last_change = lps_now_ns();
    /* acquire: pairs with the release store of `done` in stress_watchdog_stop */
    while (!atomic_load_explicit(&wd->done, memory_order_acquire)) {
        stress_sleep_ns(50 * 1000 * 1000);
        /* relaxed: only the number matters, it orders nothing */
        uint64_t p = atomic_load_explicit(&wd->progress, memory_order_relaxed);
        uint64_t now = lps_now_ns();
        if (p != last_progress) {
            last_progress = p;
            last_change = now;
        } else if (now - last_change > (uint64_t)STRESS_STALL_SECONDS * 1000000000u) {
            fprintf(stderr, "%s: no progress for %d s (progress=%" PRIu64 "): lost wakeup or deadlock\n",
                    wd->name, STRESS_STALL_SECONDS, p);
            if (wd->dump)
                wd->dump(wd->dump_ctx);
            fflush(stderr);
            abort();
        }
    }
    return NULL;
}

static inline void stress_watchdog_start(stress_watchdog *wd, const char *name, void (*dump)(void *), void *ctx) {
    atomic_init(&wd->progress, 0);
    atomic_init(&wd->done, 0);
    wd->name = name;
    wd->dump = dump;
    wd->dump_ctx = ctx;
    if (pthread_create(&wd->thread, NULL, stress_watchdog_main, wd) != 0) {
        fprintf(stderr, "%s: cannot start the watchdog thread\n", name);
        abort();
    }
}

static inline void stress_progress(stress_watchdog *wd) {
    /* relaxed: a counter the watchdog only compares */
    atomic_fetch_add_explicit(&wd->progress, 1, memory_order_relaxed);
}

static inline void stress_watchdog_stop(stress_watchdog *wd) {
    /* release: nothing to publish really; paired for symmetry with the acquire load */
    atomic_store_explicit(&wd->done, 1, memory_order_release);
    pthread_join(wd->thread, NULL);
}

/* ---- spin barrier (reusable): lines threads up to open a race window ---------------- */

typedef struct stress_barrier {
    atomic_uint arrived;
    atomic_uint generation;
    unsigned parties;
} stress_barrier;

static inline void stress_barrier_init(stress_barrier *b, unsigned parties) {
    atomic_init(&b->arrived, 0);
    atomic_init(&b->generation, 0);
    b->parties = parties;
}

static inline void stress_barrier_wait(stress_barrier *b) {
    /* acquire: the last arrival's reset of `arrived` must be visible before we re-arrive */
    unsigned gen = atomic_load_explicit(&b->generation, memory_order_acquire);
    /* acq_rel: our writes before the barrier reach whoever passes it, and theirs reach us */
    if (atomic_fetch_add_explicit(&b->arrived, 1, memory_order_acq_rel) + 1 == b->parties) {
        /* relaxed: published by the release increment of `generation` below */
        atomic_store_explicit(&b->arrived, 0, memory_order_relaxed);
        /* release: opens the barrier with everyone's pre-barrier writes visible */
        atomic_fetch_add_explicit(&b->generation, 1, memory_order_release);
        return;
    }
    uint32_t round = 0;
    /* acquire: pairs with the release increment above */
    while (atomic_load_explicit(&b->generation, memory_order_acquire) == gen)
        stress_relax(&round);
}

/* ---- slot ownership: proves mutual exclusion ----------------------------------------- */

/*
 * One owner word per slot, set with an atomic exchange on acquire (must have been free)
 * and cleared on release (must have been ours). The exchange is a read-modify-write, so it
 * sees the latest owner whatever the pool's ordering: two holders at once cannot both
 * pass. `uses` and `payload` are plain fields guarded only by the pool: if the pool's
 * hand-off lacked acquire/release ordering, TSan reports a race on them, and without TSan
 * a lost update shows as a wrong total.
 */
typedef struct stress_slot {
    atomic_uint owner; /* 0 = free, else holder id + 1 */
    uint64_t uses;     /* plain: guarded by the pool */
    int constructed;   /* plain: the object's "created" state, guarded by the pool */
} stress_slot;

typedef struct stress_slots {
    stress_slot *slot;
    uint32_t count;
    atomic_int held_now; /* our own count of holders, checked <= count */
} stress_slots;

static inline void stress_slots_init(stress_slots *s, uint32_t count) {
    s->slot = calloc(count, sizeof *s->slot);
    STRESS_CHECK(s->slot != NULL, "out of memory");
    s->count = count;
    for (uint32_t i = 0; i < count; i++)
        atomic_init(&s->slot[i].owner, 0);
    atomic_init(&s->held_now, 0);
}

static inline void stress_slots_free(stress_slots *s) { free(s->slot); }

static inline void stress_acquired(stress_slots *s, uint32_t slot, unsigned id) {
    STRESS_CHECK(slot < s->count, "slot %u out of range (%u slots)", slot, s->count);
    /* relaxed: an RMW sees the latest owner regardless of ordering (see above) */
    unsigned prev = atomic_exchange_explicit(&s->slot[slot].owner, id + 1, memory_order_relaxed);
    STRESS_CHECK(prev == 0, "mutual exclusion: thread %u got slot %u held by thread %u", id, slot, prev - 1);
    s->slot[slot].uses++;
    /* relaxed: a counter, checked against a bound only */
    int held = atomic_fetch_add_explicit(&s->held_now, 1, memory_order_relaxed) + 1;
    STRESS_CHECK(held <= (int)s->count, "%d holders of %u slots", held, s->count);
}

static inline void stress_releasing(stress_slots *s, uint32_t slot, unsigned id) {
    /* relaxed: the counter only bounds; see stress_acquired */
    atomic_fetch_sub_explicit(&s->held_now, 1, memory_order_relaxed);
    /* relaxed: as in stress_acquired */
    unsigned prev = atomic_exchange_explicit(&s->slot[slot].owner, 0, memory_order_relaxed);
    STRESS_CHECK(prev == id + 1, "thread %u releases slot %u owned by %d", id, slot, (int)prev - 1);
}

static inline uint64_t stress_total_uses(const stress_slots *s) {
    uint64_t total = 0;
    for (uint32_t i = 0; i < s->count; i++)
        total += s->slot[i].uses;
    return total;
}

/* ---- the end state: no leak, held + free == SLOTS ------------------------------------ */

static inline void stress_check_quiescent(lp_pool *pool, const char *name) {
    uint32_t n = lp_slot_count(pool);
    STRESS_CHECK(lp_debug_held(pool) == 0, "%s: %u slots still held at the end", name, lp_debug_held(pool));
    STRESS_CHECK(lp_debug_queued(pool) == 0, "%s: %u tickets still queued at the end", name,
                 lp_debug_queued(pool));
    STRESS_CHECK(lp_debug_woken(pool) == 0, "%s: %u retry wakes still in flight at the end (a leaked token)", name,
                 lp_debug_woken(pool));
    uint32_t *taken = calloc(n, sizeof *taken);
    STRESS_CHECK(taken != NULL, "out of memory");
    for (uint32_t i = 0; i < n; i++)
        STRESS_EXPECT(lp_try_get(pool, &taken[i]), LP_OK);
    uint32_t extra;
    STRESS_EXPECT(lp_try_get(pool, &extra), LP_EMPTY);
    STRESS_CHECK(lp_debug_held(pool) == n, "%s: held %u after taking all %u", name, lp_debug_held(pool), n);
    for (uint32_t i = 0; i < n; i++)
        STRESS_EXPECT(lp_put(pool, taken[i]), LP_OK);
    STRESS_CHECK(lp_debug_held(pool) == 0, "%s: held %u after returning all", name, lp_debug_held(pool));
    free(taken);
}

/* ---- a waker that flags a thread -------------------------------------------------------- */

/*
 * The async waits of the stress tests park on this. `wakes` counts calls so tests can
 * check "one wake per hand-off"; `closed` is set when the wait has ended, and a wake after
 * that (the pool touching a finished record's waker) aborts.
 */
typedef struct stress_flag_waker {
    atomic_int flag;   /* 1 after a wake, reset by the waiter before it polls */
    atomic_int wakes;  /* calls during the current episode */
    atomic_int closed; /* the episode has ended: no call may come any more */
    uint32_t slow;     /* spin this long after raising the flag: the "waker in flight" window */
} stress_flag_waker;

static inline void stress_flag_wake(void *ctx) {
    stress_flag_waker *w = ctx;
    /* acquire: pairs with the release store of `closed` when the episode ended */
    STRESS_CHECK(!atomic_load_explicit(&w->closed, memory_order_acquire),
                 "waker called after its wait ended (poll returned or cancel returned)");
    uint32_t linger = w->slow;
    /* relaxed: the count is read by the waiting thread after the pool's own ordering */
    atomic_fetch_add_explicit(&w->wakes, 1, memory_order_relaxed);
    /* release: the waiting thread that sees the flag also sees the count */
    atomic_store_explicit(&w->flag, 1, memory_order_release);
    /* Linger after raising the flag, like an event loop's wake-up call that returns after
     * the loop thread already runs: the woken thread polls while this call is in flight. */
    stress_spin(linger);
}

static inline lp_waker stress_flag_waker_of(stress_flag_waker *w) {
    lp_waker wk = {stress_flag_wake, w};
    return wk;
}

static inline void stress_flag_open(stress_flag_waker *w, uint32_t slow) {
    w->slow = slow;
    /* relaxed: the record is handed to the pool after these, which publishes them */
    atomic_store_explicit(&w->flag, 0, memory_order_relaxed);
    atomic_store_explicit(&w->wakes, 0, memory_order_relaxed);
    atomic_store_explicit(&w->closed, 0, memory_order_relaxed);
}

/* Wait for a wake (no deadline: the watchdog catches a lost one), then re-arm the flag. */
static inline void stress_flag_wait(stress_flag_waker *w) {
    uint32_t round = 0;
    /* acquire: pairs with the release store in stress_flag_wake */
    while (!atomic_load_explicit(&w->flag, memory_order_acquire))
        stress_relax(&round);
    /* relaxed: ordered before our next poll by program order; a later wake comes after it */
    atomic_store_explicit(&w->flag, 0, memory_order_relaxed);
}

static inline int stress_flag_is_set(stress_flag_waker *w) {
    /* acquire: pairs with the release store in stress_flag_wake */
    return atomic_load_explicit(&w->flag, memory_order_acquire);
}

static inline int stress_flag_wakes(stress_flag_waker *w) {
    /* relaxed: read after the pool ordered the call before our poll/cancel returned */
    return atomic_load_explicit(&w->wakes, memory_order_relaxed);
}

static inline void stress_flag_close(stress_flag_waker *w) {
    /* release: a later (illegal) waker call that sees it reports the bug */
    atomic_store_explicit(&w->closed, 1, memory_order_release);
}

#endif /* LP_STRESS_UTIL_H */
