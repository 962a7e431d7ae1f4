// wl_uncontended.cc — the fast path alone: one thread, try_get then put, nobody else around.
// Measures the design's cost per get+put pair with no sharing at all.
#include "harness.h"

namespace lpb {
namespace {

const Family kUncontended{"uncontended", loop_try_get, /*measures_fifo=*/false};

void register_uncontended() {
    for (const lpd_design *d : all_designs()) {
        Case c;
        c.family = &kUncontended;
        c.design = d;
        c.slots = 16;
        c.waiters = 64;
        register_case(c, {1});
    }
}

const bool registered = add_workload("uncontended", register_uncontended);

}  // namespace
}  // namespace lpb
