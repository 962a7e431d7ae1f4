// wl_oversubscribed.cc — up to 16 threads fight over 2 slots with a 200 ns hold and no think
// time: far more threads than cores and slots, so holders get preempted, and spinning waiters
// burn the CPU the holder needs. The same configuration also runs at 2, 4 and 8 threads, so
// each design's throughput at 16 can be set against its best (collapse, or graceful?).
#include "harness.h"

namespace lpb {
namespace {

const Family kOversubscribed{"oversubscribed", loop_blocking, /*measures_fifo=*/true};

void register_oversubscribed() {
    for (const lpd_design *d : all_designs()) {
        Case c;
        c.family = &kOversubscribed;
        c.design = d;
        c.slots = 2;
        c.waiters = 64;
        c.hold_ns = 200;
        c.think_ns = 0;
        if (options().quick)
            register_case(c, {16});
        else
            register_case(c, {2, 4, 8, 16});
    }
}

const bool registered = add_workload("oversubscribed", register_oversubscribed);

}  // namespace
}  // namespace lpb
