#include "ui/json_message_line.hpp"

#include <fmt/format.h>

#include <iterator>

#include "wire/frame.hpp"

namespace peerchat::ui {

namespace {

// A JSON string as nlohmann's serializer writes it with ensure_ascii off: UTF-8 passes
// through, quote and backslash are escaped, control characters take their short escape or
// \u00xx.
void append_string(std::string& out, std::string_view s) {
  out += '"';
  std::size_t clean_from = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(s.substr(clean_from, i - clean_from));
    clean_from = i + 1;
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default: fmt::format_to(std::back_inserter(out), "\\u{:04x}", c);
    }
  }
  out.append(s.substr(clean_from));
  out += '"';
}

}  // namespace

bool append_message_line(std::string& out, const ui_event::message& m, std::int64_t ts_us) {
  if (!wire::is_valid_utf8(m.text) || !wire::is_valid_utf8(m.from.name) || !wire::is_valid_utf8(m.from.addr))
    return false;
  auto to = std::back_inserter(out);
  out += R"({"event":"message","from":{"addr":)";
  append_string(out, m.from.addr);
  fmt::format_to(to, R"(,"id":"{}","name":)", m.from.id.hex());
  append_string(out, m.from.name);
  fmt::format_to(to, R"(}},"id":"{}","lamport":{},)", m.id.hex(), m.lamport.value);
  if (m.late) out += R"("late":true,)";
  if (m.missed) out += R"("missed":true,)";
  fmt::format_to(to, R"("sent_us":{},"seq":{},"text":)", m.sent.count(), m.seq.value);
  append_string(out, m.text);
  fmt::format_to(to, R"(,"ts_us":{}}})", ts_us);
  return true;
}

}  // namespace peerchat::ui
