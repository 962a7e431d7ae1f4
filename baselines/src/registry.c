/*
 * registry.c — the designs compiled into this build, LockPool's modes first.
 */
#include <string.h>

#include "lpd_config.h"
#include "lpd_internal.h"

static const lpd_design *const all_designs[] = {
    &lpd_lockpool_fair,
    &lpd_lockpool_barging,
    &lpd_lockpool_bounded,
    &lpd_lockpool_fair_scan0,
    &lpd_lockpool_barging_wakeall,
    &lpd_pthread,
    &lpd_spin_ttas,
    &lpd_spin_ticket,
#if LPD_HAVE_URCU
    &lpd_urcu,
#endif
#if LPD_HAVE_CK
    &lpd_ck_mcs,
#endif
#if LPD_HAVE_JEMALLOC
    &lpd_malloc,
#endif
};

const lpd_design *const *lpd_designs(size_t *count) {
    if (count != NULL)
        *count = sizeof(all_designs) / sizeof(all_designs[0]);
    return all_designs;
}

const lpd_design *lpd_find(const char *name) {
    if (name == NULL)
        return NULL;
    for (size_t i = 0; i < sizeof(all_designs) / sizeof(all_designs[0]); i++)
        if (strcmp(all_designs[i]->name, name) == 0)
            return all_designs[i];
    return NULL;
}

const char *lpd_flag_name(unsigned flag) {
    switch (flag) {
    case LPD_FIFO: return "fifo";
    case LPD_LOCK_FREE: return "lock_free";
    case LPD_BOUNDED: return "bounded";
    case LPD_BLOCKING: return "blocking";
    case LPD_WAIT_QUEUE: return "wait_queue";
    case LPD_PER_THREAD: return "per_thread";
    default: return NULL;
    }
}

const char *lpd_skipped(void) {
    return LPD_SKIPPED;
}
