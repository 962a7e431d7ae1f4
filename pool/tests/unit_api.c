/*
 * unit_api.c — the synchronous, non-blocking surface of the core: lp_init validation,
 * lp_storage_size and lp_init_in, getters, try_get / try_get_from / put / put_discard, the created flag
 * and the *_or_create calls, lp_status_str, lp_wait_init.
 */
#include <stdlib.h>
#include <string.h>

#include "unit_util.h"

/* ---- lp_init ------------------------------------------------------------------------ */

static void init_rejects_null_zero_and_bad_mode(void **state) {
    (void)state;
    LP_POOL_DEFINE(pl, 2, 2);
    assert_status(lp_init(NULL, pl.slots, 2, pl.cells, 2, LP_FAIR), LP_EINVAL);
    assert_status(lp_init(&pl.pool, NULL, 2, pl.cells, 2, LP_FAIR), LP_EINVAL);
    assert_status(lp_init(&pl.pool, pl.slots, 0, pl.cells, 2, LP_FAIR), LP_EINVAL);
    /* cells NULL is only allowed together with ncells == 0 */
    assert_status(lp_init(&pl.pool, pl.slots, 2, NULL, 2, LP_FAIR), LP_EINVAL);
    assert_status(lp_init(&pl.pool, pl.slots, 2, pl.cells, 2, (lp_mode)4), LP_EINVAL);
    assert_status(lp_init(&pl.pool, pl.slots, 2, pl.cells, 2, (lp_mode)-1), LP_EINVAL);
    assert_status(lp_init(&pl.pool, pl.slots, UINT32_MAX, pl.cells, 2, LP_FAIR), LP_EINVAL);
    assert_status(lp_init(&pl.pool, pl.slots, 2, pl.cells, UINT32_MAX, LP_FAIR), LP_EINVAL);
    /* and the same storage is fine once the arguments are */
    assert_status(lp_init(&pl.pool, pl.slots, 2, pl.cells, 2, LP_FAIR), LP_OK);
}

static void *alloc_lines(size_t count) {
    /* aligned_alloc wants a size that is a multiple of the alignment: lines are 64 bytes */
    void *p = aligned_alloc(LP_CACHELINE, count * LP_CACHELINE);
    assert_non_null(p);
    memset(p, 0, count * LP_CACHELINE);
    return p;
}

/* The limits are inclusive: LP_MAX_SLOTS works, one more is rejected (same for waiters). */
static void init_limits_are_exact(void **state) {
    (void)state;
    static lp_pool pool;
    lp_slot *slots = alloc_lines(LP_MAX_SLOTS + 1u);
    lp_cell *cells = alloc_lines(LP_MAX_WAITERS + 1u);
    lp_slot one_slot[1];
    lp_cell one_cell[1];

    assert_status(lp_init(&pool, slots, LP_MAX_SLOTS + 1u, one_cell, 1, LP_FAIR), LP_EINVAL);
    assert_status(lp_init(&pool, one_slot, 1, cells, LP_MAX_WAITERS + 1u, LP_FAIR), LP_EINVAL);

    assert_status(lp_init(&pool, slots, LP_MAX_SLOTS, cells, LP_MAX_WAITERS, LP_FAIR), LP_OK);
    assert_int_equal(lp_slot_count(&pool), LP_MAX_SLOTS);
    assert_int_equal(lp_waiter_capacity(&pool), LP_MAX_WAITERS);
    /* every one of the 65535 slots can be taken exactly once (hint i: the scan starts at
     * slot i, so this stays linear instead of rescanning the held prefix each time) */
    uint32_t taken = 0, slot;
    while (lp_try_get_from(&pool, taken, &slot) == LP_OK) {
        assert_int_equal(slot, taken);
        taken++;
    }
    assert_int_equal(taken, LP_MAX_SLOTS);
    assert_status(lp_try_get(&pool, &slot), LP_EMPTY);
    assert_int_equal(lp_debug_held(&pool), LP_MAX_SLOTS);
    assert_status(lp_put(&pool, LP_MAX_SLOTS - 1u), LP_OK);
    assert_status(lp_try_get(&pool, &slot), LP_OK);
    assert_int_equal(slot, LP_MAX_SLOTS - 1u);
    free(slots);
    free(cells);
}

/* With no cells nobody can wait: async gets report LP_EFULL when nothing is free. */
static void init_zero_cells_means_no_waiting(void **state) {
    (void)state;
    LP_POOL_DEFINE(pl, 1, 1); /* the cell array exists but is not handed to lp_init */
    lp_pool *p = &pl.pool;
    assert_status(lp_init(p, pl.slots, 1, NULL, 0, LP_FAIR), LP_OK);
    assert_int_equal(lp_waiter_capacity(p), 0);

    uint32_t slot, other;
    wake_counter wc = {0};
    lp_wait w = LP_WAIT_INIT;
    assert_status(lp_get_async(p, &w, counting_waker(&wc), &slot), LP_OK);
    assert_status(lp_get_async(p, &w, counting_waker(&wc), &other), LP_EFULL);
    assert_int_equal(lp_debug_queued(p), 0);
    assert_status(lp_put(p, slot), LP_OK);
    assert_int_equal(wc.calls, 0);
    assert_int_equal(lp_debug_held(p), 0);
}

static void getters_report_init_arguments(void **state) {
    (void)state;
    LP_POOL_DEFINE(pl, 3, 7);
    const lp_mode modes[] = {LP_FAIR, LP_BARGING, LP_BOUNDED};
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
        assert_status(LP_POOL_INIT(pl, modes[i]), LP_OK);
        assert_int_equal(lp_slot_count(LP_POOL(pl)), 3);
        assert_int_equal(lp_waiter_capacity(LP_POOL(pl)), 7);
        assert_int_equal(lp_pool_mode(LP_POOL(pl)), modes[i]);
        assert_int_equal(lp_debug_held(LP_POOL(pl)), 0);
        assert_int_equal(lp_debug_queued(LP_POOL(pl)), 0);
    }
}

/* ---- lp_storage_size ---------------------------------------------------------------- */

static void storage_size_matches_layout_and_rejects_bad_counts(void **state) {
    (void)state;
    LP_POOL_DEFINE(pl, 5, 32);
    assert_int_equal(lp_storage_size(5, 32), sizeof pl);
    assert_int_equal(lp_storage_size(1, 0), sizeof(lp_pool) + sizeof(lp_slot));
    assert_int_equal(lp_storage_size(2, 3), sizeof(lp_pool) + 2 * sizeof(lp_slot) + 3 * sizeof(lp_cell));
    assert_int_equal(lp_storage_size(LP_MAX_SLOTS, LP_MAX_WAITERS),
                     sizeof(lp_pool) + (size_t)LP_MAX_SLOTS * sizeof(lp_slot) +
                         (size_t)LP_MAX_WAITERS * sizeof(lp_cell));
    assert_int_equal(lp_storage_size(0, 1), 0);
    assert_int_equal(lp_storage_size(LP_MAX_SLOTS + 1u, 1), 0);
    assert_int_equal(lp_storage_size(1, LP_MAX_WAITERS + 1u), 0);
    assert_int_equal(lp_storage_size(UINT32_MAX, UINT32_MAX), 0);
}

static void count_wake(void *ctx) { ++*(int *)ctx; }

/* lp_init_in in a buffer of exactly lp_storage_size bytes, in every mode: every slot and
 * every waiter cell is usable, and all of it lies inside the buffer (ASan checks the bytes). */
static void init_in_uses_exactly_storage_size(void **state) {
    (void)state;
    enum { NSLOTS = 3, NCELLS = 4 };
    const lp_mode modes[] = {LP_RESTRICTED, LP_FAIR, LP_BARGING, LP_BOUNDED};
    size_t bytes = lp_storage_size(NSLOTS, NCELLS);
    assert_true(bytes > 0);
    assert_int_equal(bytes % LP_CACHELINE, 0);
    unsigned char *buf = aligned_alloc(LP_CACHELINE, bytes);
    assert_non_null(buf);
    for (size_t m = 0; m < sizeof modes / sizeof modes[0]; m++) {
        assert_status(lp_init_in(buf, bytes, NSLOTS, NCELLS, modes[m]), LP_OK);
        lp_pool *pool = (lp_pool *)(void *)buf;
        assert_int_equal(lp_slot_count(pool), NSLOTS);
        assert_int_equal(lp_waiter_capacity(pool), NCELLS);
        assert_int_equal(lp_pool_mode(pool), modes[m]);
        uint32_t held[NSLOTS + 1], slot;
        assert_int_equal(take_all(pool, held, NSLOTS + 1), NSLOTS);
        lp_wait waits[NCELLS + 1];
        int wakes = 0;
        for (int i = 0; i <= NCELLS; i++) {
            lp_wait_init(&waits[i]);
            assert_status(lp_get_async(pool, &waits[i], (lp_waker){count_wake, &wakes}, &slot),
                          i < NCELLS ? LP_PENDING : LP_EFULL);
        }
        for (int i = 0; i < NCELLS; i++)
            assert_true(lp_wait_cancel(pool, &waits[i], NULL) == LP_CANCELLED);
        for (uint32_t i = 0; i < NSLOTS; i++)
            assert_status(lp_put(pool, held[i]), LP_OK);
        assert_int_equal(lp_debug_queued(pool), 0);
    }
    /* a buffer one byte short is refused, and what it held is no pool any more */
    assert_status(lp_init_in(buf, bytes - 1, NSLOTS, NCELLS, LP_FAIR), LP_EINVAL);
    assert_int_equal(lp_slot_count((lp_pool *)(void *)buf), 0);
    free(buf);
}

/* ---- try_get / put ------------------------------------------------------------------ */

static void try_get_hands_out_each_slot_once_then_empty(void **state) {
    (void)state;
    static LP_POOL_DEFINE(pl, 5, 4);
    lp_pool *p = LP_POOL(pl);
    assert_status(LP_POOL_INIT(pl, LP_FAIR), LP_OK);
    uint32_t held[5];
    int seen[5] = {0};
    for (int i = 0; i < 5; i++) {
        assert_status(lp_try_get(p, &held[i]), LP_OK);
        assert_true(held[i] < 5);
        assert_int_equal(seen[held[i]], 0);
        seen[held[i]] = 1;
        assert_int_equal(lp_debug_held(p), (uint32_t)i + 1);
    }
    uint32_t extra;
    assert_status(lp_try_get(p, &extra), LP_EMPTY);
    assert_status(lp_try_get_from(p, 2, &extra), LP_EMPTY);
    assert_int_equal(lp_debug_held(p), 5);

    /* a released slot is the one handed out next, and only once */
    assert_status(lp_put(p, held[3]), LP_OK);
    assert_int_equal(lp_debug_held(p), 4);
    assert_status(lp_try_get(p, &extra), LP_OK);
    assert_int_equal(extra, held[3]);
    assert_status(lp_try_get(p, &extra), LP_EMPTY);
    for (int i = 0; i < 5; i++)
        assert_status(lp_put(p, held[i]), LP_OK);
    assert_int_equal(lp_debug_held(p), 0);
}

static void try_get_from_starts_at_the_hint(void **state) {
    (void)state;
    static LP_POOL_DEFINE(pl, 5, 1);
    lp_pool *p = LP_POOL(pl);
    assert_status(LP_POOL_INIT(pl, LP_FAIR), LP_OK);
    uint32_t a, b, c;
    assert_status(lp_try_get_from(p, 3, &a), LP_OK);
    assert_int_equal(a, 3); /* the scan starts at the hint, which is free */
    assert_status(lp_try_get_from(p, 3, &b), LP_OK);
    assert_true(b < 5 && b != 3);
    /* a hint past the slot count (e.g. a worker index) still finds a free slot */
    assert_status(lp_try_get_from(p, 1000, &c), LP_OK);
    assert_true(c < 5 && c != a && c != b);
    assert_status(lp_put(p, a), LP_OK);
    assert_status(lp_put(p, b), LP_OK);
    assert_status(lp_put(p, c), LP_OK);
}

static void try_get_rejects_null(void **state) {
    (void)state;
    static LP_POOL_DEFINE(pl, 1, 1);
    assert_status(LP_POOL_INIT(pl, LP_FAIR), LP_OK);
    uint32_t slot;
    assert_status(lp_try_get(NULL, &slot), LP_EINVAL);
    assert_status(lp_try_get(LP_POOL(pl), NULL), LP_EINVAL);
    assert_status(lp_try_get_from(NULL, 0, &slot), LP_EINVAL);
    assert_status(lp_try_get_from(LP_POOL(pl), 0, NULL), LP_EINVAL);
    assert_int_equal(lp_debug_held(LP_POOL(pl)), 0);
}

/* lp_put and lp_put_discard share their statuses: ENOTHELD for a free slot, EINVAL out of range. */
static void put_statuses(void **state) {
    (void)state;
    static LP_POOL_DEFINE(pl, 3, 2);
    lp_pool *p = LP_POOL(pl);
    assert_status(LP_POOL_INIT(pl, LP_FAIR), LP_OK);
    lp_status (*const release[2])(lp_pool *, uint32_t) = {lp_put, lp_put_discard};
    for (int r = 0; r < 2; r++) {
        uint32_t slot;
        assert_status(lp_try_get_from(p, 1, &slot), LP_OK);
        assert_int_equal(slot, 1);
        assert_status(release[r](p, 0), LP_ENOTHELD); /* never taken */
        assert_status(release[r](p, 3), LP_EINVAL);
        assert_status(release[r](p, UINT32_MAX), LP_EINVAL);
        assert_status(release[r](NULL, 0), LP_EINVAL);
        assert_int_equal(lp_debug_held(p), 1); /* none of the failures changed anything */
        assert_status(release[r](p, slot), LP_OK);
        assert_status(release[r](p, slot), LP_ENOTHELD); /* double release */
        assert_int_equal(lp_debug_held(p), 0);
    }
}

/* ---- created flag, ensure, *_or_create ---------------------------------------------- */

static void created_flag_follows_ensure_and_discard(void **state) {
    (void)state;
    static LP_POOL_DEFINE(pl, 1, 1);
    lp_pool *p = LP_POOL(pl);
    assert_status(LP_POOL_INIT(pl, LP_FAIR), LP_OK);
    create_ctx cc = {0};
    uint32_t slot;

    assert_status(lp_try_get(p, &slot), LP_OK);
    assert_int_equal(lp_slot_created(p, slot), 0);
    assert_status(lp_slot_ensure(p, slot, unit_create, &cc), LP_OK);
    assert_int_equal(cc.calls, 1);
    assert_int_equal(cc.last_slot, slot);
    assert_int_equal(lp_slot_created(p, slot), 1);
    assert_status(lp_slot_ensure(p, slot, unit_create, &cc), LP_OK);
    assert_int_equal(cc.calls, 1); /* already created: not again */
    assert_status(lp_put(p, slot), LP_OK);

    /* a plain put keeps the object: the next taker finds it created */
    assert_status(lp_try_get_or_create(p, &slot, unit_create, &cc), LP_OK);
    assert_int_equal(cc.calls, 1);
    assert_int_equal(lp_slot_created(p, slot), 1);

    /* put_discard drops it: the next taker re-creates */
    assert_status(lp_put_discard(p, slot), LP_OK);
    assert_status(lp_try_get(p, &slot), LP_OK);
    assert_int_equal(lp_slot_created(p, slot), 0);
    assert_status(lp_put(p, slot), LP_OK);
    assert_status(lp_try_get_or_create(p, &slot, unit_create, &cc), LP_OK);
    assert_int_equal(cc.calls, 2);
    assert_int_equal(lp_slot_created(p, slot), 1);
    assert_status(lp_put(p, slot), LP_OK);

    /* out of range and NULL never crash */
    assert_int_equal(lp_slot_created(p, 1), 0);
    assert_int_equal(lp_slot_created(NULL, 0), 0);
    assert_status(lp_slot_ensure(p, 1, unit_create, &cc), LP_EINVAL);
    assert_status(lp_slot_ensure(NULL, 0, unit_create, &cc), LP_EINVAL);
}

static void create_failure_releases_the_slot(void **state) {
    (void)state;
    static LP_POOL_DEFINE(pl, 2, 2);
    lp_pool *p = LP_POOL(pl);
    assert_status(LP_POOL_INIT(pl, LP_FAIR), LP_OK);
    create_ctx cc = {.fail = 1};
    uint32_t slot = UINT32_MAX;

    assert_status(lp_try_get_or_create(p, &slot, unit_create, &cc), LP_ECREATE);
    assert_int_equal(cc.calls, 1);
    assert_int_equal(lp_debug_held(p), 0);

    assert_status(lp_try_get_from(p, 0, &slot), LP_OK);
    assert_status(lp_slot_ensure(p, slot, unit_create, &cc), LP_ECREATE);
    assert_int_equal(cc.calls, 2);
    assert_int_equal(lp_debug_held(p), 0);
    assert_status(lp_put(p, slot), LP_ENOTHELD); /* it went back already */

    /* both slots are free and uncreated; a later successful create works */
    cc.fail = 0;
    uint32_t a, b;
    assert_status(lp_try_get_or_create(p, &a, unit_create, &cc), LP_OK);
    assert_status(lp_try_get_or_create(p, &b, unit_create, &cc), LP_OK);
    assert_int_equal(cc.calls, 4);
    assert_status(lp_try_get_or_create(p, &slot, unit_create, &cc), LP_EMPTY);
    assert_int_equal(cc.calls, 4); /* nothing to create for an empty pool */
    assert_status(lp_put(p, a), LP_OK);
    assert_status(lp_put(p, b), LP_OK);
}

/* A failed create discards the slot; with a waiter queued, the waiter gets it (uncreated). */
static void create_failure_hands_slot_to_waiter(void **state) {
    (void)state;
    static LP_POOL_DEFINE(pl, 1, 2);
    lp_pool *p = LP_POOL(pl);
    assert_status(LP_POOL_INIT(pl, LP_FAIR), LP_OK);
    create_ctx cc = {.fail = 1};
    wake_counter wc = {0};
    lp_wait w = LP_WAIT_INIT;
    uint32_t slot, got;

    assert_status(lp_try_get(p, &slot), LP_OK);
    assert_status(lp_get_async(p, &w, counting_waker(&wc), &got), LP_PENDING);
    assert_status(lp_slot_ensure(p, slot, unit_create, &cc), LP_ECREATE);
    assert_int_equal(wc.calls, 1);
    assert_status(lp_wait_poll(p, &w, NULL, &got), LP_OK);
    assert_int_equal(got, slot);
    assert_int_equal(lp_slot_created(p, got), 0);
    assert_int_equal(lp_debug_held(p), 1);
    assert_status(lp_put(p, got), LP_OK);
}

/* ---- lp_status_str, lp_wait_init ---------------------------------------------------- */

static void status_str_names_every_status(void **state) {
    (void)state;
    const lp_status all[] = {LP_OK,      LP_EMPTY,   LP_PENDING,  LP_CANCELLED,
                             LP_EFULL,   LP_EINVAL,  LP_ENOTHELD, LP_ESTATE,
                             LP_ETIMEDOUT, LP_ECREATE, LP_ENOSYS};
    const size_t n = sizeof all / sizeof all[0];
    for (size_t i = 0; i < n; i++) {
        const char *s = lp_status_str(all[i]);
        assert_non_null(s);
        assert_true(strlen(s) > 0);
        for (size_t j = 0; j < i; j++) /* distinct names: a log line says which status it was */
            assert_string_not_equal(s, lp_status_str(all[j]));
    }
    /* values that are not statuses still get a string */
    assert_non_null(lp_status_str((lp_status)99));
    assert_non_null(lp_status_str((lp_status)-99));
}

static void wait_init_equals_static_initialiser(void **state) {
    (void)state;
    const lp_wait expected = LP_WAIT_INIT;
    lp_wait w;
    memset(&w, 0xA5, sizeof w);
    lp_wait_init(&w);
    assert_memory_equal(&w, &expected, sizeof w);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(init_rejects_null_zero_and_bad_mode),
        cmocka_unit_test(init_limits_are_exact),
        cmocka_unit_test(init_zero_cells_means_no_waiting),
        cmocka_unit_test(getters_report_init_arguments),
        cmocka_unit_test(storage_size_matches_layout_and_rejects_bad_counts),
        cmocka_unit_test(init_in_uses_exactly_storage_size),
        cmocka_unit_test(try_get_hands_out_each_slot_once_then_empty),
        cmocka_unit_test(try_get_from_starts_at_the_hint),
        cmocka_unit_test(try_get_rejects_null),
        cmocka_unit_test(put_statuses),
        cmocka_unit_test(created_flag_follows_ensure_and_discard),
        cmocka_unit_test(create_failure_releases_the_slot),
        cmocka_unit_test(create_failure_hands_slot_to_waiter),
        cmocka_unit_test(status_str_names_every_status),
        cmocka_unit_test(wait_init_equals_static_initialiser),
    };
    return cmocka_run_group_tests_name("pool.unit.api", tests, NULL, NULL);
}
