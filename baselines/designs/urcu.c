/*
 * urcu — a lock-free free list built on liburcu's lock-free stack (urcu/lfstack.h), made
 * ABA-safe the way its documentation requires, with urcu's futex wrapper (futex_async)
 * for blocking.
 *
 * lfstack.h: concurrent __cds_lfs_pop calls need external synchronisation; technique 1 is
 * "pop under an RCU read-side critical section, and wait for a grace period before
 * pushing a popped node back". A pool re-pushes nodes constantly, so put does not push
 * onto the free stack directly: it pushes onto a `limbo` stack (push needs no
 * synchronisation with anything). A try_get that finds the free stack empty takes the
 * whole limbo stack (__cds_lfs_pop_all: no synchronisation needed with push or another
 * pop_all; limbo is never popped singly), waits one grace period (synchronize_rcu), keeps
 * one node and pushes the rest onto the free stack. The grace period guarantees that no
 * pop that saw one of those nodes as head is still in flight: ABA cannot happen.
 *
 * Fairness: none; waiters are woken one per put and re-compete with newcomers (barging).
 * Progress: push and pop are lock-free (one CAS loop each), but the design as a whole
 * is not: a try_get that must recycle the limbo stack blocks for one grace period, i.e.
 * until every reader inside a (few-instruction) pop has left it — a preempted reader
 * delays it. So LPD_LOCK_FREE is not claimed. A try_get racing with another caller's
 * recycling can report LP_EMPTY for the duration of that grace period.
 * Oversubscribed: waiters sleep on a futex (urcu's futex_async), so no CPU is burnt;
 * a preempted reader delays recycling, not the free stack.
 * MAX_WAITERS: a counter; one more waiter gets LP_EFULL.
 *
 * Threads: urcu-memb readers must be registered: every thread calls thread_enter before
 * using the pool and thread_exit before it ends (LPD_PER_THREAD).
 *
 * The library is used through its API, not its inline (_LGPL_SOURCE) fast paths, as
 * a non-LGPL program would: rcu_read_lock/unlock and the stack operations are calls.
 * liburcu synchronises with inline assembly ThreadSanitizer cannot see; under TSan we
 * annotate the node hand-over edges (lpd_tsan_*), nothing else changes.
 */
#include <errno.h>
#include <urcu/urcu-memb.h>
#include <urcu/futex.h>
#include <urcu/lfstack.h>

#include "lpd_internal.h"

typedef struct urcu_slot {
    _Alignas(LPD_LINE) struct cds_lfs_node node;  /* one slot per line, like LockPool's */
    atomic_uint held;  /* 1 while a caller holds it: detects puts of slots not held */
} urcu_slot;

typedef struct urcu_pool {
    _Alignas(LPD_LINE) struct __cds_lfs_stack free_stack;  /* pop: under rcu_read_lock */
    _Alignas(LPD_LINE) struct __cds_lfs_stack limbo;       /* put pushes, recycler pop_alls */
    _Alignas(LPD_LINE) int32_t epoch;  /* futex word: bumped whenever slots become free */
    atomic_uint waiting;               /* callers inside get (sleeping or about to) */
    uint32_t max_waiters;
    uint32_t nslots;
    urcu_slot *slots;
} urcu_pool;

#define URCU_HEADER lpd_round_up(sizeof(urcu_pool), LPD_LINE)

/* Registration is per thread and per urcu flavour, not per pool: count nested enters. */
static _Thread_local unsigned urcu_thread_refs;

static void urcu_thread_enter(void *self) {
    (void)self;
    if (urcu_thread_refs++ == 0)
        urcu_memb_register_thread();
}

static void urcu_thread_exit(void *self) {
    (void)self;
    if (urcu_thread_refs == 0)
        lpd_fatal("urcu: thread_exit without thread_enter");
    if (--urcu_thread_refs == 0)
        urcu_memb_unregister_thread();
}

static void urcu_require_registered(void) {
    if (urcu_thread_refs == 0)
        lpd_fatal("urcu: thread_enter was not called on this thread (lp_design.h LPD_PER_THREAD)");
}

static size_t urcu_size(uint32_t slots, uint32_t max_waiters) {
    if (!lpd_counts_ok(slots, max_waiters))
        return 0;
    return URCU_HEADER + (size_t)slots * sizeof(urcu_slot);
}

static int urcu_init(void *self, uint32_t slots, uint32_t max_waiters) {
    if (!lpd_storage_ok(self) || !lpd_counts_ok(slots, max_waiters))
        return LP_EINVAL;
    urcu_pool *p = self;
    __cds_lfs_init(&p->free_stack);
    __cds_lfs_init(&p->limbo);
    p->epoch = 0;
    atomic_init(&p->waiting, 0);
    p->max_waiters = max_waiters;
    p->nslots = slots;
    p->slots = (urcu_slot *)((char *)self + URCU_HEADER);
    /* Push in reverse so slot 0 is on top: a lone thread keeps reusing one line. */
    for (uint32_t i = slots; i-- > 0;) {
        cds_lfs_node_init(&p->slots[i].node);
        atomic_init(&p->slots[i].held, 0);
        cds_lfs_push(&p->free_stack, &p->slots[i].node);
    }
    return LP_OK;
}

static void urcu_destroy(void *self) {
    (void)self; /* nodes live in the caller's storage; nothing to free */
}

static uintptr_t urcu_take(urcu_pool *p, struct cds_lfs_node *node) {
    urcu_slot *s = caa_container_of(node, urcu_slot, node);
    lpd_tsan_acquire(s);  /* pairs with the putter's release: urcu's CAS orders them */
    /* relaxed: the pop gave us exclusive ownership; this flag only checks later puts */
    atomic_store_explicit(&s->held, 1, memory_order_relaxed);
    return (uintptr_t)(s - p->slots);
}

/* Wake sleepers after slots became available: bump the futex word, then wake. */
static void urcu_announce(urcu_pool *p, int count) {
    /* seq_cst: pairs with the waiter's seq_cst `waiting` increment then epoch load
     * (Dekker): either we see the waiter, or it sees the new epoch and our slots. */
    __atomic_fetch_add(&p->epoch, 1, __ATOMIC_SEQ_CST);
    if (atomic_load_explicit(&p->waiting, memory_order_seq_cst) > 0)
        futex_async(&p->epoch, FUTEX_WAKE, count, NULL, NULL, 0);
}

/* Free stack empty: recycle the limbo stack after a grace period. */
static int urcu_recycle(urcu_pool *p, uintptr_t *handle) {
    struct cds_lfs_head *batch = __cds_lfs_pop_all(&p->limbo);
    if (batch == NULL)
        return LP_EMPTY;
    /* Every reader that could have seen one of these nodes as the free stack's head
     * entered its read-side section before the node was popped, hence before now. */
    urcu_memb_synchronize_rcu();
    struct cds_lfs_node *node, *next;
    bool first = true;
    int pushed = 0;
    cds_lfs_for_each_safe(batch, node, next) {
        if (first) {
            *handle = urcu_take(p, node);
            first = false;
        } else {
            cds_lfs_push(&p->free_stack, node);
            pushed++;
        }
    }
    /* A waiter may have looked while the batch was in our hands and gone to sleep. */
    if (pushed > 0)
        urcu_announce(p, pushed);
    return LP_OK;
}

static int urcu_try_get(void *self, uintptr_t *handle) {
    urcu_pool *p = self;
    urcu_require_registered();
    urcu_memb_read_lock();
    struct cds_lfs_node *node = __cds_lfs_pop(&p->free_stack);
    urcu_memb_read_unlock();
    if (node != NULL) {
        *handle = urcu_take(p, node);
        return LP_OK;
    }
    return urcu_recycle(p, handle);
}

static int urcu_get_timeout(void *self, uintptr_t *handle, uint64_t timeout_ns) {
    urcu_pool *p = self;
    if (urcu_try_get(self, handle) == LP_OK)
        return LP_OK;
    if (timeout_ns == 0)
        return LP_ETIMEDOUT;
    /* seq_cst: the waiter's half of the Dekker pairing in urcu_announce. A counter that
     * is over the limit is undone; no other use of `waiting` needs more. */
    if (atomic_fetch_add_explicit(&p->waiting, 1, memory_order_seq_cst) >= p->max_waiters) {
        atomic_fetch_sub_explicit(&p->waiting, 1, memory_order_relaxed); /* relaxed: undo only */
        return LP_EFULL;
    }
    const uint64_t deadline = lpd_deadline(timeout_ns);
    int st;
    for (;;) {
        /* seq_cst: read the epoch before looking, so a put after our look changes it and
         * FUTEX_WAIT returns at once instead of sleeping past a free slot */
        int32_t seen = __atomic_load_n(&p->epoch, __ATOMIC_SEQ_CST);
        if ((st = urcu_try_get(self, handle)) == LP_OK)
            break;
        struct timespec rel, *timeout = NULL;
        if (deadline != UINT64_MAX) {
            uint64_t now = lps_now_ns();
            if (now >= deadline) {
                st = LP_ETIMEDOUT;
                break;
            }
            /* Relative timeout, recomputed from the one fixed deadline each time. */
            rel.tv_sec = (time_t)((deadline - now) / 1000000000u);
            rel.tv_nsec = (long)((deadline - now) % 1000000000u);
            timeout = &rel;
        }
        /* Returns on wake, on EAGAIN (epoch moved), EINTR, timeout or spuriously: all
         * lead back to a fresh look, so none of them can lose a slot. */
        futex_async(&p->epoch, FUTEX_WAIT, seen, timeout, NULL, 0);
    }
    lpd_waiter_exit(&p->waiting);
    return st;
}

static int urcu_get(void *self, uintptr_t *handle) {
    return urcu_get_timeout(self, handle, LP_FOREVER);
}

static int urcu_put(void *self, uintptr_t handle) {
    urcu_pool *p = self;
    if (handle >= p->nslots)
        return LP_EINVAL;
    urcu_slot *s = &p->slots[handle];
    unsigned expected = 1;
    /* relaxed: only decides which of two racing puts of one slot is wrong; the push
     * below (a full-barrier CAS in urcu) publishes the object to the next taker */
    if (!atomic_compare_exchange_strong_explicit(&s->held, &expected, 0, memory_order_relaxed,
                                                 memory_order_relaxed))
        return LP_ENOTHELD;
    lpd_tsan_release(s);
    cds_lfs_push(&p->limbo, &s->node);
    urcu_announce(p, 1);
    return LP_OK;
}

static uint32_t urcu_waiting(const void *self) {
    /* relaxed: a diagnostic snapshot */
    return atomic_load_explicit(&((urcu_pool *)self)->waiting, memory_order_relaxed);
}

const lpd_design lpd_urcu = {
    .name = "urcu",
    .blocking = "futex",
    .summary = "liburcu lock-free stack, RCU grace period before reuse (ABA-safe), futex_async waits: barging",
    .flags = LPD_BOUNDED | LPD_BLOCKING | LPD_WAIT_QUEUE | LPD_PER_THREAD,
    .size = urcu_size,
    .init = urcu_init,
    .destroy = urcu_destroy,
    .thread_enter = urcu_thread_enter,
    .thread_exit = urcu_thread_exit,
    .try_get = urcu_try_get,
    .get = urcu_get,
    .get_timeout = urcu_get_timeout,
    .put = urcu_put,
    .waiting = urcu_waiting,
};
