// Delivers each author's events exactly once and in sequence order, whatever path and order
// they arrive in. An author is expected from seq 1 unless a baseline says otherwise. An event
// ahead of a gap waits up to `reorder_wait` for the gap to fill; then the waiting events go,
// and the gap's sequence numbers are remembered as *skipped*: still wanted (gaps() and
// complete_prefix() tell anti-entropy to fetch them), delivered late when they come.
// Skipped seqs are kept as ranges, so a gap of any size costs one entry and nothing in it is
// forgotten: a receiver that lags tens of thousands of events behind a fast author still
// fetches every one. Bounded: `max_held` waiting events and `max_skipped_ranges` per author,
// `max_authors`.
// Sans-IO and single-threaded: time is passed in.
#pragma once

#include <cstddef>
#include <deque>
#include <map>
#include <optional>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/clock.hpp"
#include "core/ids.hpp"
#include "wire/event.hpp"

namespace peerchat {

class fifo_delivery {
public:
  struct limits {
    std::size_t max_held = 1024;
    // Each lost run of events is one range, however long. Beyond this the oldest range is
    // forgotten and never fetched. A receiver lagging behind a publisher at 2,800 lines/s had
    // up to 320 scattered ranges at once, and lost lines with a bound of 256; a range costs
    // about as much memory as one skipped seq did under the old bound of 16,384 seqs.
    std::size_t max_skipped_ranges = 16384;
    std::size_t max_authors = 10000;
    microseconds reorder_wait{2'000'000};
  };
  explicit fifo_delivery(limits l) : limits_(l) {}

  // True if (author, seq) was delivered or is waiting: a copy that needs no verification.
  bool seen(const peer_id& author, seq_no seq) const;

  // Takes a verified, unseen event; returns the events now deliverable, in order.
  std::vector<wire::verified_event> offer(wire::verified_event ev, microseconds now);

  // Gives up gaps whose wait has expired; returns the events released, in order.
  std::vector<wire::verified_event> expire(microseconds now);
  std::optional<microseconds> next_deadline() const;

  // Events up to `delivered` happened before we came (or are history being fetched): they are
  // not delivered. Raises an author's cursor only while nothing of it waits.
  void set_baseline(const peer_id& author, seq_no delivered);
  // Our own event, delivered locally when sent.
  void mark_own(const peer_id& self, seq_no seq) { authors_[self].contiguous = seq; }

  seq_no contiguous(const peer_id& author) const;
  // Highest seq below which nothing is missing (skipped ones count as missing): what we
  // hold for anti-entropy, as opposed to how far delivery has moved on.
  seq_no complete_prefix(const peer_id& author) const;
  // Sequence numbers of `author` we lack: skipped ones and those blocking held events. The
  // whole picture, for tests and the fuzzer; the room asks only for gap_below().
  std::vector<seq_no> gaps(const peer_id& author, std::size_t max) const;
  // The seqs of the gap just below a held event, oldest first: what its sender most likely
  // holds too. Cheap whatever else is missing, so it can be asked on every arrival.
  std::vector<seq_no> gap_below(const peer_id& author, seq_no held, std::size_t max) const;
  std::vector<std::pair<peer_id, seq_no>> version_vector() const;

private:
  struct waiting {
    wire::verified_event event;
    microseconds since;
  };
  struct author_state {
    seq_no contiguous;                         // everything up to here is delivered
    std::map<std::uint64_t, waiting> held;     // arrived ahead of a gap
    // Seqs of held events in order of arrival, so the front waited longest. Entries at or
    // below contiguous have left `held` and are dropped from the front as it moves.
    std::deque<std::uint64_t> arrivals;
    // Given up on, at or below contiguous, still wanted: first seq -> last seq of each run.
    // Disjoint and never touching: each run is given up for the held event just above it,
    // which is delivered at once.
    std::map<std::uint64_t, std::uint64_t> skipped;
    bool is_skipped(std::uint64_t seq) const;
    // When the longest-waiting held event arrived; held must not be empty.
    microseconds oldest_since() const { return held.at(arrivals.front()).since; }
    seq_no complete_prefix() const { return skipped.empty() ? contiguous : seq_no{skipped.begin()->first - 1}; }
  };
  void drain(author_state& a, std::vector<wire::verified_event>& out);
  void skip_to(author_state& a, seq_no last_skipped, std::vector<wire::verified_event>& out);
  bool take_skipped(author_state& a, std::uint64_t seq);
  void forget_oldest_ranges(author_state& a);

  limits limits_;
  std::unordered_map<peer_id, author_state> authors_;
  // Events held across all authors. Usually none: the room asks for the next deadline after
  // every input, and walking every author's state each time was a tenth of all CPU at N=200.
  std::size_t held_total_ = 0;
};

}  // namespace peerchat
