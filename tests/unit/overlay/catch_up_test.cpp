#include "overlay/catch_up.hpp"

#include <gtest/gtest.h>

#include "../test_ids.hpp"

namespace peerchat {
namespace {

using testing_ids::id_of;
const peer_id alice = id_of(0xa1);
const peer_id bob = id_of(0xb0);

TEST(catch_up, wants_are_bounded_and_walk_authors_in_order) {
  catch_up c(100, 2);
  c.want(alice, seq_no{0}, seq_no{150});
  c.want(bob, seq_no{10}, seq_no{20});
  auto first = c.next_want();
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].author, alice);
  EXPECT_EQ(first[0].after, seq_no{0});
  EXPECT_EQ(first[0].upto, seq_no{100});
  auto second = c.next_want();
  ASSERT_EQ(second.size(), 2u);
  EXPECT_EQ(second[0].after, seq_no{100});
  EXPECT_EQ(second[0].upto, seq_no{150});
  EXPECT_EQ(second[1].author, bob);
  EXPECT_EQ(second[1].after, seq_no{10});
  EXPECT_EQ(second[1].upto, seq_no{20});
  EXPECT_TRUE(c.next_want().empty()) << "two Wants in flight at most";
}

TEST(catch_up, received_history_closes_the_range_and_done_reports_it) {
  catch_up c(100, 1);
  c.want(alice, seq_no{0}, seq_no{3});
  EXPECT_FALSE(c.expects(bob, seq_no{1}));
  EXPECT_FALSE(c.expects(alice, seq_no{4}));
  ASSERT_EQ(c.next_want().size(), 1u);
  for (std::uint64_t s = 1; s <= 3; ++s) {
    EXPECT_TRUE(c.expects(alice, seq_no{s}));
    c.received(alice, seq_no{s});
    EXPECT_FALSE(c.expects(alice, seq_no{s})) << "a copy is not history twice";
  }
  EXPECT_TRUE(c.done());
  EXPECT_EQ(c.received_total(), 3u);
}

TEST(catch_up, held_prefix_says_how_far_history_has_come) {
  catch_up c(100, 1);
  c.want(alice, seq_no{5}, seq_no{9});
  EXPECT_EQ(c.held_prefix(alice), seq_no{5});
  c.received(alice, seq_no{6});
  EXPECT_EQ(c.held_prefix(alice), seq_no{6});
  EXPECT_FALSE(c.held_prefix(bob));
}

TEST(catch_up, what_the_source_lacked_is_given_up_once_every_answer_is_in) {
  catch_up c(4, 2);
  c.want(alice, seq_no{0}, seq_no{8});
  ASSERT_FALSE(c.next_want().empty());  // 1..4
  ASSERT_FALSE(c.next_want().empty());  // 5..8
  c.received(alice, seq_no{1});
  c.received(alice, seq_no{2});
  EXPECT_EQ(c.answered(), 0u) << "one answer still due";
  c.received(alice, seq_no{5});
  EXPECT_EQ(c.answered(), 3u) << "6, 7 and 8 never came";
  EXPECT_TRUE(c.done());
}

TEST(catch_up, a_lost_source_has_everything_unreceived_asked_again) {
  catch_up c(10, 1);
  c.want(alice, seq_no{0}, seq_no{10});
  ASSERT_FALSE(c.next_want().empty());
  c.received(alice, seq_no{1});
  c.received(alice, seq_no{2});
  c.source_lost();
  auto again = c.next_want();
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].after, seq_no{2});
  EXPECT_EQ(again[0].upto, seq_no{10});
}

TEST(catch_up, an_empty_range_is_no_history) {
  catch_up c(10, 1);
  c.want(alice, seq_no{7}, seq_no{7});
  EXPECT_TRUE(c.done());
  EXPECT_TRUE(c.next_want().empty());
}

// Found by fuzz/catch_up_fuzz: a range ending at seq 2^64-1 (a hostile member list can name it)
// wrapped `next` to 0 and stayed open for good, expecting every later event as history.
TEST(catch_up, a_range_up_to_the_highest_seq_closes_when_its_last_event_arrives) {
  catch_up c(100, 1);
  c.want(alice, seq_no{UINT64_MAX - 2}, seq_no{UINT64_MAX});
  ASSERT_EQ(c.next_want().size(), 1u);
  c.received(alice, seq_no{UINT64_MAX - 1});
  c.received(alice, seq_no{UINT64_MAX});
  EXPECT_TRUE(c.done());
  EXPECT_FALSE(c.expects(alice, seq_no{1}));
}

TEST(catch_up, a_range_up_to_the_highest_seq_is_given_up_when_its_answer_lacks_it) {
  catch_up c(100, 1);
  c.want(alice, seq_no{UINT64_MAX - 2}, seq_no{UINT64_MAX});
  ASSERT_EQ(c.next_want().size(), 1u);
  EXPECT_EQ(c.answered(), 2u);
  EXPECT_TRUE(c.done());
}

}  // namespace
}  // namespace peerchat
