// overlay/catch_up: the books of history fetched at join, fed ranges from hostile version
// vectors (any seq up to 2^64-1), events in any order, answers and lost sources.
// Input: operations, each an opcode byte and its arguments. Checks that an event taken as
// history is not expected again, and that Wants stay within their quota and pipeline bound.
#include "fuzz/fuzz_input.hpp"
#include "fuzz/peer_ids.hpp"
#include "overlay/catch_up.hpp"

namespace {

using namespace peerchat;
using fuzz::input_reader;

constexpr std::size_t known_authors = 3;
constexpr std::size_t events_per_want = 16;
constexpr std::size_t wants_in_flight = 2;

struct catch_up_under_test {
  catch_up books{events_per_want, wants_in_flight};
  std::size_t unanswered = 0;

  // Mostly small numbers, so ranges meet; sometimes any 64-bit value.
  static std::uint64_t seq(input_reader& in) {
    const std::uint8_t b = in.byte();
    return b == 0xff ? in.u64() : b;
  }

  void next_want() {
    const auto ranges = books.next_want();
    std::uint64_t asked = 0;
    for (const auto& r : ranges) {
      FUZZ_CHECK(r.after < r.upto);
      asked += r.upto.value - r.after.value;
    }
    FUZZ_CHECK(asked <= events_per_want);
    if (ranges.empty()) return;
    ++unanswered;
    FUZZ_CHECK(unanswered <= wants_in_flight);
  }

  void run(std::uint8_t op, input_reader& in) {
    const peer_id author = fuzz::fixed_peer(in.byte() % known_authors);
    switch (op % 5) {
      case 0: {
        const std::uint64_t after = seq(in);
        books.want(author, seq_no{after}, seq_no{seq(in)});
        break;
      }
      case 1: {  // as the room does: only what is expected counts as history
        const seq_no s{seq(in)};
        if (!books.expects(author, s)) break;
        books.received(author, s);
        FUZZ_CHECK(!books.expects(author, s));
        break;
      }
      case 2: next_want(); break;
      case 3:
        books.answered();
        if (unanswered > 0) --unanswered;
        break;
      case 4:
        books.source_lost();
        unanswered = 0;
        break;
    }
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return peerchat::fuzz::run_operations<catch_up_under_test>(data, size);
}
