/*
 * registry.c — the designs compiled into this build, LockPool's modes first (the list is
 * registry.def).
 */
#include <string.h>

#include "lpd_config.h"
#include "lpd_internal.h"

/* Each design's symbol, declared and then listed from the one list in registry.def. */
#define LPD_DESIGN(sym) extern const lpd_design sym;
#include "registry.def"
#undef LPD_DESIGN

static const lpd_design *const all_designs[] = {
#define LPD_DESIGN(sym) &sym,
#include "registry.def"
#undef LPD_DESIGN
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
    case LPD_BYPASS_BOUNDED: return "bypass_bounded";
    default: return NULL;
    }
}

const char *lpd_skipped(void) {
    return LPD_SKIPPED;
}
