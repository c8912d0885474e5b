// The room core, driven without sockets: real cores joined by an in-memory network that
// encodes and decodes every frame, on a virtual clock.
#include "node/room.hpp"

#include <gtest/gtest.h>

#include <deque>
#include <map>

#include "core/error.hpp"
#include "crypto/identity.hpp"
#include "wire/event.hpp"
#include "wire/frame.hpp"

namespace peerchat {
namespace {

namespace pb = wire::pb;

struct peer_node {
  config cfg;
  identity id = identity::generate();
  std::unique_ptr<room> core;
  std::vector<ui_event_t> events;
  std::vector<std::string> logs;
  std::vector<std::string> dials;
  std::optional<std::error_code> finished;

  template <class T>
  std::vector<T> all() const {
    std::vector<T> out;
    for (const auto& e : events)
      if (auto* x = std::get_if<T>(&e)) out.push_back(*x);
    return out;
  }
};

// Endpoint of a fake link: which node and which link id there.
struct end { std::size_t node; link_id link; };

class fake_network {
public:
  fake_network() { crypto_init(); }

  std::size_t add(std::string name, std::string room_name = {}, std::string join = {}) {
    auto n = std::make_unique<peer_node>();
    n->cfg.name = std::move(name);
    n->cfg.room = std::move(room_name);
    n->cfg.join = std::move(join);
    n->core = std::make_unique<room>(n->cfg, n->id, now(), nodes_.size() + 1);
    nodes_.push_back(std::move(n));
    const std::size_t index = nodes_.size() - 1;
    node(index).core->start(addr_of(index), now());
    pump();
    return index;
  }

  // A member that joins through `through` and completes its handshake.
  std::size_t join(std::string name, std::size_t through) {
    const std::size_t index = add(std::move(name), {}, addr_of(through));
    connect(index, through);
    return index;
  }

  static std::string addr_of(std::size_t index) { return "127.0.0.1:" + std::to_string(7000 + index); }
  peer_node& node(std::size_t i) { return *nodes_.at(i); }
  instant now() const { return {clock_, clock_ + microseconds{1'700'000'000'000'000}}; }
  void advance(microseconds d) {
    clock_ += d;
    for (auto& n : nodes_) n->core->on_tick(now());
    pump();
  }

  // `from` dials `to` and both finish TLS; returns the dialer's link id.
  link_id connect(std::size_t from, std::size_t to) {
    const link_id a = next_link_++, b = next_link_++;
    peers_[{from, a}] = {to, b};
    peers_[{to, b}] = {from, a};
    node(from).core->on_link_up(a, node(to).id.id(), addr_of(to), "127.0.0.1", {}, now());
    node(to).core->on_link_up(b, node(from).id.id(), "", "127.0.0.1", {}, now());
    pump();
    return a;
  }

  // Bytes that `from`'s side of `link` puts on the wire, as if a hostile peer wrote them.
  void inject(std::size_t to, link_id link, const pb::Frame& frame) {
    node(to).core->on_frame(link, frame, now());
    pump();
  }

  link_id link_at(std::size_t node_index, std::size_t towards) const {
    for (const auto& [here, there] : peers_)
      if (here.node == node_index && there.node == towards) return here.link;
    return 0;
  }

  // Runs every queued action until the network is quiet. Dials are recorded, not performed,
  // so each test decides its own topology.
  void pump() {
    for (bool busy = true; busy;) {
      busy = false;
      for (std::size_t i = 0; i < nodes_.size(); ++i)
        for (auto& a : node(i).core->take_actions()) {
          busy = true;
          run(i, a);
        }
    }
  }

private:
  struct key_less {
    bool operator()(const end& x, const end& y) const {
      return std::tie(x.node, x.link) < std::tie(y.node, y.link);
    }
  };

  void run(std::size_t i, room_action& a) {
    peer_node& n = node(i);
    if (auto* s = std::get_if<action::send>(&a)) {
      auto it = peers_.find({i, s->link});
      if (it == peers_.end()) return;
      wire::frame_reader reader(n.cfg.max_frame_bytes);
      reader.feed(*s->bytes);
      std::error_code ec;
      auto frame = reader.next(ec);
      ASSERT_TRUE(frame) << ec.message();
      node(it->second.node).core->on_frame(it->second.link, *frame, now());
    } else if (auto* c = std::get_if<action::close>(&a)) {
      auto it = peers_.find({i, c->link});
      if (it == peers_.end()) return;
      const end other = it->second;
      peers_.erase(it);
      peers_.erase(other);
      n.core->on_link_down(c->link, c->reason, now());
      node(other.node).core->on_link_down(other.link, c->reason, now());
    } else if (auto* d = std::get_if<action::dial>(&a)) {
      n.dials.push_back(d->addr);
    } else if (auto* g = std::get_if<action::datagram>(&a)) {
      for (std::size_t j = 0; j < nodes_.size(); ++j)
        if (addr_of(j) == g->addr && !node(j).finished) node(j).core->on_datagram(*g->bytes, now());
    } else if (auto* e = std::get_if<action::emit>(&a)) {
      n.events.push_back(e->event);
    } else if (auto* l = std::get_if<action::log>(&a)) {
      n.logs.push_back(l->line);
    } else if (auto* f = std::get_if<action::finished>(&a)) {
      n.finished = f->error;
    }
  }

  std::vector<std::unique_ptr<peer_node>> nodes_;
  std::map<end, end, key_less> peers_;
  microseconds clock_{1'000'000};
  link_id next_link_ = 1;
};

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

TEST(room, an_unreachable_join_address_fails_the_start_with_a_clear_error) {
  fake_network net;
  auto b = net.add("b", {}, "127.0.0.1:1");
  net.node(b).core->on_dial_failed("127.0.0.1:1", make_error_code(std::errc::connection_refused), net.now());
  net.pump();
  ASSERT_TRUE(net.node(b).finished.has_value());
  EXPECT_TRUE(*net.node(b).finished);
  auto errors = net.node(b).all<ui_event::error>();
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].message.find("cannot join through 127.0.0.1:1"), std::string::npos);
}

}  // namespace
}  // namespace peerchat
