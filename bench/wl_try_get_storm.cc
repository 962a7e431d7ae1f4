// wl_try_get_storm.cc — the original Rust crate's benchmark: 8 threads on 16 slots, each looping
// try_get (retrying on EMPTY) then put, with no work in between. Measures how well the design
// spreads threads across slots; empty_frac says how often a try_get found nothing.
#include "harness.h"

namespace lpb {
namespace {

const Family kTryGetStorm{"try_get_storm", loop_try_get, /*measures_fifo=*/false};

void register_try_get_storm() {
    for (const lpd_design *d : all_designs()) {
        Case c;
        c.family = &kTryGetStorm;
        c.design = d;
        c.slots = 16;
        c.waiters = 64;
        register_case(c, {8});
    }
}

const bool registered = add_workload("try_get_storm", register_try_get_storm);

}  // namespace
}  // namespace lpb
