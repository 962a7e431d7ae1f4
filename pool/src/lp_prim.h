/*
 * lp_prim.h — the OS contract of the sync layer (after mimalloc's prim.h). The core
 * (lp_pool.c) never includes this; one file per platform implements it, in src/prim/
 * (CMake's LP_PRIM picks which: lp_prim_<LP_PRIM>.c).
 */
#ifndef LP_PRIM_H
#define LP_PRIM_H

#include <stdint.h>

/* 1 if lp_prim_wait really sleeps until woken; 0 on a platform without a way to (prim "none"):
 * then every blocking call of the sync layer answers LP_ENOSYS instead of spinning forever. */
extern const int lp_prim_blocks;

/* Sleep while *addr == expected, until woken or until the absolute CLOCK_MONOTONIC
 * deadline_ns (0 = no deadline). May return spuriously: callers re-check.
 * Returns 0, or -1 if the deadline passed. */
int lp_prim_wait(uint32_t *addr, uint32_t expected, uint64_t deadline_ns);

/* Wake up to n sleepers on addr. */
void lp_prim_wake(uint32_t *addr, int n);

/* CLOCK_MONOTONIC, in ns (0 where the platform has no clock). */
uint64_t lp_prim_now_ns(void);

#endif /* LP_PRIM_H */
