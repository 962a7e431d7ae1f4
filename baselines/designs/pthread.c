/*
 * pthread — what most C code does: a free stack guarded by a pthread_mutex_t, waiters
 * sleeping on a pthread_cond_t (CLOCK_MONOTONIC, so timeouts ignore wall-clock jumps).
 *
 * Fairness: none promised. put signals one waiter, but the woken waiter must re-take the
 * mutex and re-check the stack, so a newcomer's try_get can barge in first (the woken
 * waiter then sleeps again). glibc's mutex itself is not FIFO either.
 * Progress: blocking (a preempted mutex holder stalls everyone); try_get takes the mutex.
 * Oversubscribed: holders and waiters sleep in the kernel (futex inside glibc), so it
 * degrades gracefully; every get/put writes the mutex's cache line.
 * MAX_WAITERS: counted under the mutex; one more waiter gets LP_EFULL.
 */
#include <errno.h>
#include <pthread.h>

#include "lpd_internal.h"

typedef struct pthread_pool {
    pthread_mutex_t mutex;
    pthread_cond_t nonempty;  /* signalled by put when someone waits */
    uint32_t waiting;         /* callers inside get/get_timeout; under mutex */
    uint32_t max_waiters;
    lpd_free_stack stack;     /* under mutex (stack.nfree is atomic only for other designs' pollers) */
} pthread_pool;

static size_t pthread_size(uint32_t slots, uint32_t max_waiters) {
    return lpd_stack_design_size(sizeof(pthread_pool), slots, max_waiters);
}

static int pthread_init(void *self, uint32_t slots, uint32_t max_waiters) {
    if (!lpd_init_args_ok(self, slots, max_waiters))
        return LP_EINVAL;
    pthread_pool *p = self;
    pthread_condattr_t attr;
    if (pthread_mutex_init(&p->mutex, NULL) != 0)
        return LP_EINVAL;
    if (pthread_condattr_init(&attr) != 0 ||
        pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) != 0 ||
        pthread_cond_init(&p->nonempty, &attr) != 0) {
        pthread_mutex_destroy(&p->mutex);
        return LP_EINVAL;
    }
    pthread_condattr_destroy(&attr);
    p->waiting = 0;
    p->max_waiters = max_waiters;
    lpd_free_stack_init(&p->stack, lpd_stack_design_arrays(self, sizeof(pthread_pool)), slots);
    return LP_OK;
}

static void pthread_destroy(void *self) {
    pthread_pool *p = self;
    pthread_cond_destroy(&p->nonempty);
    pthread_mutex_destroy(&p->mutex);
}

static int pthread_try_get(void *self, uintptr_t *handle) {
    pthread_pool *p = self;
    pthread_mutex_lock(&p->mutex);
    int st = lpd_free_stack_pop(&p->stack, handle);
    pthread_mutex_unlock(&p->mutex);
    return st;
}

static int pthread_get_timeout(void *self, uintptr_t *handle, uint64_t timeout_ns) {
    pthread_pool *p = self;
    struct timespec abs;
    bool forever = timeout_ns == LP_FOREVER;
    if (!forever && timeout_ns != 0) {
        uint64_t deadline = lpd_deadline(timeout_ns);
        abs.tv_sec = (time_t)(deadline / 1000000000u);
        abs.tv_nsec = (long)(deadline % 1000000000u);
    }
    pthread_mutex_lock(&p->mutex);
    int st = lpd_free_stack_pop(&p->stack, handle);
    if (st == LP_EMPTY && timeout_ns == 0) {
        st = LP_ETIMEDOUT;
    } else if (st == LP_EMPTY && p->waiting >= p->max_waiters) {
        st = LP_EFULL;
    } else if (st == LP_EMPTY) {
        p->waiting++;
        /* Re-check after every wake-up: spurious wake-ups happen, and a newcomer may
         * have taken the slot that the signal was for. */
        while ((st = lpd_free_stack_pop(&p->stack, handle)) == LP_EMPTY) {
            int rc = forever ? pthread_cond_wait(&p->nonempty, &p->mutex)
                             : pthread_cond_timedwait(&p->nonempty, &p->mutex, &abs);
            if (rc == ETIMEDOUT) {
                /* one last look, under the mutex: never time out past a free slot */
                st = lpd_free_stack_pop(&p->stack, handle);
                if (st == LP_EMPTY)
                    st = LP_ETIMEDOUT;
                break;
            }
        }
        p->waiting--;
    }
    pthread_mutex_unlock(&p->mutex);
    return st;
}

static int pthread_get(void *self, uintptr_t *handle) {
    return pthread_get_timeout(self, handle, LP_FOREVER);
}

static int pthread_put(void *self, uintptr_t handle) {
    pthread_pool *p = self;
    if (!lpd_handle_in_range(&p->stack, handle))
        return LP_EINVAL;
    pthread_mutex_lock(&p->mutex);
    int st = lpd_free_stack_push(&p->stack, handle);
    /* Signal under the mutex: the waiter count is exact, and a signal is never sent to
     * a waiter that is not yet asleep (it would re-check the stack before sleeping). */
    if (st == LP_OK && p->waiting > 0)
        pthread_cond_signal(&p->nonempty);
    pthread_mutex_unlock(&p->mutex);
    return st;
}

static uint32_t pthread_waiting(const void *self) {
    pthread_pool *p = (pthread_pool *)self;
    pthread_mutex_lock(&p->mutex);
    uint32_t n = p->waiting;
    pthread_mutex_unlock(&p->mutex);
    return n;
}

const lpd_design lpd_pthread = {
    .name = "pthread",
    .blocking = "condvar",
    .summary = "mutex + condvar around a free stack: blocking, not FIFO (woken waiters re-compete with newcomers)",
    .flags = LPD_BOUNDED | LPD_BLOCKING | LPD_WAIT_QUEUE,
    .size = pthread_size,
    .init = pthread_init,
    .destroy = pthread_destroy,
    .try_get = pthread_try_get,
    .get = pthread_get,
    .get_timeout = pthread_get_timeout,
    .put = pthread_put,
    .waiting = pthread_waiting,
};
