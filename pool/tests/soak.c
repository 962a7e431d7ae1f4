/*
 * soak.c — a long mixed run of every kind of caller against every mode, checking the
 * pool's invariants as it goes (pool_soak; scripts/soak builds and runs it; ctest label
 * "soak").
 *
 * Workers loop over random operations: try_get / try_get_from, blocking lp_get, timed
 * lp_get_timeout, lp_get_begin + lp_get_finish (or a cancel), patient async waits (wait for
 * the wake, then poll), impatient async waits (cancel after a while, taking the slot or
 * passing it on), discarding callers (lp_put_discard) and get_or_create with a constructor
 * that sometimes fails. Time is cut into epochs; each epoch re-initialises the pool with the
 * next mode (rotating through every mode asked for) and a random size (slots, waiter cells,
 * retry-wake limit, fairness bound). At the end of each epoch every worker finishes what it
 * holds and waits, and the pool must be quiescent.
 *
 * Invariants (each violation aborts with a message):
 *   - every object exactly once held or free: an owner word per slot, exchanged on every
 *     acquire (must be free) and release (must be ours); at each epoch end nothing held,
 *     nothing queued, no retry wake in flight, every slot obtainable exactly once;
 *   - the created flag is what the holders made it (ensure sets it, discard clears it);
 *   - no waiter lost: a waker is never called after its wait ended, and every wait ends —
 *     a lost wake-up stalls its worker, the epoch cannot end, and the watchdog aborts after
 *     STRESS_STALL_SECONDS without progress;
 *   - FIFO where the mode promises it (LP_FAIR): while a wait W is pending, no acquisition
 *     that began after W was queued may have completed unless the queue's head has passed
 *     W's ticket (sequence numbers from one seq_cst counter order "began after" and
 *     "completed before"; the head read comes after, and head only moves forward).
 *
 * usage: pool_soak [--seconds S] [--threads N] [--max-slots N] [--max-cells N]
 *                  [--modes all|LIST] [--epoch-ms MS] [--seed N] [--help]
 */
#include "stress_util.h"

#include <errno.h>

#include "lp_internal.h"

/* ---- options ------------------------------------------------------------------------- */

typedef struct options {
    double seconds;
    unsigned threads;
    uint32_t max_slots, max_cells;
    long epoch_ms;
    uint64_t seed;
    lp_mode modes[64];
    int nmodes;
} options;

static void usage(FILE *f) {
    fprintf(f,
            "usage: pool_soak [--seconds S] [--threads N] [--max-slots N] [--max-cells N]\n"
            "                 [--modes all|LIST] [--epoch-ms MS] [--seed N] [--help]\n"
            "Runs blocking, timed, split (begin/finish), async, cancelling and discarding callers\n"
            "against the pool for S seconds, re-initialising it every epoch with the next mode and a\n"
            "random size, and checks its invariants (exclusive ownership, nothing leaked at each\n"
            "epoch end, no lost waiter, FIFO in LP_FAIR). Prints the operations done per mode.\n"
            "  --seconds S     total run time, > 0 (default 10)\n"
            "  --threads N     worker threads, 1..64 (default 6)\n"
            "  --max-slots N   largest slot count an epoch picks, 1..64 (default 4)\n"
            "  --max-cells N   largest waiter-cell count an epoch picks, 1..256 (default 16)\n"
            "  --modes LIST    'all' (default: every mode lp_init accepts) or a comma list of\n"
            "                  restricted, fair, barging, bounded or mode numbers\n"
            "  --epoch-ms MS   epoch length, 10..60000 (default 500)\n"
            "  --seed N        random seed (default 1)\n"
            "  --help          this text\n"
            "Exit status: 0 all invariants held, 2 bad usage; a violated invariant aborts.\n");
}

_Noreturn static void bad_usage(const char *fmt, const char *arg) {
    fprintf(stderr, "pool_soak: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, " (see --help)\n");
    exit(2);
}

static long parse_long(const char *opt, const char *s, long lo, long hi) {
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi) {
        char msg[160];
        snprintf(msg, sizeof msg, "%s wants a whole number from %ld to %ld, not '%%s'", opt, lo, hi);
        bad_usage(msg, s);
    }
    return v;
}

/* The modes known by name; any other mode lp_init accepts is named by its number. */
static const struct {
    lp_mode mode;
    const char *name;
} mode_names[] = {
    {LP_RESTRICTED, "restricted"}, {LP_FAIR, "fair"}, {LP_BARGING, "barging"}, {LP_BOUNDED, "bounded"},
};

static const char *mode_name(lp_mode m, char buf[16]) {
    for (size_t i = 0; i < sizeof mode_names / sizeof mode_names[0]; i++)
        if (mode_names[i].mode == m)
            return mode_names[i].name;
    snprintf(buf, 16, "mode%d", (int)m);
    return buf;
}

static long mode_by_name(const char *tok) {
    for (size_t i = 0; i < sizeof mode_names / sizeof mode_names[0]; i++)
        if (!strcmp(tok, mode_names[i].name))
            return mode_names[i].mode;
    return parse_long("--modes", tok, -1000, 1000);
}

static int mode_accepted(lp_mode m) {
    static LP_POOL_DEFINE(probe, 1, 1);
    return m != LP_MODE_INVALID && LP_POOL_INIT(probe, m) == LP_OK;
}

static void parse_modes(options *o, const char *s) {
    o->nmodes = 0;
    if (!strcmp(s, "all")) {
        for (int v = -16; v < 256 && o->nmodes < 64; v++)
            if (mode_accepted((lp_mode)v))
                o->modes[o->nmodes++] = (lp_mode)v;
        return;
    }
    char buf[256];
    if (strlen(s) >= sizeof buf)
        bad_usage("--modes list too long: '%s'", s);
    strcpy(buf, s);
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        long v = mode_by_name(tok);
        if (!mode_accepted((lp_mode)v))
            bad_usage("--modes: '%s' is not a mode lp_init accepts", tok);
        if (o->nmodes == 64)
            bad_usage("--modes: too many modes in '%s'", s);
        o->modes[o->nmodes++] = (lp_mode)v;
    }
    if (o->nmodes == 0)
        bad_usage("--modes: no mode in '%s'", s);
}

static void parse(options *o, int argc, char **argv) {
    o->seconds = 10;
    o->threads = 6;
    o->max_slots = 4;
    o->max_cells = 16;
    o->epoch_ms = 500;
    o->seed = 1;
    parse_modes(o, "all");
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            exit(0);
        }
        if (a[0] != '-' || a[1] != '-')
            bad_usage("unexpected argument '%s'", a);
        if (i + 1 >= argc)
            bad_usage("%s needs a value", a);
        const char *v = argv[++i];
        if (!strcmp(a, "--seconds")) {
            char *end;
            errno = 0;
            o->seconds = strtod(v, &end);
            if (errno || end == v || *end || !(o->seconds > 0) || o->seconds > 1e7)
                bad_usage("--seconds wants a number of seconds > 0, not '%s'", v);
        } else if (!strcmp(a, "--threads")) {
            o->threads = (unsigned)parse_long(a, v, 1, 64);
        } else if (!strcmp(a, "--max-slots")) {
            o->max_slots = (uint32_t)parse_long(a, v, 1, 64);
        } else if (!strcmp(a, "--max-cells")) {
            o->max_cells = (uint32_t)parse_long(a, v, 1, 256);
        } else if (!strcmp(a, "--modes")) {
            parse_modes(o, v);
        } else if (!strcmp(a, "--epoch-ms")) {
            o->epoch_ms = parse_long(a, v, 10, 60000);
        } else if (!strcmp(a, "--seed")) {
            o->seed = (uint64_t)parse_long(a, v, 0, 0x7fffffffL);
        } else {
            bad_usage("unknown option '%s'", a);
        }
    }
}

/* ---- shared state -------------------------------------------------------------------- */

enum kind { K_TRY, K_BLOCK, K_TIMED, K_SPLIT, K_ASYNC, K_ASYNC_CANCEL, K_DISCARD, K_CREATE, K_KINDS };
static const char *const kind_name[K_KINDS] = {"try_get", "blocking", "timed", "begin/finish", "async",
                                               "async+cancel", "discard", "or_create"};
enum outcome { O_ACQUIRED, O_EMPTY, O_TIMEDOUT, O_CANCELLED, O_EFULL, O_ECREATE, O_OUTCOMES };
static const char *const outcome_name[O_OUTCOMES] = {"acquired", "empty", "timed out", "cancelled", "full",
                                                     "create failed"};

typedef struct worker {
    unsigned id;
    stress_rng rng;
    pthread_t thread;
    stress_flag_waker fw;
    uint64_t count[K_KINDS][O_OUTCOMES]; /* this epoch's mode (merged into the totals by main) */
    atomic_int doing;                    /* the kind in progress, -1 idle: for the stall dump */
} worker;

static struct soak {
    options opt;
    lp_pool *pool;
    unsigned char *storage;
    lp_slot *slots; /* in storage, room for opt.max_slots */
    lp_cell *cells; /* in storage, room for opt.max_cells */
    lp_mode mode;
    uint32_t nslots;
    stress_slots owners;
    stress_barrier start, end;
    atomic_int stop, finished;
    stress_watchdog wd;
    atomic_uint_fast64_t seq;          /* orders "began" and "completed" events (seq_cst) */
    atomic_uint_fast64_t latest_start; /* max start number of a completed acquisition */
    atomic_uint_fast64_t fifo_checks, fifo_checks_armed;
    worker *workers;
} S;

/* ---- FIFO (LP_FAIR) ------------------------------------------------------------------- */

static uint64_t next_seq(void) { return atomic_fetch_add(&S.seq, 1) + 1; } /* seq_cst */

static void note_acquired(uint64_t start) {
    uint64_t cur = atomic_load(&S.latest_start);
    while (cur < start && !atomic_compare_exchange_weak(&S.latest_start, &cur, start)) {
    }
}

/* W (pending, queued before sequence number `queued`) must not be passed by an acquisition
 * that began after it: if one completed and head has not passed W's ticket, FIFO broke. */
static void fifo_check(const lp_wait *w, uint64_t queued) {
    if (S.mode != LP_FAIR)
        return; /* only LP_FAIR promises FIFO */
    atomic_fetch_add_explicit(&S.fifo_checks, 1, memory_order_relaxed);
    uint64_t latest = atomic_load(&S.latest_start); /* seq_cst, before the head read */
    if (latest <= queued)
        return;
    atomic_fetch_add_explicit(&S.fifo_checks_armed, 1, memory_order_relaxed);
    lp__pool *p = lp__of(S.pool);
    uint32_t h = lp_load_seq_cst(&p->head);
    uint32_t t = w->lp__ticket_;
    uint32_t ahead = t >= h ? t - h : t + p->limit - h; /* tickets from head to ours */
    STRESS_CHECK(ahead > p->limit / 2u,
                 "FIFO: an acquisition that began after this wait was queued has completed, yet the "
                 "head (%u) has not passed the wait's ticket (%u)", h, t);
}

/* ---- holding and releasing -------------------------------------------------------------- */

static void acquired(worker *w, uint32_t slot, uint64_t start) {
    STRESS_CHECK(slot < S.nslots, "slot %u of a %u-slot pool", slot, S.nslots);
    stress_acquired(&S.owners, slot, w->id);
    /* the created flag is what its holders made it (plain field: guarded by the pool) */
    STRESS_CHECK(lp_slot_created(S.pool, slot) == S.owners.slot[slot].constructed,
                 "slot %u: lp_slot_created %d, its holders made it %d", slot, lp_slot_created(S.pool, slot),
                 S.owners.slot[slot].constructed);
    note_acquired(start);
}

static void hold_and_release(worker *w, uint32_t slot, int discard) {
    uint32_t r = stress_below(&w->rng, 16);
    if (r < 10)
        stress_spin(stress_below(&w->rng, 400));
    else if (r < 15)
        stress_spin(stress_below(&w->rng, 4000));
    else
        sched_yield();
    if (discard)
        S.owners.slot[slot].constructed = 0;
    stress_releasing(&S.owners, slot, w->id);
    STRESS_EXPECT(discard ? lp_put_discard(S.pool, slot) : lp_put(S.pool, slot), LP_OK);
}

static int create_obj(void *ctx, uint32_t slot) {
    worker *w = ctx;
    (void)slot;
    return stress_below(&w->rng, 8) == 0 ? -1 : 0; /* fails one time in eight */
}

/* ---- the callers -------------------------------------------------------------------------- */

/* The outcome of a get with a deadline: acquired, timed out or the ring full; anything else is a bug. */
static enum outcome timed_outcome(lp_status st) {
    if (st == LP_ETIMEDOUT)
        return O_TIMEDOUT;
    if (st == LP_EFULL)
        return O_EFULL;
    STRESS_EXPECT(st, LP_OK);
    return O_ACQUIRED;
}

/* A pending async wait: wait for wakes, poll, until it ends (patient), or cancel after
 * `patience` relax rounds (0: patient). Returns the outcome; *slot when acquired. */
static enum outcome async_wait(worker *w, lp_wait *rec, uint64_t queued, uint32_t patience, uint32_t *slot) {
    for (;;) {
        uint32_t round = 0;
        /* acquire: pairs with the release store in stress_flag_wake */
        while (!atomic_load_explicit(&w->fw.flag, memory_order_acquire)) {
            if ((round & 63) == 0)
                fifo_check(rec, queued);
            if (patience && round >= patience) {
                uint32_t got = UINT32_MAX;
                int take = stress_below(&w->rng, 2);
                lp_status st = lp_wait_cancel(S.pool, rec, take ? &got : NULL);
                if (st == LP_OK) {
                    *slot = got;
                    return O_ACQUIRED;
                }
                STRESS_EXPECT(st, LP_CANCELLED);
                return O_CANCELLED;
            }
            stress_relax(&round);
        }
        /* relaxed: program order puts it before our poll; a later wake comes after it */
        atomic_store_explicit(&w->fw.flag, 0, memory_order_relaxed);
        lp_status st = lp_wait_poll(S.pool, rec, NULL, slot);
        if (st == LP_OK)
            return O_ACQUIRED;
        if (st == LP_EFULL)
            return O_EFULL;
        STRESS_EXPECT(st, LP_PENDING); /* BARGING/BOUNDED: lost the retry, queued again */
    }
}

/* ---- one operation per caller kind: each returns its outcome, *slot when acquired ---------- */

static enum outcome do_try(worker *w, uint32_t *slot) {
    lp_status st = stress_below(&w->rng, 2) ? lp_try_get(S.pool, slot)
                                             : lp_try_get_from(S.pool, stress_rand(&w->rng), slot);
    if (st == LP_EMPTY)
        return O_EMPTY;
    STRESS_EXPECT(st, LP_OK);
    return O_ACQUIRED;
}

static enum outcome do_block(worker *w, uint32_t *slot) {
    (void)w;
    lp_status st = lp_get(S.pool, slot);
    if (st == LP_EFULL)
        return O_EFULL;
    STRESS_EXPECT(st, LP_OK);
    return O_ACQUIRED;
}

static enum outcome do_timed(worker *w, uint32_t *slot) {
    static const uint64_t timeouts[] = {0, 1000, 20000, 200000, 10000000};
    return timed_outcome(lp_get_timeout(S.pool, slot, timeouts[stress_below(&w->rng, 5)]));
}

/* lp_get_begin, work, then lp_get_finish (or, one time in eight, cancel). */
static enum outcome do_split(worker *w, uint32_t *slot) {
    lp_wait rec = LP_WAIT_INIT;
    lp_status st = lp_get_begin(S.pool, &rec, slot);
    if (st == LP_EFULL)
        return O_EFULL;
    if (st == LP_OK)
        return O_ACQUIRED;
    STRESS_EXPECT(st, LP_PENDING);
    uint64_t queued = next_seq();
    stress_spin(stress_below(&w->rng, 2000)); /* work between the halves */
    fifo_check(&rec, queued);
    uint32_t r = stress_below(&w->rng, 8);
    if (r == 0) {
        st = lp_wait_cancel(S.pool, &rec, slot);
        if (st == LP_CANCELLED)
            return O_CANCELLED;
        STRESS_EXPECT(st, LP_OK);
        return O_ACQUIRED;
    }
    return timed_outcome(lp_get_finish(S.pool, &rec, slot, r < 4 ? LP_FOREVER : 50000u * r));
}

/* lp_get_async; if it queued, wait for the slot (patient) or cancel after a random patience. */
static enum outcome async_op(worker *w, uint32_t *slot, int patient) {
    lp_wait rec = LP_WAIT_INIT;
    enum outcome out = O_ACQUIRED;
    stress_flag_open(&w->fw, stress_below(&w->rng, 4) == 0 ? 300 : 0);
    lp_status st = lp_get_async(S.pool, &rec, stress_flag_waker_of(&w->fw), slot);
    if (st == LP_PENDING) {
        uint64_t queued = next_seq();
        uint32_t patience = patient ? 0 : 1 + stress_below(&w->rng, 300);
        out = async_wait(w, &rec, queued, patience, slot);
    } else if (st == LP_EFULL) {
        out = O_EFULL;
    } else {
        STRESS_EXPECT(st, LP_OK);
    }
    stress_flag_close(&w->fw); /* from here a waker call is a bug (the record ended) */
    return out;
}

static enum outcome do_async(worker *w, uint32_t *slot) { return async_op(w, slot, 1); }

static enum outcome do_async_cancel(worker *w, uint32_t *slot) { return async_op(w, slot, 0); }

static enum outcome do_discard(worker *w, uint32_t *slot) {
    (void)w;
    return timed_outcome(lp_get_timeout(S.pool, slot, 100000));
}

static enum outcome do_create(worker *w, uint32_t *slot) {
    lp_status st = stress_below(&w->rng, 2) ? lp_try_get_or_create(S.pool, slot, create_obj, w)
                                             : lp_get_or_create(S.pool, slot, 100000, create_obj, w);
    if (st == LP_ECREATE)
        return O_ECREATE; /* the library released (discarded) the slot */
    if (st == LP_EMPTY)
        return O_EMPTY;
    return timed_outcome(st);
}

static enum outcome (*const kind_run[K_KINDS])(worker *, uint32_t *) = {
    [K_TRY] = do_try,         [K_BLOCK] = do_block,     [K_TIMED] = do_timed,
    [K_SPLIT] = do_split,     [K_ASYNC] = do_async,     [K_ASYNC_CANCEL] = do_async_cancel,
    [K_DISCARD] = do_discard, [K_CREATE] = do_create,
};

/* Check and hold an acquired slot, then release it (discarding it for K_DISCARD, and for
 * one K_CREATE in four). */
static void use_acquired(worker *w, enum kind k, uint32_t slot, uint64_t start) {
    if (k == K_CREATE) {
        STRESS_CHECK(lp_slot_created(S.pool, slot) == 1, "slot %u: get_or_create returned it not created", slot);
        S.owners.slot[slot].constructed = 1; /* ours now, before the check in acquired() */
    }
    acquired(w, slot, start);
    hold_and_release(w, slot, k == K_DISCARD || (k == K_CREATE && stress_below(&w->rng, 4) == 0));
}

static void one_op(worker *w) {
    enum kind k = (enum kind)stress_below(&w->rng, K_KINDS);
    atomic_store_explicit(&w->doing, (int)k, memory_order_relaxed);
    uint32_t slot = UINT32_MAX;
    uint64_t start = next_seq();
    enum outcome out = kind_run[k](w, &slot);
    if (out == O_ACQUIRED)
        use_acquired(w, k, slot, start);
    w->count[k][out]++;
    atomic_store_explicit(&w->doing, -1, memory_order_relaxed);
    /* A full queue or an empty pool answers at once: yield, so a worker does not spin on
     * them while the holders it waits for are preempted (2 cores, more threads). */
    if (out == O_EFULL || out == O_EMPTY)
        sched_yield();
}

static void *worker_main(void *arg) {
    worker *w = arg;
    for (;;) {
        stress_barrier_wait(&S.start);
        /* acquire: main's set-up of the epoch is visible (also ordered by the barrier) */
        if (atomic_load_explicit(&S.finished, memory_order_acquire))
            return NULL;
        while (!atomic_load_explicit(&S.stop, memory_order_relaxed)) {
            one_op(w);
            stress_progress(&S.wd);
        }
        stress_barrier_wait(&S.end);
    }
}

static void dump(void *ctx) {
    (void)ctx;
    char buf[16];
    fprintf(stderr, "mode %s, %u slots: held %u, queued %u, woken %u\n", mode_name(S.mode, buf), S.nslots,
            lp_debug_held(S.pool), lp_debug_queued(S.pool), lp_debug_woken(S.pool));
    for (unsigned i = 0; i < S.opt.threads; i++) {
        int d = atomic_load_explicit(&S.workers[i].doing, memory_order_relaxed);
        fprintf(stderr, "  worker %u: %s\n", i, d < 0 ? "between operations" : kind_name[d]);
    }
}

/* ---- main: epochs ------------------------------------------------------------------------ */

typedef uint64_t counts[K_KINDS][O_OUTCOMES];

/* One block with room for the largest pool of any epoch. */
static void alloc_pool(const options *o) {
    size_t bytes = lp_storage_size(o->max_slots, o->max_cells);
    S.storage = aligned_alloc(LP_CACHELINE, bytes);
    STRESS_CHECK(S.storage != NULL, "out of memory");
    S.pool = (lp_pool *)(void *)S.storage;
    S.slots = (lp_slot *)(void *)(S.storage + sizeof(lp_pool));
    S.cells = (lp_cell *)(void *)(S.storage + sizeof(lp_pool) + o->max_slots * sizeof(lp_slot));
}

static void print_banner(const options *o) {
    char buf[16];
    printf("pool_soak: %.1f s, %u threads, up to %u slots and %u cells, epochs of %ld ms, seed %" PRIu64 ", modes",
           o->seconds, o->threads, o->max_slots, o->max_cells, o->epoch_ms, o->seed);
    for (int m = 0; m < o->nmodes; m++)
        printf(" %s", mode_name(o->modes[m], buf));
    printf("\n");
    fflush(stdout);
}

static void start_workers(const options *o) {
    for (unsigned i = 0; i < o->threads; i++) {
        S.workers[i].id = i;
        stress_rng_seed(&S.workers[i].rng, o->seed * 1000u + i);
        atomic_init(&S.workers[i].doing, -1);
        STRESS_CHECK(pthread_create(&S.workers[i].thread, NULL, worker_main, &S.workers[i]) == 0, "pthread_create");
    }
}

/* A fresh pool for the epoch: mode S.mode, random sizes within the maxima, random retry
 * wakes and fairness bound (accepted or refused with LP_EINVAL by the mode). */
static void init_epoch_pool(const options *o, stress_rng *rng) {
    static const uint32_t slot_choices[] = {1, 2, 3, 4, 8, 16, 64};
    /* mostly room for every worker to wait; sometimes a ring so small that LP_EFULL and
     * lapped tickets are common */
    static const uint32_t cell_choices[] = {1, 3, 8, 16, 16, 16, 64, 256};
    do
        S.nslots = slot_choices[stress_below(rng, 7)];
    while (S.nslots > o->max_slots);
    uint32_t ncells;
    do
        ncells = cell_choices[stress_below(rng, 8)];
    while (ncells > o->max_cells);
    STRESS_EXPECT(lp_init(S.pool, S.slots, S.nslots, S.cells, ncells, S.mode), LP_OK);
    static const uint32_t wakes[] = {LP_RETRY_WAKES_DEFAULT, 1, 2, 0};
    uint32_t wk = wakes[stress_below(rng, 4)];
    lp_status st = lp_set_retry_wakes(S.pool, wk); /* LP_EINVAL where the mode has no use for it */
    STRESS_CHECK(st == LP_OK || st == LP_EINVAL, "lp_set_retry_wakes: %s", lp_status_str(st));
    static const uint64_t bounds[] = {20000, 200000, 1000000};
    st = lp_set_fairness_bound(S.pool, bounds[stress_below(rng, 3)], lp_clock_ns);
    STRESS_CHECK(st == LP_OK || st == LP_EINVAL, "lp_set_fairness_bound: %s", lp_status_str(st));
    for (uint32_t i = 0; i < o->max_slots; i++)
        S.owners.slot[i].constructed = 0; /* lp_init: nothing created */
}

/* Let the workers run for one epoch (or until the budget ends), then check the pool is quiescent. */
static void run_epoch(const options *o, uint64_t t0, uint64_t budget) {
    atomic_store(&S.stop, 0);
    stress_barrier_wait(&S.start); /* go */
    uint64_t epoch_end = lps_now_ns() + (uint64_t)o->epoch_ms * 1000000u;
    while (lps_now_ns() < epoch_end && lps_now_ns() - t0 < budget)
        stress_sleep_ns(5 * 1000 * 1000);
    atomic_store(&S.stop, 1);
    stress_barrier_wait(&S.end); /* every worker done: nothing held, no wait pending */
    char buf[16];
    stress_check_quiescent(S.pool, mode_name(S.mode, buf));
}

/* Add the workers' counts of the epoch to its mode's totals, and zero them. */
static void merge_counts(const options *o, counts *total) {
    for (unsigned i = 0; i < o->threads; i++) {
        for (int k = 0; k < K_KINDS; k++)
            for (int c = 0; c < O_OUTCOMES; c++)
                (*total)[k][c] += S.workers[i].count[k][c];
        memset(S.workers[i].count, 0, sizeof S.workers[i].count);
    }
}

static void stop_workers(const options *o) {
    atomic_store_explicit(&S.finished, 1, memory_order_release);
    stress_barrier_wait(&S.start);
    for (unsigned i = 0; i < o->threads; i++)
        pthread_join(S.workers[i].thread, NULL);
}

/* Print one mode's totals by outcome and by caller; add them to *all_ops / *all_acq. */
static void report_mode(lp_mode mode, long epochs, const counts *total, uint64_t *all_ops, uint64_t *all_acq) {
    char buf[16];
    uint64_t ops = 0, per_outcome[O_OUTCOMES] = {0};
    for (int k = 0; k < K_KINDS; k++)
        for (int c = 0; c < O_OUTCOMES; c++) {
            ops += (*total)[k][c];
            per_outcome[c] += (*total)[k][c];
        }
    printf("%-8s %4ld epochs %12" PRIu64 " operations:", mode_name(mode, buf), epochs, ops);
    for (int c = 0; c < O_OUTCOMES; c++)
        printf(" %s %" PRIu64 ",", outcome_name[c], per_outcome[c]);
    printf("\n         by caller:");
    for (int k = 0; k < K_KINDS; k++) {
        uint64_t n = 0;
        for (int c = 0; c < O_OUTCOMES; c++)
            n += (*total)[k][c];
        printf(" %s %" PRIu64 "%s", kind_name[k], n, k + 1 < K_KINDS ? "," : "\n");
    }
    *all_ops += ops;
    *all_acq += per_outcome[O_ACQUIRED];
}

int main(int argc, char **argv) {
    parse(&S.opt, argc, argv);
    options *o = &S.opt;
    alloc_pool(o);
    stress_slots_init(&S.owners, o->max_slots);
    stress_barrier_init(&S.start, o->threads + 1);
    stress_barrier_init(&S.end, o->threads + 1);
    S.workers = calloc(o->threads, sizeof *S.workers);
    STRESS_CHECK(S.workers != NULL, "out of memory");

    counts *totals = calloc((size_t)o->nmodes, sizeof *totals);
    long *epochs_of = calloc((size_t)o->nmodes, sizeof *epochs_of);
    STRESS_CHECK(totals && epochs_of, "out of memory");
    print_banner(o);

    stress_watchdog_start(&S.wd, "pool_soak", dump, NULL);
    start_workers(o);

    stress_rng rng;
    stress_rng_seed(&rng, o->seed);
    uint64_t t0 = lps_now_ns(), budget = (uint64_t)(o->seconds * 1e9);
    long epoch = 0;
    for (; lps_now_ns() - t0 < budget; epoch++) {
        int mi = (int)(epoch % o->nmodes);
        S.mode = o->modes[mi];
        init_epoch_pool(o, &rng);
        run_epoch(o, t0, budget);
        merge_counts(o, &totals[mi]);
        epochs_of[mi]++;
        stress_progress(&S.wd);
    }
    stop_workers(o);
    stress_watchdog_stop(&S.wd);
    double secs = (double)(lps_now_ns() - t0) / 1e9;

    uint64_t all_ops = 0, all_acq = 0;
    for (int m = 0; m < o->nmodes; m++)
        report_mode(o->modes[m], epochs_of[m], &totals[m], &all_ops, &all_acq);
    printf("pool_soak: %" PRIu64 " operations (%" PRIu64 " acquisitions) in %.1f s, %.0f per second; %ld epochs, "
           "each ended quiescent; %" PRIu64 " FIFO checks of a pending wait (%" PRIu64 " after a later-begun acquisition had completed); "
           "every invariant held\n",
           all_ops, all_acq, secs, (double)all_ops / secs, epoch, (uint64_t)atomic_load(&S.fifo_checks),
           (uint64_t)atomic_load(&S.fifo_checks_armed));
    stress_slots_free(&S.owners);
    free(S.workers);
    free(totals);
    free(epochs_of);
    free(S.storage);
    return 0;
}
