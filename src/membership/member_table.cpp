#include "membership/member_table.hpp"

#include <algorithm>

namespace peerchat {

const char* to_string(member_state s) {
  switch (s) {
    case member_state::alive: return "alive";
    case member_state::suspect: return "suspect";
    case member_state::failed: return "failed";
    case member_state::left: return "left";
  }
  return "unknown";
}

namespace {

int gravity(member_state s) { return static_cast<int>(s); }

// `incoming` says what another member saw of `known` at the incarnation it holds.
bool graver_at_same_incarnation(const member& known, const member& incoming) {
  return incoming.incarnation == known.incarnation && gravity(incoming.state) > gravity(known.state);
}

merge_outcome transition(const member& before, const member& after) {
  const bool was_live = is_live(before.state), now_live = is_live(after.state);
  if (!was_live && now_live) return merge_outcome::joined;
  if (was_live && after.state == member_state::left) return merge_outcome::left;
  if (was_live && after.state == member_state::failed) return merge_outcome::failed;
  return merge_outcome::updated;
}

}  // namespace

member_table::member_table(member self, std::size_t max_members, signer sign)
    : self_id_(self.id), max_members_(std::max<std::size_t>(max_members, 1)), sign_(std::move(sign)) {
  member& me = members_.emplace(self.id, std::move(self)).first->second;
  take_incarnation(me, me.incarnation);
}

void member_table::take_incarnation(member& me, std::uint64_t incarnation) {
  me.incarnation = incarnation;
  if (sign_) me.proof = sign_(me);
}

merge_result member_table::merge(const member& incoming) {
  if (incoming.incarnation > max_incarnation) return {};
  if (incoming.id == self_id_) {
    member& me = members_.at(self_id_);
    const bool rumour = incoming.state != me.state || incoming.name != me.name ||
                        incoming.addr != me.addr;
    if (incoming.incarnation < me.incarnation || !rumour || !is_live(me.state)) return {};
    take_incarnation(me, incoming.incarnation + 1);
    return {merge_outcome::refuted, me.name};
  }

  auto it = members_.find(incoming.id);
  if (it == members_.end()) {
    if (members_.size() >= max_members_ && !make_room()) return {merge_outcome::rejected, {}};
    members_.emplace(incoming.id, incoming);
    // A member first heard of as dead is only a tombstone: there is nothing to announce.
    return {is_live(incoming.state) ? merge_outcome::joined : merge_outcome::unchanged, {}};
  }

  member& known = it->second;
  if (incoming.incarnation <= known.incarnation && !graver_at_same_incarnation(known, incoming)) return {};
  merge_result result{transition(known, incoming), known.name};
  // At the incarnation we hold, a record is another member's observation of its state: only
  // the member itself, raising its incarnation, changes its name, address or proof.
  if (incoming.incarnation == known.incarnation) known.state = incoming.state;
  else known = incoming;
  return result;
}

merge_result member_table::depart(const peer_id& id, std::uint64_t incarnation) {
  auto it = members_.find(id);
  if (id == self_id_ || it == members_.end()) return {};
  member& known = it->second;
  if (incarnation < known.incarnation || !is_live(known.state)) return {};
  known.state = member_state::left;
  return {merge_outcome::left, known.name};
}

bool member_table::is_observation(const member& incoming) const {
  const member* known = find(incoming.id);
  return known && graver_at_same_incarnation(*known, incoming);
}

const member& member_table::update_self(std::string name, std::string addr) {
  member& me = members_.at(self_id_);
  me.name = std::move(name);
  me.addr = std::move(addr);
  take_incarnation(me, me.incarnation + 1);
  return me;
}

void member_table::set_self_state(member_state s) {
  member& me = members_.at(self_id_);
  me.state = s;
  take_incarnation(me, me.incarnation + 1);
}

const member* member_table::find(const peer_id& id) const {
  auto it = members_.find(id);
  return it == members_.end() ? nullptr : &it->second;
}

std::vector<const member*> member_table::all() const {
  std::vector<const member*> out;
  out.reserve(members_.size());
  for (const auto& [id, m] : members_) out.push_back(&m);
  std::sort(out.begin(), out.end(),
            [](const member* a, const member* b) { return a->joined_at < b->joined_at; });
  return out;
}

std::vector<const member*> member_table::live_others() const {
  std::vector<const member*> out;
  for (const auto& [id, m] : members_)
    if (id != self_id_ && is_live(m.state)) out.push_back(&m);
  return out;
}

bool member_table::make_room() {
  // Evict the oldest tombstone; live members are never evicted to make room for strangers,
  // and neither is our own record, which is a tombstone once we have left.
  auto victim = members_.end();
  for (auto it = members_.begin(); it != members_.end(); ++it) {
    if (is_live(it->second.state) || it->first == self_id_) continue;
    if (victim == members_.end() || it->second.joined_at < victim->second.joined_at) victim = it;
  }
  if (victim == members_.end()) return false;
  members_.erase(victim);
  return true;
}

}  // namespace peerchat
