#include "files/chunk_schedule.hpp"

#include <gtest/gtest.h>

#include <map>

#include "../test_ids.hpp"

namespace peerchat::files {
namespace {

using testing_ids::id_of;
const peer_id a = id_of(0xa0), b = id_of(0xb0);

std::map<peer_id, std::vector<std::uint32_t>> asks(chunk_schedule& s, microseconds now = microseconds{0}) {
  std::map<peer_id, std::vector<std::uint32_t>> out;
  for (auto& [holder, chunks] : s.next_requests(now)) out[holder] = chunks;
  return out;
}

TEST(chunk_schedule, asks_one_holder_for_a_window_in_order) {
  chunk_schedule s(std::vector<bool>(20, false));
  s.add_holder(a, {});
  auto first = asks(s);
  ASSERT_EQ(first[a].size(), chunk_schedule::window);
  EXPECT_EQ(first[a].front(), 0u);
  EXPECT_EQ(first[a].back(), chunk_schedule::window - 1);
  EXPECT_TRUE(asks(s).empty()) << "the window is full";
  ASSERT_TRUE(s.arrived(0, a));
  s.written(0);
  EXPECT_EQ(asks(s)[a], std::vector<std::uint32_t>{chunk_schedule::window});
}

TEST(chunk_schedule, spreads_chunks_over_holders_and_respects_their_bitmaps) {
  chunk_schedule s(std::vector<bool>(40, false));
  std::vector<bool> evens(40, false);
  for (std::size_t i = 0; i < 40; i += 2) evens[i] = true;
  s.add_holder(a, {});
  s.add_holder(b, evens);
  auto got = asks(s);
  ASSERT_EQ(got[a].size(), chunk_schedule::window);
  ASSERT_EQ(got[b].size(), chunk_schedule::window);
  for (auto i : got[b]) EXPECT_EQ(i % 2, 0u) << "b has only even chunks";
}

TEST(chunk_schedule, resumes_with_what_is_held) {
  std::vector<bool> held(10, true);
  held[7] = false;
  chunk_schedule s(held);
  EXPECT_EQ(s.held(), 9u);
  s.add_holder(a, {});
  EXPECT_EQ(asks(s)[a], std::vector<std::uint32_t>{7});
  ASSERT_TRUE(s.arrived(7, a));
  s.written(7);
  EXPECT_TRUE(s.complete());
}

TEST(chunk_schedule, takes_a_chunk_only_from_the_holder_asked) {
  chunk_schedule s(std::vector<bool>(4, false));
  s.add_holder(a, {});
  asks(s);
  EXPECT_FALSE(s.arrived(0, b));
  EXPECT_TRUE(s.arrived(0, a));
  EXPECT_FALSE(s.arrived(0, a)) << "a duplicate is not written twice";
  EXPECT_FALSE(s.arrived(99, a));
}

TEST(chunk_schedule, asks_again_after_a_timeout) {
  chunk_schedule s(std::vector<bool>(2, false));
  s.add_holder(a, {});
  asks(s, microseconds{0});
  s.expire(chunk_schedule::request_timeout - microseconds{1});
  EXPECT_TRUE(asks(s).empty());
  s.expire(chunk_schedule::request_timeout);
  EXPECT_EQ(asks(s)[a].size(), 2u);
}

TEST(chunk_schedule, stops_asking_a_holder_that_serves_bad_chunks) {
  chunk_schedule s(std::vector<bool>(100, false));
  s.add_holder(a, {});
  s.add_holder(b, {});
  for (std::uint32_t round = 0; round < chunk_schedule::max_bad_chunks; ++round) {
    auto got = asks(s);
    ASSERT_FALSE(got[b].empty());
    const auto bad = got[b].front();
    ASSERT_TRUE(s.arrived(bad, b));
    s.failed(bad, b, true);
  }
  EXPECT_EQ(s.bad_chunks_from(b), chunk_schedule::max_bad_chunks);
  EXPECT_EQ(s.usable_holders(), 1u);
  for (std::uint32_t i = 0; i < 100; ++i) s.expire(chunk_schedule::request_timeout * (i + 1));
  auto got = asks(s, chunk_schedule::request_timeout * 200);
  EXPECT_TRUE(got[b].empty());
  EXPECT_FALSE(got[a].empty());
}

TEST(chunk_schedule, a_dropped_holder_gives_its_requests_back) {
  chunk_schedule s(std::vector<bool>(4, false));
  s.add_holder(a, {});
  asks(s);
  s.drop_holder(a);
  s.add_holder(b, {});
  EXPECT_EQ(asks(s)[b].size(), 4u);
}

}  // namespace
}  // namespace peerchat::files
