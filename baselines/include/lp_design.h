/*
 * lp_design.h — one design-neutral pool contract, so the same conformance tests and
 * the same benchmarks drive LockPool and every baseline design.
 *
 * A design manages SLOTS slots (or, for "malloc", no bound at all) and hands out
 * handles: a slot index for pools, the object's address for malloc. Status codes are
 * LockPool's lp_status values (LP_OK, LP_EMPTY, LP_ETIMEDOUT, LP_EFULL, LP_EINVAL,
 * LP_ENOTHELD, LP_ENOSYS for "not applicable to this design").
 *
 * Storage is the caller's: size() bytes, aligned to LPD_ALIGN, passed to init(), so a
 * harness can place it (e.g. on a chosen NUMA node). A design may keep extra resources
 * (mutexes, urcu registrations) that destroy() releases.
 */
#ifndef LP_DESIGN_H
#define LP_DESIGN_H

#include <stddef.h>
#include <stdint.h>

#include "lockpool.h"

#ifdef __cplusplus
extern "C" {
#endif

#define LPD_ALIGN 128

/** Property flags: what the design promises (tests check only what is promised). */
enum {
    LPD_FIFO = 1u << 0,        /**< waiters are served in arrival order */
    LPD_LOCK_FREE = 1u << 1,   /**< try_get/put are lock-free (no thread can block others) */
    LPD_BOUNDED = 1u << 2,     /**< at most SLOTS handles out at once (try_get can be EMPTY) */
    LPD_BLOCKING = 1u << 3,    /**< get/get_timeout exist (else they return LP_ENOSYS) */
    LPD_WAIT_QUEUE = 1u << 4,  /**< waiters queue; MAX_WAITERS is enforced (LP_EFULL) */
    LPD_PER_THREAD = 1u << 5,  /**< needs thread_enter/thread_exit on every thread using it */
    LPD_BYPASS_BOUNDED = 1u << 6 /**< not FIFO, but a queued waiter is overtaken by a bounded
                                      number of grants (LockPool RESTRICTED: pool/DESIGN.md) */
};

/** One setting of a design (LockPool: its mode, bypass bound, retry-wake limit, fairness
 *  bound), as its init applies it: the benchmark writes them into its JSON context. */
typedef struct lpd_param {
    const char *name; /**< "mode", "bypass_bound", "retry_wakes", "fairness_bound_ns", ... */
    const char *text; /**< a named value ("RESTRICTED"), or NULL: the value is `num` */
    uint64_t num;
} lpd_param;

/** The most settings a design reports (lpd_design.params). */
#define LPD_MAX_PARAMS 8

/** The async path of a design whose waiters need no thread of their own (LockPool's
 *  lp_get_async): a wait is caller storage of lpd_design.wait_size bytes, LPD_ALIGN-aligned,
 *  alive from get until poll returns LP_OK or LP_EFULL, or cancel returns. */
typedef struct lpd_async {
    /** LP_OK (*handle: taken now, the waker is never called), LP_PENDING (queued: the waker
     *  will be called, from a releasing thread, when the wait should poll), LP_EFULL. */
    int (*get)(void *self, void *wait, lp_waker waker, uintptr_t *handle);
    /** After a wake: LP_OK (*handle), LP_PENDING (queued again; another wake follows), LP_EFULL
     *  (a re-queue found the queue full: the wait has ended). */
    int (*poll)(void *self, void *wait, uintptr_t *handle);
    /** Withdraw a pending wait: LP_CANCELLED, or LP_OK if a slot had reached it (*handle: the
     *  caller now holds it). After it returns the waker is never called for this wait. */
    int (*cancel)(void *self, void *wait, uintptr_t *handle);
} lpd_async;

typedef struct lpd_design {
    const char *name;        /**< short, stable: "lockpool-fair", "pthread", "spin-ttas", ... */
    const char *blocking;    /**< how a blocked get waits: "futex", "condvar", "spin", ... */
    const char *summary;     /**< one line: fairness and progress properties */
    unsigned flags;          /**< LPD_* */

    size_t (*size)(uint32_t slots, uint32_t max_waiters);
    /** @return LP_OK or LP_EINVAL (zero/too many slots, NULL storage, ...) */
    int (*init)(void *self, uint32_t slots, uint32_t max_waiters);
    void (*destroy)(void *self);

    /** Optional (NULL if unused): per-thread registration (urcu). */
    void (*thread_enter)(void *self);
    void (*thread_exit)(void *self);

    int (*try_get)(void *self, uintptr_t *handle);              /**< LP_OK / LP_EMPTY */
    int (*get)(void *self, uintptr_t *handle);                  /**< LP_OK / LP_EFULL / LP_ENOSYS */
    int (*get_timeout)(void *self, uintptr_t *handle, uint64_t timeout_ns); /**< + LP_ETIMEDOUT */
    int (*put)(void *self, uintptr_t handle);                   /**< LP_OK / LP_ENOTHELD / LP_EINVAL */

    /** Optional (NULL if the design cannot tell): a racy count of callers currently
     *  waiting in get/get_timeout (LockPool: lp_debug_queued). For tests and tools only,
     *  e.g. to start FIFO waiters one at a time, each observably queued. */
    uint32_t (*waiting)(const void *self);
    /** Optional (all three 0/NULL if the design has no observable queue position): get in two
     *  halves, as lp_get_begin/lp_get_finish. get_begin never blocks: LP_OK (a slot, *handle),
     *  LP_PENDING (queued: from now on its place in line is fixed) or an error (LP_EFULL);
     *  get_finish blocks until a PENDING wait is served: LP_OK, LP_ETIMEDOUT (withdrawn).
     *  `wait` is caller storage of wait_size bytes, LPD_ALIGN-aligned, alive from begin until
     *  finish returns. The benchmark's FIFO metric takes a waiter's arrival ticket between
     *  the halves, so it measures the design's own queue order (bench/harness.h). */
    size_t wait_size;
    int (*get_begin)(void *self, void *wait, uintptr_t *handle);
    int (*get_finish)(void *self, void *wait, uintptr_t *handle, uint64_t timeout_ns);
    /** Optional (NULL if the design keeps no per-slot "created" state): lazy creation of the
     *  object of a held slot, as lp_slot_ensure. Calls create(ctx, handle) if the slot's object
     *  was not created yet (or was discarded); LP_OK, or LP_ECREATE when create failed, and then
     *  the slot has been released (discarded): the caller no longer holds it. A caller of a
     *  design without it keeps its own per-slot state (the usual pool does exactly that). */
    int (*slot_ensure)(void *self, uintptr_t handle, lp_create_fn create, void *ctx);
    /** Optional (NULL if the design has none): the async path, see lpd_async. */
    const lpd_async *async;
    /** Optional (NULL if the design has no settings): fills out[] with the settings init
     *  applies (at most LPD_MAX_PARAMS) and returns how many. */
    unsigned (*params)(lpd_param out[LPD_MAX_PARAMS]);
    /** Optional (NULL if nothing can be tuned): change setting `name` of an initialised,
     *  not yet shared instance (a tuning sweep's override). LP_OK; LP_ENOSYS if the design has
     *  no such setting (params does not list it); LP_EINVAL for a value it cannot take. */
    int (*set_param)(void *self, const char *name, uint64_t value);
} lpd_design;

/** Every design compiled into this build, LockPool's modes first. */
const lpd_design *const *lpd_designs(size_t *count);

/** The design of that name, or NULL. */
const lpd_design *lpd_find(const char *name);

/** The name tools use for one LPD_* flag: "fifo", "lock_free", "bounded", "blocking",
 *  "wait_queue", "per_thread" (the benchmark writes each design's promises into its JSON
 *  context with these names); NULL for anything but a single known flag. */
const char *lpd_flag_name(unsigned flag);

/** Designs left out of this build, with the reason, as "name: reason" lines (or ""). */
const char *lpd_skipped(void);

#ifdef __cplusplus
}
#endif
#endif /* LP_DESIGN_H */
