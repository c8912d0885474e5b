// The room core, driven without sockets: real cores joined by an in-memory network that
// encodes and decodes every frame, on a virtual clock.
#include "fake_network.hpp"

#include "core/error.hpp"
#include "crypto/identity.hpp"
#include "node/room_wire.hpp"
#include "wire/event.hpp"
#include "wire/frame.hpp"

namespace peerchat {
namespace {

namespace pb = wire::pb;
using namespace room_testing;

std::size_t live_count(const room& r) { return r.members().live_others().size() + 1; }

TEST(room, a_joiner_adopts_the_room_and_both_sides_list_each_other) {
  fake_network net;
  auto alice = net.add("alice", "lobby");
  auto bob = net.add("bob", {}, fake_network::addr_of(alice));
  ASSERT_EQ(net.node(bob).dials, std::vector<std::string>{fake_network::addr_of(alice)});
  net.connect(bob, alice);
  EXPECT_EQ(net.node(bob).core->room_name(), "lobby");
  EXPECT_EQ(live_count(*net.node(alice).core), 2u);
  EXPECT_EQ(live_count(*net.node(bob).core), 2u);
  ASSERT_EQ(net.node(bob).all<ui_event::ready>().size(), 1u);
  ASSERT_EQ(net.node(alice).all<ui_event::member_joined>().size(), 1u);
  EXPECT_EQ(net.node(alice).all<ui_event::member_joined>()[0].peer.name, "bob");
}

TEST(room, a_joiner_learns_every_member_through_any_member) {
  fake_network net;
  auto a = net.add("a", "lobby");
  auto b = net.join("b", a);
  auto c = net.join("c", b);
  EXPECT_EQ(live_count(*net.node(c).core), 3u);
  EXPECT_EQ(live_count(*net.node(a).core), 3u) << "a hears of c through b";
  EXPECT_NE(std::find(net.node(c).dials.begin(), net.node(c).dials.end(), fake_network::addr_of(a)),
            net.node(c).dials.end()) << "c dials a to complete the mesh";
}

TEST(room, a_message_reaches_a_member_without_a_direct_link_exactly_once) {
  fake_network net;
  auto a = net.add("a", "lobby");
  auto b = net.join("b", a);
  auto c = net.join("c", b);
  net.node(a).core->say("hello", net.now());
  net.pump();
  auto got = net.node(c).all<ui_event::message>();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].text, "hello");
  EXPECT_EQ(got[0].from.id, net.node(a).id.id());
  EXPECT_EQ(got[0].seq.value, 1u);
}

TEST(room, a_message_arriving_by_two_paths_is_delivered_once) {
  fake_network net;
  auto a = net.add("a", "lobby");
  auto b = net.join("b", a);
  auto c = net.join("c", b);
  net.connect(c, a);  // now a triangle: c hears a directly and through b
  for (int i = 0; i < 5; ++i) net.node(a).core->say("m" + std::to_string(i), net.now());
  net.pump();
  auto got = net.node(c).all<ui_event::message>();
  ASSERT_EQ(got.size(), 5u);
  for (std::size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i].seq.value, i + 1);
}

TEST(room, a_forged_event_is_dropped_and_logged) {
  fake_network net;
  auto a = net.add("a", "lobby");
  auto b = net.join("b", a);
  pb::EventBody body;
  body.set_author(std::string(net.node(a).id.id().as_string_view()));  // claims to be a
  body.set_seq(1);
  body.mutable_text()->set_text("forged");
  const identity mallory = identity::generate();
  pb::Frame frame;
  *frame.mutable_event() = wire::sign_event(body, mallory);
  net.inject(b, net.link_at(b, a), frame);
  EXPECT_TRUE(net.node(b).all<ui_event::message>().empty());
  ASSERT_FALSE(net.node(b).logs.empty());
  EXPECT_NE(net.node(b).logs.back().find("bad signature"), std::string::npos);
  net.node(a).core->say("real", net.now());  // the forgery did not block the real seq 1
  net.pump();
  ASSERT_EQ(net.node(b).all<ui_event::message>().size(), 1u);
  EXPECT_EQ(net.node(b).all<ui_event::message>()[0].text, "real");
}

TEST(room, a_joiner_with_the_wrong_room_is_refused_and_gives_up) {
  fake_network net;
  auto a = net.add("a", "lobby");
  auto b = net.add("b", "elsewhere", fake_network::addr_of(a));
  net.connect(b, a);
  EXPECT_EQ(live_count(*net.node(a).core), 1u);
  ASSERT_TRUE(net.node(b).finished.has_value());
  EXPECT_EQ(*net.node(b).finished, make_error_code(errc::wrong_room));
  ASSERT_FALSE(net.node(a).logs.empty());
  EXPECT_NE(net.node(a).logs.back().find("wrong room"), std::string::npos);
  ASSERT_FALSE(net.node(b).all<ui_event::error>().empty());
}

TEST(room, a_hello_with_an_unsupported_version_is_refused) {
  fake_network net;
  auto a = net.add("a", "lobby");
  auto b = net.add("b", "lobby", fake_network::addr_of(a));
  const link_id raw = 999;  // b's hello is replaced by a hand-made one on a fresh link
  net.node(a).core->on_link_up(raw, net.node(b).id.id(), "", "127.0.0.1", {}, net.now());
  pb::Frame hello;
  hello.mutable_hello()->set_protocol_version(protocol_version_max + 1);
  hello.mutable_hello()->set_room("lobby");
  hello.mutable_hello()->set_name("b");
  net.inject(a, raw, hello);
  ASSERT_FALSE(net.node(a).logs.empty());
  EXPECT_NE(net.node(a).logs.back().find("unsupported protocol version"), std::string::npos);
  EXPECT_EQ(live_count(*net.node(a).core), 1u);
}

TEST(room, a_first_frame_that_is_not_a_hello_closes_the_link) {
  fake_network net;
  auto a = net.add("a", "lobby");
  const identity stranger = identity::generate();
  net.node(a).core->on_link_up(5, stranger.id(), "", "127.0.0.1", {}, net.now());
  pb::Frame members;
  members.mutable_members();
  net.inject(a, 5, members);
  ASSERT_FALSE(net.node(a).logs.empty());
  EXPECT_NE(net.node(a).logs.back().find("first frame was not a hello"), std::string::npos);
}

TEST(room, a_link_without_a_hello_is_closed_after_the_timeout) {
  fake_network net;
  auto a = net.add("a", "lobby");
  const identity stranger = identity::generate();
  net.node(a).core->on_link_up(5, stranger.id(), "", "127.0.0.1", {}, net.now());
  net.pump();
  net.advance(microseconds{1000});
  EXPECT_TRUE(net.node(a).logs.empty());
  net.advance(std::chrono::duration_cast<microseconds>(net.node(a).cfg.handshake_timeout));
  ASSERT_FALSE(net.node(a).logs.empty());
  EXPECT_NE(net.node(a).logs.back().find("no hello within the timeout"), std::string::npos);
}

TEST(room, a_link_to_ourselves_is_refused) {
  fake_network net;
  auto a = net.add("a", "lobby");
  net.node(a).core->on_link_up(5, net.node(a).id.id(), "", "127.0.0.1", {}, net.now());
  net.pump();
  ASSERT_FALSE(net.node(a).logs.empty());
  EXPECT_NE(net.node(a).logs.back().find("connection to self"), std::string::npos);
}

TEST(room, a_peer_dialing_twice_keeps_its_first_link) {
  fake_network net;
  auto a = net.add("a", "lobby");
  auto b = net.add("b", {}, fake_network::addr_of(a));
  const link_id first = net.connect(b, a);
  net.connect(b, a);
  EXPECT_EQ(net.link_at(b, a), first);
  bool logged = false;
  for (const auto& l : net.node(a).logs) logged |= l.find("duplicate link") != std::string::npos;
  EXPECT_TRUE(logged);
  net.node(a).core->say("still here", net.now());
  net.pump();
  EXPECT_EQ(net.node(b).all<ui_event::message>().size(), 1u);
}

// Fails every dial node i made (the fake network performs none) until it makes no more.
void fail_dials(fake_network& net, std::size_t i) {
  for (int round = 0; round < 10 && !net.node(i).dials.empty(); ++round) {
    auto dials = std::exchange(net.node(i).dials, {});
    for (const auto& addr : dials)
      net.node(i).core->on_dial_failed(addr, make_error_code(std::errc::connection_refused), net.now());
    net.pump();
  }
  ASSERT_TRUE(net.node(i).dials.empty());
}

// The overlay's edge split: a full node lets in a dialer with room for two more links and
// hands one of its neighbours over to it, so nobody loses a link and the dialer gains two.
TEST(room, a_full_node_hands_a_neighbour_over_to_a_dialer_with_room_for_two) {
  fake_network net;
  const auto small_view = [](peer_node& n) { n.cfg.active_view = 2; };
  auto hub = net.add("hub", "lobby", {}, small_view);
  auto a = net.join("a", hub);
  auto b = net.join("b", hub);
  ASSERT_EQ(net.node(hub).core->active_links(), 2u);
  auto c = net.join("c", a);  // one link; room for five more
  fail_dials(net, a);  // the fake network performs no dial: let theirs fail, so they are free
  fail_dials(net, b);
  net.connect(c, hub);
  EXPECT_EQ(net.node(hub).core->active_links(), 2u);
  EXPECT_TRUE(net.linked(hub, c));
  const std::size_t victim = net.link_at(hub, a) ? b : a;
  EXPECT_EQ(net.node(victim).dials, std::vector<std::string>{fake_network::addr_of(c)})
      << "the neighbour handed over dials the newcomer at once";
}

TEST(room, a_full_node_turns_away_a_dialer_with_room_for_one_link_only) {
  fake_network net;
  const auto small_view = [](peer_node& n) { n.cfg.active_view = 2; };
  auto hub = net.add("hub", "lobby", {}, small_view);
  auto a = net.join("a", hub);
  net.join("b", hub);
  auto d = net.join("d", a, small_view);  // one link of two
  net.connect(d, hub);
  EXPECT_EQ(net.node(hub).core->active_links(), 2u);
  EXPECT_EQ(net.node(d).core->active_links(), 1u);
  EXPECT_FALSE(net.linked(hub, d));
}

TEST(room, a_nick_change_reaches_everyone_with_old_and_new_name) {
  fake_network net;
  auto a = net.add("a", "lobby");
  auto b = net.join("b", a);
  net.node(b).core->nick("bobby", net.now());
  net.pump();
  auto nicks = net.node(a).all<ui_event::nick>();
  ASSERT_EQ(nicks.size(), 1u);
  EXPECT_EQ(nicks[0].old_name, "b");
  EXPECT_EQ(nicks[0].new_name, "bobby");
  EXPECT_EQ(net.node(a).core->members().find(net.node(b).id.id())->name, "bobby");
}

// The Nick event may come before the record of the new name (here it does: b's records to a
// are lost). a's record of b stays as b signed it, so the member list a gives a newcomer
// still proves itself; before names were signed a renamed the record on the event alone.
TEST(room, a_nick_event_before_its_record_leaves_the_signed_record_alone) {
  fake_network net;
  auto a = net.add("a", "lobby");
  auto b = net.join("b", a);
  net.drop_frame = [&](std::size_t from, std::size_t to, const pb::Frame& f) {
    return from == b && to == a && f.has_members();
  };
  net.node(b).core->nick("bobby", net.now());
  net.pump();
  ASSERT_EQ(net.node(a).all<ui_event::nick>().size(), 1u);
  EXPECT_EQ(net.node(a).core->members().find(net.node(b).id.id())->name, "b");
  net.drop_frame = nullptr;
  auto c = net.join("c", a);
  for (const auto& line : net.node(c).logs) EXPECT_EQ(line.find("proof"), std::string::npos) << line;
  EXPECT_TRUE(net.linked(c, a));
  net.connect(b, c);
  EXPECT_EQ(net.node(c).core->members().find(net.node(b).id.id())->name, "bobby");
}

// A Nick event is signed by its author, but its name must still be one a hello could carry.
TEST(room, a_signed_nick_to_an_unusable_name_is_ignored_and_logged) {
  fake_network net;
  auto a = net.add("a", "lobby");
  auto b = net.join("b", a);
  const std::string unusable[] = {"evil\x1b[2J", std::string(65, 'x'), "two\nlines"};
  std::uint64_t seq = 0;
  for (const auto& name : unusable) {
    pb::EventBody body;
    body.set_author(std::string(net.node(b).id.id().as_string_view()));
    body.set_seq(++seq);
    body.mutable_nick()->set_old_name("b");
    body.mutable_nick()->set_new_name(name);
    pb::Frame frame;
    *frame.mutable_event() = wire::sign_event(body, net.node(b).id);
    net.inject(a, net.link_at(a, b), frame);
    EXPECT_TRUE(net.node(a).all<ui_event::nick>().empty()) << name;
    EXPECT_EQ(net.node(a).core->members().find(net.node(b).id.id())->name, "b") << name;
    ASSERT_FALSE(net.node(a).logs.empty());
    EXPECT_NE(net.node(a).logs.back().find("ignored"), std::string::npos) << net.node(a).logs.back();
  }
}

// Adds one member record to a Members frame, as a neighbour would send it.
void add_record(pb::Frame& f, const peer_id& id, std::uint64_t incarnation, pb::MemberState state,
                const std::string& name, const std::string& addr, const std::string& proof) {
  auto* m = f.mutable_members()->add_members();
  m->set_id(std::string(id.as_string_view()));
  m->set_name(name);
  m->set_addr(addr);
  m->set_incarnation(incarnation);
  m->set_state(state);
  m->set_proof(proof);
}

// A member record spreads a name too: one that a hello could not carry is skipped, the
// rest of the list is taken.
TEST(room, a_member_record_with_an_unusable_name_is_skipped) {
  fake_network net;
  auto a = net.add("a", "lobby");
  auto b = net.join("b", a);
  const identity carol = identity::generate(), mallory = identity::generate();
  pb::Frame f;
  auto add = [&](const identity& who, const std::string& name, const std::string& addr) {
    const auto proof = who.sign(room_wire::incarnation_signed_part(who.id(), 1, name));
    add_record(f, who.id(), 1, pb::MEMBER_STATE_ALIVE, name, addr,
               std::string(reinterpret_cast<const char*>(proof.data()), proof.size()));
  };
  add(mallory, "evil\x1b[2J", "127.0.0.1:9001");
  add(mallory, std::string(65, 'm'), "127.0.0.1:9001");
  add(carol, "carol", "127.0.0.1:9002");
  net.inject(a, net.link_at(a, b), f);
  const auto& members = net.node(a).core->members();
  EXPECT_EQ(members.find(mallory.id()), nullptr);
  ASSERT_NE(members.find(carol.id()), nullptr);
  EXPECT_EQ(members.find(carol.id())->name, "carol");
}

// A record of member `who` as a rumour would carry it, with no proof of its incarnation.
pb::Frame rumour_of(const member& who, std::uint64_t incarnation, pb::MemberState state,
                    const std::string& name, const std::string& addr) {
  pb::Frame f;
  add_record(f, who.id, incarnation, state, name, addr, std::string(64, 'x'));
  return f;
}

// A founder, a, and three members who joined through it.
struct room_of_four : testing::Test {
  fake_network net;
  std::size_t a = net.add("a", "lobby");
  std::size_t b = net.join("b", a);
  std::size_t c = net.join("c", a);
  std::size_t d = net.join("d", a);
};

// Only a member raises its incarnation, and it signs each one. Unsigned, one record declaring
// b failed at 2^62 (max_incarnation) shut b out for good: its refutation, 2^62 + 1, was
// above what anyone takes. The neighbour that sent such a record is dropped.
TEST_F(room_of_four, a_record_raising_another_members_incarnation_without_its_proof_is_dropped) {
  const member before = *net.node(a).core->members().find(net.node(b).id.id());
  for (const auto& [sender, incarnation] : {std::pair{c, before.incarnation + 1}, std::pair{d, max_incarnation}}) {
    net.inject(a, net.link_at(a, sender), rumour_of(before, incarnation, pb::MEMBER_STATE_FAILED, "b", before.addr));
    ASSERT_FALSE(net.node(a).logs.empty());
    EXPECT_NE(net.node(a).logs.back().find("without its member's proof"), std::string::npos);
  }
  net.advance(std::chrono::seconds(1));
  const member* after = net.node(a).core->members().find(net.node(b).id.id());
  ASSERT_NE(after, nullptr);
  EXPECT_EQ(after->state, member_state::alive);
  EXPECT_EQ(after->incarnation, before.incarnation);
  EXPECT_TRUE(net.linked(a, b));
}

// A member's proof covers its name: replayed under another name (say, to pass bob off as
// "alice" until his next incarnation) it proves nothing, and the neighbour is dropped. The
// same proof with the name bob signed is taken, so the refusal is the name's doing.
TEST_F(room_of_four, a_members_proof_under_another_name_is_refused) {
  const identity& bob = net.node(b).id;
  const member before = *net.node(a).core->members().find(bob.id());
  const std::uint64_t next = before.incarnation + 1;
  const auto sig = bob.sign(room_wire::incarnation_signed_part(bob.id(), next, "b"));
  const std::string proof(reinterpret_cast<const char*>(sig.data()), sig.size());
  auto record = [&](const std::string& name) {
    pb::Frame f;
    add_record(f, bob.id(), next, pb::MEMBER_STATE_ALIVE, name, before.addr, proof);
    return f;
  };
  net.inject(a, net.link_at(a, c), record("alice"));
  ASSERT_FALSE(net.node(a).logs.empty());
  EXPECT_NE(net.node(a).logs.back().find("without its member's proof"), std::string::npos);
  EXPECT_EQ(net.node(a).core->members().find(bob.id())->name, "b");
  EXPECT_EQ(net.node(a).core->members().find(bob.id())->incarnation, before.incarnation);
  net.inject(a, net.link_at(a, d), record("b"));
  EXPECT_EQ(net.node(a).core->members().find(bob.id())->incarnation, next);
}

// Observations need no proof, so each neighbour's are rationed (config: bursts, then a rate):
// an insider's frame of suspicions would otherwise cost the room two floods per record, the
// rumour and the member's refutation. The excess is skipped, once logged, and the link kept.
TEST(room, observations_beyond_a_neighbours_budget_are_skipped) {
  fake_network net;
  auto a = net.add("a", "lobby", {}, [](peer_node& n) {
    n.cfg.observations_per_member_burst = 2;
    n.cfg.observations_per_member_per_s = 1;
  });
  auto b = net.join("b", a);
  auto c = net.join("c", a);
  auto d = net.join("d", a);
  auto e = net.join("e", a);
  auto record_at_a = [&](std::size_t who) { return *net.node(a).core->members().find(net.node(who).id.id()); };
  // Each suspicion taken reaches its member, which refutes it with a new incarnation.
  auto refuted = [&](std::size_t who, const member& before) {
    return net.node(who).core->members().self().incarnation > before.incarnation &&
           record_at_a(who).incarnation > before.incarnation;
  };
  pb::Frame f;
  for (const auto who : {b, d, e}) {
    const member m = record_at_a(who);
    add_record(f, m.id, m.incarnation, pb::MEMBER_STATE_SUSPECT, m.name, m.addr, m.proof);
  }
  const member b_before = record_at_a(b), d_before = record_at_a(d), e_before = record_at_a(e);
  net.inject(a, net.link_at(a, c), f);
  EXPECT_TRUE(refuted(b, b_before));
  EXPECT_TRUE(refuted(d, d_before));
  EXPECT_FALSE(refuted(e, e_before)) << "over the budget";
  EXPECT_EQ(record_at_a(e).state, member_state::alive);
  ASSERT_FALSE(net.node(a).logs.empty());
  EXPECT_NE(net.node(a).logs.back().find("observations"), std::string::npos) << net.node(a).logs.back();
  EXPECT_TRUE(net.linked(a, c));
  // A second later the budget holds one more.
  net.advance(std::chrono::seconds(1));
  ASSERT_EQ(record_at_a(e).incarnation, e_before.incarnation);
  pb::Frame again;
  add_record(again, e_before.id, e_before.incarnation, pb::MEMBER_STATE_SUSPECT, e_before.name, e_before.addr,
             e_before.proof);
  net.inject(a, net.link_at(a, c), again);
  EXPECT_TRUE(refuted(e, e_before));
}

// At the incarnation we know, a record is another member's observation: its state is taken,
// never a name or an address; the member refutes it with a new incarnation, signed.
TEST(room, an_observation_changes_only_a_members_state_and_the_member_refutes_it) {
  fake_network net;
  auto a = net.add("a", "lobby");
  auto b = net.join("b", a);
  auto c = net.join("c", a);
  net.connect(b, c);
  const peer_id bob = net.node(b).id.id();
  const member before = *net.node(a).core->members().find(bob);
  bool b_hears = false;  // until the rumour has settled at c, so b cannot answer it at once
  net.drop_frame = [&](std::size_t, std::size_t to, const pb::Frame&) { return !b_hears && to == b; };
  net.inject(c, net.link_at(c, a), rumour_of(before, before.incarnation, pb::MEMBER_STATE_SUSPECT, "mallory", "10.9.9.9:1"));
  const member* seen = net.node(c).core->members().find(bob);
  ASSERT_NE(seen, nullptr);
  EXPECT_EQ(seen->state, member_state::suspect);
  EXPECT_EQ(seen->name, "b");
  EXPECT_EQ(seen->addr, before.addr);
  b_hears = true;
  // c's suspicion runs out, so a and c declare b failed and drop their links to it; b, told
  // so in their goodbyes, takes a new incarnation and dials again.
  net.advance(std::chrono::seconds(10));
  EXPECT_GT(net.node(b).core->members().self().incarnation, before.incarnation);
  ASSERT_FALSE(net.node(b).dials.empty());
  net.connect(b, a);
  net.advance(std::chrono::seconds(1));
  for (const auto node : {a, c}) {
    const member* now = net.node(node).core->members().find(bob);
    ASSERT_NE(now, nullptr);
    EXPECT_EQ(now->state, member_state::alive) << "b refuted the suspicion";
    EXPECT_GT(now->incarnation, before.incarnation);
    EXPECT_EQ(now->name, "b");
  }
}

TEST(room, a_graceful_leave_is_announced_at_once) {
  fake_network net;
  auto a = net.add("a", "lobby");
  auto b = net.join("b", a);
  net.node(b).core->leave(net.now());
  net.pump();
  ASSERT_TRUE(net.node(b).finished.has_value());
  EXPECT_FALSE(*net.node(b).finished);
  auto left = net.node(a).all<ui_event::member_left>();
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].reason, leave_reason::left);
  EXPECT_EQ(live_count(*net.node(a).core), 1u);
}

TEST(room, an_over_long_message_is_refused_locally_and_nothing_is_sent) {
  fake_network net;
  auto a = net.add("a", "lobby");
  auto b = net.join("b", a);
  net.node(a).core->say(std::string(net.node(a).cfg.max_text_bytes + 1, 'x'), net.now());
  net.pump();
  EXPECT_EQ(net.node(a).all<ui_event::error>().size(), 1u);
  EXPECT_TRUE(net.node(b).all<ui_event::message>().empty());
}

// Found by fuzz/room_fuzz: protobuf refuses a string field with invalid UTF-8, so members
// dropped such an event as malformed, and a frame carrying such a name closed the link.
TEST(room, a_message_that_is_not_utf8_is_refused_locally_and_nothing_is_sent) {
  fake_network net;
  auto a = net.add("a", "lobby");
  auto b = net.join("b", a);
  net.node(a).core->say("caf\xe9", net.now());
  net.pump();
  EXPECT_EQ(net.node(a).all<ui_event::error>().size(), 1u);
  EXPECT_TRUE(net.node(b).all<ui_event::message>().empty());
}

TEST(room, a_nick_that_is_not_utf8_is_refused_and_the_links_stay_up) {
  fake_network net;
  auto a = net.add("a", "lobby");
  auto b = net.join("b", a);
  net.node(a).core->nick("\xc0", net.now());
  net.pump();
  EXPECT_EQ(net.node(a).all<ui_event::error>().size(), 1u);
  EXPECT_EQ(net.node(a).core->active_links(), 1u);
  EXPECT_EQ(net.node(b).core->members().find(net.node(a).id.id())->name, "a");
}

TEST(room, a_utf8_message_and_nick_go_through) {
  fake_network net;
  auto a = net.add("a", "lobby");
  auto b = net.join("b", a);
  net.node(a).core->nick("Zo\xc3\xab", net.now());
  net.node(a).core->say("caf\xc3\xa9", net.now());
  net.pump();
  EXPECT_TRUE(net.node(a).all<ui_event::error>().empty());
  ASSERT_EQ(net.node(b).all<ui_event::message>().size(), 1u);
  EXPECT_EQ(net.node(b).all<ui_event::message>()[0].text, "caf\xc3\xa9");
}

TEST(room, an_unreachable_join_address_fails_the_start_with_a_clear_error) {
  fake_network net;
  auto b = net.add("b", {}, "127.0.0.1:1");
  // It may be only busy: tried again a few times, a second apart, before the start fails.
  for (int attempt = 0; attempt <= 3; ++attempt) {
    net.node(b).core->on_dial_failed("127.0.0.1:1", make_error_code(std::errc::connection_refused), net.now());
    net.pump();
    EXPECT_EQ(net.node(b).finished.has_value(), attempt == 3) << attempt;
    net.advance(std::chrono::milliseconds(1000));
  }
  ASSERT_TRUE(net.node(b).finished.has_value());
  EXPECT_TRUE(*net.node(b).finished);
  auto errors = net.node(b).all<ui_event::error>();
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].message.find("cannot join through 127.0.0.1:1"), std::string::npos);
}

TEST(room, a_member_flooding_the_room_is_muted_after_its_burst) {
  fake_network net;
  const auto a = net.add("alice", "r", {}, [](peer_node& n) {
    n.cfg.events_per_member_per_s = 100;
    n.cfg.events_per_member_burst = 50;
  });
  const auto b = net.join("bob", a);
  for (int i = 0; i < 80; ++i) net.node(b).core->say("flood", net.now());  // all at one instant
  net.pump();
  std::size_t shown = 0;
  for (const auto& m : net.node(a).all<ui_event::message>()) shown += m.from.id == net.node(b).id.id();
  EXPECT_EQ(shown, 50u) << "the burst, then nothing";
  EXPECT_EQ(net.node(a).core->stats().flood_dropped, 30u);
  bool logged = false;
  for (const auto& line : net.node(a).logs) logged |= line.find("sends events faster than") != std::string::npos;
  EXPECT_TRUE(logged);
}

// a says "one"; everything a sends b is lost until b grafts (counted in `grafted`).
struct lost_push {
  fake_network net;
  std::size_t a = net.add("alice", "r");
  std::size_t b = net.join("bob", a);
  std::size_t grafted = 0;
  lost_push() {
    net.drop_frame = [this](std::size_t from, std::size_t to, const pb::Frame& f) {
      if (from == b && to == a && f.has_graft()) grafted += static_cast<std::size_t>(f.graft().refs_size());
      return from == a && to == b && (f.has_event() || f.has_ihave()) && grafted == 0;
    };
    net.node(a).core->say("one", net.now());
    net.pump();
  }
};

// An IHave names an event b lacks (its push was lost): b grafts it from the announcer.
// `grouped`: the form senders use (refs grouped by author); otherwise the older one.
void expect_an_ihave_grafts_what_it_names(bool grouped) {
  lost_push t;
  auto& net = t.net;
  const auto a = t.a, b = t.b;
  std::size_t& grafted = t.grafted;
  ASSERT_TRUE(net.node(b).all<ui_event::message>().empty());
  const std::string author(net.node(a).id.id().as_string_view());
  pb::Frame ihave;
  if (grouped) {
    auto* run = ihave.mutable_ihave()->add_runs();
    run->set_author(author);
    run->add_seqs(1);
    run->add_hops(0);
  } else {
    auto* ref = ihave.mutable_ihave()->add_refs();
    ref->set_author(author);
    ref->set_seq(1);
  }
  net.inject(b, net.link_at(b, a), ihave);
  net.advance(std::chrono::milliseconds(300));  // the graft timeout, not anti-entropy's period
  EXPECT_EQ(grafted, 1u);
  const auto got = net.node(b).all<ui_event::message>();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].text, "one");
}

TEST(room, an_ihave_grouped_by_author_grafts_the_event_it_names) { expect_an_ihave_grafts_what_it_names(true); }

TEST(room, an_ihave_in_the_older_one_ref_each_form_still_grafts) { expect_an_ihave_grafts_what_it_names(false); }

// a, b and c all linked; a said "one", which flooded, and the duplicates settled a's tree.
struct settled_triangle {
  fake_network net;
  std::size_t a = net.add("alice", "r");
  std::size_t b = net.join("bob", a);
  std::size_t c = net.join("carol", a);
  settled_triangle() {
    net.connect(b, c);
    net.node(a).core->say("one", net.now());
    net.advance(std::chrono::milliseconds(100));
  }
};

// The announcing side too: a's push to b is lost, c announces the event to b in its own
// IHave (grouped by author), and b grafts it from c.
TEST(room, a_lost_push_is_grafted_from_a_neighbour_that_announced_it) {
  settled_triangle t;
  auto& net = t.net;
  const auto a = t.a, b = t.b, c = t.c;
  std::size_t grafted_from_c = 0;
  net.drop_frame = [&](std::size_t from, std::size_t to, const pb::Frame& f) {
    if (from == b && to == c && f.has_graft()) grafted_from_c += static_cast<std::size_t>(f.graft().refs_size());
    return from == a && to == b && f.has_event();
  };
  net.node(a).core->say("two", net.now());
  net.pump();
  for (int step = 0; step < 8; ++step) net.advance(std::chrono::milliseconds(50));  // IHave batching, graft timeout
  EXPECT_EQ(grafted_from_c, 1u);
  const auto got = net.node(b).all<ui_event::message>();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[1].text, "two");
}

// IHaves are batched; each ref says how long its announcer held it, and the graft wait
// counts from then (250 ms graft timeout - 100 ms held).
TEST(room, an_ihave_naming_a_ref_held_100_ms_grafts_it_150_ms_later) {
  lost_push t;
  auto& net = t.net;
  const auto a = t.a, b = t.b;
  std::size_t& grafted = t.grafted;
  pb::Frame ihave;
  auto* run = ihave.mutable_ihave()->add_runs();
  run->set_author(std::string(net.node(a).id.id().as_string_view()));
  run->add_seqs(1);
  run->add_hops(0);
  run->add_held_ms(100);
  net.inject(b, net.link_at(b, a), ihave);
  net.advance(std::chrono::milliseconds(140));
  EXPECT_EQ(grafted, 0u);
  net.advance(std::chrono::milliseconds(10));
  EXPECT_EQ(grafted, 1u);
  ASSERT_EQ(net.node(b).all<ui_event::message>().size(), 1u);
}

// The announcing side: a real node's IHave carries, per ref, how long it held it.
TEST(room, an_ihave_says_how_long_its_announcer_held_each_ref) {
  settled_triangle t;
  auto& net = t.net;
  const auto a = t.a;
  std::vector<pb::AuthorRefs> runs;
  net.drop_frame = [&](std::size_t from, std::size_t, const pb::Frame& f) {
    if (from != a && f.has_ihave())
      for (const auto& r : f.ihave().runs()) runs.push_back(r);
    return false;
  };
  net.node(a).core->say("two", net.now());
  net.pump();
  for (int step = 0; step < 4; ++step) net.advance(std::chrono::milliseconds(50));
  ASSERT_FALSE(runs.empty()) << "b or c announces a's event to the other";
  for (const auto& r : runs) {
    ASSERT_EQ(r.held_ms_size(), r.seqs_size());
    for (auto held : r.held_ms()) EXPECT_LE(held, 150u) << "held until the next beat (ticks every 50 ms here)";
  }
}

TEST(room, an_ihave_naming_more_than_1024_refs_across_its_runs_closes_the_link) {
  fake_network net;
  const auto a = net.add("alice", "r");
  const auto b = net.join("bob", a);
  pb::Frame f;
  for (int r = 0; r < 2; ++r) {
    auto* run = f.mutable_ihave()->add_runs();
    run->set_author(std::string(net.node(b).id.id().as_string_view()));
    for (int i = 1; i <= 513; ++i) run->add_seqs(static_cast<std::uint64_t>(r * 1000 + i));
  }
  net.inject(a, net.link_at(a, b), f);
  EXPECT_EQ(net.node(a).core->active_links(), 0u);
}

}  // namespace
}  // namespace peerchat
