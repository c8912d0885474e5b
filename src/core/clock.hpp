// Time as protocol cores see it: handed in with every input, never read by the cores.
#pragma once

#include <chrono>

namespace peerchat {

using std::chrono::microseconds;
using std::chrono::milliseconds;

// One reading per turn. `mono` orders timers; `wall` is what humans and `sent_us` see.
struct instant {
  microseconds mono{0};
  microseconds wall{0};
};

// Source of instants; the node uses the system clocks, tests and the simulator a fake.
class clock {
public:
  virtual ~clock() = default;
  virtual instant now() const = 0;
};

class system_clock final : public clock {
public:
  instant now() const override;
};

}  // namespace peerchat
