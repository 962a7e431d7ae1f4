/*
 * lp_sync.c — blocking gets for threads, on top of the async core: queue a wait record
 * whose waker is a futex word, spin briefly, then park. Only this file and the prim
 * layer touch the OS.
 */
#include "lockpool.h"
#include "lp_atomic.h"
#include "lp_prim.h"

/* Parker word: the waiter's state as seen by the waker. */
#define LP__PARK_RUNNING 0u  /* awake (spinning or working): a wake needs no syscall */
#define LP__PARK_WOKEN 1u    /* a wake arrived */
#define LP__PARK_SLEEPING 2u /* in (or entering) futex wait: a wake must syscall */

/* Polls of the parker word before sleeping: about a microsecond, the order of a
 * hand-off; a context switch costs several. */
#ifndef LP_SPIN_POLLS
#define LP_SPIN_POLLS 256
#endif

typedef struct lp__parker {
    lp_atomic_u32 word;
} lp__parker;

static void lp__park_wake(void *ctx) {
    lp__parker *pk = ctx;
    /* acq_rel: release publishes nothing by itself (the pool's cell does) but orders the
     * wake after the hand-off; the syscall only when the waiter committed to sleep. */
    if (lp_xchg_acq_rel(&pk->word, LP__PARK_WOKEN) == LP__PARK_SLEEPING)
        lp_prim_wake((uint32_t *)&pk->word, 1);
}

uint64_t lp_clock_ns(void) { return lp_prim_now_ns(); }

lp_status lp_get_timeout(lp_pool *pool, uint32_t *slot, uint64_t timeout_ns) {
    if (!pool || !slot) return LP_EINVAL;
    lp_status st = lp_try_get(pool, slot);
    if (st != LP_EMPTY || timeout_ns == 0u) return st == LP_EMPTY ? LP_ETIMEDOUT : st;

    /* Computed once: re-arming a relative timeout after each wake would stretch it. */
    uint64_t deadline = 0u;
    if (timeout_ns != LP_FOREVER) {
        uint64_t now = lp_prim_now_ns();
        deadline = timeout_ns > UINT64_MAX - now ? 0u : now + timeout_ns;
    }
    lp__parker pk;
    atomic_init(&pk.word, LP__PARK_RUNNING);
    lp_wait wait = LP_WAIT_INIT;
    st = lp_get_async(pool, &wait, (lp_waker){lp__park_wake, &pk}, slot);
    if (st != LP_PENDING) return st;

    for (int i = 0; i < LP_SPIN_POLLS && lp_load_relaxed(&pk.word) == LP__PARK_RUNNING; i++) lp_relax();
    for (;;) {
        /* acq_rel: consume the wake before polling, so a re-queue's new wake is not lost */
        lp_xchg_acq_rel(&pk.word, LP__PARK_RUNNING);
        st = lp_wait_poll(pool, &wait, NULL, slot);
        if (st != LP_PENDING) return st;
        uint32_t running = LP__PARK_RUNNING;
        /* acq_rel CAS: commit to sleep; if a wake slipped in, poll again instead */
        if (!lp_cas_acq_rel(&pk.word, &running, LP__PARK_SLEEPING)) continue;
        if (lp_prim_wait((uint32_t *)&pk.word, LP__PARK_SLEEPING, deadline) != 0) {
            /* Deadline: withdraw. A slot that reached us meanwhile is ours, not a leak. */
            st = lp_wait_cancel(pool, &wait, slot);
            return st == LP_OK ? LP_OK : LP_ETIMEDOUT;
        }
    }
}

lp_status lp_get(lp_pool *pool, uint32_t *slot) { return lp_get_timeout(pool, slot, LP_FOREVER); }

lp_status lp_get_or_create(lp_pool *pool, uint32_t *slot, uint64_t timeout_ns, lp_create_fn create,
                           void *ctx) {
    if (!pool || !slot || !create) return LP_EINVAL;
    lp_status st = lp_get_timeout(pool, slot, timeout_ns);
    return st == LP_OK ? lp_slot_ensure(pool, *slot, create, ctx) : st;
}
