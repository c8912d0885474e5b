// A member that starts again (same key, same store) is one member: whatever its earlier runs
// said on their way out, and in whatever order that reaches the others, the run that is here
// is alive in every view. The newest signed incarnation wins; news of an older one never
// ends a newer one, however it arrives: late by anti-entropy, or replayed by an insider.
#include "fake_network.hpp"

#include <chrono>

#include "crypto/identity.hpp"
#include "node/room_wire.hpp"

namespace peerchat {
namespace {

namespace pb = wire::pb;
using namespace room_testing;
using namespace std::chrono_literals;

void store(peer_node& n) { n.with_store = true; }

bool anti_entropy(const pb::Frame& f) {
  return f.has_summary() || f.has_digest() || f.has_want() || f.has_event_batch();
}

// What `at` shows about `who` since `who` was last shown joining: empty while it is present.
std::vector<ui_event::member_left> left_since_last_join(const peer_node& at, const peer_id& who) {
  std::vector<ui_event::member_left> out;
  for (const auto& e : at.events) {
    if (auto* j = std::get_if<ui_event::member_joined>(&e); j && j->peer.id == who) out.clear();
    if (auto* l = std::get_if<ui_event::member_left>(&e); l && l->peer.id == who) out.push_back(*l);
  }
  return out;
}

// The signed Leave event of `who`'s run that has just left, as its store holds it.
wire::verified_event last_own_event(const peer_node& who) {
  auto it = who.stored.lower_bound({who.id.id(), std::numeric_limits<std::uint64_t>::max()});
  EXPECT_NE(it, who.stored.begin());
  --it;
  EXPECT_EQ(it->first.first, who.id.id());
  return it->second;
}

// a and b, both with a store; b quits (a sees it leave), and a second run of b, cut off from
// everyone (a failed attempt), quits too: that run's Leave event is on b's disk alone.
struct failed_attempt : testing::Test {
  fake_network net;
  std::size_t a = net.add("a", "lobby", {}, store);
  std::size_t b = net.join("b", a, store);
  std::size_t c = net.join("c", a, store);

  void SetUp() override {
    net.node(b).core->leave(net.now());
    net.pump();
    ASSERT_EQ(net.node(a).core->members().find(bob())->state, member_state::left);
    net.advance(1s);
    net.restart(b);
    net.node(b).core->leave(net.now());
    net.pump();
    ASSERT_TRUE(last_own_event(net.node(b)).body.has_leave());
    net.advance(1s);
  }

  const peer_id& bob() { return net.node(b).id.id(); }
  const member& bob_at(std::size_t node) { return *net.node(node).core->members().find(bob()); }
};

TEST_F(failed_attempt, its_leave_fetched_after_the_member_is_back_ends_nothing) {
  const std::uint64_t attempt = net.node(b).core->members().self().incarnation;
  net.restart(b);
  ASSERT_GT(net.node(b).core->members().self().incarnation, attempt);
  net.connect(b, a);  // a's digest finds the attempt's Leave event missing and fetches it
  net.advance(1s);
  EXPECT_EQ(net.node(a).stored.count({bob(), last_own_event(net.node(b)).seq.value}), 1u)
      << "a fetched the attempt's Leave event";
  EXPECT_EQ(bob_at(a).state, member_state::alive);
  EXPECT_EQ(bob_at(a).incarnation, net.node(b).core->members().self().incarnation);
  EXPECT_TRUE(left_since_last_join(net.node(a), bob()).empty());
  net.advance(5s);
  EXPECT_EQ(bob_at(c).state, member_state::alive) << "c heard of b through a";
  EXPECT_TRUE(left_since_last_join(net.node(c), bob()).empty());
}

// An insider that holds the attempt's Leave event (signed by b, never seen by a) hands it to
// a once b is back: it is b's own word, but about an incarnation b no longer has.
TEST_F(failed_attempt, its_leave_replayed_by_an_insider_after_the_member_is_back_ends_nothing) {
  const wire::verified_event old_leave = last_own_event(net.node(b));
  net.drop_frame = [](std::size_t, std::size_t, const pb::Frame& f) { return anti_entropy(f); };
  net.restart(b);
  net.connect(b, a);
  ASSERT_EQ(bob_at(a).state, member_state::alive);
  pb::Frame replay;
  *replay.mutable_event() = old_leave.signed_event;
  net.inject(a, net.link_at(a, c), replay);
  EXPECT_EQ(net.node(a).stored.count({bob(), old_leave.seq.value}), 1u) << "a took the event itself";
  EXPECT_EQ(bob_at(a).state, member_state::alive);
  EXPECT_TRUE(left_since_last_join(net.node(a), bob()).empty());
}

// b's record of the incarnation that left carries b's own proof; replayed after b is back, it
// is an older incarnation than a holds, and changes nothing.
TEST_F(failed_attempt, its_signed_left_record_replayed_after_the_member_is_back_changes_nothing) {
  const member gone = net.node(b).core->members().self();
  ASSERT_EQ(gone.state, member_state::left);
  net.drop_frame = [](std::size_t, std::size_t, const pb::Frame& f) { return anti_entropy(f); };
  net.restart(b);
  net.connect(b, a);
  ASSERT_EQ(bob_at(a).state, member_state::alive);
  pb::Frame replay;
  room_wire::to_wire(gone, *replay.mutable_members()->add_members());
  net.inject(a, net.link_at(a, c), replay);
  EXPECT_EQ(bob_at(a).state, member_state::alive);
  EXPECT_TRUE(left_since_last_join(net.node(a), bob()).empty());
  EXPECT_TRUE(net.linked(a, c)) << "an old record with its proof is no offence";
}

// The honest order the other way round: the Leave event of the run that is here ends it.
TEST(room_rejoin, a_leave_of_the_incarnation_held_is_announced) {
  fake_network net;
  auto a = net.add("a", "lobby");
  auto b = net.join("b", a);
  net.advance(1s);
  net.restart(b);
  net.connect(b, a);
  net.advance(1s);
  net.node(b).core->leave(net.now());
  net.pump();
  const auto left = left_since_last_join(net.node(a), net.node(b).id.id());
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].reason, leave_reason::left);
  EXPECT_EQ(net.node(a).core->members().find(net.node(b).id.id())->state, member_state::left);
}

}  // namespace
}  // namespace peerchat
