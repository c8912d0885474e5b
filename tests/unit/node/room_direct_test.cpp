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

TEST(room_direct, messages_kept_for_an_absent_recipient_arrive_in_the_order_they_were_written) {
  chain t;
  auto& carol = t.net.node(t.c);
  t.net.crash(t.c);
  std::vector<std::string> written;
  for (int i = 1; i <= 8; ++i) {
    written.push_back("line " + std::to_string(i));
    t.net.node(t.b).core->send_direct("carol", written.back(), t.net.now());
  }
  t.net.advance(std::chrono::seconds(6));
  const auto c2 = t.net.join("carol", t.a, [&](peer_node& n) { n.id = std::move(carol.id); });
  t.net.advance(std::chrono::seconds(11));  // the next retry
  std::vector<std::string> got;
  for (const auto& d : directs(t.net.node(c2))) got.push_back(d.text);
  EXPECT_EQ(got, written);
}

// The recipient's receipt for a private file offer goes to the files layer, which keeps the
// offer from going back into the outbox after a restart; until then there is none.
TEST(room_direct, a_private_file_offer_is_reported_delivered_once_its_recipient_acknowledges_it) {
  chain t;
  auto& carol = t.net.node(t.c);
  t.net.crash(t.c);
  pb::FileOffer offer;
  offer.set_name("notes.txt");
  offer.set_size(10);
  t.net.node(t.b).core->offer_file(carol.id.id(), offer, t.net.now());
  t.net.advance(std::chrono::seconds(6));
  EXPECT_TRUE(t.net.node(t.b).offers_delivered.empty());
  const auto c2 = t.net.join("carol", t.a, [&](peer_node& n) { n.id = std::move(carol.id); });
  t.net.advance(std::chrono::seconds(11));  // the next retry
  ASSERT_EQ(t.net.node(c2).offers.size(), 1u);
  EXPECT_FALSE(t.net.node(c2).offers[0].to_room);
  ASSERT_EQ(t.net.node(t.b).offers_delivered.size(), 1u);
  EXPECT_EQ(t.net.node(t.b).offers_delivered[0].offer.name(), "notes.txt");
  EXPECT_TRUE(statuses(t.net.node(t.b)) == std::vector{ui_event::direct_state::pending})
      << "a file offer has no message status of its own to end";
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


// File transfer frames between members without a link go in Relayed envelopes, which their
// sender signs: a relay that believed any `from` would route the named member's traffic to
// whoever claimed it, and the recipient would serve requests in the other's name.
pb::Frame chunk_request() {
  pb::Frame f;
  f.mutable_file_request()->set_file_id(std::string(32, 'f'));
  f.mutable_file_request()->add_chunks(3);
  return f;
}

TEST(room_relay, a_file_frame_without_a_link_is_relayed_and_arrives_from_its_sender) {
  chain t;
  int envelopes = 0;
  t.net.drop_frame = [&](std::size_t, std::size_t, const pb::Frame& f) {
    envelopes += f.has_relayed();
    return false;
  };
  t.net.node(t.b).core->send_to_member(t.net.node(t.c).id.id(), chunk_request(), /*bulk=*/false);
  t.net.pump();
  EXPECT_EQ(envelopes, 2) << "b to a, a to c";
  const auto& got = t.net.node(t.c).file_frames;
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].from, t.net.node(t.b).id.id());
  ASSERT_EQ(got[0].frame.file_request().chunks_size(), 1);
  EXPECT_EQ(got[0].frame.file_request().chunks(0), 3u);
  EXPECT_EQ(t.net.node(t.a).core->active_links(), 2u);
}

// b claims to be carol in an envelope for alice: alice refuses it and drops b's link.
void expect_a_forged_envelope_is_refused(bool signed_by_b) {
  chain t;
  pb::Frame f;
  auto* r = f.mutable_relayed();
  r->set_to(std::string(t.net.node(t.a).id.id().as_string_view()));
  r->set_from(std::string(t.net.node(t.c).id.id().as_string_view()));
  r->set_ttl(3);
  r->set_nonce(42);
  r->set_frame(chunk_request().SerializeAsString());
  if (signed_by_b) {
    const auto sig = t.net.node(t.b).id.sign("anything b can sign");
    r->set_signature(sig.data(), sig.size());
  }
  t.net.inject(t.a, t.net.link_at(t.a, t.b), f);
  EXPECT_TRUE(t.net.node(t.a).file_frames.empty()) << "not served in carol's name";
  EXPECT_EQ(t.net.node(t.a).core->active_links(), 1u) << "b's link is dropped, carol's stays";
}

TEST(room_relay, an_envelope_claiming_another_sender_is_refused) { expect_a_forged_envelope_is_refused(true); }

TEST(room_relay, an_unsigned_envelope_is_refused) { expect_a_forged_envelope_is_refused(false); }

// A relay checks too: it neither passes a forged envelope on nor learns a route from it.
TEST(room_relay, a_relay_does_not_pass_on_an_envelope_its_sender_did_not_sign) {
  chain t;
  std::string genuine;
  t.net.drop_frame = [&](std::size_t from, std::size_t, const pb::Frame& f) {
    if (from == t.b && f.has_relayed()) genuine = f.SerializeAsString();
    return false;
  };
  t.net.node(t.b).core->send_to_member(t.net.node(t.c).id.id(), chunk_request(), false);
  t.net.pump();
  ASSERT_FALSE(genuine.empty());
  pb::Frame tampered;
  ASSERT_TRUE(tampered.ParseFromString(genuine));
  tampered.mutable_relayed()->set_nonce(tampered.relayed().nonce() + 1);  // a fresh nonce, the old signature
  t.net.inject(t.a, t.net.link_at(t.a, t.b), tampered);
  EXPECT_EQ(t.net.node(t.c).file_frames.size(), 1u) << "only the genuine one reached carol";
}

}  // namespace
}  // namespace peerchat
