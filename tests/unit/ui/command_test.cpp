#include "ui/command.hpp"

#include <gtest/gtest.h>

#include <ostream>
#include <sstream>
#include <string>

namespace peerchat::ui {
namespace {

// "kind:payload", so one table can state what any line parses to.
std::string describe(const command& c) {
  struct visitor {
    std::string operator()(const cmd::none&) const { return "none"; }
    std::string operator()(const cmd::say& s) const { return "say:" + s.text; }
    std::string operator()(const cmd::nick& n) const { return "nick:" + n.name; }
    std::string operator()(const cmd::nodes&) const { return "nodes"; }
    std::string operator()(const cmd::stats&) const { return "stats"; }
    std::string operator()(const cmd::leave&) const { return "leave"; }
    std::string operator()(const cmd::help&) const { return "help"; }
    std::string operator()(const cmd::invalid& i) const { return "invalid:" + i.message; }
    std::string operator()(const cmd::history& h) const { return "history:" + std::to_string(h.count); }
    std::string operator()(const cmd::msg& m) const { return "msg:" + m.to + ":" + m.text; }
    std::string operator()(const cmd::invite& i) const { return i.qr ? "invite:qr" : "invite"; }
    std::string operator()(const cmd::whois& w) const { return "whois:" + w.who; }
    std::string operator()(const cmd::send_file& f) const { return "send:" + f.to + ":" + f.path; }
    std::string operator()(const cmd::get_file& g) const { return "get:" + g.id; }
    std::string operator()(const cmd::cancel_file& c) const { return "cancel:" + c.id; }
    std::string operator()(const cmd::files&) const { return "files"; }
  };
  return std::visit(visitor{}, c);
}

struct line_case {
  const char* name;
  std::string line;
  std::string parsed;  // describe() of the result
};

void PrintTo(const line_case& c, std::ostream* os) { *os << c.name; }

class parse_command_table : public testing::TestWithParam<line_case> {};

TEST_P(parse_command_table, parses_the_line) {
  EXPECT_EQ(describe(parse_command(GetParam().line)), GetParam().parsed);
}

INSTANTIATE_TEST_SUITE_P(
    well_formed, parse_command_table,
    testing::Values(line_case{"plain_text", "hello world", "say:hello world"},
                    line_case{"plain_text_keeps_inner_spaces", "a  b\tc", "say:a  b\tc"},
                    line_case{"double_slash_sends_one_slash", "//x", "say:/x"},
                    line_case{"double_slash_alone", "//", "say:/"},
                    line_case{"nick", "/nick bob", "nick:bob"},
                    line_case{"nick_trims_spaces", "/nick   bob  ", "nick:bob"},
                    line_case{"nick_with_a_space_inside", "/nick Bob Smith", "nick:Bob Smith"},
                    line_case{"nodes", "/nodes", "nodes"}, line_case{"who", "/who", "nodes"},
                    line_case{"stats", "/stats", "stats"},
                    line_case{"stats_with_a_trailing_space", "/stats ", "stats"},
                    line_case{"stats_with_cr", "/stats\r", "stats"},
                    line_case{"stats_ignores_arguments", "/stats now", "stats"},
                    line_case{"leave", "/leave", "leave"}, line_case{"quit", "/quit", "leave"},
                    line_case{"help", "/help", "help"},
                    line_case{"history_default", "/history", "history:20"},
                    line_case{"msg", "/msg bob hi there", "msg:bob:hi there"},
                    line_case{"msg_to_an_id", "/msg a1b2c3d4 hi", "msg:a1b2c3d4:hi"},
                    line_case{"msg_without_text", "/msg bob", "invalid:usage: /msg NAME|ID TEXT"},
                    line_case{"msg_with_only_spaces", "/msg bob   ", "invalid:usage: /msg NAME|ID TEXT"},
                    line_case{"history_count", "/history 5", "history:5"},
                    line_case{"history_zero", "/history 0", "invalid:usage: /history [N], N from 1 to 10000"},
                    line_case{"history_not_a_number", "/history ten", "invalid:usage: /history [N], N from 1 to 10000"},
                    line_case{"history_too_many", "/history 10001", "invalid:usage: /history [N], N from 1 to 10000"},
                    line_case{"help_with_a_trailing_space", "/help ", "help"},
                    line_case{"text_with_cr", "hello\r", "say:hello"},
                    line_case{"command_with_cr", "/who\r", "nodes"},
                    line_case{"nick_with_cr", "/nick bob\r", "nick:bob"},
                    line_case{"invite", "/invite", "invite"},
                    line_case{"invite_qr", "/invite qr", "invite:qr"},
                    line_case{"invite_qr_with_spaces", "/invite  qr \r", "invite:qr"},
                    line_case{"whois_a_name", "/whois alice", "whois:alice"},
                    line_case{"whois_a_name_with_a_space", "/whois Bob Smith ", "whois:Bob Smith"},
                    line_case{"send_to_the_room", "/send * /tmp/a b.txt", "send:*:/tmp/a b.txt"},
                    line_case{"send_to_a_member", "/send bob  notes.txt ", "send:bob:notes.txt"},
                    line_case{"get", "/get 1a2b3c4d", "get:1a2b3c4d"},
                    line_case{"cancel", "/cancel 1a2b", "cancel:1a2b"},
                    line_case{"files", "/files", "files"},
                    line_case{"commands_ignore_case", "/QUIT", "leave"},
                    line_case{"commands_ignore_mixed_case", "/Who", "nodes"},
                    line_case{"stats_in_capitals", "/STATS", "stats"},
                    line_case{"arguments_keep_their_case", "/NICK Bob", "nick:Bob"},
                    line_case{"msg_text_keeps_its_case", "/Msg bob HELLO", "msg:bob:HELLO"},
                    line_case{"invite_qr_in_capitals", "/INVITE QR", "invite:qr"},
                    line_case{"double_slash_text_keeps_its_case", "//QUIT", "say:/QUIT"}),
    [](const auto& p) { return std::string(p.param.name); });

INSTANTIATE_TEST_SUITE_P(
    blank_or_bad, parse_command_table,
    testing::Values(line_case{"empty", "", "none"}, line_case{"spaces", "   ", "none"},
                    line_case{"tab", "\t", "none"}, line_case{"cr_only", "\r", "none"},
                    line_case{"whitespace_and_cr", " \t \r", "none"},
                    line_case{"nick_without_name", "/nick", "invalid:usage: /nick NEW_NAME"},
                    line_case{"nick_with_only_spaces", "/nick   ",
                              "invalid:usage: /nick NEW_NAME"},
                    line_case{"nick_with_only_cr", "/nick \r", "invalid:usage: /nick NEW_NAME"},
                    line_case{"unknown_command", "/frobnicate",
                              "invalid:unknown command /frobnicate (try /help)"},
                    line_case{"unknown_command_with_args", "/frobnicate now",
                              "invalid:unknown command /frobnicate (try /help)"},
                    line_case{"slash_alone", "/", "invalid:unknown command / (try /help)"},
                    line_case{"an_unknown_command_is_quoted_as_typed", "/FROB",
                              "invalid:unknown command /FROB (try /help)"},
                    line_case{"command_prefix_is_not_a_command", "/whoi",
                              "invalid:unknown command /whoi (try /help)"},
                    line_case{"whois_without_a_name", "/whois", "invalid:usage: /whois NAME|ID"},
                    line_case{"send_without_a_path", "/send bob", "invalid:usage: /send NAME|ID|* PATH"},
                    line_case{"get_without_an_id", "/get", "invalid:usage: /get FILE_ID (see /files)"},
                    line_case{"get_with_two_ids", "/get ab cd", "invalid:usage: /get FILE_ID (see /files)"},
                    line_case{"cancel_without_an_id", "/cancel ", "invalid:usage: /cancel FILE_ID (see /files)"},
                    line_case{"stats_prefix_is_not_stats", "/stat",
                              "invalid:unknown command /stat (try /help)"},
                    line_case{"a_long_verb_with_a_command_as_prefix_is_unknown", "/quit" + std::string(40, 'x'),
                              "invalid:unknown command /quit" + std::string(28, 'x') + " (try /help)"},
                    line_case{"invite_with_an_unknown_argument", "/invite png",
                              "invalid:usage: /invite [qr]"}),
    [](const auto& p) { return std::string(p.param.name); });

TEST(parse_command, unknown_command_message_mentions_the_command) {
  const auto c = parse_command("/frobnicate");
  ASSERT_TRUE(std::holds_alternative<cmd::invalid>(c));
  EXPECT_NE(std::get<cmd::invalid>(c).message.find("/frobnicate"), std::string::npos);
}

TEST(parse_command, unknown_command_message_stays_short_for_a_huge_verb) {
  const auto c = parse_command("/" + std::string(100'000, 'z'));
  ASSERT_TRUE(std::holds_alternative<cmd::invalid>(c));
  EXPECT_LT(std::get<cmd::invalid>(c).message.size(), 100u);
}

TEST(parse_command, keeps_a_huge_text_line_whole) {
  const std::string text(100'000, 'y');
  EXPECT_EQ(describe(parse_command(text)), "say:" + text);
}

TEST(help_lines, mention_every_command) {
  std::string all;
  for (const auto& line : help_lines()) all += line + "\n";
  for (const char* verb : {"/nick", "/nodes", "/who", "/stats", "/leave", "/quit", "/help", "//",
                           "/invite", "/whois"})
    EXPECT_NE(all.find(verb), std::string::npos) << verb;
}

TEST(read_line, splits_lines_and_keeps_a_last_line_without_newline) {
  std::istringstream in("one\n\ntwo");
  std::string line;
  EXPECT_EQ(read_line(in, line), line_read::line);
  EXPECT_EQ(line, "one");
  EXPECT_EQ(read_line(in, line), line_read::line);
  EXPECT_EQ(line, "");
  EXPECT_EQ(read_line(in, line), line_read::line);
  EXPECT_EQ(line, "two");
  EXPECT_EQ(read_line(in, line), line_read::end);
}

TEST(read_line, refuses_an_overlong_line_and_goes_on_with_the_next) {
  std::istringstream in(std::string(100, 'x') + "\nafter\n" + std::string(11, 'z'));
  std::string line;
  EXPECT_EQ(read_line(in, line, 10), line_read::too_long);
  EXPECT_LE(line.size(), 10u);
  EXPECT_EQ(read_line(in, line, 10), line_read::line);
  EXPECT_EQ(line, "after");
  EXPECT_EQ(read_line(in, line, 10), line_read::too_long);
  EXPECT_EQ(read_line(in, line, 10), line_read::end);
}

}  // namespace
}  // namespace peerchat::ui
