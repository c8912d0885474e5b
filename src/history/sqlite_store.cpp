// Every SQL statement of the store, prepared once when it opens. The schema is in schema.cpp.
#include "history/sqlite_store.hpp"

#include <utility>

namespace peerchat::history {

sqlite_store::sqlite_store(file_lock lock, std::unique_ptr<sqlite::connection> db,
                           const store_options& options)
    : lock_(std::move(lock)),
      db_(std::move(db)),
      options_(options),
      find_author_(*db_, "SELECT author_no, contiguous_seq FROM authors WHERE key = ?1"),
      add_author_(*db_, "INSERT INTO authors (key) VALUES (?1)"),
      insert_event_(*db_,
                    "INSERT OR IGNORE INTO events "
                    "(author_no, seq, lamport, sent_us, id, kind, signed_event) "
                    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"),
      event_id_at_(*db_, "SELECT id FROM events WHERE author_no = ?1 AND seq = ?2"),
      seqs_after_(*db_, "SELECT seq FROM events WHERE author_no = ?1 AND seq > ?2 ORDER BY seq"),
      set_contiguous_(*db_, "UPDATE authors SET contiguous_seq = ?2 WHERE author_no = ?1"),
      highest_seq_(*db_, "SELECT coalesce(max(seq), 0) FROM events WHERE author_no = ?1"),
      contains_(*db_,
                "SELECT 1 FROM authors a JOIN events e USING (author_no) "
                "WHERE a.key = ?1 AND e.seq = ?2"),
      version_vector_(*db_, "SELECT key, contiguous_seq FROM authors WHERE contiguous_seq > 0"),
      events_after_(*db_,
                    "SELECT a.key, e.seq, e.lamport, e.sent_us, e.id, e.signed_event "
                    "FROM authors a JOIN events e USING (author_no) "
                    "WHERE a.key = ?1 AND e.seq > ?2 ORDER BY e.seq LIMIT ?3"),
      // Newest first so LIMIT can stop early; the lamport index orders all but ties, which
      // SQLite sorts in small groups. The caller reverses the rows.
      last_events_(*db_,
                   "SELECT a.key, e.seq, e.lamport, e.sent_us, e.id, e.signed_event "
                   "FROM events e JOIN authors a USING (author_no) "
                   "ORDER BY e.lamport DESC, a.key DESC LIMIT ?1"),
      // Kind 11 is a Nick, 10 a Text (EventBody's field numbers, as insert stores them).
      last_lines_(*db_,
                  "SELECT a.key, e.seq, e.lamport, e.sent_us, e.id, e.signed_event "
                  "FROM events e JOIN authors a USING (author_no) WHERE e.kind = 10 "
                  "ORDER BY e.lamport DESC, a.key DESC LIMIT ?1"),
      nick_before_(*db_,
                   "SELECT e.signed_event FROM events e JOIN authors a USING (author_no) "
                   "WHERE a.key = ?1 AND e.kind = 11 AND e.seq < ?2 ORDER BY e.seq DESC LIMIT 1"),
      nick_after_(*db_,
                  "SELECT e.signed_event FROM events e JOIN authors a USING (author_no) "
                  "WHERE a.key = ?1 AND e.kind = 11 AND e.seq > ?2 ORDER BY e.seq LIMIT 1"),
      last_event_of_(*db_,
                     "SELECT a.key, e.seq, e.lamport, e.sent_us, e.id, e.signed_event "
                     "FROM authors a JOIN events e USING (author_no) "
                     "WHERE a.key = ?1 ORDER BY e.seq DESC LIMIT 1"),
      save_member_(*db_,
                   "INSERT OR REPLACE INTO members "
                   "(id, name, addr, incarnation, state, joined_at_us) "
                   "VALUES (?1, ?2, ?3, ?4, ?5, ?6)"),
      // Keeps the live members, newest joins first; tombstones (failed = 2, left = 3) go first.
      trim_members_(*db_,
                    "DELETE FROM members WHERE id IN (SELECT id FROM members "
                    "ORDER BY state >= 2, joined_at_us DESC LIMIT -1 OFFSET ?1)"),
      load_members_(*db_,
                    "SELECT id, name, addr, incarnation, state, joined_at_us FROM members "
                    "LIMIT ?1"),
      save_peer_(*db_,
                 "INSERT OR REPLACE INTO peer_addresses (peer, addr, last_seen_us) "
                 "VALUES (?1, ?2, ?3)"),
      trim_peers_(*db_,
                  "DELETE FROM peer_addresses WHERE peer IN (SELECT peer FROM peer_addresses "
                  "ORDER BY last_seen_us DESC LIMIT -1 OFFSET ?1)"),
      recent_peers_(*db_,
                    "SELECT peer, addr, last_seen_us FROM peer_addresses "
                    "ORDER BY last_seen_us DESC LIMIT ?1"),
      set_meta_(*db_, "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)"),
      get_meta_(*db_, "SELECT value FROM meta WHERE key = ?1"),
      save_direct_(*db_,
                   "INSERT INTO direct_messages (id, peer, outgoing, sent_us, text, status) "
                   "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (id) DO UPDATE SET status = ?6"),
      pending_directs_(*db_,
                       "SELECT id, peer, outgoing, sent_us, text, status FROM direct_messages "
                       "WHERE status = 1 AND outgoing = 1 ORDER BY sent_us LIMIT ?1"),
      save_file_(*db_,
                 "INSERT OR REPLACE INTO files (id, offerer, to_room, peer, offer, state, path, hashes, seen_us, "
                 "delivered) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"),
      load_files_(*db_,
                  "SELECT id, offerer, to_room, peer, offer, state, path, hashes, seen_us, delivered FROM files "
                  "ORDER BY seen_us DESC LIMIT ?1") {}

}  // namespace peerchat::history
