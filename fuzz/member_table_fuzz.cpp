// membership/member_table: merging member records heard from anyone, including rumours
// about ourselves. Input: operations, each an opcode byte and its arguments.
// Checks the merge rules' promises: the bound holds, the newest incarnation wins, a rumour
// about us is refuted with a higher incarnation, a full table refuses only when all is live.
#include <string>

#include "fuzz/fuzz_input.hpp"
#include "fuzz/peer_ids.hpp"
#include "membership/member_table.hpp"

namespace {

using namespace peerchat;
using fuzz::input_reader;

constexpr std::size_t max_members = 6;
constexpr std::size_t known_peers = 10;  // more than fit, so eviction runs

member record_from(input_reader& in) {
  member m;
  m.id = fuzz::fixed_peer(in.byte() % known_peers);
  m.state = static_cast<member_state>(in.byte() % 4);
  m.incarnation = in.u64();
  m.name = in.bytes();
  m.addr = in.bytes();
  m.joined_at = microseconds{in.u16()};
  return m;
}

void merge_and_check(member_table& table, const member& incoming) {
  const member before = table.self();
  const merge_result result = table.merge(incoming);
  FUZZ_CHECK(table.size() <= max_members);
  if (incoming.incarnation > max_incarnation) {
    FUZZ_CHECK(result.outcome == merge_outcome::unchanged);
    return;
  }
  if (incoming.id == before.id) {
    FUZZ_CHECK(table.self().state == before.state);  // only we change our own state
    if (result.outcome == merge_outcome::refuted)
      FUZZ_CHECK(table.self().incarnation > incoming.incarnation);
    return;
  }
  if (result.outcome == merge_outcome::rejected) {
    FUZZ_CHECK(table.size() == max_members);
    for (const member* m : table.all()) FUZZ_CHECK(is_live(m->state) || m->id == before.id);  // ours stays
    return;
  }
  const member* now = table.find(incoming.id);
  FUZZ_CHECK(now != nullptr && now->incarnation >= incoming.incarnation);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  input_reader in(data, size);
  member_table table(member{fuzz::fixed_peer(0), "self", "127.0.0.1:7000", 1, member_state::alive, {}, {}},
                     max_members);
  while (!in.empty()) {
    switch (in.byte() % 3) {
      case 0: merge_and_check(table, record_from(in)); break;
      case 1: {
        std::string name = in.bytes();
        table.update_self(std::move(name), in.bytes());
        break;
      }
      case 2: table.set_self_state(static_cast<member_state>(in.byte() % 4)); break;
    }
  }
  return 0;
}
