// A thin RAII layer over the sqlite3 C API for the history store: a connection, prepared
// statements, and a transaction that rolls back unless committed. Failures throw
// `sqlite::failure`; the store catches it at each public call and returns an error code, so the
// code in between reads straight through. Not thread-safe (neither is the store).
#pragma once

#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>

struct sqlite3;
struct sqlite3_stmt;

namespace peerchat::history::sqlite {

// A failed SQLite call: its extended result code and SQLite's message.
class failure : public std::runtime_error {
public:
  failure(int result, const std::string& what) : std::runtime_error(what), result_(result) {}
  int result() const { return result_; }
  // storage_full, storage_corrupt, storage_read_only, storage_in_use or storage_failed.
  std::error_code code() const;

private:
  int result_;
};

class connection {
public:
  // Opens read-write, creating the file if missing. Reads nothing yet.
  explicit connection(const std::filesystem::path& file);
  ~connection();
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  void exec(const char* sql);
  // The single integer a PRAGMA or `SELECT count(*)` returns.
  std::int64_t query_int(const char* sql);
  // The first column of the first row as text (empty when there is no row).
  std::string query_text(const char* sql);
  bool read_only() const;
  std::int64_t changes() const;
  std::int64_t last_insert_rowid() const;
  sqlite3* handle() const { return db_; }

private:
  sqlite3* db_ = nullptr;
};

// A statement prepared once and reused; `use` binds and steps it and resets it afterwards.
class statement {
public:
  statement(connection& db, std::string_view sql);
  ~statement();
  statement(const statement&) = delete;
  statement& operator=(const statement&) = delete;

  sqlite3_stmt* handle() const { return stmt_; }

private:
  sqlite3_stmt* stmt_ = nullptr;
};

// One execution of a prepared statement. Parameters and columns count from 1 and 0, as in
// SQLite. Clears bindings and resets the statement when it goes out of scope.
class use {
public:
  explicit use(statement& s);
  ~use();
  use(const use&) = delete;
  use& operator=(const use&) = delete;

  use& bind(int index, std::int64_t value);
  use& bind(int index, std::uint64_t value);  // throws failure(SQLITE_RANGE) above INT64_MAX
  use& bind_blob(int index, std::string_view bytes);
  use& bind_text(int index, std::string_view text);

  // True while there is a row to read; false when done. Throws on error.
  bool step();

  std::int64_t column_int(int index) const;
  std::uint64_t column_uint(int index) const;
  // Valid until the next step.
  std::string_view column_blob(int index) const;
  std::string_view column_text(int index) const;

private:
  sqlite3_stmt* stmt_;
  sqlite3* db_;
};

// BEGIN IMMEDIATE on construction (so a writer never upgrades mid-way and deadlocks);
// ROLLBACK on destruction unless `commit` ran.
class transaction {
public:
  explicit transaction(connection& db);
  ~transaction();
  transaction(const transaction&) = delete;
  transaction& operator=(const transaction&) = delete;
  void commit();

private:
  connection& db_;
  bool open_ = true;
};

// Runs `body`, turning a failure into its error code: the boundary between the throwing
// internals and the store's error-code interface.
template <class Body>
std::error_code guarded(Body&& body) {
  try {
    body();
    return {};
  } catch (const failure& f) {
    return f.code();
  }
}

// The same for a body that returns a value; on failure returns `T{}` and sets `ec`.
template <class T, class Body>
T guarded(std::error_code& ec, Body&& body) {
  ec.clear();
  try {
    return body();
  } catch (const failure& f) {
    ec = f.code();
    return T{};
  }
}

}  // namespace peerchat::history::sqlite
