// membership/failure_detector: SWIM's probe, indirect probe, suspicion and verdict logic,
// fed acks (answering real probes or not), link drops, rumours and time jumps in any order.
// Input: operations, each an opcode byte and its arguments. Checks that the detector never
// probes or accuses us, never asks a member to probe itself, and only declares failed a
// member someone suspected.
#include <set>
#include <unordered_map>

#include "fuzz/fuzz_input.hpp"
#include "fuzz/peer_ids.hpp"
#include "membership/failure_detector.hpp"
#include "membership/member_table.hpp"

namespace {

using namespace peerchat;
using fuzz::input_reader;

constexpr std::size_t known_peers = 6;

struct detector_under_test {
  peer_id self = fuzz::fixed_peer(0);
  member_table members{member{self, "self", "127.0.0.1:7000", 1, member_state::alive, {}, {}}, 16};
  failure_detector detector{swim_config{}, self, 7};
  microseconds now{1'000'000};
  std::unordered_map<peer_id, std::uint64_t> last_nonce;
  std::set<peer_id> ever_suspected;

  void take_outputs() {
    for (const auto& out : detector.take_outputs()) {
      if (auto* p = std::get_if<swim::ping>(&out)) {
        FUZZ_CHECK(p->target != self);
        last_nonce[p->target] = p->nonce;
      } else if (auto* r = std::get_if<swim::ping_req>(&out)) {
        FUZZ_CHECK(r->helper != self && r->target != self && r->helper != r->target);
      } else if (auto* s = std::get_if<swim::suspect>(&out)) {
        FUZZ_CHECK(s->peer != self);
      } else if (auto* f = std::get_if<swim::declare_failed>(&out)) {
        FUZZ_CHECK(ever_suspected.contains(f->peer));
      }
    }
  }

  void run(std::uint8_t op, input_reader& in) {
    const peer_id peer = fuzz::fixed_peer(in.byte() % known_peers);
    switch (op % 7) {
      case 0: {
        member m{peer, "m", "127.0.0.1:7001", in.u16(), static_cast<member_state>(in.byte() % 4), {}, {}};
        members.merge(m);
        break;
      }
      case 1:
        now += microseconds{in.u16()} * 1000;
        detector.on_tick(now, members);
        break;
      case 2: {
        const std::uint64_t nonce = in.byte() & 1 ? last_nonce[peer] : in.u64();
        if (detector.awaits(peer, nonce)) detector.on_ack(peer, nonce);
        break;
      }
      case 3: detector.probe_now(peer, now); break;
      case 4:
        ever_suspected.insert(peer);
        detector.suspected(peer, in.u16(), in.u16(), now);
        break;
      case 5: detector.cleared(peer); break;
      case 6: FUZZ_CHECK(detector.next_deadline() >= microseconds{0}); break;
    }
    take_outputs();
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return peerchat::fuzz::run_operations<detector_under_test>(data, size);
}
