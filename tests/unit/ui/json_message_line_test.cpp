#include "ui/json_message_line.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <array>
#include <string>

namespace peerchat::ui {
namespace {

using nlohmann::json;

ui_event::message message_with(std::string text, std::string name = "alice", bool late = false) {
  ui_event::message m;
  std::array<std::uint8_t, event_id::size> hash{};
  hash[0] = static_cast<std::uint8_t>(text.size());
  m.id = event_id{hash};
  m.from = peer_info{peer_id::from_bytes(std::string(32, '\x07')).value(), std::move(name), "127.0.0.1:4000"};
  m.seq = seq_no{42};
  m.lamport = lamport_time{7};
  m.sent = microseconds{1'700'000'000'123'456};
  m.text = std::move(text);
  m.late = late;
  return m;
}

// The line as the generic path writes it: an nlohmann object, dumped.
std::string nlohmann_line(const ui_event::message& e, std::int64_t ts_us) {
  json j = {{"event", "message"}, {"id", e.id.hex()},
            {"from", {{"id", e.from.id.hex()}, {"name", e.from.name}, {"addr", e.from.addr}}},
            {"seq", e.seq.value}, {"lamport", e.lamport.value}, {"sent_us", e.sent.count()}, {"text", e.text}};
  if (e.late) j["late"] = true;
  j["ts_us"] = ts_us;
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

void expect_same_as_nlohmann(const ui_event::message& m) {
  std::string line = "kept:";
  ASSERT_TRUE(append_message_line(line, m, 1'700'000'000'999'999));
  EXPECT_EQ(line, "kept:" + nlohmann_line(m, 1'700'000'000'999'999));
  EXPECT_EQ(json::parse(line.substr(5))["text"], m.text);
}

TEST(json_message_line, a_plain_message_is_byte_for_byte_nlohmanns_line) {
  expect_same_as_nlohmann(message_with("hello, room"));
}

TEST(json_message_line, a_late_message_says_so_in_nlohmanns_key_order) {
  expect_same_as_nlohmann(message_with("behind a gap", "bob", true));
}

TEST(json_message_line, quotes_backslashes_and_every_control_character_are_escaped_as_nlohmann_does) {
  std::string text = "say \"hi\" \\ back\x7f";
  for (char c = 0; c < 0x20; ++c) text += c;
  expect_same_as_nlohmann(message_with(text, "a \"quoted\" name"));
}

TEST(json_message_line, utf8_passes_through_unescaped) {
  expect_same_as_nlohmann(message_with("caf\xc3\xa9 \xf0\x9f\x98\x80 \xe2\x82\xac", "Z\xc3\xbcrich"));
}

TEST(json_message_line, an_empty_text_is_an_empty_string) { expect_same_as_nlohmann(message_with("")); }

TEST(json_message_line, invalid_utf8_is_left_to_the_replacing_path_and_nothing_is_written) {
  std::string line = "kept";
  EXPECT_FALSE(append_message_line(line, message_with("bad \xff byte"), 1));
  EXPECT_FALSE(append_message_line(line, message_with("ok", "bad \xc3"), 1));
  EXPECT_EQ(line, "kept");
}

}  // namespace
}  // namespace peerchat::ui
