// A room core under fuzzing, driven only through its public API: a fixed identity, small
// bounds (so the fuzzer reaches them), four peers with fixed keys and a virtual clock.
// settle() performs the room's actions the way the node does (a link the room closes comes
// back as on_link_down) and checks what must hold whatever the peers send. Single-threaded.
#pragma once

#include <array>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "core/config.hpp"
#include "crypto/identity.hpp"
#include "node/room.hpp"

namespace peerchat::fuzz {

// The operations of room_fuzz's inputs (an opcode byte, then the arguments noted).
enum class room_op : std::uint8_t {
  link_up,       // link, peer, we_dialed
  frame,         // link, Frame bytes
  datagram,      // Datagram bytes
  tick,          // milliseconds (u16)
  link_down,     // link
  event,         // link, author peer, EventBody bytes: signed by that peer here
  ack,           // peer, answer_last_ping, nonce (u64), requester bytes: signed by that peer
  say,           // text
  nick,          // name
  leave,
  dial_failed,   // peer
  list_members,
  event_batch,   // link, author peer, tag (u16), last, count, EventBody bytes each: signed here
  direct,        // recipient (name or id prefix), text
  whois,         // query
  count,
};

class room_driver {
public:
  static constexpr std::size_t peer_count = 4;
  static constexpr const char* room_name = "fuzz-room";

  // A founder starts the room; a joiner dials peer 0 and adopts the room of its hello.
  enum class role { founder, joiner };
  // `with_store`: the room keeps history as a node with a data directory does (room::restore),
  // and this driver is its store, in memory.
  explicit room_driver(role r, bool with_store = false);

  room& core() { return *core_; }
  instant now() const { return now_; }
  void advance(microseconds by) { now_.mono += by; now_.wall += by; }

  const identity& peer(std::size_t i) const { return peers_.at(i % peer_count); }
  static std::string addr_of(std::size_t i) { return "127.0.0.1:" + std::to_string(7001 + i % peer_count); }
  // The nonce of the room's latest Ping to `peer`, to answer it with a valid Ack.
  std::optional<std::uint64_t> last_ping_nonce(std::size_t i) const;
  bool finished() const { return finished_; }

  // Runs the room's actions until it is quiet, checking each and the room's bounds.
  void settle();

  // A link to `peer` finished TLS (we dialed its address, or it dialed us); the one place that
  // speaks room::on_link_up, so a change of that signature is fixed here only. Like the node,
  // which numbers links from a counter, it never reuses a live link's id: that is ignored.
  void link_up(link_id link, std::size_t peer, bool we_dialed);
  // The link closed (by the peer, or by the room's own close action).
  void link_down(link_id link, std::error_code why);

  // What honest peers send, so inputs can reach past the hello and the signature checks.
  static wire::pb::Hello hello_of(std::size_t peer, const std::string& room);
  // Peer `peer`'s proof of an incarnation under `name` (Member.proof), for records an input sends.
  static std::string incarnation_proof(std::size_t peer, std::uint64_t incarnation, std::string_view name);
  wire::pb::Frame signed_event(std::size_t author, wire::pb::EventBody body) const;
  std::string signed_ack(std::size_t from, std::uint64_t nonce, const std::string& requester) const;

private:
  void perform(room_action& a);
  void store(const wire::verified_event& ev);
  std::vector<std::string> load(const std::vector<catch_up::range>& ranges) const;
  void check_frame(const std::string& bytes) const;
  void check_datagram(const std::string& bytes);

  config cfg_;
  const identity& self_;
  const std::array<identity, peer_count>& peers_;
  instant now_;
  std::unique_ptr<room> core_;
  std::set<link_id> live_links_;
  std::map<peer_id, std::uint64_t> ping_nonces_;
  std::map<std::pair<peer_id, std::uint64_t>, std::string> stored_;  // (author, seq) -> SignedEvent
  bool finished_ = false;
};

}  // namespace peerchat::fuzz
