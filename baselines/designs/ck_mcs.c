/*
 * ck-mcs — Concurrency Kit's MCS queue lock (ck_spinlock_mcs_*) guarding a free stack;
 * waiters spin.
 *
 * Fairness: the *lock* is FIFO — each acquirer appends its own queue node and spins on
 * it alone, so the lock is handed over in arrival order with no cache-line storm. Slots
 * are not FIFO: while the pool is empty, waiters poll, and a put's slot goes to whoever
 * takes the lock first after it. So LPD_FIFO is not claimed.
 * Progress: blocking — a preempted holder, or a preempted successor in the queue,
 * stalls everyone behind it.
 * Oversubscribed: like the ticket lock, hand-over needs the next queued thread to be
 * running, so it degrades sharply once threads exceed cores.
 * MAX_WAITERS: a counter; one more waiter gets LP_EFULL.
 *
 * ck synchronises with inline assembly that ThreadSanitizer cannot see; under TSan we
 * annotate the lock's acquire/release edge (lpd_tsan_*), nothing else changes.
 */
#include <ck_spinlock.h>

#include "lpd_internal.h"

typedef struct mcs_pool {
    _Alignas(LPD_LINE) ck_spinlock_mcs_t lock;  /* tail of the MCS queue, alone on its line */
    _Alignas(LPD_LINE) atomic_uint waiting;
    uint32_t max_waiters;
    _Alignas(LPD_LINE) lpd_free_stack stack;    /* under the lock; nfree polled by waiters */
} mcs_pool;

#define MCS_HEADER lpd_round_up(sizeof(mcs_pool), LPD_LINE)

static size_t mcs_size(uint32_t slots, uint32_t max_waiters) {
    if (!lpd_counts_ok(slots, max_waiters))
        return 0;
    return MCS_HEADER + lpd_free_stack_bytes(slots);
}

static int mcs_init(void *self, uint32_t slots, uint32_t max_waiters) {
    if (!lpd_storage_ok(self) || !lpd_counts_ok(slots, max_waiters))
        return LP_EINVAL;
    mcs_pool *p = self;
    ck_spinlock_mcs_init(&p->lock);
    atomic_init(&p->waiting, 0);
    p->max_waiters = max_waiters;
    lpd_free_stack_init(&p->stack, (char *)self + MCS_HEADER, slots);
    return LP_OK;
}

static void mcs_destroy(void *self) {
    (void)self;
}

/* The queue node lives on the caller's stack for the duration of the critical section. */
static int mcs_try_get(void *self, uintptr_t *handle) {
    mcs_pool *p = self;
    ck_spinlock_mcs_context_t node;
    ck_spinlock_mcs_lock(&p->lock, &node);
    lpd_tsan_acquire(&p->lock);
    int st = lpd_free_stack_pop(&p->stack, handle);
    lpd_tsan_release(&p->lock);
    ck_spinlock_mcs_unlock(&p->lock, &node);
    return st;
}

static int mcs_get_timeout(void *self, uintptr_t *handle, uint64_t timeout_ns) {
    mcs_pool *p = self;
    return lpd_spin_get(self, handle, timeout_ns, mcs_try_get, &p->stack.nfree,
                        &p->waiting, p->max_waiters);
}

static int mcs_get(void *self, uintptr_t *handle) {
    return mcs_get_timeout(self, handle, LP_FOREVER);
}

static int mcs_put(void *self, uintptr_t handle) {
    mcs_pool *p = self;
    if (!lpd_handle_in_range(&p->stack, handle))
        return LP_EINVAL;
    ck_spinlock_mcs_context_t node;
    ck_spinlock_mcs_lock(&p->lock, &node);
    lpd_tsan_acquire(&p->lock);
    int st = lpd_free_stack_push(&p->stack, handle);
    lpd_tsan_release(&p->lock);
    ck_spinlock_mcs_unlock(&p->lock, &node);
    return st;
}

static uint32_t mcs_waiting(const void *self) {
    /* relaxed: a diagnostic snapshot */
    return atomic_load_explicit(&((mcs_pool *)self)->waiting, memory_order_relaxed);
}

const lpd_design lpd_ck_mcs = {
    .name = "ck-mcs",
    .blocking = "spin",
    .summary = "ck MCS queue lock around a free stack: lock FIFO (slots are not), blocking, waiters spin",
    .flags = LPD_BOUNDED | LPD_BLOCKING | LPD_WAIT_QUEUE,
    .size = mcs_size,
    .init = mcs_init,
    .destroy = mcs_destroy,
    .try_get = mcs_try_get,
    .get = mcs_get,
    .get_timeout = mcs_get_timeout,
    .put = mcs_put,
    .waiting = mcs_waiting,
};
