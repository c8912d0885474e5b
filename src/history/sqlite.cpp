#include "history/sqlite.hpp"

#include <sqlite3.h>

#include <limits>

#include "core/error.hpp"

namespace peerchat::history::sqlite {
namespace {

[[noreturn]] void fail(sqlite3* db, int result) {
  throw failure(result, db ? sqlite3_errmsg(db) : sqlite3_errstr(result));
}

void check(sqlite3* db, int result) {
  if (result != SQLITE_OK) fail(db, sqlite3_extended_errcode(db));
}

}  // namespace

std::error_code failure::code() const {
  switch (result_ & 0xff) {  // the primary code; extended codes refine it
    case SQLITE_FULL: return errc::storage_full;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB: return errc::storage_corrupt;
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_CANTOPEN: return errc::storage_read_only;
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return errc::storage_in_use;
    default: return errc::storage_failed;
  }
}

connection::connection(const std::filesystem::path& file) {
  // NOMUTEX: one thread owns the store. NOFOLLOW: a symlinked database is someone's trick.
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX |
                    SQLITE_OPEN_NOFOLLOW;
  const int result = sqlite3_open_v2(file.c_str(), &db_, flags, nullptr);
  if (result != SQLITE_OK) {
    const failure error(result, db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(result));
    sqlite3_close_v2(db_);
    throw error;
  }
  sqlite3_extended_result_codes(db_, 1);
}

connection::~connection() { sqlite3_close_v2(db_); }

void connection::exec(const char* sql) { check(db_, sqlite3_exec(db_, sql, nullptr, nullptr, nullptr)); }

std::int64_t connection::query_int(const char* sql) {
  statement s(*this, sql);
  use u(s);
  return u.step() ? u.column_int(0) : 0;
}

std::string connection::query_text(const char* sql) {
  statement s(*this, sql);
  use u(s);
  return u.step() ? std::string(u.column_text(0)) : std::string();
}

bool connection::read_only() const { return sqlite3_db_readonly(db_, "main") == 1; }
std::int64_t connection::changes() const { return sqlite3_changes64(db_); }
std::int64_t connection::last_insert_rowid() const { return sqlite3_last_insert_rowid(db_); }

statement::statement(connection& db, std::string_view sql) {
  check(db.handle(), sqlite3_prepare_v3(db.handle(), sql.data(), static_cast<int>(sql.size()),
                                        SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr));
}

statement::~statement() { sqlite3_finalize(stmt_); }

use::use(statement& s) : stmt_(s.handle()), db_(sqlite3_db_handle(s.handle())) {}

use::~use() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

use& use::bind(int index, std::int64_t value) {
  check(db_, sqlite3_bind_int64(stmt_, index, value));
  return *this;
}

use& use::bind(int index, std::uint64_t value) {
  if (value > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
    throw failure(SQLITE_RANGE, "number beyond SQLite's signed 64-bit range");
  return bind(index, static_cast<std::int64_t>(value));
}

use& use::bind_blob(int index, std::string_view bytes) {
  // An empty view may have a null data(); SQLite would store NULL, so give it a real pointer.
  static constexpr char empty = 0;
  check(db_, sqlite3_bind_blob64(stmt_, index, bytes.empty() ? &empty : bytes.data(),
                                 bytes.size(), SQLITE_STATIC));
  return *this;
}

use& use::bind_text(int index, std::string_view text) {
  static constexpr char empty = 0;
  check(db_, sqlite3_bind_text64(stmt_, index, text.empty() ? &empty : text.data(), text.size(),
                                 SQLITE_STATIC, SQLITE_UTF8));
  return *this;
}

bool use::step() {
  const int result = sqlite3_step(stmt_);
  if (result == SQLITE_ROW) return true;
  if (result == SQLITE_DONE) return false;
  fail(db_, sqlite3_extended_errcode(db_));
}

std::int64_t use::column_int(int index) const { return sqlite3_column_int64(stmt_, index); }

std::uint64_t use::column_uint(int index) const {
  return static_cast<std::uint64_t>(sqlite3_column_int64(stmt_, index));
}

std::string_view use::column_blob(int index) const {
  const void* data = sqlite3_column_blob(stmt_, index);  // before _bytes, as SQLite asks
  const auto size = static_cast<std::size_t>(sqlite3_column_bytes(stmt_, index));
  return data ? std::string_view(static_cast<const char*>(data), size) : std::string_view();
}

std::string_view use::column_text(int index) const {
  const unsigned char* data = sqlite3_column_text(stmt_, index);
  const auto size = static_cast<std::size_t>(sqlite3_column_bytes(stmt_, index));
  return data ? std::string_view(reinterpret_cast<const char*>(data), size) : std::string_view();
}

transaction::transaction(connection& db) : db_(db) { db_.exec("BEGIN IMMEDIATE"); }

transaction::~transaction() {
  // Nothing to report from a destructor: a failed rollback leaves SQLite to roll back the
  // open transaction itself when the connection closes or the next BEGIN fails loudly.
  if (open_) sqlite3_exec(db_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
}

void transaction::commit() {
  db_.exec("COMMIT");
  open_ = false;
}

}  // namespace peerchat::history::sqlite
