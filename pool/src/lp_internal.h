/*
 * lp_internal.h — the pool's private layout (lp__ names). The public header only
 * reserves storage of the same sizes; pool/DESIGN.md explains the protocol.
 */
#ifndef LP_INTERNAL_H
#define LP_INTERNAL_H

#include "lockpool.h"
#include "lp_atomic.h"

/* Slot states. */
#define LP__FREE 0u
#define LP__HELD 1u

/* Cell word = round << 3 | state (pool/DESIGN.md, "The waiter queue"). */
#define LP__CELL_EMPTY 0u     /* free for the claimer of ticket (round, cell) */
#define LP__CELL_CLAIMING 1u  /* an enqueuer owns it and is writing its record */
#define LP__CELL_WAITING 2u   /* published: record and waker valid */
#define LP__CELL_UPDATING 3u  /* owner replacing its waker */
#define LP__CELL_GRANTED 4u   /* a server owns it: writing slot, calling the waker */
#define LP__CELL_READY 5u     /* result deposited; only the owner touches the cell now */
#define LP__CELL_CANCELLED 6u /* owner withdrew; anyone may recycle it */
#define LP__STATE_BITS 3u
#define LP__STATE_MASK 7u
#define LP__ROUND_SPACE (1u << 29) /* tickets per wrap: ncells * rounds <= 2^29 */

/* Deposited in a cell instead of a slot: "retry" (BARGING/BOUNDED wake). */
#define LP__NO_SLOT UINT32_MAX

/* lp_wait.lp__state_ (owner-side, never shared): flags. */
#define LP__WAIT_IDLE 0u
#define LP__WAIT_PENDING 1u  /* queued: lp_wait_poll / lp_wait_cancel apply */
#define LP__WAIT_STARVING 2u /* BOUNDED: counted in the pool's starving count */

/* lp__pool.magic of a pool lp_init set up; anything else (zero-filled storage, a failed
 * lp_init, arbitrary bytes) makes every call return LP_EINVAL. */
#define LP__POOL_MAGIC 0x4c50504cu

/* One object's lock. Its line is written only by the taker and releaser of this object. */
typedef struct lp__slot {
    lp_atomic_u32 state; /* LP__FREE / LP__HELD */
    uint32_t created;    /* holder-only: object constructed (get_or_create) */
    char pad[LP_CACHELINE - 2 * sizeof(uint32_t)];
} lp__slot;

typedef void (*lp__wake_fn)(void *);

/* One waiter ticket's mailbox. Written by its enqueuer, its server and its owner. */
typedef struct lp__cell {
    lp_atomic_u32 word;     /* round << 3 | state */
    uint32_t slot;          /* written by the ticket's unique server before READY */
    lp_atomic_u32 since_lo; /* enqueue time in ns, low and high halves (BOUNDED heuristic, read */
    lp_atomic_u32 since_hi; /* racily; 32-bit atomics only, so Cortex-M4 needs no libatomic) */
    lp_wait *rec;           /* written by the enqueuer before WAITING; read by the server after GRANTED */
    lp_atomic_u32 park;     /* sync layer: futex word of this cell's waiter (lp__get_async_parked) */
    lp_atomic_u32 born;     /* RESTRICTED: `turns` when the wait first queued (read racily) */
    /* RESTRICTED: a sync-layer wait's park waker (NULL for lp_get_async waits), written by the
     * enqueuer before WAITING: a releaser may call it on the park word while the wait stays
     * queued (a "nudge": it touches only pool memory, so it needs no ownership of the cell). */
    _Atomic(lp__wake_fn) nudge;
    char pad[LP_CACHELINE - 6 * sizeof(uint32_t) - sizeof(lp_wait *) - sizeof(lp__wake_fn)];
} lp__cell;

typedef struct lp__pool {
    /* Line 0: configuration, written once by lp_init / lp_set_fairness_bound. */
    lp__slot *slots;
    lp__cell *cells;
    uint32_t nslots;
    uint32_t ncells;
    uint32_t mode;
    uint32_t rounds;        /* ticket t lives in cell t % ncells, round t / ncells < rounds */
    uint32_t limit;         /* ncells * rounds: tickets count modulo this */
    uint32_t magic;         /* LP__POOL_MAGIC once lp_init succeeded (every call checks it) */
    uint64_t bound_ns;      /* BOUNDED: hand off to a waiter older than this */
    uint32_t fair_mask;     /* ~0 in FAIR mode, else 0: try_get's queue check without a branch */
    uint32_t retry_wakes;   /* BARGING/BOUNDED/RESTRICTED: "retry" wakes in flight at most (lp__token_take) */
    uint64_t (*clock_ns)(void);
    /* Line 1: the queue ends. Written only on the slow path (waiters exist); the fast
     * path only reads it, so while nobody waits it stays shared in every cache. */
    _Alignas(LP_CACHELINE) lp_atomic_u32 head; /* next ticket to serve */
    lp_atomic_u32 tail;                        /* next ticket to hand out */
    lp_atomic_u32 starving;                    /* BOUNDED/RESTRICTED: queued waits already past the bound */
    lp_atomic_u32 woken;                       /* BARGING/BOUNDED/RESTRICTED: "retry" wakes in flight (lp__token_take) */
    char pad[LP_CACHELINE - 4 * sizeof(uint32_t)];
    /* Line 2: RESTRICTED's bypass clock, written by every release that finds waiters. Not on
     * the queue line, which every try_get reads: those reads would miss after each tick. */
    _Alignas(LP_CACHELINE) lp_atomic_u32 turns;
    uint32_t bypass_turns;  /* RESTRICTED: every bypass_turns-th tick hands off to the head (set once,
                             * read right after the tick on this line) */
    lp_atomic_u32 rotating; /* RESTRICTED: 0, or the tag (tick | 1) of a rotation decided whose
                             * hand-off has not landed: every tick hands off until one does */
} lp__pool;

_Static_assert(sizeof(lp__slot) == sizeof(lp_slot), "lp_slot storage size");
_Static_assert(sizeof(lp__cell) == sizeof(lp_cell), "lp_cell storage size");
_Static_assert(sizeof(lp__pool) <= sizeof(lp_pool), "lp_pool storage size");
_Static_assert(_Alignof(lp__pool) <= _Alignof(lp_pool), "lp_pool alignment");

static inline lp__pool *lp__of(lp_pool *p) { return (lp__pool *)(void *)p; }
static inline const lp__pool *lp__cof(const lp_pool *p) { return (const lp__pool *)(const void *)p; }

/* Is this a pool lp_init set up? Checked first by every call that takes a pool: one load
 * and compare on the configuration line, which the call reads anyway. The word is copied
 * as bytes, so a misaligned pool pointer is never a misaligned access (and one that
 * passes is aligned: lp_init writes the magic only into aligned storage). */
static inline int lp__valid(const lp_pool *pool) {
    uint32_t magic;
    if (!pool) return 0;
    __builtin_memcpy(&magic, (const char *)pool + offsetof(lp__pool, magic), sizeof magic);
    return magic == LP__POOL_MAGIC;
}

/* The checks of every call on a begun wait: LP_EINVAL for a bad pool, a NULL record or one
 * pending on another pool; LP_ESTATE for a record that is not pending; else LP_OK. */
lp_status lp__wait_check(const lp_pool *pool, const lp_wait *wait);

/* lp_get_async for the sync layer: the waker is called with ctx = the park word of the
 * wait's current cell, after READY. That wake touches only pool memory, never the caller's,
 * so the server may publish READY first: a woken waiter never spins on a preempted server. */
lp_status lp__get_async_parked(lp_pool *pool, lp_wait *wait, void (*wake)(void *park), uint32_t *slot);

/* RESTRICTED, for the sync layer after a wake that was no hand-off: if a slot is free, take it
 * and withdraw the wait (LP_OK, *slot; if the wait was served meanwhile, the served slot is
 * kept and the other released). LP_PENDING if no slot was free or the mode is another. */
lp_status lp__take_instead(lp_pool *pool, lp_wait *wait, uint32_t *slot);

/* Was the wait queued by lp__get_async_parked? */
int lp__wait_parked(const lp_wait *wait);

/* The park word of a pending wait's current cell (it changes when BARGING re-queues). */
lp_atomic_u32 *lp__wait_park_word(lp_pool *pool, const lp_wait *wait);

/* How many tickets are ahead of this pending wait (dead ones included): a hint for the
 * sync layer's spin-or-park choice. */
uint32_t lp__wait_position(lp_pool *pool, const lp_wait *wait);

/* Test hook: shrink the ticket space of an idle pool so tests can cross the
 * wrap-around quickly. rounds >= 4 (round order needs outstanding < rounds / 2). Returns LP_EINVAL if busy or out of range. */
lp_status lp__test_set_rounds(lp_pool *pool, uint32_t rounds);

#endif /* LP_INTERNAL_H */
