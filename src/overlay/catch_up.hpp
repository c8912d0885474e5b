// Fetching the history a node lacks: for each author a range (after, upto] of sequence numbers,
// requested from one neighbour in bounded Wants and received in sequence order. Used when a
// node joins or comes back: the events before the room's vector at that moment are history
// (stored, not shown live); everything after it is live delivery's business.
// Sans-IO and single-threaded: it only keeps the books; the room sends and receives.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <vector>

#include "core/ids.hpp"

namespace peerchat {

class catch_up {
public:
  struct range {
    peer_id author;
    seq_no after;
    seq_no upto;
  };
  // At most `events_per_want` events asked for by one Want, and `wants_in_flight` Wants
  // unanswered at once: the pipeline that keeps both ends busy without unbounded buffers.
  catch_up(std::size_t events_per_want, std::size_t wants_in_flight)
      : events_per_want_(events_per_want), wants_in_flight_(wants_in_flight) {}

  // We lack the author's events after < seq <= upto. Widens a range already open.
  void want(const peer_id& author, seq_no after, seq_no upto);
  // True if (author, seq) is history we are waiting for.
  bool expects(const peer_id& author, seq_no seq) const;
  void received(const peer_id& author, seq_no seq);

  // The next Want's ranges, claimed as requested; empty if nothing is left to ask or enough
  // Wants are unanswered.
  std::vector<range> next_want();
  // The answer to one Want is complete. Once all are, what was asked for and did not come is
  // given up (the source did not hold it); returns how many events that was.
  std::uint64_t answered();
  // The source is gone: everything asked for and not received is asked again.
  void source_lost();

  // While the author's range is open: the highest seq below which we hold everything.
  std::optional<seq_no> held_prefix(const peer_id& author) const;
  bool done() const { return authors_.empty(); }
  std::uint64_t received_total() const { return received_total_; }

private:
  struct author_range {
    std::uint64_t next;     // lowest seq not received yet
    std::uint64_t claimed;  // highest seq asked for
    std::uint64_t upto;
  };
  std::size_t events_per_want_;
  std::size_t wants_in_flight_;
  std::size_t in_flight_ = 0;
  std::uint64_t received_total_ = 0;
  std::map<peer_id, author_range> authors_;  // ordered: Wants walk authors in a stable order
};

}  // namespace peerchat
