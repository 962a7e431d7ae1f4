/*
 * fuzz_init.c — libFuzzer target for the set-up calls with hostile arguments: lp_init with
 * random counts, NULL and misaligned pointers, bad modes; lp_storage_size with random
 * counts; lp_init_in with hostile lengths and alignment; lp_set_fairness_bound and
 * lp_set_bypass_bound on every mode. Nothing may crash, and each call must
 * answer what the header promises (LP_OK only for valid input; a valid pool must work; after
 * a failed lp_init, calls on that pool answer LP_EINVAL).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lockpool.h"

#define CHECK(cond, ...)                                                                  \
    do {                                                                                  \
        if (!(cond)) {                                                                    \
            fprintf(stderr, "fuzz_init: line %d: check failed: %s: ", __LINE__, #cond);   \
            fprintf(stderr, __VA_ARGS__);                                                 \
            fputc('\n', stderr);                                                          \
            abort();                                                                      \
        }                                                                                 \
    } while (0)

#define ROOM_SLOTS 8
#define ROOM_CELLS 8
static LP_POOL_DEFINE(room, ROOM_SLOTS, ROOM_CELLS);

static uint64_t fake_clock(void) { return 12345u; }

static uint32_t rd32(const uint8_t *d) { return (uint32_t)d[0] | (uint32_t)d[1] << 8 | (uint32_t)d[2] << 16 | (uint32_t)d[3] << 24; }

/* lp_storage_size: 0 exactly for counts out of range, else the sum of its parts. */
static int check_storage_size(uint32_t nslots, uint32_t ncells) {
    size_t need = lp_storage_size(nslots, ncells);
    int counts_ok = nslots >= 1u && nslots <= LP_MAX_SLOTS && ncells <= LP_MAX_WAITERS;
    CHECK((need != 0u) == counts_ok, "lp_storage_size(%u, %u) = %zu", nslots, ncells, need);
    if (counts_ok)
        CHECK(need == sizeof(lp_pool) + (size_t)nslots * sizeof(lp_slot) + (size_t)ncells * sizeof(lp_cell),
              "lp_storage_size(%u, %u) = %zu", nslots, ncells, need);
    return counts_ok;
}

/* A failed lp_init leaves nothing usable (LP_MISUSE_TABLE, BAD_POOL), whatever the storage held
 * before: the calls answer LP_EINVAL or 0 and touch nothing. */
static void check_failed_init_is_inert(lp_pool *pool, lp_status st, uint8_t hint) {
    CHECK(st == LP_EINVAL, "lp_init failed with %s", lp_status_str(st));
    uint32_t got;
    lp_wait w = LP_WAIT_INIT;
    CHECK(lp_slot_count(pool) == 0u && lp_pool_mode(pool) == LP_MODE_INVALID, "a failed lp_init left a pool");
    CHECK(lp_try_get(pool, &got) == LP_EINVAL && lp_try_get_from(pool, hint, &got) == LP_EINVAL &&
              lp_put(pool, 0) == LP_EINVAL && lp_wait_cancel(pool, &w, NULL) == LP_EINVAL,
          "a call on a pool whose lp_init failed did not answer LP_EINVAL");
}

/* The mode's settings: the fairness bound (BOUNDED, with a clock) and the bypass bound
 * (RESTRICTED, 1..INT32_MAX) are accepted where they apply and refused elsewhere. */
static void check_settings(lp_pool *pool, lp_mode mode, uint32_t value, uint8_t flags) {
    lp_status st = lp_set_fairness_bound(pool, value, (flags & 8) ? NULL : fake_clock);
    CHECK((st == LP_OK) == (mode == LP_BOUNDED && !(flags & 8)), "lp_set_fairness_bound = %s", lp_status_str(st));
    uint32_t bound = value >> (flags & 7); /* 0, small and huge bounds */
    st = lp_set_bypass_bound(pool, bound);
    CHECK((st == LP_OK) == (mode == LP_RESTRICTED && bound > 0u && bound <= INT32_MAX), "lp_set_bypass_bound(%u) = %s",
          bound, lp_status_str(st));
}

/* The pool must work: take every slot, see it full (a wait queues or is refused), give them all
 * back, and end empty. */
static void check_pool_works(lp_pool *pool, uint32_t nslots, uint32_t ncells, uint8_t hint) {
    uint32_t got, held = 0;
    while (lp_try_get_from(pool, hint, &got) == LP_OK) {
        CHECK(got < nslots, "slot %u", got);
        held++;
        CHECK(held <= nslots, "more slots than exist");
    }
    CHECK(held == nslots, "took %u of %u slots", held, nslots);
    lp_wait w = LP_WAIT_INIT;
    lp_status ast = lp_get_async(pool, &w, (lp_waker){(void (*)(void *))abort, NULL}, &got);
    CHECK(ast == (ncells ? LP_PENDING : LP_EFULL), "get_async on a full pool: %s", lp_status_str(ast));
    if (ast == LP_PENDING) CHECK(lp_wait_cancel(pool, &w, NULL) == LP_CANCELLED, "cancel");
    for (uint32_t i = 0; i < nslots; i++) CHECK(lp_put(pool, i) == LP_OK, "put %u", i);
    CHECK(lp_put(pool, 0) == LP_ENOTHELD && lp_put(pool, nslots) == LP_EINVAL, "bad puts");
    CHECK(lp_debug_held(pool) == 0u && lp_debug_queued(pool) == 0u, "pool not empty after use");
}

/* lp_init_in with the same counts and mode, in storage of a hostile length and alignment: LP_OK
 * exactly for valid input in an aligned block of at least lp_storage_size bytes (the length is
 * never more than the block really has, so a wrong answer cannot write past it). */
static LP_POOL_DEFINE(room_in, ROOM_SLOTS, ROOM_CELLS);
static void fuzz_init_in(const uint8_t *data) {
    uint32_t nslots = rd32(data), ncells = rd32(data + 4);
    uint8_t flags = data[8], misalign = data[10], shrink = data[11];
    if (flags & 0x80) nslots %= ROOM_SLOTS + 1;
    if (flags & 0x40) ncells %= ROOM_CELLS + 1;
    lp_mode mode = (lp_mode)(data[9] % 6); /* 4 and 5 are not modes */
    size_t need = lp_storage_size(nslots, ncells), offset = (misalign & 4) ? 8u : 0u;
    size_t have = sizeof room_in - offset;
    size_t len = (flags & 0x20) ? shrink : (need && need <= have ? need - (shrink & 1u) : have - shrink);
    if (len > have) len = have;
    void *mem = (flags & 0x10) ? NULL : (char *)&room_in + offset;
    lp_status st = lp_init_in(mem, len, nslots, ncells, mode);
    int valid = mem && !offset && need != 0u && len >= need && (int)mode <= 3;
    CHECK((st == LP_OK) == valid, "lp_init_in(len=%zu of %zu needed, n=%u, c=%u, offset=%zu, mode=%d) = %s", len,
          need, nslots, ncells, offset, (int)mode, lp_status_str(st));
    if (st != LP_OK) {
        CHECK(st == LP_EINVAL, "lp_init_in failed with %s", lp_status_str(st));
        CHECK(mem == NULL || len < sizeof(lp_pool) || offset || lp_slot_count((lp_pool *)mem) == 0u,
              "a failed lp_init_in left a pool");
        return;
    }
    lp_pool *pool = (lp_pool *)mem;
    CHECK(lp_slot_count(pool) == nslots && lp_waiter_capacity(pool) == ncells && lp_pool_mode(pool) == mode,
          "accessors disagree with lp_init_in");
    check_pool_works(pool, nslots, ncells, shrink);
    memset(&room_in, 0, sizeof room_in);
}

/* Input: counts (bytes 0-3, 4-7), flags (8: small counts, NULL pointers, no clock, bound shift;
 * for lp_init_in NULL storage and the kind of length), mode (9), misalignment (10), slot hint and
 * lp_init_in's length cut (11); bytes 8-11 are also the bounds' value. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 12) return 0;
    fuzz_init_in(data);
    uint32_t nslots = rd32(data), ncells = rd32(data + 4);
    uint8_t flags = data[8], mode_byte = data[9], misalign = data[10];
    /* Small counts often, so valid pools are exercised too. */
    if (flags & 0x80) nslots %= ROOM_SLOTS + 1;
    if (flags & 0x40) ncells %= ROOM_CELLS + 1;
    int counts_ok = check_storage_size(nslots, ncells);

    lp_pool *pool = (flags & 1) ? NULL : &room.pool;
    lp_slot *slots = (flags & 2) ? NULL : room.slots;
    lp_cell *cells = (flags & 4) ? NULL : room.cells;
    if (misalign & 1) pool = (lp_pool *)(void *)((char *)&room.pool + 8);
    if (misalign & 2) slots = (lp_slot *)(void *)((char *)room.slots + 4);
    lp_mode mode = (lp_mode)(mode_byte % 6); /* 4 and 5 are not modes */
    int fits = nslots <= ROOM_SLOTS && ncells <= ROOM_CELLS;
    if (!fits && pool && slots) return 0; /* would let lp_init write past our storage */

    lp_status st = lp_init(pool, slots, nslots, cells, ncells, mode);
    int valid = counts_ok && pool && slots && (ncells > 0u) == (cells != NULL) && (int)mode <= 3 && !(misalign & 3);
    CHECK((st == LP_OK) == valid, "lp_init(n=%u, c=%u, pool=%p, slots=%p, cells=%p, mode=%d) = %s", nslots, ncells,
          (void *)pool, (void *)slots, (void *)cells, (int)mode, lp_status_str(st));
    if (st != LP_OK) {
        check_failed_init_is_inert(pool, st, data[11]);
        return 0;
    }
    CHECK(lp_slot_count(pool) == nslots && lp_waiter_capacity(pool) == ncells && lp_pool_mode(pool) == mode,
          "accessors disagree with lp_init");
    check_settings(pool, mode, rd32(data + 8), flags);
    check_pool_works(pool, nslots, ncells, data[11]);
    memset(&room, 0, sizeof room);
    return 0;
}
