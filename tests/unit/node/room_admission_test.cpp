// Admission to a closed room, on the sans-IO core: a joiner (the dialer) and a member (the
// acceptor) on one in-memory link. Each side is given its own TLS exporter value, so a test
// can make them differ, as they do when a proof is lifted from another session.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <optional>

#include "core/error.hpp"
#include "crypto/identity.hpp"
#include "node/room.hpp"
#include "wire/frame.hpp"

namespace peerchat {
namespace {

namespace pb = wire::pb;

constexpr link_id the_link = 1;
const std::string member_addr = "127.0.0.1:7001";

session_exporter exporter_of(std::uint8_t tag) {
  session_exporter e;
  e.fill(tag);
  return e;
}

pb::Frame decode(const std::string& bytes) {
  wire::frame_reader reader(1 << 20);
  reader.feed(bytes);
  std::error_code ec;
  auto frame = reader.next(ec);
  EXPECT_TRUE(frame) << ec.message();
  return frame ? *frame : pb::Frame{};
}

// One side of the link: a real room core and what it asked for.
struct side {
  side(std::string name, std::string secret, std::string join, instant now) {
    crypto_init();
    cfg.name = std::move(name);
    cfg.room = join.empty() ? "lobby" : "";  // a joiner adopts the member's room
    cfg.secret = std::move(secret);
    cfg.join = std::move(join);
    core = std::make_unique<room>(cfg, id, now, 1);
    core->start(join.empty() ? member_addr : "127.0.0.1:7002", now);
  }

  // Runs this side's actions; returns the frames it sent on the link, in order.
  std::vector<pb::Frame> drain() {
    std::vector<pb::Frame> sent;
    for (auto& a : core->take_actions()) {
      if (auto* s = std::get_if<action::send>(&a)) sent.push_back(decode(*s->bytes));
      else if (auto* c = std::get_if<action::close>(&a)) closed_with = c->reason;
      else if (auto* e = std::get_if<action::emit>(&a)) events.push_back(e->event);
      else if (auto* l = std::get_if<action::log>(&a)) logs.push_back(l->line);
      else if (auto* f = std::get_if<action::finished>(&a)) finished = f->error;
    }
    return sent;
  }

  template <class T>
  std::size_t count() const {
    return static_cast<std::size_t>(
        std::count_if(events.begin(), events.end(), [](const auto& e) { return std::holds_alternative<T>(e); }));
  }
  std::string errors() const {
    std::string out;
    for (const auto& e : events)
      if (auto* x = std::get_if<ui_event::error>(&e)) out += x->message + "\n";
    return out;
  }

  config cfg;
  identity id = identity::generate();
  std::unique_ptr<room> core;
  std::vector<ui_event_t> events;
  std::vector<std::string> logs;
  std::optional<std::error_code> closed_with;
  std::optional<std::error_code> finished;
};

// A joiner dials a member; each end sees its own exporter value (equal on an honest link).
class admission {
public:
  admission(std::string member_secret, std::string joiner_secret, session_exporter at_member,
            session_exporter at_joiner)
      : member("alice", std::move(member_secret), {}, now()),
        joiner("bob", std::move(joiner_secret), member_addr, now()) {
    member.drain();
    joiner.drain();
    joiner.core->on_link_up(the_link, member.id.id(), member_addr, "127.0.0.1", at_joiner, now());
    member.core->on_link_up(the_link, joiner.id.id(), "", "127.0.0.1", at_member, now());
    run();
  }

  static instant now() { return {microseconds{1'000'000}, microseconds{1'700'000'000'000'000}}; }

  // Carries frames both ways until neither side sends; a close ends the link at both ends.
  void run() {
    for (bool busy = true; busy;) {
      busy = false;
      for (auto [from, to] : {std::pair{&member, &joiner}, std::pair{&joiner, &member}}) {
        for (const auto& f : from->drain()) {
          busy = true;
          if (!link_closed) to->core->on_frame(the_link, f, now());
        }
        if (from->closed_with && !link_closed) {
          link_closed = true;
          busy = true;
          from->core->on_link_down(the_link, *from->closed_with, now());
          to->core->on_link_down(the_link, *from->closed_with, now());
        }
      }
    }
  }

  side member;
  side joiner;
  bool link_closed = false;
};

bool mentions(const std::vector<std::string>& lines, std::string_view what) {
  return std::any_of(lines.begin(), lines.end(), [&](const auto& l) { return l.find(what) != l.npos; });
}

TEST(room_admission, a_joiner_that_knows_the_secret_is_admitted_and_both_list_each_other) {
  admission a("s3cret", "s3cret", exporter_of(7), exporter_of(7));
  EXPECT_FALSE(a.link_closed);
  EXPECT_FALSE(a.joiner.finished);
  EXPECT_EQ(a.joiner.count<ui_event::ready>(), 1u);
  EXPECT_EQ(a.member.count<ui_event::member_joined>(), 1u);
  EXPECT_EQ(a.joiner.core->members().live_others().size(), 1u);
  EXPECT_TRUE(a.joiner.core->closed());
}

TEST(room_admission, a_joiner_with_a_wrong_secret_gives_up_with_wrong_room_secret) {
  admission a("s3cret", "guess", exporter_of(7), exporter_of(7));
  EXPECT_TRUE(a.link_closed);
  ASSERT_TRUE(a.joiner.finished.has_value());
  EXPECT_NE(a.joiner.errors().find("wrong room secret"), std::string::npos) << a.joiner.errors();
  EXPECT_EQ(a.joiner.count<ui_event::ready>(), 0u);
}

TEST(room_admission, the_member_logs_one_line_and_its_room_is_unchanged_after_a_wrong_secret) {
  admission a("s3cret", "guess", exporter_of(7), exporter_of(7));
  ASSERT_EQ(a.member.logs.size(), 1u);
  EXPECT_NE(a.member.logs[0].find("wrong room secret"), std::string::npos) << a.member.logs[0];
  EXPECT_EQ(a.member.count<ui_event::member_joined>(), 0u);
  EXPECT_EQ(a.member.count<ui_event::error>(), 0u);
  EXPECT_TRUE(a.member.core->members().live_others().empty());
  EXPECT_FALSE(a.member.finished);
}

TEST(room_admission, a_joiner_without_a_secret_is_refused_by_a_closed_room) {
  admission a("s3cret", "", exporter_of(7), exporter_of(7));
  EXPECT_TRUE(a.link_closed);
  ASSERT_TRUE(a.joiner.finished.has_value());
  EXPECT_NE(a.joiner.errors().find("wrong room secret"), std::string::npos) << a.joiner.errors();
  EXPECT_TRUE(mentions(a.member.logs, "wrong room secret"));
  EXPECT_TRUE(a.member.core->members().live_others().empty());
}

TEST(room_admission, a_joiner_with_a_secret_refuses_an_open_room_of_the_same_name) {
  admission a("", "s3cret", exporter_of(7), exporter_of(7));
  EXPECT_TRUE(a.link_closed);
  EXPECT_NE(a.joiner.errors().find("wrong room secret"), std::string::npos) << a.joiner.errors();
  EXPECT_TRUE(a.member.core->members().live_others().empty());
}

TEST(room_admission, a_proof_made_on_another_session_is_refused) {
  // The joiner knows the secret, but its proof is bound to exporter 8, and this link's is 7:
  // exactly what a proof replayed from another link looks like to the member.
  admission a("s3cret", "s3cret", exporter_of(7), exporter_of(8));
  EXPECT_TRUE(a.link_closed);
  EXPECT_TRUE(mentions(a.member.logs, "wrong room secret"));
  EXPECT_TRUE(a.member.core->members().live_others().empty());
  EXPECT_NE(a.joiner.errors().find("wrong room secret"), std::string::npos);
}

TEST(room_admission, open_rooms_admit_as_before_with_no_proof_on_the_wire) {
  admission a("", "", exporter_of(7), exporter_of(9));  // exporters play no part
  EXPECT_FALSE(a.link_closed);
  EXPECT_EQ(a.member.count<ui_event::member_joined>(), 1u);
}

// A hostile acceptor, driven by hand: it claims a closed room and sends whatever proof.
class hostile_member : public testing::Test {
protected:
  hostile_member() : joiner("bob", "s3cret", member_addr, admission::now()) {
    joiner.drain();
    joiner.core->on_link_up(the_link, stranger.id(), member_addr, "127.0.0.1", exporter_of(7),
                            admission::now());
    pb::Frame hello;
    hello.mutable_hello()->set_protocol_version(protocol_version_max);
    hello.mutable_hello()->set_room("lobby");
    hello.mutable_hello()->set_name("mallory");
    hello.mutable_hello()->set_closed(true);
    joiner.core->on_frame(the_link, hello, admission::now());
    const auto sent = joiner.drain();
    if (!sent.empty() && sent[0].has_hello()) joiner_proof = sent[0].hello().secret_proof();
  }

  void send_proof(std::string proof) {
    pb::Frame f;
    f.mutable_room_proof()->set_secret_proof(std::move(proof));
    joiner.core->on_frame(the_link, f, admission::now());
    joiner.drain();
  }

  void expect_refused() {
    ASSERT_TRUE(joiner.closed_with.has_value());
    EXPECT_EQ(*joiner.closed_with, make_error_code(errc::wrong_room_secret));
    EXPECT_EQ(joiner.count<ui_event::ready>(), 0u);
    EXPECT_TRUE(joiner.finished.has_value());
    EXPECT_NE(joiner.errors().find("wrong room secret"), std::string::npos);
  }

  identity stranger = identity::generate();
  side joiner;
  std::string joiner_proof;
};

TEST_F(hostile_member, the_joiner_waits_for_the_members_proof_before_it_counts_as_joined) {
  ASSERT_EQ(joiner_proof.size(), 32u);
  EXPECT_EQ(joiner.count<ui_event::ready>(), 0u);
  EXPECT_FALSE(joiner.closed_with);
}

TEST_F(hostile_member, handing_the_joiners_own_proof_back_does_not_fool_it) {
  send_proof(joiner_proof);
  expect_refused();
}

TEST_F(hostile_member, a_proof_made_with_another_secret_does_not_fool_the_joiner) {
  send_proof(room_secret::derive("other").prove("lobby", proof_role::acceptor, exporter_of(7)));
  expect_refused();
}

TEST_F(hostile_member, a_missing_proof_does_not_fool_the_joiner) {
  send_proof("");
  expect_refused();
}

TEST(room_admission, a_member_gives_a_stranger_nothing_to_test_guesses_on) {
  side member("alice", "s3cret", {}, admission::now());
  member.drain();
  const identity stranger = identity::generate();
  member.core->on_link_up(the_link, stranger.id(), "", "127.0.0.1", exporter_of(7), admission::now());
  pb::Frame hello;
  hello.mutable_hello()->set_protocol_version(protocol_version_max);
  hello.mutable_hello()->set_room("lobby");
  hello.mutable_hello()->set_name("mallory");
  hello.mutable_hello()->set_closed(true);
  hello.mutable_hello()->set_secret_proof(std::string(32, 'x'));
  const auto greeting = member.drain();
  member.core->on_frame(the_link, hello, admission::now());
  const auto answer = member.drain();
  ASSERT_EQ(greeting.size(), 1u);
  EXPECT_TRUE(greeting[0].hello().closed());
  EXPECT_TRUE(greeting[0].hello().secret_proof().empty());
  EXPECT_TRUE(std::none_of(answer.begin(), answer.end(), [](const auto& f) { return f.has_room_proof(); }));
  EXPECT_EQ(member.closed_with, make_error_code(errc::wrong_room_secret));
}

std::vector<std::string> dials_of(room& core) {
  std::vector<std::string> out;
  for (auto& a : core.take_actions())
    if (auto* d = std::get_if<action::dial>(&a)) out.push_back(d->addr);
  return out;
}

TEST(room_join, an_unreachable_invite_address_makes_the_joiner_dial_the_next_one) {
  crypto_init();
  config cfg;
  cfg.name = "bob";
  cfg.join = "10.0.0.1:4000";
  cfg.join_fallbacks = {"192.168.1.5:4000"};
  const identity id = identity::generate();
  room core(cfg, id, admission::now(), 1);
  core.start("127.0.0.1:7002", admission::now());
  EXPECT_EQ(dials_of(core), std::vector<std::string>{"10.0.0.1:4000"});
  core.on_dial_failed("10.0.0.1:4000", std::make_error_code(std::errc::host_unreachable), admission::now());
  EXPECT_EQ(dials_of(core), std::vector<std::string>{"192.168.1.5:4000"});
  core.on_dial_failed("192.168.1.5:4000", std::make_error_code(std::errc::connection_refused),
                      admission::now());
  EXPECT_TRUE(dials_of(core).empty()) << "a pause before the next round";
  instant later = admission::now();
  later.mono += std::chrono::seconds(1);
  core.on_tick(later);
  EXPECT_EQ(dials_of(core), std::vector<std::string>{"10.0.0.1:4000"}) << "the round starts again";
  bool gave_up = false;
  for (int round = 0; round < 3 && !gave_up; ++round) {
    for (const char* addr : {"10.0.0.1:4000", "192.168.1.5:4000"}) {
      core.on_dial_failed(addr, std::make_error_code(std::errc::connection_refused), later);
      for (auto& a : core.take_actions())
        if (auto* e = std::get_if<action::emit>(&a))
          if (auto* err = std::get_if<ui_event::error>(&e->event))
            gave_up = err->message.find("cannot join through 192.168.1.5:4000") != std::string::npos;
    }
    later.mono += std::chrono::seconds(1);
    core.on_tick(later);
  }
  EXPECT_TRUE(gave_up) << "after a few rounds over every address the joiner gives up";
}

}  // namespace
}  // namespace peerchat
