#include "history/store.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "crypto/identity.hpp"
#include "history/schema.hpp"
#include "store_test_support.hpp"

namespace peerchat::history {
namespace {

using test::bytes_of;
using test::raw_sql;

class store_test : public test::store_fixture {};

// --- events -------------------------------------------------------------------------------

TEST_F(store_test, an_own_event_reads_back_with_its_fields_and_signed_bytes) {
  auto s = open_ok();
  const auto ev = alice_.event(1, 10, "hello");
  ASSERT_FALSE(s->append_own(ev));

  const auto got = s->events_after(alice_.id(), seq_no{0}, 10, ec_);
  ASSERT_FALSE(ec_);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].author, alice_.id());
  EXPECT_EQ(got[0].seq, seq_no{1});
  EXPECT_EQ(got[0].lamport, lamport_time{10});
  EXPECT_EQ(got[0].sent_at.count(), static_cast<std::int64_t>(ev.body.sent_us()));
  EXPECT_EQ(got[0].id, ev.id);
  EXPECT_EQ(got[0].signed_event, ev.signed_event.SerializeAsString());
}

TEST_F(store_test, events_are_still_there_after_reopening) {
  {
    auto s = open_ok();
    ASSERT_FALSE(s->append_own(alice_.event(1, 1)));
    ASSERT_FALSE(s->append_batch(bob_.events(1, 3)).error);
  }
  auto s = open_ok();
  EXPECT_EQ(s->count(ec_), 4u);
  EXPECT_TRUE(s->contains(alice_.id(), seq_no{1}, ec_));
  EXPECT_TRUE(s->contains(bob_.id(), seq_no{3}, ec_));
  EXPECT_FALSE(s->contains(bob_.id(), seq_no{4}, ec_));
}

TEST_F(store_test, a_duplicate_in_a_batch_is_ignored_and_counted) {
  auto s = open_ok();
  const auto first = bob_.events(1, 2);
  ASSERT_FALSE(s->append_batch(first).error);

  const auto again = s->append_batch(bob_.events(1, 3));
  EXPECT_FALSE(again.error);
  EXPECT_EQ(again.inserted, 1u);
  EXPECT_EQ(again.duplicates, 2u);
  EXPECT_TRUE(again.forks.empty());
  EXPECT_EQ(s->count(ec_), 3u);
}

TEST_F(store_test, a_different_event_at_a_held_seq_is_reported_as_a_fork_and_the_first_is_kept) {
  auto s = open_ok();
  const auto original = bob_.event(1, 1, "original");
  const auto forged = bob_.event(1, 1, "second version");
  ASSERT_FALSE(s->append_batch(std::vector{original}).error);

  const auto report = s->append_batch(std::vector{forged});
  ASSERT_EQ(report.forks.size(), 1u);
  EXPECT_EQ(report.forks[0].author, bob_.id());
  EXPECT_EQ(report.forks[0].seq, seq_no{1});
  EXPECT_EQ(report.forks[0].kept, original.id);
  EXPECT_EQ(report.forks[0].refused, forged.id);
  EXPECT_EQ(s->events_after(bob_.id(), seq_no{0}, 10, ec_).at(0).id, original.id);
}

TEST_F(store_test, the_version_vector_stops_at_each_authors_first_gap) {
  auto s = open_ok();
  auto batch = bob_.events(1, 3);
  const auto later = bob_.events(5, 6);
  batch.insert(batch.end(), later.begin(), later.end());
  batch.push_back(carol_.event(2, 1));  // carol has no seq 1: nothing contiguous
  ASSERT_FALSE(s->append_batch(batch).error);

  const auto vv = s->version_vector(ec_);
  ASSERT_FALSE(ec_);
  ASSERT_EQ(vv.size(), 1u);
  EXPECT_EQ(vv[0].first, bob_.id());
  EXPECT_EQ(vv[0].second, seq_no{3});
}

TEST_F(store_test, the_contiguous_head_advances_past_held_events_when_a_gap_fills) {
  auto s = open_ok();
  auto batch = bob_.events(1, 2);
  const auto later = bob_.events(4, 7);
  batch.insert(batch.end(), later.begin(), later.end());
  ASSERT_FALSE(s->append_batch(batch).error);

  ASSERT_FALSE(s->append_batch(std::vector{bob_.event(3, 3)}).error);
  EXPECT_EQ(s->version_vector(ec_).at(0).second, seq_no{7});
}

TEST_F(store_test, a_batch_in_reverse_order_is_contiguous_once_stored) {
  auto s = open_ok();
  auto batch = bob_.events(1, 5);
  std::reverse(batch.begin(), batch.end());
  ASSERT_FALSE(s->append_batch(batch).error);
  EXPECT_EQ(s->version_vector(ec_).at(0).second, seq_no{5});
}

TEST_F(store_test, events_after_returns_later_events_of_that_author_in_seq_order_up_to_the_limit) {
  auto s = open_ok();
  ASSERT_FALSE(s->append_batch(bob_.events(1, 10)).error);
  ASSERT_FALSE(s->append_batch(carol_.events(1, 10)).error);

  const auto got = s->events_after(bob_.id(), seq_no{4}, 3, ec_);
  ASSERT_EQ(got.size(), 3u);
  for (std::size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].author, bob_.id());
    EXPECT_EQ(got[i].seq, seq_no{5 + i});
  }
}

TEST_F(store_test, events_after_an_unknown_author_or_beyond_the_end_is_empty) {
  auto s = open_ok();
  ASSERT_FALSE(s->append_batch(bob_.events(1, 3)).error);
  EXPECT_TRUE(s->events_after(carol_.id(), seq_no{0}, 10, ec_).empty());
  EXPECT_TRUE(s->events_after(bob_.id(), seq_no{3}, 10, ec_).empty());
  EXPECT_TRUE(s->events_after(bob_.id(), seq_no{~std::uint64_t{0}}, 10, ec_).empty());
  EXPECT_FALSE(ec_);
}

TEST_F(store_test, last_events_are_the_newest_n_in_lamport_then_author_order_oldest_first) {
  auto s = open_ok();
  // Lamport ties between bob and carol are broken by author id, the same on every node.
  ASSERT_FALSE(s->append_batch(std::vector{bob_.event(1, 1), bob_.event(2, 5), bob_.event(3, 6),
                                           carol_.event(1, 5), carol_.event(2, 7)})
                   .error);
  const auto got = s->last_events(4, ec_);
  ASSERT_EQ(got.size(), 4u);
  const bool bob_first = bob_.id() < carol_.id();
  const auto& tie_first = bob_first ? bob_ : carol_;
  const auto& tie_second = bob_first ? carol_ : bob_;
  EXPECT_EQ(got[0].author, tie_first.id());
  EXPECT_EQ(got[0].lamport, lamport_time{5});
  EXPECT_EQ(got[1].author, tie_second.id());
  EXPECT_EQ(got[1].lamport, lamport_time{5});
  EXPECT_EQ(got[2].lamport, lamport_time{6});
  EXPECT_EQ(got[3].lamport, lamport_time{7});
}

TEST_F(store_test, last_lines_are_the_newest_n_text_events_and_nick_changes_do_not_count) {
  auto s = open_ok();
  ASSERT_FALSE(s->append_batch(std::vector{bob_.event(1, 1), bob_.event(2, 2), bob_.nick(3, 3, "bob", "rob"),
                                           bob_.event(4, 4), bob_.nick(5, 5, "rob", "bobby")})
                   .error);
  const auto got = s->last_lines(2, ec_);
  ASSERT_FALSE(ec_);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].event.seq, seq_no{2});
  EXPECT_EQ(got[1].event.seq, seq_no{4});
  EXPECT_EQ(s->last_lines(10, ec_).size(), 3u);
}

TEST_F(store_test, each_line_carries_the_name_its_author_had_when_writing_it) {
  auto s = open_ok();
  ASSERT_FALSE(s->append_batch(std::vector{bob_.event(1, 1), bob_.nick(2, 2, "bob", "rob"), bob_.event(3, 3),
                                           bob_.event(4, 4), bob_.nick(5, 5, "rob", "bobby"), bob_.event(6, 6),
                                           carol_.event(1, 7)})
                   .error);
  const auto got = s->last_lines(10, ec_);
  ASSERT_FALSE(ec_);
  ASSERT_EQ(got.size(), 5u);
  EXPECT_EQ(got[0].name, "bob");    // before the first rename: its old name
  EXPECT_EQ(got[1].name, "rob");
  EXPECT_EQ(got[2].name, "rob");
  EXPECT_EQ(got[3].name, "bobby");
  EXPECT_EQ(got[4].name, "");       // carol never renamed: her record's name holds
}

TEST_F(store_test, a_restarted_node_finds_its_last_seq_id_and_the_highest_lamport) {
  {
    auto s = open_ok();
    for (std::uint64_t seq = 1; seq <= 3; ++seq) ASSERT_FALSE(s->append_own(alice_.event(seq, seq)));
    ASSERT_FALSE(s->append_batch(std::vector{bob_.event(1, 40)}).error);
  }
  auto s = open_ok();
  const auto last = s->last_event_of(alice_.id(), ec_);
  ASSERT_TRUE(last);
  EXPECT_EQ(last->seq, seq_no{3});
  EXPECT_EQ(last->id, alice_.event(3, 3).id);
  EXPECT_EQ(s->highest_lamport(ec_), lamport_time{40});
  EXPECT_FALSE(s->append_own(alice_.event(4, 41)));
}

TEST_F(store_test, an_empty_store_has_no_last_event_and_lamport_zero) {
  auto s = open_ok();
  EXPECT_FALSE(s->last_event_of(alice_.id(), ec_));
  EXPECT_EQ(s->highest_lamport(ec_), lamport_time{0});
  EXPECT_EQ(s->count(ec_), 0u);
  EXPECT_TRUE(s->version_vector(ec_).empty());
  EXPECT_FALSE(ec_);
}

TEST_F(store_test, an_own_event_reusing_a_seq_is_refused_and_the_first_is_kept) {
  auto s = open_ok();
  ASSERT_FALSE(s->append_own(alice_.event(1, 1, "first")));
  EXPECT_EQ(s->append_own(alice_.event(1, 2, "reuse")), errc::sequence_not_next);
  EXPECT_EQ(s->events_after(alice_.id(), seq_no{0}, 10, ec_).at(0).id, alice_.event(1, 1, "first").id);
}

TEST_F(store_test, an_own_event_skipping_a_seq_is_refused) {
  auto s = open_ok();
  ASSERT_FALSE(s->append_own(alice_.event(1, 1)));
  EXPECT_EQ(s->append_own(alice_.event(3, 3)), errc::sequence_not_next);
  EXPECT_EQ(s->count(ec_), 1u);
}

TEST_F(store_test, numbers_beyond_sqlites_range_are_counted_as_malformed_and_the_rest_stored) {
  auto s = open_ok();
  const auto huge = std::uint64_t{1} << 63;
  const auto report = s->append_batch(
      std::vector{bob_.event(1, 1), bob_.event(huge, 2), bob_.event(2, huge)});
  EXPECT_FALSE(report.error);
  EXPECT_EQ(report.inserted, 1u);
  EXPECT_EQ(report.malformed, 2u);
  EXPECT_EQ(s->append_own(alice_.event(huge, 1)), errc::event_malformed);
}

TEST_F(store_test, prune_keeps_the_newest_events_and_each_authors_last) {
  auto s = open_ok();
  ASSERT_FALSE(s->append_batch(bob_.events(1, 10)).error);       // lamport 1..10
  ASSERT_FALSE(s->append_batch(std::vector{carol_.event(1, 2)}).error);  // old, but carol's last
  ASSERT_FALSE(s->prune_to(4));

  EXPECT_EQ(s->count(ec_), 4u);
  EXPECT_TRUE(s->contains(carol_.id(), seq_no{1}, ec_));
  EXPECT_FALSE(s->contains(bob_.id(), seq_no{7}, ec_));
  EXPECT_TRUE(s->contains(bob_.id(), seq_no{8}, ec_));
  EXPECT_EQ(s->version_vector(ec_).size(), 2u);  // pruning does not take back the vector
}

// --- members, peers, settings ---------------------------------------------------------------

TEST_F(store_test, member_records_round_trip) {
  auto s = open_ok();
  const auto m = test::member_record(bob_.id(), "bob", wire::pb::MEMBER_STATE_SUSPECT, 7, 99);
  ASSERT_FALSE(s->save_members(std::vector{m}));
  const auto loaded = s->load_members(ec_);
  ASSERT_EQ(loaded.size(), 1u);
  EXPECT_EQ(loaded[0].SerializeAsString(), m.SerializeAsString());
}

TEST_F(store_test, saving_a_member_again_replaces_its_record) {
  auto s = open_ok();
  ASSERT_FALSE(s->save_members(std::vector{test::member_record(bob_.id(), "bob")}));
  ASSERT_FALSE(s->save_members(std::vector{test::member_record(bob_.id(), "robert")}));
  const auto loaded = s->load_members(ec_);
  ASSERT_EQ(loaded.size(), 1u);
  EXPECT_EQ(loaded[0].name(), "robert");
}

TEST_F(store_test, beyond_max_members_tombstones_go_first) {
  options_.max_members = 2;
  auto s = open_ok();
  ASSERT_FALSE(s->save_members(std::vector{
      test::member_record(alice_.id(), "alice", wire::pb::MEMBER_STATE_ALIVE, 1, 1),
      test::member_record(bob_.id(), "bob", wire::pb::MEMBER_STATE_LEFT, 1, 3),
      test::member_record(carol_.id(), "carol", wire::pb::MEMBER_STATE_ALIVE, 1, 2)}));
  const auto loaded = s->load_members(ec_);
  ASSERT_EQ(loaded.size(), 2u);
  for (const auto& m : loaded) EXPECT_NE(m.name(), "bob");
}

TEST_F(store_test, a_member_record_with_a_malformed_id_is_skipped) {
  auto s = open_ok();
  auto bad = test::member_record(bob_.id(), "bob");
  bad.set_id("short");
  ASSERT_FALSE(s->save_members(std::vector{bad}));
  EXPECT_TRUE(s->load_members(ec_).empty());
}

TEST_F(store_test, recent_peer_addresses_are_most_recent_first_one_per_peer) {
  auto s = open_ok();
  ASSERT_FALSE(s->note_peer_address(bob_.id(), "10.0.0.2:4000", std::chrono::microseconds{10}));
  ASSERT_FALSE(s->note_peer_address(carol_.id(), "10.0.0.3:4000", std::chrono::microseconds{20}));
  ASSERT_FALSE(s->note_peer_address(bob_.id(), "10.0.0.2:5000", std::chrono::microseconds{30}));

  const auto got = s->recent_peer_addresses(10, ec_);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].peer, bob_.id());
  EXPECT_EQ(got[0].addr, "10.0.0.2:5000");
  EXPECT_EQ(got[1].peer, carol_.id());
  EXPECT_EQ(s->recent_peer_addresses(1, ec_).size(), 1u);
}

TEST_F(store_test, the_least_recently_seen_peer_address_is_forgotten_beyond_the_bound) {
  options_.max_peer_addresses = 2;
  auto s = open_ok();
  ASSERT_FALSE(s->note_peer_address(alice_.id(), "a:1", std::chrono::microseconds{1}));
  ASSERT_FALSE(s->note_peer_address(bob_.id(), "b:1", std::chrono::microseconds{2}));
  ASSERT_FALSE(s->note_peer_address(carol_.id(), "c:1", std::chrono::microseconds{3}));
  const auto got = s->recent_peer_addresses(10, ec_);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[1].peer, bob_.id());
}

TEST_F(store_test, settings_round_trip_and_an_unset_one_is_empty) {
  {
    auto s = open_ok();
    EXPECT_FALSE(s->meta(meta_key::room_name, ec_));
    ASSERT_FALSE(s->set_meta(meta_key::room_name, "lobby"));
    ASSERT_FALSE(s->set_meta(meta_key::display_name, "alice"));
  }
  auto s = open_ok();
  EXPECT_EQ(s->meta(meta_key::room_name, ec_), "lobby");
  EXPECT_EQ(s->meta(meta_key::display_name, ec_), "alice");
}

// --- files ---------------------------------------------------------------------------------

stored_file a_file(char tag, bool delivered) {
  const identity alice = identity::from_seed({1}), bob = identity::from_seed({2});
  return {std::string(16, tag), alice.id(), false, bob.id(), "offer bytes", 4, "/a/file", std::string(32, 'h'),
          std::chrono::microseconds{1000 + tag}, delivered};
}

TEST_F(store_test, file_records_round_trip_with_whether_the_offer_was_delivered) {
  {
    auto s = open_ok();
    ASSERT_FALSE(s->save_file(a_file('x', true)));
    ASSERT_FALSE(s->save_file(a_file('y', false)));
  }
  auto s = open_ok();
  auto files = s->load_files(10, ec_);
  ASSERT_FALSE(ec_);
  ASSERT_EQ(files.size(), 2u);
  std::sort(files.begin(), files.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  EXPECT_TRUE(files[0].delivered);
  EXPECT_FALSE(files[1].delivered);
  const stored_file want = a_file('x', true);
  EXPECT_EQ(files[0].from, want.from);
  EXPECT_EQ(files[0].to, want.to);
  EXPECT_FALSE(files[0].to_room);
  EXPECT_EQ(files[0].offer, want.offer);
  EXPECT_EQ(files[0].state, want.state);
  EXPECT_EQ(files[0].path, want.path);
  EXPECT_EQ(files[0].hashes, want.hashes);
  EXPECT_EQ(files[0].seen, want.seen);
}

// Version 4 added `delivered`: a file row from version 3 is kept, as not yet delivered.
TEST_F(store_test, a_file_row_from_before_delivered_was_kept_is_taken_as_undelivered) {
  {
    sqlite::connection db(db_path_);
    const auto all = schema::migrations();
    schema::migrate(db, {all.begin(), all.begin() + 3});
  }
  ASSERT_EQ(raw_sql(db_path_, "PRAGMA user_version"), "3");
  const stored_file old = a_file('z', false);
  ASSERT_EQ(raw_sql(db_path_, "INSERT INTO files VALUES (x'" + std::string(32, '7') + "', x'" + old.from.hex() +
                                  "', 0, x'" + old.to.hex() + "', x'00', 4, '/a/file', x'', 5)"),
            "");
  auto s = open_ok();
  const auto files = s->load_files(10, ec_);
  ASSERT_FALSE(ec_);
  ASSERT_EQ(files.size(), 1u);
  EXPECT_FALSE(files[0].delivered);
  EXPECT_EQ(files[0].from, old.from);
}

// --- schema and migrations ------------------------------------------------------------------

TEST_F(store_test, a_new_store_is_marked_as_peerchat_at_the_latest_schema_in_wal_mode) {
  open_ok().reset();
  EXPECT_EQ(raw_sql(db_path_, "PRAGMA application_id"), std::to_string(schema::application_id));
  EXPECT_EQ(raw_sql(db_path_, "PRAGMA user_version"), std::to_string(schema::latest_version()));
  EXPECT_EQ(raw_sql(db_path_, "PRAGMA journal_mode"), "wal");
}

TEST_F(store_test, an_empty_file_is_taken_as_a_new_store) {
  std::ofstream(db_path_).close();
  auto s = open_ok();
  EXPECT_FALSE(s->append_own(alice_.event(1, 1)));
}

TEST_F(store_test, an_older_schema_is_migrated_and_keeps_its_data) {
  {
    auto s = open_ok();
    ASSERT_FALSE(s->append_own(alice_.event(1, 1)));
  }
  // A later build adds a step; the file, at today's version, must take only that step.
  std::vector<schema::migration> steps(schema::migrations().begin(), schema::migrations().end());
  steps.push_back({"CREATE TABLE later_feature (x INTEGER);"});
  {
    sqlite::connection db(db_path_);
    schema::migrate(db, steps);
  }
  EXPECT_EQ(raw_sql(db_path_, "PRAGMA user_version"), std::to_string(steps.size()));
  EXPECT_EQ(raw_sql(db_path_, "SELECT count(*) FROM later_feature"), "0");
  EXPECT_EQ(raw_sql(db_path_, "SELECT count(*) FROM events"), "1");
}

TEST_F(store_test, a_failing_migration_leaves_the_file_at_its_old_version) {
  open_ok().reset();
  std::vector<schema::migration> steps(schema::migrations().begin(), schema::migrations().end());
  steps.push_back({"CREATE TABLE half_done (x INTEGER); THIS IS NOT SQL;"});
  {
    sqlite::connection db(db_path_);
    EXPECT_THROW(schema::migrate(db, steps), sqlite::failure);
  }
  EXPECT_EQ(raw_sql(db_path_, "PRAGMA user_version"), std::to_string(schema::latest_version()));
  EXPECT_EQ(raw_sql(db_path_, "SELECT count(*) FROM sqlite_schema WHERE name = 'half_done'"), "0");
  EXPECT_TRUE(open_ok());
}

TEST_F(store_test, a_file_of_our_schema_at_version_zero_is_brought_to_the_latest) {
  // An earlier build that was killed between creating the file and migrating it.
  raw_sql(db_path_, "PRAGMA application_id = " + std::to_string(schema::application_id));
  auto s = open_ok();
  EXPECT_FALSE(s->append_own(alice_.event(1, 1)));
}

}  // namespace
}  // namespace peerchat::history
