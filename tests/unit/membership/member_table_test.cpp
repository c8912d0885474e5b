#include "membership/member_table.hpp"

#include <gtest/gtest.h>

#include "../test_ids.hpp"

#include <optional>
#include <ostream>
#include <string>

namespace peerchat {
namespace {

using testing_ids::id_of;

const peer_id self_id = id_of(0xee);
const peer_id bob_id = id_of(0xb0);

member make(peer_id id, std::uint64_t incarnation, member_state state, std::string name = "bob",
            std::int64_t joined_at_us = 100) {
  return member{id, std::move(name), "10.0.0.2:4000", incarnation, state,
                microseconds{joined_at_us}, {}};
}

member self_record(std::uint64_t incarnation = 5) {
  return member{self_id, "me", "10.0.0.1:4000", incarnation, member_state::alive, microseconds{0}, {}};
}

// --- merge rules for other members ----------------------------------------------------------

struct record {
  std::uint64_t incarnation;
  member_state state;
  std::string name;
};

struct merge_case {
  const char* name;
  std::optional<record> known;  // what the table holds about bob before the merge
  record incoming;
  merge_outcome outcome;
  record stored;  // what the table holds about bob after the merge
  std::string old_name;
};

// Outcomes stay qualified: merge_outcome::left and ::failed share names with states.
using enum member_state;

void PrintTo(const merge_case& c, std::ostream* os) { *os << c.name; }

class member_table_merge : public testing::TestWithParam<merge_case> {};

TEST_P(member_table_merge, follows_the_rule) {
  const auto& c = GetParam();
  member_table table{self_record(), 100};
  if (c.known) table.merge(make(bob_id, c.known->incarnation, c.known->state, c.known->name));

  const auto result =
      table.merge(make(bob_id, c.incoming.incarnation, c.incoming.state, c.incoming.name));

  EXPECT_EQ(result.outcome, c.outcome);
  EXPECT_EQ(result.old_name, c.old_name);
  const member* bob = table.find(bob_id);
  ASSERT_NE(bob, nullptr);
  EXPECT_EQ(bob->incarnation, c.stored.incarnation);
  EXPECT_EQ(bob->state, c.stored.state);
  EXPECT_EQ(bob->name, c.stored.name);
}

INSTANTIATE_TEST_SUITE_P(
    table, member_table_merge,
    // name; known, incoming; outcome, stored, old_name
    testing::Values(
        merge_case{"unknown_alive_member_joins",
                   std::nullopt, {1, alive, "bob"},
                   merge_outcome::joined, {1, alive, "bob"}, ""},
        merge_case{"unknown_suspect_member_joins",
                   std::nullopt, {1, suspect, "bob"},
                   merge_outcome::joined, {1, suspect, "bob"}, ""},
        merge_case{"unknown_left_member_is_a_silent_tombstone",
                   std::nullopt, {1, left, "bob"},
                   merge_outcome::unchanged, {1, left, "bob"}, ""},
        merge_case{"unknown_failed_member_is_a_silent_tombstone",
                   std::nullopt, {1, failed, "bob"},
                   merge_outcome::unchanged, {1, failed, "bob"}, ""},
        merge_case{"higher_incarnation_name_change_is_an_update_with_the_old_name",
                   record{1, alive, "bob"}, {2, alive, "robert"},
                   merge_outcome::updated, {2, alive, "robert"}, "bob"},
        merge_case{"higher_incarnation_alive_over_suspect_is_an_update",
                   record{1, suspect, "bob"}, {2, alive, "bob"},
                   merge_outcome::updated, {2, alive, "bob"}, "bob"},
        merge_case{"higher_incarnation_failed_over_alive_is_failed",
                   record{1, alive, "bob"}, {2, failed, "bob"},
                   merge_outcome::failed, {2, failed, "bob"}, "bob"},
        merge_case{"lower_incarnation_is_ignored",
                   record{2, alive, "bob"}, {1, failed, "x"},
                   merge_outcome::unchanged, {2, alive, "bob"}, ""},
        merge_case{"lower_incarnation_alive_cannot_resurrect_a_left_member",
                   record{3, left, "bob"}, {2, alive, "bob"},
                   merge_outcome::unchanged, {3, left, "bob"}, ""},
        merge_case{"same_record_again_is_unchanged",
                   record{1, alive, "bob"}, {1, alive, "bob"},
                   merge_outcome::unchanged, {1, alive, "bob"}, ""},
        merge_case{"equal_incarnation_suspect_over_alive_is_an_update",
                   record{1, alive, "bob"}, {1, suspect, "bob"},
                   merge_outcome::updated, {1, suspect, "bob"}, "bob"},
        merge_case{"equal_incarnation_failed_over_alive_is_failed",
                   record{1, alive, "bob"}, {1, failed, "bob"},
                   merge_outcome::failed, {1, failed, "bob"}, "bob"},
        merge_case{"equal_incarnation_failed_over_suspect_is_failed",
                   record{1, suspect, "bob"}, {1, failed, "bob"},
                   merge_outcome::failed, {1, failed, "bob"}, "bob"},
        merge_case{"equal_incarnation_left_over_alive_is_left",
                   record{1, alive, "bob"}, {1, left, "bob"},
                   merge_outcome::left, {1, left, "bob"}, "bob"},
        merge_case{"equal_incarnation_left_over_failed_is_an_update",
                   record{1, failed, "bob"}, {1, left, "bob"},
                   merge_outcome::updated, {1, left, "bob"}, "bob"},
        merge_case{"equal_incarnation_alive_over_suspect_is_unchanged",
                   record{1, suspect, "bob"}, {1, alive, "bob"},
                   merge_outcome::unchanged, {1, suspect, "bob"}, ""},
        merge_case{"equal_incarnation_alive_over_failed_is_unchanged",
                   record{1, failed, "bob"}, {1, alive, "bob"},
                   merge_outcome::unchanged, {1, failed, "bob"}, ""},
        merge_case{"equal_incarnation_failed_over_left_is_unchanged",
                   record{1, left, "bob"}, {1, failed, "bob"},
                   merge_outcome::unchanged, {1, left, "bob"}, ""},
        merge_case{"higher_incarnation_alive_over_left_is_a_rejoin",
                   record{1, left, "bob"}, {2, alive, "bob"},
                   merge_outcome::joined, {2, alive, "bob"}, "bob"},
        merge_case{"higher_incarnation_alive_over_failed_is_a_rejoin",
                   record{1, failed, "bob"}, {2, alive, "bob"},
                   merge_outcome::joined, {2, alive, "bob"}, "bob"}),
    [](const auto& p) { return std::string(p.param.name); });

// --- rumours about ourselves -----------------------------------------------------------------

struct self_case {
  const char* name;
  record incoming;  // about us; we are alive at incarnation 5
  merge_outcome outcome;
  std::uint64_t own_incarnation_after;
};

void PrintTo(const self_case& c, std::ostream* os) { *os << c.name; }

class member_table_self_rumour : public testing::TestWithParam<self_case> {};

TEST_P(member_table_self_rumour, is_refuted_only_when_it_could_win) {
  const auto& c = GetParam();
  member_table table{self_record(5), 100};
  const auto result =
      table.merge(make(self_id, c.incoming.incarnation, c.incoming.state, c.incoming.name));
  EXPECT_EQ(result.outcome, c.outcome);
  EXPECT_EQ(table.self().incarnation, c.own_incarnation_after);
  EXPECT_EQ(table.self().state, alive);
  EXPECT_EQ(table.self().name, "me");
}

INSTANTIATE_TEST_SUITE_P(
    table, member_table_self_rumour,
    testing::Values(self_case{"suspect_at_our_incarnation_is_refuted", {5, suspect, "me"},
                              merge_outcome::refuted, 6},
                    self_case{"failed_at_a_higher_incarnation_is_refuted", {7, failed, "me"},
                              merge_outcome::refuted, 8},
                    self_case{"left_at_our_incarnation_is_refuted", {5, left, "me"},
                              merge_outcome::refuted, 6},
                    self_case{"another_name_at_a_higher_incarnation_is_refuted",
                              {9, alive, "impostor"}, merge_outcome::refuted, 10},
                    self_case{"suspect_at_a_lower_incarnation_is_unchanged", {4, suspect, "me"},
                              merge_outcome::unchanged, 5},
                    self_case{"failed_at_incarnation_zero_is_unchanged", {0, failed, "me"},
                              merge_outcome::unchanged, 5}),
    [](const auto& p) { return std::string(p.param.name); });

// Only a member changes its name or address, by raising its incarnation: at the one we hold,
// another member's record says what it saw of the state, nothing more.
TEST(member_table, a_graver_state_at_the_same_incarnation_changes_only_the_state) {
  member_table table{self_record(), 100};
  table.merge(make(bob_id, 1, alive, "bob"));
  member observed = make(bob_id, 1, suspect, "mallory");
  observed.addr = "10.9.9.9:1";
  observed.proof = "another proof";
  EXPECT_EQ(table.merge(observed).outcome, merge_outcome::updated);
  const member* bob = table.find(bob_id);
  ASSERT_NE(bob, nullptr);
  EXPECT_EQ(bob->state, suspect);
  EXPECT_EQ(bob->name, "bob");
  EXPECT_EQ(bob->addr, "10.0.0.2:4000");
  EXPECT_TRUE(bob->proof.empty());
}

// Every incarnation we take is signed where it is taken, so no caller can forget one: at
// the start, on a new name or address, on leaving, and on refuting a rumour.
TEST(member_table, each_incarnation_of_ours_is_signed_by_the_signer_given) {
  auto sign = [](const member& me) { return me.name + "@" + std::to_string(me.incarnation); };
  member_table table{self_record(5), 100, sign};
  EXPECT_EQ(table.self().proof, "me@5");
  table.update_self("renamed", "10.0.0.1:4000");
  EXPECT_EQ(table.self().proof, "renamed@6");
  EXPECT_EQ(table.merge(make(self_id, 6, suspect, "renamed")).outcome, merge_outcome::refuted);
  EXPECT_EQ(table.self().proof, "renamed@7");
  table.set_self_state(left);
  EXPECT_EQ(table.self().proof, "renamed@8");
}

TEST(member_table, refutation_reports_our_own_name) {
  member_table table{self_record(5), 100};
  EXPECT_EQ(table.merge(make(self_id, 5, suspect, "me")).old_name, "me");
}

TEST(member_table, our_own_current_record_echoed_back_is_unchanged) {
  member_table table{self_record(5), 100};
  member echo = table.self();
  EXPECT_EQ(table.merge(echo).outcome, merge_outcome::unchanged);
  EXPECT_EQ(table.self().incarnation, 5u);
}

// Found by fuzz/member_table_fuzz: refuting a rumour at incarnation 2^64-1 wrapped ours to 0,
// so the rumour won everywhere for good.
TEST(member_table, a_rumour_about_us_at_an_impossible_incarnation_is_ignored) {
  member_table table{self_record(5), 100};
  const auto result = table.merge(make(self_id, UINT64_MAX, failed, "me"));
  EXPECT_EQ(result.outcome, merge_outcome::unchanged);
  EXPECT_EQ(table.self().incarnation, 5u);
  EXPECT_EQ(table.self().state, alive);
}

TEST(member_table, a_rumour_at_the_highest_believable_incarnation_is_still_refuted) {
  member_table table{self_record(5), 100};
  EXPECT_EQ(table.merge(make(self_id, max_incarnation, suspect, "me")).outcome, merge_outcome::refuted);
  EXPECT_EQ(table.self().incarnation, max_incarnation + 1);
}

TEST(member_table, a_record_of_another_member_at_an_impossible_incarnation_is_ignored) {
  member_table table{self_record(5), 100};
  table.merge(make(bob_id, 3, alive));
  EXPECT_EQ(table.merge(make(bob_id, max_incarnation + 1, failed)).outcome, merge_outcome::unchanged);
  EXPECT_EQ(table.find(bob_id)->state, alive);
}

TEST(member_table, rumour_of_our_death_after_we_left_is_not_refuted) {
  member_table table{self_record(5), 100};
  table.set_self_state(left);
  const auto inc = table.self().incarnation;
  EXPECT_EQ(table.merge(make(self_id, inc, failed, "me")).outcome, merge_outcome::unchanged);
  EXPECT_EQ(table.self().incarnation, inc);
  EXPECT_EQ(table.self().state, left);
}

// --- a member's own word that it left (its signed Leave event) ------------------------------

struct depart_case {
  const char* name;
  std::optional<record> known;
  std::uint64_t leaves;  // the incarnation the Leave event ends
  merge_outcome outcome;
  std::optional<record> stored;
};

void PrintTo(const depart_case& c, std::ostream* os) { *os << c.name; }

class member_table_depart : public testing::TestWithParam<depart_case> {};

TEST_P(member_table_depart, follows_the_rule) {
  const auto& c = GetParam();
  member_table table{self_record(), 100};
  if (c.known) table.merge(make(bob_id, c.known->incarnation, c.known->state, c.known->name));

  EXPECT_EQ(table.depart(bob_id, c.leaves).outcome, c.outcome);
  const member* bob = table.find(bob_id);
  ASSERT_EQ(bob != nullptr, c.stored.has_value());
  if (!bob) return;
  EXPECT_EQ(bob->incarnation, c.stored->incarnation);
  EXPECT_EQ(bob->state, c.stored->state);
}

INSTANTIATE_TEST_SUITE_P(
    table, member_table_depart,
    // name; known, leaves; outcome, stored
    testing::Values(
        depart_case{"a_leave_of_the_incarnation_held_ends_it",
                    record{7, alive, "bob"}, 7, merge_outcome::left, record{7, left, "bob"}},
        depart_case{"a_suspect_member_that_leaves_has_left",
                    record{7, suspect, "bob"}, 7, merge_outcome::left, record{7, left, "bob"}},
        // Its record of the later incarnation is on its way: the state is taken, the
        // incarnation only with the member's proof.
        depart_case{"a_leave_of_a_later_incarnation_ends_the_one_held",
                    record{7, alive, "bob"}, 9, merge_outcome::left, record{7, left, "bob"}},
        // The member started again since: its earlier run's goodbye arrives late, or replayed.
        depart_case{"a_leave_of_an_earlier_incarnation_changes_nothing",
                    record{9, alive, "bob"}, 8, merge_outcome::unchanged, record{9, alive, "bob"}},
        depart_case{"a_leave_of_a_member_already_failed_changes_nothing",
                    record{7, failed, "bob"}, 7, merge_outcome::unchanged, record{7, failed, "bob"}},
        depart_case{"a_leave_of_an_unknown_member_adds_no_record",
                    std::nullopt, 7, merge_outcome::unchanged, std::nullopt}));

TEST(member_table, a_leave_in_our_own_name_changes_nothing) {
  member_table table{self_record(5), 100};
  EXPECT_EQ(table.depart(self_id, 5).outcome, merge_outcome::unchanged);
  EXPECT_EQ(table.self().state, alive);
  EXPECT_EQ(table.self().incarnation, 5u);
}

// --- bounds ----------------------------------------------------------------------------------

TEST(member_table, full_table_evicts_the_oldest_tombstone_for_a_newcomer) {
  member_table table{self_record(), 4};
  table.merge(make(id_of(1), 1, left, "newer-tombstone", 50));
  table.merge(make(id_of(2), 1, failed, "older-tombstone", 10));
  table.merge(make(id_of(3), 1, alive, "live", 5));
  ASSERT_EQ(table.size(), 4u);

  EXPECT_EQ(table.merge(make(id_of(4), 1, alive, "new", 60)).outcome, merge_outcome::joined);
  EXPECT_EQ(table.size(), 4u);
  EXPECT_EQ(table.find(id_of(2)), nullptr);
  EXPECT_NE(table.find(id_of(1)), nullptr);
  EXPECT_NE(table.find(id_of(3)), nullptr);
}

TEST(member_table, full_table_of_live_members_rejects_a_live_newcomer) {
  member_table table{self_record(), 3};
  table.merge(make(id_of(1), 1, alive));
  table.merge(make(id_of(2), 1, suspect));
  EXPECT_EQ(table.merge(make(id_of(3), 1, alive)).outcome, merge_outcome::rejected);
  EXPECT_EQ(table.size(), 3u);
  EXPECT_EQ(table.find(id_of(3)), nullptr);
}

TEST(member_table, full_table_of_live_members_rejects_a_newcomer_tombstone) {
  member_table table{self_record(), 2};
  table.merge(make(id_of(1), 1, alive));
  EXPECT_EQ(table.merge(make(id_of(3), 1, left)).outcome, merge_outcome::rejected);
  EXPECT_EQ(table.find(id_of(3)), nullptr);
}

TEST(member_table, full_table_still_merges_news_about_known_members) {
  member_table table{self_record(), 2};
  table.merge(make(id_of(1), 1, alive));
  EXPECT_EQ(table.merge(make(id_of(1), 1, failed)).outcome, merge_outcome::failed);
}

TEST(member_table, zero_capacity_holds_only_ourselves) {
  member_table table{self_record(), 0};
  EXPECT_EQ(table.size(), 1u);
  EXPECT_EQ(table.merge(make(id_of(1), 1, alive)).outcome, merge_outcome::rejected);
}

TEST(member_table, never_evicts_its_own_record_after_leaving) {
  member_table table{self_record(), 2};
  table.merge(make(id_of(1), 1, alive, "bob", 50));
  table.set_self_state(left);  // we are now the only tombstone, and the oldest record

  EXPECT_EQ(table.merge(make(id_of(2), 1, alive)).outcome, merge_outcome::rejected);
  EXPECT_EQ(table.self().id, self_id);
  EXPECT_EQ(table.self().state, left);
}

// --- our own record --------------------------------------------------------------------------

TEST(member_table, update_self_sets_name_and_address_and_raises_the_incarnation) {
  member_table table{self_record(5), 100};
  const member& me = table.update_self("myself", "10.9.9.9:1");
  EXPECT_EQ(me.name, "myself");
  EXPECT_EQ(me.addr, "10.9.9.9:1");
  EXPECT_EQ(me.incarnation, 6u);
}

TEST(member_table, update_self_wins_over_our_previous_record_elsewhere) {
  member_table ours{self_record(5), 100};
  member_table theirs{member{bob_id, "bob", "", 1, alive, microseconds{0}, {}}, 100};
  theirs.merge(ours.self());
  theirs.merge(ours.update_self("renamed", "10.0.0.1:4000"));
  EXPECT_EQ(theirs.find(self_id)->name, "renamed");
}

TEST(member_table, set_self_state_raises_the_incarnation) {
  member_table table{self_record(5), 100};
  table.set_self_state(left);
  EXPECT_EQ(table.self().state, left);
  EXPECT_EQ(table.self().incarnation, 6u);
}

// --- views -----------------------------------------------------------------------------------

TEST(member_table, all_lists_every_record_by_join_time) {
  member_table table{self_record(), 100};  // joined at 0
  table.merge(make(id_of(1), 1, alive, "late", 300));
  table.merge(make(id_of(2), 1, left, "early", 100));
  const auto all = table.all();
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0]->name, "me");
  EXPECT_EQ(all[1]->name, "early");
  EXPECT_EQ(all[2]->name, "late");
}

TEST(member_table, live_others_excludes_ourselves_and_tombstones) {
  member_table table{self_record(), 100};
  table.merge(make(id_of(1), 1, alive, "a"));
  table.merge(make(id_of(2), 1, suspect, "s"));
  table.merge(make(id_of(3), 1, failed, "f"));
  table.merge(make(id_of(4), 1, left, "l"));
  const auto live = table.live_others();
  ASSERT_EQ(live.size(), 2u);
  for (const member* m : live) EXPECT_TRUE(m->name == "a" || m->name == "s") << m->name;
}

TEST(member_state, every_state_prints_its_name) {
  EXPECT_STREQ(to_string(alive), "alive");
  EXPECT_STREQ(to_string(suspect), "suspect");
  EXPECT_STREQ(to_string(failed), "failed");
  EXPECT_STREQ(to_string(left), "left");
}

}  // namespace
}  // namespace peerchat
