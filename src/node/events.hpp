// What a node reports to its front end. Plain values, produced on the node's thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "core/clock.hpp"
#include "core/ids.hpp"
#include "membership/member_table.hpp"

namespace peerchat {

enum class leave_reason { left, failed };

struct peer_info {
  peer_id id;
  std::string name;
  std::string addr;
};

struct member_info {
  peer_info peer;
  microseconds since{0};  // wall clock of the member's join
  member_state state = member_state::alive;
  bool self = false;  // this node
};

namespace ui_event {

struct ready {
  peer_info self;
  std::string room;
  std::string invite{};  // filled in by the node: what /invite would print
};
struct member_joined { peer_info peer; };
struct member_left { peer_info peer; leave_reason reason; };
struct message {
  event_id id;
  peer_info from;
  seq_no seq;
  lamport_time lamport;
  microseconds sent{0};
  std::string text;
  bool late = false;  // arrived after newer events of the same author were shown
  bool missed = false;  // sent while we were away (or before we joined): fetched by catch-up
};
struct nick { peer_info peer; std::string old_name; std::string new_name; };
struct nodes { std::vector<member_info> members; };
struct help { std::vector<std::string> lines; };
// What this node has moved and done since it started. Link traffic covers every link, closed
// ones included, counted above TLS (length prefix + protobuf, no record overhead); datagrams
// are SWIM's UDP probes (payload bytes). The event counters come from the room core.
struct stats {
  std::uint64_t bytes_sent = 0;
  std::uint64_t bytes_received = 0;
  std::uint64_t frames_sent = 0;
  std::uint64_t frames_received = 0;
  std::size_t links = 0;  // links open now
  std::uint64_t datagrams_sent = 0;
  std::uint64_t datagrams_received = 0;
  std::uint64_t datagram_bytes_sent = 0;
  std::uint64_t datagram_bytes_received = 0;
  std::uint64_t events_delivered = 0;  // first copies of others' events
  std::uint64_t event_copies = 0;      // every copy of an event that arrived in full
  std::uint64_t ihave_refs_sent = 0;
  std::uint64_t grafts_sent = 0;
};
struct error {
  std::string message;
  int code = 0;  // non-zero: fatal, the process exits with this status (core/exit_code.hpp)
};
// The store's newest events in display order (Lamport time, then author id), oldest first.
struct history { std::vector<message> events; };
// Catch-up finished: the history from before we (re)joined is stored.
struct synced { std::uint64_t events = 0; std::uint64_t unavailable = 0; };
// Catch-up fetched `lines` chat lines sent while we were away (`returning`) or, for a newcomer,
// before we joined; the newest `shown` of them follow as messages marked `missed`.
struct missed { std::uint64_t lines = 0; std::uint64_t shown = 0; bool returning = false; };
// A private message, received or sent by us (our own are echoed, like room lines).
struct direct {
  std::string id;  // hex
  peer_info from;
  peer_info to;
  std::string text;
  microseconds sent{0};
};
enum class direct_state { delivered = 0, pending = 1, failed = 2 };  // as the store keeps them
struct direct_status { std::string id; direct_state status; std::string detail; };
inline const char* to_string(direct_state s) {
  return s == direct_state::delivered ? "delivered" : s == direct_state::pending ? "pending" : "failed";
}
// Answers /whois: everything this node knows of one member.
struct whois {
  member_info member;
  std::string fingerprint;          // the full key, grouped (core/ids.hpp)
  std::vector<std::string> names;   // every name seen with this key, first seen first
  bool linked = false;              // we hold a direct link to it
  bool self = false;
};
// Something the user should look at; the room goes on. kind "name-collision": `name`, last
// seen with the keys in `seen_with`, is now used by `peer` as well.
struct warning {
  std::string kind;
  std::string message;
  std::string name;
  peer_info peer;
  std::vector<peer_id> seen_with;
};
// Answers /invite: peerchat://ADDRS/ROOM#SECRET (src/core/invite.hpp).
struct invite {
  std::string url;
  bool qr = false;  // the user asked to see it as a QR code too
};

// Files (src/files). A file is named by the hex of its 16-byte id.
struct file_info {
  std::string id;
  std::string name;      // as offered (shown); the saved name is sanitised
  std::uint64_t size = 0;
  peer_info from;
  bool to_room = true;   // else offered to us (or by us) privately
  std::string state;     // offered, queued, fetching, complete, shared, failed, cancelled
  std::uint64_t bytes = 0;  // held so far
  peer_info to{};           // a private offer's recipient (zero id for the room's)
};
struct file_offer { file_info file; };
struct file_progress {
  std::string file_id;
  std::uint64_t bytes = 0;
  std::uint64_t total = 0;
  std::uint64_t rate_bps = 0;  // bytes per second since the last report
  std::size_t sources = 0;     // holders we fetch from
};
struct file_complete { std::string file_id; std::string path; std::string sha256; };
// Also the end of a download we cancelled (`cancelled`), or of serving a file we withdrew.
struct file_failed { std::string file_id; std::string reason; bool cancelled = false; };
struct files { std::vector<file_info> files; };  // answers /files

}  // namespace ui_event

using ui_event_t = std::variant<ui_event::ready, ui_event::member_joined, ui_event::member_left,
                                ui_event::message, ui_event::nick, ui_event::nodes,
                                ui_event::help, ui_event::error, ui_event::stats,
                                ui_event::history, ui_event::synced, ui_event::direct,
                                ui_event::direct_status, ui_event::invite, ui_event::whois,
                                ui_event::warning, ui_event::file_offer, ui_event::file_progress,
                                ui_event::file_complete, ui_event::file_failed, ui_event::files,
                                ui_event::missed>;

}  // namespace peerchat
