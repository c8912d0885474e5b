// Invites: one line that holds everything needed to join a room,
//   peerchat://HOST:PORT[,HOST:PORT...]/ROOM[#SECRET]
// (a member's addresses, tried in turn; the room's name; a closed room's secret). ROOM and
// SECRET are percent-encoded (RFC 3986: all but unreserved characters). Pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace peerchat {

struct invite {
  std::vector<std::string> addrs;  // HOST:PORT each, IPv6 hosts in brackets
  std::string room;
  std::string secret;  // empty: an open room
};

inline constexpr std::string_view invite_scheme = "peerchat://";
inline constexpr std::size_t max_invite_addrs = 16;

std::string format_invite(const invite& inv);

// True when `text` is meant as an invite rather than a plain HOST:PORT.
bool is_invite(std::string_view text);

// The invite in `text`, or nothing with `error` set to a one-line reason.
std::optional<invite> parse_invite(std::string_view text, std::string& error);

std::string percent_encode(std::string_view raw);
std::optional<std::string> percent_decode(std::string_view encoded);

}  // namespace peerchat
