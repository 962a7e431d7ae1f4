/*
 * stress_pool.c — many threads (>> slots) mixing every way to get a slot: lp_get,
 * lp_get_timeout with small timeouts, try_get / try_get_from, *_or_create with failing
 * creates, and async waits that are collected, cancelled at random points (with and
 * without a slot pointer) or have their waker replaced. Hold and think times vary from
 * nothing to a sleep.
 *
 * Invariants (abort with a message on violation):
 *   - mutual exclusion: a per-slot owner word, exchanged on acquire and release;
 *   - no lost wakeup: every blocking get and every collected async wait completes (the
 *     watchdog aborts after 60 s without progress, as a hang detector only);
 *   - lp_get_async's promises, in every mode: a call that returns LP_OK never has its waker
 *     called; a collected wait's waker is called exactly once per time it queued, each call
 *     before the poll that ends that queueing (LP_OK, or a re-queue after a retry); never more
 *     wakes than times queued, none after a wait ended;
 *   - lp_slot_created agrees with the object's own constructed flag;
 *   - at the end: no leak (lp_debug_held == 0, all SLOTS try_gets succeed, one more fails),
 *     the sum of per-slot uses equals the number of acquisitions (held + free == SLOTS).
 *
 * usage: pool_stress <fair|barging|bounded> <slots> <cells> <threads> <ops-per-thread> [nocancel] [wakes=N]
 *   wakes=N: lp_set_retry_wakes(N) (1: the most releases leave their slot to a woken waiter)
 *   nocancel: only lp_get and collected async waits; then LP_EFULL is a violation when
 *   cells >= threads (each thread has at most one wait queued).
 */
#include "stress_util.h"

typedef struct config {
    lp_mode mode;
    const char *mode_name;
    uint32_t slots, cells, threads;
    long ops;
    int nocancel;
    int wakes; /* lp_set_retry_wakes argument, or -1 for the default */
    uint32_t bound; /* lp_set_bypass_bound argument (RESTRICTED), or 0 for the default */
} config;

typedef struct worker worker;

typedef struct shared {
    config cfg;
    lp_pool *pool;
    stress_slots slots;
    stress_watchdog wd;
    worker *workers;
} shared;

enum op { OP_NONE, OP_GET, OP_GET_TIMEOUT, OP_TRY, OP_ASYNC, OP_CREATE, OP_THINK };
static const char *const op_names[] = {"none", "lp_get", "lp_get_timeout", "try_get",
                                       "async", "or_create", "think"};

#define WAKER_RING 4 /* episodes before a waker struct is reused: a late wake hits `closed` */

struct worker {
    shared *sh;
    unsigned id;
    pthread_t thread;
    stress_rng rng;
    stress_flag_waker wakers[WAKER_RING];
    unsigned next_waker;
    int fail_next_create;
    atomic_int doing; /* enum op, for the watchdog's dump */
    uint64_t acquired, efull, timeouts, empties, cancels, cancel_got_slot, create_failed, requeues;
};

static int efull_allowed(const shared *sh) {
    return !sh->cfg.nocancel || sh->cfg.cells < sh->cfg.threads;
}

static void expect_efull_allowed(const worker *w, const char *what) {
    STRESS_CHECK(efull_allowed(w->sh),
                 "thread %u: %s returned LP_EFULL with %u cells for %u threads and no cancels", w->id,
                 what, w->sh->cfg.cells, w->sh->cfg.threads);
}

static int stress_create(void *ctx, uint32_t slot) {
    worker *w = ctx;
    if (w->fail_next_create)
        return -1;
    w->sh->slots.slot[slot].constructed = 1; /* plain: we hold the slot */
    return 0;
}

static void hold_and_release(worker *w, uint32_t slot) {
    shared *sh = w->sh;
    stress_acquired(&sh->slots, slot, w->id);
    STRESS_CHECK(lp_slot_created(sh->pool, slot) == sh->slots.slot[slot].constructed,
                 "slot %u: lp_slot_created=%d but the object says %d", slot,
                 lp_slot_created(sh->pool, slot), sh->slots.slot[slot].constructed);
    uint32_t r = stress_below(&w->rng, 100);
    if (r < 3)
        stress_sleep_ns(10000 + (long)stress_below(&w->rng, 50000));
    else if (r < 8)
        sched_yield();
    else
        stress_spin(stress_below(&w->rng, 2000));
    w->acquired++;
    int discard = stress_below(&w->rng, 10) == 0;
    if (discard)
        sh->slots.slot[slot].constructed = 0;
    stress_releasing(&sh->slots, slot, w->id);
    if (discard)
        STRESS_EXPECT(lp_put_discard(sh->pool, slot), LP_OK);
    else
        STRESS_EXPECT(lp_put(sh->pool, slot), LP_OK);
}

static stress_flag_waker *take_waker(worker *w) {
    return &w->wakers[w->next_waker++ % WAKER_RING];
}

static int wakes_of(stress_flag_waker *a, stress_flag_waker *b) {
    return stress_flag_wakes(a) + (b ? stress_flag_wakes(b) : 0);
}

/* Wait until one of the two wakers fired, then re-arm both. */
static void wait_either(stress_flag_waker *a, stress_flag_waker *b) {
    uint32_t round = 0;
    while (!stress_flag_is_set(a) && !(b && stress_flag_is_set(b)))
        stress_relax(&round);
    /* relaxed: re-arming; program order puts it before our next poll */
    atomic_store_explicit(&a->flag, 0, memory_order_relaxed);
    if (b)
        atomic_store_explicit(&b->flag, 0, memory_order_relaxed);
}

enum fate { FATE_COLLECT, FATE_CANCEL_WITH_SLOT, FATE_CANCEL_NULL, FATE_REPLACE_WAKER };

/* One lp_get_async wait from its begin to its end, whichever way it ends. */
typedef struct episode {
    worker *w;
    int fair;
    stress_flag_waker *fw, *fw2; /* the waker it began with; the replacement (FATE_REPLACE_WAKER) */
    uint32_t linger;
    lp_wait rec;
    uint32_t slot;
    int pendings; /* calls that returned LP_PENDING: each queued one ticket */
    int exact;    /* pendings counts exactly the times queued (no poll replaced the waker) */
    int have;     /* it ended holding a slot */
    int ended;    /* it ended without one (cancelled, or LP_EFULL on a re-queue) */
} episode;

/* Begin the wait. Returns 1 if it queued (LP_PENDING), 0 if it ended at once (LP_EFULL, or
 * LP_OK: the slot is then held and released here). */
static int episode_begin(episode *e) {
    lp_status st = lp_get_async(e->w->sh->pool, &e->rec, stress_flag_waker_of(e->fw), &e->slot);
    if (st == LP_EFULL) {
        expect_efull_allowed(e->w, "lp_get_async");
        e->w->efull++;
        stress_flag_close(e->fw);
        STRESS_CHECK(stress_flag_wakes(e->fw) == 0, "LP_EFULL wait was woken");
        return 0;
    }
    if (st == LP_OK) {
        stress_flag_close(e->fw);
        /* Every mode: LP_OK means the waker is never called (RESTRICTED's own-head take included:
         * a withdrawal lost to a server makes the call return LP_PENDING instead). A call still
         * in flight would be caught by the closed flag. */
        STRESS_CHECK(stress_flag_wakes(e->fw) == 0, "%s: lp_get_async returned LP_OK after %d wakes",
                     e->w->sh->cfg.mode_name, stress_flag_wakes(e->fw));
        hold_and_release(e->w, e->slot);
        return 0;
    }
    STRESS_CHECK(st == LP_PENDING, "lp_get_async returned %s", lp_status_str(st));
    e->pendings = 1;
    return 1;
}

/* Replace the waker while the wait may be served at the same moment. */
static void episode_replace_waker(episode *e) {
    stress_spin(stress_below(&e->w->rng, 3000));
    e->fw2 = take_waker(e->w);
    stress_flag_open(e->fw2, e->linger);
    const lp_waker replacement = stress_flag_waker_of(e->fw2);
    lp_status st = lp_wait_poll(e->w->sh->pool, &e->rec, &replacement, &e->slot);
    e->exact = 0; /* LP_PENDING: replaced (no new ticket) or re-queued (one): not told apart */
    if (st == LP_OK) {
        e->have = 1;
    } else if (st == LP_EFULL) { /* BARGING re-queue found the ring full: the wait has ended */
        expect_efull_allowed(e->w, "lp_wait_poll (replacing the waker)");
        e->ended = 1;
    } else {
        STRESS_CHECK(st == LP_PENDING, "poll with a new waker returned %s", lp_status_str(st));
        e->pendings++;
    }
}

/* Withdraw the wait at a random point: before, during or after the hand-off. */
static void episode_cancel(episode *e, int with_slot) {
    stress_spin(stress_below(&e->w->rng, 5000));
    if (stress_below(&e->w->rng, 4) == 0)
        sched_yield();
    lp_status st = lp_wait_cancel(e->w->sh->pool, &e->rec, with_slot ? &e->slot : NULL);
    e->w->cancels++;
    if (!with_slot) {
        STRESS_CHECK(st == LP_CANCELLED, "cancel(NULL) returned %s", lp_status_str(st));
        if (e->fair)
            STRESS_CHECK(stress_flag_wakes(e->fw) <= 1, "FAIR: %d wakes for one wait", stress_flag_wakes(e->fw));
    } else {
        STRESS_CHECK(st == LP_CANCELLED || st == LP_OK, "cancel(&slot) returned %s", lp_status_str(st));
        e->have = st == LP_OK;
        e->w->cancel_got_slot += (uint64_t)e->have;
        /* FAIR: a slot comes with exactly one wake (the waker returned before cancel did) */
        if (e->fair)
            STRESS_CHECK(stress_flag_wakes(e->fw) == e->have, "FAIR: cancel returned %s after %d wakes",
                         lp_status_str(st), stress_flag_wakes(e->fw));
    }
    e->ended = 1;
}

/* Wait for wakes and poll until the wait ends. */
static void episode_collect(episode *e) {
    while (!e->have && !e->ended) {
        wait_either(e->fw, e->fw2);
        /* The wake we saw ends the latest queueing; each earlier one was woken before the poll
         * that re-queued it: one call per queueing, none twice, none missing. */
        if (e->exact)
            STRESS_CHECK(wakes_of(e->fw, e->fw2) == e->pendings, "%s: %d wakes before the poll of queueing %d",
                         e->w->sh->cfg.mode_name, wakes_of(e->fw, e->fw2), e->pendings);
        lp_status st = lp_wait_poll(e->w->sh->pool, &e->rec, NULL, &e->slot);
        if (st == LP_OK) {
            e->have = 1;
        } else if (st == LP_PENDING) {
            /* FAIR: the one wake means the slot is ours: no second wake would ever come */
            STRESS_CHECK(!e->fair, "FAIR: poll after the wake returned LP_PENDING (a waker call still in "
                                   "flight?) and no further wake will come");
            e->pendings++;
            e->w->requeues++;
        } else if (st == LP_EFULL) {
            expect_efull_allowed(e->w, "lp_wait_poll (re-queue)");
            e->w->efull++;
            e->ended = 1;
        } else {
            STRESS_CHECK(0, "poll after a wake returned %s", lp_status_str(st));
        }
    }
}

static void async_episode(worker *w) {
    episode e = {.w = w, .fair = w->sh->cfg.mode == LP_FAIR, .fw = take_waker(w), .slot = UINT32_MAX, .exact = 1};
    e.linger = stress_below(&w->rng, 8) == 0 ? stress_below(&w->rng, 4000) : 0;
    stress_flag_open(e.fw, e.linger);
    lp_wait_init(&e.rec);
    if (!episode_begin(&e))
        return;

    enum fate fate = FATE_COLLECT;
    if (!w->sh->cfg.nocancel) {
        uint32_t r = stress_below(&w->rng, 100);
        fate = r < 45 ? FATE_COLLECT : r < 65 ? FATE_CANCEL_WITH_SLOT : r < 80 ? FATE_CANCEL_NULL
                                                                          : FATE_REPLACE_WAKER;
    }
    if (fate == FATE_REPLACE_WAKER)
        episode_replace_waker(&e);
    if (fate == FATE_CANCEL_WITH_SLOT || fate == FATE_CANCEL_NULL)
        episode_cancel(&e, fate == FATE_CANCEL_WITH_SLOT);
    episode_collect(&e);

    stress_flag_close(e.fw);
    if (e.fw2)
        stress_flag_close(e.fw2);
    int wakes = wakes_of(e.fw, e.fw2);
    /* Every wake answers one ticket of ours, and every ticket came from a call that returned
     * LP_PENDING (a call that returns LP_OK called no waker). */
    STRESS_CHECK(wakes <= e.pendings, "%s: %d wakes for %d times queued", w->sh->cfg.mode_name, wakes, e.pendings);
    if (e.exact && fate == FATE_COLLECT && e.have)
        STRESS_CHECK(wakes == e.pendings, "%s: %d wakes for %d times queued", w->sh->cfg.mode_name, wakes, e.pendings);
    if (e.fair && fate == FATE_COLLECT)
        STRESS_CHECK(wakes == 1, "FAIR: %d wakes for one hand-off", wakes);
    if (e.have)
        hold_and_release(w, e.slot);
}

static enum op pick_op(worker *w) {
    uint32_t r = stress_below(&w->rng, 100);
    if (w->sh->cfg.nocancel)
        return r < 45 ? OP_GET : r < 85 ? OP_ASYNC : OP_TRY;
    return r < 20 ? OP_GET : r < 35 ? OP_GET_TIMEOUT : r < 50 ? OP_TRY : r < 85 ? OP_ASYNC : OP_CREATE;
}

static void op_get(worker *w) {
    uint32_t slot = UINT32_MAX;
    lp_status st = lp_get(w->sh->pool, &slot);
    if (st == LP_OK)
        hold_and_release(w, slot);
    else if (st == LP_EFULL) {
        expect_efull_allowed(w, "lp_get");
        w->efull++;
    } else
        STRESS_CHECK(0, "lp_get returned %s", lp_status_str(st));
}

static void op_get_timeout(worker *w) {
    static const uint64_t timeouts[] = {0, 1000, 20000, 200000, 2000000};
    uint32_t slot = UINT32_MAX;
    lp_status st = lp_get_timeout(w->sh->pool, &slot, timeouts[stress_below(&w->rng, 5)]);
    if (st == LP_OK)
        hold_and_release(w, slot);
    else if (st == LP_ETIMEDOUT)
        w->timeouts++;
    else if (st == LP_EFULL)
        w->efull++;
    else
        STRESS_CHECK(0, "lp_get_timeout returned %s", lp_status_str(st));
}

static void op_try(worker *w) {
    lp_pool *pool = w->sh->pool;
    uint32_t slot = UINT32_MAX;
    lp_status st = stress_below(&w->rng, 2) ? lp_try_get(pool, &slot) : lp_try_get_from(pool, w->id, &slot);
    if (st == LP_OK)
        hold_and_release(w, slot);
    else
        STRESS_CHECK(st == LP_EMPTY, "try_get returned %s", lp_status_str(st));
    w->empties += st == LP_EMPTY;
}

static void op_create(worker *w) {
    lp_pool *pool = w->sh->pool;
    uint32_t slot = UINT32_MAX;
    lp_status st;
    w->fail_next_create = stress_below(&w->rng, 5) == 0;
    if (stress_below(&w->rng, 2)) {
        st = lp_get_or_create(pool, &slot, stress_below(&w->rng, 2) ? LP_FOREVER : 50000, stress_create, w);
    } else {
        st = lp_try_get_or_create(pool, &slot, stress_create, w);
    }
    if (st == LP_OK) {
        STRESS_CHECK(lp_slot_created(pool, slot) == 1, "or_create returned LP_OK, slot %u not created", slot);
        hold_and_release(w, slot);
    } else if (st == LP_ECREATE) {
        STRESS_CHECK(w->fail_next_create, "LP_ECREATE without a failing create");
        w->create_failed++;
    } else {
        STRESS_CHECK(st == LP_ETIMEDOUT || st == LP_EMPTY || st == LP_EFULL, "or_create returned %s",
                     lp_status_str(st));
    }
}

/* The way each op gets a slot, indexed by enum op (OP_NONE and OP_THINK do nothing). */
static void (*const op_run[])(worker *) = {
    [OP_GET] = op_get, [OP_GET_TIMEOUT] = op_get_timeout, [OP_TRY] = op_try,
    [OP_ASYNC] = async_episode, [OP_CREATE] = op_create,
};

static void think(worker *w) {
    uint32_t think = stress_below(&w->rng, 100);
    if (think < 2)
        stress_sleep_ns(10000 + (long)stress_below(&w->rng, 50000));
    else
        stress_spin(stress_below(&w->rng, 500));
}

static void one_op(worker *w) {
    enum op op = pick_op(w);
    /* relaxed: diagnostics only */
    atomic_store_explicit(&w->doing, op, memory_order_relaxed);
    op_run[op](w);
    stress_progress(&w->sh->wd);
    /* relaxed: diagnostics only */
    atomic_store_explicit(&w->doing, OP_THINK, memory_order_relaxed);
    think(w);
}

static void *worker_main(void *arg) {
    worker *w = arg;
    for (long i = 0; i < w->sh->cfg.ops; i++)
        one_op(w);
    /* relaxed: diagnostics only */
    atomic_store_explicit(&w->doing, OP_NONE, memory_order_relaxed);
    return NULL;
}

static void dump(void *ctx) {
    shared *sh = ctx;
    fprintf(stderr, "pool: held=%u queued=%u\n", lp_debug_held(sh->pool), lp_debug_queued(sh->pool));
    for (uint32_t i = 0; i < sh->cfg.threads; i++) {
        /* relaxed: diagnostics only */
        int op = atomic_load_explicit(&sh->workers[i].doing, memory_order_relaxed);
        fprintf(stderr, "  thread %u: %s\n", i, op_names[op]);
    }
}

static int parse(int argc, char **argv, config *cfg) {
    if (argc < 6)
        return 0;
    if (!strcmp(argv[1], "fair"))
        cfg->mode = LP_FAIR;
    else if (!strcmp(argv[1], "barging"))
        cfg->mode = LP_BARGING;
    else if (!strcmp(argv[1], "bounded"))
        cfg->mode = LP_BOUNDED;
    else if (!strcmp(argv[1], "restricted"))
        cfg->mode = LP_RESTRICTED;
    else
        return 0;
    cfg->mode_name = argv[1];
    cfg->slots = (uint32_t)atol(argv[2]);
    cfg->cells = (uint32_t)atol(argv[3]);
    cfg->threads = (uint32_t)atol(argv[4]);
    cfg->ops = stress_scale(atol(argv[5]));
    cfg->nocancel = 0;
    cfg->wakes = -1;
    cfg->bound = 0;
    for (int i = 6; i < argc; i++) {
        if (!strcmp(argv[i], "nocancel"))
            cfg->nocancel = 1;
        else if (!strncmp(argv[i], "wakes=", 6) && cfg->mode != LP_FAIR)
            cfg->wakes = atoi(argv[i] + 6);
        else if (!strncmp(argv[i], "bound=", 6) && cfg->mode == LP_RESTRICTED && atol(argv[i] + 6) > 0)
            cfg->bound = (uint32_t)atol(argv[i] + 6);
        else
            return 0;
    }
    return cfg->slots > 0 && cfg->threads > 0 && cfg->ops > 0;
}

/* The pool in one aligned block (freed by the caller), set up for cfg's mode and options. */
static unsigned char *make_pool(shared *sh) {
    const config *cfg = &sh->cfg;
    size_t bytes = lp_storage_size(cfg->slots, cfg->cells);
    STRESS_CHECK(bytes > 0, "bad counts");
    unsigned char *storage = aligned_alloc(LP_CACHELINE, bytes);
    STRESS_CHECK(storage != NULL, "out of memory");
    sh->pool = (lp_pool *)storage;
    lp_slot *slots = (lp_slot *)(storage + sizeof(lp_pool));
    lp_cell *cells = cfg->cells ? (lp_cell *)(storage + sizeof(lp_pool) + cfg->slots * sizeof(lp_slot)) : NULL;
    STRESS_EXPECT(lp_init(sh->pool, slots, cfg->slots, cells, cfg->cells, cfg->mode), LP_OK);
    if (cfg->mode == LP_BOUNDED) /* a short bound, so both the barging and the hand-off path run */
        STRESS_EXPECT(lp_set_fairness_bound(sh->pool, 20000, lp_clock_ns), LP_OK);
    if (cfg->wakes >= 0) STRESS_EXPECT(lp_set_retry_wakes(sh->pool, (uint32_t)cfg->wakes), LP_OK);
    if (cfg->bound) STRESS_EXPECT(lp_set_bypass_bound(sh->pool, cfg->bound), LP_OK);
    return storage;
}

static void run_name(const config *cfg, char *name, size_t size) {
    char wakes[48] = "";
    if (cfg->wakes >= 0) snprintf(wakes, sizeof wakes, " wakes=%d", cfg->wakes);
    if (cfg->bound) snprintf(wakes + strlen(wakes), sizeof wakes - strlen(wakes), " bound=%u", cfg->bound);
    snprintf(name, size, "pool_stress %s slots=%u cells=%u threads=%u%s%s", cfg->mode_name, cfg->slots,
             cfg->cells, cfg->threads, cfg->nocancel ? " nocancel" : "", wakes);
}

static void start_workers(shared *sh) {
    for (uint32_t i = 0; i < sh->cfg.threads; i++) {
        worker *w = &sh->workers[i];
        w->sh = sh;
        w->id = i;
        stress_rng_seed(&w->rng, 1000u + i);
        atomic_init(&w->doing, OP_NONE);
        STRESS_CHECK(pthread_create(&w->thread, NULL, worker_main, w) == 0, "pthread_create");
    }
}

typedef struct totals {
    uint64_t acquired, efull, timeouts, empties, cancels, cancel_got, cfail, requeues;
} totals;

static totals join_workers(shared *sh) {
    totals t = {0};
    for (uint32_t i = 0; i < sh->cfg.threads; i++) {
        worker *w = &sh->workers[i];
        pthread_join(w->thread, NULL);
        t.acquired += w->acquired;
        t.efull += w->efull;
        t.timeouts += w->timeouts;
        t.empties += w->empties;
        t.cancels += w->cancels;
        t.cancel_got += w->cancel_got_slot;
        t.cfail += w->create_failed;
        t.requeues += w->requeues;
    }
    return t;
}

/* The end-of-run invariants: every acquisition counted by its slot, no leak. */
static void check_end(shared *sh, const totals *t, const char *name) {
    STRESS_CHECK(stress_total_uses(&sh->slots) == t->acquired, "per-slot uses %" PRIu64 " != acquisitions %" PRIu64,
                 stress_total_uses(&sh->slots), t->acquired);
    STRESS_CHECK(t->acquired > 0, "nothing was ever acquired");
    stress_check_quiescent(sh->pool, name);
}

int main(int argc, char **argv) {
    shared sh;
    memset(&sh, 0, sizeof sh);
    if (!parse(argc, argv, &sh.cfg)) {
        fprintf(stderr, "usage: %s <fair|barging|bounded|restricted> <slots> <cells> <threads> <ops-per-thread> [nocancel] [wakes=N] [bound=N]\n",
                argv[0]);
        return 2;
    }
    const config *cfg = &sh.cfg;
    unsigned char *storage = make_pool(&sh);
    stress_slots_init(&sh.slots, cfg->slots);
    sh.workers = calloc(cfg->threads, sizeof *sh.workers);
    STRESS_CHECK(sh.workers != NULL, "out of memory");

    char name[160];
    run_name(cfg, name, sizeof name);
    uint64_t t0 = lps_now_ns();
    stress_watchdog_start(&sh.wd, name, dump, &sh);
    start_workers(&sh);
    totals t = join_workers(&sh);
    stress_watchdog_stop(&sh.wd);
    double secs = (double)(lps_now_ns() - t0) / 1e9;

    check_end(&sh, &t, name);
    printf("%s: ops/thread=%ld acquired=%" PRIu64 " timeouts=%" PRIu64 " empty=%" PRIu64 " efull=%" PRIu64
           " cancels=%" PRIu64 " (slot returned %" PRIu64 ") create-fail=%" PRIu64 " requeues=%" PRIu64
           " in %.2f s: OK\n",
           name, cfg->ops, t.acquired, t.timeouts, t.empties, t.efull, t.cancels, t.cancel_got, t.cfail,
           t.requeues, secs);
    stress_slots_free(&sh.slots);
    free(sh.workers);
    free(storage);
    return 0;
}
