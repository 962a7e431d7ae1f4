/*
 * malloc — no pool at all: every try_get is a jemalloc malloc(64) and every put a free.
 * The handle is the object's address. This is the "why pool at all?" baseline.
 *
 * Fairness: not applicable (nobody waits: the heap is unbounded, try_get only fails
 * when memory runs out). get/get_timeout return LP_ENOSYS.
 * Progress: jemalloc's fast path is a per-thread cache (no shared writes); refills and
 * remote frees take arena mutexes, so it is not lock-free.
 * Oversubscribed: no waiting, so no collapse; cost is the allocator's.
 * put cannot tell a handle it did not hand out (free of a foreign pointer is undefined
 * behaviour): only a NULL handle is rejected (LP_EINVAL), and LP_ENOTHELD is never
 * returned. So the conformance suite checks only LP_EINVAL for this design.
 *
 * Making sure it is jemalloc that is measured: linking libjemalloc normally makes it
 * the process's malloc, but a sanitizer (or an LD_PRELOADed allocator) would interpose
 * its own. So we look up malloc and free *inside the jemalloc library itself* (dladdr of
 * mallctl, a jemalloc-only symbol, then dlsym on that library) and call those; init also
 * checks that mallctl("version") matches the header we compiled against.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* dladdr, RTLD_NOLOAD */
#endif
#include <dlfcn.h>
#include <jemalloc/jemalloc.h>
#include <pthread.h>
#include <string.h>

#include "lpd_internal.h"

#define MALLOC_OBJECT_SIZE 64 /* one cache line, like a pool slot */

typedef struct malloc_pool {
    uint32_t nslots; /* kept only to honour the contract's argument checks */
} malloc_pool;

static void *(*je_malloc_fn)(size_t);
static void (*je_free_fn)(void *);
static const char *je_version;
static int je_status = LP_ENOSYS;
static pthread_once_t je_once = PTHREAD_ONCE_INIT;

static void malloc_resolve_jemalloc(void) {
    Dl_info info;
    if (dladdr((void *)mallctl, &info) == 0 || info.dli_fname == NULL)
        return;
    void *lib = dlopen(info.dli_fname, RTLD_NOW | RTLD_NOLOAD);
    if (lib == NULL)
        return;
    /* dlsym on the library's own handle: its definitions, not the process's first. */
    void *m = dlsym(lib, "malloc");
    void *f = dlsym(lib, "free");
    const char *version = NULL;
    size_t len = sizeof(version);
    if (m == NULL || f == NULL || mallctl("version", (void *)&version, &len, NULL, 0) != 0 ||
        version == NULL || strcmp(version, JEMALLOC_VERSION) != 0)
        return;
    /* POSIX guarantees object and function pointers convert through void* for dlsym. */
    memcpy(&je_malloc_fn, &m, sizeof(m));
    memcpy(&je_free_fn, &f, sizeof(f));
    je_version = version;
    je_status = LP_OK;
}

static size_t malloc_size(uint32_t slots, uint32_t max_waiters) {
    if (!lpd_counts_ok(slots, max_waiters))
        return 0;
    return lpd_round_up(sizeof(malloc_pool), LPD_LINE);
}

static int malloc_init(void *self, uint32_t slots, uint32_t max_waiters) {
    if (!lpd_storage_ok(self) || !lpd_counts_ok(slots, max_waiters))
        return LP_EINVAL;
    /* pthread_once: later readers of je_* see the resolver's writes */
    pthread_once(&je_once, malloc_resolve_jemalloc);
    if (je_status != LP_OK)
        return je_status;
    ((malloc_pool *)self)->nslots = slots;
    return LP_OK;
}

static void malloc_destroy(void *self) {
    (void)self;
}

static int malloc_try_get(void *self, uintptr_t *handle) {
    (void)self;
    void *obj = je_malloc_fn(MALLOC_OBJECT_SIZE);
    if (obj == NULL)
        return LP_EMPTY;
    *handle = (uintptr_t)obj;
    return LP_OK;
}

static int malloc_put(void *self, uintptr_t handle) {
    (void)self;
    if (handle == 0)
        return LP_EINVAL;
    je_free_fn((void *)handle);
    return LP_OK;
}

/** The jemalloc version in use ("" before the first init), for reports. */
const char *lpd_malloc_jemalloc_version(void) {
    pthread_once(&je_once, malloc_resolve_jemalloc);
    return je_version ? je_version : "";
}

const lpd_design lpd_malloc = {
    .name = "malloc",
    .blocking = "none",
    .summary = "no pool: jemalloc " JEMALLOC_VERSION " malloc(64)/free per get/put; unbounded, no waiting",
    .flags = 0,
    .size = malloc_size,
    .init = malloc_init,
    .destroy = malloc_destroy,
    .try_get = malloc_try_get,
    .get = lpd_get_unsupported,
    .get_timeout = lpd_get_timeout_unsupported,
    .put = malloc_put,
    .waiting = NULL,
};
