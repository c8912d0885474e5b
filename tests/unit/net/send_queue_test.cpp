#include "net/send_queue.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace peerchat {
namespace {

std::shared_ptr<const std::string> frame(std::size_t size, char fill = 'x') {
  return std::make_shared<const std::string>(size, fill);
}

TEST(send_queue, starts_empty) {
  send_queue q{4, 100};
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.frames(), 0u);
  EXPECT_EQ(q.bytes(), 0u);
}

TEST(send_queue, accepts_pushes_up_to_the_frame_bound) {
  send_queue q{3, 1000};
  EXPECT_TRUE(q.push(frame(1)));
  EXPECT_TRUE(q.push(frame(1)));
  EXPECT_TRUE(q.push(frame(1)));
  EXPECT_EQ(q.frames(), 3u);
}

TEST(send_queue, refuses_a_push_past_the_frame_bound_and_stays_unchanged) {
  send_queue q{2, 1000};
  q.push(frame(5));
  q.push(frame(7));
  EXPECT_FALSE(q.push(frame(1)));
  EXPECT_EQ(q.frames(), 2u);
  EXPECT_EQ(q.bytes(), 12u);
}

TEST(send_queue, counts_an_empty_frame_against_the_frame_bound) {
  send_queue q{1, 1000};
  EXPECT_TRUE(q.push(frame(0)));
  EXPECT_FALSE(q.push(frame(0)));
}

TEST(send_queue, accepts_pushes_that_fill_the_byte_bound_exactly) {
  send_queue q{100, 10};
  EXPECT_TRUE(q.push(frame(4)));
  EXPECT_TRUE(q.push(frame(6)));
  EXPECT_EQ(q.bytes(), 10u);
}

TEST(send_queue, refuses_a_push_past_the_byte_bound_and_stays_unchanged) {
  send_queue q{100, 10};
  q.push(frame(4, 'a'));
  q.push(frame(4, 'b'));
  EXPECT_FALSE(q.push(frame(3, 'c')));
  EXPECT_EQ(q.frames(), 2u);
  EXPECT_EQ(q.bytes(), 8u);
  std::string out;
  q.pop_batch(out, 1000);
  EXPECT_EQ(out, "aaaabbbb");
}

TEST(send_queue, refuses_a_single_frame_larger_than_the_byte_bound) {
  send_queue q{100, 10};
  EXPECT_FALSE(q.push(frame(11)));
  EXPECT_TRUE(q.empty());
}

TEST(send_queue, still_accepts_a_smaller_frame_after_refusing_a_big_one) {
  send_queue q{100, 10};
  q.push(frame(8));
  EXPECT_FALSE(q.push(frame(3)));
  EXPECT_TRUE(q.push(frame(2)));
  EXPECT_EQ(q.bytes(), 10u);
}

TEST(send_queue, pop_batch_concatenates_whole_frames_in_order_until_the_batch_size) {
  send_queue q{10, 1000};
  q.push(frame(3, 'a'));
  q.push(frame(3, 'b'));
  q.push(frame(3, 'c'));
  std::string out;
  q.pop_batch(out, 5);
  EXPECT_EQ(out, "aaabbb");
  EXPECT_EQ(q.frames(), 1u);
  EXPECT_EQ(q.bytes(), 3u);
}

TEST(send_queue, pop_batch_never_splits_a_frame_larger_than_the_batch) {
  send_queue q{10, 1000};
  q.push(frame(100, 'a'));
  q.push(frame(1, 'b'));
  std::string out;
  q.pop_batch(out, 1);
  EXPECT_EQ(out, std::string(100, 'a'));
  EXPECT_EQ(q.frames(), 1u);
  EXPECT_EQ(q.bytes(), 1u);
}

TEST(send_queue, pop_batch_takes_everything_when_the_batch_is_larger_than_the_queue) {
  send_queue q{10, 1000};
  q.push(frame(2, 'a'));
  q.push(frame(2, 'b'));
  std::string out;
  q.pop_batch(out, 1000);
  EXPECT_EQ(out, "aabb");
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.bytes(), 0u);
}

TEST(send_queue, pop_batch_returns_how_many_frames_it_moved) {
  send_queue q{10, 1000};
  q.push(frame(3));
  q.push(frame(3));
  q.push(frame(3));
  std::string out;
  EXPECT_EQ(q.pop_batch(out, 5), 2u);
  EXPECT_EQ(q.pop_batch(out, 1000), 1u);
  EXPECT_EQ(q.pop_batch(out, 1000), 0u);
}

TEST(send_queue, pop_batch_on_an_empty_queue_leaves_out_unchanged) {
  send_queue q{10, 1000};
  std::string out = "kept";
  q.pop_batch(out, 1000);
  EXPECT_EQ(out, "kept");
}

TEST(send_queue, pop_batch_counts_what_out_already_holds) {
  send_queue q{10, 1000};
  q.push(frame(2, 'a'));
  std::string out(8, '-');
  q.pop_batch(out, 8);
  EXPECT_EQ(out, std::string(8, '-'));
  EXPECT_EQ(q.frames(), 1u);
}

TEST(send_queue, popping_frees_room_under_both_bounds) {
  send_queue q{2, 10};
  q.push(frame(5));
  q.push(frame(5));
  ASSERT_FALSE(q.push(frame(1)));
  std::string out;
  q.pop_batch(out, 1);
  EXPECT_TRUE(q.push(frame(5)));
  EXPECT_EQ(q.frames(), 2u);
  EXPECT_EQ(q.bytes(), 10u);
}

TEST(send_queue, shares_a_frame_with_other_queues_without_copying_it) {
  send_queue a{10, 1000}, b{10, 1000};
  auto f = frame(4);
  a.push(f);
  b.push(f);
  EXPECT_EQ(f.use_count(), 3);
  EXPECT_EQ(a.bytes(), 4u);
  EXPECT_EQ(b.bytes(), 4u);
}

}  // namespace
}  // namespace peerchat
