// The room protocol core, sans-IO: it owns the member table, failure detection (SWIM), the
// active view of links (HyParView-like), broadcast (Plumtree) and event delivery, and never
// touches a socket, clock or thread. Feed it inputs (a link came up, a frame or datagram
// arrived, a timer fired, the user typed something) together with `now`; collect the actions
// it wants done with take_actions(), and call on_tick() at next_deadline().
// Single-threaded: the owner serialises all calls. Errors become close actions and
// ui_event::error, never exceptions.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <system_error>
#include <unordered_map>
#include <unordered_set>
#include <variant>
#include <vector>

#include "core/config.hpp"
#include "core/rate_limit.hpp"
#include "crypto/room_secret.hpp"
#include "membership/failure_detector.hpp"
#include "membership/member_table.hpp"
#include "membership/name_registry.hpp"
#include "node/events.hpp"
#include "overlay/catch_up.hpp"
#include "node/missed_lines.hpp"
#include "overlay/fifo_delivery.hpp"
#include "overlay/plumtree.hpp"
#include "proto/peerchat.pb.h"

namespace peerchat {

class identity;
using link_id = std::uint64_t;

// Naming a member by its id (/msg, /whois): at least this many of its first hex digits, in
// either case. Defined in room_names.cpp.
inline constexpr std::size_t min_id_prefix = 2;
bool is_id_prefix(std::string_view s);
bool id_starts_with(const peer_id& id, std::string_view prefix);

namespace action {
struct send {  // one encoded frame; bulk (file data) waits behind everything else
  link_id link;
  std::shared_ptr<const std::string> bytes;
  bool bulk = false;
};
struct close {  // say Bye{reason}, then close
  link_id link;
  std::error_code reason;
  std::string dial_instead{};  // the Bye's hint: a member with room for the closed link's peer
};
// The Bye frame that says why a link is closed.
std::shared_ptr<const std::string> encode_bye(const close& act);
struct dial { std::string addr; };
struct datagram { std::string addr; std::shared_ptr<const std::string> bytes; };  // one UDP packet
struct emit { ui_event_t event; };
struct log {                            // one operator-facing line (refused links etc.)
  std::string line;
  bool routine = false;                  // expected in normal operation: debug level
};
struct finished { std::error_code error; };  // stop the node: left, or could not join
// History (only with a store, see room::restore). Our own event: write it durably, then call
// on_own_stored (or on_own_store_failed); it is neither shown nor sent before.
struct store_own { wire::verified_event event; };
struct store_events { std::vector<wire::verified_event> events; };  // received: store in the background
// Read these ranges from the store and hand them to on_events_loaded for `link`.
struct load_events { link_id link; std::uint32_t tag; std::vector<catch_up::range> ranges; };
struct remember_peer { peer_id peer; std::string addr; };  // for rejoining after a restart
}  // namespace action

// A private message as the store keeps it: at its sender and its recipient only.
struct direct_record {
  std::string id;  // 16 bytes
  peer_id peer;    // the other party
  bool outgoing = false;
  microseconds sent{0};
  std::string text;
  ui_event::direct_state status = ui_event::direct_state::pending;
};

namespace action {
struct store_direct { direct_record record; };  // insert, or update the status of `record.id`
// Files (src/files): a transfer frame for us from a member, over its link or relayed; a file
// offered to the room (an event) or to us alone (a private message); and our private offer,
// acknowledged by its recipient.
struct file_frame { peer_id from; wire::pb::Frame frame; };
struct file_offered { peer_id from; wire::pb::FileOffer offer; bool to_room = true; };
struct file_offer_delivered { wire::pb::FileOffer offer; };
}  // namespace action

using room_action = std::variant<action::send, action::close, action::dial, action::datagram,
                                 action::emit, action::log, action::finished, action::store_own,
                                 action::store_events, action::load_events, action::remember_peer,
                                 action::store_direct, action::file_frame, action::file_offered,
                                 action::file_offer_delivered>;

// What a node's store remembers of earlier runs, handed to room::restore.
struct restored_history {
  seq_no own_seq;                 // our last stored event
  std::string own_prev_hash;      // its id, for the next event's prev_hash
  lamport_time lamport;           // the highest Lamport time held
  std::vector<std::pair<peer_id, seq_no>> held;  // the store's version vector
  std::vector<std::string> peer_addrs;           // most recently seen first
  std::vector<direct_record> undelivered;        // our private messages still to deliver
  std::string own_name;  // the name we last had; started under another, we announce a Nick
};

// Protocol counters, for the simulator and benchmarks.
struct room_stats {
  std::uint64_t events_delivered = 0;   // first copies of others' events
  std::uint64_t event_copies = 0;       // every copy of an event that arrived in full
  std::uint64_t ihave_refs_sent = 0;
  std::uint64_t grafts_sent = 0;
  std::uint64_t history_received = 0;  // events fetched by catch-up
  std::uint64_t flood_dropped = 0;     // events of muted members, dropped unverified
};

class room {
public:
  // `seed` drives every random choice (probe order, link candidates): the simulator passes a
  // fixed one so runs repeat exactly.
  room(const config& cfg, const identity& id, instant now, std::uint64_t seed);

  // We listen at `listen_addr` (as others should dial it). Founds the room or dials --join.
  void start(std::string listen_addr, instant now);
  // Before start(), for a node with a store: continue from what it holds. From then on the
  // room asks for history at join, writes events through store actions and serves catch-up
  // from the store. Without it (the simulator) history is what the recent-event cache holds.
  void restore(restored_history h);
  // The store's answers to store_own and load_events.
  void on_own_stored(seq_no upto, instant now);
  void on_own_store_failed(seq_no first, std::error_code why);
  void on_events_loaded(link_id link, std::uint32_t tag, std::vector<std::string> signed_events);
  // A link finished TLS; `peer` is the id from its certificate, `remote_ip` the address seen.
  // `dialed_addr` is the address we dialed, empty for a link we accepted. `exporter` is the
  // session's room_proof_exporter value: closed rooms bind their proofs to it. `link` is new:
  // the caller never reuses the id of a link it has not yet reported down.
  void on_link_up(link_id link, const peer_id& peer, std::string dialed_addr,
                  std::string remote_ip, const session_exporter& exporter, instant now);
  void on_frame(link_id link, wire::pb::Frame frame, instant now);
  void on_link_down(link_id link, std::error_code why, instant now);
  void on_dial_failed(const std::string& addr, std::error_code why, instant now);
  // A UDP datagram (SWIM) arrived; the caller drops those above max_datagram_bytes.
  void on_datagram(std::string_view bytes, instant now);
  void on_tick(instant now);

  void say(std::string text, instant now);
  // A private message to the member named `who` (a name, or an id or its first hex digits).
  void send_direct(const std::string& who, std::string text, instant now);
  void nick(std::string new_name, instant now);
  // Files: offer ours to the room (as an event) or to one member (sealed, like /msg); and send
  // a transfer frame to a member, over our link to it or through relays (room_relay.cpp).
  void offer_file(const std::optional<peer_id>& to, wire::pb::FileOffer offer, instant now);
  // A private offer made before a restart: back in the outbox, delivered when `to` is reachable.
  void restore_private_offer(const peer_id& to, wire::pb::FileOffer offer, instant now);
  void send_to_member(const peer_id& to, const wire::pb::Frame& frame, bool bulk);
  // The member called `who` (as /msg resolves it), or nothing with an error shown.
  std::optional<peer_id> find_member(const std::string& who);
  void list_members();
  // Answers with ui_event::whois for the one member called `query` or whose id starts with
  // it (at least 4 hex digits), else ui_event::error (none, or ambiguous: use the id).
  void whois(std::string_view query);
  void leave(instant now);
  // Input has ended (a pipe closed): leave once every line we said in this run has reached
  // at least one other member and every private message of this run has its receipt, or,
  // after cfg.delivery_timeout, leave with an error (exit_code::not_delivered) that says what
  // did not. "Reached" is a neighbour's Summary listing our seq (docs/ARCHITECTURE.md).
  void finish_input(instant now);

  std::vector<room_action> take_actions() { return std::exchange(actions_, {}); }
  microseconds next_deadline() const;

  const member_table& members() const { return members_; }
  const std::string& room_name() const { return room_; }
  bool closed() const { return secret_.has_value(); }
  std::size_t active_links() const { return link_by_peer_.size(); }
  std::vector<peer_id> neighbours() const;
  const room_stats& stats() const { return stats_; }

  static constexpr std::size_t max_datagram_bytes = 1200;

private:
  struct link_state {
    peer_id peer;
    std::string dial_addr;  // empty if the peer dialed us
    std::string remote_ip;
    bool established = false;
    std::string bye_reason;  // what the peer said when it closed on us
    microseconds hello_deadline{0};
    std::uint32_t bye_code = 0;
    std::string bye_dial_instead{};  // the address the peer handed us over to, if any
    session_exporter exporter{};
    std::optional<wire::pb::Hello> peer_hello{};  // kept while a closed room's proof is due
    bool told_observations_capped = false;  // logged that its observations went over the rate
    bool we_dialed() const { return !dial_addr.empty(); }
  };

  void handle_hello(link_id link, link_state& ls, const wire::pb::Hello& hello, instant now);
  void handle_room_proof(link_id link, link_state& ls, const wire::pb::RoomProof& proof, instant now);
  bool check_dialer_proof(link_id link, const link_state& ls, const wire::pb::Hello& hello);
  void admit(link_id link, link_state& ls, const wire::pb::Hello& hello, instant now);
  std::string swim_room() const;
  const std::string& join_addr() const;  // the address of the member we join through, now
  void establish(link_id link, link_state& ls, const wire::pb::Hello& hello, instant now);
  void handle_members(link_id from, const wire::pb::Members& msg, instant now);
  void admit_or_refuse(link_id link, link_state& ls, const wire::pb::Hello& hello, instant now);
  void handle_event(link_id from, wire::pb::SignedEvent ev, instant now);
  void handle_ihave(link_id from, const wire::pb::IHave& msg, instant now);
  void send_ihave(link_id link, const plumtree_out::ihave& batch);
  void handle_graft(link_id from, const wire::pb::Graft& msg);
  void handle_summary(link_id from, const wire::pb::Summary& msg, instant now);
  void handle_digest(link_id from, const wire::pb::SummaryDigest& msg);
  void handle_want(link_id from, const wire::pb::Want& msg);
  void handle_event_batch(link_id from, const wire::pb::EventBatch& msg, instant now);
  void send_summary(instant now);
  void send_full_summary(link_id link, bool answer);
  void send_digest(link_id link);
  std::vector<std::pair<peer_id, seq_no>> advertised_vector() const;
  void take_baseline(const wire::pb::Members& msg, link_id from);
  void request_history();
  // `repaired`: fetched from `sender` by anti-entropy rather than pushed along the tree.
  void accept_live(wire::verified_event ev, const peer_id& sender, std::uint32_t hops, instant now,
                   bool repaired = false);
  void switch_catch_up_source(instant now);
  void handle_direct(link_id from, const wire::pb::Direct& msg);
  void retry_directs_to(const peer_id& peer, instant now);
  void send_direct_offer(const peer_id& to, wire::pb::FileOffer offer, instant now);
  void queue_direct(const member& to, std::string text, std::optional<wire::pb::FileOffer> file, instant now);
  void restore_outbox(std::vector<direct_record> undelivered);
  void handle_direct_ack(link_id from, const wire::pb::DirectAck& msg);
  void handle_relayed(link_id from, const wire::pb::Relayed& msg);
  void learn_route(const peer_id& peer, link_id via, instant now);
  void forward(const peer_id& to, const wire::pb::Frame& frame, std::optional<link_id> except, bool bulk);
  void route_direct(const peer_id& to, const wire::pb::Frame& frame, std::optional<link_id> except);
  bool first_sight(std::string key);
  void post_direct(const std::string& id, instant now);
  void run_outbox(instant now);
  const member* resolve(const std::string& who);
  bool muted(const peer_id& author, instant now);
  bool admit_rate(const peer_id& author, instant now);
  void check_catch_up(instant now);
  void dial_remembered(instant now);
  void request_gap_below(const event_ref& held, const peer_id& holder, std::uint32_t holder_hops, instant now);
  bool still_flowing(const peer_id& author, seq_no prefix, instant now);
  void deliver(const wire::verified_event& ev, bool late = false);
  ui_event::message message_of(const wire::verified_event& ev, bool late = false) const;
  void deliver_and_store(std::vector<wire::verified_event> ready, bool late);
  void publish(wire::pb::EventBody body, instant now);
  void continue_sequence(seq_no held_by_others);
  void remember(const event_ref& ref, wire::pb::SignedEvent& ev, std::uint32_t hops,
                std::optional<peer_id> came_from);
  void run_plumtree();
  void announce(const member& m, merge_outcome outcome, const std::string& old_name);
  void note_name(const peer_id& id, const std::string& name);  // warns on a name collision
  void member_changed(const member& m, merge_outcome outcome, instant now);
  void maintain_links(instant now);
  void dial_a_failed_member(instant now);
  void drop_link_state(link_id link, const link_state& ls);

  void handle_ping(const wire::pb::Ping& ping);
  void handle_ping_req(const wire::pb::PingReq& req);
  void handle_ack(std::string_view raw, const wire::pb::Ack& ack);
  void run_swim(instant now);
  void send_ping(const peer_id& target, std::uint64_t nonce, const std::optional<peer_id>& requester);
  void send_datagram(const peer_id& to, const wire::pb::Datagram& d);
  void send_swim_bytes(const peer_id& to, std::shared_ptr<const std::string> bytes);
  void refuse(link_id link, std::error_code why, const std::string& detail = {}, bool routine = false,
              std::string dial_instead = {});
  void take_hand_over(const std::string& addr, instant now);
  void fail_join(const std::string& addr, const std::string& reason, std::error_code why);
  // A restarted node (no --join) whose remembered member refused our secret before any link
  // was admitted: the room will not take us, so give up instead of dialing on.
  void check_rejoin_refused(const link_state& ls, std::error_code why);
  void note_delivered(seq_no theirs, instant now);
  void run_drain(instant now);
  void learn_observed_ip(const std::string& ip);
  // A new name or address, or a rumour of our death to refute: a new incarnation, signed, to
  // every link.
  void take_new_incarnation(std::string name, std::string addr);
  void announce_restored_name(instant now);
  // A record heard from others: one that raises the member's incarnation (or names a member
  // we do not know) must carry its proof. At an incarnation we know it is an observation
  // (suspect, failed, left), of which member_table::merge takes only the state.
  bool vouched(const member& m) const;

  void send(link_id link, const std::shared_ptr<const std::string>& bytes, bool bulk = false);
  void broadcast(const wire::pb::Frame& frame, std::optional<link_id> except);
  void send_member_list(link_id link);
  void spread_record(const member& m, std::optional<link_id> except);
  wire::pb::Hello make_hello() const;
  peer_info info_of(const member& m) const;
  void emit(ui_event_t e) { actions_.emplace_back(action::emit{std::move(e)}); }
  void finish_leaving();

  const config& cfg_;
  const identity& id_;
  std::optional<room_secret> secret_;  // set in a closed room
  std::string room_;
  std::string listen_addr_;
  member_table members_;
  name_registry names_;
  fifo_delivery delivery_;
  seq_no own_seq_;
  lamport_time lamport_;
  std::string own_prev_hash_;
  bool ready_ = false;
  bool baseline_taken_ = false;  // the join link's version vector says where authors start
  bool leaving_ = false;
  bool has_store_ = false;
  bool finished_sent_ = false;
  bool admitted_once_ = false;  // some link was established in this run
  // The person was told that no member is reachable now; told again once one is.
  bool told_cut_off_ = false;
  // finish_input: what must be acknowledged before we leave, and until when we wait.
  seq_no run_start_seq_;              // our last event before this run
  seq_no delivered_own_;              // the highest seq of ours a neighbour listed
  std::optional<seq_no> drain_target_;
  microseconds drain_deadline_{0};
  microseconds next_echo_{0};
  // Our events written to disk or on their way there, not sent yet, oldest first.
  std::deque<wire::verified_event> unsent_own_;
  seq_no stored_seq_;          // what to roll back to if the disk refuses
  std::string stored_prev_hash_;
  std::vector<std::string> remembered_peers_;
  std::string restored_name_;  // restore(): the name of our last run
  catch_up catch_up_{4096, 2};
  std::optional<link_id> catch_up_link_;
  bool catch_up_reported_ = true;
  std::uint64_t catch_up_unavailable_ = 0;
  microseconds catch_up_progress_at_{0};
  // What catch-up fetched, shown when it is done: a returning member sees what it missed, a
  // newcomer the room's latest lines (issue 18: counting them told a person nothing).
  static constexpr std::size_t missed_lines_shown = 20;
  missed_lines missed_{missed_lines_shown};
  bool returning_ = false;  // the store held events of the room before this run
  std::size_t join_attempt_ = 0;  // 0: cfg_.join, then cfg_.join_fallbacks in turn
  static constexpr std::size_t max_join_retries = 3;       // rounds over the join addresses
  static constexpr microseconds join_retry_pause{1'000'000};
  std::size_t join_retries_ = 0;
  microseconds join_retry_at_{0};  // when to dial the join address again; 0: not waiting
  std::unordered_map<link_id, link_state> links_;
  std::unordered_map<peer_id, link_id> link_by_peer_;
  std::unordered_map<std::string, microseconds> dialing_;     // addr -> dial started
  std::unordered_map<std::string, microseconds> retry_after_;  // addr -> end of its backoff
  microseconds next_maintenance_{0};
  microseconds next_refill_{0};
  microseconds next_summary_{0};
  microseconds next_rejoin_{0};  // after an "active view full", top up slowly
  std::mt19937_64 rng_;
  failure_detector swim_;
  plumtree tree_;
  // Recent events in wire form (hops set for the next link), to push and to answer grafts.
  // FIFO-bounded by max_recent_events.
  struct recent_event {
    std::shared_ptr<const std::string> frame;
    std::uint32_t hops;                 // links our copy crossed (0: our own)
    std::optional<peer_id> came_from;   // our parent for it, if not ours
  };
  std::unordered_map<event_ref, recent_event> recent_;
  std::deque<event_ref> recent_order_;
  room_stats stats_;
  rate_limiter<peer_id> event_rate_;
  rate_limiter<peer_id> observation_rate_;  // per neighbour: see config::observations_per_member_per_s
  // Private messages we sent and have no ack for, by id (bounded; kept in the store too).
  struct outgoing_direct {
    peer_id to;
    std::string text;
    microseconds sent{0};
    std::optional<wire::pb::FileOffer> file{};  // a private file offer rather than text
    microseconds next_try{0};
    microseconds pending_at{0};  // when to say "not delivered yet"
    std::uint32_t attempt = 0;
    bool told_pending = false;
    bool this_run = false;  // sent in this run (finish_input waits for its receipt)
    std::uint64_t order = 0;  // queued after every message with a lower one: sent again in this order
  };
  std::unordered_map<std::string, outgoing_direct> outbox_;
  std::uint64_t next_direct_order_ = 0;
  // Ids of the waiting messages among `ids`, in the order they were queued.
  void sort_by_queue_order(std::vector<std::string>& ids) const;
  // Relayed frames: the link each member's frames last came by, used to send it ours.
  struct route { link_id via; microseconds until; };
  std::unordered_map<peer_id, route> routes_;
  microseconds relay_clock_{0};  // `now` of the last input, for routes learnt in handlers
  // Private-message frames seen lately (id and attempt), so relays never loop; and ids
  // received, so a retried message is shown once.
  std::deque<std::string> seen_order_;
  std::unordered_set<std::string> seen_;
  std::unordered_map<peer_id, microseconds> muted_until_;  // members flooding the room
  // Per author, our in-order prefix and when it last moved (anti-entropy repairs only what
  // stays missing: see still_flowing). Bounded: cleared when it outgrows the member bound.
  struct prefix_seen { seq_no prefix; microseconds since{0}; };
  std::unordered_map<peer_id, prefix_seen> prefix_moved_;
  std::vector<room_action> actions_;
};

}  // namespace peerchat
