#include "core/rate_limit.hpp"

#include <gtest/gtest.h>

#include <string>

namespace peerchat {
namespace {

constexpr microseconds at_s(double s) { return microseconds{static_cast<std::int64_t>(s * 1e6)}; }

TEST(token_bucket, allows_a_burst_then_the_rate) {
  token_bucket b(rate{10, 5}, at_s(0));
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(b.take(at_s(0))) << i;
  EXPECT_FALSE(b.take(at_s(0))) << "the burst is spent";
  EXPECT_TRUE(b.take(at_s(0.1))) << "one token back after 1/10 s";
  EXPECT_FALSE(b.take(at_s(0.1)));
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(b.take(at_s(100))) << "refills only up to the burst";
  EXPECT_FALSE(b.take(at_s(100)));
}

TEST(token_bucket, a_zero_rate_is_unlimited) {
  token_bucket b(rate{0, 1}, at_s(0));
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(b.take(at_s(0)));
}

TEST(rate_limiter, keeps_one_bucket_per_key) {
  rate_limiter<std::string> limits(rate{1, 2}, 100);
  EXPECT_TRUE(limits.take("a", at_s(0)));
  EXPECT_TRUE(limits.take("a", at_s(0)));
  EXPECT_FALSE(limits.take("a", at_s(0)));
  EXPECT_TRUE(limits.take("b", at_s(0))) << "another key has its own burst";
}

TEST(rate_limiter, its_table_is_bounded) {
  rate_limiter<int> limits(rate{1, 1}, 10);
  for (int key = 0; key < 1000; ++key) EXPECT_TRUE(limits.take(key, at_s(0)));
  EXPECT_TRUE(limits.take(0, at_s(0))) << "forgotten when the table started over: a fresh burst";
}

}  // namespace
}  // namespace peerchat
