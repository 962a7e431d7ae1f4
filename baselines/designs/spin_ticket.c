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
 */
#include "lpd_internal.h"

typedef struct ticket_pool {
    /* Both counters on one line, as in the classic lock: a waiter reads now_serving
     * and the holder writes it; next_ticket is written once per acquisition. */
    _Alignas(LPD_LINE) atomic_uint next_ticket;
    atomic_uint now_serving;
    _Alignas(LPD_LINE) atomic_uint waiting;
    uint32_t max_waiters;
    _Alignas(LPD_LINE) lpd_free_stack stack;  /* under the lock; nfree polled by waiters */
} ticket_pool;

#define TICKET_HEADER lpd_round_up(sizeof(ticket_pool), LPD_LINE)
#define TICKET_BACKOFF_PER_WAITER 32u /* pauses per ticket ahead of ours (~ one critical section) */

static void ticket_lock(ticket_pool *p) {
    /* relaxed: taking a ticket orders nothing; the acquire load below does */
    unsigned ticket = atomic_fetch_add_explicit(&p->next_ticket, 1, memory_order_relaxed);
    for (;;) {
        /* acquire: once it is our turn, the previous holder's stack writes are visible */
        unsigned serving = atomic_load_explicit(&p->now_serving, memory_order_acquire);
        if (serving == ticket)
            return;
        /* Proportional backoff: wait about as long as the holders ahead of us need. */
        unsigned ahead = ticket - serving;
        for (unsigned i = 0; i < ahead * TICKET_BACKOFF_PER_WAITER; i++)
            lpd_cpu_relax();
    }
}

static void ticket_unlock(ticket_pool *p) {
    /* relaxed: only the holder writes now_serving, so our own last value is current */
    unsigned serving = atomic_load_explicit(&p->now_serving, memory_order_relaxed);
    /* release: our stack writes happen before the next ticket holder's reads */
    atomic_store_explicit(&p->now_serving, serving + 1, memory_order_release);
}

static size_t ticket_size(uint32_t slots, uint32_t max_waiters) {
    if (!lpd_counts_ok(slots, max_waiters))
        return 0;
    return TICKET_HEADER + lpd_free_stack_bytes(slots);
}

static int ticket_init(void *self, uint32_t slots, uint32_t max_waiters) {
    if (!lpd_storage_ok(self) || !lpd_counts_ok(slots, max_waiters))
        return LP_EINVAL;
    ticket_pool *p = self;
    atomic_init(&p->next_ticket, 0);
    atomic_init(&p->now_serving, 0);
    atomic_init(&p->waiting, 0);
    p->max_waiters = max_waiters;
    lpd_free_stack_init(&p->stack, (char *)self + TICKET_HEADER, slots);
    return LP_OK;
}

static void ticket_destroy(void *self) {
    (void)self;
}

static int ticket_try_get(void *self, uintptr_t *handle) {
    ticket_pool *p = self;
    ticket_lock(p);
    int st = lpd_free_stack_pop(&p->stack, handle);
    ticket_unlock(p);
    return st;
}

static int ticket_get_timeout(void *self, uintptr_t *handle, uint64_t timeout_ns) {
    ticket_pool *p = self;
    return lpd_spin_get(self, handle, timeout_ns, ticket_try_get, &p->stack.nfree,
                        &p->waiting, p->max_waiters);
}

static int ticket_get(void *self, uintptr_t *handle) {
    return ticket_get_timeout(self, handle, LP_FOREVER);
}

static int ticket_put(void *self, uintptr_t handle) {
    ticket_pool *p = self;
    if (!lpd_handle_in_range(&p->stack, handle))
        return LP_EINVAL;
    ticket_lock(p);
    int st = lpd_free_stack_push(&p->stack, handle);
    ticket_unlock(p);
    return st;
}

static uint32_t ticket_waiting(const void *self) {
    /* relaxed: a diagnostic snapshot */
    return atomic_load_explicit(&((ticket_pool *)self)->waiting, memory_order_relaxed);
}

const lpd_design lpd_spin_ticket = {
    .name = "spin-ticket",
    .blocking = "spin",
    .summary = "FIFO ticket spinlock around a free stack: lock FIFO (slots are not), blocking, collapses oversubscribed",
    .flags = LPD_BOUNDED | LPD_BLOCKING | LPD_WAIT_QUEUE,
    .size = ticket_size,
    .init = ticket_init,
    .destroy = ticket_destroy,
    .try_get = ticket_try_get,
    .get = ticket_get,
    .get_timeout = ticket_get_timeout,
    .put = ticket_put,
    .waiting = ticket_waiting,
};
