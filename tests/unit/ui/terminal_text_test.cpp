#include "ui/terminal_text.hpp"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace peerchat::ui
