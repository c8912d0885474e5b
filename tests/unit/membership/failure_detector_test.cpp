#include "membership/failure_detector.hpp"

#include <gtest/gtest.h>

#include "../test_ids.hpp"

#include <set>

#include "membership/member_table.hpp"

namespace peerchat {
namespace {

using testing_ids::id_of;

const peer_id self_id = id_of(0xee);
constexpr microseconds ms{1000};

// A table with us and `others` live members (ids 1, 2, ...).
member_table table_with(int others) {
  member_table t(member{self_id, "me", "10.0.0.1:1", 1, member_state::alive, microseconds{0}, {}}, 100);
  for (int i = 1; i <= others; ++i)
    t.merge(member{id_of(static_cast<std::uint8_t>(i)), "m", "10.0.0.2:1", 1, member_state::alive, microseconds{0}, {}});
  return t;
}

template <class T>
std::vector<T> only(const std::vector<swim::output>& out) {
  std::vector<T> v;
  for (const auto& o : out)
    if (auto* x = std::get_if<T>(&o)) v.push_back(*x);
  return v;
}

struct detector_test : testing::Test {
  swim_config cfg;  // 500 ms period, 200 ms direct timeout, 3 helpers, mult 3
  failure_detector fd{cfg, self_id, 42};
  member_table members = table_with(5);
  microseconds now{1'000'000};

  std::vector<swim::output> tick(microseconds at) {
    now = at;
    fd.on_tick(now, members);
    return fd.take_outputs();
  }
};

TEST_F(detector_test, one_member_is_pinged_per_probe_interval) {
  EXPECT_EQ(only<swim::ping>(tick(now)).size(), 1u);
  EXPECT_TRUE(only<swim::ping>(tick(now + 100 * ms)).empty());
  const auto pings = only<swim::ping>(tick(now + 400 * ms));
  EXPECT_EQ(pings.size(), 1u) << "the next period starts 500 ms after the first";
}

TEST_F(detector_test, every_member_is_probed_once_in_a_round) {
  std::set<peer_id> probed;
  for (int round = 0; round < 5; ++round) {
    for (const auto& p : only<swim::ping>(tick(now + (round == 0 ? 0 * ms : 500 * ms)))) {
      probed.insert(p.target);
      fd.on_ack(p.target, p.nonce);
    }
  }
  EXPECT_EQ(probed.size(), 5u);
}

TEST_F(detector_test, a_member_that_joins_mid_round_is_probed_in_that_round) {
  members = table_with(40);
  std::set<peer_id> probed;
  auto probe_once = [&](microseconds at) {
    for (const auto& p : only<swim::ping>(tick(at))) {
      probed.insert(p.target);
      fd.on_ack(p.target, p.nonce);
    }
  };
  probe_once(now);  // the round of 40 starts
  const peer_id newcomer = id_of(200);
  members.merge(member{newcomer, "new", "10.0.0.3:1", 1, member_state::alive, microseconds{0}, {}});
  fd.joined(newcomer);
  for (int i = 1; i < 41; ++i) probe_once(now + 500 * ms);
  EXPECT_TRUE(probed.contains(newcomer)) << "41 periods: the first round, newcomer included";
  EXPECT_EQ(probed.size(), 41u);
}

TEST_F(detector_test, an_ack_in_time_means_no_indirect_probe_and_no_suspicion) {
  const auto ping = only<swim::ping>(tick(now)).at(0);
  EXPECT_TRUE(fd.awaits(ping.target, ping.nonce));
  fd.on_ack(ping.target, ping.nonce);
  EXPECT_FALSE(fd.awaits(ping.target, ping.nonce));
  const auto later = tick(now + 450 * ms);
  EXPECT_TRUE(only<swim::ping_req>(later).empty());
  EXPECT_TRUE(only<swim::suspect>(later).empty());
}

TEST_F(detector_test, an_ack_with_another_nonce_does_not_count) {
  const auto ping = only<swim::ping>(tick(now)).at(0);
  EXPECT_FALSE(fd.awaits(ping.target, ping.nonce + 1));
  fd.on_ack(ping.target, ping.nonce + 1);
  EXPECT_EQ(only<swim::ping_req>(tick(now + 250 * ms)).size(), 3u);
}

TEST_F(detector_test, no_direct_ack_asks_k_other_members_to_probe) {
  const auto ping = only<swim::ping>(tick(now)).at(0);
  const auto reqs = only<swim::ping_req>(tick(now + 200 * ms));
  ASSERT_EQ(reqs.size(), 3u);
  std::set<peer_id> helpers;
  for (const auto& r : reqs) {
    EXPECT_EQ(r.target, ping.target);
    EXPECT_EQ(r.nonce, ping.nonce) << "the helper's ack must answer our own probe";
    EXPECT_NE(r.helper, ping.target);
    helpers.insert(r.helper);
  }
  EXPECT_EQ(helpers.size(), 3u);
}

TEST_F(detector_test, an_indirect_ack_before_the_period_ends_clears_the_probe) {
  const auto ping = only<swim::ping>(tick(now)).at(0);
  tick(now + 200 * ms);
  fd.on_ack(ping.target, ping.nonce);
  EXPECT_TRUE(only<swim::suspect>(tick(now + 300 * ms)).empty());
}

TEST_F(detector_test, silence_for_a_whole_period_raises_suspicion) {
  const auto ping = only<swim::ping>(tick(now)).at(0);
  tick(now + 200 * ms);
  const auto suspects = only<swim::suspect>(tick(now + 300 * ms));
  ASSERT_EQ(suspects.size(), 1u);
  EXPECT_EQ(suspects[0].peer, ping.target);
}

TEST_F(detector_test, an_unrefuted_suspicion_becomes_a_failure_after_its_timeout) {
  const peer_id bob = id_of(1);
  fd.suspected(bob, 7, 10, now);
  EXPECT_TRUE(only<swim::declare_failed>(tick(now + 1499 * ms)).empty());
  const auto failed = only<swim::declare_failed>(tick(now + 2 * ms));
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].peer, bob);
  EXPECT_EQ(failed[0].incarnation, 7u);
}

TEST_F(detector_test, a_refuted_suspicion_never_becomes_a_failure) {
  fd.suspected(id_of(1), 7, 10, now);
  fd.cleared(id_of(1));
  EXPECT_TRUE(only<swim::declare_failed>(tick(now + 10'000 * ms)).empty());
}

TEST_F(detector_test, a_suspicion_about_ourselves_is_ignored) {
  fd.suspected(self_id, 1, 10, now);
  EXPECT_TRUE(only<swim::declare_failed>(tick(now + 10'000 * ms)).empty());
}

TEST_F(detector_test, a_process_that_was_stopped_does_not_judge_others_when_it_resumes) {
  only<swim::ping>(tick(now));
  fd.suspected(id_of(2), 1, 10, now);
  const auto after_pause = tick(now + 10'000 * ms);  // SIGSTOP for ten seconds
  EXPECT_TRUE(only<swim::suspect>(after_pause).empty());
  EXPECT_TRUE(only<swim::declare_failed>(after_pause).empty());
}

TEST_F(detector_test, probe_now_checks_a_member_out_of_turn) {
  tick(now);
  fd.take_outputs();
  fd.probe_now(id_of(4), now + 10 * ms);
  const auto pings = only<swim::ping>(fd.take_outputs());
  ASSERT_EQ(pings.size(), 1u);
  EXPECT_EQ(pings[0].target, id_of(4));
}

TEST_F(detector_test, next_deadline_is_the_earliest_timer) {
  tick(now);
  EXPECT_EQ(fd.next_deadline(), now + 200 * ms) << "the direct ack deadline";
}

struct suspicion_case { std::size_t n; std::int64_t want_ms; };
class suspicion_timeout_table : public testing::TestWithParam<suspicion_case> {};

TEST_P(suspicion_timeout_table, grows_with_log10_of_the_room) {
  failure_detector fd(swim_config{}, self_id, 1);
  EXPECT_EQ(fd.suspicion_timeout(GetParam().n), GetParam().want_ms * ms);
}

INSTANTIATE_TEST_SUITE_P(sizes, suspicion_timeout_table,
                         testing::Values(suspicion_case{1, 1500}, suspicion_case{5, 1500},
                                         suspicion_case{10, 1500}, suspicion_case{100, 3000},
                                         suspicion_case{1000, 4500}));

}  // namespace
}  // namespace peerchat
