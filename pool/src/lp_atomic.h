/*
 * lp_atomic.h — every atomic access of the pool goes through these, so the memory
 * order is in the name at each call site (after mimalloc's atomic.h and ck_pr.h).
 * C11 <stdatomic.h> is a freestanding header: nothing here needs libc. Only 32-bit
 * and pointer-sized atomics are used, so Cortex-M4 needs no libatomic.
 */
#ifndef LP_ATOMIC_H
#define LP_ATOMIC_H

#include <stdatomic.h>
#include <stdint.h>

typedef _Atomic uint32_t lp_atomic_u32;

#define lp_load_relaxed(p) atomic_load_explicit((p), memory_order_relaxed)
#define lp_load_acquire(p) atomic_load_explicit((p), memory_order_acquire)
#define lp_load_seq_cst(p) atomic_load_explicit((p), memory_order_seq_cst)
#define lp_store_relaxed(p, v) atomic_store_explicit((p), (v), memory_order_relaxed)
#define lp_store_release(p, v) atomic_store_explicit((p), (v), memory_order_release)
#define lp_store_seq_cst(p, v) atomic_store_explicit((p), (v), memory_order_seq_cst)
#define lp_xchg_seq_cst(p, v) atomic_exchange_explicit((p), (v), memory_order_seq_cst)
#define lp_xchg_acq_rel(p, v) atomic_exchange_explicit((p), (v), memory_order_acq_rel)
#define lp_fetch_add_relaxed(p, v) atomic_fetch_add_explicit((p), (v), memory_order_relaxed)
#define lp_fetch_sub_relaxed(p, v) atomic_fetch_sub_explicit((p), (v), memory_order_relaxed)
#define lp_fetch_add_seq_cst(p, v) atomic_fetch_add_explicit((p), (v), memory_order_seq_cst)
#define lp_fetch_sub_seq_cst(p, v) atomic_fetch_sub_explicit((p), (v), memory_order_seq_cst)
/* CAS: on failure *expected is reloaded; the failure order is the load part of the success order. */
#define lp_cas_relaxed(p, e, d) \
    atomic_compare_exchange_strong_explicit((p), (e), (d), memory_order_relaxed, memory_order_relaxed)
#define lp_cas_acquire(p, e, d) \
    atomic_compare_exchange_strong_explicit((p), (e), (d), memory_order_acquire, memory_order_relaxed)
#define lp_cas_release(p, e, d) \
    atomic_compare_exchange_strong_explicit((p), (e), (d), memory_order_release, memory_order_relaxed)
#define lp_cas_acq_rel(p, e, d) \
    atomic_compare_exchange_strong_explicit((p), (e), (d), memory_order_acq_rel, memory_order_acquire)
#define lp_cas_seq_cst(p, e, d) \
    atomic_compare_exchange_strong_explicit((p), (e), (d), memory_order_seq_cst, memory_order_seq_cst)

/* A polite busy-wait step (no OS): tells an SMT sibling it may run. */
static inline void lp_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__) || (defined(__arm__) && defined(__ARM_ARCH) && __ARM_ARCH >= 7)
    __asm__ __volatile__("yield" ::: "memory");
#else
    atomic_signal_fence(memory_order_seq_cst);
#endif
}

#endif /* LP_ATOMIC_H */
