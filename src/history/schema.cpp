#include "history/schema.hpp"

#include <string>

namespace peerchat::history::schema {
namespace {

// Version 1.
// - authors: a small number per author key, so the 32-byte key is stored once rather than in
//   every event row and index entry, and each author's contiguous head (the version vector).
// - events: clustered by (author, seq) (WITHOUT ROWID), so reading an author's range is one
//   sequential scan; the lamport index serves display order. Numbers above INT64_MAX are
//   refused before they get here.
// - members, peer_addresses, meta: small tables of soft state, rewritten freely.
constexpr const char* version_1 = R"sql(
CREATE TABLE authors (
  author_no      INTEGER PRIMARY KEY,
  key            BLOB NOT NULL UNIQUE CHECK (length(key) = 32),
  contiguous_seq INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE events (
  author_no    INTEGER NOT NULL REFERENCES authors (author_no),
  seq          INTEGER NOT NULL CHECK (seq >= 1),
  lamport      INTEGER NOT NULL,
  sent_us      INTEGER NOT NULL,
  id           BLOB NOT NULL CHECK (length(id) = 32),
  kind         INTEGER NOT NULL,
  signed_event BLOB NOT NULL,
  PRIMARY KEY (author_no, seq)
) WITHOUT ROWID;
CREATE INDEX events_by_lamport ON events (lamport);
CREATE TABLE members (
  id           BLOB PRIMARY KEY CHECK (length(id) = 32),
  name         TEXT NOT NULL,
  addr         TEXT NOT NULL,
  incarnation  INTEGER NOT NULL,
  state        INTEGER NOT NULL,
  joined_at_us INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE peer_addresses (
  peer         BLOB PRIMARY KEY CHECK (length(peer) = 32),
  addr         TEXT NOT NULL,
  last_seen_us INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX peer_addresses_by_time ON peer_addresses (last_seen_us);
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;
)sql";

// Private messages, kept by their sender and recipient only. status: 0 delivered, 1 pending,
// 2 failed; an outgoing message stays pending until its recipient's signed receipt comes.
constexpr const char* version_2 = R"sql(
CREATE TABLE direct_messages (
  id       BLOB PRIMARY KEY CHECK (length(id) = 16),
  peer     BLOB NOT NULL CHECK (length(peer) = 32),
  outgoing INTEGER NOT NULL,
  sent_us  INTEGER NOT NULL,
  text     TEXT NOT NULL,
  status   INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX direct_messages_pending ON direct_messages (status) WHERE status = 1;
)sql";

// Files offered, shared and downloaded (src/files): one row per file, rewritten as its state
// changes; `state` is files::file_state. The chunk record of a download in progress lives
// beside its .part file, not here: it changes per chunk.
constexpr const char* version_3 = R"sql(
CREATE TABLE files (
  id       BLOB PRIMARY KEY CHECK (length(id) = 16),
  offerer  BLOB NOT NULL CHECK (length(offerer) = 32),
  to_room  INTEGER NOT NULL,
  peer     BLOB NOT NULL CHECK (length(peer) = 32),
  offer    BLOB NOT NULL,
  state    INTEGER NOT NULL,
  path     TEXT NOT NULL,
  hashes   BLOB NOT NULL,
  seen_us  INTEGER NOT NULL
) WITHOUT ROWID;
)sql";

// A private offer of ours that its recipient acknowledged: not offered again after a restart.
constexpr const char* version_4 = R"sql(
ALTER TABLE files ADD COLUMN delivered INTEGER NOT NULL DEFAULT 0;
)sql";

// /history names each line as its author was called then: the author's Nick events nearest
// the line, found through this index of the few events that are renames.
constexpr const char* version_5 = R"sql(
CREATE INDEX events_nicks ON events (author_no, seq) WHERE kind = 11;
)sql";

constexpr migration all[] = {{version_1}, {version_2}, {version_3}, {version_4}, {version_5}};

}  // namespace

std::span<const migration> migrations() { return all; }

void migrate(sqlite::connection& db, std::span<const migration> steps) {
  sqlite::transaction tx(db);
  // Read inside the transaction: another connection cannot have moved it since we looked.
  const auto from = static_cast<std::size_t>(db.query_int("PRAGMA user_version"));
  if (from >= steps.size()) return;  // nothing to do; the rollback changes nothing
  for (std::size_t i = from; i < steps.size(); ++i) db.exec(steps[i].sql);
  db.exec(("PRAGMA application_id = " + std::to_string(application_id)).c_str());
  db.exec(("PRAGMA user_version = " + std::to_string(steps.size())).c_str());
  tx.commit();
}

}  // namespace peerchat::history::schema
