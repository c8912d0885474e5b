#include "core/clock.hpp"

namespace peerchat {

instant system_clock::now() const {
  using namespace std::chrono;
  return {duration_cast<microseconds>(steady_clock::now().time_since_epoch()),
          duration_cast<microseconds>(std::chrono::system_clock::now().time_since_epoch())};
}

}  // namespace peerchat
