/*
 * lp_sync.c — blocking gets for threads, on top of the async core: queue a wait record
 * whose waker is a futex word, spin briefly, then park (lp_prim.h: the platform's way to
 * sleep). Only this file and the prim layer touch the OS.
 */
#include "lockpool.h"
#include "lp_atomic.h"
#include "lp_internal.h"
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

/* ctx is the park word of the waiter's cell, in pool memory (lp__get_async_parked): the
 * pool has already published READY, and a wake of a cell that was recycled meanwhile is a
 * spurious wake for its next waiter, which re-checks. */
static void lp__park_wake(void *ctx) {
    lp_atomic_u32 *word = ctx;
    /* acq_rel: orders the wake after the hand-off; the syscall only when the waiter
     * committed to sleep. */
    if (lp_xchg_acq_rel(word, LP__PARK_WOKEN) == LP__PARK_SLEEPING) lp_prim_wake((uint32_t *)word, 1);
}

uint64_t lp_clock_ns(void) { return lp_prim_now_ns(); }

/* Park until the pending parked wait is served, or withdraw it at `deadline` (0: never). */
static lp_status lp__park_until_served(lp_pool *pool, lp_wait *wait, uint32_t *slot, uint64_t deadline) {
    for (;;) {
        lp_atomic_u32 *word = lp__wait_park_word(pool, wait);
        /* Spin first only if we may be served within about one hold time (fewer waiters
         * ahead than slots): met awake, the hand-off costs no wake-up. Further back, spinning
         * would only take the CPU from the holders, which matters when oversubscribed. */
        if (lp__wait_position(pool, wait) < lp_slot_count(pool))
            for (int i = 0; i < LP_SPIN_POLLS && lp_load_relaxed(word) == LP__PARK_RUNNING; i++) lp_relax();
        /* acq_rel: consume the wake before polling, so a later wake is not lost */
        lp_xchg_acq_rel(word, LP__PARK_RUNNING);
        lp_status st = lp_wait_poll(pool, wait, NULL, slot);
        /* RESTRICTED: a wake that brought no slot is a nudge: a slot came free (a running
         * thread may have taken it again already). Take it if it is still there. */
        if (st == LP_PENDING) st = lp__take_instead(pool, wait, slot);
        if (st != LP_PENDING) return st;
        /* A BARGING retry may have re-queued us into another cell: sleep on that one's word
         * (its claim reset it to RUNNING; a wake that already came makes the CAS fail). */
        word = lp__wait_park_word(pool, wait);
        uint32_t running = LP__PARK_RUNNING;
        /* acq_rel CAS: commit to sleep; if a wake slipped in, poll again instead */
        if (!lp_cas_acq_rel(word, &running, LP__PARK_SLEEPING)) continue;
        if (lp_prim_wait((uint32_t *)word, LP__PARK_SLEEPING, deadline) != 0) {
            /* Deadline: withdraw. A slot that reached us meanwhile is ours, not a leak. */
            st = lp_wait_cancel(pool, wait, slot);
            return st == LP_OK ? LP_OK : LP_ETIMEDOUT;
        }
    }
}

/* An absolute CLOCK_MONOTONIC deadline, 0 for "never" (LP_FOREVER or overflow). */
static uint64_t lp__deadline_of(uint64_t timeout_ns) {
    if (timeout_ns == LP_FOREVER) return 0u;
    uint64_t now = lp_prim_now_ns();
    return timeout_ns > UINT64_MAX - now ? 0u : now + timeout_ns;
}

lp_status lp_get_timeout(lp_pool *pool, uint32_t *slot, uint64_t timeout_ns) {
    if (!lp_prim_blocks) return LP_ENOSYS;
    lp_status st = lp_try_get(pool, slot);
    if (st != LP_EMPTY || timeout_ns == 0u) return st == LP_EMPTY ? LP_ETIMEDOUT : st;

    /* Computed once: re-arming a relative timeout after each wake would stretch it. */
    uint64_t deadline = lp__deadline_of(timeout_ns);
    lp_wait wait = LP_WAIT_INIT;
    st = lp__get_async_parked(pool, &wait, lp__park_wake, slot);
    if (st != LP_PENDING) return st;
    return lp__park_until_served(pool, &wait, slot, deadline);
}

lp_status lp_get_begin(lp_pool *pool, lp_wait *wait, uint32_t *slot) {
    /* a wait begun here could only be finished by sleeping */
    if (!lp_prim_blocks) return LP_ENOSYS;
    /* checks the pool, the pointers and the record (LP_ESTATE if pending) itself */
    return lp__get_async_parked(pool, wait, lp__park_wake, slot);
}

lp_status lp_get_finish(lp_pool *pool, lp_wait *wait, uint32_t *slot, uint64_t timeout_ns) {
    if (!lp_prim_blocks) return LP_ENOSYS;
    if (!slot) return LP_EINVAL;
    lp_status bad = lp__wait_check(pool, wait);
    if (bad != LP_OK) return bad;
    /* Only a wait lp_get_begin queued: an lp_get_async wait has its own waker to poll on. */
    if (!lp__wait_parked(wait)) return LP_ESTATE;
    return lp__park_until_served(pool, wait, slot, lp__deadline_of(timeout_ns));
}

lp_status lp_get(lp_pool *pool, uint32_t *slot) { return lp_get_timeout(pool, slot, LP_FOREVER); }

lp_status lp_get_or_create(lp_pool *pool, uint32_t *slot, uint64_t timeout_ns, lp_create_fn create,
                           void *ctx) {
    if (!lp_prim_blocks) return LP_ENOSYS;
    if (!create) return LP_EINVAL; /* lp_get_timeout checks the pool and slot */
    lp_status st = lp_get_timeout(pool, slot, timeout_ns);
    return st == LP_OK ? lp_slot_ensure(pool, *slot, create, ctx) : st;
}
