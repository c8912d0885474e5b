#include "ui/line_editor.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace peerchat::ui {
namespace {

// Feeds keys and returns the lines they submitted.
std::vector<std::string> type(line_editor& e, std::string_view keys, int* bells = nullptr,
                              bool* ended = nullptr) {
  std::vector<editor_event_t> out;
  e.feed(keys, out);
  std::vector<std::string> lines;
  for (const auto& ev : out) {
    if (const auto* s = std::get_if<editor_event::submit>(&ev)) lines.push_back(s->line);
    if (bells && std::holds_alternative<editor_event::bell>(ev)) ++*bells;
    if (ended && std::holds_alternative<editor_event::end_of_input>(ev)) *ended = true;
  }
  return lines;
}

TEST(line_editor, enter_submits_the_typed_line_and_clears_it) {
  line_editor e("> ");
  EXPECT_EQ(type(e, "hello\r"), std::vector<std::string>{"hello"});
  EXPECT_EQ(e.line(), "");
  EXPECT_EQ(e.cursor(), 0u);
}

TEST(line_editor, cr_lf_from_a_paste_is_one_enter_and_lf_alone_is_one_too) {
  line_editor e("> ");
  EXPECT_EQ(type(e, "a\r\nb\nc\r"), (std::vector<std::string>{"a", "b", "c"}));
}

TEST(line_editor, a_line_of_ten_thousand_characters_is_kept_whole) {
  // libedit's readline emulation corrupted the heap past 8 KiB (issue 18, item 1).
  line_editor e("> ");
  const std::string long_line(10'000, 'x');
  for (std::size_t i = 0; i < long_line.size(); i += 512) type(e, std::string_view(long_line).substr(i, 512));
  EXPECT_EQ(type(e, "\r"), std::vector<std::string>{long_line});
}

TEST(line_editor, keys_past_the_bound_are_refused_with_a_bell) {
  line_editor e("> ", {.max_line_bytes = 4, .max_history = 10});
  int bells = 0;
  type(e, "abcdef", &bells);
  EXPECT_EQ(e.line(), "abcd");
  EXPECT_EQ(bells, 2);
}

TEST(line_editor, a_key_split_across_two_reads_still_counts_once) {
  line_editor e("> ");
  type(e, "ab\x1b");
  type(e, "[");
  type(e, "D");  // Left
  type(e, "\xc3");
  type(e, "\xa9");  // é, in two reads
  EXPECT_EQ(e.line(), "a\xc3\xa9" "b");
  EXPECT_EQ(e.cursor(), 3u);
}

TEST(line_editor, arrows_home_end_and_delete_edit_by_code_point) {
  line_editor e("> ");
  type(e, "h\xc3\xa9llo");       // héllo
  type(e, "\x1b[H\x1b[C\x1b[3~");  // Home, Right, Delete: removes é whole
  EXPECT_EQ(e.line(), "hllo");
  type(e, "\x1bOF!");  // End (SS3 form), then a character
  EXPECT_EQ(e.line(), "hllo!");
  type(e, "\x7f\x7f");  // Backspace twice
  EXPECT_EQ(e.line(), "hll");
}

TEST(line_editor, emacs_keys_move_and_kill) {
  line_editor e("> ");
  type(e, "one two three");
  type(e, "\x17");  // Ctrl+W
  EXPECT_EQ(e.line(), "one two ");
  type(e, "\x01\x06\x0b");  // Ctrl+A, Ctrl+F, Ctrl+K
  EXPECT_EQ(e.line(), "o");
  type(e, "\x05xyz\x02\x15");  // Ctrl+E, text, Ctrl+B, Ctrl+U
  EXPECT_EQ(e.line(), "z");
}

TEST(line_editor, ctrl_d_ends_input_only_on_an_empty_line) {
  line_editor e("> ");
  bool ended = false;
  type(e, "ab\x01\x04", nullptr, &ended);
  EXPECT_FALSE(ended);
  EXPECT_EQ(e.line(), "b");
  type(e, "\x04\x04", nullptr, &ended);
  EXPECT_TRUE(ended);
}

TEST(line_editor, up_and_down_walk_the_history_and_keep_the_draft) {
  line_editor e("> ");
  type(e, "first\rsecond\rsecond\r   \rdraft");
  EXPECT_EQ(e.history(), (std::deque<std::string>{"first", "second"}));  // no repeats, no blanks
  type(e, "\x1b[A");
  EXPECT_EQ(e.line(), "second");
  type(e, "\x1b[A");
  EXPECT_EQ(e.line(), "first");
  int bells = 0;
  type(e, "\x1b[A", &bells);
  EXPECT_EQ(bells, 1);
  type(e, "\x1b[B\x1b[B");
  EXPECT_EQ(e.line(), "draft");
}

TEST(line_editor, history_is_bounded) {
  line_editor e("> ", {.max_line_bytes = 100, .max_history = 3});
  type(e, "a\rb\rc\rd\r");
  EXPECT_EQ(e.history(), (std::deque<std::string>{"b", "c", "d"}));
}

TEST(line_editor, control_bytes_and_invalid_utf8_never_enter_the_line) {
  line_editor e("> ");
  int bells = 0;
  // A C1 control (U+009B, CSI in some terminals), an overlong '/', a lone continuation byte,
  // a surrogate, and a character cut short by a control.
  type(e, "a\xc2\x9b" "b\xc0\xaf" "c\x80" "d\xed\xa0\x80" "e\xe2\x82\x07" "f", &bells);
  EXPECT_EQ(e.line(), "abcdef");
  EXPECT_GE(bells, 5);
}

TEST(line_editor, an_endless_escape_sequence_is_dropped_and_typing_goes_on) {
  line_editor e("> ");
  type(e, "\x1b[" + std::string(100, '1') + "x");
  EXPECT_EQ(e.line().back(), 'x');
  EXPECT_EQ(e.line().find('\x1b'), std::string::npos);
}

TEST(line_editor, unknown_sequences_and_paste_markers_do_nothing) {
  line_editor e("> ");
  type(e, "\x1b[200~pasted\x1b[201~\x1b[15~\x1b[1;2P");
  EXPECT_EQ(e.line(), "pasted");
}

TEST(line_editor, a_short_line_is_drawn_whole_with_the_cursor_after_it) {
  line_editor e("> ");
  type(e, "hi");
  EXPECT_EQ(e.render(80), "\r> hi\x1b[K\r\x1b[4C");
}

TEST(line_editor, a_long_line_scrolls_sideways_to_keep_the_cursor_in_view) {
  line_editor e("> ");
  type(e, std::string(1000, 'x') + "END");
  const std::string drawn = e.render(40);
  // Never wider than the terminal: the row does not wrap, so redrawing it stays in place.
  const auto text = drawn.substr(1, drawn.find("\x1b[K") - 1);
  EXPECT_LT(text.size(), 40u);
  EXPECT_NE(text.find("END"), std::string::npos);
  type(e, "\x1b[H");
  EXPECT_EQ(e.render(40).substr(0, 6), "\r> xxx");
}

TEST(line_editor, set_line_puts_a_refused_line_back_without_half_a_character) {
  line_editor e("> ", {.max_line_bytes = 4, .max_history = 1});
  e.set_line("ab\xc3\xa9\xc3\xa9");
  EXPECT_EQ(e.line(), "ab\xc3\xa9");
  EXPECT_EQ(e.cursor(), 4u);
}

}  // namespace
}  // namespace peerchat::ui
