#include "overlay/fifo_delivery.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <ostream>
#include <vector>

namespace peerchat {

inline void PrintTo(seq_no s, std::ostream* os) { *os << "seq " << s.value; }

namespace {

using std::chrono::milliseconds;

constexpr microseconds wait{2'000'000};

peer_id author_of(std::uint8_t tag) {
  peer_id::bytes_type b{};
  b.fill(tag);
  return peer_id{b};
}

const peer_id alice = author_of(0xa1);
const peer_id bob = author_of(0xb0);
const peer_id carol = author_of(0xc0);

wire::verified_event ev(const peer_id& author, std::uint64_t seq) {
  wire::verified_event e;
  e.author = author;
  e.seq = seq_no{seq};
  e.lamport = lamport_time{seq * 10};
  return e;
}

std::vector<std::uint64_t> seqs(const std::vector<wire::verified_event>& events) {
  std::vector<std::uint64_t> out;
  for (const auto& e : events) out.push_back(e.seq.value);
  return out;
}

using seq_list = std::vector<std::uint64_t>;

fifo_delivery make(std::size_t max_held = 1024, std::size_t max_authors = 10000) {
  return fifo_delivery{{.max_held = max_held, .max_authors = max_authors, .reorder_wait = wait}};
}

microseconds at_ms(std::int64_t ms) { return milliseconds{ms}; }

// --- ordering --------------------------------------------------------------------------------

TEST(fifo_delivery, delivers_in_order_events_as_they_arrive) {
  auto d = make();
  EXPECT_EQ(seqs(d.offer(ev(alice, 1), at_ms(0))), seq_list{1});
  EXPECT_EQ(seqs(d.offer(ev(alice, 2), at_ms(1))), seq_list{2});
  EXPECT_EQ(seqs(d.offer(ev(alice, 3), at_ms(2))), seq_list{3});
  EXPECT_EQ(d.contiguous(alice), seq_no{3});
}

TEST(fifo_delivery, delivered_events_keep_their_fields) {
  auto d = make();
  const auto out = d.offer(ev(alice, 1), at_ms(0));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].author, alice);
  EXPECT_EQ(out[0].lamport, lamport_time{10});
}

TEST(fifo_delivery, delivers_out_of_order_arrivals_3_1_2_as_1_2_3) {
  auto d = make();
  d.set_baseline(alice, seq_no{0});
  EXPECT_EQ(seqs(d.offer(ev(alice, 3), at_ms(0))), seq_list{});
  EXPECT_EQ(seqs(d.offer(ev(alice, 1), at_ms(1))), seq_list{1});
  EXPECT_EQ(seqs(d.offer(ev(alice, 2), at_ms(2))), (seq_list{2, 3}));
  EXPECT_EQ(d.contiguous(alice), seq_no{3});
  EXPECT_FALSE(d.next_deadline());
}

TEST(fifo_delivery, an_author_without_a_baseline_is_expected_from_seq_one) {
  auto d = make();
  EXPECT_EQ(seqs(d.offer(ev(alice, 2), at_ms(0))), seq_list{});
  EXPECT_EQ(seqs(d.offer(ev(alice, 1), at_ms(1))), (seq_list{1, 2}));
}

TEST(fifo_delivery, gaps_name_the_missing_seqs_below_the_highest_held) {
  auto d = make();
  d.offer(ev(alice, 2), at_ms(0));
  d.offer(ev(alice, 5), at_ms(0));
  EXPECT_EQ(d.gaps(alice, 10), (std::vector<seq_no>{seq_no{1}, seq_no{3}, seq_no{4}}));
  EXPECT_EQ(d.gaps(alice, 2), (std::vector<seq_no>{seq_no{1}, seq_no{3}}));
  EXPECT_TRUE(d.gaps(bob, 10).empty());
}

TEST(fifo_delivery, the_gap_below_a_held_event_reaches_down_to_the_next_held_one) {
  auto d = make();
  d.offer(ev(alice, 3), at_ms(0));
  d.offer(ev(alice, 7), at_ms(0));
  EXPECT_EQ(d.gap_below(alice, seq_no{3}, 10), (std::vector<seq_no>{seq_no{1}, seq_no{2}}));
  EXPECT_EQ(d.gap_below(alice, seq_no{7}, 10), (std::vector<seq_no>{seq_no{4}, seq_no{5}, seq_no{6}}));
  EXPECT_EQ(d.gap_below(alice, seq_no{7}, 2), (std::vector<seq_no>{seq_no{4}, seq_no{5}})) << "oldest first";
  d.offer(ev(alice, 1), at_ms(1));
  EXPECT_TRUE(d.gap_below(alice, seq_no{1}, 10).empty()) << "delivered: nothing below it is awaited";
  EXPECT_TRUE(d.gap_below(bob, seq_no{5}, 10).empty());
}

TEST(fifo_delivery, authors_are_ordered_independently) {
  auto d = make();
  d.set_baseline(alice, seq_no{0});
  d.set_baseline(bob, seq_no{0});
  EXPECT_EQ(seqs(d.offer(ev(alice, 2), at_ms(0))), seq_list{});
  EXPECT_EQ(seqs(d.offer(ev(bob, 1), at_ms(0))), seq_list{1});
  EXPECT_EQ(d.contiguous(alice), seq_no{0});
}

// --- duplicates ------------------------------------------------------------------------------

TEST(fifo_delivery, seen_is_false_for_an_unknown_author) {
  auto d = make();
  EXPECT_FALSE(d.seen(alice, seq_no{1}));
}

TEST(fifo_delivery, seen_is_true_for_a_held_event_and_false_for_the_gap) {
  auto d = make();
  d.set_baseline(alice, seq_no{0});
  d.offer(ev(alice, 3), at_ms(0));
  EXPECT_TRUE(d.seen(alice, seq_no{3}));
  EXPECT_FALSE(d.seen(alice, seq_no{2}));
  EXPECT_FALSE(d.seen(alice, seq_no{4}));
}

TEST(fifo_delivery, seen_is_true_for_a_delivered_event) {
  auto d = make();
  d.offer(ev(alice, 1), at_ms(0));
  EXPECT_TRUE(d.seen(alice, seq_no{1}));
  EXPECT_FALSE(d.seen(alice, seq_no{2}));
}

TEST(fifo_delivery, duplicate_of_a_held_event_is_not_delivered_twice) {
  auto d = make();
  d.set_baseline(alice, seq_no{0});
  d.offer(ev(alice, 2), at_ms(0));
  EXPECT_EQ(seqs(d.offer(ev(alice, 2), at_ms(1))), seq_list{});
  EXPECT_EQ(seqs(d.offer(ev(alice, 1), at_ms(2))), (seq_list{1, 2}));
}

TEST(fifo_delivery, duplicate_of_a_delivered_event_is_dropped) {
  auto d = make();
  d.offer(ev(alice, 1), at_ms(0));
  d.offer(ev(alice, 2), at_ms(0));
  EXPECT_EQ(seqs(d.offer(ev(alice, 1), at_ms(1))), seq_list{});
  EXPECT_EQ(seqs(d.offer(ev(alice, 2), at_ms(1))), seq_list{});
  EXPECT_EQ(d.contiguous(alice), seq_no{2});
}

// --- gaps and deadlines ----------------------------------------------------------------------

TEST(fifo_delivery, gap_holds_events_until_reorder_wait_has_passed) {
  auto d = make();
  d.set_baseline(alice, seq_no{0});
  d.offer(ev(alice, 2), at_ms(0));
  EXPECT_EQ(seqs(d.expire(wait - microseconds{1})), seq_list{});
  EXPECT_EQ(d.contiguous(alice), seq_no{0});
}

TEST(fifo_delivery, gap_is_given_up_at_reorder_wait_and_held_events_go_in_order) {
  auto d = make();
  d.set_baseline(alice, seq_no{0});
  d.offer(ev(alice, 3), at_ms(0));
  d.offer(ev(alice, 2), at_ms(100));
  EXPECT_EQ(seqs(d.expire(wait)), (seq_list{2, 3}));
  EXPECT_EQ(d.contiguous(alice), seq_no{3});
  EXPECT_FALSE(d.next_deadline());
}

TEST(fifo_delivery, expiry_gives_up_every_gap_behind_the_expired_one) {
  auto d = make();
  d.set_baseline(alice, seq_no{0});
  d.offer(ev(alice, 2), at_ms(0));
  d.offer(ev(alice, 4), at_ms(0));
  d.offer(ev(alice, 5), at_ms(0));
  EXPECT_EQ(seqs(d.expire(wait)), (seq_list{2, 4, 5}));
  EXPECT_EQ(d.contiguous(alice), seq_no{5});
}

TEST(fifo_delivery, the_wait_runs_from_the_earliest_arrival_not_the_lowest_seq) {
  auto d = make();
  d.set_baseline(alice, seq_no{0});
  d.offer(ev(alice, 10), at_ms(0));
  d.offer(ev(alice, 5), at_ms(500));
  EXPECT_EQ(d.next_deadline(), at_ms(0) + wait);
  EXPECT_EQ(seqs(d.expire(at_ms(0) + wait)), (seq_list{5, 10})) << "10 waited its time; 5 was in its way";
  EXPECT_FALSE(d.next_deadline());
  d.offer(ev(alice, 12), at_ms(3000));
  d.offer(ev(alice, 14), at_ms(3100));
  EXPECT_EQ(seqs(d.offer(ev(alice, 11), at_ms(3200))), (seq_list{11, 12}));
  EXPECT_EQ(d.next_deadline(), at_ms(3100) + wait) << "12 left: 14 has waited longest now";
}

TEST(fifo_delivery, event_of_a_given_up_gap_arriving_late_is_delivered_once_and_not_lost) {
  auto d = make();
  d.set_baseline(alice, seq_no{0});
  d.offer(ev(alice, 2), at_ms(0));
  d.expire(wait);
  EXPECT_FALSE(d.seen(alice, seq_no{1})) << "still wanted";
  EXPECT_EQ(d.complete_prefix(alice), seq_no{0}) << "anti-entropy must still fetch it";
  EXPECT_EQ(d.gaps(alice, 10), std::vector<seq_no>{seq_no{1}});
  EXPECT_EQ(seqs(d.offer(ev(alice, 1), wait + microseconds{1})), seq_list{1});
  EXPECT_TRUE(d.seen(alice, seq_no{1}));
  EXPECT_EQ(seqs(d.offer(ev(alice, 1), wait + microseconds{2})), seq_list{}) << "exactly once";
  EXPECT_EQ(d.complete_prefix(alice), seq_no{2});
}

// A receiver lagging far behind a fast author gives up gaps of tens of thousands of events;
// when only the newest 16,384 skipped seqs were kept, the older ones arriving later were
// dropped as copies already seen, and the throughput benchmark lost lines for good.
TEST(fifo_delivery, a_gap_of_any_length_is_wanted_whole_and_its_late_events_delivered) {
  fifo_delivery d({.max_held = 1024, .max_skipped_ranges = 2, .max_authors = 10, .reorder_wait = wait});
  d.set_baseline(alice, seq_no{0});
  d.offer(ev(alice, 100'001), at_ms(0));
  EXPECT_EQ(seqs(d.expire(wait)), seq_list{100'001});
  EXPECT_EQ(d.complete_prefix(alice), seq_no{0});
  EXPECT_EQ(d.gaps(alice, 3), (std::vector<seq_no>{seq_no{1}, seq_no{2}, seq_no{3}}));
  EXPECT_EQ(seqs(d.offer(ev(alice, 1), wait)), seq_list{1});
  EXPECT_EQ(seqs(d.offer(ev(alice, 50'000), wait)), seq_list{50'000}) << "the middle of the gap";
  EXPECT_EQ(seqs(d.offer(ev(alice, 100'000), wait)), seq_list{100'000});
  EXPECT_TRUE(d.seen(alice, seq_no{50'000}));
  EXPECT_FALSE(d.seen(alice, seq_no{49'999}));
  EXPECT_FALSE(d.seen(alice, seq_no{50'001}));
  EXPECT_EQ(d.complete_prefix(alice), seq_no{1});
  EXPECT_EQ(d.gaps(alice, 2), (std::vector<seq_no>{seq_no{2}, seq_no{3}}));
  for (std::uint64_t s = 2; s < 100'000; ++s) {
    if (s == 50'000) continue;
    ASSERT_EQ(seqs(d.offer(ev(alice, s), wait)), seq_list{s});
  }
  EXPECT_EQ(d.complete_prefix(alice), seq_no{100'001});
  EXPECT_TRUE(d.gaps(alice, 10).empty());
}

TEST(fifo_delivery, skipped_ranges_are_bounded_per_author_by_forgetting_the_oldest) {
  fifo_delivery d({.max_held = 1024, .max_skipped_ranges = 2, .max_authors = 10, .reorder_wait = wait});
  d.set_baseline(alice, seq_no{0});
  d.offer(ev(alice, 3), at_ms(0));  // gaps 1-2, 4, 6-7: three ranges
  d.offer(ev(alice, 5), at_ms(0));
  d.offer(ev(alice, 8), at_ms(0));
  d.expire(wait);
  EXPECT_EQ(d.gaps(alice, 100), (std::vector<seq_no>{seq_no{4}, seq_no{6}, seq_no{7}}))
      << "the oldest range is given up for good";
  EXPECT_EQ(d.complete_prefix(alice), seq_no{3});
  EXPECT_TRUE(d.seen(alice, seq_no{1}));
}

// Found by fuzz/fifo_delivery_fuzz: giving up a gap walked every seq of it, so one event with
// seq 2^60 from a hostile author hung the node when its wait expired.
TEST(fifo_delivery, giving_up_a_huge_gap_costs_one_range_and_returns_at_once) {
  fifo_delivery d({.max_held = 1024, .max_skipped_ranges = 2, .max_authors = 10, .reorder_wait = wait});
  const std::uint64_t far = std::uint64_t{1} << 60;
  d.offer(ev(alice, far), at_ms(0));
  EXPECT_EQ(seqs(d.expire(wait)), seq_list{far});
  EXPECT_EQ(d.gaps(alice, 2), (std::vector<seq_no>{seq_no{1}, seq_no{2}}));
  EXPECT_EQ(seqs(d.offer(ev(alice, far - 1), wait)), seq_list{far - 1});
  EXPECT_FALSE(d.seen(alice, seq_no{far - 2}));
}

TEST(fifo_delivery, an_event_at_the_highest_seq_is_delivered_after_its_gap_expires) {
  auto d = make();
  d.offer(ev(alice, UINT64_MAX), at_ms(0));
  EXPECT_EQ(seqs(d.expire(wait)), seq_list{UINT64_MAX});
  EXPECT_TRUE(d.seen(alice, seq_no{UINT64_MAX}));
}

TEST(fifo_delivery, next_deadline_is_empty_when_nothing_is_held) {
  auto d = make();
  d.offer(ev(alice, 1), at_ms(0));
  EXPECT_FALSE(d.next_deadline());
}

TEST(fifo_delivery, next_deadline_is_reorder_wait_after_the_earliest_held_event) {
  auto d = make();
  d.set_baseline(alice, seq_no{0});
  d.set_baseline(bob, seq_no{0});
  d.offer(ev(bob, 3), at_ms(700));
  d.offer(ev(alice, 5), at_ms(300));
  d.offer(ev(alice, 3), at_ms(900));
  EXPECT_EQ(d.next_deadline(), at_ms(300) + wait);
}

TEST(fifo_delivery, next_deadline_moves_on_once_the_earliest_is_released) {
  auto d = make();
  d.set_baseline(alice, seq_no{0});
  d.set_baseline(bob, seq_no{0});
  d.offer(ev(alice, 2), at_ms(0));
  d.offer(ev(bob, 2), at_ms(500));
  EXPECT_EQ(seqs(d.expire(at_ms(0) + wait)), seq_list{2});
  EXPECT_EQ(d.contiguous(bob), seq_no{0});
  EXPECT_EQ(d.next_deadline(), at_ms(500) + wait);
}

// --- baselines and our own events ------------------------------------------------------------

TEST(fifo_delivery, baseline_for_an_unknown_author_makes_the_next_seq_deliverable_at_once) {
  auto d = make();
  d.set_baseline(alice, seq_no{7});
  EXPECT_TRUE(d.seen(alice, seq_no{7}));
  EXPECT_EQ(seqs(d.offer(ev(alice, 8), at_ms(0))), seq_list{8});
}

TEST(fifo_delivery, baseline_for_an_unknown_author_holds_events_beyond_the_next) {
  auto d = make();
  d.set_baseline(alice, seq_no{7});
  EXPECT_EQ(seqs(d.offer(ev(alice, 9), at_ms(0))), seq_list{});
}

TEST(fifo_delivery, higher_baseline_moves_a_known_author_on_when_nothing_waits) {
  auto d = make();
  d.offer(ev(alice, 1), at_ms(0));
  d.set_baseline(alice, seq_no{10});  // a restarted node learns what it missed: history
  EXPECT_EQ(d.contiguous(alice), seq_no{10});
  EXPECT_TRUE(d.seen(alice, seq_no{5}));
  EXPECT_EQ(seqs(d.offer(ev(alice, 11), at_ms(1))), seq_list{11});
}

TEST(fifo_delivery, baseline_is_ignored_while_events_of_the_author_wait) {
  auto d = make();
  d.offer(ev(alice, 3), at_ms(0));  // held behind 1 and 2
  d.set_baseline(alice, seq_no{10});
  EXPECT_EQ(d.contiguous(alice), seq_no{0});
  EXPECT_EQ(seqs(d.offer(ev(alice, 1), at_ms(1))), seq_list{1});
}

TEST(fifo_delivery, lower_baseline_for_a_known_author_does_not_rewind_it) {
  auto d = make();
  d.offer(ev(alice, 5), at_ms(0));
  d.set_baseline(alice, seq_no{1});
  EXPECT_EQ(seqs(d.offer(ev(alice, 3), at_ms(1))), seq_list{});
}

TEST(fifo_delivery, mark_own_counts_our_events_as_delivered) {
  auto d = make();
  d.mark_own(alice, seq_no{1});
  d.mark_own(alice, seq_no{2});
  EXPECT_EQ(d.contiguous(alice), seq_no{2});
  EXPECT_TRUE(d.seen(alice, seq_no{2}));
  EXPECT_EQ(seqs(d.offer(ev(alice, 2), at_ms(0))), seq_list{});
}

// --- bounds ----------------------------------------------------------------------------------

TEST(fifo_delivery, held_bound_releases_the_oldest_gap_instead_of_growing) {
  auto d = make(/*max_held=*/2);
  d.set_baseline(alice, seq_no{0});
  EXPECT_EQ(seqs(d.offer(ev(alice, 3), at_ms(0))), seq_list{});
  EXPECT_EQ(seqs(d.offer(ev(alice, 4), at_ms(0))), seq_list{});
  EXPECT_EQ(seqs(d.offer(ev(alice, 6), at_ms(0))), (seq_list{3, 4}));
  EXPECT_EQ(d.contiguous(alice), seq_no{4});
  EXPECT_TRUE(d.seen(alice, seq_no{6}));
}

TEST(fifo_delivery, held_bound_keeps_order_when_the_newcomer_is_below_the_held_events) {
  auto d = make(/*max_held=*/2);
  d.set_baseline(alice, seq_no{0});
  std::vector<std::uint64_t> delivered;
  auto take = [&](const std::vector<wire::verified_event>& out) {
    for (const auto& e : out) delivered.push_back(e.seq.value);
  };
  take(d.offer(ev(alice, 5), at_ms(0)));
  take(d.offer(ev(alice, 6), at_ms(0)));
  take(d.offer(ev(alice, 3), at_ms(0)));
  take(d.expire(at_ms(0) + wait));
  take(d.offer(ev(alice, 4), at_ms(0) + wait));
  // 3 before 5 and 6; 4, given up on, is delivered late but only once.
  EXPECT_EQ(delivered, (std::vector<std::uint64_t>{3, 5, 6, 4}));
  EXPECT_EQ(d.contiguous(alice), seq_no{6});
  EXPECT_EQ(d.complete_prefix(alice), seq_no{0}) << "1 and 2 were never seen: still wanted";
}

TEST(fifo_delivery, held_bound_of_zero_releases_out_of_order_events_at_once) {
  auto d = make(/*max_held=*/0);
  d.set_baseline(alice, seq_no{0});
  EXPECT_EQ(seqs(d.offer(ev(alice, 3), at_ms(0))), seq_list{3});
  EXPECT_FALSE(d.next_deadline());
}

TEST(fifo_delivery, author_bound_refuses_events_of_new_authors) {
  auto d = make(1024, /*max_authors=*/2);
  d.offer(ev(alice, 1), at_ms(0));
  d.offer(ev(bob, 1), at_ms(0));
  EXPECT_EQ(seqs(d.offer(ev(carol, 1), at_ms(0))), seq_list{});
  EXPECT_FALSE(d.seen(carol, seq_no{1}));
  EXPECT_EQ(d.version_vector().size(), 2u);
}

TEST(fifo_delivery, author_bound_refuses_baselines_of_new_authors) {
  auto d = make(1024, /*max_authors=*/1);
  d.offer(ev(alice, 1), at_ms(0));
  d.set_baseline(bob, seq_no{5});
  EXPECT_EQ(d.contiguous(bob), seq_no{0});
  EXPECT_EQ(d.version_vector().size(), 1u);
}

TEST(fifo_delivery, author_bound_still_delivers_for_known_authors) {
  auto d = make(1024, /*max_authors=*/1);
  d.offer(ev(alice, 1), at_ms(0));
  EXPECT_EQ(seqs(d.offer(ev(alice, 2), at_ms(0))), seq_list{2});
}

// --- version vector --------------------------------------------------------------------------

TEST(fifo_delivery, version_vector_lists_each_authors_contiguous_seq) {
  auto d = make();
  d.offer(ev(alice, 1), at_ms(0));
  d.offer(ev(alice, 2), at_ms(0));
  d.set_baseline(bob, seq_no{5});
  d.set_baseline(carol, seq_no{0});
  d.offer(ev(carol, 2), at_ms(0));  // held: not contiguous yet

  auto vv = d.version_vector();
  std::sort(vv.begin(), vv.end());
  const std::vector<std::pair<peer_id, seq_no>> expected = {
      {alice, seq_no{2}}, {bob, seq_no{5}}, {carol, seq_no{0}}};
  auto sorted_expected = expected;
  std::sort(sorted_expected.begin(), sorted_expected.end());
  EXPECT_EQ(vv, sorted_expected);
}

TEST(fifo_delivery, version_vector_is_empty_at_first) {
  EXPECT_TRUE(make().version_vector().empty());
}

}  // namespace
}  // namespace peerchat
