/*
 * lp-fastpath — single-thread try_get+put pairs through the design interface, for
 * counting instructions with callgrind (callgrind_fastpath.sh runs it at N and 2N and
 * takes the difference / N, which cancels start-up and warm-up).
 *
 *   lp-fastpath --design NAME --iters N [--slots S] [--time R]   (default S = 64, waiters = 64)
 *   lp-fastpath --list
 *
 * `bare-cas` is a pseudo-design, the lower bound of any pool: one flag, taken with a CAS
 * (acquire) and released with a store (release), called through the same interface.
 * `lockpool-direct` is LockPool's default mode called directly (lp_try_get/lp_put, no
 * function pointers, no adapter): against `lockpool` it separates the library's own pair
 * from the design interface's cost.
 *
 * --time R: also time R rounds of N pairs (after the warm-up) and print the fastest and the
 * median round in ns per pair: a wall-clock microbenchmark of the same loop, free of the
 * benchmark harness's own per-pair work (pool/DESIGN.md, "The uncontended pair").
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lpd_config.h"
#include "lpd_internal.h"

/* ---- bare-cas: one flag --------------------------------------------------------------- */
typedef struct bare_cas {
    _Alignas(LPD_LINE) atomic_uint taken;
} bare_cas;

static size_t bare_size(uint32_t slots, uint32_t max_waiters) {
    (void)slots;
    (void)max_waiters;
    return sizeof(bare_cas);
}

static int bare_init(void *self, uint32_t slots, uint32_t max_waiters) {
    (void)slots;
    (void)max_waiters;
    if (!lpd_storage_ok(self))
        return LP_EINVAL;
    atomic_init(&((bare_cas *)self)->taken, 0);
    return LP_OK;
}

static void bare_destroy(void *self) {
    (void)self;
}

static int bare_try_get(void *self, uintptr_t *handle) {
    unsigned expected = 0;
    /* acquire: the previous holder's writes to the object happen before ours */
    if (!atomic_compare_exchange_strong_explicit(&((bare_cas *)self)->taken, &expected, 1,
                                                 memory_order_acquire, memory_order_relaxed))
        return LP_EMPTY;
    *handle = 0;
    return LP_OK;
}

static int bare_put(void *self, uintptr_t handle) {
    (void)handle;
    /* release: our writes to the object happen before the next holder's */
    atomic_store_explicit(&((bare_cas *)self)->taken, 0, memory_order_release);
    return LP_OK;
}

static const lpd_design bare_cas_design = {
    .name = "bare-cas",
    .blocking = "none",
    .summary = "lower bound: one flag, CAS-acquire / store-release (not a pool: 1 slot, no checks)",
    .flags = 0,
    .size = bare_size,
    .init = bare_init,
    .destroy = bare_destroy,
    .try_get = bare_try_get,
    .get = lpd_get_unsupported,
    .get_timeout = lpd_get_timeout_unsupported,
    .put = bare_put,
};

/* ---- lockpool-direct: the library without the adapter ------------------------------------ */
static const char direct_name[] = "lockpool-direct";
static const char direct_summary[] =
    "LockPool default mode, lp_try_get/lp_put called directly (no design interface): the library's own pair";

/* Kept out of line, as run_pairs: the loop around the calls is the same shape. */
__attribute__((noinline)) static uint64_t run_pairs_direct(lp_pool *pool, uint64_t iters) {
    uint64_t failures = 0;
    for (uint64_t i = 0; i < iters; i++) {
        uint32_t slot;
        if (lp_try_get(pool, &slot) != LP_OK) {
            failures++;
            continue;
        }
        if (lp_put(pool, slot) != LP_OK)
            lpd_fatal("put of a slot just taken failed");
    }
    return failures;
}

/* ---- driver ---------------------------------------------------------------------------- */
static const lpd_design *find_design(const char *name) {
    if (strcmp(name, bare_cas_design.name) == 0)
        return &bare_cas_design;
    return lpd_find(name);
}

static void list_designs(void) {
    size_t n;
    const lpd_design *const *all = lpd_designs(&n);
    for (size_t i = 0; i < n; i++)
        printf("%-20s %-8s %s\n", all[i]->name, all[i]->blocking, all[i]->summary);
    printf("%-20s %-8s %s\n", bare_cas_design.name, bare_cas_design.blocking, bare_cas_design.summary);
    printf("%-20s %-8s %s\n", direct_name, "futex", direct_summary);
    const char *skipped = lpd_skipped();
    if (skipped[0] != '\0')
        printf("skipped:\n%s", skipped);
#if LPD_HAVE_JEMALLOC
    printf("jemalloc: %s\n", lpd_malloc_jemalloc_version());
#endif
}

static int usage(void) {
    fprintf(stderr, "usage: lp-fastpath --design NAME --iters N [--slots S] [--time ROUNDS] | --list\n");
    return 2;
}

static int parse_u64(const char *s, uint64_t *out) {
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0')
        return -1;
    *out = v;
    return 0;
}

/* Kept out of line so the measured loop is the same code for every design. */
__attribute__((noinline)) static uint64_t run_pairs(const lpd_design *d, void *self, uint64_t iters) {
    uint64_t failures = 0;
    for (uint64_t i = 0; i < iters; i++) {
        uintptr_t handle;
        if (d->try_get(self, &handle) != LP_OK) {
            failures++;
            continue;
        }
        if (d->put(self, handle) != LP_OK)
            lpd_fatal("put of a handle just taken failed");
    }
    return failures;
}

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* One pass of N pairs, through the interface or (d == NULL) directly. */
static uint64_t run_once(const lpd_design *d, void *self, uint64_t iters) {
    return d ? run_pairs(d, self, iters) : run_pairs_direct((lp_pool *)self, iters);
}

/* --time: R rounds of N pairs; the fastest and the median round in ns per pair. */
static uint64_t time_rounds(const lpd_design *d, void *self, uint64_t iters, uint64_t rounds, double *best,
                            double *median) {
    double ns[64];
    uint64_t failures = 0;
    for (uint64_t r = 0; r < rounds; r++) {
        uint64_t t0 = now_ns();
        failures += run_once(d, self, iters);
        ns[r] = (double)(now_ns() - t0) / (double)iters;
    }
    qsort(ns, rounds, sizeof ns[0], cmp_double);
    *best = ns[0];
    *median = ns[rounds / 2];
    return failures;
}

int main(int argc, char **argv) {
    const char *name = NULL;
    uint64_t iters = 0, slots = 64, rounds = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--list") == 0) {
            list_designs();
            return 0;
        } else if (strcmp(argv[i], "--design") == 0 && i + 1 < argc) {
            name = argv[++i];
        } else if (strcmp(argv[i], "--iters") == 0 && i + 1 < argc) {
            if (parse_u64(argv[++i], &iters) != 0)
                return usage();
        } else if (strcmp(argv[i], "--time") == 0 && i + 1 < argc) {
            if (parse_u64(argv[++i], &rounds) != 0 || rounds == 0 || rounds > 64)
                return usage();
        } else if (strcmp(argv[i], "--slots") == 0 && i + 1 < argc) {
            if (parse_u64(argv[++i], &slots) != 0 || slots == 0 || slots > LP_MAX_SLOTS)
                return usage();
        } else {
            return usage();
        }
    }
    if (name == NULL || iters == 0)
        return usage();
    const int direct = strcmp(name, direct_name) == 0;
    const lpd_design *d = direct ? NULL : find_design(name);
    if (d == NULL && !direct) {
        fprintf(stderr, "lp-fastpath: unknown design '%s' (see --list)\n", name);
        return 2;
    }

    const uint32_t waiters = 64;
    size_t bytes = direct ? lp_storage_size((uint32_t)slots, waiters) : d->size((uint32_t)slots, waiters);
    void *self = aligned_alloc(LPD_ALIGN, lpd_round_up(bytes, LPD_ALIGN));
    int st = LP_EINVAL;
    if (self != NULL && direct) {
        /* lp_storage_size's layout: the pool, then the slots, then the cells */
        lp_pool *pool = self;
        lp_slot *slot_array = (lp_slot *)(pool + 1);
        st = lp_init(pool, slot_array, (uint32_t)slots, (lp_cell *)(slot_array + slots), waiters, LP_MODE_DEFAULT);
    } else if (self != NULL) {
        st = d->init(self, (uint32_t)slots, waiters);
    }
    if (st != LP_OK) {
        fprintf(stderr, "lp-fastpath: cannot set up design '%s'\n", name);
        return 1;
    }
    if (d && d->thread_enter)
        d->thread_enter(self);

    /* Warm-up: caches, lazy library initialisation (jemalloc, urcu), branch predictors. */
    uint64_t failures = run_once(d, self, 1000);
    failures += run_once(d, self, iters);
    double best = 0, median = 0;
    if (rounds)
        failures += time_rounds(d, self, iters, rounds, &best, &median);

    if (d && d->thread_exit)
        d->thread_exit(self);
    if (d)
        d->destroy(self);
    free(self);
    printf("design=%s iters=%llu slots=%llu failed_try_gets=%llu", name, (unsigned long long)iters,
           (unsigned long long)slots, (unsigned long long)failures);
    if (rounds)
        printf(" rounds=%llu ns_per_pair_best=%.2f ns_per_pair_median=%.2f", (unsigned long long)rounds, best,
               median);
    printf("\n");
    return failures == 0 ? 0 : 1;
}
