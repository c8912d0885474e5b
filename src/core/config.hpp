// Every tunable of a node, with its default and the reason for it. Collaborators (clock,
// identity, front end) are injected separately; this struct is plain data.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace peerchat {

inline constexpr std::uint32_t protocol_version_min = 1;
inline constexpr std::uint32_t protocol_version_max = 1;

struct config {
  std::string name;        // display name; need not be unique, the id disambiguates
  std::string room;        // empty when joining: adopt the room of the member we join through
  std::string listen = "0.0.0.0:0";  // port 0: the OS picks one and `ready` reports it
  std::string join;        // HOST:PORT of any member, empty to found a room
  // More addresses of the same member (an invite may list several), dialed in turn while
  // the previous one cannot be reached.
  std::vector<std::string> join_fallbacks;
  std::string data_dir;    // holds the identity key (mode 0600) and the history database
  // A closed room's secret (--secret, --secret-file, an invite); empty for an open room. It
  // never crosses the wire: links prove knowledge of it (src/crypto/room_secret.hpp).
  std::string secret;

  // A frame larger than this closes the link before anything is allocated. Chat frames are
  // small; 1 MiB leaves room for member lists of thousands and for file chunks later.
  std::size_t max_frame_bytes = 1 << 20;
  // Per-link send queue bound. A peer that stops reading is dropped once this fills, so one
  // stuck peer can never grow our memory; 8 MiB rides out seconds of congestion.
  std::size_t send_queue_max_bytes = 8 << 20;
  std::size_t send_queue_max_frames = 8192;
  // File chunks wait in a queue of their own, sent only when no other frame waits; when it is
  // full a chunk is dropped (its puller asks again) rather than the link.
  std::size_t bulk_queue_max_bytes = 8 << 20;
  // A connection must finish TLS and hello within this, or it is closed.
  std::chrono::milliseconds handshake_timeout{5000};
  // HyParView's active view: the live links a node keeps, dialed or accepted. A room of up to
  // active_view + 1 members is a full mesh; a larger one a random graph of this degree, whose
  // diameter (and so broadcast hops) grows as log N while each node's cost stays constant.
  std::size_t active_view = 6;
  // Connections still in TLS or hello, on top of the active view: a flood of half-open
  // connections costs at most this many slots (each closed after handshake_timeout).
  std::size_t max_pending_links = 64;
  // Connections accepted from one IP address: bursts of 20, then 5 per second. Members dial
  // a few peers when they join or heal; a thousand connections from one place are a flood.
  double connections_per_address_per_s = 5;
  double connections_per_address_burst = 20;
  // Events accepted per member: bursts of 500 (a paste, a catch-up), then 100 per second. A
  // member beyond it is muted for flood_mute: its events are dropped, unverified, by every
  // honest node, so a flood dies at its neighbours. 0: unlimited (benchmarks).
  double events_per_member_per_s = 100;
  double events_per_member_burst = 500;
  std::chrono::milliseconds flood_mute{10000};
  // Observations (another member's record at the incarnation we hold, with a graver state:
  // suspect, failed) taken from one neighbour: bursts of 1000, then 20 per second. Each one
  // taken costs the room a flood, and a suspicion of a live member a second one (its
  // refutation), so unbounded, one insider's frame of 500 made 1000 floods. Honest
  // neighbours pass on each failure once: a 30% crash of 1000 members is 600 in all.
  double observations_per_member_per_s = 20;
  double observations_per_member_burst = 1000;
  // SWIM failure detection. One probe per interval; an ack is due within probe_timeout on
  // loopback or a LAN (raise both on slow links). A suspicion stands for
  // suspicion_mult * max(1, log10 N) * probe_interval before the member is declared failed:
  // 1.5 s at N <= 10, 4.5 s at N = 1000, so a kill is reported in about 2-3 s while a process
  // paused for a second still refutes in time.
  std::chrono::milliseconds probe_interval{500};
  std::chrono::milliseconds probe_timeout{200};
  std::size_t indirect_probes = 3;
  double suspicion_mult = 3.0;
  // Upper bound on member records (including tombstones of members that left).
  std::size_t max_members = 10000;
  // Longest chat line accepted from the user or the network.
  std::size_t max_text_bytes = 4096;
  // An author's event that arrives ahead of a gap waits this long for the gap to fill.
  std::chrono::milliseconds reorder_wait{2000};
  // Every this often a node sends one random neighbour its version vector, and each side
  // fetches what it lacks: the repair for events lost with a neighbour that died mid-send.
  std::chrono::milliseconds anti_entropy_interval{2000};
  // History a newcomer fetches and a node keeps: the newest N events, 0 for all of it.
  std::uint64_t history_limit = 0;
  // Retry delay for members we failed to dial.
  std::chrono::milliseconds redial_backoff{2000};
  // Files (src/files). Where downloads go; empty: DATA_DIR/downloads.
  std::string downloads_dir;
  bool auto_accept = false;           // download every file offered to us, without /get
  // Larger offers are refused, ours and others': a bound on what a stranger can make us store.
  std::uint64_t max_file_bytes = std::uint64_t{4} << 30;
  std::size_t max_transfers = 4;      // downloads running at once; more wait their turn
  // On leave, wait at most this long for the goodbye to reach our links.
  std::chrono::milliseconds leave_flush_timeout{1000};
  // When input ends (a pipe closed), wait this long for every line said to reach another
  // member before giving up with an error: long enough to join and for a slow neighbour's
  // anti-entropy answer, short enough that a script with nobody to talk to is told so.
  std::chrono::milliseconds delivery_timeout{30000};
  // How often a node whose input has ended asks its neighbours what they hold of it.
  std::chrono::milliseconds delivery_poll{500};
};

}  // namespace peerchat
