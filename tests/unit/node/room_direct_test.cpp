// Private messages in the room core: sealed, relayed by members who cannot read them,
// acknowledged, retried until the recipient is back.
#include "fake_network.hpp"

#include "core/error.hpp"

namespace peerchat {
namespace {

using namespace room_testing;

std::vector<ui_event::direct> directs(const peer_node& n) { return n.all<ui_event::direct>(); }

std::vector<ui_event::direct_state> statuses(const peer_node& n) {
  std::vector<ui_event::direct_state> out;
  for (const auto& s : n.all<ui_event::direct_status>()) out.push_back(s.status);
  return out;
}

// a in the middle: b and c are each linked to a only.
struct chain {
  fake_network net;
  std::size_t a = net.add("alice", "r");
  std::size_t b = net.join("bob", a);
  std::size_t c = net.join("carol", a);
};

TEST(room_direct, a_message_over_a_link_reaches_only_its_recipient_who_acknowledges_it) {
  chain t;
  t.net.node(t.a).core->send_direct("bob", "just for you", t.net.now());
  t.net.pump();
  const auto got = directs(t.net.node(t.b));
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].text, "just for you");
  EXPECT_EQ(got[0].from.id, t.net.node(t.a).id.id());
  EXPECT_TRUE(directs(t.net.node(t.c)).empty());
  EXPECT_EQ(statuses(t.net.node(t.a)), std::vector{ui_event::direct_state::delivered});
}

TEST(room_direct, a_message_without_a_link_is_relayed_by_a_member_who_cannot_read_it) {
  chain t;
  bool relayed_in_clear = false;
  int relayed = 0;
  t.net.drop_frame = [&](std::size_t from, std::size_t, const pb::Frame& f) {
    if (from == t.b && f.has_direct()) {
      ++relayed;
      relayed_in_clear |= f.SerializeAsString().find("secret plan") != std::string::npos;
    }
    return false;
  };
  t.net.node(t.b).core->send_direct("carol", "secret plan", t.net.now());
  t.net.pump();
  EXPECT_GT(relayed, 0);
  EXPECT_FALSE(relayed_in_clear) << "sealed: the relay sees no text";
  EXPECT_TRUE(directs(t.net.node(t.a)).empty()) << "the relay shows nothing";
  const auto got = directs(t.net.node(t.c));
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].text, "secret plan");
  EXPECT_EQ(got[0].from.id, t.net.node(t.b).id.id());
  EXPECT_EQ(statuses(t.net.node(t.b)), std::vector{ui_event::direct_state::delivered});
  ASSERT_FALSE(t.net.node(t.b).dials.empty()) << "and a direct link is tried for next time";
}

TEST(room_direct, an_absent_recipient_gets_it_when_back_and_the_sender_hears_both_steps) {
  chain t;
  auto& carol = t.net.node(t.c);
  t.net.crash(t.c);
  t.net.node(t.b).core->send_direct("carol", "when you are back", t.net.now());
  t.net.pump();
  t.net.advance(std::chrono::seconds(6));
  EXPECT_EQ(statuses(t.net.node(t.b)), std::vector{ui_event::direct_state::pending});
  const auto c2 = t.net.join("carol", t.a, [&](peer_node& n) { n.id = std::move(carol.id); });
  t.net.advance(std::chrono::seconds(11));  // the next retry
  ASSERT_EQ(directs(t.net.node(c2)).size(), 1u);
  EXPECT_EQ(directs(t.net.node(c2))[0].text, "when you are back");
  EXPECT_EQ(statuses(t.net.node(t.b)),
            (std::vector{ui_event::direct_state::pending, ui_event::direct_state::delivered}));
}

TEST(room_direct, a_retried_message_is_shown_once) {
  chain t;
  t.net.drop_frame = [&](std::size_t from, std::size_t, const pb::Frame& f) {
    return from == t.a && f.has_direct_ack();  // the receipt is lost: the sender retries
  };
  t.net.node(t.b).core->send_direct("carol", "once", t.net.now());
  t.net.pump();
  t.net.advance(std::chrono::seconds(11));
  t.net.drop_frame = nullptr;
  t.net.advance(std::chrono::seconds(11));
  EXPECT_EQ(directs(t.net.node(t.c)).size(), 1u);
  EXPECT_EQ(statuses(t.net.node(t.b)).back(), ui_event::direct_state::delivered);
}

TEST(room_direct, an_ambiguous_name_asks_for_the_id) {
  fake_network net;
  const auto a = net.add("alice", "r");
  const auto b1 = net.join("bob", a);
  net.join("bob", a);
  net.node(a).core->send_direct("bob", "which one?", net.now());
  net.pump();
  const auto errors = net.node(a).all<ui_event::error>();
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].message.find("ambiguous"), std::string::npos);
  net.node(a).core->send_direct(net.node(b1).id.id().hex().substr(0, 8), "you", net.now());
  net.pump();
  ASSERT_EQ(directs(net.node(b1)).size(), 1u);
}

TEST(room_direct, an_unknown_name_is_an_error_and_nothing_is_sent) {
  chain t;
  t.net.node(t.a).core->send_direct("nobody", "hello?", t.net.now());
  t.net.pump();
  ASSERT_EQ(t.net.node(t.a).all<ui_event::error>().size(), 1u);
  EXPECT_TRUE(directs(t.net.node(t.b)).empty());
}

TEST(room_direct, a_message_signed_by_someone_else_is_dropped) {
  chain t;
  // Mallory (a) seals to carol a body that claims to come from bob.
  pb::Frame f;
  auto* d = f.mutable_direct();
  d->set_to(std::string(t.net.node(t.c).id.id().as_string_view()));
  d->set_from(std::string(t.net.node(t.b).id.id().as_string_view()));
  d->set_id(std::string(16, 'i'));
  d->set_ttl(3);
  d->set_attempt(1);
  d->set_sealed(std::string(200, 'x'));
  t.net.inject(t.c, t.net.link_at(t.c, t.a), f);
  EXPECT_TRUE(directs(t.net.node(t.c)).empty());
  EXPECT_FALSE(t.net.node(t.c).logs.empty());
}

}  // namespace
}  // namespace peerchat
