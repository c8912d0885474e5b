// The room with a store: our own events reach disk before anything else sees them, a
// newcomer fetches the history before it, a restart continues where it stopped, and
// anti-entropy repairs from the store.
#include "fake_network.hpp"

#include <algorithm>

#include "core/error.hpp"

namespace peerchat {
namespace {

using namespace room_testing;

void store(peer_node& n) { n.with_store = true; }

// Lines that arrived live (catch-up's fetched lines are shown too, marked missed).
std::vector<std::string> texts(const peer_node& n) {
  std::vector<std::string> out;
  for (const auto& m : n.all<ui_event::message>())
    if (!m.missed) out.push_back(m.text);
  return out;
}

std::vector<std::string> missed_texts(const peer_node& n) {
  std::vector<std::string> out;
  for (const auto& m : n.all<ui_event::message>())
    if (m.missed) out.push_back(m.text);
  return out;
}

TEST(room_history, our_line_is_shown_and_sent_only_once_it_is_on_disk) {
  fake_network net;
  const auto a = net.add("alice", "r", {}, store);
  const auto b = net.join("bob", a, store);
  net.node(a).hold_own_writes = true;
  net.node(a).core->say("hello", net.now());
  net.pump();
  EXPECT_TRUE(texts(net.node(a)).empty()) << "not on disk yet: not shown";
  EXPECT_TRUE(texts(net.node(b)).empty()) << "not on disk yet: not sent";
  net.release_own_writes(a);
  EXPECT_EQ(texts(net.node(a)), std::vector<std::string>{"hello"});
  EXPECT_EQ(texts(net.node(b)), std::vector<std::string>{"hello"});
}

TEST(room_history, a_refused_write_drops_the_line_with_an_error_and_reuses_no_number) {
  fake_network net;
  const auto a = net.add("alice", "r", {}, store);
  const auto b = net.join("bob", a, store);
  net.node(a).refuse_own_writes = make_error_code(errc::storage_full);
  net.node(a).core->say("lost", net.now());
  net.pump();
  ASSERT_EQ(net.node(a).all<ui_event::error>().size(), 1u);
  EXPECT_NE(net.node(a).all<ui_event::error>()[0].message.find("not sent"), std::string::npos);
  net.node(a).refuse_own_writes.reset();
  net.node(a).core->say("kept", net.now());
  net.pump();
  const auto got = net.node(b).all<ui_event::message>();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].text, "kept");
  EXPECT_EQ(got[0].seq, seq_no{1}) << "the refused line's number was never sent, so it is used";
}

TEST(room_history, a_leave_waits_for_its_event_to_reach_disk) {
  fake_network net;
  const auto a = net.add("alice", "r", {}, store);
  net.join("bob", a, store);
  net.node(a).hold_own_writes = true;
  net.node(a).core->leave(net.now());
  net.pump();
  EXPECT_FALSE(net.node(a).finished);
  net.release_own_writes(a);
  EXPECT_TRUE(net.node(a).finished);
}

TEST(room_history, a_newcomer_fetches_the_history_before_it_and_shows_only_what_follows) {
  fake_network net;
  const auto a = net.add("alice", "r", {}, store);
  constexpr int earlier = 3000;  // more than one Want and many batches
  for (int i = 1; i <= earlier; ++i) net.node(a).core->say("old " + std::to_string(i), net.now());
  net.pump();
  const auto c = net.join("carol", a, store);
  const auto synced = net.node(c).all<ui_event::synced>();
  ASSERT_EQ(synced.size(), 1u);
  EXPECT_EQ(synced[0].events, static_cast<std::uint64_t>(earlier));
  EXPECT_EQ(synced[0].unavailable, 0u);
  EXPECT_EQ(net.node(c).stored.size(), static_cast<std::size_t>(earlier));
  EXPECT_TRUE(texts(net.node(c)).empty()) << "history is stored, not replayed as live lines";
  // The newcomer is shown the room's newest lines, in order, after one `missed` event.
  const auto missed = net.node(c).all<ui_event::missed>();
  ASSERT_EQ(missed.size(), 1u);
  EXPECT_EQ(missed[0].lines, static_cast<std::uint64_t>(earlier));
  EXPECT_EQ(missed[0].shown, 20u);
  EXPECT_FALSE(missed[0].returning);
  std::vector<std::string> newest;
  for (int i = earlier - 19; i <= earlier; ++i) newest.push_back("old " + std::to_string(i));
  EXPECT_EQ(missed_texts(net.node(c)), newest);
  net.node(a).core->say("new", net.now());
  net.pump();
  EXPECT_EQ(texts(net.node(c)), std::vector<std::string>{"new"});
}

TEST(room_history, a_history_limit_fetches_only_the_newest_events) {
  fake_network net;
  const auto a = net.add("alice", "r", {}, store);
  for (int i = 1; i <= 500; ++i) net.node(a).core->say("old", net.now());
  net.pump();
  const auto c = net.join("carol", a, [](peer_node& n) {
    n.with_store = true;
    n.cfg.history_limit = 100;
  });
  ASSERT_EQ(net.node(c).all<ui_event::synced>().size(), 1u);
  EXPECT_EQ(net.node(c).all<ui_event::synced>()[0].events, 100u);
  ASSERT_EQ(net.node(c).stored.size(), 100u);
  EXPECT_EQ(net.node(c).stored.begin()->first.second, 401u) << "the newest 100: 401..500";
}

TEST(room_history, a_restarted_member_continues_its_numbering_and_hash_chain) {
  fake_network net;
  const auto a = net.add("alice", "r", {}, store);
  const auto b = net.join("bob", a, store);
  for (int i = 0; i < 3; ++i) net.node(b).core->say("before", net.now());
  net.pump();
  // Bob crashes and starts again on his store (same identity), while alice keeps the room.
  net.crash(b);
  auto& old_bob = net.node(b);
  const auto b2 = net.join("bob", a, [&](peer_node& n) {
    n.id = std::move(old_bob.id);
    n.with_store = true;
    n.stored = old_bob.stored;
  });
  net.node(b2).core->say("after", net.now());
  net.pump();
  const auto seen_by_a = net.node(a).all<ui_event::message>();
  ASSERT_EQ(seen_by_a.size(), 4u);
  EXPECT_EQ(seen_by_a.back().seq, seq_no{4});
  const auto& fourth = net.node(a).stored.at({net.node(b2).id.id(), 4});
  const auto& third = net.node(a).stored.at({net.node(b2).id.id(), 3});
  EXPECT_EQ(fourth.body.prev_hash(),
            std::string(reinterpret_cast<const char*>(third.id.bytes().data()), third.id.bytes().size()));
}

// /history names each line by the author's Nick events before and after it; a rename by
// restarting under another --name must be one of them.
TEST(room_history, a_member_restarted_under_another_name_announces_the_rename_as_an_event) {
  fake_network net;
  const auto a = net.add("alice", "r", {}, store);
  const auto b = net.join("bob", a, store);
  net.node(b).core->say("as bob", net.now());
  net.pump();
  net.crash(b);
  auto& old_bob = net.node(b);
  const auto b2 = net.join("robert", a, [&](peer_node& n) {
    n.id = std::move(old_bob.id);
    n.with_store = true;
    n.stored = old_bob.stored;
    n.last_name = "bob";
  });
  const auto renames = net.node(a).all<ui_event::nick>();
  ASSERT_EQ(renames.size(), 1u);
  EXPECT_EQ(renames[0].old_name, "bob");
  EXPECT_EQ(renames[0].new_name, "robert");
  const auto& nick = net.node(a).stored.at({net.node(b2).id.id(), 2});
  ASSERT_TRUE(nick.body.has_nick());
  EXPECT_EQ(nick.body.nick().old_name(), "bob");
}

TEST(room_history, a_member_restarted_under_the_same_name_announces_nothing) {
  fake_network net;
  const auto a = net.add("alice", "r", {}, store);
  const auto b = net.join("bob", a, store);
  net.crash(b);
  auto& old_bob = net.node(b);
  net.join("bob", a, [&](peer_node& n) {
    n.id = std::move(old_bob.id);
    n.with_store = true;
    n.last_name = "bob";
  });
  EXPECT_TRUE(net.node(a).all<ui_event::nick>().empty());
}

TEST(room_history, a_member_back_from_a_restart_fetches_only_what_it_missed) {
  fake_network net;
  const auto a = net.add("alice", "r", {}, store);
  const auto c = net.join("carol", a, store);
  for (int i = 0; i < 10; ++i) net.node(a).core->say("seen", net.now());
  net.pump();
  ASSERT_EQ(net.node(c).stored.size(), 10u);
  for (int i = 0; i < 5; ++i) net.node(a).core->say("missed", net.now());
  net.pump();
  net.crash(c);
  auto& old_carol = net.node(c);
  std::erase_if(old_carol.stored, [](const auto& kv) { return kv.first.second > 10; });  // it was offline
  const auto c2 = net.join("carol", a, [&](peer_node& n) {
    n.id = std::move(old_carol.id);
    n.with_store = true;
    n.stored = old_carol.stored;
  });
  ASSERT_EQ(net.node(c2).all<ui_event::synced>().size(), 1u);
  EXPECT_EQ(net.node(c2).all<ui_event::synced>()[0].events, 5u);
  EXPECT_EQ(net.node(c2).stored.size(), 15u);
}

TEST(room_history, a_line_lost_on_the_way_is_repaired_from_the_store_by_anti_entropy) {
  fake_network net;
  const auto a = net.add("alice", "r", {}, store);
  const auto b = net.join("bob", a, store);
  net.drop_frame = [&](std::size_t from, std::size_t to, const pb::Frame& f) {
    return from == a && to == b && (f.has_event() || f.has_ihave());
  };
  net.node(a).core->say("one", net.now());
  net.node(a).core->say("two", net.now());
  net.pump();
  net.drop_frame = nullptr;
  EXPECT_TRUE(texts(net.node(b)).empty());
  net.advance(std::chrono::seconds(3));  // a digest, a summary, a Want, a batch
  EXPECT_EQ(texts(net.node(b)), (std::vector<std::string>{"one", "two"}));
  EXPECT_EQ(net.node(b).stored.size(), 2u);
}

// Received events are stored as they are shown: one held behind a gap is not copied into a
// store action on arrival, and one whose process dies while it waits was never shown.
TEST(room_history, an_event_held_behind_a_gap_is_stored_once_shown_not_before) {
  fake_network net;
  const auto a = net.add("alice", "r", {}, store);
  const auto b = net.join("bob", a, store);
  net.drop_frame = [&](std::size_t from, std::size_t to, const pb::Frame& f) {
    if (from != a || to != b) return false;
    pb::EventBody body;
    return f.has_ihave() || (f.has_event() && body.ParseFromString(f.event().body()) && body.seq() == 1);
  };
  for (const char* line : {"one", "two", "three"}) net.node(a).core->say(line, net.now());
  net.pump();
  net.drop_frame = nullptr;
  EXPECT_TRUE(texts(net.node(b)).empty()) << "two and three wait for one";
  EXPECT_TRUE(net.node(b).stored.empty()) << "not shown, so not stored yet";
  net.advance(std::chrono::seconds(3));  // the wait gives up on one; anti-entropy fetches it
  auto shown = texts(net.node(b));
  std::sort(shown.begin(), shown.end());
  EXPECT_EQ(shown, (std::vector<std::string>{"one", "three", "two"}));
  EXPECT_EQ(net.node(b).stored.size(), 3u);
}

TEST(room_history, in_an_idle_room_digests_match_so_nobody_answers_with_a_summary) {
  fake_network net;
  const auto a = net.add("alice", "r", {}, store);
  const auto b = net.join("bob", a, store);
  net.join("carol", b, store);
  for (int i = 0; i < 30; ++i) net.advance(std::chrono::milliseconds(100));  // joins settle
  int digests = 0, summaries = 0;
  net.drop_frame = [&](std::size_t, std::size_t, const pb::Frame& f) {
    digests += f.has_digest() ? 1 : 0;
    summaries += f.has_summary() ? 1 : 0;
    return false;
  };
  for (int i = 0; i < 100; ++i) net.advance(std::chrono::milliseconds(100));
  EXPECT_GE(digests, 10) << "three nodes, one digest each every 2 s, for 10 s";
  EXPECT_EQ(summaries, 0) << "nobody said anything: every node holds the same (nothing)";
}

TEST(room_history, an_oversized_want_closes_the_link) {
  fake_network net;
  const auto a = net.add("alice", "r", {}, store);
  const auto b = net.join("bob", a, store);
  pb::Frame f;
  for (int i = 0; i < 300; ++i) {
    auto* r = f.mutable_want()->add_ranges();
    r->set_author(std::string(net.node(a).id.id().as_string_view()));
    r->set_upto(1);
  }
  net.inject(a, net.link_at(a, b), f);
  EXPECT_EQ(net.node(a).core->active_links(), 0u);
}

// A hang confirmed by fuzz/room_fuzz (seed want-up-to-the-highest-seq): without a store, a Want
// whose range ends at seq 2^64-1 looped for ever, so any neighbour could freeze the node.
TEST(room_history, a_want_up_to_the_highest_seq_is_answered_without_a_store) {
  fake_network net;
  const auto a = net.add("alice", "r");
  const auto b = net.join("bob", a);
  net.node(a).core->say("one", net.now());
  net.pump();
  pb::Frame f;
  auto* r = f.mutable_want()->add_ranges();
  r->set_author(std::string(net.node(a).id.id().as_string_view()));
  r->set_after(UINT64_MAX - 1);
  r->set_upto(UINT64_MAX);
  net.inject(a, net.link_at(a, b), f);
  EXPECT_EQ(net.node(a).core->active_links(), 1u);
}

}  // namespace
}  // namespace peerchat

namespace peerchat {
namespace {
using namespace room_testing;

TEST(room_history, a_long_run_of_lines_lost_with_a_link_is_repaired_from_a_neighbours_store) {
  fake_network net;
  const auto a = net.add("alice", "r", {}, store);
  const auto b = net.join("bob", a, store);
  const auto c = net.join("carol", b, store);
  net.connect(c, a);
  int published = 0;
  net.drop_frame = [&](std::size_t from, std::size_t to, const pb::Frame& f) {
    const bool lost_window = published > 1000 && published <= 1700;
    return lost_window && ((from == a && to == b) || (from == c && to == b)) &&
           (f.has_event() || f.has_ihave() || f.has_graft());
  };
  for (; published < 3000; ++published) {
    net.node(a).core->say("line " + std::to_string(published), net.now());
    net.pump();
  }
  net.drop_frame = nullptr;
  for (int i = 0; i < 30; ++i) net.advance(std::chrono::seconds(1));
  std::size_t from_alice = 0;
  for (const auto& m : net.node(b).all<ui_event::message>()) from_alice += m.from.id == net.node(a).id.id();
  EXPECT_EQ(from_alice, 3000u);
  EXPECT_EQ(net.node(b).stored.size(), 3000u);
}

}  // namespace
}  // namespace peerchat
