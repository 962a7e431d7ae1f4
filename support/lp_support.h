/*
 * lp_support.h — the few platform primitives the code around the pool needs: tests, baseline
 * designs and the bench (C11 and C++17). The pool itself keeps its own, private platform layer
 * (pool/src: lp_atomic.h, lp_prim.h) and never includes this.
 *
 *   LPS_TSAN, LPS_ASAN   defined (1) when compiled under ThreadSanitizer / AddressSanitizer
 *   lps_now_ns()         CLOCK_MONOTONIC in ns (clock_gettime: the including file makes POSIX
 *                        visible, e.g. _POSIX_C_SOURCE or _GNU_SOURCE, as C11 without extensions hides it)
 *   lps_cpu_relax()      one polite busy-wait step (x86 pause, Arm yield; nothing elsewhere)
 */
#ifndef LP_SUPPORT_H
#define LP_SUPPORT_H

#include <stdint.h>
#include <time.h>

#if defined(__SANITIZE_THREAD__)
#define LPS_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define LPS_TSAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define LPS_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define LPS_ASAN 1
#endif
#endif

static inline uint64_t lps_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts); /* vDSO: no syscall with a TSC clocksource */
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline void lps_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__) || (defined(__arm__) && defined(__ARM_ARCH) && __ARM_ARCH >= 7)
    __asm__ __volatile__("yield" ::: "memory");
#endif
}

#endif /* LP_SUPPORT_H */
