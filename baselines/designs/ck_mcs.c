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
 *
 * Only the lock is here; the free stack, the spinning get and the entry are
 * src/lpd_locked_stack.h's.
 */
#include <ck_spinlock.h>

#include "lpd_internal.h"

/* The queue node lives on the caller's stack for the duration of the critical section. */
static inline void mcs_acquire(ck_spinlock_mcs_t *lock, ck_spinlock_mcs_context_t *node) {
    ck_spinlock_mcs_lock(lock, node);
    lpd_tsan_acquire(lock);
}

static inline void mcs_release(ck_spinlock_mcs_t *lock, ck_spinlock_mcs_context_t *node) {
    lpd_tsan_release(lock);
    ck_spinlock_mcs_unlock(lock, node);
}

#define LPD_LOCK_T ck_spinlock_mcs_t /* the tail of the MCS queue */
#define LPD_LOCK_NODE_T ck_spinlock_mcs_context_t
#define LPD_LOCK_INIT(lock) ck_spinlock_mcs_init(lock)
#define LPD_LOCK_ACQUIRE(lock, node) mcs_acquire(lock, node)
#define LPD_LOCK_RELEASE(lock, node) mcs_release(lock, node)
#include "lpd_locked_stack.h"

const lpd_design lpd_ck_mcs = LPD_LOCKED_STACK_DESIGN(
    "ck-mcs",
    "ck MCS queue lock around a free stack: lock FIFO (slots are not), blocking, waiters spin");
