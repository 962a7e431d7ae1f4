/*
 * lockpool — LockPool itself, one entry per mode, behind the design contract.
 *
 *   lockpool             the default mode (LP_MODE_DEFAULT, LP_RESTRICTED): running threads
 *                        take free slots, a few queued waiters are woken to compete, the
 *                        rest stay parked; every LP_BYPASS_BOUND_DEFAULT-th release that
 *                        finds waiters is handed to the oldest.
 *                        Not FIFO; bounded bypass.
 *   lockpool-fair        strict FIFO: a release with waiters hands the slot straight to the
 *                        oldest waiter; try_get fails while anyone waits.
 *   lockpool-barging     a release unlocks then wakes the oldest waiter, who may lose
 *                        to a newcomer and re-queue. Not FIFO.
 *   lockpool-bounded     barging, but a waiter older than 1 ms is handed the slot.
 *   lockpool-fair-scan0  lockpool-fair with try_get scanning from slot 0
 *                        (lp_try_get_from(pool, 0, ..)): the original crate's hot slot 0.
 *   lockpool-barging-wakeall  lockpool-barging with lp_set_retry_wakes(pool, 0): every
 *                        release with waiters wakes one (no limit on retries in flight),
 *                        so one run shows what the default limit does.
 *
 * Progress: try_get and put are lock-free (per-slot CAS, no lock anywhere); waiters
 * queue in a bounded ring of MAX_WAITERS cells and sleep on a futex after a short spin.
 * Oversubscribed: waiters sleep, so a preempted thread costs nobody else CPU time; in
 * FAIR mode a preempted waiter at the queue head delays the slot it was handed.
 *
 * Storage: lp_storage_size(slots, waiters) bytes, laid out as the lp_pool header, then
 * lp_slot[slots], then lp_cell[waiters] (all 64-byte aligned types).
 */
#include "lpd_internal.h"

static size_t lockpool_size(uint32_t slots, uint32_t max_waiters) {
    return lp_storage_size(slots, max_waiters);
}

static int lockpool_init_mode(void *self, uint32_t slots, uint32_t max_waiters, lp_mode mode) {
    if (!lpd_storage_ok(self) || !lpd_counts_ok(slots, max_waiters))
        return LP_EINVAL;
    lp_pool *pool = (lp_pool *)self;
    lp_slot *slot_array = (lp_slot *)(pool + 1);
    lp_cell *cells = max_waiters ? (lp_cell *)(slot_array + slots) : NULL;
    return lp_init(pool, slot_array, slots, cells, max_waiters, mode);
}

static int lockpool_init_default(void *self, uint32_t slots, uint32_t max_waiters) {
    return lockpool_init_mode(self, slots, max_waiters, LP_MODE_DEFAULT);
}

static int lockpool_init_fair(void *self, uint32_t slots, uint32_t max_waiters) {
    return lockpool_init_mode(self, slots, max_waiters, LP_FAIR);
}

static int lockpool_init_barging(void *self, uint32_t slots, uint32_t max_waiters) {
    return lockpool_init_mode(self, slots, max_waiters, LP_BARGING);
}

static int lockpool_init_barging_wakeall(void *self, uint32_t slots, uint32_t max_waiters) {
    int st = lockpool_init_mode(self, slots, max_waiters, LP_BARGING);
    if (st != LP_OK)
        return st;
    return lp_set_retry_wakes((lp_pool *)self, 0u);
}

static int lockpool_init_bounded(void *self, uint32_t slots, uint32_t max_waiters) {
    int st = lockpool_init_mode(self, slots, max_waiters, LP_BOUNDED);
    if (st != LP_OK)
        return st;
    return lp_set_fairness_bound((lp_pool *)self, 1000000u /* 1 ms */, lp_clock_ns);
}

static void lockpool_destroy(void *self) {
    (void)self; /* the pool owns nothing beyond the caller's storage */
}

static int lockpool_try_get(void *self, uintptr_t *handle) {
    uint32_t slot;
    lp_status st = lp_try_get((lp_pool *)self, &slot);
    if (st == LP_OK)
        *handle = slot;
    return st;
}

static int lockpool_try_get_scan0(void *self, uintptr_t *handle) {
    uint32_t slot;
    lp_status st = lp_try_get_from((lp_pool *)self, 0, &slot);
    if (st == LP_OK)
        *handle = slot;
    return st;
}

static int lockpool_get(void *self, uintptr_t *handle) {
    uint32_t slot;
    lp_status st = lp_get((lp_pool *)self, &slot);
    if (st == LP_OK)
        *handle = slot;
    return st;
}

static int lockpool_get_timeout(void *self, uintptr_t *handle, uint64_t timeout_ns) {
    uint32_t slot;
    lp_status st = lp_get_timeout((lp_pool *)self, &slot, timeout_ns);
    if (st == LP_OK)
        *handle = slot;
    return st;
}

static int lockpool_put(void *self, uintptr_t handle) {
    if (handle > UINT32_MAX)
        return LP_EINVAL;
    return lp_put((lp_pool *)self, (uint32_t)handle);
}

static int lockpool_get_begin(void *self, void *wait, uintptr_t *handle) {
    uint32_t slot;
    lp_wait *w = (lp_wait *)wait;
    lp_wait_init(w);
    lp_status st = lp_get_begin((lp_pool *)self, w, &slot);
    if (st == LP_OK)
        *handle = slot;
    return st;
}

static int lockpool_get_finish(void *self, void *wait, uintptr_t *handle, uint64_t timeout_ns) {
    uint32_t slot;
    lp_status st = lp_get_finish((lp_pool *)self, (lp_wait *)wait, &slot, timeout_ns);
    if (st == LP_OK)
        *handle = slot;
    return st;
}

static int lockpool_slot_ensure(void *self, uintptr_t handle, lp_create_fn create, void *ctx) {
    if (handle > UINT32_MAX)
        return LP_EINVAL;
    return lp_slot_ensure((lp_pool *)self, (uint32_t)handle, create, ctx);
}

static uint32_t lockpool_waiting(const void *self) {
    return lp_debug_queued((const lp_pool *)self);
}

/* The entries differ only in name, init (the mode), try_get (scan start), FIFO flag and
 * summary; every other field is the same LockPool call. */
#define LOCKPOOL_FLAGS (LPD_LOCK_FREE | LPD_BOUNDED | LPD_BLOCKING | LPD_WAIT_QUEUE)
#define LOCKPOOL_DESIGN(name_, init_, try_get_, extra_flags_, summary_)                  \
    {                                                                                    \
        .name = (name_), .blocking = "futex", .summary = (summary_),                     \
        .flags = LOCKPOOL_FLAGS | (extra_flags_),                                        \
        .size = lockpool_size, .init = (init_), .destroy = lockpool_destroy,             \
        .try_get = (try_get_), .get = lockpool_get, .get_timeout = lockpool_get_timeout, \
        .put = lockpool_put, .waiting = lockpool_waiting, .wait_size = sizeof(lp_wait),  \
        .get_begin = lockpool_get_begin, .get_finish = lockpool_get_finish,              \
        .slot_ensure = lockpool_slot_ensure,                                             \
    }

const lpd_design lpd_lockpool = LOCKPOOL_DESIGN(
    "lockpool", lockpool_init_default, lockpool_try_get, LPD_BYPASS_BOUNDED,
    "LockPool default (RESTRICTED): running threads take free slots, few waiters woken, the rest parked; "
    "every 2048th release with waiters is handed to the oldest; lock-free try_get/put");

const lpd_design lpd_lockpool_fair = LOCKPOOL_DESIGN(
    "lockpool-fair", lockpool_init_fair, lockpool_try_get, LPD_FIFO,
    "LockPool FAIR: FIFO direct hand-off; lock-free try_get/put; waiters queue, spin then futex");

const lpd_design lpd_lockpool_barging = LOCKPOOL_DESIGN(
    "lockpool-barging", lockpool_init_barging, lockpool_try_get, 0,
    "LockPool BARGING: release unlocks then wakes the oldest waiter, newcomers may win; lock-free try_get/put");

const lpd_design lpd_lockpool_bounded = LOCKPOOL_DESIGN(
    "lockpool-bounded", lockpool_init_bounded, lockpool_try_get, 0,
    "LockPool BOUNDED: barging, but a waiter older than 1 ms gets a direct hand-off; lock-free try_get/put");

const lpd_design lpd_lockpool_fair_scan0 = LOCKPOOL_DESIGN(
    "lockpool-fair-scan0", lockpool_init_fair, lockpool_try_get_scan0, LPD_FIFO,
    "LockPool FAIR with try_get scanning from slot 0 (the original crate's hot first slot)");

const lpd_design lpd_lockpool_barging_wakeall = LOCKPOOL_DESIGN(
    "lockpool-barging-wakeall", lockpool_init_barging_wakeall, lockpool_try_get, 0,
    "LockPool BARGING without the retry-wake limit: every release with waiters wakes one (lp_set_retry_wakes 0)");
