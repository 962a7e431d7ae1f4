/*
 * lp_prim_linux.c — the sync layer's OS contract (lp_prim.h) on Linux: private futexes
 * with absolute CLOCK_MONOTONIC deadlines (FUTEX_WAIT_BITSET), so a deadline computed
 * once never stretches across spurious wake-ups or EINTR.
 */
#define _GNU_SOURCE
#include "lp_prim.h"

#include <errno.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

const int lp_prim_blocks = 1;

int lp_prim_wait(uint32_t *addr, uint32_t expected, uint64_t deadline_ns) {
    struct timespec ts, *tsp = NULL;
    if (deadline_ns) {
        ts.tv_sec = (time_t)(deadline_ns / 1000000000u);
        ts.tv_nsec = (long)(deadline_ns % 1000000000u);
        tsp = &ts;
    }
    /* FUTEX_WAIT compares *addr with expected and sleeps atomically: a wake between our
     * check and the sleep makes it return EAGAIN at once, never a lost wakeup. */
    long rc = syscall(SYS_futex, addr, FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG, expected, tsp, NULL,
                      FUTEX_BITSET_MATCH_ANY);
    if (rc == -1 && errno == ETIMEDOUT) return -1;
    return 0; /* woken, EAGAIN (value changed), EINTR: the caller re-checks */
}

void lp_prim_wake(uint32_t *addr, int n) {
    syscall(SYS_futex, addr, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, n, NULL, NULL, 0);
}

uint64_t lp_prim_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
