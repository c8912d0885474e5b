#include "ui/terminal_text.hpp"

#include <gtest/gtest.h>

#include <stdlib.h>
#include <time.h>

#include <optional>
#include <string>

namespace peerchat::ui {
namespace {

TEST(terminal_text, plain_text_and_utf8_pass_unchanged) {
  EXPECT_EQ(visible("hello, wörld ✓ 日本 ^~"), "hello, wörld ✓ 日本 ^~");
  EXPECT_EQ(visible_body("one line"), "one line");
}

TEST(terminal_text, escape_sequences_cannot_reach_the_terminal) {
  // Clear the screen, set the window title, move the cursor up: all shown, none obeyed.
  EXPECT_EQ(visible("\x1b[2J\x1b]0;pwned\x07up\x1b[1A"), "^[[2J^[]0;pwned^Gup^[[1A");
  EXPECT_EQ(visible(std::string("nul\0del\x7f", 8)), "nul^@del^?");
  EXPECT_EQ(visible("\r* bob left"), "^M* bob left");
  EXPECT_EQ(visible("a\tb"), "a^Ib");
}

TEST(terminal_text, c1_controls_in_utf8_are_shown_not_obeyed) {
  // U+009B is CSI on terminals that honour C1 controls; U+00A0 (no-break space) is text.
  EXPECT_EQ(visible("a\xc2\x9b" "2Jb"), "a^~^[2Jb");
  EXPECT_EQ(visible("\xc2\x85"), "^~^E");
  EXPECT_EQ(visible("\xc2\xa0"), "\xc2\xa0");
}

TEST(terminal_text, a_name_stays_on_one_line) {
  EXPECT_EQ(visible("mallory\n* alice left"), "mallory^J* alice left");
}

TEST(terminal_text, a_body_cannot_print_a_line_that_looks_like_ours) {
  EXPECT_EQ(visible_body("first\n* alice left\nthird"), "first\n    * alice left\n    third");
}

TEST(terminal_text, whole_output_keeps_its_own_lines) {
  EXPECT_EQ(visible_lines("* 2 members:\n  a\x1b[31m"), "* 2 members:\n  a^[[31m");
}

// Local time is the TZ's: the test fixes it, so it reads the same on every machine.
class line_time_test : public ::testing::Test {
protected:
  void SetUp() override {
    if (const char* tz = ::getenv("TZ")) saved_ = tz;
    ::setenv("TZ", "UTC", 1);
    ::tzset();
  }
  void TearDown() override {
    if (saved_) ::setenv("TZ", saved_->c_str(), 1);
    else ::unsetenv("TZ");
    ::tzset();
  }
  static std::chrono::microseconds at(long long unix_seconds) { return std::chrono::seconds{unix_seconds}; }
  std::optional<std::string> saved_;
};

// 2026-12-06 21:44:00 UTC and the days around it.
constexpr long long dec6_2144 = 1796593440;

TEST_F(line_time_test, a_line_from_today_shows_only_its_time) {
  EXPECT_EQ(line_time(at(dec6_2144), at(dec6_2144 + 3600)), "21:44");
}

TEST_F(line_time_test, a_line_from_an_earlier_day_shows_its_date_too) {
  EXPECT_EQ(line_time(at(dec6_2144), at(dec6_2144 + 3 * 3600)), "2026-12-06 21:44");  // just after midnight
  EXPECT_EQ(line_time(at(dec6_2144), at(dec6_2144 + 366LL * 86400)), "2026-12-06 21:44");
}

TEST_F(line_time_test, the_same_day_of_another_year_is_another_day) {
  EXPECT_EQ(line_time(at(dec6_2144), at(dec6_2144 + 365LL * 86400)), "2026-12-06 21:44");
}

}  // namespace
}  // namespace peerchat::ui
