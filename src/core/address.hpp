// "HOST:PORT" strings as users type them and as members advertise them ("[v6]:PORT" too).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace peerchat {

struct host_port {
  std::string host;
  std::uint16_t port = 0;
  std::string str() const;  // brackets an IPv6 host again
};

std::optional<host_port> parse_host_port(std::string_view text);

// 0.0.0.0 or :: : a bind address that others cannot dial.
bool is_unspecified_host(std::string_view host);

// `addr` with an unspecified host replaced by `ip`; other addresses are returned unchanged.
std::string with_reachable_host(const std::string& addr, const std::string& ip);

}  // namespace peerchat
