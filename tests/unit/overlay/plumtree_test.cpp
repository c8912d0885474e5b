#include "overlay/plumtree.hpp"

#include <gtest/gtest.h>

#include "../test_ids.hpp"

#include <set>

namespace peerchat {
namespace {

using testing_ids::id_of;

const peer_id a = id_of(1), b = id_of(2), c = id_of(3), author = id_of(9), other_author = id_of(8);
constexpr microseconds ms{1000};

template <class T>
std::vector<T> only(const std::vector<plumtree_out::output>& out) {
  std::vector<T> v;
  for (const auto& o : out)
    if (auto* x = std::get_if<T>(&o)) v.push_back(*x);
  return v;
}

std::set<peer_id> push_targets(const std::vector<plumtree_out::output>& out) {
  std::set<peer_id> s;
  for (const auto& p : only<plumtree_out::push>(out)) s.insert(p.to);
  return s;
}

struct plumtree_test : testing::Test {
  plumtree tree{plumtree_config{}};
  microseconds now{1'000'000};
  void SetUp() override {
    for (const auto& p : {a, b, c}) tree.neighbor_up(p);
  }
  event_ref ref(std::uint64_t seq, peer_id who = author) { return {who, seq_no{seq}}; }
  // The author's stream is quiet at `seq`: it came from a a second ago and was announced.
  void held_up_to(std::uint64_t seq) {
    tree.broadcast(ref(seq), a, now - 1000 * ms);
    tree.on_tick(now - 500 * ms);
    tree.take_outputs();
  }
  // Exactly one graft goes out at `at` after `now`, and none a millisecond before.
  void expect_one_graft_at(microseconds at) {
    tree.on_tick(now + at - 1 * ms);
    EXPECT_TRUE(only<plumtree_out::graft>(tree.take_outputs()).empty()) << "not before " << at.count() << " us";
    tree.on_tick(now + at);
    EXPECT_EQ(only<plumtree_out::graft>(tree.take_outputs()).size(), 1u) << "at " << at.count() << " us";
  }
};

TEST_F(plumtree_test, an_authors_first_event_goes_in_full_to_every_neighbour_but_its_sender) {
  tree.broadcast(ref(1), a, now);
  EXPECT_EQ(push_targets(tree.take_outputs()), (std::set<peer_id>{b, c}));
}

TEST_F(plumtree_test, the_neighbour_that_pushed_an_authors_event_gets_only_ihaves_of_that_author) {
  tree.broadcast(ref(1), a, now);  // a is upstream for author now
  tree.take_outputs();
  tree.broadcast(ref(2), b, now + 1 * ms);  // this time b was faster (say a graft)
  EXPECT_EQ(push_targets(tree.take_outputs()), (std::set<peer_id>{c}))
      << "pushed back to a, a duplicate there would prune us off our parent";
  EXPECT_FALSE(tree.is_eager(a, author));
  EXPECT_TRUE(tree.is_eager(a, other_author));
  tree.on_tick(now + 1 * ms + plumtree_config{}.ihave_beat);
  const auto ihaves = only<plumtree_out::ihave>(tree.take_outputs());
  ASSERT_EQ(ihaves.size(), 1u);
  EXPECT_EQ(ihaves[0].to, a) << "announced what it did not send us";
}

TEST_F(plumtree_test, a_repaired_event_leaves_the_tree_as_it_is) {
  tree.broadcast(ref(1), a, now, /*repaired=*/true);
  EXPECT_EQ(push_targets(tree.take_outputs()), (std::set<peer_id>{b, c}));
  EXPECT_TRUE(tree.is_eager(a, author)) << "a sent it on request, not as our parent";
}

TEST_F(plumtree_test, our_own_event_goes_to_every_neighbour) {
  tree.broadcast(ref(1), std::nullopt, now);
  EXPECT_EQ(push_targets(tree.take_outputs()), (std::set<peer_id>{a, b, c}));
}

TEST_F(plumtree_test, a_duplicate_prunes_its_sender_for_that_author_only) {
  tree.duplicate(b, author);
  const auto prunes = only<plumtree_out::prune>(tree.take_outputs());
  ASSERT_EQ(prunes.size(), 1u);
  EXPECT_EQ(prunes[0].to, b);
  EXPECT_EQ(prunes[0].author, author);
  tree.on_prune(b, author);  // b's own duplicate of ours, if it had one
  tree.broadcast(ref(2), a, now);
  EXPECT_EQ(push_targets(tree.take_outputs()), (std::set<peer_id>{c}));
}

// Pruning is per direction: b's copy reaching us twice says b need not push to us, not that
// b can do without our pushes. Taken both ways, the first flood orphaned nodes with real
// processes: a relay beat the author's own copy to its neighbours, they pushed it back to the
// author and took the author's late direct copy as their parent (adopt, pruning the relay),
// while the author, seeing its own event come back, stopped pushing to them; their next
// event of that author came by graft, 250 ms late (latency N=10 R=50/s: max ~274 ms in
// every run).
TEST_F(plumtree_test, a_duplicate_leaves_our_pushes_to_its_sender_as_they_were) {
  const peer_id me = id_of(5);
  tree.broadcast(ref(1, me), std::nullopt, now);
  tree.take_outputs();
  tree.duplicate(b, me);  // b had it from a first and pushed it back to us
  EXPECT_EQ(only<plumtree_out::prune>(tree.take_outputs()).size(), 1u);
  EXPECT_TRUE(tree.is_eager(b, me)) << "b may take us as its parent: only its prune stops us";
  tree.broadcast(ref(2, me), std::nullopt, now + 50 * ms);
  EXPECT_EQ(push_targets(tree.take_outputs()), (std::set<peer_id>{a, b, c}));
}

TEST_F(plumtree_test, a_duplicate_from_a_neighbour_already_pruned_repeats_the_lost_prune) {
  tree.duplicate(b, author);
  tree.take_outputs();
  tree.duplicate(b, author);
  EXPECT_EQ(only<plumtree_out::prune>(tree.take_outputs()).size(), 1u);
}

TEST_F(plumtree_test, a_prune_received_makes_that_neighbour_lazy_for_the_author) {
  tree.on_prune(c, author);
  EXPECT_FALSE(tree.is_eager(c, author));
  EXPECT_TRUE(tree.is_eager(c, other_author));
}

TEST_F(plumtree_test, lazy_neighbours_get_the_ref_in_one_ihave_after_the_delay) {
  tree.on_prune(c, author);
  tree.broadcast(ref(1), a, now);
  tree.broadcast(ref(2), a, now + 5 * ms);
  EXPECT_TRUE(only<plumtree_out::ihave>(tree.take_outputs()).empty());
  const microseconds delay = plumtree_config{}.ihave_beat;
  ASSERT_EQ(tree.next_deadline(), now + delay);
  tree.on_tick(now + delay);
  const auto ihaves = only<plumtree_out::ihave>(tree.take_outputs());
  ASSERT_EQ(ihaves.size(), 1u);
  EXPECT_EQ(ihaves[0].to, c);
  EXPECT_EQ(ihaves[0].refs.size(), 2u);
}

TEST_F(plumtree_test, an_ihave_says_how_long_each_ref_waited_in_the_batch) {
  tree.on_prune(c, author);
  tree.broadcast(ref(1), a, now);
  tree.broadcast(ref(2), a, now + 30 * ms);
  tree.take_outputs();
  tree.on_tick(now + 100 * ms);
  const auto ihaves = only<plumtree_out::ihave>(tree.take_outputs());
  ASSERT_EQ(ihaves.size(), 1u);
  EXPECT_EQ(ihaves[0].held, (std::vector<microseconds>{100 * ms, 70 * ms}));
}

// A node whose beat is 30 ms into every 100 ms, with b lazy for the author.
struct plumtree_beat : testing::Test {
  plumtree tree{plumtree_config{.ihave_phase = microseconds{30'000}}};
  const microseconds now{1'000'000};  // a whole number of beats
  void SetUp() override {
    tree.neighbor_up(a);
    tree.neighbor_up(b);
    tree.on_prune(b, author);
  }
};

TEST_F(plumtree_beat, an_ihave_waits_at_least_the_minimum_hold_even_with_a_beat_just_ahead) {
  tree.broadcast({author, seq_no{1}}, a, now + 25 * ms);  // the beat at +30 is too soon
  EXPECT_EQ(tree.next_deadline(), now + 130 * ms);
}

TEST_F(plumtree_beat, a_node_flushes_its_ihaves_at_its_own_phase_of_the_beat) {
  tree.broadcast({author, seq_no{1}}, a, now + 10 * ms);
  ASSERT_EQ(tree.next_deadline(), now + 30 * ms) << "the first beat 20 ms on, not 100 ms after the event";
  tree.take_outputs();
  tree.on_tick(now + 30 * ms);
  const auto ihaves = only<plumtree_out::ihave>(tree.take_outputs());
  ASSERT_EQ(ihaves.size(), 1u);
  EXPECT_EQ(ihaves[0].held, std::vector<microseconds>{20 * ms});
}

// Batching IHaves must not delay repairs: the announcer held the ref 80 ms before its IHave
// left, so the eager copy has had 80 ms of its 250 already.
TEST_F(plumtree_test, the_graft_wait_counts_from_when_the_announcer_got_its_copy) {
  held_up_to(4);
  tree.on_ihave(b, {ref(5)}, now, {}, true, {80 * ms});
  expect_one_graft_at(170 * ms);
}

TEST_F(plumtree_test, an_announcer_cannot_cut_the_graft_wait_below_half) {
  tree.on_ihave(b, {ref(1)}, now, {}, true, {10'000 * ms});
  expect_one_graft_at(125 * ms);
}

// Further ahead than the next event, our eager copy may be queued behind the ones before
// it: the full timeout lets on_tick see the stream still arriving.
TEST_F(plumtree_test, a_ref_ahead_of_the_next_event_waits_the_full_timeout) {
  held_up_to(4);
  tree.on_ihave(b, {ref(6)}, now, {}, true, {80 * ms});
  expect_one_graft_at(250 * ms);
}

TEST_F(plumtree_test, an_announced_event_that_does_not_arrive_is_grafted_from_the_announcer) {
  tree.on_ihave(b, {ref(5)}, now);
  tree.on_tick(now + 249 * ms);
  EXPECT_TRUE(only<plumtree_out::graft>(tree.take_outputs()).empty());
  tree.on_tick(now + 250 * ms);
  const auto grafts = only<plumtree_out::graft>(tree.take_outputs());
  ASSERT_EQ(grafts.size(), 1u);
  EXPECT_EQ(grafts[0].to, b);
  EXPECT_EQ(grafts[0].refs.size(), 1u);
  EXPECT_FALSE(tree.is_eager(b, author)) << "b pushes to us from now on; we only announce to it";
}

TEST_F(plumtree_test, when_the_first_announcer_fails_the_next_one_is_asked) {
  tree.on_ihave(b, {ref(5)}, now);
  tree.on_ihave(c, {ref(5)}, now + 1 * ms);
  tree.on_tick(now + 250 * ms);
  tree.take_outputs();
  tree.on_tick(now + 400 * ms);
  const auto grafts = only<plumtree_out::graft>(tree.take_outputs());
  ASSERT_EQ(grafts.size(), 1u);
  EXPECT_EQ(grafts[0].to, c);
}

// Real links race: a's push of the next event may have left before our prune reached a, and
// b, pushing the same event later, gets pruned in turn. Without a word a would hold us lazy
// from then on and we would have no parent left: the next event would wait a graft timeout.
TEST_F(plumtree_test, a_parent_whose_push_crossed_our_prune_is_grafted_back) {
  tree.broadcast(ref(1), b, now);
  tree.duplicate(a, author);  // a's copy came second: pruned
  tree.take_outputs();
  // b has been silent for the parent hold; a pushed this before our prune got there.
  tree.broadcast(ref(2), a, now + 1100 * ms);
  const auto grafts = only<plumtree_out::graft>(tree.take_outputs());
  ASSERT_EQ(grafts.size(), 1u);
  EXPECT_EQ(grafts[0].to, a);
  EXPECT_TRUE(grafts[0].refs.empty());
  EXPECT_EQ(grafts[0].author, author) << "a, which holds us lazy now, pushes to us again";
  tree.broadcast(ref(3), a, now + 1140 * ms);
  EXPECT_TRUE(only<plumtree_out::graft>(tree.take_outputs()).empty()) << "once is enough";
}

TEST_F(plumtree_test, a_first_copy_from_another_neighbour_does_not_take_over_while_the_parent_pushes) {
  tree.broadcast(ref(1), b, now);
  tree.take_outputs();
  tree.broadcast(ref(2), a, now + 20 * ms);  // a's path was quicker this once
  EXPECT_TRUE(tree.is_parent(b, author)) << "b pushed 20 ms ago: it stays our parent";
  EXPECT_FALSE(tree.is_parent(a, author));
  EXPECT_TRUE(only<plumtree_out::graft>(tree.take_outputs()).empty());
  EXPECT_FALSE(tree.is_eager(b, author)) << "still upstream: we only announce to it";
}

TEST_F(plumtree_test, a_parent_silent_for_the_hold_gives_way_to_the_first_copy) {
  tree.broadcast(ref(1), b, now);
  tree.broadcast(ref(2), a, now + 1001 * ms);
  EXPECT_TRUE(tree.is_parent(a, author));
  EXPECT_FALSE(tree.is_parent(b, author));
}

TEST_F(plumtree_test, adopting_a_neighbour_we_had_pruned_grafts_it_back) {
  tree.broadcast(ref(1), a, now);
  tree.duplicate(b, author);
  tree.take_outputs();
  tree.adopt(b, a, author, now);  // b's pushes were in flight; its next copy came over fewer links
  const auto out = tree.take_outputs();
  const auto grafts = only<plumtree_out::graft>(out);
  ASSERT_EQ(grafts.size(), 1u);
  EXPECT_EQ(grafts[0].to, b);
  EXPECT_EQ(grafts[0].author, author);
  const auto prunes = only<plumtree_out::prune>(out);
  ASSERT_EQ(prunes.size(), 1u);
  EXPECT_EQ(prunes[0].to, a);
}

// Our parent announcing an event instead of pushing it holds us lazy (the graft that made it
// our parent is still on its way, say): the push will not come, so it is grafted at once.
TEST_F(plumtree_test, an_ihave_from_our_parent_is_grafted_at_once) {
  tree.broadcast(ref(1), a, now);
  tree.take_outputs();
  tree.on_ihave(b, {ref(2)}, now + 10 * ms);
  EXPECT_TRUE(tree.take_outputs().empty()) << "b is not our parent: its push may be on its way";
  tree.on_ihave(a, {ref(2)}, now + 11 * ms);
  const auto grafts = only<plumtree_out::graft>(tree.take_outputs());
  ASSERT_EQ(grafts.size(), 1u);
  EXPECT_EQ(grafts[0].to, a);
  EXPECT_EQ(grafts[0].refs.size(), 1u);
  tree.on_tick(now + 200 * ms);  // a did not answer: b next, after the retry interval
  const auto retry = only<plumtree_out::graft>(tree.take_outputs());
  ASSERT_EQ(retry.size(), 1u);
  EXPECT_EQ(retry[0].to, b);
}

TEST_F(plumtree_test, a_gap_our_parent_showed_waits_the_graft_timeout) {
  tree.broadcast(ref(1), a, now);
  tree.take_outputs();
  tree.on_ihave(a, {ref(2)}, now, {}, /*announced=*/false);  // a pushed 3 before 2 reached it
  EXPECT_TRUE(tree.take_outputs().empty()) << "a pushes 2 when it gets it";
}

TEST_F(plumtree_test, the_announcer_closest_to_the_author_is_grafted_first) {
  tree.on_ihave(b, {ref(5)}, now, {4});
  tree.on_ihave(c, {ref(5)}, now + 1 * ms, {2});
  tree.on_ihave(a, {ref(5)}, now + 2 * ms);  // hops unknown: asked last
  EXPECT_TRUE(tree.awaits(ref(5)));
  tree.on_tick(now + 250 * ms);
  auto grafts = only<plumtree_out::graft>(tree.take_outputs());
  ASSERT_EQ(grafts.size(), 1u);
  EXPECT_EQ(grafts[0].to, c);
  tree.on_tick(now + 400 * ms);
  grafts = only<plumtree_out::graft>(tree.take_outputs());
  ASSERT_EQ(grafts.size(), 1u);
  EXPECT_EQ(grafts[0].to, b);
  tree.on_tick(now + 699 * ms);  // the second retry waits twice as long
  EXPECT_TRUE(only<plumtree_out::graft>(tree.take_outputs()).empty());
  tree.on_tick(now + 700 * ms);
  grafts = only<plumtree_out::graft>(tree.take_outputs());
  ASSERT_EQ(grafts.size(), 1u);
  EXPECT_EQ(grafts[0].to, a);
  tree.broadcast(ref(5), a, now + 710 * ms);
  EXPECT_FALSE(tree.awaits(ref(5)));
}

TEST_F(plumtree_test, the_answer_to_our_graft_is_not_progress_of_the_stream) {
  tree.broadcast(ref(1), a, now);
  tree.on_ihave(b, {ref(2), ref(3)}, now);
  tree.on_ihave(c, {ref(2), ref(3)}, now + 1 * ms);
  tree.on_tick(now + 250 * ms);
  auto grafts = only<plumtree_out::graft>(tree.take_outputs());
  ASSERT_EQ(grafts.size(), 1u);
  EXPECT_EQ(grafts[0].to, b);
  EXPECT_EQ(grafts[0].refs.size(), 2u);
  tree.broadcast(ref(2), b, now + 260 * ms);  // b answers ref 2 only
  tree.on_tick(now + 400 * ms);  // ref 3 is asked of c: b's answer was not the stream moving
  grafts = only<plumtree_out::graft>(tree.take_outputs());
  ASSERT_EQ(grafts.size(), 1u);
  EXPECT_EQ(grafts[0].to, c);
  EXPECT_EQ(grafts[0].refs, std::vector<event_ref>{ref(3)});
}

TEST_F(plumtree_test, adopt_keeps_the_closer_late_parent_and_prunes_the_detour) {
  tree.broadcast(ref(1), a, now);  // first copy by a detour through a
  tree.take_outputs();
  tree.adopt(b, a, author, now);  // b's late duplicate crossed fewer links
  const auto out = tree.take_outputs();
  const auto prunes = only<plumtree_out::prune>(out);
  ASSERT_EQ(prunes.size(), 1u);
  EXPECT_EQ(prunes[0].to, a);
  EXPECT_TRUE(only<plumtree_out::graft>(out).empty()) << "b pushes to us already";
  EXPECT_FALSE(tree.is_eager(a, author));
  EXPECT_FALSE(tree.is_eager(b, author)) << "b is upstream now";
  EXPECT_TRUE(tree.is_eager(c, author));
}

TEST_F(plumtree_test, no_graft_while_the_authors_earlier_events_are_still_arriving) {
  tree.broadcast(ref(1), a, now);
  tree.on_ihave(b, {ref(5)}, now);
  tree.broadcast(ref(2), a, now + 100 * ms);  // the eager stream lags but flows
  tree.take_outputs();
  tree.on_tick(now + 250 * ms);
  EXPECT_TRUE(only<plumtree_out::graft>(tree.take_outputs()).empty());
  // One event per 250 ms and three to go: the stream should bring it by 1 s, not sooner.
  tree.on_tick(now + 500 * ms);
  EXPECT_TRUE(only<plumtree_out::graft>(tree.take_outputs()).empty());
  tree.on_tick(now + 1000 * ms);  // no progress since: now it is a loss
  EXPECT_EQ(only<plumtree_out::graft>(tree.take_outputs()).size(), 1u);
}

TEST_F(plumtree_test, a_lagging_stream_is_looked_at_again_at_most_four_timeouts_later) {
  tree.broadcast(ref(1), a, now);
  tree.on_ihave(b, {ref(1000)}, now);
  tree.broadcast(ref(2), a, now + 100 * ms);  // at this pace ref 1000 is minutes away
  tree.take_outputs();
  tree.on_tick(now + 250 * ms);
  EXPECT_TRUE(only<plumtree_out::graft>(tree.take_outputs()).empty());
  tree.on_tick(now + 1249 * ms);
  EXPECT_TRUE(only<plumtree_out::graft>(tree.take_outputs()).empty());
  tree.on_tick(now + 1250 * ms);  // the stream stopped: grafted, a second later at most
  EXPECT_EQ(only<plumtree_out::graft>(tree.take_outputs()).size(), 1u);
}

TEST_F(plumtree_test, an_awaited_event_arriving_is_not_progress_of_the_stream) {
  tree.broadcast(ref(1), a, now);
  tree.on_ihave(b, {ref(2), ref(3)}, now);
  tree.on_ihave(c, {ref(3)}, now);
  tree.on_tick(now + 250 * ms);  // both grafted from b
  tree.take_outputs();
  tree.broadcast(ref(2), b, now + 260 * ms);  // the graft answered: a repair, not the stream
  tree.take_outputs();
  tree.on_tick(now + 400 * ms);  // 3 did not come: the next announcer, without another wait
  const auto grafts = only<plumtree_out::graft>(tree.take_outputs());
  ASSERT_EQ(grafts.size(), 1u) << "not held back as if a busy stream were still flowing";
  EXPECT_EQ(grafts[0].to, c);
}

TEST_F(plumtree_test, a_later_event_arriving_first_means_a_loss_and_grafts_on_time) {
  tree.on_ihave(b, {ref(5)}, now);
  tree.broadcast(ref(6), a, now + 100 * ms);
  tree.take_outputs();
  tree.on_tick(now + 250 * ms);
  EXPECT_EQ(only<plumtree_out::graft>(tree.take_outputs()).size(), 1u);
}

TEST_F(plumtree_test, an_event_that_arrives_in_time_cancels_its_graft) {
  tree.on_ihave(b, {ref(5)}, now);
  tree.broadcast(ref(5), a, now + 10 * ms);
  tree.take_outputs();
  tree.on_tick(now + 1000 * ms);
  EXPECT_TRUE(only<plumtree_out::graft>(tree.take_outputs()).empty());
}

TEST_F(plumtree_test, a_graft_received_makes_the_neighbour_eager_and_pushes_the_event) {
  tree.on_prune(a, author);
  tree.on_graft(a, {ref(3)});
  const auto pushes = only<plumtree_out::push>(tree.take_outputs());
  ASSERT_EQ(pushes.size(), 1u);
  EXPECT_EQ(pushes[0].to, a);
  EXPECT_TRUE(tree.is_eager(a, author));
}

TEST_F(plumtree_test, optimize_swaps_a_far_eager_parent_for_a_closer_lazy_announcer) {
  tree.on_prune(b, author);  // b lazy, a eager for author
  tree.optimize(b, a, author, now);
  const auto out = tree.take_outputs();
  const auto grafts = only<plumtree_out::graft>(out);
  const auto prunes = only<plumtree_out::prune>(out);
  ASSERT_EQ(grafts.size(), 1u);
  EXPECT_EQ(grafts[0].to, b);
  EXPECT_TRUE(grafts[0].refs.empty()) << "nothing to resend: only the tree changes";
  EXPECT_EQ(grafts[0].author, author);
  ASSERT_EQ(prunes.size(), 1u);
  EXPECT_EQ(prunes[0].to, a);
  EXPECT_FALSE(tree.is_eager(b, author)) << "our new parent: it pushes, we announce";
  EXPECT_FALSE(tree.is_eager(a, author));
  EXPECT_TRUE(tree.is_eager(c, author));
}

TEST_F(plumtree_test, a_parent_just_moved_stays_put_for_the_hold_time) {
  tree.on_prune(b, author);  // b lazy, a eager for author
  tree.optimize(b, a, author, now);
  tree.take_outputs();
  tree.adopt(a, b, author, now + plumtree_config{}.parent_hold - microseconds{1});
  EXPECT_TRUE(tree.take_outputs().empty()) << "a copy out of hop order under load moves nothing";
  EXPECT_FALSE(tree.is_eager(b, author));
  tree.adopt(a, b, author, now + plumtree_config{}.parent_hold);
  const auto prunes = only<plumtree_out::prune>(tree.take_outputs());
  ASSERT_EQ(prunes.size(), 1u);
  EXPECT_EQ(prunes[0].to, b);
}

TEST_F(plumtree_test, optimize_toward_the_parent_we_have_changes_nothing) {
  tree.optimize(a, a, author, now);
  EXPECT_TRUE(tree.take_outputs().empty());
  EXPECT_TRUE(tree.is_eager(a, author));
}

TEST_F(plumtree_test, a_graft_for_an_author_makes_the_neighbour_eager_for_it_without_a_push) {
  tree.on_prune(c, author);
  tree.on_graft_author(c, author);
  EXPECT_TRUE(tree.is_eager(c, author));
  EXPECT_TRUE(tree.take_outputs().empty());
}

TEST_F(plumtree_test, messages_from_strangers_are_ignored) {
  const peer_id stranger = id_of(77);
  tree.on_graft(stranger, {ref(1)});
  tree.on_ihave(stranger, {ref(1)}, now);
  tree.on_prune(stranger, author);
  tree.duplicate(stranger, author);
  tree.on_graft_author(stranger, author);
  tree.optimize(stranger, a, author, now);
  tree.adopt(stranger, a, author, now);
  EXPECT_TRUE(tree.take_outputs().empty());
  EXPECT_FALSE(tree.next_deadline().has_value());
}

TEST_F(plumtree_test, a_neighbour_that_goes_down_is_no_longer_told_or_asked) {
  tree.on_ihave(b, {ref(5)}, now);
  tree.neighbor_down(b);
  tree.broadcast(ref(1, other_author), std::nullopt, now);
  EXPECT_EQ(push_targets(tree.take_outputs()), (std::set<peer_id>{a, c}));
  tree.on_tick(now + 1000 * ms);
  EXPECT_TRUE(only<plumtree_out::graft>(tree.take_outputs()).empty());
}

TEST_F(plumtree_test, beyond_max_trees_the_oldest_authors_tree_is_forgotten) {
  plumtree small(plumtree_config{.max_trees = 2});
  small.neighbor_up(a);
  small.on_prune(a, id_of(20));
  small.on_prune(a, id_of(21));
  small.on_prune(a, id_of(22));
  EXPECT_TRUE(small.is_eager(a, id_of(20))) << "evicted: its next event floods again";
  EXPECT_FALSE(small.is_eager(a, id_of(22)));
}

}  // namespace
}  // namespace peerchat
