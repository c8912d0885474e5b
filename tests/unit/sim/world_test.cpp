// The simulator's world as a test bench for membership: members that leave and start again,
// with the old incarnation's news and the new one's reaching the others in either order.
#include "sim/world.hpp"

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <map>
#include <memory>
#include <random>

namespace peerchat::sim {
namespace {

constexpr std::size_t room_size = 8;

// A room of room_size members, each joined through a random earlier one, settled.
std::unique_ptr<world> settled_room(std::uint64_t seed, network_config net = {}) {
  auto made = std::make_unique<world>(seed, net, config{});
  world& w = *made;
  std::mt19937_64 rng(seed);
  w.add_node(std::nullopt);
  for (std::size_t i = 1; i < room_size; ++i) {
    w.run_until(w.now() + microseconds{20'000});
    w.add_node(rng() % i);
  }
  w.run_until(w.now() + microseconds{3'000'000});
  return made;
}

// The members that showed `who` leaving after it was back (since `since`): what each showed
// of it since then, where anything but "its old run left, then it joined" (or nothing) is
// wrong. A member that has heard of the new incarnation may never show it leaving: before
// the Leave event named its incarnation, the old run's goodbye ended the new run, and only a
// member list on some later link, telling the member itself, made it refute.
std::string shown_leaving_after_it_was_back(const world& w, std::size_t who, microseconds since) {
  std::map<std::size_t, std::string> seen;
  for (const membership_news& news : w.membership_log())
    if (news.member == who && news.at >= since) seen[news.node] += news.joined ? "J" : "L";
  std::string out;
  for (const auto& [node, story] : seen)
    if (story != "J" && story != "LJ") out += fmt::format(" n{}: {};", node, story);
  return out;
}

class sim_rejoin_seeds : public testing::TestWithParam<std::uint64_t> {};

// The member leaves and starts again at once, through another member, while one member is
// cut off for a moment: the Leave event reaches that one only by repair, a few hundred ms
// later, after the new incarnation's record. Until the Leave event named its incarnation, it
// ended the new incarnation there.
TEST_P(sim_rejoin_seeds, a_leave_that_arrives_after_the_members_return_ends_nothing) {
  const auto made = settled_room(GetParam());
  world& w = *made;
  ASSERT_TRUE(w.membership_converged());
  const std::size_t back = room_size - 1, late = 1;
  std::vector<int> groups(room_size, 0);
  groups[late] = 1;
  const microseconds left_at = w.now();
  w.partition(groups);
  w.leave(back);
  w.run_until(w.now() + microseconds{50'000});
  w.heal();
  w.restart(back, 0);
  w.run_until(w.now() + microseconds{5'000'000});
  EXPECT_TRUE(w.membership_converged()) << "seed " << GetParam();
  EXPECT_EQ(shown_leaving_after_it_was_back(w, back, left_at), "") << "seed " << GetParam();
}

// A failed attempt: the member starts cut off from everyone and quits, so that run's Leave
// event exists on its disk alone. Started again, it joins, and anti-entropy then carries the
// old Leave event to the others: after the new incarnation's hello, never before.
TEST_P(sim_rejoin_seeds, a_leave_from_a_failed_attempt_arriving_after_the_rejoin_ends_nothing) {
  const auto made = settled_room(GetParam());
  world& w = *made;
  const std::size_t back = room_size - 1;
  std::vector<int> groups(room_size, 0);
  groups[back] = 1;
  w.partition(groups);
  w.leave(back);
  w.run_until(w.now() + microseconds{5'000'000});  // the others declare it failed
  w.heal();
  const microseconds restarted_at = w.now();
  w.restart(back, 0);
  w.run_until(w.now() + microseconds{5'000'000});
  EXPECT_TRUE(w.membership_converged()) << "seed " << GetParam();
  EXPECT_EQ(shown_leaving_after_it_was_back(w, back, restarted_at), "") << "seed " << GetParam();
}

INSTANTIATE_TEST_SUITE_P(quick, sim_rejoin_seeds, testing::Values(1u, 2u, 3u, 4u, 5u));

}  // namespace
}  // namespace peerchat::sim
