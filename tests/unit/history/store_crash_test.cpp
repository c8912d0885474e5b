// Principle 5 with a real process: a node killed with SIGKILL in the middle of a burst of its
// own events restarts with an intact store, nothing it sent missing, nothing twice, and its
// sequence continuing where it stopped.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <set>
#include <string>

#include "core/error.hpp"
#include "history/store.hpp"
#include "store_test_support.hpp"

namespace peerchat::history {
namespace {

using test::raw_sql;

class store_crash_test : public test::store_fixture {};

// The child appends its own events as fast as it can and, after each append returns, reports
// the seq on a pipe: that is the moment a node would send the event.
[[noreturn]] void burst_of_own_events(const std::filesystem::path& db_path,
                                      const test::author& self, int report_fd) {
  store_error error;
  auto s = open_store(db_path, store_options{}, error);
  if (!s) ::_exit(2);
  for (std::uint64_t seq = 1;; ++seq) {
    if (s->append_own(self.event(seq, seq))) ::_exit(3);
    if (::write(report_fd, &seq, sizeof seq) != sizeof seq) ::_exit(4);
  }
}

TEST_F(store_crash_test, a_node_killed_mid_burst_restarts_intact_with_its_sequence_continuing) {
  constexpr std::uint64_t kill_after = 150;  // "sent" events before the kill
  int reports[2];
  ASSERT_EQ(::pipe(reports), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(reports[0]);
    burst_of_own_events(db_path_, alice_, reports[1]);
  }
  ::close(reports[1]);

  std::uint64_t last_sent = 0;
  std::uint64_t seq = 0;
  while (last_sent < kill_after && ::read(reports[0], &seq, sizeof seq) == sizeof seq)
    last_sent = seq;
  ::kill(child, SIGKILL);  // mid-way through the next append
  int status = 0;
  ::waitpid(child, &status, 0);
  while (::read(reports[0], &seq, sizeof seq) == sizeof seq) last_sent = seq;
  ::close(reports[0]);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the child stopped by itself, status " << status;
  ASSERT_GE(last_sent, kill_after);

  auto s = open_ok();
  const auto last = s->last_event_of(alice_.id(), ec_);
  ASSERT_TRUE(last);
  const std::uint64_t k = last->seq.value;
  EXPECT_GE(k, last_sent) << "an event reported as sent is missing";
  EXPECT_LE(k, last_sent + 1) << "more events than the child ever appended";

  const auto events = s->events_after(alice_.id(), seq_no{0}, max_events_per_query, ec_);
  ASSERT_EQ(events.size(), k);
  std::set<event_id> ids;
  for (std::uint64_t i = 0; i < k; ++i) {
    EXPECT_EQ(events[i].seq, seq_no{i + 1});
    ids.insert(events[i].id);
  }
  EXPECT_EQ(ids.size(), k) << "duplicate events";
  EXPECT_EQ(s->version_vector(ec_).at(0).second, seq_no{k});

  EXPECT_EQ(s->append_own(alice_.event(k, k + 1)), errc::sequence_not_next) << "seq reused";
  EXPECT_FALSE(s->append_own(alice_.event(k + 1, k + 1)));
  s.reset();
  EXPECT_EQ(raw_sql(db_path_, "PRAGMA integrity_check"), "ok");
}

}  // namespace
}  // namespace peerchat::history
