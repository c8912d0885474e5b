// The SQLite implementation of `store` (store.hpp). Internal: only open_store.cpp builds one,
// and only tests reach past the interface. Its methods are split across sqlite_store_events.cpp
// (events and the version vector) and sqlite_store_records.cpp (members, peers, settings).
#pragma once

#include <memory>
#include <string>
#include <unordered_map>

#include "history/file_lock.hpp"
#include "history/sqlite.hpp"
#include "history/store.hpp"

namespace peerchat::history {

class sqlite_store final : public store {
public:
  // Takes a connection already checked and migrated by open_store, and the lock guarding it.
  sqlite_store(file_lock lock, std::unique_ptr<sqlite::connection> db, const store_options& options);

  std::error_code append_own_run(std::span<const wire::verified_event> run) override;
  append_report append_batch(std::span<const wire::verified_event> events) override;
  bool contains(const peer_id& author, seq_no seq, std::error_code& ec) override;
  std::vector<std::pair<peer_id, seq_no>> version_vector(std::error_code& ec) override;
  std::vector<stored_event> events_after(const peer_id& author, seq_no after, std::size_t limit,
                                         std::error_code& ec) override;
  std::vector<stored_event> last_events(std::size_t n, std::error_code& ec) override;
  std::vector<stored_line> last_lines(std::size_t n, std::error_code& ec) override;
  std::optional<stored_event> last_event_of(const peer_id& author, std::error_code& ec) override;
  lamport_time highest_lamport(std::error_code& ec) override;
  std::uint64_t count(std::error_code& ec) override;
  std::error_code prune_to(std::uint64_t keep) override;

  std::error_code save_members(std::span<const wire::pb::Member> members) override;
  std::vector<wire::pb::Member> load_members(std::error_code& ec) override;
  std::error_code note_peer_address(const peer_id& peer, std::string_view addr,
                                    std::chrono::microseconds seen_at) override;
  std::vector<peer_address> recent_peer_addresses(std::size_t k, std::error_code& ec) override;
  std::error_code set_meta(meta_key key, std::string_view value) override;
  std::error_code save_direct(const stored_direct& message) override;
  std::vector<stored_direct> pending_directs(std::size_t k, std::error_code& ec) override;
  std::error_code save_file(const stored_file& file) override;
  std::vector<stored_file> load_files(std::size_t k, std::error_code& ec) override;
  std::optional<std::string> meta(meta_key key, std::error_code& ec) override;

private:
  // An author's row, as looked up (or created) within one write transaction.
  struct author_row {
    std::int64_t number = 0;
    std::uint64_t contiguous = 0;
  };
  enum class insert_outcome { inserted, duplicate, fork };
  using author_cache = std::unordered_map<peer_id, author_row>;

  author_row& author_for_write(author_cache& cache, const peer_id& author);
  insert_outcome insert(const author_row& author, const wire::verified_event& ev,
                        event_id& stored_id);
  void advance_contiguous(author_row& author);

  // Declaration order is destruction order in reverse: statements die before the connection,
  // and the lock is released last, after the file is closed.
  file_lock lock_;
  std::unique_ptr<sqlite::connection> db_;
  store_options options_;
  std::string encode_buffer_;  // reused for each event's bytes: no allocation per insert

  sqlite::statement find_author_;
  sqlite::statement add_author_;
  sqlite::statement insert_event_;
  sqlite::statement event_id_at_;
  sqlite::statement seqs_after_;
  sqlite::statement set_contiguous_;
  sqlite::statement highest_seq_;
  sqlite::statement contains_;
  sqlite::statement version_vector_;
  sqlite::statement events_after_;
  sqlite::statement last_events_;
  sqlite::statement last_lines_;
  sqlite::statement nick_before_;
  sqlite::statement nick_after_;
  sqlite::statement last_event_of_;
  sqlite::statement save_member_;
  sqlite::statement trim_members_;
  sqlite::statement load_members_;
  sqlite::statement save_peer_;
  sqlite::statement trim_peers_;
  sqlite::statement recent_peers_;
  sqlite::statement set_meta_;
  sqlite::statement get_meta_;
  sqlite::statement save_direct_;
  sqlite::statement pending_directs_;
  sqlite::statement save_file_;
  sqlite::statement load_files_;
};

}  // namespace peerchat::history
