#include "membership/name_registry.hpp"

#include <gtest/gtest.h>

#include "../test_ids.hpp"

namespace peerchat {
namespace {

using testing_ids::id_of;

TEST(name_registry, a_first_name_and_the_same_key_again_are_no_collision) {
  name_registry names(100);
  EXPECT_TRUE(names.observe(id_of(1), "alice").empty());
  EXPECT_TRUE(names.observe(id_of(1), "alice").empty());
}

TEST(name_registry, a_name_seen_with_another_key_reports_the_earlier_key_once) {
  name_registry names(100);
  names.observe(id_of(1), "alice");
  EXPECT_EQ(names.observe(id_of(2), "alice"), std::vector<peer_id>{id_of(1)});
  EXPECT_TRUE(names.observe(id_of(2), "alice").empty()) << "reported once per pairing";
  EXPECT_EQ(names.observe(id_of(3), "alice"), (std::vector<peer_id>{id_of(1), id_of(2)}));
}

TEST(name_registry, names_are_compared_exactly) {
  name_registry names(100);
  names.observe(id_of(1), "alice");
  EXPECT_TRUE(names.observe(id_of(2), "Alice").empty());
}

TEST(name_registry, a_key_keeps_every_name_it_was_seen_with_in_order) {
  name_registry names(100);
  names.observe(id_of(1), "alice");
  names.observe(id_of(1), "al");
  names.observe(id_of(2), "bob");
  EXPECT_EQ(names.names_of(id_of(1)), (std::vector<std::string>{"alice", "al"}));
  EXPECT_TRUE(names.names_of(id_of(9)).empty());
}

TEST(name_registry, the_oldest_name_is_forgotten_past_the_bound) {
  name_registry names(2);
  names.observe(id_of(1), "a");
  names.observe(id_of(2), "b");
  names.observe(id_of(3), "c");
  EXPECT_TRUE(names.observe(id_of(4), "a").empty()) << "'a' was evicted";
  EXPECT_EQ(names.observe(id_of(5), "c"), std::vector<peer_id>{id_of(3)});
}

TEST(name_registry, keys_per_name_are_bounded) {
  name_registry names(10);
  for (std::uint8_t i = 1; i <= 40; ++i) names.observe(id_of(i), "crowd");
  EXPECT_EQ(names.observe(id_of(200), "crowd").size(), name_registry::max_keys_per_name);
}

}  // namespace
}  // namespace peerchat
