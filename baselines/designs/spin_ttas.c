/*
 * spin-ttas — a test-and-test-and-set spinlock with exponential backoff (Anderson 1990)
 * guarding a free stack; waiters spin.
 *
 * Fairness: none. Whoever's exchange lands first after an unlock wins the lock, and a
 * put's slot goes to whichever spinning waiter polls first (barging); a thread can starve.
 * Progress: blocking — a lock holder preempted inside the (tiny) critical section stalls
 * every other get and put until it runs again.
 * Oversubscribed: waiters burn their whole time slice spinning (no sleeping), and a
 * preempted holder costs everyone a scheduler quantum. Backoff keeps the lock's cache
 * line quiet under contention but adds latency when the lock frees up.
 * MAX_WAITERS: a counter; one more waiter gets LP_EFULL.
 */
#include "lpd_internal.h"

typedef struct ttas_pool {
    _Alignas(LPD_LINE) atomic_uint locked;    /* the lock word, alone on its line */
    _Alignas(LPD_LINE) atomic_uint waiting;   /* callers spinning in get */
    uint32_t max_waiters;
    _Alignas(LPD_LINE) lpd_free_stack stack;  /* under `locked`; nfree polled by waiters */
} ttas_pool;

#define TTAS_HEADER lpd_round_up(sizeof(ttas_pool), LPD_LINE)
#define TTAS_BACKOFF_MAX 1024u /* pause instructions; ~ a few µs on current x86 */

static void ttas_lock(ttas_pool *p) {
    unsigned backoff = 1;
    for (;;) {
        /* relaxed: the "test" only waits for the line to show unlocked, in our cache */
        while (atomic_load_explicit(&p->locked, memory_order_relaxed) != 0)
            lpd_cpu_relax();
        /* acquire: the stack writes of the previous holder happen before ours */
        if (atomic_exchange_explicit(&p->locked, 1, memory_order_acquire) == 0)
            return;
        for (unsigned i = 0; i < backoff; i++)
            lpd_cpu_relax();
        if (backoff < TTAS_BACKOFF_MAX)
            backoff *= 2;
    }
}

static void ttas_unlock(ttas_pool *p) {
    /* release: our stack writes happen before the next holder's reads */
    atomic_store_explicit(&p->locked, 0, memory_order_release);
}

static size_t ttas_size(uint32_t slots, uint32_t max_waiters) {
    if (!lpd_counts_ok(slots, max_waiters))
        return 0;
    return TTAS_HEADER + lpd_free_stack_bytes(slots);
}

static int ttas_init(void *self, uint32_t slots, uint32_t max_waiters) {
    if (!lpd_storage_ok(self) || !lpd_counts_ok(slots, max_waiters))
        return LP_EINVAL;
    ttas_pool *p = self;
    atomic_init(&p->locked, 0);
    atomic_init(&p->waiting, 0);
    p->max_waiters = max_waiters;
    lpd_free_stack_init(&p->stack, (char *)self + TTAS_HEADER, slots);
    return LP_OK;
}

static void ttas_destroy(void *self) {
    (void)self;
}

static int ttas_try_get(void *self, uintptr_t *handle) {
    ttas_pool *p = self;
    ttas_lock(p);
    int st = lpd_free_stack_pop(&p->stack, handle);
    ttas_unlock(p);
    return st;
}

static int ttas_get_timeout(void *self, uintptr_t *handle, uint64_t timeout_ns) {
    ttas_pool *p = self;
    return lpd_spin_get(self, handle, timeout_ns, ttas_try_get, &p->stack.nfree,
                        &p->waiting, p->max_waiters);
}

static int ttas_get(void *self, uintptr_t *handle) {
    return ttas_get_timeout(self, handle, LP_FOREVER);
}

static int ttas_put(void *self, uintptr_t handle) {
    ttas_pool *p = self;
    if (!lpd_handle_in_range(&p->stack, handle))
        return LP_EINVAL;
    ttas_lock(p);
    int st = lpd_free_stack_push(&p->stack, handle);
    ttas_unlock(p);
    return st;
}

static uint32_t ttas_waiting(const void *self) {
    /* relaxed: a diagnostic snapshot */
    return atomic_load_explicit(&((ttas_pool *)self)->waiting, memory_order_relaxed);
}

const lpd_design lpd_spin_ttas = {
    .name = "spin-ttas",
    .blocking = "spin",
    .summary = "TTAS spinlock + exponential backoff around a free stack: barging, blocking, waiters spin",
    .flags = LPD_BOUNDED | LPD_BLOCKING | LPD_WAIT_QUEUE,
    .size = ttas_size,
    .init = ttas_init,
    .destroy = ttas_destroy,
    .try_get = ttas_try_get,
    .get = ttas_get,
    .get_timeout = ttas_get_timeout,
    .put = ttas_put,
    .waiting = ttas_waiting,
};
