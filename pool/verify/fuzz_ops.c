/*
 * fuzz_ops.c — libFuzzer target: random single-threaded sequences of the pool's calls
 * (try_get, get_async, poll with and without a new waker, cancel with and without taking a
 * granted slot, get_timeout(0), get_or_create(0), slot_ensure, put, put_discard) checked
 * step by step against a small reference model: which slots we hold, the FIFO of pending
 * waits, what each wait was granted, how many times each waker ran, `created` flags.
 *
 * Input: byte 0 picks the mode (FAIR, BARGING, BOUNDED without a clock = BARGING, RESTRICTED;
 * its bypass bound 1..3 from the bits above), byte 1
 * the slot count (1..4, low bits) and, not FAIR, the retry-wake limit (bits above: the
 * default 4, 1, 2, or none), byte 2 the cell count (0..4); then two bytes per operation.
 * At the end every wait is withdrawn and every slot put back: the pool must be empty
 * (no leaked slot, no leftover ticket). Any mismatch aborts with a message.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "lockpool.h"

#define MAX_SLOTS 4
#define MAX_CELLS 4
#define NWAITS 6

enum { SLOT_FREE, SLOT_HELD, SLOT_GRANTED }; /* GRANTED: in a wait's mailbox */
enum { W_IDLE, W_PENDING, W_GRANTED, W_RETRY };

typedef struct ref {
    int fair;
    uint32_t nslots, ncells;
    int slot[MAX_SLOTS];
    int created[MAX_SLOTS];
    int wstate[NWAITS];
    uint32_t wslot[NWAITS];   /* W_GRANTED: the slot in its mailbox */
    int queue[NWAITS];        /* pending waits, oldest first */
    int qlen;
    int cur_waker[NWAITS];    /* which of the two wakers the record holds */
    unsigned expect_wakes[NWAITS][2];
    uint32_t woken, retry_wakes; /* not FAIR: retry tokens held (W_RETRY waits), and the limit */
    int restricted;
    uint32_t turns, bound;    /* RESTRICTED: releases that found waiters; lp_set_bypass_bound */
    uint32_t born[NWAITS];    /* RESTRICTED: turns when the wait began */
    int starving[NWAITS];     /* RESTRICTED: lost a retry past the bound, not ended yet */
    int nstarving;
} ref;

static unsigned wakes[NWAITS][2];
static void on_wake(void *ctx) { (*(unsigned *)ctx)++; }

static LP_POOL_DEFINE(storage, MAX_SLOTS, MAX_CELLS);
static lp_slot *const slots_mem = storage.slots;

#define CHECK(cond, ...)                                                                  \
    do {                                                                                  \
        if (!(cond)) {                                                                    \
            fprintf(stderr, "fuzz_ops: %s:%d: check failed: %s: ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                                 \
            fputc('\n', stderr);                                                          \
            abort();                                                                      \
        }                                                                                 \
    } while (0)

static int ref_free_count(const ref *m) {
    int n = 0;
    for (uint32_t i = 0; i < m->nslots; i++) n += m->slot[i] == SLOT_FREE;
    return n;
}
static int ref_outstanding(const ref *m) { /* waits that occupy a cell */
    int n = 0;
    for (int i = 0; i < NWAITS; i++) n += m->wstate[i] != W_IDLE;
    return n;
}
static void ref_dequeue(ref *m, int w) {
    int k = 0;
    for (int i = 0; i < m->qlen; i++)
        if (m->queue[i] != w) m->queue[k++] = m->queue[i];
    m->qlen = k;
}
static int ref_pop_oldest(ref *m) {
    if (m->qlen == 0) return -1;
    int w = m->queue[0];
    ref_dequeue(m, w);
    return w;
}
static void ref_wake(ref *m, int w) { m->expect_wakes[w][m->cur_waker[w]]++; }

/* Wake the oldest waiter to retry if a token is left (lp__wake_retry). */
static void ref_wake_retry(ref *m) {
    if (m->qlen == 0 || m->woken >= m->retry_wakes) return;
    int w = ref_pop_oldest(m);
    m->wstate[w] = W_RETRY;
    m->woken++;
    ref_wake(m, w);
}

/* A retry is over (its wait took a slot, re-queued, failed or was cancelled): the token goes
 * back, and the oldest waiter is woken if a slot is free for it (lp__token_drop). */
static void ref_drop_token(ref *m) {
    CHECK(m->woken > 0, "model: token dropped with none held");
    m->woken--;
    if (ref_free_count(m) > 0) ref_wake_retry(m);
}

/* RESTRICTED: a wait ends (served, cancelled, EFULL, took a slot): it starves no more. */
static void ref_wait_ended(ref *m, int w) {
    if (!m->starving[w]) return;
    m->starving[w] = 0;
    m->nstarving--;
}

/* RESTRICTED: hand off (as FAIR) while a wait starves or the head is past the bound. */
static int ref_hands_off(ref *m) {
    if (m->fair) return 1;
    if (!m->restricted || m->qlen == 0) return 0;
    m->turns++;
    return m->nstarving > 0 || m->turns % m->bound == 0;
}

/* RESTRICTED: after a hand-off or a withdrawal moved the head, a free slot wakes the new head
 * (lp__look_after_move; every wait here is an lp_get_async one, so it is woken to retry). */
static void ref_look_after_move(ref *m) {
    if (m->restricted && ref_free_count(m) > 0) ref_wake_retry(m);
}

/* What lp_put of a held slot does. */
static void ref_release(ref *m, uint32_t s) {
    if (ref_hands_off(m)) {
        int w = ref_pop_oldest(m);
        if (w >= 0) {
            m->slot[s] = SLOT_GRANTED;
            m->wstate[w] = W_GRANTED;
            m->wslot[w] = s;
            ref_wake(m, w);
            ref_look_after_move(m);
            return;
        }
        m->slot[s] = SLOT_FREE;
        return;
    }
    m->slot[s] = SLOT_FREE;
    ref_wake_retry(m);
}

static void check_wakes(const ref *m) {
    for (int i = 0; i < NWAITS; i++)
        for (int k = 0; k < 2; k++)
            CHECK(wakes[i][k] == m->expect_wakes[i][k], "wait %d waker %d: %u calls, expected %u", i, k,
                  wakes[i][k], m->expect_wakes[i][k]);
}

/* A slot the pool says we now hold must have been free in the model. */
static void take_free(ref *m, uint32_t s, const char *what) {
    CHECK(s < m->nslots, "%s: slot %u out of range", what, s);
    CHECK(m->slot[s] == SLOT_FREE, "%s: slot %u was not free (state %d)", what, s, m->slot[s]);
    m->slot[s] = SLOT_HELD;
}

/* Whether a get now takes a free slot: one is free, and (FAIR) nobody is queued ahead. */
static int ref_can_take_now(const ref *m) { return (!m->fair || m->qlen == 0) && ref_free_count(m) > 0; }

/* lp_get_async / the retry of a woken BARGING wait, as the model predicts it. */
static void do_acquire(ref *m, int w, lp_status st, uint32_t got, const char *what) {
    int token = m->wstate[w] == W_RETRY; /* a retry holds a token until it ends */
    if (ref_can_take_now(m)) {
        CHECK(st == LP_OK, "%s: expected LP_OK, got %s", what, lp_status_str(st));
        take_free(m, got, what);
        m->wstate[w] = W_IDLE;
    } else if (ref_outstanding(m) - (m->wstate[w] != W_IDLE) >= (int)m->ncells) {
        CHECK(st == LP_EFULL, "%s: expected LP_EFULL, got %s", what, lp_status_str(st));
        m->wstate[w] = W_IDLE;
    } else {
        CHECK(st == LP_PENDING, "%s: expected LP_PENDING, got %s", what, lp_status_str(st));
        m->wstate[w] = W_PENDING;
        m->queue[m->qlen++] = w;
    }
    if (token) ref_drop_token(m);
}

static int create_ok(void *ctx, uint32_t slot) {
    (void)slot;
    return *(int *)ctx ? 0 : -1;
}

/* One input's pool, its reference model and its wait records. */
typedef struct fuzz_state {
    ref m;
    lp_pool *p;
    lp_wait waits[NWAITS];
} fuzz_state;

/* The pool the header bytes describe (mode, counts, retry-wake limit, bypass bound), the model
 * to match, every wait record idle. */
static void setup(fuzz_state *f, const uint8_t *data) {
    ref *m = &f->m;
    lp_mode mode = (lp_mode)(data[0] % 4);
    m->fair = mode == LP_FAIR;
    m->restricted = mode == LP_RESTRICTED;
    m->nslots = 1u + data[1] % MAX_SLOTS;
    m->ncells = data[2] % (MAX_CELLS + 1);
    lp_status st = lp_init(&storage.pool, slots_mem, m->nslots, m->ncells ? storage.cells : NULL, m->ncells, mode);
    CHECK(st == LP_OK, "lp_init: %s", lp_status_str(st));
    f->p = LP_POOL(storage);
    static const uint32_t limits[4] = {0u, 1u, 2u, 0u}; /* [0]: leave the default */
    uint32_t pick = (uint32_t)(data[1] / MAX_SLOTS) % 4u;
    m->retry_wakes = pick == 0u ? LP_RETRY_WAKES_DEFAULT : pick == 3u ? UINT32_MAX : limits[pick];
    if (!m->fair && pick != 0u) {
        st = lp_set_retry_wakes(f->p, limits[pick]);
        CHECK(st == LP_OK, "lp_set_retry_wakes: %s", lp_status_str(st));
    }
    if (m->restricted) {
        m->bound = 1u + (uint32_t)(data[0] / 4) % 3u;
        st = lp_set_bypass_bound(f->p, m->bound);
        CHECK(st == LP_OK, "lp_set_bypass_bound: %s", lp_status_str(st));
    }
    for (int i = 0; i < NWAITS; i++) {
        lp_wait_init(&f->waits[i]);
        wakes[i][0] = wakes[i][1] = 0;
    }
}

/* ---- the operations: each takes its argument byte, calls the pool, checks the model ---- */

/* A get that never waits: it took a free slot when the model says one was there for it, else it
 * answered `none` (LP_EMPTY or LP_ETIMEDOUT). */
static void check_get_now(fuzz_state *f, lp_status st, uint32_t got, lp_status none, const char *what) {
    if (ref_can_take_now(&f->m)) {
        CHECK(st == LP_OK, "%s: expected LP_OK, got %s", what, lp_status_str(st));
        take_free(&f->m, got, what);
    } else {
        CHECK(st == none, "%s: expected %s, got %s", what, lp_status_str(none), lp_status_str(st));
    }
}

static void op_try_get(fuzz_state *f, uint8_t arg) {
    uint32_t got = UINT32_MAX;
    lp_status st = lp_try_get_from(f->p, arg, &got);
    check_get_now(f, st, got, LP_EMPTY, "try_get");
}

static void op_get_async(fuzz_state *f, uint8_t arg) {
    ref *m = &f->m;
    int w = arg % NWAITS;
    lp_waker wk = {on_wake, &wakes[w][0]};
    uint32_t got = UINT32_MAX;
    lp_status st = lp_get_async(f->p, &f->waits[w], wk, &got);
    if (m->wstate[w] != W_IDLE) {
        CHECK(st == LP_ESTATE, "get_async on a live wait: %s", lp_status_str(st));
        return;
    }
    m->cur_waker[w] = 0;
    m->born[w] = m->turns;
    do_acquire(m, w, st, got, "get_async");
}

/* lp_wait_poll of wait w, maybe replacing its waker (the argument's bit 0x40). */
static void op_poll(fuzz_state *f, uint8_t arg) {
    ref *m = &f->m;
    int w = arg % NWAITS, replace = arg & 0x40;
    lp_waker nw = {on_wake, &wakes[w][1 - m->cur_waker[w]]};
    uint32_t got = UINT32_MAX;
    lp_status st = lp_wait_poll(f->p, &f->waits[w], replace ? &nw : NULL, &got);
    switch (m->wstate[w]) {
    case W_IDLE: CHECK(st == LP_ESTATE, "poll of an idle wait: %s", lp_status_str(st)); break;
    case W_PENDING:
        CHECK(st == LP_PENDING, "poll of a pending wait: %s", lp_status_str(st));
        if (replace) m->cur_waker[w] = 1 - m->cur_waker[w];
        break;
    case W_GRANTED:
        CHECK(st == LP_OK && got == m->wslot[w], "poll of a granted wait: %s slot %u, expected %u", lp_status_str(st),
              got, m->wslot[w]);
        m->slot[got] = SLOT_HELD;
        m->wstate[w] = W_IDLE;
        ref_wait_ended(m, w);
        break;
    case W_RETRY:
        ref_wait_ended(m, w); /* the retry's collect ends the wait ... */
        if (m->restricted && m->turns - m->born[w] >= m->bound) { /* ... past the bound: it starves */
            m->starving[w] = 1;
            m->nstarving++;
        }
        do_acquire(m, w, st, got, "poll retry");
        if (m->wstate[w] != W_PENDING) ref_wait_ended(m, w);
        break;
    }
}

/* lp_wait_cancel of wait w, taking a granted slot or not (the argument's bit 0x40). */
static void op_cancel(fuzz_state *f, uint8_t arg) {
    ref *m = &f->m;
    int w = arg % NWAITS, take = arg & 0x40;
    uint32_t got = UINT32_MAX;
    lp_status st = lp_wait_cancel(f->p, &f->waits[w], take ? &got : NULL);
    switch (m->wstate[w]) {
    case W_IDLE: CHECK(st == LP_ESTATE, "cancel of an idle wait: %s", lp_status_str(st)); break;
    case W_PENDING:
        CHECK(st == LP_CANCELLED, "cancel of a pending wait: %s", lp_status_str(st));
        ref_dequeue(m, w);
        m->wstate[w] = W_IDLE;
        ref_wait_ended(m, w);
        ref_look_after_move(m);
        break;
    case W_GRANTED:
        m->wstate[w] = W_IDLE;
        ref_wait_ended(m, w);
        if (take) {
            CHECK(st == LP_OK && got == m->wslot[w], "cancel of a granted wait: %s slot %u, expected %u",
                  lp_status_str(st), got, m->wslot[w]);
            m->slot[got] = SLOT_HELD;
        } else {
            CHECK(st == LP_CANCELLED, "cancel (no slot) of a granted wait: %s", lp_status_str(st));
            ref_release(m, m->wslot[w]); /* passed on, never lost */
        }
        break;
    case W_RETRY:
        CHECK(st == LP_CANCELLED, "cancel of a woken wait: %s", lp_status_str(st));
        m->wstate[w] = W_IDLE;
        ref_wait_ended(m, w);
        ref_drop_token(m);
        break;
    }
}

/* lp_get_timeout(0): never waits. */
static void op_get_timeout_0(fuzz_state *f, uint8_t arg) {
    (void)arg;
    uint32_t got = UINT32_MAX;
    lp_status st = lp_get_timeout(f->p, &got, 0);
    check_get_now(f, st, got, LP_ETIMEDOUT, "get_timeout(0)");
}

/* lp_get_or_create(0), the constructor failing unless the argument's bit 0x40 is set. */
static void op_get_or_create_0(fuzz_state *f, uint8_t arg) {
    ref *m = &f->m;
    int ok = (arg & 0x40) != 0;
    uint32_t got = UINT32_MAX;
    lp_status st = lp_get_or_create(f->p, &got, 0, create_ok, &ok);
    if (!ref_can_take_now(m)) {
        CHECK(st == LP_ETIMEDOUT, "get_or_create(0): expected LP_ETIMEDOUT, got %s", lp_status_str(st));
        return;
    }
    CHECK(got < m->nslots, "get_or_create: slot %u", got);
    int was_created = m->created[got];
    take_free(m, got, "get_or_create");
    if (was_created || ok) {
        CHECK(st == LP_OK, "get_or_create: expected LP_OK, got %s", lp_status_str(st));
        m->created[got] = 1;
    } else {
        CHECK(st == LP_ECREATE, "get_or_create: expected LP_ECREATE, got %s", lp_status_str(st));
        ref_release(m, got);
    }
}

/* lp_put or lp_put_discard: a held slot if we have one (and the argument's bit 0 asks for it),
 * else a free or out-of-range one. */
static void put_one(fuzz_state *f, uint8_t arg, int discard) {
    ref *m = &f->m;
    uint32_t s = (uint32_t)(arg >> 3) % (m->nslots + 1); /* sometimes out of range */
    uint32_t target = s;
    for (uint32_t k = 0; k < m->nslots; k++) {
        uint32_t cand = (s + k) % m->nslots;
        if (m->slot[cand] == SLOT_HELD && (arg & 1)) { target = cand; break; }
    }
    if (target < m->nslots && m->slot[target] == SLOT_GRANTED) return; /* not ours to put */
    lp_status st = discard ? lp_put_discard(f->p, target) : lp_put(f->p, target);
    if (target >= m->nslots) {
        CHECK(st == LP_EINVAL, "put of slot %u out of range: %s", target, lp_status_str(st));
    } else if (m->slot[target] != SLOT_HELD) {
        CHECK(st == LP_ENOTHELD, "put of free slot %u: %s", target, lp_status_str(st));
    } else {
        CHECK(st == LP_OK, "put of held slot %u: %s", target, lp_status_str(st));
        if (discard) m->created[target] = 0;
        ref_release(m, target);
    }
}
static void op_put_discard(fuzz_state *f, uint8_t arg) { put_one(f, arg, 1); }
static void op_put(fuzz_state *f, uint8_t arg) { put_one(f, arg, 0); }

/* lp_slot_created of every held slot. */
static void op_check_created(fuzz_state *f, uint8_t arg) {
    (void)arg;
    for (uint32_t k = 0; k < f->m.nslots; k++)
        if (f->m.slot[k] == SLOT_HELD)
            CHECK(lp_slot_created(f->p, k) == f->m.created[k], "slot %u created %d, expected %d", k,
                  lp_slot_created(f->p, k), f->m.created[k]);
}

/* Diagnostics: held slots (ours + in mailboxes), retries in flight. */
static void op_check_diagnostics(fuzz_state *f, uint8_t arg) {
    (void)arg;
    uint32_t held = f->m.nslots - (uint32_t)ref_free_count(&f->m);
    CHECK(lp_debug_held(f->p) == held, "lp_debug_held %u, expected %u", lp_debug_held(f->p), held);
    CHECK(lp_debug_woken(f->p) == f->m.woken, "lp_debug_woken %u, expected %u", lp_debug_woken(f->p), f->m.woken);
}

/* An operation byte picks one of these (modulo their number). */
static void (*const operations[])(fuzz_state *, uint8_t) = {
    op_try_get,         op_get_async,   op_poll, op_cancel,        op_get_timeout_0,
    op_get_or_create_0, op_put_discard, op_put,  op_check_created, op_check_diagnostics,
};
#define NOPS (sizeof operations / sizeof operations[0])

/* Every wait withdrawn, taking what it was given. */
static void withdraw_every_wait(fuzz_state *f) {
    ref *m = &f->m;
    for (int w = 0; w < NWAITS; w++) {
        if (m->wstate[w] == W_IDLE) continue;
        uint32_t got = UINT32_MAX;
        lp_status st = lp_wait_cancel(f->p, &f->waits[w], &got);
        if (m->wstate[w] == W_GRANTED) {
            CHECK(st == LP_OK && got == m->wslot[w], "teardown cancel: %s", lp_status_str(st));
            m->slot[got] = SLOT_HELD;
        } else {
            CHECK(st == LP_CANCELLED, "teardown cancel: %s", lp_status_str(st));
            if (m->wstate[w] == W_PENDING) {
                ref_dequeue(m, w);
                m->wstate[w] = W_IDLE;
                ref_look_after_move(m);
            } else {
                ref_drop_token(m);
            }
        }
        m->wstate[w] = W_IDLE;
        ref_wait_ended(m, w);
    }
    CHECK(m->qlen == 0, "teardown: %d waits still queued", m->qlen);
    CHECK(m->nstarving == 0, "model: %d waits still starving", m->nstarving);
}

/* Every slot put back; then the pool must be empty: no leaked slot, ticket or retry token. */
static void put_back_every_slot(fuzz_state *f) {
    ref *m = &f->m;
    for (uint32_t k = 0; k < m->nslots; k++) {
        if (m->slot[k] != SLOT_HELD) continue;
        CHECK(lp_put(f->p, k) == LP_OK, "teardown put %u", k);
        m->slot[k] = SLOT_FREE;
    }
    check_wakes(m);
    CHECK(lp_debug_held(f->p) == 0u, "teardown: %u slots still held (leak)", lp_debug_held(f->p));
    CHECK(lp_debug_queued(f->p) == 0u, "teardown: %u tickets outstanding", lp_debug_queued(f->p));
    CHECK(lp_debug_woken(f->p) == 0u && m->woken == 0u, "teardown: %u retry tokens held (model %u)",
          lp_debug_woken(f->p), m->woken);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 3) return 0;
    fuzz_state f = {0};
    setup(&f, data);
    for (size_t pos = 3; pos + 1 < size; pos += 2) {
        operations[data[pos] % NOPS](&f, data[pos + 1]);
        check_wakes(&f.m);
    }
    withdraw_every_wait(&f);
    put_back_every_slot(&f);
    return 0;
}
