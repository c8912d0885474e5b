#include "crypto/room_secret.hpp"

#include <gtest/gtest.h>

#include "crypto/identity.hpp"

namespace peerchat {
namespace {

session_exporter exporter_of(std::uint8_t tag) {
  session_exporter e;
  e.fill(tag);
  return e;
}

// Argon2id is slow on purpose: derive each secret once for the whole file.
class room_secret_test : public testing::Test {
protected:
  static void SetUpTestSuite() {
    crypto_init();
    right = new room_secret(room_secret::derive("correct horse"));
    wrong = new room_secret(room_secret::derive("battery staple"));
  }
  static void TearDownTestSuite() {
    delete right;
    delete wrong;
  }
  static inline room_secret* right = nullptr;
  static inline room_secret* wrong = nullptr;
};

TEST_F(room_secret_test, the_same_secret_derives_the_same_room_id) {
  EXPECT_EQ(room_secret::derive("correct horse").room_id("lobby"), right->room_id("lobby"));
  EXPECT_EQ(right->room_id("lobby").size(), 64u);
}

TEST_F(room_secret_test, the_same_name_with_another_secret_is_another_room) {
  EXPECT_NE(right->room_id("lobby"), wrong->room_id("lobby"));
}

TEST_F(room_secret_test, another_name_with_the_same_secret_is_another_room) {
  EXPECT_NE(right->room_id("lobby"), right->room_id("lobby2"));
}

TEST_F(room_secret_test, a_proof_checks_out_for_the_same_secret_role_room_and_session) {
  const auto proof = right->prove("lobby", proof_role::dialer, exporter_of(1));
  EXPECT_EQ(proof.size(), 32u);
  EXPECT_TRUE(right->verify("lobby", proof_role::dialer, exporter_of(1), proof));
}

TEST_F(room_secret_test, a_proof_made_with_another_secret_fails) {
  const auto proof = wrong->prove("lobby", proof_role::dialer, exporter_of(1));
  EXPECT_FALSE(right->verify("lobby", proof_role::dialer, exporter_of(1), proof));
}

TEST_F(room_secret_test, a_proof_from_another_session_fails) {
  const auto proof = right->prove("lobby", proof_role::dialer, exporter_of(1));
  EXPECT_FALSE(right->verify("lobby", proof_role::dialer, exporter_of(2), proof));
}

TEST_F(room_secret_test, a_proof_handed_back_to_its_maker_fails) {
  const auto proof = right->prove("lobby", proof_role::dialer, exporter_of(1));
  EXPECT_FALSE(right->verify("lobby", proof_role::acceptor, exporter_of(1), proof));
}

TEST_F(room_secret_test, a_proof_for_another_room_name_fails) {
  const auto proof = right->prove("lobby", proof_role::dialer, exporter_of(1));
  EXPECT_FALSE(right->verify("lobby2", proof_role::dialer, exporter_of(1), proof));
}

TEST_F(room_secret_test, a_missing_or_truncated_proof_fails) {
  auto proof = right->prove("lobby", proof_role::dialer, exporter_of(1));
  EXPECT_FALSE(right->verify("lobby", proof_role::dialer, exporter_of(1), ""));
  proof.pop_back();
  EXPECT_FALSE(right->verify("lobby", proof_role::dialer, exporter_of(1), proof));
  EXPECT_FALSE(right->verify("lobby", proof_role::dialer, exporter_of(1), proof + "xx"));
}

TEST(random_room_secret, is_22_url_safe_characters_and_fresh_each_time) {
  crypto_init();
  const std::string a = random_room_secret(), b = random_room_secret();
  EXPECT_EQ(a.size(), 22u);
  EXPECT_NE(a, b);
  for (char c : a) EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') << a;
}

}  // namespace
}  // namespace peerchat
