/*
 * lp_prim.h — the OS contract of the sync layer (after mimalloc's prim.h). The core
 * (lp_pool.c) never includes this; one file per platform implements it.
 */
#ifndef LP_PRIM_H
#define LP_PRIM_H

#include <stdint.h>

/* Sleep while *addr == expected, until woken or until the absolute CLOCK_MONOTONIC
 * deadline_ns (0 = no deadline). May return spuriously: callers re-check.
 * Returns 0, or -1 if the deadline passed. */
int lp_prim_wait(uint32_t *addr, uint32_t expected, uint64_t deadline_ns);

/* Wake up to n sleepers on addr. */
void lp_prim_wake(uint32_t *addr, int n);

/* CLOCK_MONOTONIC, in ns. */
uint64_t lp_prim_now_ns(void);

/* Give the CPU away (used when a spin finds the thing it waits for preempted). */
void lp_prim_yield(void);

#endif /* LP_PRIM_H */
