// Plumtree broadcast (Leitão, Pereira, Rodrigues 2007), sans-IO, with one tree per author:
// an author's first event goes in full to every neighbour; a copy that arrives twice marks
// its sender lazy *for that author* (prune), so each author's eager links settle into a
// first-arrival (near shortest-path) tree rooted at the author, and later events of that
// author cost one copy per member. Eager and lazy are per direction: the neighbour that
// pushes an author's events to us is upstream and only hears IHaves of that author from us,
// so a copy that reached us first by another path (a graft, a repair) is never pushed back
// up, where the duplicate would prune us off our parent and turn the tree around. Lazy
// neighbours get the event's ref in an IHave; an IHave for an event that does not arrive in
// time grafts the announcer (the one closest to the author first) and fetches it, which
// repairs the trees after failures and loss. A tree per author (instead of one
// shared tree) keeps every speaker's hop count near log N, at the price of one flood when
// an author first speaks (or when its tree was evicted). This class decides *whom* to tell
// *what*; the owner holds the payloads and sends frames.
// Bounded: `max_trees` authors' trees, `max_missing` refs awaited, `max_lazy_queue` refs
// queued per neighbour. Single-threaded.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
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
  // Seq first: the refs a table holds are mostly one busy author's, so comparing the 32-byte
  // key first compared equal keys all along a bucket's chain (2 % of a receiver's CPU).
  friend bool operator==(const event_ref& a, const event_ref& b) { return a.seq == b.seq && a.author == b.author; }
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
  // IHaves are batched and sent on a beat of this period: fewer, fuller frames. Each ref says
  // how long we held it before the frame left, and the receiver waits that much less, so
  // batching does not delay repairs (up to half the graft timeout).
  microseconds ihave_beat{100'000};
  // Where in the beat this node sends (the owner draws it at random): a delay counted from
  // each event's arrival made the whole room's IHaves for a line land together, a fixed time
  // later, on top of the next line (at 10 lines/s, 100 ms apart, N=200's p99 rose 49 -> 54 ms).
  microseconds ihave_phase{0};
  // An IHave never leaves sooner than this after its event came: while a flood's eager copies
  // are still on their way, an early IHave moved parents around (with 3 ms of jitter per
  // frame, one node of ten was left to graft, 250 ms late).
  microseconds ihave_min_hold{20'000};
  microseconds graft_timeout{250'000};   // an announced event may lag its announcer's copy this much
  microseconds graft_retry{150'000};     // then ask the next announcer after this
  microseconds parent_hold{1'000'000};   // an author's parent, once moved, stays this long
  std::size_t max_missing = 8192;
  std::size_t max_trees = 4096;
  std::size_t max_lazy_queue = 4096;
};

namespace plumtree_out {
struct push { peer_id to; event_ref ref; };             // send the event itself
struct ihave {
  peer_id to;
  std::vector<event_ref> refs;
  std::vector<microseconds> held;  // parallel to refs: how long we held each before announcing it
};
struct graft {
  peer_id to;
  std::vector<event_ref> refs;
  std::optional<peer_id> author;  // set (with no refs): make `to` eager for this author only
};
struct prune { peer_id to; peer_id author; };           // "only IHave me this author's events"
using output = std::variant<push, ihave, graft, prune>;
}  // namespace plumtree_out

class plumtree {
public:
  explicit plumtree(const plumtree_config& cfg) : cfg_(cfg) {}

  void neighbor_up(const peer_id& peer);
  void neighbor_down(const peer_id& peer);

  // We hold a new event: our own (no `from`), the first copy, pushed by `from`, which is
  // upstream for that author from then on (we announce to it, never push to it), or one
  // `repaired` (fetched from `from` by anti-entropy), which leaves the tree as it is. Pass it
  // on: in full to the author's other eager neighbours, as an IHave to the lazy ones.
  void broadcast(const event_ref& ref, const std::optional<peer_id>& from, microseconds now,
                 bool repaired = false);
  // A copy of `author`'s event we already held came from `from`: its pushes to us are
  // redundant, so we prune it. Ours to it go on until it prunes us: `from` may have taken us
  // as its parent (its copy reached us late because ours reached it late).
  void duplicate(const peer_id& from, const peer_id& author);
  void on_prune(const peer_id& from, const peer_id& author);
  // `from` holds these; the caller passes only refs it does not hold itself. `hops[i]`, when
  // given, is how many links `from`'s copy of missing[i] crossed: of several announcers, the
  // one closest to the author is grafted first, so a repaired node (and the subtree below it)
  // takes the shortest path offered, not the first.
  // `announced`: `from` sent an IHave (rather than a later event that showed a gap); one from
  // our parent for that author, which should have pushed it, is grafted at once.
  // `held[i]`, when given, is how long `from` held missing[i] before announcing it: for the
  // next event of an author's stream, the graft timeout counts from when the announcer got
  // its copy, not from its batched IHave.
  void on_ihave(const peer_id& from, const std::vector<event_ref>& missing, microseconds now,
                const std::vector<std::uint32_t>& hops = {}, bool announced = true,
                const std::vector<microseconds>& held = {});
  // True while an announced event is awaited (a graft is or will be under way for it).
  bool awaits(const event_ref& ref) const { return missing_.contains(ref); }
  // `from` wants these: it becomes eager, and each ref becomes a push (if the caller has it).
  void on_graft(const peer_id& from, const std::vector<event_ref>& refs);
  // `from` wants `author`'s events eagerly from now on (a tree optimisation, no payload).
  void on_graft_author(const peer_id& from, const peer_id& author);
  // The paper's tree optimisation: lazy `closer` announced an event of `author` that reached
  // us through eager `farther` over more links; make `closer` our parent for that author.
  void optimize(const peer_id& closer, const peer_id& farther, const peer_id& author, microseconds now);
  // A duplicate from `closer` crossed fewer links than the copy `farther` pushed first (it
  // came late because `closer` was itself repaired): keep `closer` as our parent for that
  // author and prune `farther`, instead of pruning the shorter path for good.
  void adopt(const peer_id& closer, const peer_id& farther, const peer_id& author, microseconds now);

  void on_tick(microseconds now);
  std::optional<microseconds> next_deadline() const;
  std::vector<plumtree_out::output> take_outputs() { return std::exchange(outputs_, {}); }

  bool is_eager(const peer_id& peer, const peer_id& author) const;
  bool is_parent(const peer_id& peer, const peer_id& author) const {
    auto it = parent_.find(author);
    return it != parent_.end() && it->second == peer;
  }

private:
  struct announcer {
    peer_id peer;
    std::uint32_t hops;  // links its copy crossed (unknown: the largest)
  };
  using deadline_index = std::multimap<microseconds, event_ref>;
  struct missing {
    std::deque<announcer> announcers;  // fewest hops first, then in order of announcement
    deadline_index::iterator due;      // its entry in due_: when to look at it again
    std::uint64_t progress;  // the author's highest seq we held when we last looked
    microseconds looked_at;  // when that was
    std::uint32_t grafts = 0;  // sent for it so far: each retry waits twice as long
    bool asked = false;        // a graft went out for it: its arrival may be the answer
  };

  void flush_lazy(microseconds now);
  microseconds next_beat(microseconds at) const;
  void set_deadline(missing& m, const event_ref& ref, microseconds at);
  void forget_missing(std::unordered_map<event_ref, missing>::iterator it);
  std::unordered_set<peer_id>& lazy_for(const peer_id& author);
  // Tell `peer` to stop pushing `author`'s events to us.
  void prune(const peer_id& peer, const peer_id& author);
  // `peer` is our parent for `author` now: we only announce to it, and if we pruned it before
  // (its push crossed our prune), we graft it back.
  void take_parent(const peer_id& peer, const peer_id& author);

  plumtree_config cfg_;
  std::unordered_set<peer_id> neighbours_;
  // Per author, the neighbours we only announce its events to: those that pruned us, and our
  // upstream (whoever pushed the author's events to us). Everyone else gets them in full.
  // Eager and lazy are per direction: a tree link is eager downstream, lazy upstream.
  std::unordered_map<peer_id, std::unordered_set<peer_id>> lazy_;
  // Per author, the neighbours we told to stop pushing to us (our prunes, until a graft).
  // The other direction of lazy_: a duplicate prunes only its sender's pushes to us, never
  // ours to it (the sender may have us as its only parent).
  std::unordered_map<peer_id, std::unordered_set<peer_id>> pruned_;
  // Per author, the neighbour we last took as parent (its push came first, we adopted or
  // grafted it): it should push to us, so an IHave from it means it holds us lazy.
  std::unordered_map<peer_id, peer_id> parent_;
  std::deque<peer_id> tree_order_;  // eviction order of lazy_ and highest_
  // Per author, the highest seq that reached us: tells a lagging eager stream from a loss.
  std::unordered_map<peer_id, std::uint64_t> highest_;
  // Per author, when optimize or adopt last moved its parent. Under load copies arrive out of
  // hop order all the time, and moving on each one churned the tree: every move leaves a gap
  // to graft and duplicates that move it again (30,000 moves per node in a 10 s throughput run).
  std::unordered_map<peer_id, microseconds> moved_at_;
  // Per author, when our parent's push last reached us first. While that is recent, another
  // neighbour's copy arriving first does not make it our parent: under load two paths of
  // about equal delay take turns, and following each first copy flipped the parent (and
  // pruned both paths) in a storm of grafts.
  std::unordered_map<peer_id, microseconds> parent_pushed_at_;
  bool may_move(const peer_id& author, microseconds now);
  struct queued_ref {
    event_ref ref;
    microseconds since;  // when we got it
  };
  std::unordered_map<peer_id, std::vector<queued_ref>> lazy_queue_;
  std::optional<microseconds> lazy_flush_at_;
  std::unordered_map<event_ref, missing> missing_;
  // missing_ by deadline. A lagging receiver awaits thousands of refs, and walking them all
  // for the next deadline after every input was a sixth of all CPU under the throughput
  // benchmark.
  deadline_index due_;
  std::vector<plumtree_out::output> outputs_;
};

}  // namespace peerchat
