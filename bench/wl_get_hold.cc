// wl_get_hold.cc — more threads than slots: blocking get, hold the object for a calibrated
// critical section, put, then a calibrated think time. threads = 2 x SLOTS and 8 x SLOTS, so
// waiters always exist and the design's queueing (or lack of it) decides latency and fairness.
#include "harness.h"

namespace lpb {

const std::vector<uint32_t> &get_hold_slots() {
    // SLOTS = 4 is a small pool; SLOTS = 1 is a lock, the only way a 2-core machine sees waiters
    // without preemption (4 slots need 4 threads running at once to ever be all held).
    static const std::vector<uint32_t> slots{1u, 4u};
    return slots;
}

Case get_hold_case(const Family *family, const lpd_design *d, uint32_t slots) {
    Case c;
    c.family = family;
    c.design = d;
    c.slots = slots;
    c.waiters = 64;  // >= every thread count: LP_EFULL would measure the bound, not the design
    c.hold_ns = 1000;
    c.think_ns = 1000;
    return c;
}

namespace {

const Family kGetHold{"get_hold", loop_blocking, /*measures_fifo=*/true};

void register_get_hold() {
    for (uint32_t slots : get_hold_slots()) {
        // --quick keeps 2 x SLOTS only: 8 x SLOTS threads on a small machine is the slow instance.
        const std::vector<int> threads = options().quick ? std::vector<int>{static_cast<int>(2 * slots)}
                                                         : std::vector<int>{static_cast<int>(2 * slots),
                                                                            static_cast<int>(8 * slots)};
        for (const lpd_design *d : all_designs()) register_case(get_hold_case(&kGetHold, d, slots), threads);
    }
}

const bool registered = add_workload("get_hold", register_get_hold);

}  // namespace
}  // namespace lpb
