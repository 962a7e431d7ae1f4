/*
 * unit_modes.c — LP_BARGING and LP_BOUNDED, single-threaded: a release unlocks and wakes
 * the oldest waiter to retry, a newcomer may win, the woken waiter re-queues and gets a
 * later release; at most lp_set_retry_wakes retries are in flight; BOUNDED hands straight to a waiter older than the bound, measured with a
 * fake clock the test advances by hand (deterministic, no sleeping).
 */
#include <inttypes.h>

#include "unit_util.h"

/* Nothing held, queued, or woken to retry. */
static void assert_idle(lp_pool *p) {
    assert_int_equal(lp_debug_held(p), 0);
    assert_int_equal(lp_debug_queued(p), 0);
    assert_int_equal(lp_debug_woken(p), 0);
}

/* Queue n async waits (each must be LP_PENDING), wait i waking wc[i]. */
static void queue_waits(lp_pool *p, lp_wait *w, wake_counter *wc, uint32_t *got, int n) {
    for (int i = 0; i < n; i++) assert_status(lp_get_async(p, &w[i], counting_waker(&wc[i]), &got[i]), LP_PENDING);
}

/* A woken wait's poll takes a slot; put it back. */
static void poll_ok_and_put(lp_pool *p, lp_wait *w, uint32_t *got) {
    assert_status(lp_wait_poll(p, w, NULL, got), LP_OK);
    assert_status(lp_put(p, *got), LP_OK);
}

static void barging_put_unlocks_and_newcomer_can_win(void **state) {
    (void)state;
    static LP_POOL_DEFINE(pl, 1, 4);
    lp_pool *p = LP_POOL(pl);
    assert_status(LP_POOL_INIT(pl, LP_BARGING), LP_OK);
    wake_counter wc = {0};
    lp_wait w = LP_WAIT_INIT;
    uint32_t held, got, newcomer;

    assert_status(lp_try_get(p, &held), LP_OK);
    assert_status(lp_get_async(p, &w, counting_waker(&wc), &got), LP_PENDING);
    assert_status(lp_wait_poll(p, &w, NULL, &got), LP_PENDING);
    assert_status(lp_put(p, held), LP_OK);
    assert_int_equal(wc.calls, 1);         /* woken to retry ... */
    assert_int_equal(lp_debug_held(p), 0); /* ... with the slot unlocked */

    assert_status(lp_try_get(p, &newcomer), LP_OK); /* barging is allowed */
    assert_status(lp_wait_poll(p, &w, NULL, &got), LP_PENDING); /* lost: re-queued */
    assert_int_equal(lp_debug_queued(p), 1);
    assert_int_equal(wc.calls, 1);

    assert_status(lp_put(p, newcomer), LP_OK);
    assert_int_equal(wc.calls, 2); /* one more wake, as promised */
    assert_status(lp_wait_poll(p, &w, NULL, &got), LP_OK);
    assert_int_equal(got, held);
    assert_int_equal(lp_debug_held(p), 1);
    assert_int_equal(lp_debug_queued(p), 0);
    assert_status(lp_wait_poll(p, &w, NULL, &got), LP_ESTATE);
    assert_status(lp_put(p, got), LP_OK);
    assert_int_equal(wc.calls, 2);
    assert_int_equal(lp_debug_held(p), 0);
}

/* A waiter woken to retry whom nobody barges takes the slot on its poll. */
static void barging_woken_waiter_takes_free_slot(void **state) {
    (void)state;
    static LP_POOL_DEFINE(pl, 2, 4);
    lp_pool *p = LP_POOL(pl);
    assert_status(LP_POOL_INIT(pl, LP_BARGING), LP_OK);
    wake_counter wc = {0};
    lp_wait w = LP_WAIT_INIT;
    uint32_t held[2] = {0, 0}, got;

    assert_int_equal(take_all(p, held, 2), 2);
    assert_status(lp_get_async(p, &w, counting_waker(&wc), &got), LP_PENDING);
    assert_status(lp_put(p, held[1]), LP_OK);
    assert_int_equal(wc.calls, 1);
    assert_status(lp_wait_poll(p, &w, NULL, &got), LP_OK);
    assert_int_equal(got, held[1]);
    assert_int_equal(lp_debug_held(p), 2);
    assert_status(lp_put(p, got), LP_OK);
    assert_status(lp_put(p, held[0]), LP_OK);
    assert_int_equal(wc.calls, 1);
}

/* Newcomers may take a free slot while others are still queued; wakes stay in FIFO order. */
static void barging_wakes_oldest_first_while_newcomers_barge(void **state) {
    (void)state;
    static LP_POOL_DEFINE(pl, 1, 4);
    lp_pool *p = LP_POOL(pl);
    assert_status(LP_POOL_INIT(pl, LP_BARGING), LP_OK);
    wake_log log = {.n = 0};
    wake_counter wc[2] = {{.id = 0, .log = &log}, {.id = 1, .log = &log}};
    lp_wait w[2] = {LP_WAIT_INIT, LP_WAIT_INIT};
    uint32_t held, got[2], newcomer;

    assert_status(lp_try_get(p, &held), LP_OK);
    queue_waits(p, w, wc, got, 2);
    assert_status(lp_put(p, held), LP_OK);
    assert_int_equal(log.n, 1);
    assert_int_equal(log.ids[0], 0);
    assert_int_equal(lp_debug_queued(p), 1);      /* w[1] still queued ... */
    assert_status(lp_try_get(p, &newcomer), LP_OK); /* ... and a newcomer still wins */

    assert_status(lp_put(p, newcomer), LP_OK); /* wakes w[1] */
    assert_int_equal(log.n, 2);
    assert_int_equal(log.ids[1], 1);
    assert_status(lp_wait_poll(p, &w[0], NULL, &got[0]), LP_OK);   /* the older one wins */
    assert_status(lp_wait_poll(p, &w[1], NULL, &got[1]), LP_PENDING); /* re-queued */
    assert_status(lp_put(p, got[0]), LP_OK);
    assert_int_equal(log.n, 3);
    assert_int_equal(log.ids[2], 1);
    poll_ok_and_put(p, &w[1], &got[1]);
    assert_int_equal(lp_debug_held(p), 0);
    assert_int_equal(lp_debug_queued(p), 0);
}

/* Cancelling a wait woken to retry must pass the wake on, or the next waiter sleeps forever. */
static void barging_cancel_of_woken_wait_passes_the_wake_on(void **state) {
    (void)state;
    static LP_POOL_DEFINE(pl, 1, 4);
    lp_pool *p = LP_POOL(pl);
    assert_status(LP_POOL_INIT(pl, LP_BARGING), LP_OK);
    uint32_t held, got[2];
    for (int with_slot = 0; with_slot < 2; with_slot++) {
        wake_counter wc[2] = {{0}, {0}};
        lp_wait w[2] = {LP_WAIT_INIT, LP_WAIT_INIT};
        assert_status(lp_try_get(p, &held), LP_OK);
        queue_waits(p, w, wc, got, 2);
        assert_status(lp_put(p, held), LP_OK);
        assert_int_equal(wc[0].calls, 1);
        /* no slot was handed to w[0] (it was woken to retry), so there is none to return */
        assert_status(lp_wait_cancel(p, &w[0], with_slot ? &got[0] : NULL), LP_CANCELLED);
        assert_int_equal(wc[1].calls, 1);
        poll_ok_and_put(p, &w[1], &got[1]);
        assert_int_equal(lp_debug_held(p), 0);
        assert_int_equal(lp_debug_queued(p), 0);
        assert_int_equal(wc[0].calls, 1);
    }
}

/* lp_set_retry_wakes(1): while one waiter is woken to retry, a release wakes nobody else and
 * leaves its slot to it; the woken waiter's retry takes the free slot. */
static void barging_release_during_a_retry_wakes_nobody(void **state) {
    (void)state;
    static LP_POOL_DEFINE(pl, 1, 4);
    lp_pool *p = LP_POOL(pl);
    assert_status(LP_POOL_INIT(pl, LP_BARGING), LP_OK);
    assert_status(lp_set_retry_wakes(p, 1), LP_OK);
    wake_counter wc[2] = {{0}, {0}};
    lp_wait w[2] = {LP_WAIT_INIT, LP_WAIT_INIT};
    uint32_t held, got[2], newcomer;

    assert_status(lp_try_get(p, &held), LP_OK);
    queue_waits(p, w, wc, got, 2);
    assert_status(lp_put(p, held), LP_OK);
    assert_int_equal(wc[0].calls, 1);
    assert_int_equal(lp_debug_woken(p), 1);
    assert_status(lp_try_get(p, &newcomer), LP_OK); /* a newcomer barges ... */
    assert_status(lp_put(p, newcomer), LP_OK);       /* ... and its release wakes nobody */
    assert_int_equal(wc[1].calls, 0);
    assert_int_equal(lp_debug_held(p), 0);
    assert_status(lp_wait_poll(p, &w[0], NULL, &got[0]), LP_OK); /* the woken one takes it */
    assert_int_equal(lp_debug_woken(p), 0);
    assert_int_equal(wc[1].calls, 0); /* no slot free after its retry: no wake */
    assert_status(lp_put(p, got[0]), LP_OK);
    assert_int_equal(wc[1].calls, 1);
    poll_ok_and_put(p, &w[1], &got[1]);
    assert_idle(p);
}

/* Two slots freed while one retry is in flight: the woken waiter takes one, and when its
 * retry ends it wakes the next waiter for the other (the duty a skipped release left it). */
static void barging_retry_end_wakes_for_a_slot_left_free(void **state) {
    (void)state;
    static LP_POOL_DEFINE(pl, 2, 4);
    lp_pool *p = LP_POOL(pl);
    assert_status(LP_POOL_INIT(pl, LP_BARGING), LP_OK);
    assert_status(lp_set_retry_wakes(p, 1), LP_OK);
    wake_counter wc[2] = {{0}, {0}};
    lp_wait w[2] = {LP_WAIT_INIT, LP_WAIT_INIT};
    uint32_t held[2] = {0, 0}, got[2];

    assert_int_equal(take_all(p, held, 2), 2);
    queue_waits(p, w, wc, got, 2);
    assert_status(lp_put(p, held[0]), LP_OK);
    assert_status(lp_put(p, held[1]), LP_OK); /* limit reached: left to w[0] */
    assert_int_equal(wc[0].calls, 1);
    assert_int_equal(wc[1].calls, 0);
    assert_status(lp_wait_poll(p, &w[0], NULL, &got[0]), LP_OK);
    assert_int_equal(wc[1].calls, 1); /* woken by w[0]'s retry end: a slot is free */
    assert_int_equal(lp_debug_woken(p), 1);
    assert_status(lp_wait_poll(p, &w[1], NULL, &got[1]), LP_OK);
    assert_true(got[0] != got[1]);
    assert_int_equal(lp_debug_woken(p), 0);
    assert_status(lp_put(p, got[0]), LP_OK);
    assert_status(lp_put(p, got[1]), LP_OK);
    assert_idle(p);
}

/* Cancelling a woken wait gives its token back: the next waiter is woken if a slot is free
 * for it, and not if a newcomer took the slot meanwhile (its release wakes it later). */
static void barging_cancel_of_woken_wait_returns_the_token(void **state) {
    (void)state;
    static LP_POOL_DEFINE(pl, 1, 4);
    lp_pool *p = LP_POOL(pl);
    assert_status(LP_POOL_INIT(pl, LP_BARGING), LP_OK);
    assert_status(lp_set_retry_wakes(p, 1), LP_OK);
    for (int newcomer_first = 0; newcomer_first < 2; newcomer_first++) {
        wake_counter wc[2] = {{0}, {0}};
        lp_wait w[2] = {LP_WAIT_INIT, LP_WAIT_INIT};
        uint32_t held, got[2], newcomer = 0;
        assert_status(lp_try_get(p, &held), LP_OK);
        queue_waits(p, w, wc, got, 2);
        assert_status(lp_put(p, held), LP_OK);
        assert_int_equal(wc[0].calls, 1);
        if (newcomer_first) assert_status(lp_try_get(p, &newcomer), LP_OK);
        assert_status(lp_wait_cancel(p, &w[0], &got[0]), LP_CANCELLED);
        assert_int_equal(lp_debug_woken(p), newcomer_first ? 0 : 1);
        assert_int_equal(wc[1].calls, newcomer_first ? 0 : 1);
        if (newcomer_first) {
            assert_status(lp_put(p, newcomer), LP_OK);
            assert_int_equal(wc[1].calls, 1);
        }
        poll_ok_and_put(p, &w[1], &got[1]);
        assert_idle(p);
    }
}

/* 0 = no limit: every release with waiters wakes one, as before the limit existed. */
static void barging_retry_wakes_zero_wakes_on_every_release(void **state) {
    (void)state;
    static LP_POOL_DEFINE(pl, 1, 4);
    lp_pool *p = LP_POOL(pl);
    assert_status(LP_POOL_INIT(pl, LP_BARGING), LP_OK);
    assert_status(lp_set_retry_wakes(p, 0), LP_OK);
    wake_counter wc[3] = {{0}, {0}, {0}};
    lp_wait w[3] = {LP_WAIT_INIT, LP_WAIT_INIT, LP_WAIT_INIT};
    uint32_t held, got[3];
    assert_status(lp_try_get(p, &held), LP_OK);
    queue_waits(p, w, wc, got, 3);
    for (int i = 0; i < 3; i++) {
        assert_status(lp_put(p, held), LP_OK);
        assert_int_equal(wc[i].calls, 1); /* woken although earlier ones are still in flight */
        assert_status(lp_try_get(p, &held), LP_OK);
    }
    assert_int_equal(lp_debug_woken(p), 3);
    for (int i = 0; i < 3; i++) assert_status(lp_wait_poll(p, &w[i], NULL, &got[i]), LP_PENDING); /* all lost */
    assert_int_equal(lp_debug_woken(p), 0);
    for (int i = 0; i < 3; i++) {
        assert_status(lp_put(p, held), LP_OK);
        assert_status(lp_wait_poll(p, &w[i], NULL, &held), LP_OK);
    }
    assert_status(lp_put(p, held), LP_OK);
    assert_idle(p);
}

static void retry_wakes_setter_validates(void **state) {
    (void)state;
    static LP_POOL_DEFINE(pf, 1, 2);
    static LP_POOL_DEFINE(pb, 1, 2);
    assert_status(LP_POOL_INIT(pf, LP_FAIR), LP_OK);
    assert_status(LP_POOL_INIT(pb, LP_BOUNDED), LP_OK);
    assert_status(lp_set_retry_wakes(NULL, 1), LP_EINVAL);
    assert_status(lp_set_retry_wakes(LP_POOL(pf), 1), LP_EINVAL); /* FAIR wakes no one to retry */
    assert_status(lp_set_retry_wakes(LP_POOL(pb), 0), LP_OK);
    assert_status(lp_set_retry_wakes(LP_POOL(pb), 7), LP_OK);
    assert_int_equal(lp_debug_woken(NULL), 0);
}

static void barging_cancel_pending(void **state) {
    (void)state;
    static LP_POOL_DEFINE(pl, 1, 2);
    lp_pool *p = LP_POOL(pl);
    assert_status(LP_POOL_INIT(pl, LP_BARGING), LP_OK);
    wake_counter wc = {0};
    lp_wait w = LP_WAIT_INIT;
    uint32_t held, got;
    assert_status(lp_try_get(p, &held), LP_OK);
    assert_status(lp_get_async(p, &w, counting_waker(&wc), &got), LP_PENDING);
    assert_status(lp_wait_cancel(p, &w, &got), LP_CANCELLED);
    assert_status(lp_wait_cancel(p, &w, &got), LP_ESTATE);
    assert_status(lp_put(p, held), LP_OK);
    assert_int_equal(wc.calls, 0);
    assert_int_equal(lp_debug_held(p), 0);
    assert_int_equal(lp_debug_queued(p), 0);
}

/* ---- BOUNDED ------------------------------------------------------------------------ */

static uint64_t fake_now_ns;
static uint64_t fake_clock(void) { return fake_now_ns; }

static void bound_setter_validates(void **state) {
    (void)state;
    static LP_POOL_DEFINE(pl, 1, 1);
    assert_status(LP_POOL_INIT(pl, LP_FAIR), LP_OK);
    assert_status(lp_set_fairness_bound(LP_POOL(pl), 1000, fake_clock), LP_EINVAL);
    assert_status(LP_POOL_INIT(pl, LP_BARGING), LP_OK);
    assert_status(lp_set_fairness_bound(LP_POOL(pl), 1000, fake_clock), LP_EINVAL);
    assert_status(LP_POOL_INIT(pl, LP_BOUNDED), LP_OK);
    assert_status(lp_set_fairness_bound(LP_POOL(pl), 1000, NULL), LP_EINVAL);
    assert_status(lp_set_fairness_bound(NULL, 1000, fake_clock), LP_EINVAL);
    assert_status(lp_set_fairness_bound(LP_POOL(pl), 1000, fake_clock), LP_OK);
    assert_status(lp_set_fairness_bound(LP_POOL(pl), 0, lp_clock_ns), LP_OK);
}

/* Until a clock is set, BOUNDED is BARGING: a release unlocks. */
static void bounded_without_clock_barges(void **state) {
    (void)state;
    static LP_POOL_DEFINE(pl, 1, 2);
    lp_pool *p = LP_POOL(pl);
    assert_status(LP_POOL_INIT(pl, LP_BOUNDED), LP_OK);
    wake_counter wc = {0};
    lp_wait w = LP_WAIT_INIT;
    uint32_t held, got, newcomer;
    assert_status(lp_try_get(p, &held), LP_OK);
    assert_status(lp_get_async(p, &w, counting_waker(&wc), &got), LP_PENDING);
    assert_status(lp_put(p, held), LP_OK);
    assert_int_equal(wc.calls, 1);
    assert_int_equal(lp_debug_held(p), 0);
    assert_status(lp_try_get(p, &newcomer), LP_OK);
    assert_status(lp_wait_poll(p, &w, NULL, &got), LP_PENDING);
    assert_status(lp_wait_cancel(p, &w, NULL), LP_CANCELLED);
    assert_status(lp_put(p, newcomer), LP_OK);
    assert_int_equal(lp_debug_held(p), 0);
}

/*
 * A waiter younger than the bound is woken to retry (the slot is unlocked, a newcomer
 * barges); once it has waited longer than the bound, the release is handed straight to it.
 */
static void bounded_hands_off_to_a_waiter_older_than_the_bound(uint64_t bound_ns, uint64_t young_ns,
                                                               uint64_t old_ns) {
    static LP_POOL_DEFINE(pl, 1, 4);
    lp_pool *p = LP_POOL(pl);
    assert_status(LP_POOL_INIT(pl, LP_BOUNDED), LP_OK);
    fake_now_ns = 1000000000u; /* 1 s: away from zero */
    assert_status(lp_set_fairness_bound(p, bound_ns, fake_clock), LP_OK);
    wake_counter wc = {0};
    lp_wait w = LP_WAIT_INIT;
    uint32_t held, got, newcomer, other;

    assert_status(lp_try_get(p, &held), LP_OK);
    assert_status(lp_get_async(p, &w, counting_waker(&wc), &got), LP_PENDING);
    fake_now_ns += young_ns;
    assert_status(lp_put(p, held), LP_OK);
    assert_int_equal(wc.calls, 1);
    assert_int_equal(lp_debug_held(p), 0); /* young waiter: barging release */
    assert_status(lp_try_get(p, &newcomer), LP_OK);
    assert_status(lp_wait_poll(p, &w, NULL, &got), LP_PENDING); /* re-queued, waiting anew */

    fake_now_ns += old_ns;
    assert_status(lp_put(p, newcomer), LP_OK);
    assert_int_equal(wc.calls, 2);
    assert_int_equal(lp_debug_held(p), 1);            /* handed off, never unlocked */
    assert_status(lp_try_get(p, &other), LP_EMPTY);  /* a newcomer cannot barge now */
    assert_status(lp_wait_poll(p, &w, NULL, &got), LP_OK);
    assert_int_equal(got, newcomer);
    assert_status(lp_put(p, got), LP_OK);
    assert_int_equal(lp_debug_held(p), 0);
    assert_int_equal(lp_debug_queued(p), 0);
}

static void bounded_explicit_bound(void **state) {
    (void)state;
    /* bound 1 ms; young = 100 us, old = 5 ms */
    bounded_hands_off_to_a_waiter_older_than_the_bound(1000000u, 100000u, 5000000u);
    /* bound 50 ms; young = 10 ms, old = 60 ms */
    bounded_hands_off_to_a_waiter_older_than_the_bound(50000000u, 10000000u, 60000000u);
}

static void bounded_default_bound_is_one_ms(void **state) {
    (void)state;
    /* bound 0 means 1 ms: 0.5 ms is young, 1.5 ms is old */
    bounded_hands_off_to_a_waiter_older_than_the_bound(0, 500000u, 1500000u);
}

/*
 * A wait that lost a retry after passing the bound re-queues behind a younger waiter. It is
 * not at the head, yet releases must hand off (in queue order) until it is served: the young
 * head is handed the slot, then the starving wait; only then do releases barge again.
 */
static void bounded_starving_wait_behind_a_young_head_is_still_served_by_hand_off(void **state) {
    (void)state;
    static LP_POOL_DEFINE(pl, 1, 4);
    lp_pool *p = LP_POOL(pl);
    assert_status(LP_POOL_INIT(pl, LP_BOUNDED), LP_OK);
    fake_now_ns = 1000000000u;
    assert_status(lp_set_fairness_bound(p, 1000000u, fake_clock), LP_OK);
    wake_counter old_wc = {0}, young_wc = {0};
    lp_wait old_w = LP_WAIT_INIT, young_w = LP_WAIT_INIT;
    uint32_t held, got, other;

    assert_status(lp_try_get(p, &held), LP_OK);
    assert_status(lp_get_async(p, &old_w, counting_waker(&old_wc), &got), LP_PENDING);
    assert_status(lp_put(p, held), LP_OK); /* young: woken to retry, the slot unlocked */
    assert_int_equal(old_wc.calls, 1);
    assert_status(lp_try_get(p, &held), LP_OK); /* a newcomer barges */
    fake_now_ns += 2000000u;                     /* the first waiter is now past the bound */
    assert_status(lp_get_async(p, &young_w, counting_waker(&young_wc), &got), LP_PENDING);
    assert_status(lp_wait_poll(p, &old_w, NULL, &got), LP_PENDING); /* lost: behind the young one */

    assert_status(lp_put(p, held), LP_OK);
    assert_int_equal(lp_debug_held(p), 1);           /* handed to the young head, not unlocked */
    assert_status(lp_try_get(p, &other), LP_EMPTY);
    assert_status(lp_wait_poll(p, &young_w, NULL, &got), LP_OK);
    assert_int_equal(got, held);
    assert_status(lp_put(p, got), LP_OK);
    assert_int_equal(lp_debug_held(p), 1);           /* handed to the starving wait */
    assert_status(lp_wait_poll(p, &old_w, NULL, &got), LP_OK);
    assert_int_equal(got, held);

    /* Served: no wait is starving, so a release with a young waiter barges again. */
    assert_status(lp_get_async(p, &young_w, counting_waker(&young_wc), &other), LP_PENDING);
    assert_status(lp_put(p, got), LP_OK);
    assert_int_equal(lp_debug_held(p), 0);
    assert_status(lp_wait_poll(p, &young_w, NULL, &got), LP_OK); /* the retry finds it free */
    assert_status(lp_put(p, got), LP_OK);
    assert_int_equal(lp_debug_queued(p), 0);

    /* A starving wait that is cancelled stops the hand-offs too. */
    assert_status(lp_try_get(p, &held), LP_OK);
    assert_status(lp_get_async(p, &old_w, counting_waker(&old_wc), &got), LP_PENDING);
    assert_status(lp_put(p, held), LP_OK); /* young: retry */
    assert_status(lp_try_get(p, &held), LP_OK);
    fake_now_ns += 2000000u;
    assert_status(lp_get_async(p, &young_w, counting_waker(&young_wc), &got), LP_PENDING);
    assert_status(lp_wait_poll(p, &old_w, NULL, &got), LP_PENDING); /* starving, behind */
    assert_status(lp_wait_cancel(p, &old_w, &got), LP_CANCELLED);
    assert_status(lp_put(p, held), LP_OK);
    assert_int_equal(lp_debug_held(p), 0); /* the young head is woken to retry, not handed it */
    assert_status(lp_wait_poll(p, &young_w, NULL, &got), LP_OK);
    assert_status(lp_put(p, got), LP_OK);
    assert_int_equal(lp_debug_queued(p), 0);
}

/*
 * Wait ages are exact for any wait the API allows (lp_get_timeout takes up to LP_FOREVER).
 * The fake clock makes a wait hours old in no time. Two paths read an age: the release's
 * look at the head waiter (its cell's stamp), and a wait that re-queues after a lost retry
 * (its record's stamp, which makes it "starving"). Each is checked at ages of 1 ms, 1 min,
 * 40 min, 80 min and 10 h against bounds just below, at, just above, half and twice the age
 * (and the default 1 ms): a hand-off exactly when the age is above the bound. Clock bases:
 * 1 s, 500 ns before the stamp's low 32 bits wrap (the wait straddles the two halves), and
 * 2^62 ns.
 */
static uint32_t release_with_head_aged(uint64_t base, uint64_t age, uint64_t bound) {
    static LP_POOL_DEFINE(pl, 1, 4);
    lp_pool *p = LP_POOL(pl);
    assert_status(LP_POOL_INIT(pl, LP_BOUNDED), LP_OK);
    fake_now_ns = base;
    assert_status(lp_set_fairness_bound(p, bound, fake_clock), LP_OK);
    wake_counter wc = {0};
    lp_wait w = LP_WAIT_INIT;
    uint32_t held, got, other;
    assert_status(lp_try_get(p, &held), LP_OK);
    assert_status(lp_get_async(p, &w, counting_waker(&wc), &got), LP_PENDING);
    fake_now_ns = base + age;
    assert_status(lp_put(p, held), LP_OK);
    assert_int_equal(wc.calls, 1);
    uint32_t handed = lp_debug_held(p); /* 1: handed off, never unlocked; 0: unlocked, retry */
    if (handed)
        assert_status(lp_try_get(p, &other), LP_EMPTY); /* nobody barges past it */
    assert_status(lp_wait_poll(p, &w, NULL, &got), LP_OK);
    assert_status(lp_put(p, got), LP_OK);
    assert_int_equal(lp_debug_held(p), 0);
    assert_int_equal(lp_debug_queued(p), 0);
    return handed;
}

static uint32_t release_with_requeued_wait_aged(uint64_t base, uint64_t age, uint64_t bound) {
    static LP_POOL_DEFINE(pl, 1, 4);
    lp_pool *p = LP_POOL(pl);
    assert_status(LP_POOL_INIT(pl, LP_BOUNDED), LP_OK);
    fake_now_ns = base;
    assert_status(lp_set_fairness_bound(p, bound, fake_clock), LP_OK);
    wake_counter old_wc = {0}, young_wc = {0};
    lp_wait old_w = LP_WAIT_INIT, young_w = LP_WAIT_INIT;
    uint32_t held, got;
    assert_status(lp_try_get(p, &held), LP_OK);
    assert_status(lp_get_async(p, &old_w, counting_waker(&old_wc), &got), LP_PENDING);
    assert_status(lp_put(p, held), LP_OK); /* age 0: woken to retry */
    assert_int_equal(lp_debug_held(p), 0);
    assert_status(lp_try_get(p, &held), LP_OK); /* a newcomer barges */
    fake_now_ns = base + age;
    assert_status(lp_get_async(p, &young_w, counting_waker(&young_wc), &got), LP_PENDING);
    assert_status(lp_wait_poll(p, &old_w, NULL, &got), LP_PENDING); /* re-queued behind the young one */
    assert_status(lp_put(p, held), LP_OK);
    uint32_t handed = lp_debug_held(p); /* 1: hand-off to the young head because the old wait starves */
    assert_status(lp_wait_poll(p, &young_w, NULL, &got), LP_OK);
    assert_status(lp_put(p, got), LP_OK);
    assert_status(lp_wait_poll(p, &old_w, NULL, &got), LP_OK);
    assert_status(lp_put(p, got), LP_OK);
    assert_int_equal(lp_debug_held(p), 0);
    assert_int_equal(lp_debug_queued(p), 0);
    return handed;
}

static void bounded_ages_are_exact_for_any_wait_length(void **state) {
    (void)state;
    const uint64_t ms = 1000000u, min = 60000u * ms, hour = 60u * min;
    const uint64_t ages[] = {1u * ms, 1u * min, 40u * min, 80u * min, 10u * hour};
    const uint64_t bases[] = {1000000000u, ((uint64_t)1 << 32) - 500u, (uint64_t)1 << 62};
    int checked = 0;
    for (size_t b = 0; b < sizeof bases / sizeof bases[0]; b++) {
        for (size_t a = 0; a < sizeof ages / sizeof ages[0]; a++) {
            uint64_t age = ages[a];
            /* 0 = the default bound, 1 ms */
            const uint64_t bounds[] = {0u, age - 1u, age, age + 1u, age / 2u, 2u * age};
            for (size_t k = 0; k < sizeof bounds / sizeof bounds[0]; k++) {
                uint64_t bound = bounds[k] == 0u ? ms : bounds[k];
                uint32_t want = age > bound;
                uint32_t head = release_with_head_aged(bases[b], age, bounds[k]);
                uint32_t requeued = release_with_requeued_wait_aged(bases[b], age, bounds[k]);
                if (head != want || requeued != want)
                    fail_msg("base %" PRIu64 " ns, age %" PRIu64 " ns, bound %" PRIu64 " ns: hand-off %u (head), "
                             "%u (re-queued wait), expected %u",
                             bases[b], age, bound, head, requeued, want);
                checked++;
            }
        }
    }
    assert_int_equal(checked, 3 * 5 * 6);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(barging_put_unlocks_and_newcomer_can_win),
        cmocka_unit_test(barging_woken_waiter_takes_free_slot),
        cmocka_unit_test(barging_wakes_oldest_first_while_newcomers_barge),
        cmocka_unit_test(barging_cancel_of_woken_wait_passes_the_wake_on),
        cmocka_unit_test(barging_cancel_pending),
        cmocka_unit_test(barging_release_during_a_retry_wakes_nobody),
        cmocka_unit_test(barging_retry_end_wakes_for_a_slot_left_free),
        cmocka_unit_test(barging_cancel_of_woken_wait_returns_the_token),
        cmocka_unit_test(barging_retry_wakes_zero_wakes_on_every_release),
        cmocka_unit_test(retry_wakes_setter_validates),
        cmocka_unit_test(bound_setter_validates),
        cmocka_unit_test(bounded_without_clock_barges),
        cmocka_unit_test(bounded_explicit_bound),
        cmocka_unit_test(bounded_default_bound_is_one_ms),
        cmocka_unit_test(bounded_starving_wait_behind_a_young_head_is_still_served_by_hand_off),
        cmocka_unit_test(bounded_ages_are_exact_for_any_wait_length),
    };
    return cmocka_run_group_tests_name("pool.unit.modes", tests, NULL, NULL);
}
