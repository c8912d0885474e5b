// Plumtree broadcast (Leitão, Pereira, Rodrigues 2007), sans-IO. Neighbours are eager or lazy.
// A new event goes in full to the eager ones and as an IHave (its ref only) to the lazy ones.
// A copy that arrives twice marks its sender lazy (prune), so the eager links settle into a
// spanning tree. An IHave for an event that does not arrive in time grafts the announcer:
// it becomes eager and sends the event. This repairs the tree after failures or loss.
// This class decides *whom* to tell *what*; the owner holds the payloads and sends frames.
// Bounded: at most `max_missing` refs awaited, `max_lazy_queue` refs queued per neighbour.
// Single-threaded.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <variant>
#include <vector>

#include "core/clock.hpp"
#include "core/ids.hpp"

namespace peerchat {

// Names an event cheaply: every author numbers its events 1, 2, 3 ...
struct event_ref {
  peer_id author;
  seq_no seq;
  friend bool operator==(const event_ref&, const event_ref&) = default;
};

}  // namespace peerchat

template <>
struct std::hash<peerchat::event_ref> {
  std::size_t operator()(const peerchat::event_ref& r) const noexcept {
    return std::hash<peerchat::peer_id>{}(r.author) ^ (r.seq.value * 0x9e3779b97f4a7c15ULL);
  }
};

namespace peerchat {

struct plumtree_config {
  microseconds ihave_delay{20'000};      // IHaves are batched this long: fewer, fuller frames
  microseconds graft_timeout{250'000};   // an announced event may lag its IHave this much
  microseconds graft_retry{150'000};     // then ask the next announcer after this
  std::size_t max_missing = 8192;
  std::size_t max_lazy_queue = 4096;
};

namespace plumtree_out {
struct push { peer_id to; event_ref ref; };             // send the event itself
struct ihave { peer_id to; std::vector<event_ref> refs; };
struct graft { peer_id to; std::vector<event_ref> refs; };
struct prune { peer_id to; };
using output = std::variant<push, ihave, graft, prune>;
}  // namespace plumtree_out

class plumtree {
public:
  explicit plumtree(const plumtree_config& cfg) : cfg_(cfg) {}

  void neighbor_up(const peer_id& peer);
  void neighbor_down(const peer_id& peer);

  // We hold a new event (our own, or the first copy, which came from `from`): pass it on.
  void broadcast(const event_ref& ref, const std::optional<peer_id>& from, microseconds now);
  // A copy of an event we already held came from `from`: that path is redundant.
  void duplicate(const peer_id& from);
  void on_prune(const peer_id& from);
  // `from` holds these; the caller passes only refs it does not hold itself.
  void on_ihave(const peer_id& from, const std::vector<event_ref>& missing, microseconds now);
  // `from` wants these: it becomes eager, and each ref becomes a push (if the caller has it).
  void on_graft(const peer_id& from, const std::vector<event_ref>& refs);

  void on_tick(microseconds now);
  std::optional<microseconds> next_deadline() const;
  std::vector<plumtree_out::output> take_outputs() { return std::exchange(outputs_, {}); }

  bool is_eager(const peer_id& peer) const { return eager_.contains(peer); }
  std::size_t eager_count() const { return eager_.size(); }

private:
  struct missing {
    std::deque<peer_id> announcers;
    microseconds deadline;
  };

  void flush_lazy();

  plumtree_config cfg_;
  std::unordered_set<peer_id> eager_;
  std::unordered_set<peer_id> lazy_;
  std::unordered_map<peer_id, std::vector<event_ref>> lazy_queue_;
  std::optional<microseconds> lazy_flush_at_;
  std::unordered_map<event_ref, missing> missing_;
  std::vector<plumtree_out::output> outputs_;
};

}  // namespace peerchat
