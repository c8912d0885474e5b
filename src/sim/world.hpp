// A deterministic world for the room core: many real `room` instances on a virtual network
// in virtual time. Links keep TCP's per-direction order; frames and datagrams take a
// latency with jitter and may be lost; nodes crash (their links reset, as after SIGKILL, or
// go silent, as when a machine drops off) and restart on the same identity; the network may
// split into groups and heal. Every random choice comes from one seed, so a run repeats
// exactly. Invariants are checked as the run goes: a violation throws `invariant_violation`
// naming the seed and the step. Single-threaded.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <queue>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/config.hpp"
#include "crypto/identity.hpp"
#include "node/room.hpp"

namespace peerchat::sim {

struct network_config {
  microseconds latency{1'000};  // one way
  microseconds jitter{500};     // uniform extra delay, per frame
  double loss = 0.0;            // drop probability of each broadcast frame and datagram
};

// A member-joined or member-left one node showed, and when.
struct membership_news {
  microseconds at;
  std::size_t node;    // who showed it
  std::size_t member;  // about whom
  bool joined;         // else left (gracefully or failed)
};

struct invariant_violation : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// One chat line the world asked a node to say, and who got it when.
struct sent_message {
  std::size_t author;
  seq_no seq;
  microseconds sent_at;
  std::set<std::size_t> expected;                     // live, joined nodes at send time
  std::map<std::size_t, microseconds> delivered_at;   // node -> when
  std::map<std::size_t, int> hops;                    // node -> links crossed by its first copy
};

class world {
public:
  world(std::uint64_t seed, network_config net, config node_cfg);
  ~world();

  // Starts a node that joins through `through` (or founds the room); returns its index.
  std::size_t add_node(std::optional<std::size_t> through);
  void crash(std::size_t node, bool silent);
  // The node leaves gracefully (/quit): its Leave event and record go out on the links it
  // has, then its links close. A node with no reachable link keeps them on its disk only.
  void leave(std::size_t node);
  void restart(std::size_t node, std::size_t through);
  // Nodes in different groups cannot reach each other until heal().
  void partition(const std::vector<int>& group_of_node);
  void heal();
  // The node says a line now; it is tracked for delivery.
  void say(std::size_t node);

  void run_until(microseconds t);
  microseconds now() const { return now_; }

  std::size_t size() const { return nodes_.size(); }
  bool alive(std::size_t node) const;
  // When the node last crashed or left, if ever: it cannot have kept what was said before then.
  std::optional<microseconds> last_crash(std::size_t node) const;
  bool ready(std::size_t node) const;
  const room& core(std::size_t node) const;
  // Live nodes that every live node lists as a live member, and nothing else.
  bool membership_converged() const;
  // Connected components of the live nodes' established links.
  std::size_t components() const;
  // Links on the shortest path from `node` to the live node farthest from it: the fewest
  // hops any broadcast from it could take to reach everyone.
  std::size_t eccentricity(std::size_t node) const;
  const std::vector<sent_message>& messages() const { return messages_; }
  // Every member-joined and member-left shown, in order, by every node.
  const std::vector<membership_news>& membership_log() const { return membership_log_; }
  // Every live node's store holds the same events (after a drain: anti-entropy converged).
  bool histories_identical() const;
  std::uint64_t steps() const { return step_; }
  std::uint64_t seed() const { return seed_; }

private:
  struct node_state;
  struct link_end { std::size_t node; link_id link; };

  void schedule(microseconds at, std::function<void()> fn);
  void pump(std::size_t node);
  void arm(std::size_t node);
  void perform(std::size_t node, room_action& a);
  void deliver_frame(std::size_t from, link_id link, std::shared_ptr<const std::string> bytes);
  void dial(std::size_t from, const std::string& addr);
  void drop_link(std::size_t node, link_id link, bool tell_other);
  void note_hop(std::size_t from, std::size_t to, const wire::pb::SignedEvent& event);
  void on_emit(std::size_t node, const ui_event_t& e);
  restored_history restored_from(const node_state& n) const;
  static void keep(node_state& n, const wire::verified_event& ev);
  bool reachable(std::size_t a, std::size_t b) const;
  microseconds delay();
  [[noreturn]] void violated(const std::string& what) const;
  instant clock_of() const;
  std::optional<std::size_t> node_at(const std::string& addr) const;

  std::uint64_t seed_;
  network_config net_;
  config node_cfg_;
  std::mt19937_64 rng_;
  microseconds now_{0};
  std::uint64_t step_ = 0;
  std::uint64_t order_ = 0;  // ties in time run in scheduling order
  struct pending {
    microseconds at;
    std::uint64_t order;
    std::function<void()> fn;
    bool operator>(const pending& o) const { return at != o.at ? at > o.at : order > o.order; }
  };
  std::priority_queue<pending, std::vector<pending>, std::greater<>> queue_;
  std::vector<std::unique_ptr<node_state>> nodes_;
  std::unordered_map<std::string, std::size_t> by_addr_;
  std::unordered_map<peer_id, std::size_t> by_id_;
  std::vector<int> group_;  // empty: no partition
  std::vector<sent_message> messages_;
  std::vector<membership_news> membership_log_;
  std::map<std::pair<std::size_t, std::uint64_t>, std::size_t> message_index_;  // (author, seq)
  link_id next_link_ = 1;
};

}  // namespace peerchat::sim
