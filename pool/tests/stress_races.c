/*
 * stress_races.c — the specific races of /work/shared/research/pool-design.md, each driven
 * head-on: two threads lined up by a barrier, then each waits a random few hundred
 * nanoseconds so the two operations overlap at every offset, thousands of times.
 *
 *   scan_enqueue   a release between a waiter's failed scan and its enqueue (lost wakeup,
 *                  defect 1): the waiter uses lp_get_async, lp_get and lp_get_timeout.
 *   cancel_handoff cancel or timeout at the instant of hand-off: cancel with a slot pointer
 *                  (the slot is returned), with NULL (forwarded to a second waiter, or
 *                  freed), lp_get_timeout racing a release. Afterwards held + free == SLOTS.
 *   waker_replace  lp_wait_poll(new_waker) racing a grant; the waker also lingers after
 *                  raising its flag, so polls and cancels meet a waker call in flight.
 *   own_head       an lp_get_async wait publishing while the holder frees its slots, one at
 *                  a time: the release can reach the wait (a retry, or a hand-off) just as
 *                  the wait, finding itself the oldest waiter, takes a freed slot and
 *                  withdraws (RESTRICTED). The promises checked: LP_OK means the waker is
 *                  never called; LP_PENDING means it is called exactly once per queueing,
 *                  before the poll that collects (or re-queues); no slot lost or doubly held.
 *   fair_fifo      FAIR under threads: K waiters queue in a known order (the controller lets
 *                  each start only once lp_debug_queued shows the previous one queued); the
 *                  slots are released one at a time and must go to the waiters in that order,
 *                  while "hammer" threads call try_get, try_get_from and lp_get_timeout(0)
 *                  nonstop and must never succeed while a waiter is queued.
 *
 * usage: pool_races <scenario> <fair|barging|bounded|restricted> [slots]
 *   slots: fair_fifo 1 or more; own_head 1 or 2; the other scenarios 1.
 */
#include "stress_util.h"

typedef struct race {
    lp_pool *pool;
    lp_mode mode;
    uint32_t slots;
    long iterations;
    stress_barrier barrier;
    stress_slots owners;
    stress_watchdog wd;
    /* per-iteration plan, written by one thread before a barrier, read after it */
    uint32_t variant;
    uint32_t held_slot;
    atomic_long started; /* own_head: the iteration (from 1) whose get the waiter began */
} race;

enum { HOLDER = 0, WAITER = 1 };
#define WINDOW 1500 /* random pause, in stress_spin steps: a few hundred ns to a few us */

static lp_pool *make_pool(lp_mode mode, uint32_t slots, uint32_t cells, unsigned char **storage) {
    size_t bytes = lp_storage_size(slots, cells);
    STRESS_CHECK(bytes > 0, "bad counts");
    *storage = aligned_alloc(LP_CACHELINE, bytes);
    STRESS_CHECK(*storage != NULL, "out of memory");
    lp_pool *pool = (lp_pool *)*storage;
    lp_slot *s = (lp_slot *)(*storage + sizeof(lp_pool));
    lp_cell *c = (lp_cell *)(*storage + sizeof(lp_pool) + slots * sizeof(lp_slot));
    STRESS_EXPECT(lp_init(pool, s, slots, c, cells, mode), LP_OK);
    if (mode == LP_RESTRICTED) /* every other contended release a hand-off: both paths run */
        STRESS_EXPECT(lp_set_bypass_bound(pool, 2), LP_OK);
    if (mode == LP_BOUNDED) /* bound shorter than a typical window: both release paths run */
        STRESS_EXPECT(lp_set_fairness_bound(pool, 2000, lp_clock_ns), LP_OK);
    return pool;
}

/* Collect an async wait that nobody else competes for: after the wake, poll must hand the
 * slot over in every mode (BARGING's retry finds the slot free: nobody else is taking). */
static uint32_t collect_uncontended(lp_pool *pool, lp_wait *rec, stress_flag_waker *a, stress_flag_waker *b) {
    uint32_t round = 0, slot = UINT32_MAX;
    while (!stress_flag_is_set(a) && !(b && stress_flag_is_set(b)))
        stress_relax(&round);
    lp_status st = lp_wait_poll(pool, rec, NULL, &slot);
    STRESS_CHECK(st == LP_OK, "poll after the (only) wake returned %s: no further wake will come",
                 lp_status_str(st));
    return slot;
}

/* ---- scan_enqueue ------------------------------------------------------------------- */

static void *scan_enqueue_holder(void *arg) {
    race *r = arg;
    stress_rng rng;
    stress_rng_seed(&rng, 11);
    for (long i = 0; i < r->iterations; i++) {
        uint32_t slot;
        STRESS_EXPECT(lp_try_get(r->pool, &slot), LP_OK); /* everything is free between rounds */
        stress_barrier_wait(&r->barrier);               /* A: the waiter starts */
        stress_spin(stress_below(&rng, WINDOW));
        STRESS_EXPECT(lp_put(r->pool, slot), LP_OK);
        stress_barrier_wait(&r->barrier); /* B: the waiter has its slot and gave it back */
        STRESS_CHECK(lp_debug_queued(r->pool) == 0, "iteration %ld: %u tickets left", i, lp_debug_queued(r->pool));
        STRESS_CHECK(lp_debug_held(r->pool) == 0, "iteration %ld: %u slots held", i, lp_debug_held(r->pool));
        stress_progress(&r->wd);
    }
    return NULL;
}

static void *scan_enqueue_waiter(void *arg) {
    race *r = arg;
    stress_rng rng;
    stress_rng_seed(&rng, 12);
    stress_flag_waker fw;
    for (long i = 0; i < r->iterations; i++) {
        uint32_t how = stress_below(&rng, 4), slot = UINT32_MAX;
        stress_barrier_wait(&r->barrier); /* A */
        stress_spin(stress_below(&rng, WINDOW));
        if (how < 2) {
            lp_wait rec;
            lp_wait_init(&rec);
            stress_flag_open(&fw, how == 1 ? stress_below(&rng, 2000) : 0);
            lp_status st = lp_get_async(r->pool, &rec, stress_flag_waker_of(&fw), &slot);
            STRESS_CHECK(st == LP_OK || st == LP_PENDING, "lp_get_async returned %s", lp_status_str(st));
            if (st == LP_PENDING) {
                slot = collect_uncontended(r->pool, &rec, &fw, NULL);
                STRESS_CHECK(stress_flag_wakes(&fw) == 1, "%d wakes for one hand-off", stress_flag_wakes(&fw));
            } else {
                /* every mode: LP_OK means the waker is never called */
                STRESS_CHECK(stress_flag_wakes(&fw) == 0, "LP_OK and %d wakes", stress_flag_wakes(&fw));
            }
            stress_flag_close(&fw);
        } else if (how == 2) {
            STRESS_EXPECT(lp_get(r->pool, &slot), LP_OK);
        } else {
            STRESS_EXPECT(lp_get_timeout(r->pool, &slot, LP_FOREVER), LP_OK);
        }
        stress_acquired(&r->owners, slot, WAITER);
        stress_releasing(&r->owners, slot, WAITER);
        STRESS_EXPECT(lp_put(r->pool, slot), LP_OK);
        stress_barrier_wait(&r->barrier); /* B */
    }
    return NULL;
}

/* ---- cancel_handoff ----------------------------------------------------------------- */

enum cancel_variant { CANCEL_WITH_SLOT, CANCEL_NULL_ALONE, CANCEL_NULL_SECOND, TIMEOUT_AT_HANDOFF, NVARIANTS };

static void *cancel_handoff_holder(void *arg) {
    race *r = arg;
    stress_rng rng;
    stress_rng_seed(&rng, 21);
    for (long i = 0; i < r->iterations; i++) {
        uint32_t slot;
        STRESS_EXPECT(lp_try_get(r->pool, &slot), LP_OK);
        r->held_slot = slot;              /* plain: read by the waiter after barrier A */
        stress_barrier_wait(&r->barrier); /* A0: the waiter may queue now */
        stress_barrier_wait(&r->barrier); /* A: it has queued (or starts its timed get) */
        if (r->variant == TIMEOUT_AT_HANDOFF && stress_below(&rng, 2))
            stress_sleep_ns((long)stress_below(&rng, 60000));
        else
            stress_spin(stress_below(&rng, WINDOW));
        STRESS_EXPECT(lp_put(r->pool, slot), LP_OK);
        stress_barrier_wait(&r->barrier); /* B: both done */
        stress_barrier_wait(&r->barrier); /* C: the waiter has checked and released */
        stress_progress(&r->wd);
    }
    return NULL;
}

/* Queue the wait(s) of variant v while the holder holds the only slot (none for TIMEOUT_AT_HANDOFF). */
static void cancel_handoff_queue(race *r, stress_rng *rng, enum cancel_variant v, lp_wait *rec,
                                 stress_flag_waker *fw) {
    if (v == TIMEOUT_AT_HANDOFF)
        return;
    uint32_t slot = UINT32_MAX;
    for (int k = 0; k < (v == CANCEL_NULL_SECOND ? 2 : 1); k++) {
        lp_wait_init(&rec[k]);
        stress_flag_open(&fw[k], stress_below(rng, 3) == 0 ? stress_below(rng, 3000) : 0);
        STRESS_EXPECT(lp_get_async(r->pool, &rec[k], stress_flag_waker_of(&fw[k]), &slot), LP_PENDING);
    }
}

/* Race the holder's release: a timed get that may expire at the hand-off, or a cancel of the
 * first wait. Returns 1 if that left us holding a slot (*got). */
static int cancel_handoff_race(race *r, stress_rng *rng, enum cancel_variant v, lp_wait *rec,
                               stress_flag_waker *fw, uint32_t *got) {
    if (v == TIMEOUT_AT_HANDOFF) {
        lp_status st = lp_get_timeout(r->pool, got, 1000u * (1 + stress_below(rng, 50)));
        STRESS_CHECK(st == LP_OK || st == LP_ETIMEDOUT, "lp_get_timeout returned %s", lp_status_str(st));
        return st == LP_OK;
    }
    int have = 0;
    stress_spin(stress_below(rng, WINDOW));
    lp_status st = lp_wait_cancel(r->pool, &rec[0], v == CANCEL_WITH_SLOT ? got : NULL);
    stress_flag_close(&fw[0]); /* from here on, a call of this waker is a bug */
    if (v == CANCEL_WITH_SLOT) {
        STRESS_CHECK(st == LP_OK || st == LP_CANCELLED, "cancel(&slot) returned %s", lp_status_str(st));
        have = st == LP_OK;
        if (r->mode == LP_FAIR)
            STRESS_CHECK(stress_flag_wakes(&fw[0]) == have, "FAIR: cancel returned %s after %d wakes",
                         lp_status_str(st), stress_flag_wakes(&fw[0]));
    } else {
        STRESS_CHECK(st == LP_CANCELLED, "cancel(NULL) returned %s", lp_status_str(st));
    }
    STRESS_CHECK(stress_flag_wakes(&fw[0]) <= 1, "%d wakes for one wait", stress_flag_wakes(&fw[0]));
    return have;
}

/* After the release: held + free == SLOTS (the slot is ours or free, never lost), no ticket
 * left; then give back what we hold. */
static void cancel_handoff_settle(race *r, enum cancel_variant v, int have, uint32_t got) {
    STRESS_CHECK(lp_debug_held(r->pool) == (uint32_t)have, "variant %d: held=%u but the waiter has %d", v,
                 lp_debug_held(r->pool), have);
    STRESS_CHECK(lp_debug_queued(r->pool) == 0, "variant %d: %u tickets left", v, lp_debug_queued(r->pool));
    if (have) {
        stress_acquired(&r->owners, got, WAITER);
        stress_releasing(&r->owners, got, WAITER);
        STRESS_EXPECT(lp_put(r->pool, got), LP_OK);
    }
}

static void *cancel_handoff_waiter(void *arg) {
    race *r = arg;
    stress_rng rng;
    stress_rng_seed(&rng, 22);
    stress_flag_waker fw[2];
    for (long i = 0; i < r->iterations; i++) {
        enum cancel_variant v = (enum cancel_variant)stress_below(&rng, NVARIANTS);
        r->variant = v; /* plain: read by the holder after barrier A */
        lp_wait rec[2];
        uint32_t got = UINT32_MAX;
        stress_barrier_wait(&r->barrier); /* A0: the holder holds the only slot */
        cancel_handoff_queue(r, &rng, v, rec, fw);
        stress_barrier_wait(&r->barrier); /* A */
        int have = cancel_handoff_race(r, &rng, v, rec, fw, &got);
        if (have)
            STRESS_CHECK(got == r->held_slot, "got slot %u, only %u exists", got, r->held_slot);
        stress_barrier_wait(&r->barrier); /* B: the release has happened too */
        if (v == CANCEL_NULL_SECOND) {
            /* the slot was forwarded (cancel after grant) or served (cancel first) to rec[1] */
            got = collect_uncontended(r->pool, &rec[1], &fw[1], NULL);
            stress_flag_close(&fw[1]);
            STRESS_CHECK(stress_flag_wakes(&fw[1]) == 1, "second waiter: %d wakes", stress_flag_wakes(&fw[1]));
            have = 1;
        }
        cancel_handoff_settle(r, v, have, got);
        stress_barrier_wait(&r->barrier); /* C */
    }
    return NULL;
}

/* ---- waker_replace ------------------------------------------------------------------ */

static void *waker_replace_holder(void *arg) {
    race *r = arg;
    stress_rng rng;
    stress_rng_seed(&rng, 31);
    for (long i = 0; i < r->iterations; i++) {
        uint32_t slot;
        STRESS_EXPECT(lp_try_get(r->pool, &slot), LP_OK);
        stress_barrier_wait(&r->barrier); /* A0 */
        stress_barrier_wait(&r->barrier); /* A: the waiter is queued */
        stress_spin(stress_below(&rng, WINDOW));
        STRESS_EXPECT(lp_put(r->pool, slot), LP_OK);
        stress_barrier_wait(&r->barrier); /* B */
        stress_progress(&r->wd);
    }
    return NULL;
}

static void *waker_replace_waiter(void *arg) {
    race *r = arg;
    stress_rng rng;
    stress_rng_seed(&rng, 32);
    stress_flag_waker first, second;
    for (long i = 0; i < r->iterations; i++) {
        lp_wait rec;
        lp_wait_init(&rec);
        uint32_t slot = UINT32_MAX;
        uint32_t linger = stress_below(&rng, 2) ? stress_below(&rng, 3000) : 0;
        stress_flag_open(&first, linger);
        stress_flag_open(&second, linger);
        stress_barrier_wait(&r->barrier); /* A0: the holder holds the slot */
        STRESS_EXPECT(lp_get_async(r->pool, &rec, stress_flag_waker_of(&first), &slot), LP_PENDING);
        stress_barrier_wait(&r->barrier); /* A */
        stress_spin(stress_below(&rng, WINDOW));
        const lp_waker replacement = stress_flag_waker_of(&second);
        lp_status st = lp_wait_poll(r->pool, &rec, &replacement, &slot);
        STRESS_CHECK(st == LP_OK || st == LP_PENDING, "poll(new waker) returned %s", lp_status_str(st));
        if (st == LP_PENDING) {
            slot = collect_uncontended(r->pool, &rec, &first, &second);
            STRESS_CHECK(stress_flag_wakes(&first) + stress_flag_wakes(&second) == 1,
                         "after PENDING: %d + %d wakes for one hand-off", stress_flag_wakes(&first),
                         stress_flag_wakes(&second));
        } else {
            STRESS_CHECK(stress_flag_wakes(&first) + stress_flag_wakes(&second) <= 1, "%d + %d wakes",
                         stress_flag_wakes(&first), stress_flag_wakes(&second));
        }
        stress_flag_close(&first);
        stress_flag_close(&second);
        stress_acquired(&r->owners, slot, WAITER);
        stress_releasing(&r->owners, slot, WAITER);
        STRESS_EXPECT(lp_put(r->pool, slot), LP_OK);
        stress_barrier_wait(&r->barrier); /* B */
    }
    return NULL;
}

/* ---- own_head ------------------------------------------------------------------------- */

#define OWN_WINDOW 200 /* random pause, in stress_spin steps: about one enqueue */

/* Holds every slot while the waiter begins its get, then frees them one at a time: the
 * releases land anywhere in the waiter's enqueue, between its rescan (slots held) and its
 * post-publish look (a slot free) above all. The waiter begins as soon as it sees every slot
 * held, the holder frees them after a random pause; if the waiter had not begun by then, the
 * holder takes them again for another try, and after a few tries (the waiter is off the CPU)
 * holds on until it begins. Returns once a round of releases began after the waiter's get did. */
static void own_head_hold_round(race *r, stress_rng *rng, long i) {
    for (uint32_t tries = 0;; tries++) {
        uint32_t held[2], n = 0;
        while (n < r->slots && lp_try_get(r->pool, &held[n]) == LP_OK)
            stress_acquired(&r->owners, held[n++], HOLDER);
        stress_spin(stress_below(rng, OWN_WINDOW));
        /* acquire: pairs with the waiter's release store just before its lp_get_async */
        int began = atomic_load_explicit(&r->started, memory_order_acquire) == i + 1;
        for (uint32_t round = 0; !began && tries >= 64; stress_relax(&round))
            began = atomic_load_explicit(&r->started, memory_order_acquire) == i + 1; /* acquire: as above */
        for (uint32_t k = 0; k < n; k++) { /* a second slot: a hand-off may race a take */
            if (k > 0)
                stress_spin(stress_below(rng, OWN_WINDOW / 8));
            stress_releasing(&r->owners, held[k], HOLDER);
            STRESS_EXPECT(lp_put(r->pool, held[k]), LP_OK);
        }
        if (began)
            return;
    }
}

static void *own_head_holder(void *arg) {
    race *r = arg;
    stress_rng rng;
    stress_rng_seed(&rng, 41);
    for (long i = 0; i < r->iterations; i++) {
        own_head_hold_round(r, &rng, i);
        stress_barrier_wait(&r->barrier); /* B: the waiter has its slot and gave it back */
        STRESS_CHECK(lp_debug_queued(r->pool) == 0, "iteration %ld: %u tickets left", i, lp_debug_queued(r->pool));
        STRESS_CHECK(lp_debug_held(r->pool) == 0, "iteration %ld: %u slots held", i, lp_debug_held(r->pool));
        STRESS_CHECK(lp_debug_woken(r->pool) == 0, "iteration %ld: %u retry wakes left", i, lp_debug_woken(r->pool));
        stress_progress(&r->wd);
    }
    return NULL;
}

/* Wait for the wake of each queueing and poll; the slot when a poll returns LP_OK. */
static uint32_t own_head_collect(race *r, lp_wait *rec, stress_flag_waker *fw) {
    uint32_t slot = UINT32_MAX;
    for (int queued = 1;; queued++) {
        stress_flag_wait(fw);
        STRESS_CHECK(stress_flag_wakes(fw) == queued, "%d wakes before the poll of queueing %d",
                     stress_flag_wakes(fw), queued);
        lp_status st = lp_wait_poll(r->pool, rec, NULL, &slot);
        if (st == LP_OK)
            return slot;
        STRESS_CHECK(st == LP_PENDING, "poll after a wake returned %s", lp_status_str(st));
    }
}

static void *own_head_waiter(void *arg) {
    race *r = arg;
    stress_rng rng;
    stress_rng_seed(&rng, 42);
    stress_flag_waker fw;
    for (long i = 0; i < r->iterations; i++) {
        lp_wait rec;
        lp_wait_init(&rec);
        uint32_t slot = UINT32_MAX;
        stress_flag_open(&fw, stress_below(&rng, 2) ? stress_below(&rng, 2000) : 0);
        uint32_t round = 0;
        while (lp_debug_held(r->pool) != r->slots) /* the holder took every slot: we queue */
            stress_relax(&round);
        /* release: our iteration to the holder, which may free the slots from now on */
        atomic_store_explicit(&r->started, i + 1, memory_order_release);
        lp_status st = lp_get_async(r->pool, &rec, stress_flag_waker_of(&fw), &slot);
        if (st == LP_OK) {
            stress_flag_close(&fw); /* a later call aborts */
            STRESS_CHECK(stress_flag_wakes(&fw) == 0, "lp_get_async returned LP_OK after %d wakes",
                         stress_flag_wakes(&fw));
        } else {
            STRESS_CHECK(st == LP_PENDING, "lp_get_async returned %s", lp_status_str(st));
            slot = own_head_collect(r, &rec, &fw);
            stress_flag_close(&fw);
        }
        stress_acquired(&r->owners, slot, WAITER);
        stress_releasing(&r->owners, slot, WAITER);
        STRESS_EXPECT(lp_put(r->pool, slot), LP_OK);
        stress_barrier_wait(&r->barrier); /* B */
    }
    return NULL;
}

/* Runs a holder/waiter pair. */
static void run_pair(race *r, void *(*holder)(void *), void *(*waiter)(void *)) {
    pthread_t th[2];
    stress_barrier_init(&r->barrier, 2);
    STRESS_CHECK(pthread_create(&th[0], NULL, holder, r) == 0, "pthread_create");
    STRESS_CHECK(pthread_create(&th[1], NULL, waiter, r) == 0, "pthread_create");
    pthread_join(th[0], NULL);
    pthread_join(th[1], NULL);
}

/* ---- fair_fifo ---------------------------------------------------------------------- */

#define FIFO_WAITERS 6
#define FIFO_HAMMERS 2

typedef struct fifo {
    race *r;
    unsigned rounds;
    atomic_uint go[FIFO_WAITERS];       /* round in which waiter i may queue */
    atomic_uint release[FIFO_WAITERS];  /* round in which waiter i may release */
    atomic_uint acquired[FIFO_WAITERS]; /* last round waiter i got its slot */
    atomic_uint released[FIFO_WAITERS]; /* last round waiter i gave it back */
    atomic_uint grant_seq;              /* order of acquisitions */
    atomic_uint seq_of[FIFO_WAITERS];
    atomic_uint hammer_on;              /* round number while hammering, 0 when off */
    atomic_uint off_epoch;              /* last round whose hammering was switched off */
    atomic_uint hammer_ack[FIFO_HAMMERS];
    atomic_uint_fast64_t hammer_attempts;
    atomic_int stop;
    unsigned waiter_index[FIFO_WAITERS];
    unsigned hammer_index[FIFO_HAMMERS];
} fifo;

static fifo the_fifo;

static void wait_for_value(atomic_uint *a, unsigned v) {
    uint32_t round = 0;
    /* acquire: what the writer did before publishing v is visible to us */
    while (atomic_load_explicit(a, memory_order_acquire) != v)
        stress_relax(&round);
}

static void *fifo_waiter(void *arg) {
    unsigned i = *(unsigned *)arg;
    fifo *f = &the_fifo;
    lp_pool *pool = f->r->pool;
    stress_flag_waker fw;
    for (unsigned round = 1; round <= f->rounds; round++) {
        wait_for_value(&f->go[i], round);
        uint32_t slot = UINT32_MAX;
        switch ((i + round) % 3) {
        case 0:
            STRESS_EXPECT(lp_get(pool, &slot), LP_OK);
            break;
        case 1:
            STRESS_EXPECT(lp_get_timeout(pool, &slot, LP_FOREVER), LP_OK);
            break;
        default: {
            lp_wait rec;
            lp_wait_init(&rec);
            stress_flag_open(&fw, (i & 1) ? 1000 : 0);
            STRESS_EXPECT(lp_get_async(pool, &rec, stress_flag_waker_of(&fw), &slot), LP_PENDING);
            slot = collect_uncontended(pool, &rec, &fw, NULL);
            stress_flag_close(&fw);
            STRESS_CHECK(stress_flag_wakes(&fw) == 1, "%d wakes", stress_flag_wakes(&fw));
        }
        }
        stress_acquired(&f->r->owners, slot, i);
        /* relaxed: only the order of these increments matters, and the controller
         * serialises the releases that cause them */
        unsigned seq = atomic_fetch_add_explicit(&f->grant_seq, 1, memory_order_relaxed);
        atomic_store_explicit(&f->seq_of[i], seq, memory_order_relaxed);
        /* release: publishes seq_of to the controller */
        atomic_store_explicit(&f->acquired[i], round, memory_order_release);
        wait_for_value(&f->release[i], round);
        stress_releasing(&f->r->owners, slot, i);
        STRESS_EXPECT(lp_put(pool, slot), LP_OK);
        /* release: the controller's next checks see our put */
        atomic_store_explicit(&f->released[i], round, memory_order_release);
    }
    return NULL;
}

static void *fifo_hammer(void *arg) {
    unsigned h = *(unsigned *)arg;
    fifo *f = &the_fifo;
    lp_pool *pool = f->r->pool;
    stress_rng rng;
    stress_rng_seed(&rng, 40 + h);
    uint32_t idle = 0;
    /* acquire: pairs with the controller's release store of stop */
    while (!atomic_load_explicit(&f->stop, memory_order_acquire)) {
        /* seq_cst on both: we must not read the new off_epoch and an old hammer_on */
        unsigned epoch = atomic_load(&f->off_epoch);
        unsigned on = atomic_load(&f->hammer_on);
        if (on == 0) {
            /* release: the controller that sees the ack knows our last attempt is over */
            atomic_store_explicit(&f->hammer_ack[h], epoch, memory_order_release);
            stress_relax(&idle);
            continue;
        }
        idle = 0;
        uint32_t slot = UINT32_MAX;
        lp_status st;
        switch (stress_below(&rng, 3)) {
        case 0:
            st = lp_try_get(pool, &slot);
            break;
        case 1:
            st = lp_try_get_from(pool, stress_rand(&rng), &slot);
            break;
        default:
            st = lp_get_timeout(pool, &slot, 0);
            break;
        }
        STRESS_CHECK(st != LP_OK, "FAIR: a newcomer took slot %u in round %u while waiters were queued "
                     "(held=%u queued=%u)", slot, on, lp_debug_held(pool), lp_debug_queued(pool));
        STRESS_CHECK(st == LP_EMPTY || st == LP_ETIMEDOUT, "newcomer got %s", lp_status_str(st));
        /* relaxed: a progress count */
        atomic_fetch_add_explicit(&f->hammer_attempts, 1, memory_order_relaxed);
    }
    return NULL;
}

static void wait_attempts(fifo *f, uint64_t more) {
    /* relaxed: just a count to wait for */
    uint64_t start = atomic_load_explicit(&f->hammer_attempts, memory_order_relaxed);
    uint32_t round = 0;
    while (atomic_load_explicit(&f->hammer_attempts, memory_order_relaxed) - start < more)
        stress_relax(&round);
}

/* Take every slot, then let the waiters queue one by one, in index order. Returns the grant
 * count before the round. */
static unsigned fifo_hold_all_and_queue(race *r, fifo *f, unsigned round, uint32_t *held) {
    for (uint32_t s = 0; s < r->slots; s++)
        STRESS_EXPECT(lp_try_get(r->pool, &held[s]), LP_OK);
    /* relaxed: read after the releases that publish each acquisition */
    unsigned base = atomic_load_explicit(&f->grant_seq, memory_order_relaxed);
    for (unsigned i = 0; i < FIFO_WAITERS; i++) { /* queue in a known order */
        /* release: waiter i starts after our setup */
        atomic_store_explicit(&f->go[i], round, memory_order_release);
        uint32_t spin = 0;
        while (lp_debug_queued(r->pool) < i + 1)
            stress_relax(&spin);
        STRESS_CHECK(lp_debug_queued(r->pool) == i + 1, "queued=%u, expected %u", lp_debug_queued(r->pool), i + 1);
    }
    return base;
}

/* With the hammers on, release the held slots: the oldest waiters, and only they, get them. */
static void fifo_release_to_oldest(race *r, fifo *f, unsigned round, const uint32_t *held) {
    const uint32_t S = r->slots, K = FIFO_WAITERS;
    atomic_store(&f->hammer_on, round); /* seq_cst: see fifo_hammer */
    wait_attempts(f, 100);
    for (uint32_t s = 0; s < S; s++) /* each goes straight to the oldest waiter */
        STRESS_EXPECT(lp_put(r->pool, held[s]), LP_OK);
    for (unsigned i = 0; i < S; i++)
        wait_for_value(&f->acquired[i], round);
    wait_attempts(f, 100); /* hammer while S hold and K-S still wait */
    for (unsigned i = S; i < K; i++) /* acquire: pairs with the waiters' release stores */
        STRESS_CHECK(atomic_load_explicit(&f->acquired[i], memory_order_acquire) != round,
                     "round %u: waiter %u was served before waiters 0..%u released", round, i, S - 1);
}

static void fifo_stop_hammers(fifo *f, unsigned round) {
    atomic_store(&f->hammer_on, 0u); /* seq_cst: see fifo_hammer */
    atomic_store(&f->off_epoch, round);
    for (unsigned h = 0; h < FIFO_HAMMERS; h++)
        wait_for_value(&f->hammer_ack[h], round);
}

/* Drain one release at a time: the grants must follow the queue order exactly. */
static void fifo_drain_in_order(race *r, fifo *f, unsigned round, unsigned base) {
    const uint32_t S = r->slots, K = FIFO_WAITERS;
    for (unsigned i = 0; i < K; i++) {
        atomic_store_explicit(&f->release[i], round, memory_order_release); /* release: see go[] */
        wait_for_value(&f->released[i], round);
        unsigned next = i + S;
        if (next < K) {
            wait_for_value(&f->acquired[next], round);
            /* relaxed: published by the acquire of acquired[next] */
            unsigned seq = atomic_load_explicit(&f->seq_of[next], memory_order_relaxed) - base;
            STRESS_CHECK(seq == next, "round %u: waiter %u was grant #%u (FIFO says #%u)", round, next, seq, next);
            for (unsigned j = next + 1; j < K; j++)
                STRESS_CHECK(atomic_load_explicit(&f->acquired[j], memory_order_acquire) != round,
                             "round %u: waiter %u served out of turn (before %u)", round, j, next);
        }
    }
}

static void fifo_start_threads(fifo *f, pthread_t *waiters, pthread_t *hammers) {
    for (unsigned i = 0; i < FIFO_WAITERS; i++) {
        f->waiter_index[i] = i;
        STRESS_CHECK(pthread_create(&waiters[i], NULL, fifo_waiter, &f->waiter_index[i]) == 0, "pthread_create");
    }
    for (unsigned h = 0; h < FIFO_HAMMERS; h++) {
        f->hammer_index[h] = h;
        STRESS_CHECK(pthread_create(&hammers[h], NULL, fifo_hammer, &f->hammer_index[h]) == 0, "pthread_create");
    }
}

static void run_fair_fifo(race *r) {
    fifo *f = &the_fifo;
    STRESS_CHECK(r->slots < FIFO_WAITERS, "need more waiters (%u) than slots (%u)", FIFO_WAITERS, r->slots);
    f->r = r;
    f->rounds = (unsigned)r->iterations;
    pthread_t waiters[FIFO_WAITERS], hammers[FIFO_HAMMERS];
    fifo_start_threads(f, waiters, hammers);
    uint32_t held[FIFO_WAITERS];
    for (unsigned round = 1; round <= f->rounds; round++) {
        unsigned base = fifo_hold_all_and_queue(r, f, round, held);
        fifo_release_to_oldest(r, f, round, held);
        fifo_stop_hammers(f, round);
        fifo_drain_in_order(r, f, round, base);
        STRESS_CHECK(lp_debug_held(r->pool) == 0 && lp_debug_queued(r->pool) == 0,
                     "round %u ends with held=%u queued=%u", round, lp_debug_held(r->pool), lp_debug_queued(r->pool));
        stress_progress(&r->wd);
    }
    atomic_store_explicit(&f->stop, 1, memory_order_release); /* release: pairs with the hammers' acquire */
    for (unsigned i = 0; i < FIFO_WAITERS; i++)
        pthread_join(waiters[i], NULL);
    for (unsigned h = 0; h < FIFO_HAMMERS; h++)
        pthread_join(hammers[h], NULL);
    /* relaxed: after the joins */
    printf("hammer attempts (all refused): %" PRIu64 "\n",
           (uint64_t)atomic_load_explicit(&f->hammer_attempts, memory_order_relaxed));
}

static void dump(void *ctx) {
    race *r = ctx;
    fprintf(stderr, "pool: held=%u queued=%u\n", lp_debug_held(r->pool), lp_debug_queued(r->pool));
}

/* The mode named `name`; 0 if there is none. */
static int mode_by_name(const char *name, lp_mode *mode) {
    static const struct {
        const char *name;
        lp_mode mode;
    } modes[] = {{"fair", LP_FAIR}, {"barging", LP_BARGING}, {"bounded", LP_BOUNDED}, {"restricted", LP_RESTRICTED}};
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++)
        if (!strcmp(name, modes[i].name)) {
            *mode = modes[i].mode;
            return 1;
        }
    return 0;
}

static void run_fifo_scenario(race *r, const char *name, unsigned char **storage) {
    STRESS_CHECK(r->mode == LP_FAIR, "fair_fifo is a FAIR-mode property");
    r->pool = make_pool(r->mode, r->slots, FIFO_WAITERS + 2, storage);
    r->iterations = stress_scale(300);
    stress_watchdog_start(&r->wd, name, dump, r);
    run_fair_fifo(r);
}

/* The holder/waiter pair of `scenario`; 0 if there is none. */
static int pair_of(const char *scenario, void *(**holder)(void *), void *(**waiter)(void *)) {
    if (!strcmp(scenario, "scan_enqueue")) {
        *holder = scan_enqueue_holder;
        *waiter = scan_enqueue_waiter;
    } else if (!strcmp(scenario, "cancel_handoff")) {
        *holder = cancel_handoff_holder;
        *waiter = cancel_handoff_waiter;
    } else if (!strcmp(scenario, "waker_replace")) {
        *holder = waker_replace_holder;
        *waiter = waker_replace_waiter;
    } else if (!strcmp(scenario, "own_head")) {
        *holder = own_head_holder;
        *waiter = own_head_waiter;
    } else {
        return 0;
    }
    return 1;
}

/* Runs a pair scenario; 0 if the scenario is unknown. */
static int run_pair_scenario(race *r, const char *scenario, const char *name, unsigned char **storage) {
    int own_head = !strcmp(scenario, "own_head");
    STRESS_CHECK(r->slots == 1 || (own_head && r->slots == 2), "own_head uses 1 or 2 slots, the other pair scenarios 1");
    r->pool = make_pool(r->mode, r->slots, 4, storage);
    /* Each iteration is cheap, and TSan is the tool that sees a missing acquire/release
     * in these two-thread races, so it gets as many iterations as a normal build (more for
     * waker_replace: a server finishing between poll's load and its UPDATING CAS is a
     * window of a few instructions, hit about once per 10^5 iterations under TSan). */
    long base = 50000;
#if defined(LPS_TSAN)
    base = !strcmp(scenario, "waker_replace") ? 2000000 : 200000; /* x 25% = 500k / 50k */
#endif
    if (own_head) /* three hand-overs between the threads per iteration; still hundreds of own-head takes */
        base = 10000;
    r->iterations = stress_scale(base);
    stress_watchdog_start(&r->wd, name, dump, r);
    void *(*holder)(void *), *(*waiter)(void *);
    if (!pair_of(scenario, &holder, &waiter))
        return 0;
    run_pair(r, holder, waiter);
    return 1;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s <scan_enqueue|cancel_handoff|waker_replace|own_head|fair_fifo> <fair|barging|bounded|restricted> [slots]\n",
                argv[0]);
        return 2;
    }
    const char *scenario = argv[1];
    race r;
    memset(&r, 0, sizeof r);
    if (!mode_by_name(argv[2], &r.mode)) {
        fprintf(stderr, "unknown mode %s\n", argv[2]);
        return 2;
    }
    r.slots = argc > 3 ? (uint32_t)atol(argv[3]) : 1;
    unsigned char *storage;
    char name[96];
    snprintf(name, sizeof name, "pool_races %s %s slots=%u", scenario, argv[2], r.slots);
    stress_slots_init(&r.owners, r.slots);
    uint64_t t0 = lps_now_ns();

    if (!strcmp(scenario, "fair_fifo")) {
        run_fifo_scenario(&r, name, &storage);
    } else if (!run_pair_scenario(&r, scenario, name, &storage)) {
        fprintf(stderr, "unknown scenario %s\n", scenario);
        return 2;
    }
    stress_watchdog_stop(&r.wd);
    stress_check_quiescent(r.pool, name);
    printf("%s: %ld iterations in %.2f s: OK\n", name, r.iterations, (double)(lps_now_ns() - t0) / 1e9);
    stress_slots_free(&r.owners);
    free(storage);
    return 0;
}
