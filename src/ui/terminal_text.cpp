#include "ui/terminal_text.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <ctime>

namespace peerchat::ui {

namespace {

void append_caret(std::string& out, unsigned char c) {
  out += '^';
  out += static_cast<char>(c ^ 0x40);  // 0x1b -> '[', 0x7f -> '?', as `cat -v` shows them
}

std::string escaped(std::string_view text, std::string_view line_break) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '\n') {
      out += line_break;
    } else if (c < 0x20 || c == 0x7f) {
      append_caret(out, c);
    } else if (c == 0xc2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) >= 0x80 &&
               static_cast<unsigned char>(text[i + 1]) <= 0x9f) {
      out += "^~";  // a C1 control, UTF-8 encoded
      append_caret(out, static_cast<unsigned char>(text[++i]) & 0x7f);
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

}  // namespace

std::string visible(std::string_view text) { return escaped(text, "^J"); }

std::string visible_body(std::string_view text) { return escaped(text, "\n    "); }

std::string visible_lines(std::string_view text) { return escaped(text, "\n"); }

std::string line_time(std::chrono::microseconds sent, std::chrono::microseconds now) {
  using std::chrono::duration_cast;
  using std::chrono::seconds;
  const std::tm at = fmt::localtime(static_cast<std::time_t>(duration_cast<seconds>(sent).count()));
  const std::tm today = fmt::localtime(static_cast<std::time_t>(duration_cast<seconds>(now).count()));
  if (at.tm_year == today.tm_year && at.tm_yday == today.tm_yday) return fmt::format("{:%H:%M}", at);
  return fmt::format("{:%Y-%m-%d %H:%M}", at);
}

}  // namespace peerchat::ui
