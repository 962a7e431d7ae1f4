/*
 * lp_pool.c — the LockPool core: per-slot try-locks and a bounded lock-free queue of
 * waiter mailboxes. Freestanding: no libc, no OS, no heap. The protocol, and why each
 * step is there, is in pool/DESIGN.md; the Promela model in pool/verify mirrors it.
 */
#include "lp_internal.h"

/* Rare paths stay out of line, so the fast paths keep a prologue-free shape. */
#if defined(__GNUC__)
#define LP__COLD __attribute__((noinline, cold))
#else
#define LP__COLD
#endif

/* ---- tickets ----------------------------------------------------------------- */

static inline uint32_t lp__next_ticket(const lp__pool *p, uint32_t t) {
    return t + 1u == p->limit ? 0u : t + 1u;
}
static inline lp__cell *lp__cell_of(const lp__pool *p, uint32_t t) { return &p->cells[t % p->ncells]; }
static inline uint32_t lp__round_of(const lp__pool *p, uint32_t t) { return t / p->ncells; }
static inline uint32_t lp__word(uint32_t round, uint32_t state) { return round << LP__STATE_BITS | state; }
static inline uint32_t lp__state(uint32_t w) { return w & LP__STATE_MASK; }
static inline uint32_t lp__round(uint32_t w) { return w >> LP__STATE_BITS; }
static inline uint32_t lp__next_round(const lp__pool *p, uint32_t round) {
    return round + 1u == p->rounds ? 0u : round + 1u;
}
/* Tickets from `from` to `to`, modulo limit. */
static inline uint32_t lp__dist(const lp__pool *p, uint32_t from, uint32_t to) {
    return to >= from ? to - from : to + p->limit - from;
}
/* Is round a older (<0), equal (0) or newer (>0) than b? Outstanding tickets span less
 * than half the ticket space (lp__claim's guard), so the modular order is exact. */
/* Has head h caught up with `end` (a tail read earlier), or been moved past it by others (the
 * distance then wraps past half the ticket space)? */
static inline int lp__head_reached(const lp__pool *p, uint32_t h, uint32_t end) {
    uint32_t left = lp__dist(p, h, end);
    return left == 0u || left > p->limit / 2u;
}

static inline int lp__round_cmp(const lp__pool *p, uint32_t a, uint32_t b) {
    uint32_t d = a >= b ? a - b : a + p->rounds - b;
    return d == 0u ? 0 : d < p->rounds / 2u ? 1 : -1;
}

static inline int lp__queue_empty_seq_cst(lp__pool *p) {
    /* seq_cst: pairs with the enqueuer's seq_cst tail CAS (Dekker: slot vs tail) */
    uint32_t h = lp_load_seq_cst(&p->head);
    return h == lp_load_seq_cst(&p->tail);
}

static void lp__sweep(lp__pool *p);
static void lp__look_after_move(lp__pool *p);
static int lp__any_slot_free(lp__pool *p);
static int lp__restricted_wake(lp__pool *p, const lp_wait *own);
static int lp__nudge_head(lp__pool *p, const lp_wait *own);
enum { LP__NUDGED, LP__NEEDS_RETRY, LP__CLAIMER_LOOKS, LP__NOBODY_LIVE, LP__OWN_HEAD }; /* lp__nudge_head */
static int lp__pass_dead(lp__pool *p, uint32_t end);

/* The owner's last touch of its cell (from READY): the next round may claim it. A sweep
 * may have stopped at a later ticket of this cell while we held it (see lp__sweep): look. */
static inline void lp__recycle(lp__pool *p, lp__cell *c, uint32_t t) {
    /* seq_cst (release would order our reads of slot/rec before the next claimer's writes,
     * but not this store before our look at the queue): Dekker with a claimer that reads the
     * cell, finds it still ours and skips its ticket (tail CAS). Either it sees EMPTY and
     * claims, or we see the tail it moved and sweep the skipped ticket; with a release store
     * both could miss, leaving a dead ticket at the head (FAIR try_get: LP_EMPTY with free
     * slots until the next get). */
    lp_store_seq_cst(&c->word, lp__word(lp__next_round(p, lp__round_of(p, t)), LP__CELL_EMPTY));
    if (!lp__queue_empty_seq_cst(p)) lp__sweep(p);
}

static inline uint64_t lp__now_ns(const lp__pool *p) { return p->clock_ns ? p->clock_ns() : 0u; }

/* Has a wait that began at `since` waited longer than `bound`? Exact for any age (64-bit ns:
 * 584 years); a `since` after `now` (a torn or next-round read of a cell, or a clock that
 * went back) reads as age 0. Only subtraction and comparison: no libgcc call on Cortex-M4. */
static inline int lp__waited_longer(uint64_t now, uint64_t since, uint64_t bound) {
    return now > since && now - since > bound;
}

/* Wait out a server that owns the cell (GRANTED: writing the slot, maybe calling a waker),
 * then read the slot. Always reloads: the caller's word may come from a failed CAS whose
 * failure order is relaxed, which would not order our read of the slot. */
static uint32_t lp__await_ready(lp__cell *c) {
    /* acquire: pairs with the server's READY store: the slot, and its last touch of rec */
    while (lp__state(lp_load_acquire(&c->word)) != LP__CELL_READY) lp_relax();
    return c->slot;
}

/* ---- set-up ------------------------------------------------------------------ */

size_t lp_storage_size(uint32_t nslots, uint32_t ncells) {
    if (nslots == 0u || nslots > LP_MAX_SLOTS || ncells > LP_MAX_WAITERS) return 0;
    return sizeof(lp_pool) + (size_t)nslots * sizeof(lp_slot) + (size_t)ncells * sizeof(lp_cell);
}

static int lp__misaligned(const void *ptr) { return ((uintptr_t)ptr & (LP_CACHELINE - 1u)) != 0u; }

static void lp__reset_queue(lp__pool *p, uint32_t rounds) {
    p->rounds = rounds;
    p->limit = p->ncells * rounds;
    for (uint32_t i = 0; i < p->ncells; i++) lp_store_relaxed(&p->cells[i].word, lp__word(0u, LP__CELL_EMPTY));
    lp_store_relaxed(&p->head, 0u);
    /* release: a thread that is handed the pool through a release/acquire pair sees it set up */
    lp_store_release(&p->tail, 0u);
}

lp_status lp_init(lp_pool *pool, lp_slot *slots, uint32_t nslots, lp_cell *cells, uint32_t ncells,
                  lp_mode mode) {
    if (!pool || lp__misaligned(pool)) return LP_EINVAL;
    lp__pool *p = lp__of(pool);
    /* Unusable until set-up succeeds: after a failed lp_init every call returns LP_EINVAL,
     * whatever the storage held before. */
    p->magic = 0u;
    if (!slots || nslots == 0u || nslots > LP_MAX_SLOTS || ncells > LP_MAX_WAITERS) return LP_EINVAL;
    if ((ncells > 0u) != (cells != 0)) return LP_EINVAL;
    if (mode != LP_FAIR && mode != LP_BARGING && mode != LP_BOUNDED && mode != LP_RESTRICTED) return LP_EINVAL;
    if (lp__misaligned(slots) || (cells && lp__misaligned(cells))) return LP_EINVAL;

    p->slots = (lp__slot *)(void *)slots;
    p->cells = (lp__cell *)(void *)cells;
    p->nslots = nslots;
    p->ncells = ncells;
    p->mode = (uint32_t)mode;
    p->fair_mask = mode == LP_FAIR ? ~0u : 0u;
    p->bound_ns = LP_FAIRNESS_BOUND_DEFAULT_NS;
    p->clock_ns = 0;
    p->retry_wakes = LP_RETRY_WAKES_DEFAULT;
    p->bypass_turns = LP_BYPASS_BOUND_DEFAULT;
    lp_store_relaxed(&p->turns, 0u);
    lp_store_relaxed(&p->rotating, 0u);
    lp_store_relaxed(&p->starving, 0u);
    lp_store_relaxed(&p->woken, 0u);
    for (uint32_t i = 0; i < nslots; i++) {
        lp_store_relaxed(&p->slots[i].state, LP__FREE);
        p->slots[i].created = 0u;
    }
    p->magic = LP__POOL_MAGIC; /* published with the rest by the release store of tail below */
    /* A ring of 0 cells: keep limit non-zero so ticket arithmetic is defined. */
    if (ncells == 0u) {
        p->rounds = 1u;
        p->limit = 1u;
        lp_store_relaxed(&p->head, 0u);
        lp_store_release(&p->tail, 0u);
    } else {
        lp__reset_queue(p, LP__ROUND_SPACE / ncells);
    }
    return LP_OK;
}

lp_status lp_init_in(void *mem, size_t len, uint32_t nslots, uint32_t ncells, lp_mode mode) {
    if (!mem || lp__misaligned(mem)) return LP_EINVAL;
    const size_t need = lp_storage_size(nslots, ncells);
    if (need == 0u || len < need) {
        /* as a failed lp_init: storage that held a pool no longer passes for one */
        if (len >= sizeof(lp_pool)) lp__of((lp_pool *)mem)->magic = 0u;
        return LP_EINVAL;
    }
    /* lp_storage_size's layout; every piece is a whole number of cache lines, so each stays aligned */
    lp_pool *pool = (lp_pool *)mem;
    lp_slot *slots = (lp_slot *)(void *)(pool + 1);
    lp_cell *cells = ncells ? (lp_cell *)(void *)(slots + nslots) : 0;
    return lp_init(pool, slots, nslots, cells, ncells, mode);
}

lp_status lp__test_set_rounds(lp_pool *pool, uint32_t rounds) {
    if (!lp__valid(pool)) return LP_EINVAL;
    lp__pool *p = lp__of(pool);
    if (p->ncells == 0u || rounds < 4u || rounds > LP__ROUND_SPACE / p->ncells) return LP_EINVAL;
    if (!lp__queue_empty_seq_cst(p)) return LP_EINVAL;
    for (uint32_t i = 0; i < p->ncells; i++) {
        uint32_t w = lp_load_acquire(&p->cells[i].word);
        if ((w & LP__STATE_MASK) != LP__CELL_EMPTY) return LP_EINVAL;
    }
    lp__reset_queue(p, rounds);
    return LP_OK;
}

lp_status lp_set_fairness_bound(lp_pool *pool, uint64_t bound_ns, uint64_t (*clock_ns)(void)) {
    if (!lp__valid(pool) || !clock_ns) return LP_EINVAL;
    lp__pool *p = lp__of(pool);
    if (p->mode != LP_BOUNDED) return LP_EINVAL;
    p->bound_ns = bound_ns == 0u ? LP_FAIRNESS_BOUND_DEFAULT_NS : bound_ns;
    p->clock_ns = clock_ns;
    return LP_OK;
}

uint32_t lp_slot_count(const lp_pool *pool) { return lp__valid(pool) ? lp__cof(pool)->nslots : 0u; }
uint32_t lp_waiter_capacity(const lp_pool *pool) { return lp__valid(pool) ? lp__cof(pool)->ncells : 0u; }
lp_mode lp_pool_mode(const lp_pool *pool) {
    return lp__valid(pool) ? (lp_mode)lp__cof(pool)->mode : LP_MODE_INVALID;
}

void lp_wait_init(lp_wait *wait) {
    if (!wait) return;
    wait->lp__ticket_ = 0u;
    wait->lp__state_ = LP__WAIT_IDLE;
    wait->lp__since_ = 0u;
    wait->lp__waker_.wake = 0;
    wait->lp__waker_.ctx = 0;
    wait->lp__pool_ = 0;
    wait->lp__born_ = 0u;
    wait->lp__pad_ = 0u;
}

lp_status lp_set_bypass_bound(lp_pool *pool, uint32_t releases) {
    if (!lp__valid(pool) || releases == 0u || releases > INT32_MAX) return LP_EINVAL;
    lp__pool *p = lp__of(pool);
    if (p->mode != LP_RESTRICTED) return LP_EINVAL;
    p->bypass_turns = releases;
    return LP_OK;
}

lp_status lp_set_retry_wakes(lp_pool *pool, uint32_t max_in_flight) {
    if (!lp__valid(pool)) return LP_EINVAL;
    lp__pool *p = lp__of(pool);
    if (p->mode == LP_FAIR) return LP_EINVAL;
    p->retry_wakes = max_in_flight == 0u ? UINT32_MAX : max_in_flight;
    return LP_OK;
}

/* ---- the fast path ------------------------------------------------------------ */

/* Scan all slots once from `start`; read before CAS so busy lines are not written. */
static int lp__scan(lp__pool *p, uint32_t start, uint32_t *slot) {
    uint32_t n = p->nslots, i = start;
    for (uint32_t k = 0; k < n; k++) {
        lp__slot *s = &p->slots[i];
        uint32_t expected = LP__FREE;
        /* relaxed peek: only a hint; the CAS decides */
        if (lp_load_relaxed(&s->state) == LP__FREE &&
            /* acquire: see everything the previous holder wrote to the object */
            lp_cas_acquire(&s->state, &expected, LP__HELD)) {
            *slot = i;
            return 1;
        }
        if (++i == n) i = 0;
    }
    return 0;
}

/* Per-caller start without TLS (freestanding): threads' stacks lie at different
 * addresses, so the page of this frame, hashed, spreads callers over the slots. The
 * multiply-shift maps it to [0, nslots) without a division. */
static inline uint32_t lp__caller_hint(const lp__pool *p) {
    char frame;
    uint32_t h = (uint32_t)((uintptr_t)&frame >> 12) * 2654435761u;
    return (uint32_t)(((uint64_t)h * p->nslots) >> 32);
}

/* The fast path: one probe at `start`, inline; the rest of the scan out of line. */
static inline lp_status lp__try_get_at(lp__pool *p, uint32_t start, uint32_t *slot) {
    /* FAIR: a newcomer never passes queued waiters. relaxed: a waiter queued before this
     * call began is visible by coherence; one queued concurrently is unordered with us. */
    if ((lp_load_relaxed(&p->head) ^ lp_load_relaxed(&p->tail)) & p->fair_mask) return LP_EMPTY;
    lp__slot *s = &p->slots[start];
    uint32_t expected = LP__FREE;
    /* relaxed peek, then acquire CAS: see everything the previous holder wrote */
    if (__builtin_expect(lp_load_relaxed(&s->state) == LP__FREE && lp_cas_acquire(&s->state, &expected, LP__HELD), 1)) {
        *slot = start;
        return LP_OK;
    }
    return lp__scan(p, start, slot) ? LP_OK : LP_EMPTY;
}

lp_status lp_try_get_from(lp_pool *pool, uint32_t hint, uint32_t *slot) {
    if (!lp__valid(pool) || !slot) return LP_EINVAL;
    lp__pool *p = lp__of(pool);
    return lp__try_get_at(p, hint < p->nslots ? hint : hint % p->nslots, slot);
}

lp_status lp_try_get(lp_pool *pool, uint32_t *slot) {
    if (!lp__valid(pool) || !slot) return LP_EINVAL;
    lp__pool *p = lp__of(pool);
    return lp__try_get_at(p, lp__caller_hint(p), slot);
}

/* ---- serving the queue ----------------------------------------------------------- */

/* LP__GAVE_SLOT: a "retry" meant for a parked wait was a free slot instead (lp__deliver); the
 * serving caller still holds the retry token it took for it. */
enum { LP__DELIVERED, LP__SKIPPED, LP__NOBODY, LP__GAVE_SLOT };

/* Marks a sync-layer wait (lp__get_async_parked): its waker's ctx is this address. Read by
 * the server from the record's waker, written before publication, so no race. */
static const char lp__parked_marker;
#define LP__PARKED_CTX ((void *)&lp__parked_marker)


/* Give `slot` (or LP__NO_SLOT: "retry") to ticket t. The caller won the head CAS for t,
 * so it is t's only server. Returns LP__SKIPPED if t has no live waiter. A retry deposits a
 * token: the caller's if `has_token`, else one taken here (the dead-ticket pass of
 * lp__pass_dead, which holds none and meets a live wait only when a late claim raced it).
 * RESTRICTED: a retry that reaches a published sync-layer wait is a free slot instead, if one
 * can be taken (LP__GAVE_SLOT: no token deposited): served a retry, that wait would leave the
 * queue and, until its thread runs again and re-queues at the back, be overtaken by every grant
 * with no tick to bound them (pool/DESIGN.md, "The bound"). Only if every slot is held does it
 * still get the retry (and starves at once, lp__wait_requeues). */
static int lp__deliver(lp__pool *p, uint32_t t, uint32_t slot, int has_token) {
    lp__cell *c = lp__cell_of(p, t);
    uint32_t r = lp__round_of(p, t);
    /* seq_cst: a late claimer writes the cell then reads head; we wrote head, now read
     * the cell: one of us sees the other (see the orphan check in lp__claim) */
    uint32_t w = lp_load_seq_cst(&c->word);
    for (;;) {
        if (lp__round(w) != r) return LP__SKIPPED; /* t was skipped, or already retired */
        uint32_t from = lp__state(w);
        switch (from) {
        case LP__CELL_EMPTY:     /* nobody claimed t (skipped, or a slow claimer): kill it */
        case LP__CELL_CANCELLED: /* a withdrawn wait: recycle its cell */
            /* seq_cst: a failed late claim must see this (its claim CAS then fails) */
            if (lp_cas_seq_cst(&c->word, &w, lp__word(lp__next_round(p, r), LP__CELL_EMPTY))) return LP__SKIPPED;
            break;
        case LP__CELL_CLAIMING: /* owner still inside the library (enqueue, rescan): it collects, no waker */
        case LP__CELL_WAITING:  /* published: call its waker */
        case LP__CELL_UPDATING: /* owner inside lp_wait_poll: it collects, no waker */
            /* acq_rel: acquire the record (WAITING); from here only we write the cell, so
             * the owner can neither cancel nor free its record until READY */
            if (!lp_cas_acq_rel(&c->word, &w, lp__word(r, LP__CELL_GRANTED))) break;
            int result = LP__DELIVERED;
            if (slot == LP__NO_SLOT && from == LP__CELL_WAITING && p->mode == LP_RESTRICTED &&
                c->rec->lp__waker_.ctx == LP__PARKED_CTX && lp__scan(p, lp__caller_hint(p), &slot))
                result = LP__GAVE_SLOT; /* the scan's acquire CAS + READY's release: its contents */
            if (slot == LP__NO_SLOT && !has_token)
                /* seq_cst: as lp__token_take's CAS (its recipient's drop pairs with it). May pass
                 * retry_wakes by one: the limit is a cap on futile wakes, not a count to keep. */
                lp_fetch_add_seq_cst(&p->woken, 1u);
            c->slot = slot;
            if (from == LP__CELL_WAITING) {
                lp_wait *rec = c->rec;
                if (rec->lp__waker_.ctx == LP__PARKED_CTX) {
                    /* The sync layer's wake touches only this cell's park word (pool memory),
                     * so READY goes first: the woken thread, which may preempt us on this
                     * CPU, finds its slot at once instead of spinning on us. A late wake of
                     * a recycled cell is a spurious wake for its next user, which re-checks.
                     * release: as below. */
                    void (*wake)(void *) = rec->lp__waker_.wake;
                    lp_store_release(&c->word, lp__word(r, LP__CELL_READY));
                    wake(&c->park);
                    return result;
                } else {
                    lp_waker wk = rec->lp__waker_;
                    wk.wake(wk.ctx);
                }
            }
            /* release: slot visible to the owner; it may reuse rec and ctx only now */
            lp_store_release(&c->word, lp__word(r, LP__CELL_READY));
            return result;
        default: /* GRANTED/READY of round r: only t's server sets them; never us twice */
            return LP__SKIPPED;
        }
    }
}

/* Serve the oldest waiter with `slot` (held by the caller), or with LP__NO_SLOT ("retry", the
 * caller holding a token for it; LP__GAVE_SLOT: it still does, see lp__deliver).
 * With nobody left, a held slot is unlocked, then the queue re-checked (a waiter may have
 * enqueued after our look). */
static int lp__serve(lp__pool *p, uint32_t slot) {
    for (;;) {
        /* seq_cst: Dekker pairing with the enqueuer (tail CAS, then slot rescan) */
        uint32_t h = lp_load_seq_cst(&p->head);
        if (h == lp_load_seq_cst(&p->tail)) {
            if (slot == LP__NO_SLOT) return LP__NOBODY;
            lp__slot *s = &p->slots[slot];
            /* seq_cst: unlock, then look at tail again (the same pairing) */
            lp_xchg_seq_cst(&s->state, LP__FREE);
            if (lp__queue_empty_seq_cst(p)) return LP__DELIVERED;
            uint32_t expected = LP__FREE;
            /* acquire: we hold it again; if someone beat us to it, they now serve */
            if (!lp_cas_acquire(&s->state, &expected, LP__HELD)) return LP__DELIVERED;
            continue;
        }
        /* seq_cst: claiming ticket h orders with claimers, sweepers and cancellers */
        if (!lp_cas_seq_cst(&p->head, &h, lp__next_ticket(p, h))) continue;
        int r = lp__deliver(p, h, slot, 1);
        if (r != LP__SKIPPED) {
            lp__sweep(p); /* dead tickets behind the one served must not look like waiters */
            if (slot != LP__NO_SLOT) lp__look_after_move(p);
            return r;
        }
    }
}

/* Advance head over tickets with no live waiter (cancelled, skipped, killed), so they
 * neither make FAIR try_get fail nor hold cells. Anyone may. Stops at the first ticket that
 * is live or not *stably* dead: the sweep reads the cell before it moves head (a server does
 * the opposite), so it may only pass a ticket no late claimer can still take:
 *   EMPTY(r)            kill it first (CAS to EMPTY(r+1): a late claim then fails), then pass;
 *   CANCELLED(r), newer final for round r: pass (and recycle a cancelled cell);
 *   older round         the cell still holds an earlier ticket's waiter, and once its owner
 *                       recycles it a late claimer could take t: stop; that owner re-sweeps
 *                       (lp__recycle).
 * Only tickets queued before our tail look (`end`): every caller sweeps for tickets already
 * queued then (its cancelled or skipped ticket, the ones behind a served ticket or its
 * recycled cell), and a ticket queued later has its own sweeper. Without the bound a sweeper
 * could pass a canceller's new tickets for ever (the livelock in verify/README.md); with it,
 * the sweep is wait-free: a lost head CAS means head moved, a failed kill is followed by a
 * return (claimed) or a head CAS, so about two iterations per ticket below `end`. */
static void lp__sweep(lp__pool *p) {
    uint32_t h = lp_load_seq_cst(&p->head);
    uint32_t end = lp_load_seq_cst(&p->tail);
    for (;; h = lp_load_seq_cst(&p->head)) {
        if (lp__head_reached(p, h, end)) return;
        lp__cell *c = lp__cell_of(p, h);
        uint32_t r = lp__round_of(p, h);
        /* seq_cst: a canceller writes the cell then reads head; we read the cell then write
         * head: all four seq_cst, so a cancel at the head is seen by one of us. */
        uint32_t w = lp_load_seq_cst(&c->word);
        int cmp = lp__round_cmp(p, lp__round(w), r);
        if (cmp < 0) return;
        if (cmp == 0 && lp__state(w) == LP__CELL_EMPTY) {
            /* seq_cst: as the server's kill; on failure a claim won: re-read */
            if (!lp_cas_seq_cst(&c->word, &w, lp__word(lp__next_round(p, r), LP__CELL_EMPTY))) continue;
        } else if (cmp == 0 && lp__state(w) != LP__CELL_CANCELLED) {
            return; /* live: claimed, waiting, or being served */
        }
        if (lp_cas_seq_cst(&p->head, &h, lp__next_ticket(p, h)) && cmp == 0 && lp__state(w) == LP__CELL_CANCELLED)
            /* we own t's retirement; a failure means an enqueuer already brought it forward */
            (void)lp_cas_seq_cst(&c->word, &w, lp__word(lp__next_round(p, r), LP__CELL_EMPTY));
    }
}

/* RESTRICTED: the head-mover's half of the nudge pairing. A releaser nudges the parked head it
 * reads after its seq_cst unlock, and the nudged wait keeps its place. If that wait stops being
 * the head before it looks (handed a slot by another release, or withdrawn), whoever moved it
 * looks at the slots here, after its seq_cst head move: in the single total order the
 * releaser's head read came before that move, so its unlock did too, and is seen. A retry
 * serve needs no look: its woken waiter looks when its retry ends (lp__token_drop). */
static void lp__look_after_move(lp__pool *p) {
    if (p->mode == LP_RESTRICTED && !lp__queue_empty_seq_cst(p) && lp__any_slot_free(p)) lp__restricted_wake(p, 0);
}

/* ---- the retry token (BARGING/BOUNDED/RESTRICTED) --------------------------------------- */

/* Go's mutexWoken, generalised to a few: at most p->retry_wakes "retry" wakes are in flight,
 * each a token — deposited in a waiter's cell, or collected by a wait that has not finished
 * its retry; `woken` counts them. A release with waiters wakes the oldest only if it takes a
 * token; otherwise it leaves its free slot to the holders, each of which looks at the slots
 * when it drops its token (lp__token_drop). Without the limit every release during one
 * wake-up's latency wakes another waiter, and most of them lose their retry to a barger and
 * park again: futile wake-ups that, oversubscribed, cost the holders their CPU. With one
 * token, one slot and threads > CPUs the opposite happens: the single woken waiter is often
 * not yet running when the slot comes free, and the other CPU idles (pool/DESIGN.md has the
 * measurements behind the default of 4). */
static int lp__token_take(lp__pool *p) {
    /* seq_cst load and CAS: a release that reads the count at the limit and leaves its slot
     * (unlocked by its seq_cst XCHG before) relies on a holder's seq_cst decrement coming
     * later in the single total order, so that holder's slot look after it sees the unlock
     * (Dekker: slot vs woken). A failed CAS re-reads and retries; a holder that took the
     * token meanwhile has the same duty. */
    uint32_t n = lp_load_seq_cst(&p->woken);
    while (n < p->retry_wakes)
        if (lp_cas_seq_cst(&p->woken, &n, n + 1u)) return 1;
    return 0;
}

/* seq_cst loads: the holder's half of the pairing above. */
static int lp__any_slot_free(lp__pool *p) {
    for (uint32_t i = 0; i < p->nslots; i++)
        if (lp_load_seq_cst(&p->slots[i].state) == LP__FREE) return 1;
    return 0;
}

/* The holder's retry is over (it took a slot, re-queued, or was cancelled): give the token
 * back, then do what the releases that found none left to take left to us. */
static void lp__token_drop(lp__pool *p) {
    for (;;) {
        /* seq_cst: see lp__token_take */
        lp_fetch_sub_seq_cst(&p->woken, 1u);
        if (lp__queue_empty_seq_cst(p) || !lp__any_slot_free(p)) return;
        if (p->mode == LP_RESTRICTED && lp__nudge_head(p, 0) != LP__NEEDS_RETRY) return;
        if (!lp__token_take(p)) return;
        /* nobody after all, or a free slot went instead of our retry: drop that one too */
        if (lp__serve(p, LP__NO_SLOT) == LP__DELIVERED) return;
    }
}

/* A release saw waiters: wake the oldest to retry, unless retry_wakes retries are in flight. */
static void lp__wake_retry(lp__pool *p) {
    if (lp__token_take(p) && lp__serve(p, LP__NO_SLOT) != LP__DELIVERED) lp__token_drop(p);
}

/* RESTRICTED: wake the oldest live waiter about a free slot without taking it off the queue,
 * if it is a published sync-layer wait: its park word (pool memory, so no ownership of the
 * cell is needed) is woken, and it looks for a free slot (lp__take_instead) or parks again,
 * keeping its place. Dead tickets are passed. LP__NEEDS_RETRY: the oldest is an lp_get_async
 * wait, whose waker may only be called by the server that owns its cell: the caller wakes the
 * oldest to retry (BARGING's token path). LP__OWN_HEAD: the oldest is `own` (the caller's own
 * lp_get_async wait, in its post-publish look; 0 for everyone else), which takes a free slot
 * itself (lp__take_own): a retry served to itself would move head past it while a releaser
 * re-takes its slot to hand it over, then finds the queue empty (the `served` trail in
 * verify/README.md). LP__CLAIMER_LOOKS: the oldest is still being
 * enqueued (CLAIMING): it looks at the slots itself after publishing (lp__acquire).
 * No live ticket before the tail we read: a wait queued after that read looks at the slots after
 * publishing (the same pairing as CLAIMING), so LP__NOBODY_LIVE: a retry would reach such a wait
 * and take its place in the queue from it (a parked wait would re-queue at the back). Dead
 * tickets passed on the way are swept; those the sweep cannot pass yet, lp__pass_dead passes,
 * never beyond that tail.
 * seq_cst loads: the releaser's half of the pairings in pool/DESIGN.md (a releaser that reads
 * CLAIMING, or a head that is moved away afterwards, was ordered after its unlock). */
static int lp__nudge_head(lp__pool *p, const lp_wait *own) {
  walk:;
    uint32_t h = lp_load_seq_cst(&p->head), end = lp_load_seq_cst(&p->tail);
    int dead = 0;
    for (; h != end; h = lp__next_ticket(p, h)) {
        lp__cell *c = lp__cell_of(p, h);
        /* seq_cst (acquire is what reading the nudge field needs: a WAITING word of round r
         * makes it visible and shows the cell still belongs to ticket h) */
        uint32_t w = lp_load_seq_cst(&c->word);
        if (lp__round(w) != lp__round_of(p, h)) { /* skipped or retired */
            dead = 1;
            continue;
        }
        switch (lp__state(w)) {
        case LP__CELL_WAITING: {
            lp__wake_fn nudge = lp_load_relaxed(&c->nudge); /* relaxed: ordered by the load above */
            /* ticket h of round r is ours only while we hold it (published, not yet collected) */
            if (!nudge) return own && h == own->lp__ticket_ ? LP__OWN_HEAD : LP__NEEDS_RETRY;
            /* The cell may be served, cancelled or recycled from here on: a late nudge is a
             * spurious wake of whoever waits on this park word then, which re-checks. */
            nudge(&c->park);
            return LP__NUDGED;
        }
        case LP__CELL_UPDATING: return LP__NEEDS_RETRY; /* an async wait replacing its waker */
        case LP__CELL_CLAIMING: return LP__CLAIMER_LOOKS;
        case LP__CELL_EMPTY:
        case LP__CELL_CANCELLED: dead = 1; continue;
        default: continue; /* GRANTED/READY: being served; its server sweeps behind it */
        }
    }
    if (!dead) return LP__NOBODY_LIVE;
    /* Dead tickets only: pass them. A sweep stops at one whose cell an older round still holds,
     * which only a server's head move passes: lp__pass_dead's. */
    lp__sweep(p);
    /* A pass that served a ticket which turned live may have served the wait a releaser nudged
     * meanwhile, leaving that releaser's slot free: look again (lp__look_after_move's duty). */
    if (lp__pass_dead(p, end) && !lp__queue_empty_seq_cst(p) && lp__any_slot_free(p)) goto walk;
    return LP__NOBODY_LIVE;
}

/* RESTRICTED: move head over the tickets before `end` (a tail read by a nudge walk that found none
 * of them live) as a server does: head CAS first, then the cell (lp__deliver), so a late claimer
 * of a lapped ticket is either served or sees head past it and withdraws; a sweep, which reads
 * the cell first, cannot pass such a ticket. It was once a retry serve, unbounded: it reached
 * waits queued after `end` (they look at the slots themselves after publishing) and took their
 * place in the queue from them. A ticket that did turn live (a late claim since the walk) is
 * served as a retry would be, a parked one with a free slot if one can be taken (lp__deliver).
 * Returns whether one was. Wait-free: each iteration either moves head or sees it moved (at most
 * end - head of them). */
static int lp__pass_dead(lp__pool *p, uint32_t end) {
    int served = 0;
    for (;;) {
        /* seq_cst: as in lp__serve (the head CAS orders with claimers, sweepers, cancellers) */
        uint32_t h = lp_load_seq_cst(&p->head);
        if (lp__head_reached(p, h, end)) break;
        if (lp_cas_seq_cst(&p->head, &h, lp__next_ticket(p, h)) && lp__deliver(p, h, LP__NO_SLOT, 0) != LP__SKIPPED)
            served = 1;
    }
    return served;
}

/* RESTRICTED: a slot may be free for the waiters (after an unlock that saw them, a head move,
 * a publish): nudge a parked oldest waiter, or wake an async one to retry. `own`: as in
 * lp__nudge_head; the walk's result is returned. */
static int lp__restricted_wake(lp__pool *p, const lp_wait *own) {
    int r = lp__nudge_head(p, own);
    if (r == LP__NEEDS_RETRY) lp__wake_retry(p);
    return r;
}

/* RESTRICTED: have bypass_turns contended releases passed since `born`? The modular difference
 * is exact while a wait lasts fewer than 2^31 contended releases. */
static inline int lp__past_bypass_bound(lp__pool *p, uint32_t born) {
    /* relaxed: a clock read racily; a stale value only delays one hand-off by a release */
    return lp_load_relaxed(&p->turns) - born >= p->bypass_turns;
}

/* RESTRICTED: is a live wait queued at or after the head? Dead tickets at the head (cancelled,
 * or skipped while an older round still held their cell, which a sweep cannot pass yet) are
 * looked past. A wait still being enqueued (CLAIMING) counts: a hand-off reaches it as FAIR's
 * does (deposited in its cell, collected by its publish), and an lp_get_async wait that keeps
 * re-queueing after lost retries spends much of its time CLAIMING, so a rule that looked past it
 * could be dodged at every release and leave a starving wait unserved for ever (the `served`
 * counterexample in verify/README.md). The look ends at the tail read first; it passes more than
 * a ticket or two only after many cancellations. */
static int lp__waiter_queued(lp__pool *p) {
    /* relaxed: a heuristic's input, as in lp__head_starving; the end only bounds the look */
    uint32_t h = lp_load_relaxed(&p->head), end = lp_load_relaxed(&p->tail);
    for (; h != end; h = lp__next_ticket(p, h)) {
        /* relaxed: only the state is used, as a hint (a stale word delays one hand-off) */
        uint32_t w = lp_load_relaxed(&lp__cell_of(p, h)->word);
        if (lp__round(w) != lp__round_of(p, h)) continue; /* skipped or already retired */
        switch (lp__state(w)) {
        case LP__CELL_CLAIMING:
        case LP__CELL_WAITING:
        case LP__CELL_UPDATING: return 1;
        case LP__CELL_EMPTY:
        case LP__CELL_CANCELLED: continue;
        default: continue; /* GRANTED/READY: being served (head moved past it since we read it) */
        }
    }
    return 0;
}

/* What lp__restricted_turn tells a release: no hand-off (0), a hand-off with no rotation to
 * complete (a wait starves), or a hand-off completing the rotation whose tag it returns (odd). */
#define LP__TURN_NONE 0u
#define LP__TURN_HAND_OFF 2u

/* RESTRICTED: a release that found a waiter ticks the rotation clock; every bypass_turns-th tick
 * is a rotation: a hand-off to the queue's head. A rate, not an age: with Q waiters each due
 * after B ticks, the pool would hand off on every release (the FIFO convoy: pool/DESIGN.md); at
 * one hand-off per B ticks, a waiter with k waiters ahead is served within (k + 1) * B ticks
 * (pool/DESIGN.md, "The bound"). A rotation stays pending (`rotating`, its tag) until a hand-off
 * made after it lands, and every tick meanwhile hands off too: with several slots, a rotating
 * releaser descheduled between its tick and its hand-off would otherwise let the other slots
 * grant past the head for as long as it is off the CPU. While a wait starves, every tick hands
 * off. relaxed RMW: a counter on its own line; no ordering hangs on it. */
static uint32_t lp__restricted_turn(lp__pool *p) {
    if (!lp__waiter_queued(p)) return LP__TURN_NONE;
    uint32_t t = lp_fetch_add_relaxed(&p->turns, 1u) + 1u;
    /* relaxed: on the line our RMW just took; a stale 0 lets one more release barge */
    uint32_t pending = lp_load_relaxed(&p->rotating);
    if (pending != 0u) return pending;
    if (t % p->bypass_turns == 0u) {
        /* relaxed: as above; a tag overwritten by a later rotation's is completed by its hand-off */
        lp_store_relaxed(&p->rotating, t | 1u);
        return t | 1u;
    }
    /* relaxed: a stale count only delays or prolongs the hand-offs by one release */
    return lp_load_relaxed(&p->starving) != 0u ? LP__TURN_HAND_OFF : LP__TURN_NONE;
}

/* A hand-off decided by lp__restricted_turn has landed (lp__serve returned): the rotation it
 * was made for, if any (an odd tag), is complete. relaxed CAS: only the tag's value matters; a
 * newer rotation's tag stays pending for its own hand-off. */
static void lp__rotation_landed(lp__pool *p, uint32_t turn) {
    if (turn & 1u) (void)lp_cas_relaxed(&p->rotating, &turn, 0u);
}

/* BOUNDED: is some queued wait past the bound? Either the oldest (its cell's since), or one
 * that already lost a retry past the bound and re-queued behind younger ones (the starving
 * count). Then releases hand off in queue order until it is served, as Go's sync.Mutex does in
 * starvation mode: without that, a wait that keeps losing retries and re-queueing at the back
 * is bounded by nothing. A racy heuristic by design: it only chooses hand-off or barging. */
static int lp__head_starving(lp__pool *p) {
    if (!p->clock_ns) return 0;
    /* relaxed: a stale count only delays or prolongs the hand-offs by one release */
    if (lp_load_relaxed(&p->starving) != 0u) return 1;
    uint32_t h = lp_load_relaxed(&p->head);
    if (h == lp_load_relaxed(&p->tail)) return 0;
    lp__cell *c = lp__cell_of(p, h);
    /* relaxed, two halves: a read torn between two enqueues of the cell mixes their stamps,
     * which, like a stale read, can only make one release choose wrongly (DESIGN.md) */
    uint64_t since = (uint64_t)lp_load_relaxed(&c->since_hi) << 32 | lp_load_relaxed(&c->since_lo);
    return lp__waited_longer(lp__now_ns(p), since, p->bound_ns);
}

/* A waiter enqueued while we unlocked (seen by the seq_cst look after the unlock).
 * `counted`: this release already ticked RESTRICTED's bypass clock. */
LP__COLD static void lp__after_unlock(lp__pool *p, uint32_t slot, int counted) {
    uint32_t expected = LP__FREE;
    if (p->mode == LP_RESTRICTED) {
        /* A release whose hint missed the waiter: tick as lp__release_slow does, and if this
         * tick hands off, take the slot back (as FAIR below) and hand it over. If a running
         * thread took the slot first, a rotation stays pending and the next tick makes it. */
        uint32_t turn = counted ? LP__TURN_NONE : lp__restricted_turn(p);
        /* acquire: we hold it again */
        if (turn != LP__TURN_NONE && lp_cas_acquire(&p->slots[slot].state, &expected, LP__HELD)) {
            lp__serve(p, slot);
            lp__rotation_landed(p, turn);
            return;
        }
        lp__restricted_wake(p, 0);
    } else if (p->mode == LP_FAIR) {
        /* Take the slot back and hand it over. If the CAS fails, the taker (a waiter's
         * rescan, or a try_get that ran before the enqueue) is responsible for it.
         * acquire: we hold it again. */
        if (lp_cas_acquire(&p->slots[slot].state, &expected, LP__HELD)) lp__serve(p, slot);
    } else {
        lp__wake_retry(p);
    }
}

/* Release with waiters in sight (any mode), or a discard: the slow path. */
LP__COLD static lp_status lp__release_slow(lp__pool *p, uint32_t slot, int discard) {
    lp__slot *s = &p->slots[slot];
    /* relaxed: only our own HELD (or a stray put of a free slot) is checked */
    if (lp_load_relaxed(&s->state) != LP__HELD) return LP_ENOTHELD;
    if (discard) s->created = 0u;
    int waiters = lp_load_relaxed(&p->head) != lp_load_relaxed(&p->tail); /* relaxed: as lp__release */
    int hand_off = 0;
    uint32_t turn = LP__TURN_NONE;
    if (waiters && p->mode == LP_FAIR) hand_off = 1;
    else if (waiters && p->mode == LP_BOUNDED) hand_off = lp__head_starving(p);
    else if (waiters && p->mode == LP_RESTRICTED) hand_off = (turn = lp__restricted_turn(p)) != LP__TURN_NONE;
    if (hand_off) {
        /* Direct hand-off: the slot stays HELD, so nobody can barge past the waiter. */
        lp__serve(p, slot);
        lp__rotation_landed(p, turn);
        return LP_OK;
    }
    /* seq_cst: as in lp__release */
    if (lp_xchg_seq_cst(&s->state, LP__FREE) != LP__HELD) return LP_ENOTHELD;
    if (!lp__queue_empty_seq_cst(p)) lp__after_unlock(p, slot, waiters);
    return LP_OK;
}

static inline lp_status lp__release(lp__pool *p, uint32_t slot, int discard) {
    if (slot >= p->nslots) return LP_EINVAL;
    /* relaxed: a hint; the seq_cst look after the unlock is the one that counts */
    if (discard || lp_load_relaxed(&p->head) != lp_load_relaxed(&p->tail)) return lp__release_slow(p, slot, discard);
    lp__slot *s = &p->slots[slot];
    /* seq_cst: unlock and full fence in one RMW (release for the object's contents; the
     * fence half orders it before our tail read: Dekker with the enqueuer). Putting a
     * free slot wrote FREE over FREE: reported, nothing damaged. */
    if (lp_xchg_seq_cst(&s->state, LP__FREE) != LP__HELD) return LP_ENOTHELD;
    if (__builtin_expect(!lp__queue_empty_seq_cst(p), 0)) lp__after_unlock(p, slot, 0);
    return LP_OK;
}

lp_status lp_put(lp_pool *pool, uint32_t slot) {
    if (!lp__valid(pool)) return LP_EINVAL;
    return lp__release(lp__of(pool), slot, 0);
}

lp_status lp_put_discard(lp_pool *pool, uint32_t slot) {
    if (!lp__valid(pool)) return LP_EINVAL;
    return lp__release(lp__of(pool), slot, 1);
}

/* ---- get_or_create ------------------------------------------------------------------ */

int lp_slot_created(const lp_pool *pool, uint32_t slot) {
    if (!lp__valid(pool) || slot >= lp__cof(pool)->nslots) return 0;
    return lp__cof(pool)->slots[slot].created != 0u;
}

lp_status lp_slot_ensure(lp_pool *pool, uint32_t slot, lp_create_fn create, void *ctx) {
    if (!lp__valid(pool) || !create) return LP_EINVAL;
    lp__pool *p = lp__of(pool);
    if (slot >= p->nslots) return LP_EINVAL;
    lp__slot *s = &p->slots[slot];
    if (lp_load_relaxed(&s->state) != LP__HELD) return LP_ENOTHELD;
    if (s->created) return LP_OK;
    if (create(ctx, slot) != 0) {
        lp__release(p, slot, 1);
        return LP_ECREATE;
    }
    s->created = 1u;
    return LP_OK;
}

lp_status lp_try_get_or_create(lp_pool *pool, uint32_t *slot, lp_create_fn create, void *ctx) {
    if (!lp__valid(pool) || !slot || !create) return LP_EINVAL;
    lp_status st = lp_try_get(pool, slot);
    return st == LP_OK ? lp_slot_ensure(pool, *slot, create, ctx) : st;
}

/* ---- the async path ----------------------------------------------------------------- */

/* Is there a cell no live waiter holds? (Only asked when the ring looks full.) */
static int lp__ring_has_room(const lp__pool *p) {
    for (uint32_t i = 0; i < p->ncells; i++) {
        /* relaxed: a hint; the claim CAS decides */
        uint32_t st = lp__state(lp_load_relaxed(&p->cells[i].word));
        if (st == LP__CELL_EMPTY || st == LP__CELL_CANCELLED) return 1;
    }
    return 0;
}

/* Claim a ticket's cell, then make the ticket visible (tail past it). LP_PENDING when
 * claimed (cell CLAIMING, ours), LP_OK when a server filled the claimed cell while the
 * orphan check withdrew (*slot, or LP__NO_SLOT), LP_EFULL when every cell holds a live waiter. */
static lp_status lp__claim(lp__pool *p, lp_wait *wait, uint32_t *slot) {
    if (p->ncells == 0u) return LP_EFULL;
    for (;;) {
        uint32_t t, r, w;
        lp__cell *c;
        for (;;) {
            /* head before tail: both only move forward and head never passes tail, so the
             * pair read in this order has h <= t (read the other way, a head that moved past
             * a stale t would make the distance wrap). relaxed: only the guard uses it. */
            uint32_t h = lp_load_relaxed(&p->head);
            /* seq_cst: the enqueue half of the Dekker pairing with lp_put's unlock */
            t = lp_load_seq_cst(&p->tail);
            /* Guard: outstanding tickets stay within half the ticket space, so rounds
             * never alias (only reachable after ~2^28 cancellations behind one waiter). */
            if (lp__dist(p, h, t) >= p->limit / 2u - p->ncells) {
                lp__sweep(p); /* tickets we skipped must not outlive this call at the head */
                return LP_EFULL;
            }
            c = lp__cell_of(p, t);
            r = lp__round_of(p, t);
            /* seq_cst (acquire: the previous round's last user finished with the cell): the
             * claim half of the Dekker pairing with lp__recycle's store */
            w = lp_load_seq_cst(&c->word);
            int cmp = lp__round_cmp(p, lp__round(w), r);
            uint32_t st = lp__state(w);
            if (cmp == 0 && st == LP__CELL_EMPTY) {
                /* acq_rel: exclusive use of the cell's fields from here */
                if (lp_cas_acq_rel(&c->word, &w, lp__word(r, LP__CELL_CLAIMING))) break;
            } else if (cmp < 0 && (st == LP__CELL_EMPTY || st == LP__CELL_CANCELLED)) {
                /* Left by an older ticket that no one waits on: bring it to our round.
                 * release: as lp__recycle. A failure means someone else moved it. */
                (void)lp_cas_release(&c->word, &w, lp__word(r, LP__CELL_EMPTY));
            } else if (cmp < 0) {
                /* An older live waiter still holds ticket t's cell (the tail lapped it).
                 * If any cell is free, skip t (it stays dead); else the queue is full. */
                if (!lp__ring_has_room(p)) {
                    lp__sweep(p); /* as above */
                    return LP_EFULL;
                }
                (void)lp_cas_seq_cst(&p->tail, &t, lp__next_ticket(p, t));
            } else {
                /* t is already claimed: help its claimer move tail on (lock-free). */
                (void)lp_cas_seq_cst(&p->tail, &t, lp__next_ticket(p, t));
            }
        }
        wait->lp__ticket_ = t;
        c->rec = wait;
        lp_store_relaxed(&c->park, 0u); /* relaxed: published by the release CAS to WAITING */
        lp_store_relaxed(&c->since_lo, (uint32_t)wait->lp__since_);
        lp_store_relaxed(&c->since_hi, (uint32_t)(wait->lp__since_ >> 32));
        lp_store_relaxed(&c->born, wait->lp__born_); /* relaxed: a heuristic's input, as since */
        /* relaxed: published by the release CAS to WAITING, read only after an acquire of it */
        lp_store_relaxed(&c->nudge, wait->lp__waker_.ctx == LP__PARKED_CTX ? wait->lp__waker_.wake : (lp__wake_fn)0);
        uint32_t seen = t;
        /* seq_cst: tail past t makes us visible to releasers (Dekker); fails if helped */
        if (lp_cas_seq_cst(&p->tail, &seen, lp__next_ticket(p, t))) {
            /* Our own CAS moved tail past t, so head (never past tail) was <= t until
             * then, and whoever moves head past t read tail from this CAS or later (its
             * release sequence), i.e. after our claim: its deliver sees CLAIMING(r), a
             * sweep sees t live. No orphan possible, and an orphan check here would
             * withdraw a claim a server is serving right now (the orphan-check livelock,
             * verify/README.md). */
            return LP_PENDING; /* claimed, not yet published */
        }
        /* Someone else moved tail past t: a helper that saw our claim, or a skipper that
         * found the cell still held by an older round, after which a server may have
         * passed t before our claim. Orphan check: if head passed t, nobody will ever
         * serve t: withdraw.
         * seq_cst: pairs with the server's head CAS then cell load (lp__deliver). */
        uint32_t h = lp_load_seq_cst(&p->head);
        uint32_t claiming = lp__word(r, LP__CELL_CLAIMING);
        if (lp__dist(p, h, t) <= p->limit / 2u) return LP_PENDING; /* claimed, not yet published */
        if (lp_cas_acq_rel(&c->word, &claiming, lp__word(lp__next_round(p, r), LP__CELL_EMPTY))) continue;
        /* A server took the claimed cell after all: collect what it left. */
        *slot = lp__await_ready(c);
        lp__recycle(p, c, t);
        return LP_OK;
    }
}

/* A wait that will not use what a server gave it passes it on: a retry token is dropped
 * (which wakes the next waiter if a slot is free for it), a slot goes through the normal
 * release (never lost). */
static void lp__pass_on(lp__pool *p, uint32_t given) {
    if (given == LP__NO_SLOT) lp__token_drop(p);
    else lp__release(p, given, 0);
}

/* Our ticket is visible (tail past it) but its cell is still CLAIMING, so a server that
 * reaches it deposits without calling any waker. Any slot free now may have been released
 * before our ticket was visible. FAIR: serve it to the oldest waiter (maybe us: then our
 * cell becomes READY and lp__publish collects it). Else: take it and withdraw our ticket.
 * LP_OK when we hold a slot, LP_PENDING when still claimed. */
static lp_status lp__rescan(lp__pool *p, lp_wait *wait, uint32_t *slot) {
    lp__cell *c = lp__cell_of(p, wait->lp__ticket_);
    uint32_t r = lp__round_of(p, wait->lp__ticket_);
    for (uint32_t i = 0; i < p->nslots; i++) {
        lp__slot *s = &p->slots[i];
        uint32_t expected = LP__FREE;
        /* seq_cst load: the rescan half of the Dekker pairing; acquire CAS: object contents */
        if (lp_load_seq_cst(&s->state) != LP__FREE || !lp_cas_acquire(&s->state, &expected, LP__HELD)) continue;
        if (p->mode == LP_FAIR) {
            lp__serve(p, i);
            /* relaxed: only a shortcut; lp__publish's CAS decides */
            if (lp_load_relaxed(&c->word) != lp__word(r, LP__CELL_CLAIMING)) return LP_PENDING;
            continue;
        }
        /* BARGING/BOUNDED: keep it and withdraw our ticket. */
        uint32_t w = lp__word(r, LP__CELL_CLAIMING);
        if (lp_cas_seq_cst(&c->word, &w, lp__word(r, LP__CELL_CANCELLED))) {
            lp__sweep(p);
        } else {
            /* A server reached us first (a retry, or a BOUNDED hand-off): pass on what it
             * gave us; we keep slot i. */
            uint32_t given = lp__await_ready(c);
            lp__recycle(p, c, wait->lp__ticket_);
            lp__pass_on(p, given);
        }
        *slot = i;
        return LP_OK;
    }
    return LP_PENDING;
}

/* CLAIMING→WAITING: from now on servers call the waker. If a server deposited first, the
 * caller gets the result now (LP_OK, *slot possibly LP__NO_SLOT) and no waker is called. */
static lp_status lp__publish(lp__pool *p, lp_wait *wait, uint32_t *slot) {
    lp__cell *c = lp__cell_of(p, wait->lp__ticket_);
    uint32_t r = lp__round_of(p, wait->lp__ticket_);
    uint32_t claiming = lp__word(r, LP__CELL_CLAIMING);
    /* release: rec, since and the waker visible to the server that wins WAITING→GRANTED.
     * seq_cst: RESTRICTED's publish-then-look (lp__acquire) pairs with a releaser that read
     * this cell still CLAIMING after its unlock and so woke nobody. */
    if (lp_cas_seq_cst(&c->word, &claiming, lp__word(r, LP__CELL_WAITING))) return LP_PENDING;
    *slot = lp__await_ready(c);
    lp__recycle(p, c, wait->lp__ticket_);
    return LP_OK;
}

static void lp__wait_ended(lp__pool *p, lp_wait *wait);

/* Withdraw a published wait (CAS WAITING→CANCELLED). Won: the wait has ended and no server
 * will touch its cell or record; its ticket is swept. Lost: a server owns the cell (GRANTED,
 * its waker call made or in flight) or has deposited (READY). */
static int lp__withdraw(lp__pool *p, lp_wait *wait) {
    lp__cell *c = lp__cell_of(p, wait->lp__ticket_);
    uint32_t r = lp__round_of(p, wait->lp__ticket_);
    uint32_t w = lp__word(r, LP__CELL_WAITING);
    /* seq_cst: pairs with the sweep/serve head CAS (see lp__sweep) */
    if (!lp_cas_seq_cst(&c->word, &w, lp__word(r, LP__CELL_CANCELLED))) return 0;
    lp__wait_ended(p, wait);
    lp__sweep(p);
    lp__look_after_move(p);
    return 1;
}

/* RESTRICTED, the post-publish look found our own lp_get_async wait the oldest live one
 * (LP__OWN_HEAD): take a free slot and withdraw, as lp__take_instead. A server calls the
 * waker only after winning WAITING→GRANTED, so a won withdrawal returns LP_OK with no waker
 * call. A lost one means the waker is called, so the call must return LP_PENDING and the poll
 * a slot: the deposit is read without recycling the cell (we own it until the poll collects),
 * a slot deposited is kept there and ours released, a "retry" is replaced by ours (its token
 * dropped). The poll runs only after we return (lp_get_async), so it sees what we wrote. */
static lp_status lp__take_own(lp__pool *p, lp_wait *wait, uint32_t *slot) {
    uint32_t mine;
    if (!lp__scan(p, lp__caller_hint(p), &mine)) return LP_PENDING;
    if (lp__withdraw(p, wait)) {
        *slot = mine;
        return LP_OK;
    }
    lp__cell *c = lp__cell_of(p, wait->lp__ticket_);
    if (lp__await_ready(c) != LP__NO_SLOT) {
        lp__release(p, mine, 0);
        return LP_PENDING;
    }
    /* READY: only the owner touches the cell until it recycles it (lp__collect) */
    c->slot = mine;
    /* The retry this deposit began is over. The drop may wake the next waiter: head is past
     * our ticket, so it cannot reach us. */
    lp__token_drop(p);
    return LP_PENDING;
}

/* Scan (unless FAIR with waiters), claim a ticket, rescan, publish. The waker can only be
 * called after publication, so a call that returns LP_OK never called it. `token`: the caller
 * holds the retry token (it is retrying after a "retry" wake); so does a wait served "retry"
 * before publishing. The token is dropped before publishing or returning, so a drop that
 * wakes the oldest waiter finds us, if we are the oldest, still unpublished (no waker call). */
static lp_status lp__acquire(lp__pool *p, lp_wait *wait, uint32_t *slot, int token) {
    for (;;) {
        /* as lp_try_get (FAIR with waiters: queue behind them) */
        if (lp__try_get_at(p, lp__caller_hint(p), slot) == LP_OK) {
            if (token) lp__token_drop(p);
            return LP_OK;
        }
        uint32_t got;
        lp_status st = lp__claim(p, wait, &got);
        if (st == LP_PENDING) st = lp__rescan(p, wait, &got);
        if (token) lp__token_drop(p);
        token = 0;
        if (st == LP_PENDING) st = lp__publish(p, wait, &got);
        if (st == LP_PENDING) {
            wait->lp__state_ |= LP__WAIT_PENDING; /* keeps STARVING: a re-queued retry */
            /* RESTRICTED: a release that found our cell CLAIMING woke nobody; look for it. */
            if (p->mode == LP_RESTRICTED && lp__any_slot_free(p) && lp__restricted_wake(p, wait) == LP__OWN_HEAD)
                return lp__take_own(p, wait, slot);
            return LP_PENDING;
        }
        if (st != LP_OK) return st; /* LP_EFULL */
        if (got == LP__NO_SLOT) {
            token = 1; /* served "retry" before publishing: retry, holding the token */
            continue;
        }
        *slot = got;
        return LP_OK;
    }
}

lp_status lp_get_async(lp_pool *pool, lp_wait *wait, lp_waker waker, uint32_t *slot) {
    if (!lp__valid(pool) || !wait || !slot || !waker.wake) return LP_EINVAL;
    if (wait->lp__state_ & LP__WAIT_PENDING) return LP_ESTATE; /* on this pool or another */
    lp__pool *p = lp__of(pool);
    wait->lp__state_ = LP__WAIT_IDLE;
    wait->lp__waker_ = waker;
    wait->lp__since_ = lp__now_ns(p);
    wait->lp__pool_ = pool;
    wait->lp__born_ = lp_load_relaxed(&p->turns); /* relaxed: the bypass clock, read as a stamp */
    return lp__acquire(p, wait, slot, 0);
}

lp_status lp__get_async_parked(lp_pool *pool, lp_wait *wait, void (*wake)(void *park), uint32_t *slot) {
    if (!lp__valid(pool) || !wait || !slot || !wake) return LP_EINVAL;
    if (wait->lp__state_ & LP__WAIT_PENDING) return LP_ESTATE;
    lp__pool *p = lp__of(pool);
    wait->lp__state_ = LP__WAIT_IDLE;
    wait->lp__waker_.wake = wake;
    wait->lp__waker_.ctx = LP__PARKED_CTX;
    wait->lp__since_ = lp__now_ns(p);
    wait->lp__pool_ = pool;
    wait->lp__born_ = lp_load_relaxed(&p->turns); /* relaxed: the bypass clock, read as a stamp */
    return lp__acquire(p, wait, slot, 0);
}

lp_status lp__take_instead(lp_pool *pool, lp_wait *wait, uint32_t *slot) {
    lp__pool *p = lp__of(pool);
    uint32_t mine, given;
    if (p->mode != LP_RESTRICTED || !lp__scan(p, lp__caller_hint(p), &mine)) return LP_PENDING;
    lp_status st = lp_wait_cancel(pool, wait, &given);
    if (st == LP_CANCELLED) {
        *slot = mine;
        return LP_OK;
    }
    /* Served between our scan and the withdrawal: keep what was handed to us (it may be the
     * hand-off that bounds someone's wait: ours), release the other. */
    lp__release(p, mine, 0);
    if (st == LP_OK) *slot = given;
    return st;
}

lp_status lp__wait_check(const lp_pool *pool, const lp_wait *wait) {
    if (!lp__valid(pool) || !wait) return LP_EINVAL;
    if (!(wait->lp__state_ & LP__WAIT_PENDING)) return LP_ESTATE;
    /* The record names its pool: its ticket means nothing in another pool's ring (a poll
     * there would answer LP_PENDING for ever, a cancel spin on a cell nobody serves). */
    return wait->lp__pool_ == pool ? LP_OK : LP_EINVAL;
}

uint32_t lp__wait_position(lp_pool *pool, const lp_wait *wait) {
    lp__pool *p = lp__of(pool);
    /* relaxed: a hint; a stale head only makes us spin or park a little wrongly */
    uint32_t h = lp_load_relaxed(&p->head);
    uint32_t d = lp__dist(p, h, wait->lp__ticket_);
    return d > p->limit / 2u ? 0u : d; /* head already past us: we are being served */
}

int lp__wait_parked(const lp_wait *wait) { return wait->lp__waker_.ctx == LP__PARKED_CTX; }

lp_atomic_u32 *lp__wait_park_word(lp_pool *pool, const lp_wait *wait) {
    return &lp__cell_of(lp__of(pool), wait->lp__ticket_)->park;
}

/* BOUNDED/RESTRICTED: a wait about to re-queue after a lost retry, already past the bound,
 * counts as starving until it ends (lp__wait_ended); once per wait. RESTRICTED: so does a
 * sync-layer wait at once. It is served a retry only by a retry serve meant for an lp_get_async
 * head that left (or a late claim that raced lp__pass_dead) at an instant when every slot was
 * held (else lp__deliver gives it a free slot); it re-queues at the back, and its bound counts
 * from its first queueing, not from there. */
static void lp__wait_requeues(lp__pool *p, lp_wait *wait) {
    if (wait->lp__state_ & LP__WAIT_STARVING) return;
    if (p->mode == LP_RESTRICTED) {
        if (!lp__wait_parked(wait) && !lp__past_bypass_bound(p, wait->lp__born_)) return;
    } else {
        if (p->mode != LP_BOUNDED || !p->clock_ns) return;
        if (!lp__waited_longer(lp__now_ns(p), wait->lp__since_, p->bound_ns)) return;
    }
    wait->lp__state_ |= LP__WAIT_STARVING;
    /* relaxed: a counter read as a hint by releasers (lp__head_starving) */
    lp_fetch_add_relaxed(&p->starving, 1u);
}

static void lp__wait_ended(lp__pool *p, lp_wait *wait) {
    uint32_t was = wait->lp__state_;
    wait->lp__state_ = LP__WAIT_IDLE;
    if (was & LP__WAIT_STARVING) lp_fetch_sub_relaxed(&p->starving, 1u); /* relaxed: as above */
}

/* Take the mailbox contents (waiting out a waker call in flight) and free the cell. */
static uint32_t lp__collect(lp__pool *p, lp_wait *wait) {
    lp__cell *c = lp__cell_of(p, wait->lp__ticket_);
    uint32_t got = lp__await_ready(c);
    lp__recycle(p, c, wait->lp__ticket_);
    lp__wait_ended(p, wait);
    return got;
}

lp_status lp_wait_poll(lp_pool *pool, lp_wait *wait, const lp_waker *new_waker, uint32_t *slot) {
    if (!slot || (new_waker && !new_waker->wake)) return LP_EINVAL;
    lp_status bad = lp__wait_check(pool, wait);
    if (bad != LP_OK) return bad;
    lp__pool *p = lp__of(pool);
    lp__cell *c = lp__cell_of(p, wait->lp__ticket_);
    uint32_t r = lp__round_of(p, wait->lp__ticket_);
    /* acquire: on READY, the slot number and the server's last touch of our record */
    uint32_t w = lp_load_acquire(&c->word);
    if (w == lp__word(r, LP__CELL_WAITING) && new_waker) {
        /* acquire: no server is reading the waker once we own UPDATING */
        if (lp_cas_acquire(&c->word, &w, lp__word(r, LP__CELL_UPDATING))) {
            wait->lp__waker_ = *new_waker;
            w = lp__word(r, LP__CELL_UPDATING);
            /* release: the new waker visible to the server that wins WAITING→GRANTED */
            if (lp_cas_acq_rel(&c->word, &w, lp__word(r, LP__CELL_WAITING))) return LP_PENDING;
            /* a server deposited while we held UPDATING: it called no waker; w is READY */
        }
    }
    /* Still waiting (or our own UPDATING round trip found nothing). GRANTED means a server
     * owns the cell and our wake is being delivered: READY follows as soon as the waker
     * returns, so wait for it here — a caller woken early (another thread ran the waker's
     * effect) would otherwise see LP_PENDING with no further wake to come. This is why a
     * waker must never poll (or cancel) the same wait from inside its own call. */
    if (lp__state(w) != LP__CELL_READY && lp__state(w) != LP__CELL_GRANTED) return LP_PENDING;
    uint32_t got = lp__collect(p, wait);
    if (got != LP__NO_SLOT) {
        *slot = got;
        return LP_OK;
    }
    /* BARGING/BOUNDED "retry": try again, re-queueing at the back if we lose. */
    lp__wait_requeues(p, wait);
    lp_status st = lp__acquire(p, wait, slot, 1);
    if (st != LP_PENDING) lp__wait_ended(p, wait);
    return st;
}

lp_status lp_wait_cancel(lp_pool *pool, lp_wait *wait, uint32_t *slot) {
    lp_status bad = lp__wait_check(pool, wait);
    if (bad != LP_OK) return bad;
    lp__pool *p = lp__of(pool);
    if (lp__withdraw(p, wait)) return LP_CANCELLED;
    /* Served before we could withdraw: nothing may be lost. */
    uint32_t got = lp__collect(p, wait);
    if (got != LP__NO_SLOT && slot) {
        *slot = got;
        return LP_OK;
    }
    lp__pass_on(p, got);
    return LP_CANCELLED;
}

/* ---- diagnostics ---------------------------------------------------------------------- */

uint32_t lp_debug_held(const lp_pool *pool) {
    if (!lp__valid(pool)) return 0u;
    const lp__pool *p = lp__cof(pool);
    uint32_t held = 0;
    for (uint32_t i = 0; i < p->nslots; i++)
        held += lp_load_relaxed(&((lp__pool *)p)->slots[i].state) == LP__HELD; /* relaxed: a snapshot */
    return held;
}

uint32_t lp_debug_queued(const lp_pool *pool) {
    if (!lp__valid(pool)) return 0u;
    lp__pool *p = (lp__pool *)lp__cof(pool);
    /* relaxed: a snapshot */
    uint32_t h = lp_load_relaxed(&p->head), t = lp_load_relaxed(&p->tail);
    return lp__dist(p, h, t);
}

uint32_t lp_debug_woken(const lp_pool *pool) {
    if (!lp__valid(pool)) return 0u;
    return lp_load_relaxed(&((lp__pool *)lp__cof(pool))->woken); /* relaxed: a snapshot */
}

const char *lp_status_str(lp_status st) {
    switch (st) {
    case LP_OK: return "LP_OK";
    case LP_EMPTY: return "LP_EMPTY";
    case LP_PENDING: return "LP_PENDING";
    case LP_CANCELLED: return "LP_CANCELLED";
    case LP_EFULL: return "LP_EFULL";
    case LP_EINVAL: return "LP_EINVAL";
    case LP_ENOTHELD: return "LP_ENOTHELD";
    case LP_ESTATE: return "LP_ESTATE";
    case LP_ETIMEDOUT: return "LP_ETIMEDOUT";
    case LP_ECREATE: return "LP_ECREATE";
    case LP_ENOSYS: return "LP_ENOSYS";
    }
    return "LP_?";
}
