/*
 * lockpool.h — a fair, allocation-free, runtime-agnostic object pool.
 *
 * SLOTS objects, each guarded by a try-lock on its own cache line, plus a bounded
 * lock-free queue of at most MAX_WAITERS waiters. The pool never allocates: the
 * caller owns all storage (see LP_POOL_DEFINE). The objects themselves are the
 * caller's too: a slot index names one, e.g. `objs[slot]` (see LP_OBJ).
 *
 * Layers:
 *   core   (lp_init, lp_try_get, lp_get_async, lp_wait_*, lp_put, ...): freestanding C11,
 *          no libc, no OS. Async callers are woken through an lp_waker callback.
 *   sync   (lp_get, lp_get_timeout, lp_get_begin/finish, lp_get_or_create, lp_clock_ns): blocking for
 *          threads; bounded spin, then the platform's way to sleep (Linux: a futex). A build for a
 *          platform without one (CMake -DLP_PRIM=none) answers every blocking call LP_ENOSYS.
 *
 * Compiles as C11 and as C++ (no _Atomic in this header).
 */
#ifndef LOCKPOOL_H
#define LOCKPOOL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LP_VERSION_MAJOR 0
#define LP_VERSION_MINOR 1
#define LP_VERSION_PATCH 0

/** Marks what the library exports: it is built with hidden visibility, so only the functions
 *  declared here with LP_API are in its dynamic symbol table (a test compares the two). */
#ifndef LP_API
#if defined(__GNUC__) || defined(__clang__)
#define LP_API __attribute__((visibility("default")))
#else
#define LP_API
#endif
#endif

/** Cache line size the slot and waiter-cell layouts are padded to. */
#define LP_CACHELINE 64

#ifdef __cplusplus
#define LP_ALIGNAS(n) alignas(n)
#else
#define LP_ALIGNAS(n) _Alignas(n)
#endif

/** Upper bounds accepted by lp_init (tickets and slot numbers must fit the cell word). */
#define LP_MAX_SLOTS   65535u
#define LP_MAX_WAITERS 65535u

/** Status codes. Every entry point returns one; none crashes on bad input (see the misuse
 *  table, LP_MISUSE_TABLE, at the end of this header). */
typedef enum lp_status {
    LP_OK = 0,         /**< done; a slot was taken where one was asked for */
    LP_EMPTY = 1,      /**< lp_try_get: no free slot (or, FAIR mode, older waiters exist) */
    LP_PENDING = 2,    /**< queued: the waker will be called; poll later */
    LP_CANCELLED = 3,  /**< lp_wait_cancel: withdrawn before any slot reached it */
    LP_EFULL = -1,     /**< MAX_WAITERS already waiting: not queued, nothing changed */
    LP_EINVAL = -2,    /**< bad argument: NULL, zero or too many slots, slot out of range, a pool
                            lp_init did not set up, a wait record pending on another pool */
    LP_ENOTHELD = -3,  /**< lp_put of a slot that is not held */
    LP_ESTATE = -4,    /**< wait record in the wrong state (e.g. cancel of a finished wait) */
    LP_ETIMEDOUT = -5, /**< lp_get_timeout: deadline passed, nothing taken */
    LP_ECREATE = -6,   /**< create callback failed; the slot went back to the pool */
    LP_ENOSYS = -7     /**< operation not available in this build (e.g. no futex) */
} lp_status;

/** Hand-off policy on release, fixed at init. */
typedef enum lp_mode {
    /** Strict FIFO. A release with waiters hands the slot straight to the oldest waiter;
     *  it is never unlocked in between, and try_get fails while anyone waits. For callers
     *  that need order more than throughput: when threads outnumber CPUs every hand-off
     *  waits for a descheduled waiter to run (see LP_RESTRICTED). */
    LP_FAIR = 0,
    /** Classic: a release unlocks, then wakes the oldest waiter, who retries and may
     *  lose to a newcomer (and then re-queues at the back). Faster, not fair. At most
     *  lp_set_retry_wakes waiters (default 4) are woken to retry at a time. */
    LP_BARGING = 1,
    /** Barging, except that a release goes straight to the oldest waiter once it has
     *  waited longer than a bound (lp_set_fairness_bound; default 1 ms). */
    LP_BOUNDED = 2,
    /** The default (LP_MODE_DEFAULT). Concurrency restriction: a release unlocks, and a
     *  running thread (a newcomer, or the releaser coming back) takes the slot without a wake-up
     *  or a context switch; waiters stay parked in FIFO order and keep their place: a release
     *  only nudges the oldest (it wakes, takes a slot if one is still free, else parks again).
     *  Every lp_set_bypass_bound-th release that finds a waiter (LP_BYPASS_BOUND_DEFAULT) is
     *  handed straight to the oldest, which rotates the queue into the running set. A blocking
     *  get (lp_get, lp_get_timeout, lp_get_begin/finish) with k waiters ahead of it is overtaken
     *  by at most about (k + 1) * bound + slots + threads grants while it is queued
     *  (pool/DESIGN.md, "The bound": on a pool that also has lp_get_async waits, a rare race with
     *  every slot held can serve it a retry, and it is out of the queue until its thread runs).
     *  lp_get_async waits cannot be nudged (their waker belongs to the caller): they are woken
     *  to retry as in LP_BARGING, and one that loses a retry past the bound makes
     *  every release a hand-off in queue order until it is served. A wait that, once queued,
     *  finds itself the oldest with a slot free takes that slot (the call returns LP_OK, no
     *  waker call) unless a release reached it first (LP_PENDING: its waker is called, and the
     *  poll returns a slot). Not FIFO. */
    LP_RESTRICTED = 3,
    /** Not a mode: what lp_pool_mode answers for a pool lp_init did not set up. */
    LP_MODE_INVALID = -1
} lp_mode;

/** The mode LP_POOL_INIT(name) uses. */
#define LP_MODE_DEFAULT LP_RESTRICTED

/** A wake-up callback: any event loop, coroutine runtime or thread parker. */
typedef struct lp_waker {
    void (*wake)(void *ctx);
    void *ctx;
} lp_waker;

/** One object's try-lock, alone on its cache line. Storage only: fields are private. */
typedef struct lp_slot {
    LP_ALIGNAS(LP_CACHELINE) uint32_t lp__private_[LP_CACHELINE / sizeof(uint32_t)];
} lp_slot;

/** One waiter-queue cell, alone on its cache line. Storage only: fields are private. */
typedef struct lp_cell {
    LP_ALIGNAS(LP_CACHELINE) uint32_t lp__private_[LP_CACHELINE / sizeof(uint32_t)];
} lp_cell;

/** The pool header. Storage only: fields are private (see pool/src/lp_internal.h). */
typedef struct lp_pool {
    LP_ALIGNAS(LP_CACHELINE) uint32_t lp__private_[(3 * LP_CACHELINE) / sizeof(uint32_t)];
} lp_pool;

/** A caller-owned wait record for the async path (on the stack, in a task, ...). It
 *  remembers the pool it was begun on. */
typedef struct lp_wait {
    uint32_t lp__ticket_;
    uint32_t lp__state_;
    uint64_t lp__since_;
    lp_waker lp__waker_;
    lp_pool *lp__pool_;
    uint32_t lp__born_;
    uint32_t lp__pad_; /* explicit, so a record has no indeterminate bytes */
} lp_wait;

/** Initial value for an lp_wait (or call lp_wait_init, or zero-fill it). */
#define LP_WAIT_INIT {0u, 0u, 0u, {0, 0}, 0, 0u, 0u}

/**
 * Define storage for a pool of SLOTS objects and MAX_WAITERS waiters (both >= 1,
 * compile-time constants), static or automatic. Initialise with LP_POOL_INIT, in the
 * default mode (LP_MODE_DEFAULT) or a given one:
 *
 *     static LP_POOL_DEFINE(conns, 5, 32);
 *     if (LP_POOL_INIT(conns) != LP_OK) ...            // or LP_POOL_INIT(conns, LP_FAIR)
 *     lp_pool *p = LP_POOL(conns);
 */
#define LP_POOL_DEFINE(name, SLOTS, MAX_WAITERS)                                        \
    struct name##_lp_storage {                                                          \
        lp_pool pool;                                                                   \
        lp_slot slots[(SLOTS)];                                                         \
        lp_cell cells[(MAX_WAITERS)];                                                   \
    } name
#define LP_POOL(name) (&(name).pool)
#define LP_POOL_INIT(...) LP__POOL_INIT_PICK(__VA_ARGS__, LP__POOL_INIT2, LP__POOL_INIT1, -)(__VA_ARGS__)
#define LP__POOL_INIT_PICK(a1, a2, which, ...) which
#define LP__POOL_INIT1(name) LP__POOL_INIT2(name, LP_MODE_DEFAULT)
#define LP__POOL_INIT2(name, mode)                                                      \
    lp_init(&(name).pool, (name).slots, (uint32_t)(sizeof((name).slots) / sizeof(lp_slot)), \
            (name).cells, (uint32_t)(sizeof((name).cells) / sizeof(lp_cell)), (mode))

/** Typed access to the caller's object array: LP_OBJ(objs, slot) is &objs[slot]. */
#define LP_OBJ(objs, slot) (&(objs)[(slot)])

/**
 * Set up a pool in caller storage. Validates everything; on error nothing is usable: every
 * later call on this pool returns LP_EINVAL (or 0) until an lp_init succeeds.
 * @param pool    header storage
 * @param slots   array of nslots lp_slot (1 <= nslots <= LP_MAX_SLOTS)
 * @param cells   array of ncells lp_cell (0 <= ncells <= LP_MAX_WAITERS; NULL iff 0);
 *                with 0 cells nobody can wait: lp_get_async returns LP_EFULL when empty
 * @param mode    LP_RESTRICTED (LP_MODE_DEFAULT), LP_FAIR, LP_BARGING or LP_BOUNDED
 * @return LP_OK or LP_EINVAL
 */
LP_API lp_status lp_init(lp_pool *pool, lp_slot *slots, uint32_t nslots, lp_cell *cells,
                         uint32_t ncells, lp_mode mode);

/** Bytes of storage for a pool of the given counts (header + slots + cells): what lp_init_in
 *  needs. 0 if the counts are out of range. */
LP_API size_t lp_storage_size(uint32_t nslots, uint32_t ncells);

/**
 * Set up a pool in one block of caller memory, laid out by the library: the header at `mem`,
 * then nslots lp_slot, then ncells lp_cell. On LP_OK `mem` is the pool: pass (lp_pool *)mem
 * to every other call. Validates as lp_init does; on error nothing is usable.
 * @param mem     LP_CACHELINE-aligned storage of `len` bytes (e.g. from a NUMA-aware allocator)
 * @param len     at least lp_storage_size(nslots, ncells)
 * @param nslots  1..LP_MAX_SLOTS
 * @param ncells  0..LP_MAX_WAITERS
 * @param mode    as lp_init
 * @return LP_OK or LP_EINVAL (mem NULL or misaligned, len too small, counts or mode out of range)
 */
LP_API lp_status lp_init_in(void *mem, size_t len, uint32_t nslots, uint32_t ncells, lp_mode mode);

/** The default of lp_set_fairness_bound: 1 ms. */
#define LP_FAIRNESS_BOUND_DEFAULT_NS 1000000u

/** LP_BOUNDED: hand the release to a waiter older than bound_ns (0 = the default,
 *  LP_FAIRNESS_BOUND_DEFAULT_NS; any value up to UINT64_MAX), using clock_ns: a monotonic clock
 *  in ns that does not wrap (the sync layer offers lp_clock_ns; a test may pass a fake one to
 *  age waits at will). Ages are
 *  exact in ns for any wait length. Until a clock is set, LP_BOUNDED behaves as
 *  LP_BARGING. LP_EINVAL for other modes or NULL clock. */
LP_API lp_status lp_set_fairness_bound(lp_pool *pool, uint64_t bound_ns, uint64_t (*clock_ns)(void));

/** The default of lp_set_bypass_bound. */
#define LP_BYPASS_BOUND_DEFAULT 2048u

/** LP_RESTRICTED: every `releases`-th release that finds a waiter is handed straight to the
 *  oldest waiter (1..INT32_MAX; default LP_BYPASS_BOUND_DEFAULT); an lp_get_async wait that
 *  loses a retry after that many such releases since it began makes every release a hand-off
 *  until it is served. Smaller: fairer over short windows, more hand-offs to parked threads
 *  (each a wake-up the slot waits for). Set it before the pool is shared.
 *  LP_EINVAL for other modes, 0, > INT32_MAX, or a NULL pool. */
LP_API lp_status lp_set_bypass_bound(lp_pool *pool, uint32_t releases);

/** The default of lp_set_retry_wakes. */
#define LP_RETRY_WAKES_DEFAULT 4u

/** LP_BARGING/LP_BOUNDED/LP_RESTRICTED: at most max_in_flight waiters are woken to retry at a time (as Go's
 *  sync.Mutex keeps one): a release with waiters wakes the oldest only while fewer are in
 *  flight, else it leaves its slot to the woken ones, who look for free slots when their
 *  retry ends. 0 = no limit (every release with waiters wakes one). Default
 *  LP_RETRY_WAKES_DEFAULT. Set it before the pool is shared. LP_EINVAL for LP_FAIR (it
 *  hands slots over and wakes no one to retry) or a NULL pool. */
LP_API lp_status lp_set_retry_wakes(lp_pool *pool, uint32_t max_in_flight);

/** The counts and mode given to lp_init; 0 (LP_MODE_INVALID) for a pool it did not set up. */
LP_API uint32_t lp_slot_count(const lp_pool *pool);
LP_API uint32_t lp_waiter_capacity(const lp_pool *pool);
LP_API lp_mode lp_pool_mode(const lp_pool *pool);

/**
 * Take a free slot without waiting. The scan starts at a per-caller hint (derived from
 * the caller's stack address, so threads start at different slots).
 * @return LP_OK (*slot set), LP_EMPTY, or LP_EINVAL
 */
LP_API lp_status lp_try_get(lp_pool *pool, uint32_t *slot);

/** As lp_try_get, with an explicit start hint (e.g. a worker index). */
LP_API lp_status lp_try_get_from(lp_pool *pool, uint32_t hint, uint32_t *slot);

/**
 * Release a held slot. FAIR: if anyone waits, the slot goes straight to the oldest
 * waiter (whose waker is called here, on the releasing thread).
 * @return LP_OK, LP_EINVAL (slot out of range) or LP_ENOTHELD (not held: never taken, or put
 *         already). A slot has no owner: a put of a slot another caller holds releases it.
 */
LP_API lp_status lp_put(lp_pool *pool, uint32_t slot);

/** Release a slot whose object is broken: the next taker re-creates it (see
 *  lp_try_get_or_create / lp_get_or_create). Same statuses as lp_put. */
LP_API lp_status lp_put_discard(lp_pool *pool, uint32_t slot);

/** Was the object of this held slot created (and not discarded since)? 0 or 1. */
LP_API int lp_slot_created(const lp_pool *pool, uint32_t slot);

/** Object constructor for the *_or_create calls: 0 on success. */
typedef int (*lp_create_fn)(void *ctx, uint32_t slot);

/** If the held slot's object is not created yet, create it. On failure the slot is
 *  released (discarded) and LP_ECREATE returned. */
LP_API lp_status lp_slot_ensure(lp_pool *pool, uint32_t slot, lp_create_fn create, void *ctx);

/** lp_try_get, then lp_slot_ensure. */
LP_API lp_status lp_try_get_or_create(lp_pool *pool, uint32_t *slot, lp_create_fn create, void *ctx);

/** Reset a wait record (same as = LP_WAIT_INIT). */
LP_API void lp_wait_init(lp_wait *wait);

/**
 * Get a slot, or queue the caller-owned record `wait` to be handed one.
 * @return LP_OK      a slot was taken now (*slot set); the waker is never called
 *         LP_PENDING `wait` is queued; waker.wake(waker.ctx) will be called once
 *                    (from the releasing thread) when a slot has been handed to it;
 *                    then lp_wait_poll returns it. The record must stay alive until
 *                    lp_wait_poll returns LP_OK or lp_wait_cancel returns. The waker may
 *                    be called before this call returns: poll or cancel the wait only
 *                    after it has returned (the record is the pool's until then).
 *         LP_EFULL   MAX_WAITERS already queued: nothing queued, nothing changed
 *         LP_EINVAL / LP_ESTATE (the record is already pending)
 * BARGING/BOUNDED/RESTRICTED: a wake may mean "retry"; lp_wait_poll retries and may re-queue
 * (returning LP_PENDING again, with one more wake to come). Poll (or cancel) a woken wait
 * promptly: until then it holds one of the pool's retry wakes (lp_set_retry_wakes), and a
 * woken wait that is never polled keeps it, so releases wake fewer other waiters. (In FAIR
 * mode such a wait keeps the slot it was handed.) In every mode, a call that returns LP_OK
 * has not called the waker and never will for that wait.
 */
LP_API lp_status lp_get_async(lp_pool *pool, lp_wait *wait, lp_waker waker, uint32_t *slot);

/**
 * Collect the result of a pending wait.
 * @param new_waker  NULL, or a waker to use from now on (replaces the one given so far;
 *                   if a slot arrives while it is being replaced, this call returns LP_OK
 *                   and no waker is called)
 * If the hand-off is in progress (its waker call still running on the releasing thread),
 * this waits for that call to return, so a poll after any sign of the wake never misses
 * it. Hence: never poll or cancel a wait from inside its own waker. A poll that re-queues
 * (LP_PENDING after a retry) may see its new waker call before it returns: as with
 * lp_get_async, poll or cancel again only after it has returned.
 * @return LP_OK (*slot set; the record is free again), LP_PENDING, LP_EFULL (BARGING
 *         re-queue found the queue full; the wait has ended), LP_ESTATE (not pending),
 *         LP_EINVAL (e.g. a record pending on another pool: nothing changed)
 */
LP_API lp_status lp_wait_poll(lp_pool *pool, lp_wait *wait, const lp_waker *new_waker, uint32_t *slot);

/**
 * Withdraw a pending wait. After it returns the pool never touches `wait` again.
 * If a slot was handed to the wait before the withdrawal, it is not lost: with `slot`
 * non-NULL it is returned (LP_OK; the caller now holds it), with `slot` NULL it is
 * passed on to the next waiter (lp_put) and LP_CANCELLED returned. If a waker call is in
 * flight on another thread, this waits for that call to return first.
 * @return LP_CANCELLED, LP_OK (slot handed over), LP_ESTATE (not pending: never begun,
 *         finished, or cancelled already), LP_EINVAL (e.g. a record pending on another pool)
 */
LP_API lp_status lp_wait_cancel(lp_pool *pool, lp_wait *wait, uint32_t *slot);

/** Diagnostics (racy snapshots, for tests and tools): slots currently held, and queue
 *  tickets outstanding (waiters plus not-yet-reclaimed cancelled cells). */
LP_API uint32_t lp_debug_held(const lp_pool *pool);
LP_API uint32_t lp_debug_queued(const lp_pool *pool);
/** BARGING/BOUNDED/RESTRICTED: waiters woken to retry whose retry has not ended (lp_set_retry_wakes);
 *  0 whenever the pool is idle. */
LP_API uint32_t lp_debug_woken(const lp_pool *pool);

/** Human-readable name of a status. */
LP_API const char *lp_status_str(lp_status st);

/* ---- sync layer (Linux futex; LP_ENOSYS in a build without a platform layer) ------- */
/* Built with -DLP_PRIM=none (no way to sleep), lp_get, lp_get_timeout, lp_get_begin,
 * lp_get_finish and lp_get_or_create return LP_ENOSYS whatever their arguments, and change
 * nothing; the core above (lp_get_async included) works as everywhere. */

/** Block until a slot is free (or handed over). Bounded spin, then park on a futex.
 *  @return LP_OK, LP_EFULL (MAX_WAITERS already waiting), LP_EINVAL */
LP_API lp_status lp_get(lp_pool *pool, uint32_t *slot);

/** As lp_get, giving up after timeout_ns (0: do not wait). The deadline is computed
 *  once, on CLOCK_MONOTONIC. @return LP_OK, LP_ETIMEDOUT, LP_EFULL, LP_EINVAL */
LP_API lp_status lp_get_timeout(lp_pool *pool, uint32_t *slot, uint64_t timeout_ns);

/** lp_get in two halves. lp_get_begin never blocks: it takes a free slot (LP_OK) or
 *  joins the queue (LP_PENDING), and from then on the caller's place in line is fixed
 *  (in FAIR mode nobody who begins later is served first); lp_get_finish then blocks
 *  until that wait is served, or withdraws it after timeout_ns (LP_FOREVER: never).
 *  `wait` (LP_WAIT_INIT) must stay alive from begin until finish returns; instead of
 *  finishing, a caller may lp_wait_cancel it. Between the halves the caller may do
 *  anything but block on this pool with the same record.
 *  begin:  LP_OK, LP_PENDING, LP_EFULL, LP_EINVAL, LP_ESTATE (record already pending)
 *  finish: LP_OK, LP_ETIMEDOUT (withdrawn, nothing taken), LP_EFULL (BARGING re-queue
 *          found the queue full), LP_EINVAL, LP_ESTATE (not a pending lp_get_begin wait) */
LP_API lp_status lp_get_begin(lp_pool *pool, lp_wait *wait, uint32_t *slot);
LP_API lp_status lp_get_finish(lp_pool *pool, lp_wait *wait, uint32_t *slot, uint64_t timeout_ns);

/** lp_get_timeout, then lp_slot_ensure (connection-pool style). */
LP_API lp_status lp_get_or_create(lp_pool *pool, uint32_t *slot, uint64_t timeout_ns,
                                  lp_create_fn create, void *ctx);

/** CLOCK_MONOTONIC in ns (for lp_set_fairness_bound); 0 in a build without a platform layer. */
LP_API uint64_t lp_clock_ns(void);

/** Wait-forever value for lp_get_timeout. */
#define LP_FOREVER UINT64_MAX

/* ---- misuse table ------------------------------------------------------------------ */

/**
 * What each call answers for each kind of bad input, one row per (call, bad input). No row
 * crashes, hangs, leaks or has undefined behaviour, and a call that reports bad input has
 * changed nothing (a pending record stays pending, a held slot stays held). The test
 * pool.misuse expands this macro, so the table is its list of cases: it runs every row,
 * against every mode lp_init accepts, in the normal, ASan+UBSan and TSan builds.
 *
 * Bad inputs:
 *   BAD_POOL        pool NULL, misaligned, zero-filled (static storage never initialised, or
 *                   memset to 0, even with waits pending), left with arbitrary bytes, or
 *                   whose last lp_init failed. (Arbitrary bytes are caught by a 32-bit check
 *                   word: all but a 2^-32 chance; nothing else is read before it passes.)
 *                   For lp_init: pool NULL or misaligned.
 *   NULL_SLOT       the slot out-pointer is NULL (lp_wait_cancel takes NULL: pass it on)
 *   NULL_WAIT       the wait record is NULL
 *   NULL_FN         a NULL callback: waker.wake, new_waker->wake, create, clock_ns
 *   SLOT_RANGE      slot >= lp_slot_count(pool)
 *   SLOT_FREE       a slot nobody holds (never taken)
 *   SLOT_TWICE      the second put of the same hold
 *   SLOT_OTHERS     a slot another caller holds: not detectable (a slot has no owner word),
 *                   the put releases it; its holder's own put then answers LP_ENOTHELD
 *   WAIT_NEW        a record never begun (LP_WAIT_INIT, lp_wait_init, or zero-filled)
 *   WAIT_DONE       a record whose wait has ended (it returned LP_OK, or was collected)
 *   WAIT_CANCELLED  a record cancelled already (a second cancel, or a poll after it)
 *   WAIT_OTHER      a record pending on another pool
 *   WAIT_PENDING    a record still pending (on this pool or another)
 *   WAIT_ASYNC      a record begun by lp_get_async (lp_get_finish needs lp_get_begin's)
 *   MODE            lp_init: a value that is not a mode; a setter on a pool whose mode has
 *                   no use for it (lp_set_fairness_bound: not LP_BOUNDED;
 *                   lp_set_retry_wakes: LP_FAIR)
 *   COUNT           slot count 0 or above LP_MAX_SLOTS, waiter count above LP_MAX_WAITERS
 *   STORAGE         slots NULL, cells NULL with ncells > 0 (or not NULL with 0), slots or
 *                   cells misaligned; lp_init_in: mem NULL or misaligned, len below
 *                   lp_storage_size (0 included)
 *   STATUS          a value that is not an lp_status
 *   NO_INPUT        the call takes nothing that could be bad (listed so that every
 *                   function of this header has a row; pool.misuse checks that it does)
 * Outside any contract (undefined, as for any C API): storage that is freed, too small or
 * reused while the pool or a pending record lives in it; a record in memory never
 * initialised; lp_init on a pool in use; copies of a pool or of a pending record.
 * Waits by design, not bad input: lp_wait_poll or lp_wait_cancel of a wait called from
 * inside that wait's own waker (each waits for the waker to return, see lp_wait_poll), and
 * a blocking get with no deadline while the caller itself holds every slot.
 */
#define LP_MISUSE_TABLE(X)                                                              \
    X(lp_init,              BAD_POOL,       LP_EINVAL)                                   \
    X(lp_init,              STORAGE,        LP_EINVAL)                                   \
    X(lp_init,              COUNT,          LP_EINVAL)                                   \
    X(lp_init,              MODE,           LP_EINVAL)                                   \
    X(lp_storage_size,      COUNT,          0)                                           \
    X(lp_init_in,           STORAGE,        LP_EINVAL)                                   \
    X(lp_init_in,           COUNT,          LP_EINVAL)                                   \
    X(lp_init_in,           MODE,           LP_EINVAL)                                   \
    X(lp_set_fairness_bound, BAD_POOL,      LP_EINVAL)                                   \
    X(lp_set_fairness_bound, NULL_FN,       LP_EINVAL)                                   \
    X(lp_set_fairness_bound, MODE,          LP_EINVAL)                                   \
    X(lp_set_bypass_bound,  BAD_POOL,       LP_EINVAL)                                   \
    X(lp_set_bypass_bound,  COUNT,          LP_EINVAL)                                   \
    X(lp_set_bypass_bound,  MODE,           LP_EINVAL)                                   \
    X(lp_set_retry_wakes,   BAD_POOL,       LP_EINVAL)                                   \
    X(lp_set_retry_wakes,   MODE,           LP_EINVAL)                                   \
    X(lp_slot_count,        BAD_POOL,       0)                                           \
    X(lp_waiter_capacity,   BAD_POOL,       0)                                           \
    X(lp_pool_mode,         BAD_POOL,       LP_MODE_INVALID)                             \
    X(lp_try_get,           BAD_POOL,       LP_EINVAL)                                   \
    X(lp_try_get,           NULL_SLOT,      LP_EINVAL)                                   \
    X(lp_try_get_from,      BAD_POOL,       LP_EINVAL)                                   \
    X(lp_try_get_from,      NULL_SLOT,      LP_EINVAL)                                   \
    X(lp_put,               BAD_POOL,       LP_EINVAL)                                   \
    X(lp_put,               SLOT_RANGE,     LP_EINVAL)                                   \
    X(lp_put,               SLOT_FREE,      LP_ENOTHELD)                                 \
    X(lp_put,               SLOT_TWICE,     LP_ENOTHELD)                                 \
    X(lp_put,               SLOT_OTHERS,    LP_OK)                                       \
    X(lp_put_discard,       BAD_POOL,       LP_EINVAL)                                   \
    X(lp_put_discard,       SLOT_RANGE,     LP_EINVAL)                                   \
    X(lp_put_discard,       SLOT_FREE,      LP_ENOTHELD)                                 \
    X(lp_put_discard,       SLOT_TWICE,     LP_ENOTHELD)                                 \
    X(lp_put_discard,       SLOT_OTHERS,    LP_OK)                                       \
    X(lp_slot_created,      BAD_POOL,       0)                                           \
    X(lp_slot_created,      SLOT_RANGE,     0)                                           \
    X(lp_slot_ensure,       BAD_POOL,       LP_EINVAL)                                   \
    X(lp_slot_ensure,       SLOT_RANGE,     LP_EINVAL)                                   \
    X(lp_slot_ensure,       SLOT_FREE,      LP_ENOTHELD)                                 \
    X(lp_slot_ensure,       NULL_FN,        LP_EINVAL)                                   \
    X(lp_try_get_or_create, BAD_POOL,       LP_EINVAL)                                   \
    X(lp_try_get_or_create, NULL_SLOT,      LP_EINVAL)                                   \
    X(lp_try_get_or_create, NULL_FN,        LP_EINVAL)                                   \
    X(lp_wait_init,         NULL_WAIT,      nothing)                                     \
    X(lp_get_async,         BAD_POOL,       LP_EINVAL)                                   \
    X(lp_get_async,         NULL_SLOT,      LP_EINVAL)                                   \
    X(lp_get_async,         NULL_WAIT,      LP_EINVAL)                                   \
    X(lp_get_async,         NULL_FN,        LP_EINVAL)                                   \
    X(lp_get_async,         WAIT_PENDING,   LP_ESTATE)                                   \
    X(lp_wait_poll,         BAD_POOL,       LP_EINVAL)                                   \
    X(lp_wait_poll,         NULL_SLOT,      LP_EINVAL)                                   \
    X(lp_wait_poll,         NULL_WAIT,      LP_EINVAL)                                   \
    X(lp_wait_poll,         NULL_FN,        LP_EINVAL)                                   \
    X(lp_wait_poll,         WAIT_OTHER,     LP_EINVAL)                                   \
    X(lp_wait_poll,         WAIT_NEW,       LP_ESTATE)                                   \
    X(lp_wait_poll,         WAIT_DONE,      LP_ESTATE)                                   \
    X(lp_wait_poll,         WAIT_CANCELLED, LP_ESTATE)                                   \
    X(lp_wait_cancel,       BAD_POOL,       LP_EINVAL)                                   \
    X(lp_wait_cancel,       NULL_WAIT,      LP_EINVAL)                                   \
    X(lp_wait_cancel,       WAIT_OTHER,     LP_EINVAL)                                   \
    X(lp_wait_cancel,       WAIT_NEW,       LP_ESTATE)                                   \
    X(lp_wait_cancel,       WAIT_DONE,      LP_ESTATE)                                   \
    X(lp_wait_cancel,       WAIT_CANCELLED, LP_ESTATE)                                   \
    X(lp_debug_held,        BAD_POOL,       0)                                           \
    X(lp_debug_queued,      BAD_POOL,       0)                                           \
    X(lp_debug_woken,       BAD_POOL,       0)                                           \
    X(lp_status_str,        STATUS,         "LP_?")                                      \
    X(lp_get,               BAD_POOL,       LP_EINVAL)                                   \
    X(lp_get,               NULL_SLOT,      LP_EINVAL)                                   \
    X(lp_get_timeout,       BAD_POOL,       LP_EINVAL)                                   \
    X(lp_get_timeout,       NULL_SLOT,      LP_EINVAL)                                   \
    X(lp_get_begin,         BAD_POOL,       LP_EINVAL)                                   \
    X(lp_get_begin,         NULL_SLOT,      LP_EINVAL)                                   \
    X(lp_get_begin,         NULL_WAIT,      LP_EINVAL)                                   \
    X(lp_get_begin,         WAIT_PENDING,   LP_ESTATE)                                   \
    X(lp_get_finish,        BAD_POOL,       LP_EINVAL)                                   \
    X(lp_get_finish,        NULL_SLOT,      LP_EINVAL)                                   \
    X(lp_get_finish,        NULL_WAIT,      LP_EINVAL)                                   \
    X(lp_get_finish,        WAIT_OTHER,     LP_EINVAL)                                   \
    X(lp_get_finish,        WAIT_NEW,       LP_ESTATE)                                   \
    X(lp_get_finish,        WAIT_DONE,      LP_ESTATE)                                   \
    X(lp_get_finish,        WAIT_CANCELLED, LP_ESTATE)                                   \
    X(lp_get_finish,        WAIT_ASYNC,     LP_ESTATE)                                   \
    X(lp_get_or_create,     BAD_POOL,       LP_EINVAL)                                   \
    X(lp_get_or_create,     NULL_SLOT,      LP_EINVAL)                                   \
    X(lp_get_or_create,     NULL_FN,        LP_EINVAL)                                   \
    X(lp_clock_ns,          NO_INPUT,       monotonic_ns)

#ifdef __cplusplus
}
#endif
#endif /* LOCKPOOL_H */
