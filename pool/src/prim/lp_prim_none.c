/*
 * lp_prim_none.c — the sync layer's OS contract (lp_prim.h) for a platform with no way to
 * sleep or to read a clock (CMake -DLP_PRIM=none): lp_prim_blocks is 0, so the blocking calls
 * answer LP_ENOSYS before they could reach lp_prim_wait; the core is unaffected.
 */
#include "lp_prim.h"

const int lp_prim_blocks = 0;

/* Never reached (the sync layer checks lp_prim_blocks first); a spurious wake-up if it were. */
int lp_prim_wait(uint32_t *addr, uint32_t expected, uint64_t deadline_ns) {
    (void)addr;
    (void)expected;
    (void)deadline_ns;
    return 0;
}

void lp_prim_wake(uint32_t *addr, int n) {
    (void)addr;
    (void)n;
}

uint64_t lp_prim_now_ns(void) { return 0u; }
