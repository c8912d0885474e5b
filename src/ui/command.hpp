// The commands both front ends accept, parsed from one line of input. Pure functions.
#pragma once

#include <cstddef>
#include <istream>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace peerchat::ui {

namespace cmd {
struct none {};                       // blank line
struct say { std::string text; };     // plain text; "//x" sends "/x"
struct nick { std::string name; };
struct nodes {};
struct stats {};
struct history { std::size_t count = 20; };
struct msg { std::string to; std::string text; };  // a private message
struct leave {};
struct help {};
struct invalid { std::string message; };  // unknown command or bad arguments
struct invite { bool qr = false; };   // "/invite" or "/invite qr"
struct whois { std::string who; };    // a name or an id prefix
struct send_file { std::string to; std::string path; };  // to: a name, an id, or "*" (the room)
struct get_file { std::string id; };
struct cancel_file { std::string id; };
struct files {};
}  // namespace cmd

using command = std::variant<cmd::none, cmd::say, cmd::nick, cmd::nodes, cmd::stats, cmd::leave,
                             cmd::help, cmd::invalid, cmd::history, cmd::msg, cmd::invite,
                             cmd::whois, cmd::send_file, cmd::get_file, cmd::cancel_file,
                             cmd::files>;

command parse_command(std::string_view line);

// Input lines are read whole only up to this length, so a stream without newlines cannot grow
// a reader's memory; the rest of a longer line is skipped and the line refused.
inline constexpr std::size_t max_line_bytes = 64 * 1024;
enum class line_read { line, too_long, end };
// Like std::getline, bounded: a last line without a newline still counts as a line.
line_read read_line(std::istream& in, std::string& line, std::size_t max = max_line_bytes);
const std::vector<std::string>& help_lines();

}  // namespace peerchat::ui
