// ui/line_editor: the terminal's input path, keyboard bytes to a sent line. Input: a sequence
// of reads, each a width byte and a byte string, fed to one editor, rendered after every read.
// Checks that the line stays within its bound, valid UTF-8 with no control characters, the
// cursor on a character boundary, that a submitted line obeys the same rules, and that the
// drawn row is no wider than the terminal and holds no escape but the editor's own.
#include <string>
#include <vector>

#include "fuzz/fuzz_input.hpp"
#include "ui/line_editor.hpp"

namespace {

using namespace peerchat;

constexpr std::size_t max_line = 256;

bool clean_utf8(const std::string& s) {
  for (std::size_t i = 0; i < s.size();) {
    const auto b = static_cast<unsigned char>(s[i]);
    if (b < 0x20 || b == 0x7F) return false;
    std::size_t n = b < 0x80 ? 1 : b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC2 ? 2 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (std::size_t k = 1; k < n; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    if (n == 2 && b == 0xC2 && static_cast<unsigned char>(s[i + 1]) < 0xA0) return false;  // C1
    i += n;
  }
  return true;
}

void check_line(const std::string& line) {
  FUZZ_CHECK(line.size() <= max_line);
  FUZZ_CHECK(clean_utf8(line));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  peerchat::fuzz::input_reader in(data, size);
  ui::line_editor editor("> ", {.max_line_bytes = max_line, .max_history = 4});
  std::vector<ui::editor_event_t> events;
  while (!in.empty()) {
    const std::size_t columns = in.byte();
    const std::string read = in.bytes();
    events.clear();
    editor.feed(read, events);
    for (const auto& e : events)
      if (const auto* s = std::get_if<ui::editor_event::submit>(&e)) check_line(s->line);
    check_line(editor.line());
    FUZZ_CHECK(editor.cursor() <= editor.line().size());
    FUZZ_CHECK(editor.cursor() == editor.line().size() ||
               (static_cast<unsigned char>(editor.line()[editor.cursor()]) & 0xC0) != 0x80);
    FUZZ_CHECK(editor.history().size() <= 4);

    const std::string row = editor.render(columns);
    // "\r" prompt text "\x1b[K\r" then maybe "\x1b[NC": the text part is clean, and no wider
    // than the terminal (in the C locale every character is one column).
    const std::size_t erase = row.find("\x1b[K");
    FUZZ_CHECK(row.rfind("\r> ", 0) == 0 && erase != std::string::npos);
    const std::string text = row.substr(3, erase - 3);
    FUZZ_CHECK(clean_utf8(text));
    std::size_t chars = 0;
    for (const char c : text) chars += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    if (columns > 4) FUZZ_CHECK(2 + chars < columns);
  }
  return 0;
}
