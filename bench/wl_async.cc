// wl_async.cc — many waiters through lp_get_async, driven by a small event loop per thread.
//
// LockPool designs only: lp_get_async is LockPool's own API (the design-neutral interface has no
// async path), so this workload drives an lp_pool directly, in the mode the design's name says.
// Each of the `threads` loops owns MAX_WAITERS / threads tasks. A task tries lp_try_get; on EMPTY
// it calls lp_get_async (and, once queued, takes a FIFO ticket); when its waker fires (on the releasing thread,
// maybe another loop) the task is pushed on its loop's ready stack; the loop polls it, holds the
// slot for hold_ns (synchronously: the loop is busy meanwhile), and puts it. Latency is from the
// task's first try to the slot in hand. At the deadline, pending waits are cancelled.
// FIFO metric: as for threads (FifoTracker), with tasks as the waiters: every attempt's start is
// the arrival counter loaded before its lp_try_get, a queued task's ticket is taken after
// lp_get_async queued it (the async API is a split get); the holder stamps the slot before every
// lp_put and logs the release's end after it, and a task's grant reads the stamp when lp_try_get,
// lp_get_async or lp_wait_poll hands it the slot. Waits cancelled at the deadline record nothing.
#include <sched.h>

#include <cstring>

#include "harness.h"

#include <algorithm>

namespace lpb {
namespace {

struct Loop;

struct Task {
    lp_wait wait = LP_WAIT_INIT;
    Task *next_ready = nullptr;
    Loop *loop = nullptr;
    uint64_t t0 = 0;
    uint64_t start = 0;   // FIFO metric: arrivals seen before the attempt
    uint64_t ticket = 0;  // FIFO metric: taken once lp_get_async queued the task
    bool pending = false;
};

struct Loop {
    std::atomic<Task *> ready{nullptr};  // Treiber stack: wakers push, the loop takes all at once
};

void wake_task(void *ctx) {
    Task *t = static_cast<Task *>(ctx);
    Task *head = t->loop->ready.load(std::memory_order_relaxed);
    do {
        t->next_ready = head;
        // release: the loop that pops this task must see next_ready
    } while (!t->loop->ready.compare_exchange_weak(head, t, std::memory_order_release, std::memory_order_relaxed));
}

std::size_t tasks_per_loop(const Run &r) {
    const std::size_t n = r.c->waiters / static_cast<std::size_t>(r.threads);
    return n ? n : 1;
}

bool async_setup(Run &r) {
    lp_mode mode = LP_FAIR;
    if (!mode_of(r.d->name, &mode)) {
        r.error = "async: not a LockPool design";
        return false;
    }
    const std::size_t len = lp_storage_size(r.c->slots, r.c->waiters);
    r.mem = machine().alloc(len, r.c->mem_policy(), r.placement.empty() ? -1 : r.placement[0]);
    if (!r.mem.ptr) {
        r.error = "async: cannot allocate the pool";
        return false;
    }
    // lp_storage_size's layout: header, then the slots, then the cells.
    lp_pool *pool = static_cast<lp_pool *>(r.mem.ptr);
    lp_slot *slots = reinterpret_cast<lp_slot *>(pool + 1);
    lp_cell *cells = reinterpret_cast<lp_cell *>(slots + r.c->slots);
    lp_status st = lp_init(pool, slots, r.c->slots, cells, r.c->waiters, mode);
    if (st == LP_OK && mode == LP_BOUNDED) st = lp_set_fairness_bound(pool, 0, lp_clock_ns);
    if (st == LP_OK) st = apply_retry_wakes(pool, mode);
    if (st != LP_OK) {
        r.error = std::string("async: lp_init: ") + lp_status_str(st);
        machine().free(r.mem);
        return false;
    }
    r.pool = pool;
    r.self = pool;
    return true;
}

void async_teardown(Run &r) {
    // Every task put its slot back and cancelled its wait: the pool must be idle again.
    if (lp_debug_held(r.pool) != 0 || lp_debug_queued(r.pool) != 0) {
        ++r.teardown_errors;
        std::fprintf(stderr, "[lockpool-bench] async: pool not idle after the run (held %u, queued %u)\n",
                     lp_debug_held(r.pool), lp_debug_queued(r.pool));
    }
    machine().free(r.mem);
}

void loop_async(Run &r, int thread, ThreadStats &s) {
    lp_pool *pool = r.pool;
    const uint64_t deadline = r.deadline();
    const std::size_t ntasks = tasks_per_loop(r);
    Loop loop;
    std::vector<Task> tasks(ntasks);
    s.task_ops.assign(ntasks, 0);
    for (Task &t : tasks) t.loop = &loop;
    const bool fifo = r.fifo.measured();
    auto complete = [&](Task &t, uint32_t slot, bool waited) {
        const uint64_t lat = now_ns() - t.t0;
        s.hist.record(lat);
        if (waited) s.max_wait_ns = std::max(s.max_wait_ns, lat);
        ++s.grants;
        if (fifo) r.fifo.note_grant(s.fifo_log, slot, t.start, waited, t.ticket);
        if (r.reacquire.note_grant(slot, thread)) ++s.reacquires;
        spin_iters(s.hold.next());
        if (r.fifo.stamped_put(s.release_log, slot, [&] { return static_cast<int>(lp_put(pool, slot)); }) != LP_OK)
            ++s.errors;
        ++s.ops;
        ++s.task_ops[static_cast<std::size_t>(&t - tasks.data())];
        t.pending = false;
        spin_iters(s.think.next());  // 0 unless --think: the loop's own work between tasks
    };
    uint64_t idle_rounds = 0;
    while (now_ns() < deadline) {
        bool progressed = false;
        for (Task &t : tasks) {
            if (t.pending) continue;
            // Loaded before the timed try_get, so it costs the latency nothing.
            t.start = fifo ? r.fifo.arrivals_seen() : 0;
            t.t0 = now_ns();
            ++s.attempts;
            uint32_t slot = 0;
            lp_status st = lp_try_get(pool, &slot);
            if (st == LP_OK) {
                complete(t, slot, false);
                progressed = true;
                continue;
            }
            if (st != LP_EMPTY) {
                ++s.errors;
                continue;
            }
            ++s.empty;
            st = lp_get_async(pool, &t.wait, lp_waker{wake_task, &t}, &slot);
            if (st == LP_OK) {
                complete(t, slot, false);  // a slot came free during the enqueue: never queued
                progressed = true;
            } else if (st == LP_PENDING) {
                // Queued: the ticket follows the enqueue, so it orders us as the queue does.
                if (fifo) t.ticket = r.fifo.arrive();
                t.pending = true;
            } else {
                if (st == LP_EFULL) ++s.efull;
                else ++s.errors;
            }
        }
        // acquire: pairs with wake_task's release, so each task's next_ready is visible.
        Task *woken = loop.ready.exchange(nullptr, std::memory_order_acquire);
        while (woken) {
            Task &t = *woken;
            woken = t.next_ready;
            uint32_t slot = 0;
            const lp_status st = lp_wait_poll(pool, &t.wait, nullptr, &slot);
            if (st == LP_OK) {
                complete(t, slot, true);
                progressed = true;
            } else if (st == LP_PENDING) {
                // BARGING/BOUNDED: the wake meant "retry", the retry lost and re-queued; a new wake follows.
            } else {
                if (st == LP_EFULL) ++s.efull;
                else ++s.errors;
                t.pending = false;
            }
        }
        if (progressed) {
            idle_rounds = 0;
        } else if (++idle_rounds % 64 == 0) {
            sched_yield();  // every task waits on another loop's holder: let it run
        } else {
            cpu_relax();
        }
    }
    // Shutdown: withdraw every pending wait; a slot already handed to one is put back.
    for (Task &t : tasks) {
        if (!t.pending) continue;
        uint32_t slot = 0;
        const lp_status st = lp_wait_cancel(pool, &t.wait, &slot);
        if (st == LP_OK) {
            // every put is stamped: the next holder reads it
            if (r.fifo.stamped_put(s.release_log, slot, [&] { return static_cast<int>(lp_put(pool, slot)); }) != LP_OK)
                ++s.errors;
        } else if (st != LP_CANCELLED) {
            ++s.errors;
        }
        t.pending = false;
    }
    // After lp_wait_cancel returns no waker runs for these tasks again; drop queued wake-ups.
    loop.ready.exchange(nullptr, std::memory_order_acquire);  // acquire: as above
}

const Family kAsync{"async", loop_async, /*measures_fifo=*/true, async_setup, async_teardown};

void register_async() {
    for (const lpd_design *d : all_designs()) {
        lp_mode mode;
        if (!mode_of(d->name, &mode)) continue;
        Case c;
        c.family = &kAsync;
        c.design = d;
        // One slot: a loop holds synchronously, so with 2 loops and more slots nobody would ever
        // queue; with one, every other loop's tasks wait.
        c.slots = 1;
        c.waiters = 64;  // tasks in all: waiters / threads per loop, so the queue never overflows
        c.hold_ns = 1000;
        c.think_ns = 0;
        register_case(c, {2});
    }
}

const bool registered = add_workload("async", register_async);

}  // namespace
}  // namespace lpb
