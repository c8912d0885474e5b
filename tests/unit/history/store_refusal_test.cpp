// Hostile storage: files that are not ours or not healthy, a store already in use, read-only
// places and a full disk. Each must give a clear error and leave the bytes as they were.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <ostream>
#include <string>

#include "core/error.hpp"
#include "history/schema.hpp"
#include "history/store.hpp"
#include "store_test_support.hpp"

namespace peerchat::history {
namespace {

using test::bytes_of;
using test::raw_sql;
using test::write_bytes;

class store_refusal_test : public test::store_fixture {
public:
  // A healthy store of several pages, closed (so the WAL is checkpointed into the file).
  void make_real_store() {
    auto s = open_ok();
    auto batch = bob_.events(1, 300);
    ASSERT_FALSE(s->append_batch(batch).error);
  }
};

// --- files that are not ours or not healthy -------------------------------------------------

struct hostile_file {
  const char* name;
  // Writes the hostile file at the path; gets the fixture to make a real store first if needed.
  std::function<void(store_refusal_test&, const std::filesystem::path&)> make;
  errc expected;
  const char* says;  // part of the one-line message
};

void PrintTo(const hostile_file& c, std::ostream* os) { *os << c.name; }

class store_refuses_file : public store_refusal_test,
                           public testing::WithParamInterface<hostile_file> {};

TEST_P(store_refuses_file, with_a_clear_error_and_leaves_its_bytes_unchanged) {
  GetParam().make(*this, db_path_);
  const std::string before = bytes_of(db_path_);

  const store_error error = open_refused();

  EXPECT_EQ(error.code, GetParam().expected) << error.message;
  EXPECT_NE(error.message.find(db_path_.string()), std::string::npos) << error.message;
  EXPECT_NE(error.message.find(GetParam().says), std::string::npos) << error.message;
  EXPECT_EQ(error.message.find('\n'), std::string::npos) << error.message;
  EXPECT_EQ(bytes_of(db_path_), before);
  // Nothing is left beside it but our lock file.
  for (const auto& entry : std::filesystem::directory_iterator(dir_))
    EXPECT_TRUE(entry.path() == db_path_ || entry.path().string() == db_path_.string() + ".lock")
        << entry.path();
}

void other_programs_tables(store_refusal_test&, const std::filesystem::path& p) {
  raw_sql(p, "CREATE TABLE bookmarks (url TEXT); INSERT INTO bookmarks VALUES ('https://x');");
}
void other_application_id(store_refusal_test&, const std::filesystem::path& p) {
  raw_sql(p, "PRAGMA application_id = 252006673;");  // Fossil's
}
void text_file(store_refusal_test&, const std::filesystem::path& p) {
  write_bytes(p, "these are my notes, not a database\n");
}
void random_bytes(store_refusal_test&, const std::filesystem::path& p) {
  std::string noise(8192, '\0');
  for (std::size_t i = 0; i < noise.size(); ++i) noise[i] = static_cast<char>((i * 7919) % 251);
  write_bytes(p, noise);
}
void header_only(store_refusal_test& t, const std::filesystem::path& p) {
  t.make_real_store();
  write_bytes(p, bytes_of(p).substr(0, 60));
}
void truncated_half(store_refusal_test& t, const std::filesystem::path& p) {
  t.make_real_store();
  const std::string all = bytes_of(p);
  write_bytes(p, all.substr(0, all.size() / 2));
}
void damaged_page(store_refusal_test& t, const std::filesystem::path& p) {
  t.make_real_store();
  std::string all = bytes_of(p);
  const std::size_t page = 4096;
  ASSERT_GT(all.size(), 4 * page);
  all.replace(2 * page, page, std::string(page, '\xa5'));  // a whole b-tree page of garbage
  write_bytes(p, all);
}
void newer_schema(store_refusal_test& t, const std::filesystem::path& p) {
  t.make_real_store();
  raw_sql(p, "PRAGMA user_version = " + std::to_string(schema::latest_version() + 1));
}

INSTANTIATE_TEST_SUITE_P(
    files, store_refuses_file,
    testing::Values(
        hostile_file{"another_programs_database", other_programs_tables, errc::storage_foreign,
                     "is not a peerchat database"},
        hostile_file{"another_programs_application_id", other_application_id,
                     errc::storage_foreign, "is not a peerchat database"},
        hostile_file{"a_text_file", text_file, errc::storage_foreign, "not a SQLite file"},
        hostile_file{"random_bytes", random_bytes, errc::storage_foreign, "not a SQLite file"},
        hostile_file{"only_the_first_60_bytes", header_only, errc::storage_corrupt, "damaged"},
        hostile_file{"the_first_half", truncated_half, errc::storage_corrupt, "damaged"},
        hostile_file{"a_page_of_garbage", damaged_page, errc::storage_corrupt, "damaged"},
        hostile_file{"a_newer_schema", newer_schema, errc::storage_newer_schema,
                     "newer peerchat"}),
    [](const auto& p) { return std::string(p.param.name); });

// --- a store in use -------------------------------------------------------------------------

TEST_F(store_refusal_test, a_second_opener_is_refused_while_the_first_holds_the_store) {
  auto first = open_ok();
  const store_error error = open_refused();
  EXPECT_EQ(error.code, errc::storage_in_use);
  EXPECT_NE(error.message.find("in use by another peerchat (pid " + std::to_string(::getpid())),
            std::string::npos)
      << error.message;
  EXPECT_FALSE(first->append_own(alice_.event(1, 1)));  // the first is unaffected
}

TEST_F(store_refusal_test, the_store_opens_again_once_the_first_holder_closes_it) {
  open_ok().reset();
  EXPECT_TRUE(open_ok());
}

TEST_F(store_refusal_test, another_process_holding_the_store_makes_open_refuse_at_once) {
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    store_error error;
    auto s = open_store(db_path_, options_, error);
    const char ok = s ? 'y' : 'n';
    [[maybe_unused]] auto n = ::write(ready[1], &ok, 1);
    ::pause();  // holds the store until killed
    ::_exit(0);
  }
  ::close(ready[1]);
  char ok = 0;
  ASSERT_EQ(::read(ready[0], &ok, 1), 1);
  ::close(ready[0]);
  const auto started = std::chrono::steady_clock::now();
  const store_error error = open_refused();
  const auto waited = std::chrono::steady_clock::now() - started;
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);

  EXPECT_EQ(ok, 'y');
  EXPECT_EQ(error.code, errc::storage_in_use) << error.message;
  EXPECT_NE(error.message.find("pid " + std::to_string(child)), std::string::npos) << error.message;
  EXPECT_LT(waited, std::chrono::milliseconds(500));
}

TEST_F(store_refusal_test, a_foreign_writer_holding_the_database_gives_in_use_after_the_timeout) {
  make_real_store();
  options_.busy_timeout = std::chrono::milliseconds(50);
  sqlite3* foreign = nullptr;
  ASSERT_EQ(sqlite3_open(db_path_.c_str(), &foreign), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(foreign, "BEGIN EXCLUSIVE", nullptr, nullptr, nullptr), SQLITE_OK);

  const store_error error = open_refused();
  sqlite3_exec(foreign, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(foreign);
  EXPECT_EQ(error.code, errc::storage_in_use) << error.message;
}

// --- read-only places -----------------------------------------------------------------------

// Opens the store in a child that runs as an unprivileged user when we are root (root may
// write anywhere, so "read-only" only means something to others), and returns its error; the
// child sends the message back through a pipe.
store_error open_as_unprivileged(const std::filesystem::path& db_path, const store_options& options) {
  int channel[2];
  if (::pipe(channel) != 0) return {errc::storage_failed, "pipe failed"};
  const pid_t child = ::fork();
  if (child < 0) return {errc::storage_failed, "fork failed"};
  if (child == 0) {
    ::close(channel[0]);
    constexpr uid_t nobody = 65534;
    if (::geteuid() == 0 && (::setgid(nobody) != 0 || ::setuid(nobody) != 0)) ::_exit(255);
    store_error error;
    auto s = open_store(db_path, options, error);
    const std::string reply = std::to_string(error.code.value()) + " " + error.message;
    [[maybe_unused]] auto n = ::write(channel[1], reply.data(), reply.size());
    ::_exit(0);
  }
  ::close(channel[1]);
  std::string reply;
  char buffer[512];
  for (ssize_t n; (n = ::read(channel[0], buffer, sizeof buffer)) > 0;)
    reply.append(buffer, static_cast<std::size_t>(n));
  ::close(channel[0]);
  ::waitpid(child, nullptr, 0);
  const auto space = reply.find(' ');
  if (space == std::string::npos) return {errc::storage_failed, "child said nothing"};
  return {std::error_code(std::stoi(reply.substr(0, space)), peerchat_category()),
          reply.substr(space + 1)};
}

TEST_F(store_refusal_test, a_read_only_database_file_is_refused_and_left_unchanged) {
  make_real_store();
  namespace fs = std::filesystem;
  fs::permissions(dir_, fs::perms::all);  // the directory is writable, only the file is not
  fs::permissions(db_path_, fs::perms::owner_read | fs::perms::group_read | fs::perms::others_read);
  fs::permissions(fs::path(db_path_.string() + ".lock"), fs::perms::all);
  const std::string before = bytes_of(db_path_);

  const store_error error = open_as_unprivileged(db_path_, options_);
  EXPECT_EQ(error.code, errc::storage_read_only) << error.message;
  EXPECT_EQ(error.message, db_path_.string() + " is read-only");
  EXPECT_EQ(bytes_of(db_path_), before);
}

TEST_F(store_refusal_test, a_store_in_a_read_only_directory_is_refused) {
  namespace fs = std::filesystem;
  fs::permissions(dir_, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                            fs::perms::others_read | fs::perms::others_exec);
  const store_error error = open_as_unprivileged(db_path_, options_);
  EXPECT_EQ(error.code, errc::storage_read_only) << error.message;
  EXPECT_NE(error.message.find("is in a read-only directory"), std::string::npos) << error.message;
  EXPECT_FALSE(fs::exists(db_path_));
}

// --- a full disk ----------------------------------------------------------------------------

TEST_F(store_refusal_test, a_full_disk_gives_storage_full_and_keeps_what_was_stored) {
  options_.max_bytes = 128 * 1024;  // SQLite's max_page_count: fails as a full disk does
  std::uint64_t stored = 0;
  std::error_code last;
  {
    auto s = open_ok();
    for (std::uint64_t seq = 1; seq <= 5000 && !last; ++seq) {
      last = s->append_own(alice_.event(seq, seq, std::string(200, 'x')));
      if (!last) stored = seq;
    }
    EXPECT_EQ(last, errc::storage_full);
    EXPECT_EQ(s->append_batch(bob_.events(1, 50)).error, errc::storage_full);
    EXPECT_EQ(s->count(ec_), stored);  // still readable while full
  }
  ASSERT_GT(stored, 10u);
  options_.max_bytes = 0;  // space freed
  auto s = open_ok();
  EXPECT_EQ(s->count(ec_), stored);
  EXPECT_EQ(s->last_event_of(alice_.id(), ec_)->seq, seq_no{stored});
  EXPECT_FALSE(s->append_own(alice_.event(stored + 1, stored + 1)));
}

}  // namespace
}  // namespace peerchat::history
