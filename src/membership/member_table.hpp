// Every member's record and the rules for merging records heard from others (SWIM /
// memberlist style). A higher incarnation wins; at equal incarnation the graver state wins
// (alive < suspect < failed < left), and only the state is taken; a member's own goodbye
// (depart) ends the incarnation it names, never a newer one. Only a member itself raises
// its incarnation: it does so to change its name or address and to refute rumours of its
// death, and signs each one (the signer given). The table trusts what it is given; the room
// checks each incarnation's proof (the member's signature) before a merge.
// Bounded: at most `max_members` records; tombstones (failed/left) are evicted first.
// Sans-IO and single-threaded.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/clock.hpp"
#include "core/ids.hpp"

namespace peerchat {

enum class member_state { alive, suspect, failed, left };
const char* to_string(member_state s);
inline bool is_live(member_state s) { return s == member_state::alive || s == member_state::suspect; }

struct member {
  peer_id id;
  std::string name;
  std::string addr;
  std::uint64_t incarnation = 0;
  member_state state = member_state::alive;
  microseconds joined_at{0};
  // The member's signature over its id, this incarnation and its name
  // (room_wire::incarnation_signed_part), passed on with the record: only the member can raise
  // its incarnation or name itself.
  std::string proof;
};

// What a merge changed, so the caller can tell the user and forward the news.
enum class merge_outcome {
  unchanged,  // nothing new: do not forward
  joined,     // a member we did not count as live now is
  left,       // a live member announced its departure
  failed,     // a live member was declared failed
  updated,    // same liveness, newer record (name, address or suspicion)
  refuted,    // a rumour about ourselves: we raised our incarnation and must spread it
  rejected,   // the table is full of live members
};

struct merge_result {
  merge_outcome outcome = merge_outcome::unchanged;
  std::string old_name;  // the name before the merge, for "OLD is now NEW"
};

// Incarnations start at the wall clock in µs (about 2^51 today) and grow by one per change,
// each signed by its member (member::proof), so no one else can move them. A record above this
// bound is ignored all the same: at 2^64-1 a refutation's +1 would wrap to 0.
inline constexpr std::uint64_t max_incarnation = std::uint64_t{1} << 62;

class member_table {
public:
  // Our proof (member::proof) of an incarnation of ours; called for each one we take, so the
  // record we pass on is always signed. None: proofs stay as given (tests, fuzzing).
  using signer = std::function<std::string(const member& self)>;
  member_table(member self, std::size_t max_members, signer sign = {});

  merge_result merge(const member& incoming);
  // The member's own word that it left `incarnation` (its signed Leave event). Taken while the
  // record we hold is of that incarnation or an older one; a member that has started again
  // since (a newer incarnation) is not ended by an earlier run's goodbye, whichever of the two
  // arrives first. Only the state changes: a newer incarnation comes with the member's proof.
  // `left` when a live member is now gone; `unchanged` otherwise (us, unknown, gone already).
  merge_result depart(const peer_id& id, std::uint64_t incarnation);
  // `incoming` is another member's observation that would change the table: a graver state
  // (suspect, failed, left) at the incarnation we hold.
  bool is_observation(const member& incoming) const;

  const member& self() const { return members_.at(self_id_); }
  // Changes our own name and address; raises our incarnation so the news wins everywhere.
  const member& update_self(std::string name, std::string addr);
  void set_self_state(member_state s);

  const member* find(const peer_id& id) const;
  std::vector<const member*> all() const;
  std::vector<const member*> live_others() const;
  std::size_t size() const { return members_.size(); }

private:
  bool make_room();
  void take_incarnation(member& me, std::uint64_t incarnation);

  peer_id self_id_;
  std::size_t max_members_;
  signer sign_;
  std::unordered_map<peer_id, member> members_;
};

}  // namespace peerchat
