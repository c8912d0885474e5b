// Opening a store: lock, look at the file without writing, refuse anything that is not ours
// or not healthy, and only then switch on WAL and migrate. Every refusal leaves the file's
// bytes as they were.
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iterator>

#include "core/error.hpp"
#include "history/schema.hpp"
#include "history/sqlite_store.hpp"

namespace peerchat::history {
namespace {

struct refusal {
  std::error_code code;
  std::string reason;  // completes "PATH ..."
};

// SQLite's files begin with this; a file that does not is not a database at all.
bool has_sqlite_magic(const std::filesystem::path& file) {
  static constexpr char magic[] = "SQLite format 3";  // 16 bytes with its terminating NUL
  char head[sizeof magic] = {};
  std::ifstream in(file, std::ios::binary);
  in.read(head, sizeof head);
  return in.gcount() == static_cast<std::streamsize>(sizeof head) &&
         std::equal(std::begin(head), std::end(head), std::begin(magic));
}

std::string hex(std::int64_t value) {
  char buffer[24];
  std::snprintf(buffer, sizeof buffer, "0x%08llx", static_cast<unsigned long long>(value));
  return buffer;
}

// Reads the header fields and the table count: the first reads of the file, where a
// non-database shows itself (SQLITE_NOTADB).
std::optional<refusal> check_ownership(sqlite::connection& db, bool& fresh) {
  const auto app_id = db.query_int("PRAGMA application_id");
  const auto version = db.query_int("PRAGMA user_version");
  const auto objects = db.query_int("SELECT count(*) FROM sqlite_schema");
  fresh = app_id == 0 && version == 0 && objects == 0;
  if (fresh) return std::nullopt;
  if (app_id != schema::application_id)
    return refusal{errc::storage_foreign,
                   "is not a peerchat database (another program's SQLite file, application_id " +
                       hex(app_id) + "); left untouched"};
  if (version > schema::latest_version())
    return refusal{errc::storage_newer_schema,
                   "was written by a newer peerchat (schema " + std::to_string(version) +
                       ", this build knows up to " + std::to_string(schema::latest_version()) +
                       "); left untouched"};
  return std::nullopt;
}

// Messages from SQLite may span lines; ours are one line.
std::string flattened(std::string text) {
  for (char& c : text)
    if (c == '\n' || c == '\r') c = ' ';
  return text;
}

std::optional<refusal> check_health(sqlite::connection& db) {
  // quick_check(1): stop at the first problem.
  const std::string verdict = flattened(db.query_text("PRAGMA quick_check(1)"));
  if (verdict == "ok") return std::nullopt;
  return refusal{errc::storage_corrupt,
                 "is damaged (" + verdict + "); left untouched: move it away or restore a backup"};
}

void configure(sqlite::connection& db, const store_options& options) {
  if (db.query_text("PRAGMA journal_mode = WAL") != "wal")
    throw sqlite::failure(SQLITE_ERROR, "cannot switch the database to WAL mode");
  db.exec("PRAGMA synchronous = NORMAL");
  // Checkpoint every 4000 pages (16 MiB of WAL) rather than SQLite's 1000: a bulk catch-up
  // copies hot pages (index roots, each author's last page) to the file a quarter as often,
  // about 20% faster inserts (bench/store_bench), and the WAL stays bounded.
  db.exec("PRAGMA wal_autocheckpoint = 4000");
  if (options.max_bytes > 0) {
    const auto page_size = static_cast<std::uint64_t>(db.query_int("PRAGMA page_size"));
    const auto pages = std::max<std::uint64_t>(1, options.max_bytes / page_size);
    db.exec(("PRAGMA max_page_count = " + std::to_string(pages)).c_str());
  }
}

refusal refusal_from(const sqlite::failure& f, const std::filesystem::path& db_path) {
  const std::error_code code = f.code();
  if (code == errc::storage_corrupt)
    return has_sqlite_magic(db_path)
               ? refusal{code, std::string("is damaged (") + f.what() +
                                   "); left untouched: move it away or restore a backup"}
               : refusal{errc::storage_foreign,
                         "is not a peerchat database (not a SQLite file); left untouched"};
  if (code == errc::storage_in_use)
    return {code, "is locked by another program (" + std::string(f.what()) + ")"};
  if (code == errc::storage_read_only)
    return {code, "cannot be opened for writing (" + std::string(f.what()) + ")"};
  if (code == errc::storage_full) return {code, ": storage full (" + std::string(f.what()) + ")"};
  return {code, ": " + std::string(f.what())};
}

std::string one_line(const std::filesystem::path& db_path, const std::string& reason) {
  const bool attached = !reason.empty() && reason.front() == ':';
  return flattened(db_path.string() + (attached ? "" : " ") + reason);
}

}  // namespace

std::unique_ptr<store> open_store(const std::filesystem::path& db_path,
                                  const store_options& options, store_error& error) {
  error = {};
  auto refuse = [&](const refusal& r) -> std::unique_ptr<store> {
    error = {r.code, one_line(db_path, r.reason)};
    return nullptr;
  };

  std::error_code lock_error;
  std::string lock_detail;
  std::filesystem::path lock_path = db_path;
  lock_path += ".lock";
  file_lock lock = file_lock::acquire(lock_path, lock_error, lock_detail);
  if (lock_error == errc::storage_in_use)
    return refuse({lock_error, "is in use by another peerchat (" + lock_detail + ")"});
  if (lock_error == errc::storage_read_only)
    return refuse({lock_error, "is in a read-only directory (cannot create " +
                                   lock_path.string() + ": " + lock_detail + ")"});
  if (lock_error)
    return refuse({lock_error, "cannot be locked (" + lock_path.string() + ": " + lock_detail + ")"});

  // As root, SQLite would open a read-only file for writing anyway; as anyone else it would
  // silently open it read-only and fail at the first write. Either way, say so now.
  // SQLite also writes DB-wal and DB-shm beside the file.
  const std::filesystem::path dir = db_path.has_parent_path() ? db_path.parent_path() : ".";
  if (::access(dir.c_str(), W_OK) != 0)
    return refuse({errc::storage_read_only, "is in a read-only directory"});
  std::error_code exists_error;
  if (std::filesystem::exists(db_path, exists_error) && ::access(db_path.c_str(), W_OK) != 0)
    return refuse({errc::storage_read_only, "is read-only"});

  try {
    auto db = std::make_unique<sqlite::connection>(db_path);
    if (db->read_only()) return refuse({errc::storage_read_only, "is read-only"});
    sqlite3_busy_timeout(db->handle(), static_cast<int>(options.busy_timeout.count()));
    bool fresh = false;
    if (auto r = check_ownership(*db, fresh)) return refuse(*r);
    if (!fresh && options.check_at_open)
      if (auto r = check_health(*db)) return refuse(*r);
    configure(*db, options);
    schema::migrate(*db, schema::migrations());
    return std::make_unique<sqlite_store>(std::move(lock), std::move(db), options);
  } catch (const sqlite::failure& f) {
    return refuse(refusal_from(f, db_path));
  }
}

}  // namespace peerchat::history
