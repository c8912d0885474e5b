#include "ui/line_editor.hpp"

#include <fmt/format.h>

#include <cwchar>

namespace peerchat::ui {

namespace {

constexpr char esc = '\x1b';
// The longest CSI sequence a key sends is "ESC [ 1 ; 5 ~"-like; anything much longer is noise.
constexpr std::size_t max_sequence_bytes = 16;

bool continuation(unsigned char b) { return (b & 0xC0) == 0x80; }

// Bytes a UTF-8 character with this first byte takes; 0 for a byte that cannot start one.
std::size_t utf8_length(unsigned char lead) {
  if (lead < 0x80) return 1;
  if (lead >= 0xC2 && lead <= 0xDF) return 2;
  if (lead >= 0xE0 && lead <= 0xEF) return 3;
  if (lead >= 0xF0 && lead <= 0xF4) return 4;
  return 0;
}

// The code point of one whole UTF-8 character, or -1 for an overlong form, a surrogate, a
// code point past U+10FFFF, or a C1 control (which some terminals obey as escapes).
long code_point(std::string_view c) {
  const auto b = [&](std::size_t i) { return static_cast<unsigned char>(c[i]); };
  long cp = 0;
  switch (c.size()) {
    case 1: return b(0);
    case 2: cp = ((b(0) & 0x1F) << 6) | (b(1) & 0x3F); break;
    case 3: cp = ((b(0) & 0x0F) << 12) | ((b(1) & 0x3F) << 6) | (b(2) & 0x3F); break;
    case 4: cp = ((b(0) & 0x07) << 18) | ((b(1) & 0x3F) << 12) | ((b(2) & 0x3F) << 6) | (b(3) & 0x3F); break;
    default: return -1;
  }
  const long smallest[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < smallest[c.size()] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return -1;
  if (cp >= 0x80 && cp <= 0x9F) return -1;
  return cp;
}

// Columns a code point takes: the C library's answer (wide CJK take two, combining marks none),
// or one where the locale does not know it.
std::size_t columns_of(long cp) {
  const int w = ::wcwidth(static_cast<wchar_t>(cp));
  return w < 0 ? 1 : static_cast<std::size_t>(w);
}

}  // namespace

line_editor::line_editor(std::string prompt, limits l) : prompt_(std::move(prompt)), limits_(l) {}

void line_editor::feed(std::string_view bytes, std::vector<editor_event_t>& out) {
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    const char c = bytes[i];
    const auto b = static_cast<unsigned char>(c);
    switch (state_) {
      case state::text:
        if (!pending_.empty()) {  // inside a UTF-8 character
          if (continuation(b)) {
            pending_ += c;
            if (pending_.size() == utf8_length(static_cast<unsigned char>(pending_[0]))) {
              const std::string whole = std::move(pending_);
              pending_.clear();
              if (code_point(whole) < 0) out.emplace_back(editor_event::bell{});
              else insert(whole, out);
            }
            continue;
          }
          pending_.clear();  // cut short: dropped, and this byte read afresh
          out.emplace_back(editor_event::bell{});
        }
        if (c == esc) {
          state_ = state::escape;
        } else if (b < 0x20 || b == 0x7F) {
          key(c, out);
        } else if (b < 0x80) {
          insert(std::string_view(&c, 1), out);
        } else if (utf8_length(b) > 1) {
          pending_ = c;
        } else {
          out.emplace_back(editor_event::bell{});
        }
        break;
      case state::escape:
        state_ = state::text;
        if (c == '[') {
          state_ = state::csi;
          pending_.clear();
        } else if (c == 'O') {
          state_ = state::ss3;
        } else if (c == esc) {
          state_ = state::escape;
        } else if (c == 'b' || c == 'B') {  // Alt+B: a word back
          cursor_ = word_start_before(cursor_);
        } else if (c == 'f' || c == 'F') {  // Alt+F: a word on
          cursor_ = word_end_after(cursor_);
        } else if (c == '\x7f' || c == '\x08') {  // Alt+Backspace: delete a word back
          erase(word_start_before(cursor_), cursor_);
        } else {
          --i;  // Escape then a key: the key counts on its own
        }
        break;
      case state::csi:
        if (b < 0x20) {  // a control inside a sequence ends it; the control still counts
          state_ = state::text;
          pending_.clear();
          --i;
          break;
        }
        pending_ += c;
        if (b >= 0x40 && b <= 0x7E) {
          escape_sequence(out);
          pending_.clear();
          state_ = state::text;
        } else if (pending_.size() > max_sequence_bytes) {
          pending_.clear();
          state_ = state::text;
        }
        break;
      case state::ss3:  // ESC O x: what some terminals send for arrows, Home and End
        state_ = state::text;
        pending_ = std::string(1, c);
        escape_sequence(out);
        pending_.clear();
        break;
    }
  }
}

void line_editor::escape_sequence(std::vector<editor_event_t>& out) {
  const char final = pending_.back();
  const std::string_view params(pending_.data(), pending_.size() - 1);
  // Ctrl or Alt with an arrow ("1;5D", "1;3C") moves by words.
  const bool by_word = params == "1;5" || params == "1;3" || params == "5";
  switch (final) {
    case 'A': return recall(-1, out);
    case 'B': return recall(+1, out);
    case 'C':
      cursor_ = by_word ? word_end_after(cursor_) : next_boundary(cursor_);
      return;
    case 'D':
      cursor_ = by_word ? word_start_before(cursor_) : previous_boundary(cursor_);
      return;
    case 'H': cursor_ = 0; return;
    case 'F': cursor_ = line_.size(); return;
    case '~':
      if (params == "1" || params == "7") cursor_ = 0;
      else if (params == "4" || params == "8") cursor_ = line_.size();
      else if (params == "3") erase(cursor_, next_boundary(cursor_));
      return;  // bracketed paste markers (200~, 201~) and function keys do nothing
    default: return;
  }
}

void line_editor::key(char c, std::vector<editor_event_t>& out) {
  const bool after_cr = last_was_cr_;
  last_was_cr_ = c == '\r';
  switch (c) {
    case '\n':
      if (after_cr) return;  // CR LF is one Enter
      [[fallthrough]];
    case '\r': {
      std::string line = std::move(line_);
      line_.clear();
      cursor_ = 0;
      remember(line);
      out.emplace_back(editor_event::submit{std::move(line)});
      return;
    }
    case '\x01': cursor_ = 0; return;                                // Ctrl+A
    case '\x02': cursor_ = previous_boundary(cursor_); return;       // Ctrl+B
    case '\x04':                                                     // Ctrl+D
      if (line_.empty()) out.emplace_back(editor_event::end_of_input{});
      else erase(cursor_, next_boundary(cursor_));
      return;
    case '\x05': cursor_ = line_.size(); return;                     // Ctrl+E
    case '\x06': cursor_ = next_boundary(cursor_); return;           // Ctrl+F
    case '\x08':
    case '\x7f': erase(previous_boundary(cursor_), cursor_); return;  // Backspace
    case '\x0b': erase(cursor_, line_.size()); return;               // Ctrl+K
    case '\x0e': recall(+1, out); return;                             // Ctrl+N
    case '\x10': recall(-1, out); return;                             // Ctrl+P
    case '\x15': erase(0, cursor_); return;                          // Ctrl+U
    case '\x17': erase(word_start_before(cursor_), cursor_); return;  // Ctrl+W
    default: return;  // Ctrl+L and the rest: the front end redraws after every read anyway
  }
}

void line_editor::insert(std::string_view bytes, std::vector<editor_event_t>& out) {
  last_was_cr_ = false;
  if (line_.size() + bytes.size() > limits_.max_line_bytes) {
    out.emplace_back(editor_event::bell{});
    return;
  }
  line_.insert(cursor_, bytes);
  cursor_ += bytes.size();
}

void line_editor::erase(std::size_t from, std::size_t to) {
  if (from >= to) return;
  line_.erase(from, to - from);
  cursor_ = from;
}

std::size_t line_editor::previous_boundary(std::size_t at) const {
  if (at == 0) return 0;
  --at;
  while (at > 0 && continuation(static_cast<unsigned char>(line_[at]))) --at;
  return at;
}

std::size_t line_editor::next_boundary(std::size_t at) const {
  if (at >= line_.size()) return line_.size();
  ++at;
  while (at < line_.size() && continuation(static_cast<unsigned char>(line_[at]))) ++at;
  return at;
}

std::size_t line_editor::word_start_before(std::size_t at) const {
  while (at > 0 && line_[at - 1] == ' ') --at;
  while (at > 0 && line_[at - 1] != ' ') --at;
  return at;
}

std::size_t line_editor::word_end_after(std::size_t at) const {
  while (at < line_.size() && line_[at] == ' ') ++at;
  while (at < line_.size() && line_[at] != ' ') ++at;
  return at;
}

void line_editor::recall(int step, std::vector<editor_event_t>& out) {
  if (step < 0 ? recalled_ == 0 : recalled_ >= history_.size()) {
    out.emplace_back(editor_event::bell{});
    return;
  }
  if (recalled_ == history_.size()) draft_ = line_;
  recalled_ = step < 0 ? recalled_ - 1 : recalled_ + 1;
  line_ = recalled_ == history_.size() ? draft_ : history_[recalled_];
  cursor_ = line_.size();
}

void line_editor::set_line(std::string line) {
  line_ = std::move(line);
  if (line_.size() > limits_.max_line_bytes) line_.resize(limits_.max_line_bytes);
  // Never leave half a character at the end of a cut line.
  while (!line_.empty()) {
    std::size_t start = line_.size() - 1;
    while (start > 0 && continuation(static_cast<unsigned char>(line_[start]))) --start;
    if (start + utf8_length(static_cast<unsigned char>(line_[start])) <= line_.size()) break;
    line_.resize(start);
  }
  cursor_ = line_.size();
}

void line_editor::remember(const std::string& line) {
  const bool blank = line.find_first_not_of(' ') == std::string::npos;
  if (!blank && (history_.empty() || history_.back() != line) && limits_.max_history > 0) {
    if (history_.size() == limits_.max_history) history_.pop_front();
    history_.push_back(line);
  }
  recalled_ = history_.size();
  draft_.clear();
}

std::string line_editor::render(std::size_t columns) const {
  // Each character of the line: where it starts, and the column it starts at.
  struct glyph { std::size_t offset, column; };
  std::vector<glyph> glyphs;
  std::size_t column = 0, cursor_column = 0;
  for (std::size_t at = 0; at < line_.size();) {
    const std::size_t end = next_boundary(at);
    if (at == cursor_) cursor_column = column;
    glyphs.push_back({at, column});
    column += columns_of(code_point(std::string_view(line_).substr(at, end - at)));
    at = end;
  }
  if (cursor_ >= line_.size()) cursor_column = column;
  glyphs.push_back({line_.size(), column});  // the end, where the cursor may stand

  // The last column is left free so a cursor at the end never wraps to the next row.
  const std::size_t width = columns > prompt_.size() + 2 ? columns - prompt_.size() - 1 : 1;
  // Sideways scrolling by half a width at a time, chosen from the cursor alone: the view keeps
  // still while the cursor moves within it.
  const std::size_t page = width > 1 ? width / 2 : 1;
  const std::size_t first_column = cursor_column < width ? 0 : ((cursor_column - width) / page + 1) * page;

  std::size_t begin = 0;
  while (begin + 1 < glyphs.size() && glyphs[begin].column < first_column) ++begin;
  std::size_t end = begin;
  while (end + 1 < glyphs.size() && glyphs[end + 1].column - glyphs[begin].column <= width) ++end;

  std::string out = "\r" + prompt_;
  out.append(line_, glyphs[begin].offset, glyphs[end].offset - glyphs[begin].offset);
  out += "\x1b[K\r";
  const std::size_t at = prompt_.size() + (cursor_column - glyphs[begin].column);
  if (at > 0) out += fmt::format("\x1b[{}C", at);
  return out;
}

}  // namespace peerchat::ui
