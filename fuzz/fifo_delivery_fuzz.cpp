// overlay/fifo_delivery: per-author exactly-once delivery of events that arrive in any order,
// twice, far ahead of a gap or after being given up. Input: operations, each an opcode byte
// and its arguments. Checks exactly-once delivery, that a gap reported as missing is not held,
// and that the version vector never claims more than was delivered.
#include <set>
#include <utility>

#include "fuzz/fuzz_input.hpp"
#include "fuzz/peer_ids.hpp"
#include "overlay/fifo_delivery.hpp"

namespace {

using namespace peerchat;
using fuzz::input_reader;

constexpr std::size_t known_authors = 4;
const peer_id self = fuzz::fixed_peer(known_authors);  // never offered: the room keeps our own apart

struct delivery_under_test {
  fifo_delivery delivery{{.max_held = 8, .max_skipped_ranges = 4, .max_authors = 3,
                          .reorder_wait = microseconds{2'000'000}}};
  microseconds now{1'000'000};
  std::set<std::pair<peer_id, std::uint64_t>> delivered;

  void record(const std::vector<wire::verified_event>& out) {
    for (const auto& ev : out) FUZZ_CHECK(delivered.emplace(ev.author, ev.seq.value).second);
  }

  void offer(const peer_id& author, seq_no seq) {
    if (seq.value == 0 || delivery.seen(author, seq)) return;  // the room's contract
    wire::verified_event ev;
    ev.author = author;
    ev.seq = seq;
    record(delivery.offer(std::move(ev), now));
  }

  void check_author(const peer_id& author) {
    FUZZ_CHECK(delivery.complete_prefix(author) <= delivery.contiguous(author));
    for (seq_no s : delivery.gaps(author, 64)) FUZZ_CHECK(!delivery.seen(author, s));
  }

  void run(std::uint8_t op, input_reader& in) {
    const peer_id author = fuzz::fixed_peer(in.byte() % known_authors);
    switch (op % 5) {
      case 0: offer(author, seq_no{in.byte()}); break;  // near the cursor: reordering
      case 1: offer(author, seq_no{in.u64()}); break;   // anywhere: far ahead, or huge
      case 2:
        now += microseconds{in.u16()} * 1000;
        record(delivery.expire(now));
        break;
      case 3: delivery.set_baseline(author, seq_no{in.u16()}); break;
      case 4: {  // as the room does: our own sequence only ever moves up
        const seq_no own{delivery.contiguous(self).value + in.byte()};
        delivery.mark_own(self, own);
        break;
      }
    }
    check_author(author);
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return peerchat::fuzz::run_operations<delivery_under_test>(data, size);
}
