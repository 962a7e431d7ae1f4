// wl_async.cc — many waiters through a design's async path (lpd_async: LockPool's lp_get_async),
// driven by a small event loop per thread.
//
// Every design with an async path runs it, set up by its own init (its settings are its own).
// Each of the `threads` loops owns MAX_WAITERS / threads tasks. A task tries try_get; on EMPTY it
// calls the design's async get (and, once queued, takes a FIFO ticket); when its waker fires (on
// the releasing thread, maybe another loop) the task is pushed on its loop's ready stack; the loop
// polls it, holds the slot for hold_ns (synchronously: the loop is busy meanwhile), and puts it.
// Latency is from the task's first try to the slot in hand. At the deadline, pending waits are
// cancelled.
// FIFO metric: as for threads (FifoTracker), with tasks as the waiters: every attempt's start is
// the arrival counter loaded before its try_get, a queued task's ticket is taken after the async
// get queued it (the async API is a split get); the holder stamps the slot before every put and
// logs the release's end after it, and a task's grant reads the stamp when try_get, the async get
// or its poll hands it the slot. Waits cancelled at the deadline record nothing.
#include <sched.h>

#include <algorithm>
#include <vector>

#include "harness.h"

namespace lpb {
namespace {

constexpr std::size_t kAsyncWaitBytes = 256;  // a design whose wait record is larger runs no async case

struct Loop;

struct alignas(LPD_ALIGN) WaitStorage {
    unsigned char bytes[kAsyncWaitBytes];
};

struct Task {
    WaitStorage wait;  // the design's wait record (lpd_design.wait_size bytes)
    Task *next_ready = nullptr;
    Loop *loop = nullptr;
    uint64_t t0 = 0;
    uint64_t start = 0;   // FIFO metric: arrivals seen before the attempt
    FifoTracker::Arrival joined;  // FIFO metric: taken once the async get queued the task
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
    if (!r.d->async || r.d->wait_size > kAsyncWaitBytes) {
        r.error = "async: the design has no async path (or its wait record is too large)";
        return false;
    }
    return default_setup(r);
}

void async_teardown(Run &r) {
    // Every task put its slot back and cancelled its wait: the design must be idle again, every
    // slot free and nobody queued.
    const uint32_t queued = r.d->waiting ? r.d->waiting(r.self) : 0;
    std::vector<uintptr_t> taken;
    uintptr_t h = 0;
    while (taken.size() < r.c->slots && r.d->try_get(r.self, &h) == LP_OK) taken.push_back(h);
    if (queued != 0 || taken.size() != r.c->slots) {
        ++r.teardown_errors;
        std::fprintf(stderr, "[lockpool-bench] async: design not idle after the run (%zu of %u slots free, %u queued)\n",
                     taken.size(), r.c->slots, queued);
    }
    for (uintptr_t t : taken) r.d->put(r.self, t);
    default_teardown(r);
}

// One loop thread's tasks and bookkeeping: start attempts, collect woken waits, shut down.
class AsyncLoop {
public:
    AsyncLoop(Run &r, int thread, ThreadStats &s)
        : r_(r), d_(*r.d), self_(r.self), thread_(thread), s_(s), fifo_(r.fifo.measured()), tasks_(tasks_per_loop(r)) {
        s_.task_ops.assign(tasks_.size(), 0);
        for (Task &t : tasks_) t.loop = &loop_;
    }

    /** Every idle task tries once: try_get, else the async get. True if a task got a slot. */
    bool start_idle_tasks() {
        bool progressed = false;
        for (Task &t : tasks_)
            if (!t.pending) progressed |= attempt(t);
        return progressed;
    }

    /** Poll every task whose waker fired since the last call. True if a task got a slot. */
    bool collect_woken() {
        bool progressed = false;
        // acquire: pairs with wake_task's release, so each task's next_ready is visible.
        Task *woken = loop_.ready.exchange(nullptr, std::memory_order_acquire);
        while (woken) {
            Task &t = *woken;
            woken = t.next_ready;
            uintptr_t h = 0;
            const int st = d_.async->poll(self_, t.wait.bytes, &h);
            if (st == LP_OK) {
                complete(t, h, true);
                progressed = true;
            } else if (st != LP_PENDING) {  // LP_PENDING: the wake meant "retry", it lost and re-queued
                count_failure(st);
                t.pending = false;
            }
        }
        return progressed;
    }

    /** At the deadline: withdraw every pending wait; a slot already handed to one is put back. */
    void shutdown() {
        for (Task &t : tasks_) {
            if (!t.pending) continue;
            uintptr_t h = 0;
            const int st = d_.async->cancel(self_, t.wait.bytes, &h);
            if (st == LP_OK) put(h);  // every put is stamped: the next holder reads it
            else if (st != LP_CANCELLED) ++s_.errors;
            t.pending = false;
        }
        // After cancel returns no waker runs for these tasks again; drop queued wake-ups.
        loop_.ready.exchange(nullptr, std::memory_order_acquire);  // acquire: as in collect_woken
    }

private:
    bool attempt(Task &t) {
        // Loaded before the timed try_get, so it costs the latency nothing.
        t.start = fifo_ ? r_.fifo.arrivals_seen() : 0;
        t.t0 = now_ns();
        ++s_.attempts;
        uintptr_t h = 0;
        int st = d_.try_get(self_, &h);
        if (st == LP_EMPTY) {
            ++s_.empty;
            st = d_.async->get(self_, t.wait.bytes, lp_waker{wake_task, &t}, &h);
            if (st == LP_PENDING) {
                // Queued: the ticket follows the enqueue, so it orders us as the queue does.
                if (fifo_) t.joined = r_.fifo.arrive();
                t.pending = true;
                return false;
            }
        }
        if (st != LP_OK) {
            count_failure(st);
            return false;
        }
        complete(t, h, false);  // free at once, or a slot came free during the enqueue
        return true;
    }

    void complete(Task &t, uintptr_t h, bool waited) {
        const uint64_t lat = now_ns() - t.t0;
        s_.hist.record(lat);
        if (waited) s_.max_wait_ns = std::max(s_.max_wait_ns, lat);
        ++s_.grants;
        if (fifo_) r_.fifo.note_grant(s_.fifo_log, h, t.start, waited, t.joined);
        if (r_.reacquire.note_grant(h, thread_)) ++s_.reacquires;
        spin_iters(s_.hold.next());
        put(h);
        ++s_.ops;
        ++s_.task_ops[static_cast<std::size_t>(&t - tasks_.data())];
        t.pending = false;
        spin_iters(s_.think.next());  // 0 unless --think: the loop's own work between tasks
    }

    void put(uintptr_t h) { stamped_put(r_, s_, h); }

    void count_failure(int st) {
        if (st == LP_EFULL) ++s_.efull;
        else ++s_.errors;
    }

    Run &r_;
    const lpd_design &d_;
    void *self_;
    int thread_;
    ThreadStats &s_;
    bool fifo_;
    Loop loop_;
    std::vector<Task> tasks_;
};

void loop_async(Run &r, int thread, ThreadStats &s) {
    AsyncLoop loop(r, thread, s);
    const uint64_t deadline = r.deadline();
    uint64_t idle_rounds = 0;
    while (now_ns() < deadline) {
        const bool started = loop.start_idle_tasks();
        const bool collected = loop.collect_woken();
        if (started || collected) idle_rounds = 0;
        else if (++idle_rounds % 64 == 0) sched_yield();  // every task waits on another loop's holder: let it run
        else cpu_relax();
    }
    loop.shutdown();
}

const Family kAsync{"async", loop_async, /*measures_fifo=*/true, async_setup, async_teardown};

void register_async() {
    for (const lpd_design *d : all_designs()) {
        if (!d->async || d->wait_size > kAsyncWaitBytes) continue;
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
