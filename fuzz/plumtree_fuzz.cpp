// overlay/plumtree: the eager/lazy push decisions, fed events, duplicates, prunes, IHaves,
// grafts and neighbours coming and going in any order. Input: operations, each an opcode byte
// and its arguments. Checks that every output is addressed to a current neighbour and that a
// pushed event is never sent back to the neighbour it came from.
#include <set>

#include "fuzz/fuzz_input.hpp"
#include "fuzz/peer_ids.hpp"
#include "overlay/plumtree.hpp"

namespace {

using namespace peerchat;
using fuzz::input_reader;

constexpr std::size_t known_peers = 5;

struct tree_under_test {
  // Small bounds, so the fuzzer reaches them.
  plumtree tree{plumtree_config{.max_missing = 8, .max_trees = 3, .max_lazy_queue = 4}};
  std::set<peer_id> neighbours;
  microseconds now{1'000'000};

  peer_id peer(input_reader& in) { return fuzz::fixed_peer(in.byte() % known_peers); }
  event_ref ref(input_reader& in) {
    const peer_id author = peer(in);
    return {author, seq_no{in.byte()}};
  }
  std::vector<event_ref> refs(input_reader& in) {
    std::vector<event_ref> out(in.byte() % 8);
    for (auto& r : out) r = ref(in);
    return out;
  }

  void take_outputs(const std::optional<peer_id>& came_from, const std::optional<event_ref>& pushed) {
    for (const auto& out : tree.take_outputs()) {
      std::visit([&](const auto& o) { FUZZ_CHECK(neighbours.contains(o.to)); }, out);
      if (auto* p = std::get_if<plumtree_out::push>(&out); p && pushed && p->ref == *pushed)
        FUZZ_CHECK(p->to != came_from);
    }
  }

  void run(std::uint8_t op, input_reader& in) {
    std::optional<peer_id> came_from;
    std::optional<event_ref> pushed;
    switch (op % 11) {
      case 0: {
        const peer_id p = peer(in);
        neighbours.insert(p);
        tree.neighbor_up(p);
        break;
      }
      case 1: {
        const peer_id p = peer(in);
        neighbours.erase(p);
        tree.neighbor_down(p);
        break;
      }
      case 2: {
        pushed = ref(in);
        if (in.byte() & 1) came_from = peer(in);
        tree.broadcast(*pushed, came_from, now);
        break;
      }
      case 3: {
        const peer_id from = peer(in);
        tree.duplicate(from, peer(in));
        break;
      }
      case 4: {
        const peer_id from = peer(in);
        tree.on_prune(from, peer(in));
        break;
      }
      case 5: {
        const peer_id from = peer(in);
        tree.on_ihave(from, refs(in), now);
        break;
      }
      case 6: {
        const peer_id from = peer(in);
        tree.on_graft(from, refs(in));
        break;
      }
      case 7: {
        const peer_id from = peer(in);
        tree.on_graft_author(from, peer(in));
        break;
      }
      case 8: {
        const peer_id closer = peer(in), farther = peer(in);
        tree.optimize(closer, farther, peer(in), now);
        break;
      }
      case 9:
        now += microseconds{in.u16()} * 100;
        tree.on_tick(now);
        break;
      case 10: {
        const peer_id p = peer(in);
        if (tree.is_eager(p, peer(in))) FUZZ_CHECK(neighbours.contains(p));
        break;
      }
    }
    take_outputs(came_from, pushed);
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return peerchat::fuzz::run_operations<tree_under_test>(data, size);
}
