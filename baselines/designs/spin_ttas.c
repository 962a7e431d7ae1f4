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
 *
 * Only the lock is here; the free stack, the spinning get and the entry are
 * src/lpd_locked_stack.h's.
 */
#include "lpd_internal.h"

#define TTAS_BACKOFF_MAX 1024u /* pause instructions; ~ a few µs on current x86 */

static inline void ttas_init(atomic_uint *locked) {
    atomic_init(locked, 0);
}

static inline void ttas_lock(atomic_uint *locked) {
    unsigned backoff = 1;
    for (;;) {
        /* relaxed: the "test" only waits for the line to show unlocked, in our cache */
        while (atomic_load_explicit(locked, memory_order_relaxed) != 0)
            lps_cpu_relax();
        /* acquire: the stack writes of the previous holder happen before ours */
        if (atomic_exchange_explicit(locked, 1, memory_order_acquire) == 0)
            return;
        for (unsigned i = 0; i < backoff; i++)
            lps_cpu_relax();
        if (backoff < TTAS_BACKOFF_MAX)
            backoff *= 2;
    }
}

static inline void ttas_unlock(atomic_uint *locked) {
    /* release: our stack writes happen before the next holder's reads */
    atomic_store_explicit(locked, 0, memory_order_release);
}

#define LPD_LOCK_T atomic_uint
#define LPD_LOCK_NODE_T lpd_no_node
#define LPD_LOCK_INIT(lock) ttas_init(lock)
#define LPD_LOCK_ACQUIRE(lock, node) ((void)(node), ttas_lock(lock))
#define LPD_LOCK_RELEASE(lock, node) ((void)(node), ttas_unlock(lock))
#include "lpd_locked_stack.h"

const lpd_design lpd_spin_ttas = LPD_LOCKED_STACK_DESIGN(
    "spin-ttas",
    "TTAS spinlock + exponential backoff around a free stack: barging, blocking, waiters spin");
