/*
 * lpd_locked_stack.h — the whole design "a free stack guarded by one spinlock, waiters
 * spin", written once. A lock design file supplies only its lock, through one adapter
 * shape (as Concurrency Kit's regressions/ck_spinlock/<lock>.h do for LOCK/UNLOCK), then
 * includes this file and names its entry:
 *
 *   #define LPD_LOCK_T                 the lock's type (gets its own cache line(s))
 *   #define LPD_LOCK_NODE_T            per-acquisition state on the caller's stack (the MCS
 *                                      queue node), or lpd_no_node for a lock without one
 *   #define LPD_LOCK_INIT(lock)        make *lock unlocked (before the pool is shared)
 *   #define LPD_LOCK_ACQUIRE(lock, node)   with acquire ordering for the stack's data
 *   #define LPD_LOCK_RELEASE(lock, node)   with release ordering for the stack's data
 *   #include "lpd_locked_stack.h"
 *   const lpd_design lpd_<name> = LPD_LOCKED_STACK_DESIGN("<name>", "<summary>");
 *
 * Each includer is its own translation unit, so the functions below are static with
 * fixed names; the adapter is inlined into try_get/put, so a design's fast path costs
 * what its hand-written version did (callgrind_fastpath.sh checks that).
 *
 * What every such design shares, and so what its header comment may rely on:
 *   - slots are not FIFO: waiters poll the free count without the lock and whoever takes
 *     the lock first after a put wins the slot, a newcomer's try_get included (so
 *     LPD_FIFO is never claimed, whatever the lock's own order);
 *   - blocking progress: a preempted holder stalls every get and put;
 *   - MAX_WAITERS is a counter; one more waiter gets LP_EFULL.
 */
#ifndef LPD_LOCKED_STACK_H
#define LPD_LOCKED_STACK_H

#include "lpd_internal.h"

#if !defined(LPD_LOCK_T) || !defined(LPD_LOCK_NODE_T) || !defined(LPD_LOCK_INIT) || \
    !defined(LPD_LOCK_ACQUIRE) || !defined(LPD_LOCK_RELEASE)
#error "define LPD_LOCK_T, LPD_LOCK_NODE_T, LPD_LOCK_INIT, LPD_LOCK_ACQUIRE, LPD_LOCK_RELEASE first"
#endif

/* ---- the pool ------------------------------------------------------------------------ */
typedef struct locked_stack_pool {
    _Alignas(LPD_LINE) LPD_LOCK_T lock;        /* written by every get/put, alone on its line(s) */
    _Alignas(LPD_LINE) atomic_uint waiting;   /* callers spinning in get */
    uint32_t max_waiters;
    _Alignas(LPD_LINE) lpd_free_stack stack;  /* under the lock; nfree polled by waiters */
} locked_stack_pool;

/** For a lock that needs no per-acquisition state (LPD_LOCK_NODE_T); compiled away. */
typedef struct lpd_no_node {
    char unused;
} lpd_no_node;

static size_t locked_stack_size(uint32_t slots, uint32_t max_waiters) {
    return lpd_stack_design_size(sizeof(locked_stack_pool), slots, max_waiters);
}

static int locked_stack_init(void *self, uint32_t slots, uint32_t max_waiters) {
    if (!lpd_init_args_ok(self, slots, max_waiters))
        return LP_EINVAL;
    locked_stack_pool *p = self;
    LPD_LOCK_INIT(&p->lock);
    atomic_init(&p->waiting, 0);
    p->max_waiters = max_waiters;
    lpd_free_stack_init(&p->stack, lpd_stack_design_arrays(self, sizeof(locked_stack_pool)), slots);
    return LP_OK;
}

static void locked_stack_destroy(void *self) {
    (void)self; /* nothing beyond the caller's storage */
}

static int locked_stack_try_get(void *self, uintptr_t *handle) {
    locked_stack_pool *p = self;
    LPD_LOCK_NODE_T node;
    LPD_LOCK_ACQUIRE(&p->lock, &node);
    int st = lpd_free_stack_pop(&p->stack, handle);
    LPD_LOCK_RELEASE(&p->lock, &node);
    return st;
}

static int locked_stack_put(void *self, uintptr_t handle) {
    locked_stack_pool *p = self;
    if (!lpd_handle_in_range(&p->stack, handle))
        return LP_EINVAL;
    LPD_LOCK_NODE_T node;
    LPD_LOCK_ACQUIRE(&p->lock, &node);
    int st = lpd_free_stack_push(&p->stack, handle);
    LPD_LOCK_RELEASE(&p->lock, &node);
    return st;
}

/* Waiters spin, polling the free count without the lock (lpd_internal.h: lpd_spin_get). */
static int locked_stack_get_timeout(void *self, uintptr_t *handle, uint64_t timeout_ns) {
    locked_stack_pool *p = self;
    return lpd_spin_get(self, handle, timeout_ns, locked_stack_try_get, &p->stack.nfree,
                        &p->waiting, p->max_waiters);
}

static int locked_stack_get(void *self, uintptr_t *handle) {
    return locked_stack_get_timeout(self, handle, LP_FOREVER);
}

static uint32_t locked_stack_waiting(const void *self) {
    /* relaxed: a diagnostic snapshot */
    return atomic_load_explicit(&((const locked_stack_pool *)self)->waiting, memory_order_relaxed);
}

/** The design entry: name and one-line summary are the lock's; the rest is shared. */
#define LPD_LOCKED_STACK_DESIGN(name_, summary_)                                          \
    {                                                                                     \
        .name = (name_), .blocking = "spin", .summary = (summary_),                       \
        .flags = LPD_BOUNDED | LPD_BLOCKING | LPD_WAIT_QUEUE, .size = locked_stack_size,  \
        .init = locked_stack_init, .destroy = locked_stack_destroy,                       \
        .try_get = locked_stack_try_get, .get = locked_stack_get,                         \
        .get_timeout = locked_stack_get_timeout, .put = locked_stack_put,                 \
        .waiting = locked_stack_waiting,                                                  \
    }

#endif /* LPD_LOCKED_STACK_H */
