/*
 * spin-ticket — a FIFO ticket spinlock (Mellor-Crummey & Scott 1991, with proportional
 * backoff) guarding a free stack; waiters spin.
 *
 * Fairness: the *lock* is FIFO — callers enter the critical section in ticket order.
 * Slots are not: while the pool is empty, waiters poll, and a put's slot goes to the
 * first caller to take a ticket after it (a newcomer's try_get included). So LPD_FIFO
 * is not claimed.
 * Progress: blocking — a preempted holder, or a preempted thread whose ticket is next,
 * stalls every later ticket.
 * Oversubscribed: collapses. Every hand-over of the lock needs the thread holding the
 * next ticket to be running; with more threads than cores it often is not, so each
 * get/put can wait a scheduler quantum per preempted ticket ahead of it.
 * MAX_WAITERS: a counter; one more waiter gets LP_EFULL.
 *
 * Only the lock is here; the free stack, the spinning get and the entry are
 * src/lpd_locked_stack.h's.
 */
#include "lpd_internal.h"

/* Both counters on one line, as in the classic lock: a waiter reads now_serving and the
 * holder writes it; next_ticket is written once per acquisition. */
typedef struct ticket_lock {
    atomic_uint next_ticket;
    atomic_uint now_serving;
} ticket_lock;

#define TICKET_BACKOFF_PER_WAITER 32u /* pauses per ticket ahead of ours (~ one critical section) */

static inline void ticket_init(ticket_lock *l) {
    atomic_init(&l->next_ticket, 0);
    atomic_init(&l->now_serving, 0);
}

static inline void ticket_acquire(ticket_lock *l) {
    /* relaxed: taking a ticket orders nothing; the acquire load below does */
    unsigned ticket = atomic_fetch_add_explicit(&l->next_ticket, 1, memory_order_relaxed);
    for (;;) {
        /* acquire: once it is our turn, the previous holder's stack writes are visible */
        unsigned serving = atomic_load_explicit(&l->now_serving, memory_order_acquire);
        if (serving == ticket)
            return;
        /* Proportional backoff: wait about as long as the holders ahead of us need. */
        unsigned ahead = ticket - serving;
        for (unsigned i = 0; i < ahead * TICKET_BACKOFF_PER_WAITER; i++)
            lps_cpu_relax();
    }
}

static inline void ticket_release(ticket_lock *l) {
    /* relaxed: only the holder writes now_serving, so our own last value is current */
    unsigned serving = atomic_load_explicit(&l->now_serving, memory_order_relaxed);
    /* release: our stack writes happen before the next ticket holder's reads */
    atomic_store_explicit(&l->now_serving, serving + 1, memory_order_release);
}

#define LPD_LOCK_T ticket_lock
#define LPD_LOCK_NODE_T lpd_no_node
#define LPD_LOCK_INIT(lock) ticket_init(lock)
#define LPD_LOCK_ACQUIRE(lock, node) ((void)(node), ticket_acquire(lock))
#define LPD_LOCK_RELEASE(lock, node) ((void)(node), ticket_release(lock))
#include "lpd_locked_stack.h"

const lpd_design lpd_spin_ticket = LPD_LOCKED_STACK_DESIGN(
    "spin-ticket",
    "FIFO ticket spinlock around a free stack: lock FIFO (slots are not), blocking, collapses oversubscribed");
