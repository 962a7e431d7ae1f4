/*
 * lp-conformance — one suite, every design: the same tests drive LockPool and each
 * baseline through lp_design.h. A test checks only what the design promises (flags).
 *
 *   lp-conformance --design NAME        run the suite against one design
 *   lp-conformance --registry a,b,c     the registry holds exactly these designs, well formed
 *
 * Every bound on time here is a hang detector (30 s without progress), never a
 * performance threshold. Stress runs are bounded in time and scaled down under TSan.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lpd_internal.h"

#define HANG_NS (30ull * 1000000000ull)

#ifdef LPS_TSAN
enum { STRESS_THREADS = 4, STRESS_MS = 400, WAKE_GETTERS = 4, WAKE_ROUNDS = 20 };
#else
enum { STRESS_THREADS = 8, STRESS_MS = 1000, WAKE_GETTERS = 6, WAKE_ROUNDS = 50 };
#endif
enum { STRESS_SLOTS = 3, FIFO_WAITERS = 6, MAX_THREADS = 16 };

static const lpd_design *design;
static const char *current_test = "";

__attribute__((format(printf, 2, 3))) static void fail(int line, const char *fmt, ...) {
    va_list ap;
    fprintf(stderr, "FAIL [%s] %s (line %d): ", design ? design->name : "-", current_test, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    abort();
}
#define CHECK(cond, ...)                                                                   \
    do {                                                                                   \
        if (!(cond))                                                                       \
            fail(__LINE__, __VA_ARGS__);                                                   \
    } while (0)
#define CHECK_ST(expr, want)                                                               \
    do {                                                                                   \
        int st_ = (expr);                                                                  \
        if (st_ != (want))                                                                 \
            fail(__LINE__, "%s returned %s, expected %s", #expr, lp_status_str(st_),       \
                 lp_status_str(want));                                                     \
    } while (0)

static void begin(const char *test) {
    current_test = test;
    printf("  %s\n", test);
}

static bool has(unsigned flag) {
    return (design->flags & flag) != 0;
}

static void sleep_ns(uint64_t ns) {
    struct timespec ts = {(time_t)(ns / 1000000000u), (long)(ns % 1000000000u)};
    while (nanosleep(&ts, &ts) != 0) {
    }
}

/* ---- pools ------------------------------------------------------------------------ */
typedef struct pool {
    void *self;
    uint32_t slots;
} pool;

static void *alloc_storage(size_t bytes) {
    void *mem = aligned_alloc(LPD_ALIGN, lpd_round_up(bytes ? bytes : 1, LPD_ALIGN));
    if (mem == NULL)
        lpd_fatal("out of memory");
    return mem;
}

static pool pool_new(uint32_t slots, uint32_t max_waiters) {
    size_t bytes = design->size(slots, max_waiters);
    CHECK(bytes > 0, "size(%u, %u) is 0 for valid counts", slots, max_waiters);
    pool p = {alloc_storage(bytes), slots};
    CHECK_ST(design->init(p.self, slots, max_waiters), LP_OK);
    if (design->thread_enter)
        design->thread_enter(p.self); /* the main thread uses every pool it makes */
    return p;
}

static void pool_free(pool p) {
    if (design->thread_exit)
        design->thread_exit(p.self);
    design->destroy(p.self);
    free(p.self);
}

/* After everything: SLOTS try_gets succeed, one more fails, then all go back. */
static void check_no_leak(pool p) {
    if (!has(LPD_BOUNDED))
        return;
    uintptr_t handles[STRESS_SLOTS + 8];
    CHECK(p.slots <= sizeof(handles) / sizeof(handles[0]), "test pool too large");
    for (uint32_t i = 0; i < p.slots; i++)
        CHECK_ST(design->try_get(p.self, &handles[i]), LP_OK);
    uintptr_t extra;
    CHECK_ST(design->try_get(p.self, &extra), LP_EMPTY);
    for (uint32_t i = 0; i < p.slots; i++)
        CHECK_ST(design->put(p.self, handles[i]), LP_OK);
}

/* ---- ownership: one holder per handle at a time ------------------------------------- */
/* Bounded designs: an owner word per slot. Unbounded (malloc): the object's own first
 * word, since the handle is its address (a second holder would overwrite it). */
static atomic_uint owners[LP_MAX_SLOTS < 64 ? LP_MAX_SLOTS : 64];

static void own(pool p, uintptr_t h, unsigned me) {
    if (has(LPD_BOUNDED)) {
        CHECK(h < p.slots, "handle %lu out of range (%u slots)", (unsigned long)h, p.slots);
        /* acq_rel: pairs with the previous owner's release of this word (and is itself
         * a check: the design must already have ordered the hand-over) */
        unsigned prev = atomic_exchange_explicit(&owners[h], me, memory_order_acq_rel);
        CHECK(prev == 0, "slot %lu handed to thread %u while thread %u holds it", (unsigned long)h,
              me, prev);
    } else {
        CHECK(h != 0, "NULL handle");
        /* relaxed: only a second simultaneous holder could change it */
        atomic_store_explicit((atomic_uint *)h, me, memory_order_relaxed);
    }
}

static void disown(uintptr_t h, unsigned me) {
    if (has(LPD_BOUNDED)) {
        /* acq_rel: hands our view of the slot to its next owner (see own) */
        unsigned prev = atomic_exchange_explicit(&owners[h], 0, memory_order_acq_rel);
        CHECK(prev == me, "slot %lu taken by thread %u while thread %u held it", (unsigned long)h,
              prev, me);
    } else {
        /* relaxed: as in own */
        unsigned now = atomic_load_explicit((atomic_uint *)h, memory_order_relaxed);
        CHECK(now == me, "object %p written by thread %u while thread %u held it", (void *)h, now, me);
    }
}

static void hold_briefly(unsigned i) {
    for (unsigned k = 0; k < (i & 15u); k++)
        lps_cpu_relax();
}

/* ---- tests ------------------------------------------------------------------------ */
static void test_bad_arguments(void) {
    begin("bad arguments");
    size_t bytes = design->size(4, 4);
    CHECK(bytes > 0, "size(4, 4) is 0");
    void *mem = alloc_storage(bytes + LPD_ALIGN);
    CHECK_ST(design->init(NULL, 4, 4), LP_EINVAL);
    CHECK_ST(design->init(mem, 0, 4), LP_EINVAL);
    CHECK_ST(design->init(mem, LP_MAX_SLOTS + 1, 4), LP_EINVAL);
    CHECK_ST(design->init(mem, 4, LP_MAX_WAITERS + 1), LP_EINVAL);
    CHECK_ST(design->init((char *)mem + 8, 4, 4), LP_EINVAL); /* not LPD_ALIGN-aligned */
    free(mem);

    pool p = pool_new(4, 4);
    if (has(LPD_BOUNDED)) {
        CHECK_ST(design->put(p.self, 4), LP_EINVAL);          /* out of range */
        CHECK_ST(design->put(p.self, UINTPTR_MAX), LP_EINVAL);
        CHECK_ST(design->put(p.self, 0), LP_ENOTHELD);        /* never taken */
        uintptr_t h;
        CHECK_ST(design->try_get(p.self, &h), LP_OK);
        CHECK_ST(design->put(p.self, h), LP_OK);
        CHECK_ST(design->put(p.self, h), LP_ENOTHELD);        /* twice */
        check_no_leak(p);
    } else {
        CHECK_ST(design->put(p.self, 0), LP_EINVAL);          /* NULL object */
    }
    pool_free(p);
}

static void test_try_get_empty(void) {
    begin("try_get until empty");
    pool p = pool_new(5, 2);
    uintptr_t h[5];
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < 5; i++) {
            CHECK_ST(design->try_get(p.self, &h[i]), LP_OK);
            for (int j = 0; j < i; j++)
                CHECK(h[i] != h[j], "handle %lu handed out twice", (unsigned long)h[i]);
        }
        if (has(LPD_BOUNDED)) {
            uintptr_t extra;
            CHECK_ST(design->try_get(p.self, &extra), LP_EMPTY);
        }
        for (int i = 0; i < 5; i++)
            CHECK_ST(design->put(p.self, h[i]), LP_OK);
    }
    check_no_leak(p);
    pool_free(p);
}

static void test_blocking_contract(void) {
    begin("blocking get / timeout");
    pool p = pool_new(1, 2);
    uintptr_t held, h;
    CHECK_ST(design->try_get(p.self, &held), LP_OK);
    if (!has(LPD_BLOCKING)) {
        CHECK_ST(design->get(p.self, &h), LP_ENOSYS);
        CHECK_ST(design->get_timeout(p.self, &h, 1000000), LP_ENOSYS);
        CHECK_ST(design->put(p.self, held), LP_OK);
        pool_free(p);
        return;
    }
    CHECK_ST(design->get_timeout(p.self, &h, 0), LP_ETIMEDOUT);
    const uint64_t timeout = 20000000; /* 20 ms */
    uint64_t start = lps_now_ns();
    CHECK_ST(design->get_timeout(p.self, &h, timeout), LP_ETIMEDOUT);
    uint64_t waited = lps_now_ns() - start;
    /* A deadline is a promise not to give up early (a correctness bound, not a speed one). */
    CHECK(waited >= timeout, "timed out after %llu ns, before the %llu ns deadline",
          (unsigned long long)waited, (unsigned long long)timeout);
    CHECK_ST(design->put(p.self, held), LP_OK);
    CHECK_ST(design->get_timeout(p.self, &h, timeout), LP_OK); /* free: no waiting */
    CHECK_ST(design->put(p.self, h), LP_OK);
    CHECK_ST(design->get(p.self, &h), LP_OK);
    CHECK_ST(design->put(p.self, h), LP_OK);
    check_no_leak(p);
    pool_free(p);

    if (has(LPD_WAIT_QUEUE)) {
        begin("no waiters allowed (MAX_WAITERS = 0)");
        pool q = pool_new(1, 0);
        CHECK_ST(design->try_get(q.self, &held), LP_OK);
        CHECK_ST(design->get_timeout(q.self, &h, timeout), LP_EFULL);
        CHECK_ST(design->get(q.self, &h), LP_EFULL);
        CHECK_ST(design->put(q.self, held), LP_OK);
        check_no_leak(q);
        pool_free(q);
    }
}

/* A worker thread's view of the pool it drives. */
typedef struct worker {
    pool p;
    unsigned id;               /* 1-based: 0 means "nobody" in the owner words */
    pthread_t thread;
    int status;                /* first result of interest, for the main thread */
    uintptr_t handle;
    uint64_t ops;
    atomic_uint *progress;     /* shared: rounds completed, for the hang detector */
    atomic_uint *order_seq;    /* FIFO test: grant order */
    unsigned *order;
    uint64_t stop_at_ns;
    uint32_t max_waiters;
} worker;

static void worker_enter(worker *w) {
    if (design->thread_enter)
        design->thread_enter(w->p.self);
}

static void worker_exit(worker *w) {
    if (design->thread_exit)
        design->thread_exit(w->p.self);
}

static void start(worker *w, void *(*fn)(void *)) {
    if (pthread_create(&w->thread, NULL, fn, w) != 0)
        lpd_fatal("pthread_create");
}

/* Wait for a counter to reach `want`, or fail after HANG_NS without progress. */
static void await_progress(atomic_uint *counter, unsigned want, const char *what) {
    unsigned last = 0;
    uint64_t last_change = lps_now_ns();
    for (;;) {
        /* relaxed: we only watch the count move; joins order the rest */
        unsigned now = atomic_load_explicit(counter, memory_order_relaxed);
        if (now >= want)
            return;
        if (now != last) {
            last = now;
            last_change = lps_now_ns();
        }
        CHECK(lps_now_ns() - last_change < HANG_NS, "hang: %s stuck at %u of %u for 30 s", what,
              now, want);
        sleep_ns(1000000);
    }
}

static void *efull_waiter(void *arg) {
    worker *w = arg;
    worker_enter(w);
    /* The main thread's own timed gets may hold the one waiter place for a moment. */
    while ((w->status = design->get(w->p.self, &w->handle)) == LP_EFULL)
        sleep_ns(100000);
    if (w->status == LP_OK)
        w->status = design->put(w->p.self, w->handle);
    /* relaxed: the join publishes the rest */
    atomic_fetch_add_explicit(w->progress, 1, memory_order_relaxed);
    worker_exit(w);
    return NULL;
}

static void test_waiter_limit(void) {
    if (!has(LPD_WAIT_QUEUE))
        return;
    begin("MAX_WAITERS enforced");
    pool p = pool_new(1, 1);
    uintptr_t held, h;
    CHECK_ST(design->try_get(p.self, &held), LP_OK);
    atomic_uint done = 0;
    worker w = {.p = p, .id = 1, .progress = &done};
    start(&w, efull_waiter);
    /* Once the waiter is counted, the one waiter place is taken: we must get LP_EFULL.
     * Until then our own timed get may wait (and time out) in its place. */
    uint64_t began = lps_now_ns();
    for (;;) {
        int st = design->get_timeout(p.self, &h, 2000000);
        if (st == LP_EFULL)
            break;
        CHECK(st == LP_ETIMEDOUT, "timed get returned %s", lp_status_str(st));
        CHECK(lps_now_ns() - began < HANG_NS, "hang: the waiter never occupied the waiter place");
        sleep_ns(1000000); /* leave the place free for the waiter to take */
    }
    CHECK_ST(design->put(p.self, held), LP_OK);
    await_progress(&done, 1, "the waiter");
    pthread_join(w.thread, NULL);
    CHECK(w.status == LP_OK, "waiter finished with %s", lp_status_str(w.status));
    check_no_leak(p);
    pool_free(p);
}

/* Threads >> slots, every way of getting, ownership checked on every grant. */
static void *stress_worker(void *arg) {
    worker *w = arg;
    worker_enter(w);
    for (unsigned i = 0; lps_now_ns() < w->stop_at_ns; i++) {
        uintptr_t h;
        int st;
        unsigned way = has(LPD_BLOCKING) ? i % 4 : 0;
        if (way == 0) {
            st = design->try_get(w->p.self, &h);
            CHECK(st == LP_OK || (st == LP_EMPTY && has(LPD_BOUNDED)), "try_get returned %s",
                  lp_status_str(st));
        } else if (way == 1) {
            st = design->get(w->p.self, &h);
            CHECK(st == LP_OK || st == LP_EFULL, "get returned %s", lp_status_str(st));
        } else {
            st = design->get_timeout(w->p.self, &h, way == 2 ? (i % 7) * 20000u : LP_FOREVER);
            CHECK(st == LP_OK || st == LP_ETIMEDOUT || st == LP_EFULL, "get_timeout returned %s",
                  lp_status_str(st));
        }
        if (st != LP_OK) {
            sched_yield();
            continue;
        }
        own(w->p, h, w->id);
        hold_briefly(i);
        disown(h, w->id);
        CHECK_ST(design->put(w->p.self, h), LP_OK);
        w->ops++;
    }
    worker_exit(w);
    return NULL;
}

static void test_mutual_exclusion(void) {
    begin("mutual exclusion under stress");
    /* Fewer waiter places than threads, so LP_EFULL is exercised too. */
    const uint32_t max_waiters = STRESS_THREADS - 2;
    pool p = pool_new(STRESS_SLOTS, max_waiters);
    worker w[STRESS_THREADS];
    uint64_t stop = lps_now_ns() + (uint64_t)STRESS_MS * 1000000u;
    for (unsigned t = 0; t < STRESS_THREADS; t++) {
        w[t] = (worker){.p = p, .id = t + 1, .stop_at_ns = stop};
        start(&w[t], stress_worker);
    }
    uint64_t total = 0;
    for (unsigned t = 0; t < STRESS_THREADS; t++) {
        pthread_join(w[t].thread, NULL);
        total += w[t].ops;
    }
    CHECK(total > 0, "no thread completed a single get/put");
    check_no_leak(p);
    pool_free(p);
}

/* One slot, many blocking getters: every get must come back (a lost wake-up hangs). */
static void *wake_worker(void *arg) {
    worker *w = arg;
    worker_enter(w);
    for (unsigned round = 0; round < WAKE_ROUNDS; round++) {
        uintptr_t h;
        /* Half the rounds wait forever, half with a deadline far beyond the hang
         * detector: ETIMEDOUT would mean a slot was free and nobody told us. */
        int st = (round & 1) ? design->get_timeout(w->p.self, &h, 2 * HANG_NS)
                             : design->get(w->p.self, &h);
        CHECK(st == LP_OK, "blocking get returned %s", lp_status_str(st));
        own(w->p, h, w->id);
        hold_briefly(round);
        disown(h, w->id);
        CHECK_ST(design->put(w->p.self, h), LP_OK);
        /* relaxed: progress for the hang detector only */
        atomic_fetch_add_explicit(w->progress, 1, memory_order_relaxed);
    }
    worker_exit(w);
    return NULL;
}

static void test_no_lost_wakeup(void) {
    if (!has(LPD_BLOCKING))
        return;
    begin("no lost wake-up (1 slot, blocking getters)");
    pool p = pool_new(1, WAKE_GETTERS);
    atomic_uint rounds = 0;
    worker w[WAKE_GETTERS];
    for (unsigned t = 0; t < WAKE_GETTERS; t++) {
        w[t] = (worker){.p = p, .id = t + 1, .progress = &rounds};
        start(&w[t], wake_worker);
    }
    await_progress(&rounds, WAKE_GETTERS * WAKE_ROUNDS, "completed gets");
    for (unsigned t = 0; t < WAKE_GETTERS; t++)
        pthread_join(w[t].thread, NULL);
    check_no_leak(p);
    pool_free(p);
}

/* FIFO: waiters that arrived one after another are served in that order. */
static void *fifo_waiter(void *arg) {
    worker *w = arg;
    worker_enter(w);
    uintptr_t h;
    w->status = design->get(w->p.self, &h);
    if (w->status == LP_OK) {
        /* relaxed: the slot hand-over already orders the waiters; this is a counter */
        unsigned pos = atomic_fetch_add_explicit(w->order_seq, 1, memory_order_relaxed);
        w->order[pos] = w->id;
        w->status = design->put(w->p.self, h);
    }
    worker_exit(w);
    return NULL;
}

static void test_fifo(void) {
    if (!has(LPD_FIFO))
        return;
    begin("FIFO grant order");
    pool p = pool_new(1, FIFO_WAITERS);
    uintptr_t held;
    CHECK_ST(design->try_get(p.self, &held), LP_OK);
    atomic_uint seq = 0;
    unsigned order[FIFO_WAITERS];
    worker w[FIFO_WAITERS];
    for (unsigned i = 0; i < FIFO_WAITERS; i++) {
        w[i] = (worker){.p = p, .id = i + 1, .order_seq = &seq, .order = order};
        start(&w[i], fifo_waiter);
        if (design->waiting) {
            /* Observably queued before the next one starts. */
            uint64_t began = lps_now_ns();
            while (design->waiting(p.self) < i + 1) {
                CHECK(lps_now_ns() - began < HANG_NS, "hang: waiter %u never queued", i + 1);
                sleep_ns(100000);
            }
        } else {
            /* Design-neutral fallback: what is checked is FIFO of *arrival*, assuming a
             * thread that slept 200 ms ago has arrived. */
            sleep_ns(200000000);
        }
    }
    CHECK_ST(design->put(p.self, held), LP_OK);
    for (unsigned i = 0; i < FIFO_WAITERS; i++) {
        pthread_join(w[i].thread, NULL);
        CHECK(w[i].status == LP_OK, "waiter %u finished with %s", i + 1, lp_status_str(w[i].status));
    }
    for (unsigned i = 0; i < FIFO_WAITERS; i++)
        CHECK(order[i] == i + 1, "grant %u went to waiter %u (arrived %u-th)", i + 1, order[i],
              order[i]);
    check_no_leak(p);
    pool_free(p);
}

/* ---- split get (optional: get_begin / get_finish) --------------------------------- */
/* All from one thread, so the order of the begins is the test's own: a FIFO design serves
 * begun waits in that order; every design hands each begun wait a slot exactly once. */
static void test_split_get(void) {
    if (!design->get_begin)
        return;
    begin("split get (get_begin / get_finish)");
    pool p = pool_new(1, 4);
    void *wait[2] = {alloc_storage(design->wait_size), alloc_storage(design->wait_size)};
    uintptr_t held, got[2] = {0, 0};
    CHECK_ST(design->get_begin(p.self, wait[0], &held), LP_OK); /* free: taken at once */
    CHECK_ST(design->get_begin(p.self, wait[0], &got[0]), LP_PENDING);
    CHECK_ST(design->get_begin(p.self, wait[1], &got[1]), LP_PENDING);
    CHECK_ST(design->put(p.self, held), LP_OK);
    if (has(LPD_FIFO)) {
        /* The first begun is served; the second is not (a zero timeout withdraws it). */
        CHECK_ST(design->get_finish(p.self, wait[0], &got[0], 0), LP_OK);
        CHECK(got[0] == held, "first waiter got handle %ju, not the released %ju", (uintmax_t)got[0],
              (uintmax_t)held);
        CHECK_ST(design->get_finish(p.self, wait[1], &got[1], 0), LP_ETIMEDOUT);
        CHECK_ST(design->put(p.self, got[0]), LP_OK);
    } else {
        /* Barging: each begun wait ends with a slot, in either order. */
        CHECK_ST(design->get_finish(p.self, wait[0], &got[0], HANG_NS), LP_OK);
        CHECK_ST(design->put(p.self, got[0]), LP_OK);
        CHECK_ST(design->get_finish(p.self, wait[1], &got[1], HANG_NS), LP_OK);
        CHECK_ST(design->put(p.self, got[1]), LP_OK);
    }
    /* A begun wait nobody serves: finish times out and leaves nothing behind. */
    CHECK_ST(design->try_get(p.self, &held), LP_OK);
    CHECK_ST(design->get_begin(p.self, wait[1], &got[1]), LP_PENDING);
    CHECK_ST(design->get_finish(p.self, wait[1], &got[1], 1000000), LP_ETIMEDOUT);
    CHECK_ST(design->put(p.self, held), LP_OK);
    check_no_leak(p);
    free(wait[0]);
    free(wait[1]);
    pool_free(p);
}

/* ---- no starvation under barging (LPD_FIFO or LPD_BYPASS_BOUNDED) ------------------- */
static void *bypass_waiter(void *arg) {
    worker *w = arg;
    worker_enter(w);
    w->status = design->get(w->p.self, &w->handle);
    if (w->status == LP_OK)
        w->status = design->put(w->p.self, w->handle);
    /* relaxed: the join publishes the rest */
    atomic_fetch_add_explicit(w->progress, 1, memory_order_relaxed);
    worker_exit(w);
    return NULL;
}

/* One slot; a waiter queues while the main thread keeps taking and releasing it without
 * pause (a running thread that never lets go for long). A FIFO design serves the waiter at
 * the next release; a bypass-bounded one within its bound: either way it is served while
 * the barger keeps going. A design that lets the running thread win every time fails by
 * the hang detector. */
static void test_bypass_bounded(void) {
    if (!has(LPD_FIFO) && !has(LPD_BYPASS_BOUNDED))
        return;
    begin("a waiter is served while a running thread keeps re-taking the slot");
    for (int round = 0; round < 20; round++) {
        pool p = pool_new(1, 2);
        uintptr_t h;
        CHECK_ST(design->try_get(p.self, &h), LP_OK);
        atomic_uint done = 0;
        worker w = {.p = p, .id = 1, .progress = &done};
        start(&w, bypass_waiter);
        uint64_t began = lps_now_ns();
        if (design->waiting)
            while (design->waiting(p.self) < 1) {
                CHECK(lps_now_ns() - began < HANG_NS, "hang: the waiter never queued");
                sleep_ns(100000);
            }
        else
            sleep_ns(50000000);
        unsigned long barged = 0;
        /* relaxed: a flag; the join orders the rest */
        while (atomic_load_explicit(&done, memory_order_relaxed) == 0) {
            CHECK_ST(design->put(p.self, h), LP_OK);
            while (design->try_get(p.self, &h) != LP_OK) {
                if (atomic_load_explicit(&done, memory_order_relaxed) != 0 && design->try_get(p.self, &h) == LP_OK)
                    break;
                CHECK(lps_now_ns() - began < HANG_NS, "hang: the slot never came back to the barger");
            }
            barged++;
            CHECK(lps_now_ns() - began < HANG_NS, "hang: the waiter starved while %lu grants went to a barger",
                  barged);
        }
        pthread_join(w.thread, NULL);
        CHECK(w.status == LP_OK, "waiter finished with %s", lp_status_str(w.status));
        CHECK_ST(design->put(p.self, h), LP_OK);
        check_no_leak(p);
        pool_free(p);
    }
}

/* Lazy creation: the create callback runs once per slot until the object is discarded; a failing
 * create gives LP_ECREATE and releases the slot. */
typedef struct create_log {
    unsigned calls;
    uintptr_t last;
    int fail;
} create_log;

static int count_create(void *ctx, uint32_t slot) {
    create_log *log = (create_log *)ctx;
    log->calls++;
    log->last = slot;
    return log->fail;
}

static void test_slot_ensure(void) {
    if (!design->slot_ensure)
        return;
    begin("lazy creation (slot_ensure)");
    pool p = pool_new(1, 4);
    create_log log = {0, UINTPTR_MAX, 0};
    uintptr_t h;
    CHECK_ST(design->try_get(p.self, &h), LP_OK);
    CHECK_ST(design->slot_ensure(p.self, h, count_create, &log), LP_OK);
    CHECK(log.calls == 1 && log.last == h, "create called %u times (slot %ju) for slot %ju", log.calls,
          (uintmax_t)log.last, (uintmax_t)h);
    CHECK_ST(design->slot_ensure(p.self, h, count_create, &log), LP_OK);
    CHECK(log.calls == 1, "create called again for an object already created");
    CHECK_ST(design->put(p.self, h), LP_OK);
    CHECK_ST(design->try_get(p.self, &h), LP_OK);
    CHECK_ST(design->slot_ensure(p.self, h, count_create, &log), LP_OK);
    CHECK(log.calls == 1, "a put lost the created object");
    CHECK_ST(design->slot_ensure(p.self, h + 1, count_create, &log), LP_EINVAL); /* out of range */
    CHECK_ST(design->put(p.self, h), LP_OK);
    /* A fresh pool whose create fails: LP_ECREATE, and the slot is free again. */
    pool_free(p);
    p = pool_new(1, 4);
    log.fail = -1;
    CHECK_ST(design->try_get(p.self, &h), LP_OK);
    CHECK_ST(design->slot_ensure(p.self, h, count_create, &log), LP_ECREATE);
    CHECK_ST(design->put(p.self, h), LP_ENOTHELD); /* already released */
    log.fail = 0;
    CHECK_ST(design->try_get(p.self, &h), LP_OK);
    CHECK_ST(design->slot_ensure(p.self, h, count_create, &log), LP_OK);
    CHECK(log.calls == 3, "create not retried after a failure (%u calls)", log.calls);
    CHECK_ST(design->put(p.self, h), LP_OK);
    check_no_leak(p);
    pool_free(p);
}

/* ---- async path (optional: lpd_async) ---------------------------------------------- */
static void count_wake(void *ctx) {
    /* relaxed: a counter, read by this thread after the design's put returned */
    atomic_fetch_add_explicit((atomic_uint *)ctx, 1, memory_order_relaxed);
}

/* From one thread: a wait queued while every slot is held is woken by a put and then served
 * (FIFO: handed the slot; barging: its retry finds it free); a cancelled wait is never woken. */
static void test_async(void) {
    if (!design->async)
        return;
    begin("async path (get / poll / cancel)");
    CHECK(design->wait_size > 0, "an async path without wait_size");
    pool p = pool_new(1, 4);
    void *wait = alloc_storage(design->wait_size);
    atomic_uint wakes;
    atomic_init(&wakes, 0);
    const lp_waker waker = {count_wake, &wakes};
    uintptr_t held, got = 0;
    CHECK_ST(design->async->get(p.self, wait, waker, &held), LP_OK); /* free: taken at once */
    CHECK_ST(design->async->get(p.self, wait, waker, &got), LP_PENDING);
    CHECK_ST(design->put(p.self, held), LP_OK);
    CHECK(atomic_load(&wakes) == 1, "%u wakes after the put, expected 1", atomic_load(&wakes));
    CHECK_ST(design->async->poll(p.self, wait, &got), LP_OK);
    CHECK(got == held, "the woken wait got handle %ju, not the released %ju", (uintmax_t)got, (uintmax_t)held);
    /* A wait withdrawn before any put: cancelled, never woken, nothing left behind. */
    CHECK_ST(design->async->get(p.self, wait, waker, &held), LP_PENDING);
    CHECK_ST(design->async->cancel(p.self, wait, &held), LP_CANCELLED);
    CHECK_ST(design->put(p.self, got), LP_OK);
    CHECK(atomic_load(&wakes) == 1, "a cancelled wait was woken");
    check_no_leak(p);
    free(wait);
    pool_free(p);
}

/* ---- settings (optional: params / set_param) ---------------------------------------- */
/* Each listed setting has a name once; set_param takes each numeric one at its own value on a
 * fresh instance, and answers LP_ENOSYS for a name the design does not list. */
static void test_params(void) {
    if (!design->params)
        return;
    begin("settings (params / set_param)");
    lpd_param prm[LPD_MAX_PARAMS];
    unsigned n = design->params(prm);
    CHECK(n >= 1 && n <= LPD_MAX_PARAMS, "params returned %u settings", n);
    pool p = pool_new(2, 4);
    for (unsigned i = 0; i < n; i++) {
        CHECK(prm[i].name && prm[i].name[0], "setting %u has no name", i);
        for (unsigned j = 0; j < i; j++)
            CHECK(strcmp(prm[i].name, prm[j].name) != 0, "setting %s listed twice", prm[i].name);
        if (design->set_param && prm[i].text == NULL)
            CHECK_ST(design->set_param(p.self, prm[i].name, prm[i].num), LP_OK);
    }
    if (design->set_param)
        CHECK_ST(design->set_param(p.self, "no_such_setting", 1), LP_ENOSYS);
    check_no_leak(p);
    pool_free(p);
}

/* ---- registry ----------------------------------------------------------------------- */
static int check_registry(const char *expected_csv) {
    begin("registry");
    size_t n;
    const lpd_design *const *all = lpd_designs(&n);
    char *names = strdup(expected_csv), *save = NULL;
    size_t i = 0;
    for (char *tok = strtok_r(names, ",", &save); tok; tok = strtok_r(NULL, ",", &save), i++) {
        CHECK(i < n, "registry has %zu designs, the list given has more (next: %s)", n, tok);
        CHECK(strcmp(all[i]->name, tok) == 0, "registry entry %zu is %s, expected %s", i,
              all[i]->name, tok);
    }
    free(names);
    CHECK(i == n, "registry has %zu designs, the list given %zu", n, i);
    for (i = 0; i < n; i++) {
        design = all[i];
        CHECK(lpd_find(design->name) == design, "lpd_find does not return the entry");
        CHECK(design->blocking && design->summary && design->size && design->init &&
                  design->destroy && design->try_get && design->get && design->get_timeout &&
                  design->put,
              "missing name, text or function");
        CHECK(!has(LPD_FIFO) || has(LPD_BLOCKING), "FIFO without blocking get");
        for (unsigned bit = 1; bit != 0; bit <<= 1) /* every promise has a name in the bench's JSON */
            CHECK(!(design->flags & bit) || lpd_flag_name(bit) != NULL, "flag 0x%x has no lpd_flag_name", bit);
        CHECK((design->get_begin != NULL) == (design->get_finish != NULL) &&
                  (design->get_begin != NULL) == (design->wait_size > 0),
              "get_begin, get_finish and wait_size: all or none");
        CHECK(!has(LPD_WAIT_QUEUE) || has(LPD_BLOCKING), "waiter queue without blocking get");
        CHECK(!design->slot_ensure || has(LPD_BOUNDED), "slot_ensure without slot handles");
        CHECK(!design->async || (design->async->get && design->async->poll && design->async->cancel &&
                                 design->wait_size > 0),
              "an async path without get, poll, cancel or wait_size");
        CHECK(!design->set_param || design->params, "set_param without params");
        CHECK(has(LPD_PER_THREAD) == (design->thread_enter != NULL && design->thread_exit != NULL),
              "LPD_PER_THREAD and thread_enter/exit disagree");
    }
    design = NULL;
    CHECK(lpd_find("no-such-design") == NULL && lpd_find(NULL) == NULL, "lpd_find of a bad name");
    CHECK(lpd_skipped() != NULL, "lpd_skipped is NULL");
    CHECK(lpd_flag_name(LPD_FIFO) != NULL && strcmp(lpd_flag_name(LPD_FIFO), "fifo") == 0 &&
              lpd_flag_name(0) == NULL && lpd_flag_name(LPD_FIFO | LPD_BOUNDED) == NULL,
          "lpd_flag_name");
    printf("registry: %zu designs ok; skipped: %s\n", n, lpd_skipped()[0] ? lpd_skipped() : "none\n");
    return 0;
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0); /* progress visible even if a hang is killed */
    if (argc == 3 && strcmp(argv[1], "--registry") == 0)
        return check_registry(argv[2]);
    if (argc == 2 && strcmp(argv[1], "--list") == 0) { /* ctest makes one test per line */
        size_t n;
        const lpd_design *const *all = lpd_designs(&n);
        for (size_t i = 0; i < n; i++)
            printf("%s\n", all[i]->name);
        return 0;
    }
    if (argc != 3 || strcmp(argv[1], "--design") != 0) {
        fprintf(stderr, "usage: lp-conformance --design NAME | --registry NAME,NAME,... | --list\n");
        return 2;
    }
    design = lpd_find(argv[2]);
    if (design == NULL) {
        fprintf(stderr, "lp-conformance: design '%s' is not in this build\n", argv[2]);
        return 1;
    }
    printf("design %s (%s): %s\n", design->name, design->blocking, design->summary);
    test_bad_arguments();
    test_try_get_empty();
    test_blocking_contract();
    test_waiter_limit();
    test_mutual_exclusion();
    test_no_lost_wakeup();
    test_fifo();
    test_bypass_bounded();
    test_split_get();
    test_slot_ensure();
    test_async();
    test_params();
    printf("design %s: all conformance tests passed\n", design->name);
    return 0;
}
