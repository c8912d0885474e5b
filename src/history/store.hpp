// The history store: a node's durable memory in one SQLite file (WAL mode) in its data directory.
// It keeps every event the node holds (its own and received ones, as signed bytes), each
// author's highest contiguous sequence number (the version vector), the member records, the
// addresses of peers seen, and a few key/value settings.
//
// Ownership and threading: `open_store` returns the only handle to the file; the store is not
// thread-safe and every call blocks on disk, so one thread (the node's loop, or one worker it
// posts to) owns it. Closing is destruction. A second store on the same file — in this process
// or another — is refused while the first lives (a lock file beside the database).
//
// Errors: `open_store` reports a code from core/error.hpp and a one-line message naming the
// file. Later calls return a code: storage_full, storage_corrupt, storage_read_only,
// storage_failed, sequence_not_next, event_malformed. The store never repairs, truncates or
// overwrites a file it did not create or cannot read as its own.
//
// Durability: `append_own` returns only after the event is on disk (fsync), so a node that sends
// after it returns never loses or reuses a sequence number, even on power loss. Everything else
// commits without fsync (SQLite synchronous=NORMAL): it survives a killed process, and a power
// cut may lose the last received batches, which peers send again at the next sync.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "core/ids.hpp"
#include "proto/peerchat.pb.h"
#include "wire/event.hpp"

namespace peerchat::history {

struct store_options {
  // Run SQLite's quick_check at open, so a damaged file is refused at start rather than found
  // mid-session. It reads the whole file: about 0.1 s per 100,000 events (bench/store_bench).
  bool check_at_open = true;
  // Upper bound on the database file; a write beyond it fails with storage_full, as a full disk
  // does. 0: only the disk bounds it.
  std::uint64_t max_bytes = 0;
  // Member records kept; beyond it tombstones (failed, left) go first, then the oldest joins.
  // Matches config::max_members.
  std::size_t max_members = 10000;
  // Peer addresses kept for rejoining without --join; the least recently seen go first.
  std::size_t max_peer_addresses = 1000;
  // Longest wait for a SQLite lock held by a foreign process (e.g. an sqlite3 shell).
  std::chrono::milliseconds busy_timeout{1000};
};

// Why open_store failed: a code for programs and a line for humans ("PATH is not a peerchat
// database", "PATH is in use by another peerchat (pid 4242)").
struct store_error {
  std::error_code code;
  std::string message;
};

// One stored event: the indexed fields and the serialized pb::SignedEvent, exactly as signed,
// ready to be forwarded or framed without re-encoding.
struct stored_event {
  peer_id author;
  seq_no seq;
  lamport_time lamport;
  std::chrono::microseconds sent_at{0};  // the author's wall clock
  event_id id;
  std::string signed_event;
};

// A second, different event at an (author, seq) already held: the author forked its feed.
// The store keeps the first and refuses the second.
// A chat line for /history: a Text event, and the name its author had when writing it as the
// author's own signed Nick events tell it: the new name of its last Nick before the line, else
// the old name of its first Nick after it; empty when the store holds no Nick of the author
// (then its name has not changed by a Nick since, and the member record's name holds).
struct stored_line {
  stored_event event;
  std::string name;
};

struct fork_report {
  peer_id author;
  seq_no seq;
  event_id kept;
  event_id refused;
};

struct append_report {
  std::size_t inserted = 0;
  std::size_t duplicates = 0;  // the same event again: ignored
  std::size_t malformed = 0;   // a number beyond SQLite's signed 64-bit range: ignored
  std::vector<fork_report> forks;
  std::error_code error;  // when set, nothing of the batch was stored
};

// room_closed: "1" when the room last joined had a secret (kept in DATA_DIR/room.secret), "0"
// when it was open: a plain restart takes the saved secret only for a closed room.
enum class meta_key { room_name, display_name, room_closed };

// A private message at its sender or recipient.
enum class direct_status { delivered = 0, pending = 1, failed = 2 };
struct stored_direct {
  std::string id;  // 16 bytes
  peer_id peer;    // the other party
  bool outgoing = false;
  std::chrono::microseconds sent_at{0};
  std::string text;
  direct_status status = direct_status::pending;
};

// A file offered, shared or downloaded; src/files gives `state` its meaning.
struct stored_file {
  std::string id;  // 16 bytes
  peer_id from;
  bool to_room = true;
  peer_id to;      // a private offer's recipient
  std::string offer;   // serialized FileOffer
  int state = 0;
  std::string path;
  std::string hashes;
  std::chrono::microseconds seen{0};
  bool delivered = false;  // a private offer of ours: its recipient acknowledged it
};

struct peer_address {
  peer_id peer;
  std::string addr;  // HOST:PORT
  std::chrono::microseconds last_seen{0};
};

// Every query that returns events returns at most this many, whatever the caller asks.
inline constexpr std::size_t max_events_per_query = 65536;

class store {
public:
  virtual ~store() = default;

  // --- events ---------------------------------------------------------------------------------
  // Stores this node's next event durably (fsync) before returning. `ev.seq` must be exactly
  // one past the author's highest stored seq (sequence_not_next otherwise, e.g. after a reuse).
  std::error_code append_own(const wire::verified_event& ev) { return append_own_run({&ev, 1}); }
  // The same for consecutive own events in one transaction and one fsync (group commit): all
  // are stored or none.
  virtual std::error_code append_own_run(std::span<const wire::verified_event> run) = 0;
  // Stores received events in one transaction, in any order. Duplicates are ignored; a fork
  // keeps the first event and is reported. Fast path for sync: call with batches of ~1000.
  virtual append_report append_batch(std::span<const wire::verified_event> events) = 0;

  virtual bool contains(const peer_id& author, seq_no seq, std::error_code& ec) = 0;
  // Author -> highest seq s such that 1..s are all held. Authors with nothing contiguous are
  // left out. Costs one row per author (maintained on insert).
  virtual std::vector<std::pair<peer_id, seq_no>> version_vector(std::error_code& ec) = 0;
  // The author's events with seq > `after`, in seq order, at most `limit` (and
  // max_events_per_query).
  virtual std::vector<stored_event> events_after(const peer_id& author, seq_no after,
                                                 std::size_t limit, std::error_code& ec) = 0;
  // The newest `n` events in display order (lamport, author id), oldest first: /history N.
  virtual std::vector<stored_event> last_events(std::size_t n, std::error_code& ec) = 0;
  // The newest `n` chat lines (Text events: nick changes, leaves and file offers are not
  // lines) in the same display order, oldest first, each with its author's name then.
  virtual std::vector<stored_line> last_lines(std::size_t n, std::error_code& ec) = 0;
  // The author's highest-seq event; for this node's own id it gives the seq and prev_hash to
  // continue from after a restart.
  virtual std::optional<stored_event> last_event_of(const peer_id& author, std::error_code& ec) = 0;
  // The largest Lamport time held, so a restarted node's clock continues past it.
  virtual lamport_time highest_lamport(std::error_code& ec) = 0;
  virtual std::uint64_t count(std::error_code& ec) = 0;  // reads every event: not per message
  // Deletes the oldest events (display order) beyond `keep`, but never an author's newest.
  // Version vectors do not go back: a peer asking for pruned events gets what is left.
  virtual std::error_code prune_to(std::uint64_t keep) = 0;

  // --- members, peers, settings ---------------------------------------------------------------
  // Inserts or replaces records (by id) in one transaction; keeps at most max_members.
  virtual std::error_code save_members(std::span<const wire::pb::Member> members) = 0;
  virtual std::vector<wire::pb::Member> load_members(std::error_code& ec) = 0;
  // Remembers that `peer` was reachable at `addr` at `seen_at` (one address per peer).
  virtual std::error_code note_peer_address(const peer_id& peer, std::string_view addr,
                                            std::chrono::microseconds seen_at) = 0;
  // Most recently seen first, at most `k`.
  virtual std::vector<peer_address> recent_peer_addresses(std::size_t k, std::error_code& ec) = 0;
  virtual std::error_code set_meta(meta_key key, std::string_view value) = 0;
  // Inserts a private message, or updates the status of one already kept (same id).
  virtual std::error_code save_direct(const stored_direct& message) = 0;
  // Our messages still waiting for a receipt, oldest first, at most `k`.
  virtual std::vector<stored_direct> pending_directs(std::size_t k, std::error_code& ec) = 0;
  virtual std::optional<std::string> meta(meta_key key, std::error_code& ec) = 0;
  // Files: insert or replace by id; load the newest `k`.
  virtual std::error_code save_file(const stored_file& file) = 0;
  virtual std::vector<stored_file> load_files(std::size_t k, std::error_code& ec) = 0;
};

// Opens (or creates, with its directory's lock file `db_path` + ".lock") the store at
// `db_path`, migrating an older schema. Returns null and fills `error` for: a file in use by
// another peerchat (storage_in_use), another program's database or a non-database
// (storage_foreign), a newer schema (storage_newer_schema), a damaged file (storage_corrupt),
// a read-only file or directory (storage_read_only), a full disk (storage_full).
std::unique_ptr<store> open_store(const std::filesystem::path& db_path,
                                  const store_options& options, store_error& error);

}  // namespace peerchat::history
