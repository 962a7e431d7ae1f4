/*
 * test_libuv.c — the async path driven from a real event loop. The waker is a uv_async_t
 * (uv_async_send is thread-safe and coalesces): the loop thread keeps several waits
 * pending at once, releaser threads take and release slots with lp_get / lp_put, and every
 * wake makes the loop poll its pending waits. A won slot is held across loop iterations
 * (a 0-1 ms uv timer) before the loop gives it back and waits again. Some waits are
 * cancelled from the loop (a granted one hands its slot back). Every wait must complete: a lost wakeup leaves the
 * loop idle, and the watchdog aborts after 60 s without progress.
 *
 * usage: pool_libuv [fair|barging|bounded]   (default: all three, one after the other)
 */
#include "stress_util.h" /* first: it sets the POSIX level uv.h needs too */

#include <uv.h>

#define LOOP_WAITS 8
#define RELEASERS 3
#define SLOTS 3
#define LOOP_ID 100 /* owner id of the loop thread in the slot tracker */

typedef struct loop_test loop_test;

typedef struct loop_wait {
    lp_wait rec;
    loop_test *t;
    uv_timer_t timer; /* holds a won slot for a while, then releases it and waits again */
    atomic_int wakes; /* waker calls this episode (any thread) */
    int pending;      /* loop thread only from here on */
    int queued_times; /* LP_PENDING returns this episode */
    int holding;
    uint32_t slot;
    int completions;
} loop_wait;

struct loop_test {
    lp_mode mode;
    lp_pool *pool;
    uv_loop_t loop;
    uv_async_t async;
    loop_wait waits[LOOP_WAITS];
    int target; /* completions per wait */
    int done;
    stress_slots owners;
    stress_watchdog wd;
    stress_rng rng; /* loop thread only */
    atomic_int stop;
    uint64_t wake_callbacks, cancels, releaser_gets;
    atomic_uint_fast64_t releaser_total;
};

static void wake_loop(void *ctx) {
    loop_wait *lw = ctx;
    /* relaxed: read on the loop thread after the pool ordered this call before its poll */
    atomic_fetch_add_explicit(&lw->wakes, 1, memory_order_relaxed);
    uv_async_send(&lw->t->async); /* thread-safe; several sends may coalesce into one callback */
}

static void start_wait(loop_test *t, loop_wait *lw);

/* Timer: the loop has held its slot across loop iterations; give it back, wait again. */
static void on_hold_over(uv_timer_t *timer) {
    loop_wait *lw = timer->data;
    loop_test *t = lw->t;
    if (lw->holding) {
        stress_releasing(&t->owners, lw->slot, LOOP_ID);
        STRESS_EXPECT(lp_put(t->pool, lw->slot), LP_OK);
        lw->holding = 0;
        lw->completions++;
        stress_progress(&t->wd);
        if (lw->completions == t->target) {
            if (++t->done == LOOP_WAITS) {
                /* release: the releasers stop after their current get */
                atomic_store_explicit(&t->stop, 1, memory_order_release);
                uv_close((uv_handle_t *)&t->async, NULL);
                for (int i = 0; i < LOOP_WAITS; i++)
                    uv_close((uv_handle_t *)&t->waits[i].timer, NULL);
            }
            return;
        }
    }
    start_wait(t, lw);
}

static void finish_episode(loop_test *t, loop_wait *lw, int got_slot, uint32_t slot) {
    /* relaxed: see wake_loop */
    int wakes = atomic_load_explicit(&lw->wakes, memory_order_relaxed);
    /* FAIR: a wake only for a hand-off. BARGING/BOUNDED: one more is allowed for the call
     * that returned LP_OK (a retry wake can reach its ticket just before its rescan wins). */
    int allowed = lw->queued_times + (t->mode == LP_FAIR ? 0 : got_slot);
    STRESS_CHECK(wakes <= allowed, "wait %d: %d wakes for %d times queued", (int)(lw - t->waits), wakes,
                 lw->queued_times);
    if (got_slot && t->mode == LP_FAIR && lw->queued_times > 0)
        STRESS_CHECK(wakes == 1, "FAIR: %d wakes for one hand-off", wakes);
    lw->pending = 0;
    if (got_slot) {
        stress_acquired(&t->owners, slot, LOOP_ID);
        lw->holding = 1;
        lw->slot = slot;
    }
    /* hold (or, after a cancel, pause) until a later loop iteration: 0 or 1 ms */
    uv_timer_start(&lw->timer, on_hold_over, stress_below(&t->rng, 2), 0);
}

static void start_wait(loop_test *t, loop_wait *lw) {
    uint32_t slot;
    lp_wait_init(&lw->rec);
    atomic_store_explicit(&lw->wakes, 0, memory_order_relaxed); /* relaxed: published by the queueing */
    lw->queued_times = 0;
    lp_waker waker = {wake_loop, lw};
    lp_status st = lp_get_async(t->pool, &lw->rec, waker, &slot);
    if (st == LP_OK) {
        finish_episode(t, lw, 1, slot);
    } else {
        STRESS_CHECK(st == LP_PENDING, "lp_get_async returned %s", lp_status_str(st));
        lw->pending = 1;
        lw->queued_times = 1;
    }
}

static void on_wake(uv_async_t *handle) {
    loop_test *t = handle->data;
    t->wake_callbacks++;
    for (int i = 0; i < LOOP_WAITS; i++) {
        loop_wait *lw = &t->waits[i];
        if (!lw->pending)
            continue;
        uint32_t slot = UINT32_MAX;
        if (stress_below(&t->rng, 16) == 0) { /* withdraw now and then; a granted slot comes back */
            lp_status st = lp_wait_cancel(t->pool, &lw->rec, &slot);
            STRESS_CHECK(st == LP_OK || st == LP_CANCELLED, "cancel returned %s", lp_status_str(st));
            t->cancels++;
            finish_episode(t, lw, st == LP_OK, slot);
            continue;
        }
        lp_status st = lp_wait_poll(t->pool, &lw->rec, NULL, &slot);
        if (st == LP_OK) {
            finish_episode(t, lw, 1, slot);
        } else if (st == LP_PENDING) {
            /* not woken yet, or (BARGING) woken, lost the retry and re-queued */
            lw->queued_times++;
        } else if (st == LP_EFULL) { /* BARGING re-queue found the ring full: start over */
            finish_episode(t, lw, 0, slot);
        } else {
            STRESS_CHECK(0, "poll returned %s", lp_status_str(st));
        }
    }
}

static void *releaser(void *arg) {
    loop_test *t = arg;
    static atomic_uint next_id;
    unsigned id = atomic_fetch_add_explicit(&next_id, 1, memory_order_relaxed); /* relaxed: a unique number */
    stress_rng rng;
    stress_rng_seed(&rng, 500 + id);
    /* acquire: pairs with the loop's release store of stop */
    while (!atomic_load_explicit(&t->stop, memory_order_acquire)) {
        uint32_t slot;
        STRESS_EXPECT(lp_get(t->pool, &slot), LP_OK);
        stress_acquired(&t->owners, slot, id);
        if (stress_below(&rng, 4) == 0)
            stress_sleep_ns(10000 + (long)stress_below(&rng, 40000));
        else
            stress_spin(stress_below(&rng, 3000));
        stress_releasing(&t->owners, slot, id);
        STRESS_EXPECT(lp_put(t->pool, slot), LP_OK);
        /* relaxed: a count */
        atomic_fetch_add_explicit(&t->releaser_total, 1, memory_order_relaxed);
        stress_progress(&t->wd);
        stress_spin(stress_below(&rng, 500));
    }
    return NULL;
}

static void dump(void *ctx) {
    loop_test *t = ctx;
    fprintf(stderr, "pool: held=%u queued=%u; loop waits done %d of %d\n", lp_debug_held(t->pool),
            lp_debug_queued(t->pool), t->done, LOOP_WAITS);
    for (int i = 0; i < LOOP_WAITS; i++)
        fprintf(stderr, "  wait %d: pending=%d completions=%d wakes=%d\n", i, t->waits[i].pending,
                t->waits[i].completions, atomic_load_explicit(&t->waits[i].wakes, memory_order_relaxed));
}

static void run(lp_mode mode, const char *mode_name) {
    static LP_POOL_DEFINE(storage, SLOTS, 16);
    static loop_test t;
    memset(&t, 0, sizeof t);
    t.mode = mode;
    t.pool = LP_POOL(storage);
    STRESS_EXPECT(LP_POOL_INIT(storage, mode), LP_OK);
    if (mode == LP_BOUNDED)
        STRESS_EXPECT(lp_set_fairness_bound(t.pool, 50000, lp_clock_ns), LP_OK);
    t.target = (int)stress_scale(150);
    stress_rng_seed(&t.rng, 77);
    stress_slots_init(&t.owners, SLOTS);
    atomic_init(&t.stop, 0);
    atomic_init(&t.releaser_total, 0);
    for (int i = 0; i < LOOP_WAITS; i++) {
        t.waits[i].t = &t;
        atomic_init(&t.waits[i].wakes, 0);
    }
    char name[64];
    snprintf(name, sizeof name, "pool_libuv %s", mode_name);
    uint64_t t0 = lps_now_ns();
    stress_watchdog_start(&t.wd, name, dump, &t);

    STRESS_CHECK(uv_loop_init(&t.loop) == 0, "uv_loop_init");
    STRESS_CHECK(uv_async_init(&t.loop, &t.async, on_wake) == 0, "uv_async_init");
    t.async.data = &t;
    for (int i = 0; i < LOOP_WAITS; i++) {
        STRESS_CHECK(uv_timer_init(&t.loop, &t.waits[i].timer) == 0, "uv_timer_init");
        t.waits[i].timer.data = &t.waits[i];
    }
    pthread_t th[RELEASERS];
    for (int i = 0; i < RELEASERS; i++)
        STRESS_CHECK(pthread_create(&th[i], NULL, releaser, &t) == 0, "pthread_create");
    for (int i = 0; i < LOOP_WAITS; i++)
        start_wait(&t, &t.waits[i]);
    uv_run(&t.loop, UV_RUN_DEFAULT); /* returns once the async handle and the timers are closed */
    for (int i = 0; i < RELEASERS; i++)
        pthread_join(th[i], NULL);
    stress_watchdog_stop(&t.wd);
    STRESS_CHECK(uv_loop_close(&t.loop) == 0, "uv_loop_close: handles left open");

    for (int i = 0; i < LOOP_WAITS; i++)
        STRESS_CHECK(t.waits[i].completions == t.target && !t.waits[i].pending && !t.waits[i].holding,
                     "wait %d: %d of %d completions", i,
                     t.waits[i].completions, t.target);
    stress_check_quiescent(t.pool, name);
    printf("%s: %d waits x %d completions, %" PRIu64 " wake callbacks, %" PRIu64 " cancels, %" PRIu64
           " releaser cycles in %.2f s: OK\n",
           name, LOOP_WAITS, t.target, t.wake_callbacks, t.cancels,
           (uint64_t)atomic_load_explicit(&t.releaser_total, memory_order_relaxed),
           (double)(lps_now_ns() - t0) / 1e9);
    stress_slots_free(&t.owners);
}

int main(int argc, char **argv) {
    const char *only = argc > 1 ? argv[1] : NULL;
    if (!only || !strcmp(only, "fair"))
        run(LP_FAIR, "fair");
    if (!only || !strcmp(only, "barging"))
        run(LP_BARGING, "barging");
    if (!only || !strcmp(only, "bounded"))
        run(LP_BOUNDED, "bounded");
    return 0;
}
