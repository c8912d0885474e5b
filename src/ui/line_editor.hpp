// Line editing for the interactive terminal, sans-IO: the bytes a keyboard sends go in, and
// out come finished lines and the text that draws the prompt line. It owns the line being
// typed, the cursor and the input history, and knows nothing of file descriptors, termios or
// the node, so every byte sequence can be fed to it in a test or a fuzzer.
//
// Why our own: libedit's readline emulation corrupts the heap in callback mode once a line
// outgrows its 8 KiB buffer (docs/ARCHITECTURE.md, "The terminal"), and its callback API
// allows one editor per process with no user data.
//
// Bounds: the line holds at most `max_line_bytes`; keys past that are refused (and ring the
// bell). The history holds at most `max_history` lines. Escape sequences longer than any key
// sends are dropped whole. The cursor always sits on a UTF-8 code point boundary.
// Not thread-safe: one thread feeds and draws.
#pragma once

#include <cstddef>
#include <deque>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace peerchat::ui {

namespace editor_event {
struct submit { std::string line; };  // Enter: the line, which the editor has cleared
struct end_of_input {};                // Ctrl+D on an empty line
struct bell {};                        // a key that could not be obeyed (line full, nothing to recall)
}  // namespace editor_event
using editor_event_t = std::variant<editor_event::submit, editor_event::end_of_input, editor_event::bell>;

class line_editor {
public:
  struct limits {
    std::size_t max_line_bytes = 64 * 1024;
    std::size_t max_history = 500;
  };

  explicit line_editor(std::string prompt, limits l);
  line_editor(std::string prompt) : line_editor(std::move(prompt), limits{}) {}

  // Feeds what the terminal read; a key split over two reads is completed by the next call.
  // Appends what happened, in order, to `out`.
  void feed(std::string_view bytes, std::vector<editor_event_t>& out);

  // Puts a line back for editing, cursor at its end (a line that was refused).
  void set_line(std::string line);
  // Adds a line to the history that Up and Down walk (blank lines and repeats are not kept).
  void remember(const std::string& line);

  // What redraws the prompt line in a terminal `columns` wide: carriage return, the prompt,
  // the part of the line around the cursor that fits (a long line scrolls sideways), erase to
  // the end of the row, then the cursor put back in place. Holds no control characters but
  // its own CR and CSI sequences.
  std::string render(std::size_t columns) const;

  const std::string& line() const { return line_; }
  std::size_t cursor() const { return cursor_; }  // a byte offset into line()
  const std::deque<std::string>& history() const { return history_; }

private:
  void key(char c, std::vector<editor_event_t>& out);
  void escape_sequence(std::vector<editor_event_t>& out);
  void insert(std::string_view bytes, std::vector<editor_event_t>& out);
  void erase(std::size_t from, std::size_t to);
  std::size_t previous_boundary(std::size_t at) const;
  std::size_t next_boundary(std::size_t at) const;
  std::size_t word_start_before(std::size_t at) const;
  std::size_t word_end_after(std::size_t at) const;
  void recall(int step, std::vector<editor_event_t>& out);

  std::string prompt_;
  limits limits_;
  std::string line_;
  std::size_t cursor_ = 0;
  std::deque<std::string> history_;
  // Up/Down: the history entry shown (history_.size() means the line being typed), and that
  // line, kept while older ones are shown.
  std::size_t recalled_ = 0;
  std::string draft_;
  // A key that arrived in pieces: an escape sequence, or a UTF-8 character's first bytes.
  std::string pending_;
  bool last_was_cr_ = false;  // CR LF (a paste from elsewhere) is one Enter, not two
  enum class state { text, escape, csi, ss3 } state_ = state::text;
};

}  // namespace peerchat::ui
