#include "ui/command.hpp"

#include <cctype>
#include <charconv>

namespace peerchat::ui {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

}  // namespace

command parse_command(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (trim(line).empty()) return cmd::none{};
  if (line.front() != '/') return cmd::say{std::string(line)};
  if (line.starts_with("//")) return cmd::say{std::string(line.substr(1))};

  const auto space = line.find(' ');
  // Commands are words, not spellings: /QUIT and /Quit are /quit (caps lock, phone keyboards).
  const std::string_view typed = line.substr(1, space == std::string_view::npos ? line.npos : space - 1);
  std::string lowered(typed.substr(0, 32));  // longer than any command: only quoted back
  for (char& c : lowered) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const std::string_view verb = lowered;
  const std::string_view args = space == std::string_view::npos ? "" : trim(line.substr(space + 1));
  if (verb == "nodes" || verb == "who") return cmd::nodes{};
  if (verb == "stats") return cmd::stats{};
  if (verb == "leave" || verb == "quit") return cmd::leave{};
  if (verb == "help") return cmd::help{};
  if (verb == "history") {
    if (args.empty()) return cmd::history{};
    std::size_t n = 0;
    const auto [end, ec] = std::from_chars(args.data(), args.data() + args.size(), n);
    if (ec != std::errc() || end != args.data() + args.size() || n == 0 || n > 10000)
      return cmd::invalid{"usage: /history [N], N from 1 to 10000"};
    return cmd::history{n};
  }
  if (verb == "msg") {
    const auto gap = args.find(' ');
    if (args.empty() || gap == std::string_view::npos || trim(args.substr(gap + 1)).empty())
      return cmd::invalid{"usage: /msg NAME|ID TEXT"};
    return cmd::msg{std::string(args.substr(0, gap)), std::string(trim(args.substr(gap + 1)))};
  }
  if (verb == "invite") {
    const bool qr = args.size() == 2 && std::tolower(static_cast<unsigned char>(args[0])) == 'q' &&
                    std::tolower(static_cast<unsigned char>(args[1])) == 'r';
    if (args.empty() || qr) return cmd::invite{qr};
    return cmd::invalid{"usage: /invite [qr]"};
  }
  if (verb == "whois") {
    if (args.empty()) return cmd::invalid{"usage: /whois NAME|ID"};
    return cmd::whois{std::string(args)};
  }
  if (verb == "send") {
    const auto gap = args.find(' ');
    if (args.empty() || gap == std::string_view::npos || trim(args.substr(gap + 1)).empty())
      return cmd::invalid{"usage: /send NAME|ID|* PATH"};
    return cmd::send_file{std::string(args.substr(0, gap)), std::string(trim(args.substr(gap + 1)))};
  }
  if (verb == "get" || verb == "cancel") {
    if (args.empty() || args.find(' ') != std::string_view::npos)
      return cmd::invalid{"usage: /" + std::string(verb) + " FILE_ID (see /files)"};
    if (verb == "get") return cmd::get_file{std::string(args)};
    return cmd::cancel_file{std::string(args)};
  }
  if (verb == "files") return cmd::files{};
  if (verb == "nick") {
    if (args.empty()) return cmd::invalid{"usage: /nick NEW_NAME"};
    return cmd::nick{std::string(args)};
  }
  return cmd::invalid{"unknown command /" + std::string(typed.substr(0, 32)) + " (try /help)"};
}

const std::vector<std::string>& help_lines() {
  static const std::vector<std::string> lines = {
      "TEXT            send TEXT to the room (start with // to send a leading /)",
      "/nick NAME      change your name everywhere",
      "/nodes, /who    list members: id, name, address, since when",
      "/stats          bytes and frames sent and received over all links",
      "/history [N]    the last N lines (default 20), in the same order on every node",
      "/msg WHO TEXT   a private message to WHO (a name or an id): only WHO can read it",
      "/whois NAME|ID  a member's full key fingerprint (compare it out of band) and what is known",
      "/send WHO PATH  offer a file to WHO (a name or an id) or, with *, to the room",
      "/files          files offered here, and how far each has come",
      "/get ID         download an offered file (ID: the first digits are enough)",
      "/cancel ID      stop a download (or stop serving a file you offered)",
      "/invite [qr]    one line with all a newcomer needs to join (qr: also as a QR code)",
      "/leave, /quit   leave the room (also Ctrl+C, Ctrl+D)",
      "/help           this list",
  };
  return lines;
}

line_read read_line(std::istream& in, std::string& line, std::size_t max) {
  line.clear();
  std::streambuf* buf = in.rdbuf();
  bool cut = false, any = false;
  for (int c = buf->sbumpc(); c != std::char_traits<char>::eof(); c = buf->sbumpc()) {
    any = true;
    if (c == '\n') return cut ? line_read::too_long : line_read::line;
    if (line.size() < max) line.push_back(static_cast<char>(c));
    else cut = true;
  }
  in.setstate(std::ios::eofbit);
  if (!any) return line_read::end;
  return cut ? line_read::too_long : line_read::line;
}

}  // namespace peerchat::ui
