// Shared by the history store tests: a fresh temporary directory per test, authors that make
// real signed events, and raw SQLite access for setting up and inspecting files.
#pragma once

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "crypto/identity.hpp"
#include "history/store.hpp"
#include "wire/event.hpp"

namespace peerchat::history::test {

// An author with a real identity; its events are signed, so ids are real content hashes.
// Ed25519 signing is deterministic: the same (seq, lamport, text) gives the same event.
class author {
public:
  author() : identity_(identity::generate()) {}
  const peer_id& id() const { return identity_.id(); }
  const identity& keys() const { return identity_; }

  wire::verified_event event(std::uint64_t seq, std::uint64_t lamport,
                             const std::string& text = "") const {
    wire::pb::EventBody body;
    body.mutable_text()->set_text(text.empty() ? "message " + std::to_string(seq) : text);
    return signed_event(std::move(body), seq, lamport);
  }

  // A rename from `old_name` to `new_name`.
  wire::verified_event nick(std::uint64_t seq, std::uint64_t lamport, const std::string& old_name,
                            const std::string& new_name) const {
    wire::pb::EventBody body;
    body.mutable_nick()->set_old_name(old_name);
    body.mutable_nick()->set_new_name(new_name);
    return signed_event(std::move(body), seq, lamport);
  }

  wire::verified_event signed_event(wire::pb::EventBody body, std::uint64_t seq, std::uint64_t lamport) const {
    body.set_author(std::string(id().as_string_view()));
    body.set_seq(seq);
    body.set_lamport(lamport);
    body.set_sent_us(1'700'000'000'000'000 + seq);
    wire::verified_event ev;
    ev.signed_event = wire::sign_event(body, identity_);
    ev.id = wire::id_of(ev.signed_event);
    ev.author = id();
    ev.seq = seq_no{seq};
    ev.lamport = lamport_time{lamport};
    ev.body = std::move(body);
    return ev;
  }

  // Events first..last, each with lamport = seq.
  std::vector<wire::verified_event> events(std::uint64_t first, std::uint64_t last) const {
    std::vector<wire::verified_event> out;
    for (std::uint64_t seq = first; seq <= last; ++seq) out.push_back(event(seq, seq));
    return out;
  }

private:
  identity identity_;
};

inline std::string bytes_of(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline void write_bytes(const std::filesystem::path& file, const std::string& bytes) {
  std::ofstream(file, std::ios::binary | std::ios::trunc) << bytes;
}

// Runs `sql` on its own connection; returns the first column of the first row, or
// "error: ..." so a failing setup shows in the assertion that uses it.
inline std::string raw_sql(const std::filesystem::path& file, const std::string& sql) {
  sqlite3* db = nullptr;
  std::string out;
  if (sqlite3_open(file.c_str(), &db) != SQLITE_OK) {
    out = std::string("error: ") + sqlite3_errmsg(db);
    sqlite3_close(db);
    return out;
  }
  sqlite3_stmt* stmt = nullptr;
  const char* rest = sql.c_str();
  while (rest && *rest) {
    if (sqlite3_prepare_v2(db, rest, -1, &stmt, &rest) != SQLITE_OK) {
      out = std::string("error: ") + sqlite3_errmsg(db);
      break;
    }
    if (!stmt) break;  // trailing whitespace
    const int result = sqlite3_step(stmt);
    if (result == SQLITE_ROW && sqlite3_column_text(stmt, 0))
      out = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    else if (result != SQLITE_ROW && result != SQLITE_DONE)
      out = std::string("error: ") + sqlite3_errmsg(db);
    sqlite3_finalize(stmt);
    stmt = nullptr;
  }
  sqlite3_close(db);
  return out;
}

inline wire::pb::Member member_record(const peer_id& id, const std::string& name,
                                      wire::pb::MemberState state = wire::pb::MEMBER_STATE_ALIVE,
                                      std::uint64_t incarnation = 1,
                                      std::uint64_t joined_at_us = 100) {
  wire::pb::Member m;
  m.set_id(std::string(id.as_string_view()));
  m.set_name(name);
  m.set_addr("10.0.0.2:4000");
  m.set_incarnation(incarnation);
  m.set_state(state);
  m.set_joined_at_us(joined_at_us);
  return m;
}

class store_fixture : public testing::Test {
protected:
  static void SetUpTestSuite() { crypto_init(); }

  void SetUp() override {
    std::string pattern = (std::filesystem::path(testing::TempDir()) / "store_test.XXXXXX").string();
    if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    dir_ = pattern;
    db_path_ = dir_ / "history.db";
  }

  void TearDown() override {
    std::error_code ignored;
    std::filesystem::permissions(dir_, std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::add, ignored);
    std::filesystem::remove_all(dir_, ignored);
  }

  // Opens the store or fails the test (by exception, so nothing runs on a null store).
  std::unique_ptr<store> open_ok() {
    store_error error;
    auto s = open_store(db_path_, options_, error);
    if (!s) throw std::runtime_error("open_store failed: " + error.message);
    return s;
  }

  store_error open_refused() {
    store_error error;
    auto s = open_store(db_path_, options_, error);
    if (s) ADD_FAILURE() << "open_store accepted " << db_path_;
    return error;
  }

  std::filesystem::path dir_;
  std::filesystem::path db_path_;
  store_options options_;
  std::error_code ec_;
  author alice_, bob_, carol_;
};

}  // namespace peerchat::history::test
