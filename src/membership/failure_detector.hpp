// SWIM failure detection, sans-IO (Das, Gupta, Motivala 2002; memberlist's refinements).
// Each probe period the detector pings one member, in a shuffled round-robin so every member
// is probed within one pass. No ack within probe_timeout: it asks `indirect_probes` others to
// ping the member for it. No ack by the end of the period: the member is suspected. A
// suspicion that nobody refutes (the member raising its incarnation) expires after
//   suspicion_mult * max(1, log10(N)) * probe_interval
// and the member is declared failed. The detector decides; the owner (room) changes the
// member table, spreads the news and moves the datagrams. Single-threaded.
#pragma once

#include <cstdint>
#include <optional>
#include <random>
#include <utility>
#include <unordered_map>
#include <variant>
#include <vector>

#include "core/clock.hpp"
#include "core/ids.hpp"

namespace peerchat {

class member_table;

struct swim_config {
  microseconds probe_interval{500'000};
  microseconds probe_timeout{200'000};  // direct ack deadline; indirect acks get the rest
  std::size_t indirect_probes = 3;
  double suspicion_mult = 3.0;
};

namespace swim {
struct ping { peer_id target; std::uint64_t nonce; };                  // send a Ping
struct ping_req { peer_id helper; peer_id target; std::uint64_t nonce; };  // ask helper to ping
struct suspect { peer_id peer; };   // a probe failed: raise suspicion, then call suspected()
struct declare_failed { peer_id peer; std::uint64_t incarnation; };  // suspicion expired
using output = std::variant<ping, ping_req, suspect, declare_failed>;
}  // namespace swim

class failure_detector {
public:
  failure_detector(const swim_config& cfg, const peer_id& self, std::uint64_t seed);

  // Starts due probes and judges overdue ones. `members` supplies who can be probed.
  void on_tick(microseconds now, const member_table& members);
  // True when an ack from `from` with `nonce` would answer a probe in flight (check before
  // paying for the signature).
  bool awaits(const peer_id& from, std::uint64_t nonce) const;
  // A verified ack from `from` for `nonce` (direct, or forwarded by a helper).
  void on_ack(const peer_id& from, std::uint64_t nonce);
  // Check this member now rather than in turn (its link just dropped without a goodbye).
  void probe_now(const peer_id& peer, microseconds now);
  // `peer` is suspect at `incarnation`: start its suspicion clock unless it already runs.
  void suspected(const peer_id& peer, std::uint64_t incarnation, std::size_t room_size,
                 microseconds now);
  // `peer` became a live member (new, or back after a failure): it goes into the current
  // round at a random place (as memberlist does). Left for the next round, a member that joined
  // while a round of N members was under way waited up to N probe periods (500 s at
  // N = 1,000) to be probed by this node: after a mass crash a dead member that no survivor
  // had a link to went unprobed, and undeclared, for many seconds.
  void joined(const peer_id& peer);
  // `peer` refuted, left or failed: forget its probe and suspicion.
  void cleared(const peer_id& peer);

  std::vector<swim::output> take_outputs() { return std::exchange(outputs_, {}); }
  microseconds next_deadline() const;

  microseconds suspicion_timeout(std::size_t room_size) const;

private:
  struct probe {
    std::uint64_t nonce;
    microseconds direct_deadline;
    microseconds final_deadline;
    bool indirect_sent = false;
  };
  struct suspicion {
    std::uint64_t incarnation;
    microseconds deadline;
  };

  void start_probe(const peer_id& target, microseconds now);
  std::optional<peer_id> next_target(const member_table& members);
  void forgive_stall(microseconds stalled_for);

  swim_config cfg_;
  peer_id self_;
  std::mt19937_64 rng_;
  std::vector<peer_id> round_;  // this pass's shuffled probe order
  std::size_t round_pos_ = 0;
  std::vector<peer_id> helpers_;  // live members other than self, refreshed each tick
  microseconds next_probe_{0};
  microseconds last_tick_{0};
  std::unordered_map<peer_id, probe> probes_;
  std::unordered_map<peer_id, suspicion> suspicions_;
  std::vector<swim::output> outputs_;
};

}  // namespace peerchat
