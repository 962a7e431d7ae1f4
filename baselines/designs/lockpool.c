/*
 * lockpool — LockPool itself, one entry per mode, behind the design contract.
 *
 *   lockpool             the default mode (LP_MODE_DEFAULT, LP_RESTRICTED): running threads
 *                        take free slots, a few queued waiters are woken to compete, the
 *                        rest stay parked; every bypass_bound-th release that finds
 *                        waiters is handed to the oldest. Not FIFO; bounded bypass.
 *   lockpool-fair        strict FIFO: a release with waiters hands the slot straight to the
 *                        oldest waiter; try_get fails while anyone waits.
 *   lockpool-barging     a release unlocks then wakes the oldest waiter, who may lose
 *                        to a newcomer and re-queue. Not FIFO.
 *   lockpool-bounded     barging, but a waiter older than fairness_bound_ns is handed the slot.
 *   lockpool-fair-scan0  lockpool-fair with try_get scanning from slot 0
 *                        (lp_try_get_from(pool, 0, ..)): the original crate's hot slot 0.
 *   lockpool-barging-wakeall  lockpool-barging with retry_wakes 0 (lp_set_retry_wakes): every
 *                        release with waiters wakes one (no limit on retries in flight),
 *                        so one run shows what the default limit does.
 * Each entry's settings (mode, bypass_bound, retry_wakes, fairness_bound_ns) are its
 * lockpool_settings below and nowhere else: init applies them, params reports them (the
 * benchmark writes them into its JSON context), set_param lets a tuning sweep change one.
 *
 * Progress: try_get and put are lock-free (per-slot CAS, no lock anywhere); waiters
 * queue in a bounded ring of MAX_WAITERS cells and sleep on a futex after a short spin.
 * Oversubscribed: waiters sleep, so a preempted thread costs nobody else CPU time; in
 * FAIR mode a preempted waiter at the queue head delays the slot it was handed.
 * The async path (lpd_async) is lp_get_async / lp_wait_poll / lp_wait_cancel.
 *
 * Storage: lp_storage_size(slots, waiters) bytes, set up by lp_init_in.
 */
#include <string.h>

#include "lpd_internal.h"

typedef struct lockpool_settings {
    lp_mode mode;
    const char *mode_name;
    uint32_t bypass_bound;      /* RESTRICTED: lp_set_bypass_bound */
    uint32_t retry_wakes;       /* all but FAIR: lp_set_retry_wakes (0: no limit) */
    uint64_t fairness_bound_ns; /* BOUNDED: lp_set_fairness_bound */
} lockpool_settings;

/* The library's defaults, named here so that each entry states every setting it runs with. */
#define LOCKPOOL_SETTINGS(MODE, wakes)                                                     \
    {                                                                                    \
        .mode = LP_##MODE, .mode_name = #MODE, .bypass_bound = LP_BYPASS_BOUND_DEFAULT,  \
        .retry_wakes = (wakes), .fairness_bound_ns = LP_FAIRNESS_BOUND_DEFAULT_NS,       \
    }

static size_t lockpool_size(uint32_t slots, uint32_t max_waiters) {
    return lp_storage_size(slots, max_waiters);
}

static int apply_settings(const lockpool_settings *cfg, void *self, uint32_t slots, uint32_t max_waiters) {
    if (!lpd_init_args_ok(self, slots, max_waiters))
        return LP_EINVAL;
    lp_pool *pool = (lp_pool *)self; /* lp_init_in: the storage is the pool */
    lp_status st = lp_init_in(self, lp_storage_size(slots, max_waiters), slots, max_waiters, cfg->mode);
    if (st == LP_OK && cfg->mode == LP_RESTRICTED)
        st = lp_set_bypass_bound(pool, cfg->bypass_bound);
    if (st == LP_OK && cfg->mode != LP_FAIR)
        st = lp_set_retry_wakes(pool, cfg->retry_wakes);
    if (st == LP_OK && cfg->mode == LP_BOUNDED)
        st = lp_set_fairness_bound(pool, cfg->fairness_bound_ns, lp_clock_ns);
    return st;
}

/* The settings init applied, in the same order: each only in the modes that use it. */
static unsigned settings_params(const lockpool_settings *cfg, lpd_param out[LPD_MAX_PARAMS]) {
    unsigned n = 0;
    out[n++] = (lpd_param){"mode", cfg->mode_name, (uint64_t)cfg->mode};
    if (cfg->mode == LP_RESTRICTED)
        out[n++] = (lpd_param){"bypass_bound", NULL, cfg->bypass_bound};
    if (cfg->mode != LP_FAIR)
        out[n++] = (lpd_param){"retry_wakes", NULL, cfg->retry_wakes};
    if (cfg->mode == LP_BOUNDED)
        out[n++] = (lpd_param){"fairness_bound_ns", NULL, cfg->fairness_bound_ns};
    return n;
}

/* A sweep's override of one setting; the pool's own setter judges the value. */
static int lockpool_set_param(void *self, const char *name, uint64_t value) {
    lp_pool *pool = (lp_pool *)self;
    const lp_mode mode = lp_pool_mode(pool);
    if (strcmp(name, "bypass_bound") == 0 && mode == LP_RESTRICTED)
        return value > UINT32_MAX ? LP_EINVAL : lp_set_bypass_bound(pool, (uint32_t)value);
    if (strcmp(name, "retry_wakes") == 0 && mode != LP_FAIR)
        return value > UINT32_MAX ? LP_EINVAL : lp_set_retry_wakes(pool, (uint32_t)value);
    if (strcmp(name, "fairness_bound_ns") == 0 && mode == LP_BOUNDED)
        return lp_set_fairness_bound(pool, value, lp_clock_ns);
    return LP_ENOSYS;
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

static int lockpool_get_async(void *self, void *wait, lp_waker waker, uintptr_t *handle) {
    uint32_t slot;
    lp_wait *w = (lp_wait *)wait;
    lp_wait_init(w);
    lp_status st = lp_get_async((lp_pool *)self, w, waker, &slot);
    if (st == LP_OK)
        *handle = slot;
    return st;
}

static int lockpool_wait_poll(void *self, void *wait, uintptr_t *handle) {
    uint32_t slot;
    lp_status st = lp_wait_poll((lp_pool *)self, (lp_wait *)wait, NULL, &slot);
    if (st == LP_OK)
        *handle = slot;
    return st;
}

static int lockpool_wait_cancel(void *self, void *wait, uintptr_t *handle) {
    uint32_t slot;
    lp_status st = lp_wait_cancel((lp_pool *)self, (lp_wait *)wait, &slot);
    if (st == LP_OK)
        *handle = slot;
    return st;
}

static const lpd_async lockpool_async = {lockpool_get_async, lockpool_wait_poll, lockpool_wait_cancel};

/* The entries differ only in name, settings (lockpool_settings), try_get (scan start), FIFO flag
 * and summary; every other field is the same LockPool call. */
#define LOCKPOOL_FLAGS (LPD_LOCK_FREE | LPD_BOUNDED | LPD_BLOCKING | LPD_WAIT_QUEUE)
#define LOCKPOOL_DESIGN(id, name_, config_, try_get_, extra_flags_, summary_)                \
    static const lockpool_settings settings_##id = config_;                                  \
    static int init_##id(void *self, uint32_t slots, uint32_t max_waiters) {                 \
        return apply_settings(&settings_##id, self, slots, max_waiters);                     \
    }                                                                                        \
    static unsigned params_##id(lpd_param out[LPD_MAX_PARAMS]) {                             \
        return settings_params(&settings_##id, out);                                         \
    }                                                                                        \
    const lpd_design lpd_##id = {                                                            \
        .name = (name_), .blocking = "futex", .summary = (summary_),                         \
        .flags = LOCKPOOL_FLAGS | (extra_flags_),                                            \
        .size = lockpool_size, .init = init_##id, .destroy = lockpool_destroy,               \
        .try_get = (try_get_), .get = lockpool_get, .get_timeout = lockpool_get_timeout,     \
        .put = lockpool_put, .waiting = lockpool_waiting, .wait_size = sizeof(lp_wait),      \
        .get_begin = lockpool_get_begin, .get_finish = lockpool_get_finish,                  \
        .slot_ensure = lockpool_slot_ensure, .async = &lockpool_async,                       \
        .params = params_##id, .set_param = lockpool_set_param,                              \
    }

LOCKPOOL_DESIGN(lockpool, "lockpool", LOCKPOOL_SETTINGS(RESTRICTED, LP_RETRY_WAKES_DEFAULT), lockpool_try_get,
                LPD_BYPASS_BOUNDED,
                "LockPool default (RESTRICTED): running threads take free slots, few waiters woken, the rest "
                "parked; every bypass_bound-th release with waiters is handed to the oldest; lock-free try_get/put");

LOCKPOOL_DESIGN(lockpool_fair, "lockpool-fair", LOCKPOOL_SETTINGS(FAIR, LP_RETRY_WAKES_DEFAULT), lockpool_try_get,
                LPD_FIFO, "LockPool FAIR: FIFO direct hand-off; lock-free try_get/put; waiters queue, spin then futex");

LOCKPOOL_DESIGN(lockpool_barging, "lockpool-barging", LOCKPOOL_SETTINGS(BARGING, LP_RETRY_WAKES_DEFAULT),
                lockpool_try_get, 0,
                "LockPool BARGING: release unlocks then wakes the oldest waiter, newcomers may win; lock-free "
                "try_get/put");

LOCKPOOL_DESIGN(lockpool_bounded, "lockpool-bounded", LOCKPOOL_SETTINGS(BOUNDED, LP_RETRY_WAKES_DEFAULT),
                lockpool_try_get, 0,
                "LockPool BOUNDED: barging, but a waiter older than fairness_bound_ns gets a direct hand-off; "
                "lock-free try_get/put");

LOCKPOOL_DESIGN(lockpool_fair_scan0, "lockpool-fair-scan0", LOCKPOOL_SETTINGS(FAIR, LP_RETRY_WAKES_DEFAULT),
                lockpool_try_get_scan0, LPD_FIFO,
                "LockPool FAIR with try_get scanning from slot 0 (the original crate's hot first slot)");

LOCKPOOL_DESIGN(lockpool_barging_wakeall, "lockpool-barging-wakeall", LOCKPOOL_SETTINGS(BARGING, 0u),
                lockpool_try_get, 0,
                "LockPool BARGING without the retry-wake limit: every release with waiters wakes one (retry_wakes 0)");
