#include "core/address.hpp"

#include <charconv>

namespace peerchat {

std::string host_port::str() const {
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::optional<host_port> parse_host_port(std::string_view text) {
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return std::nullopt;
  std::string_view host = text.substr(0, colon), port = text.substr(colon + 1);
  if (host.front() == '[') {
    if (host.size() < 3 || host.back() != ']') return std::nullopt;
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string_view::npos) {
    return std::nullopt;  // a bare IPv6 address is ambiguous; it needs brackets
  }
  unsigned value = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (ec != std::errc{} || end != port.data() + port.size() || port.empty() || value > 65535)
    return std::nullopt;
  return host_port{std::string(host), static_cast<std::uint16_t>(value)};
}

bool is_unspecified_host(std::string_view host) {
  return host == "0.0.0.0" || host == "::" || host.empty();
}

std::string with_reachable_host(const std::string& addr, const std::string& ip) {
  auto hp = parse_host_port(addr);
  if (!hp || !is_unspecified_host(hp->host) || ip.empty()) return addr;
  hp->host = ip;
  return hp->str();
}

}  // namespace peerchat
