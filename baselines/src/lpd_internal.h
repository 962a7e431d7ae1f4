/*
 * lpd_internal.h — pieces the baseline designs share, so each design file shows only
 * what makes it different: its lock (or lack of one) and how its waiters wait.
 *
 *   - storage carving (every design lives in caller storage, see lp_design.h);
 *   - argument checks common to every design (same contract for all);
 *   - a free stack of slot indices with a per-slot "held" byte, guarded by the caller's lock
 *     (lpd_locked_stack.h builds the whole spinlock-guarded design on it);
 *   - the polling blocking-get loop of the spinning designs;
 *   - deadlines (on lps_now_ns, support/lp_support.h);
 *   - TSan annotations for synchronisation done in assembly (ck, liburcu), which TSan
 *     cannot see: we tell it about the happens-before edge the library really provides.
 */
#ifndef LPD_INTERNAL_H
#define LPD_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "lp_design.h"
#include "lp_support.h" /* LPS_TSAN, lps_now_ns, lps_cpu_relax */

/* ---- TSan annotations --------------------------------------------------------------- */
#ifdef LPS_TSAN
void __tsan_acquire(void *addr);
void __tsan_release(void *addr);
/** After taking a lock/node whose synchronisation TSan cannot see. */
#define lpd_tsan_acquire(addr) __tsan_acquire((void *)(addr))
/** Before releasing a lock/node whose synchronisation TSan cannot see. */
#define lpd_tsan_release(addr) __tsan_release((void *)(addr))
#else
#define lpd_tsan_acquire(addr) ((void)0)
#define lpd_tsan_release(addr) ((void)0)
#endif

/* ---- storage ---------------------------------------------------------------------- */
#define LPD_LINE 64

static inline size_t lpd_round_up(size_t n, size_t align) {
    return (n + align - 1) / align * align;
}

/** The counts every design accepts: 1..LP_MAX_SLOTS slots, 0..LP_MAX_WAITERS waiters. */
static inline bool lpd_counts_ok(uint32_t slots, uint32_t max_waiters) {
    return slots >= 1 && slots <= LP_MAX_SLOTS && max_waiters <= LP_MAX_WAITERS;
}

/** Storage is caller memory aligned to LPD_ALIGN (lp_design.h). */
static inline bool lpd_storage_ok(const void *self) {
    return self != NULL && ((uintptr_t)self % LPD_ALIGN) == 0;
}

/** init()'s argument check, the same for every design. */
static inline bool lpd_init_args_ok(const void *self, uint32_t slots, uint32_t max_waiters) {
    return lpd_storage_ok(self) && lpd_counts_ok(slots, max_waiters);
}

/* ---- deadlines --------------------------------------------------------------------- */
/** Absolute deadline, computed once per call; saturates (LP_FOREVER never expires). */
static inline uint64_t lpd_deadline(uint64_t timeout_ns) {
    uint64_t now = lps_now_ns();
    return timeout_ns > UINT64_MAX - now ? UINT64_MAX : now + timeout_ns;
}

/* get/get_timeout of a design without a blocking get (flags lack LPD_BLOCKING): it says
 * so instead of faking it. */
static inline int lpd_get_unsupported(void *self, uintptr_t *handle) {
    (void)self;
    (void)handle;
    return LP_ENOSYS;
}
static inline int lpd_get_timeout_unsupported(void *self, uintptr_t *handle, uint64_t timeout_ns) {
    (void)self;
    (void)handle;
    (void)timeout_ns;
    return LP_ENOSYS;
}

_Noreturn static inline void lpd_fatal(const char *msg) {
    fprintf(stderr, "lockpool baselines: fatal: %s\n", msg);
    abort();
}

/* ---- free stack (caller holds the design's lock for every call) -------------------- */
/*
 * nfree is atomic only so that spinning waiters can poll it without the lock
 * (test-and-test-and-set at the pool level); it is written only under the lock.
 */
typedef struct lpd_free_stack {
    atomic_uint nfree;
    uint32_t nslots;
    uint32_t *free;  /* free[0..nfree) are free slot indices */
    uint8_t *held;   /* held[slot] != 0 while a caller holds it */
} lpd_free_stack;

static inline size_t lpd_free_stack_bytes(uint32_t slots) {
    return lpd_round_up((size_t)slots * sizeof(uint32_t) + slots, LPD_LINE);
}

/** Lay the arrays out at `mem` (lpd_free_stack_bytes(slots) bytes), all slots free. */
static inline void lpd_free_stack_init(lpd_free_stack *fs, void *mem, uint32_t slots) {
    fs->nslots = slots;
    fs->free = (uint32_t *)mem;
    fs->held = (uint8_t *)mem + (size_t)slots * sizeof(uint32_t);
    /* Slot 0 on top, so a single thread keeps reusing the same slot (as a real stack). */
    for (uint32_t i = 0; i < slots; i++) {
        fs->free[i] = slots - 1 - i;
        fs->held[i] = 0;
    }
    /* relaxed: init happens before the pool is shared (the sharing itself publishes it) */
    atomic_store_explicit(&fs->nfree, slots, memory_order_relaxed);
}

/* A design laid out as its own struct, padded to a cache line, then a free stack's arrays. */
/** size() of such a design; 0 for counts no design accepts. */
static inline size_t lpd_stack_design_size(size_t pool_struct, uint32_t slots, uint32_t max_waiters) {
    if (!lpd_counts_ok(slots, max_waiters))
        return 0;
    return lpd_round_up(pool_struct, LPD_LINE) + lpd_free_stack_bytes(slots);
}

/** Where such a design's free-stack arrays start, for lpd_free_stack_init. */
static inline void *lpd_stack_design_arrays(void *self, size_t pool_struct) {
    return (char *)self + lpd_round_up(pool_struct, LPD_LINE);
}

/** Under the lock. @return LP_OK with *handle set, or LP_EMPTY. */
static inline int lpd_free_stack_pop(lpd_free_stack *fs, uintptr_t *handle) {
    /* relaxed: the lock orders every write of nfree */
    uint32_t n = atomic_load_explicit(&fs->nfree, memory_order_relaxed);
    if (n == 0)
        return LP_EMPTY;
    uint32_t slot = fs->free[n - 1];
    fs->held[slot] = 1;
    /* relaxed: pollers only use it as a hint, then re-check under the lock */
    atomic_store_explicit(&fs->nfree, n - 1, memory_order_relaxed);
    *handle = slot;
    return LP_OK;
}

/** Range check, done before taking the lock. */
static inline bool lpd_handle_in_range(const lpd_free_stack *fs, uintptr_t handle) {
    return handle < fs->nslots;
}

/** Under the lock; handle already range-checked. @return LP_OK or LP_ENOTHELD. */
static inline int lpd_free_stack_push(lpd_free_stack *fs, uintptr_t handle) {
    if (!fs->held[handle])
        return LP_ENOTHELD;
    fs->held[handle] = 0;
    /* relaxed: the lock orders every write of nfree */
    uint32_t n = atomic_load_explicit(&fs->nfree, memory_order_relaxed);
    fs->free[n] = (uint32_t)handle;
    /* relaxed: a hint for pollers; the unlock that follows publishes the stack itself */
    atomic_store_explicit(&fs->nfree, n + 1, memory_order_relaxed);
    return LP_OK;
}

/* ---- waiter accounting: MAX_WAITERS is the same contract for every design ------------ */
/** @return true if the caller may wait (counted), false if MAX_WAITERS already wait. */
static inline bool lpd_waiter_enter(atomic_uint *waiting, uint32_t max_waiters) {
    /* relaxed: a counter for the limit only; it orders nothing else */
    uint32_t now = atomic_fetch_add_explicit(waiting, 1, memory_order_relaxed);
    if (now >= max_waiters) {
        atomic_fetch_sub_explicit(waiting, 1, memory_order_relaxed); /* relaxed: as above */
        return false;
    }
    return true;
}

static inline void lpd_waiter_exit(atomic_uint *waiting) {
    atomic_fetch_sub_explicit(waiting, 1, memory_order_relaxed); /* relaxed: a counter only */
}

/* ---- the spinning designs' blocking get -------------------------------------------- */
/*
 * Waiters spin: poll the free count without the lock (so they do not hammer the lock
 * while the pool is empty), with exponential backoff, and take the lock only when a
 * slot looks free. Nobody queues: whoever polls first after a put wins (barging).
 */
typedef int (*lpd_try_fn)(void *self, uintptr_t *handle);

static inline int lpd_spin_get(void *self, uintptr_t *handle, uint64_t timeout_ns,
                               lpd_try_fn try_get, const atomic_uint *nfree,
                               atomic_uint *waiting, uint32_t max_waiters) {
    if (try_get(self, handle) == LP_OK)
        return LP_OK;
    if (timeout_ns == 0)
        return LP_ETIMEDOUT;
    if (!lpd_waiter_enter(waiting, max_waiters))
        return LP_EFULL;
    const uint64_t deadline = lpd_deadline(timeout_ns);
    unsigned backoff = 1;
    for (unsigned polls = 0;; polls++) {
        /* relaxed: only a hint; try_get re-checks under the lock (which orders the data) */
        if (atomic_load_explicit(nfree, memory_order_relaxed) != 0) {
            if (try_get(self, handle) == LP_OK) {
                lpd_waiter_exit(waiting);
                return LP_OK;
            }
            backoff = backoff < 1024 ? backoff * 2 : backoff; /* lost a race: back off */
        }
        for (unsigned i = 0; i < backoff; i++)
            lps_cpu_relax();
        /* The clock costs ~20 ns: read it every 64 polls, not every one. */
        if (deadline != UINT64_MAX && (polls & 63) == 0 && lps_now_ns() >= deadline) {
            int st = try_get(self, handle); /* one last look: never time out past a free slot */
            lpd_waiter_exit(waiting);
            return st == LP_OK ? LP_OK : LP_ETIMEDOUT;
        }
    }
}

/** designs/malloc.c: the jemalloc version measured ("" if jemalloc is unusable). */
const char *lpd_malloc_jemalloc_version(void);

#endif /* LPD_INTERNAL_H */
