// /whois and the name-collision warning, on the sans-IO core: one real core, and peers that
// are only hellos and member records injected on fake links.
#include <gtest/gtest.h>

#include "crypto/identity.hpp"
#include "node/room.hpp"
#include "node/room_wire.hpp"

namespace peerchat {
namespace {

namespace pb = wire::pb;

instant at() { return {microseconds{1'000'000}, microseconds{1'700'000'000'000'000}}; }

class room_names : public testing::Test {
protected:
  room_names() {
    crypto_init();
    cfg_.name = "alice";
    cfg_.room = "lobby";
    core_ = std::make_unique<room>(cfg_, id_, at(), 1);
    core_->start("127.0.0.1:7000", at());
    collect();
  }

  // A peer called `name` dials us and says hello; returns its key.
  peer_id arrives(const std::string& name) {
    const identity peer = identity::generate();
    const link_id link = next_link_++;
    core_->on_link_up(link, peer.id(), "", "127.0.0.1", {}, at());
    pb::Frame f;
    f.mutable_hello()->set_protocol_version(protocol_version_max);
    f.mutable_hello()->set_room("lobby");
    f.mutable_hello()->set_name(name);
    f.mutable_hello()->set_listen_addr("127.0.0.1:" + std::to_string(7000 + link));
    f.mutable_hello()->set_incarnation(1);
    const auto proof = peer.sign(room_wire::incarnation_signed_part(peer.id(), 1, name));
    f.mutable_hello()->set_incarnation_proof(proof.data(), proof.size());
    core_->on_frame(link, f, at());
    collect();
    return peer.id();
  }

  void collect() {
    for (auto& a : core_->take_actions())
      if (auto* e = std::get_if<action::emit>(&a)) events_.push_back(e->event);
  }

  template <class T>
  std::vector<T> all() const {
    std::vector<T> out;
    for (const auto& e : events_)
      if (auto* x = std::get_if<T>(&e)) out.push_back(*x);
    return out;
  }

  template <class T>
  std::optional<T> answer(std::string_view query) {
    events_.clear();
    core_->whois(query);
    collect();
    auto got = all<T>();
    if (got.size() != 1) return std::nullopt;
    return got.front();
  }

  config cfg_;
  identity id_ = identity::generate();
  std::unique_ptr<room> core_;
  std::vector<ui_event_t> events_;
  link_id next_link_ = 1;
};

TEST_F(room_names, members_with_distinct_names_raise_no_warning) {
  arrives("bob");
  arrives("carol");
  EXPECT_TRUE(all<ui_event::warning>().empty());
}

TEST_F(room_names, a_newcomer_taking_a_members_name_raises_one_warning_naming_both_keys) {
  const peer_id impostor = arrives("alice");
  const auto warnings = all<ui_event::warning>();
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0].kind, "name-collision");
  EXPECT_EQ(warnings[0].name, "alice");
  EXPECT_EQ(warnings[0].peer.id, impostor);
  EXPECT_EQ(warnings[0].seen_with, std::vector<peer_id>{id_.id()});
  EXPECT_NE(warnings[0].message.find(id_.id().short_hex()), std::string::npos);
  EXPECT_NE(warnings[0].message.find(impostor.short_hex()), std::string::npos);
}

TEST_F(room_names, taking_a_name_by_nick_raises_the_warning_too) {
  arrives("bob");
  core_->nick("bob", at());
  collect();
  EXPECT_EQ(all<ui_event::warning>().size(), 1u);
}

TEST_F(room_names, whois_by_name_shows_the_full_fingerprint_and_what_is_known) {
  const peer_id bob = arrives("bob");
  const auto w = answer<ui_event::whois>("bob");
  ASSERT_TRUE(w);
  EXPECT_EQ(w->member.peer.id, bob);
  EXPECT_EQ(w->fingerprint, fingerprint(bob));
  EXPECT_EQ(w->names, std::vector<std::string>{"bob"});
  EXPECT_TRUE(w->linked);
  EXPECT_FALSE(w->self);
  EXPECT_EQ(w->member.state, member_state::alive);
}

TEST_F(room_names, whois_by_an_id_prefix_in_any_case_finds_the_member) {
  const peer_id bob = arrives("bob");
  std::string prefix = bob.short_hex();
  for (char& c : prefix) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  const auto w = answer<ui_event::whois>(prefix);
  ASSERT_TRUE(w);
  EXPECT_EQ(w->member.peer.id, bob);
}

TEST_F(room_names, whois_of_ourselves_says_so) {
  const auto w = answer<ui_event::whois>("alice");
  ASSERT_TRUE(w);
  EXPECT_TRUE(w->self);
}

TEST_F(room_names, an_ambiguous_name_asks_for_the_id_and_lists_the_candidates) {
  const peer_id impostor = arrives("alice");
  const auto e = answer<ui_event::error>("alice");
  ASSERT_TRUE(e);
  EXPECT_NE(e->message.find("ambiguous"), std::string::npos) << e->message;
  EXPECT_NE(e->message.find("/whois ID"), std::string::npos) << e->message;
  EXPECT_NE(e->message.find(impostor.short_hex()), std::string::npos) << e->message;
  EXPECT_NE(e->message.find(id_.id().short_hex()), std::string::npos) << e->message;
  EXPECT_TRUE(answer<ui_event::whois>(impostor.short_hex()));
}

TEST_F(room_names, an_unknown_name_is_an_error) {
  arrives("bob");
  EXPECT_TRUE(answer<ui_event::error>("nobody"));
}

TEST_F(room_names, two_hex_digits_of_an_id_find_the_member) {
  peer_id bob = arrives("bob");
  // Keys are random: one in 256 shares our first two digits, which is the next test's case.
  while (id_.id().hex().starts_with(bob.hex().substr(0, 2))) bob = arrives("bob");
  const auto w = answer<ui_event::whois>(bob.hex().substr(0, 2));
  ASSERT_TRUE(w);
  EXPECT_EQ(w->member.peer.id, bob);
}

TEST_F(room_names, two_hex_digits_that_two_ids_start_with_list_both) {
  peer_id bob = arrives("bob");
  while (!id_.id().hex().starts_with(bob.hex().substr(0, 2))) bob = arrives("bob");
  const auto e = answer<ui_event::error>(bob.hex().substr(0, 2));
  ASSERT_TRUE(e);
  EXPECT_NE(e->message.find("ambiguous"), std::string::npos) << e->message;
  EXPECT_NE(e->message.find(bob.short_hex()), std::string::npos) << e->message;
}

TEST_F(room_names, one_hex_digit_is_refused_with_the_reason) {
  const peer_id bob = arrives("bob");
  const auto e = answer<ui_event::error>(bob.hex().substr(0, 1));
  ASSERT_TRUE(e);
  EXPECT_NE(e->message.find("2 hex digits"), std::string::npos) << e->message;
}

}  // namespace
}  // namespace peerchat
