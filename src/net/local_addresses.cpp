#include "net/local_addresses.hpp"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>

#include <algorithm>

#include "core/address.hpp"

namespace peerchat {
namespace {

// An address a remote member could use: not loopback, not link-local (which needs a scope).
std::optional<std::string> remote_usable(const sockaddr* sa) {
  char text[INET6_ADDRSTRLEN] = {};
  if (sa->sa_family == AF_INET) {
    const auto* sin = reinterpret_cast<const sockaddr_in*>(sa);
    inet_ntop(AF_INET, &sin->sin_addr, text, sizeof text);
    if (std::string_view(text).starts_with("127.")) return std::nullopt;
    return text;
  }
  if (sa->sa_family == AF_INET6) {
    const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(sa);
    if (IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr) || IN6_IS_ADDR_LINKLOCAL(&sin6->sin6_addr))
      return std::nullopt;
    inet_ntop(AF_INET6, &sin6->sin6_addr, text, sizeof text);
    return text;
  }
  return std::nullopt;
}

}  // namespace

std::vector<std::string> dialable_addresses(const std::string& listen_addr) {
  auto hp = parse_host_port(listen_addr);
  if (!hp || !is_unspecified_host(hp->host)) return {listen_addr};
  const bool with_ipv6 = hp->host == "::";
  std::vector<std::string> v4, v6;
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) == 0) {
    for (const ifaddrs* a = list; a; a = a->ifa_next) {
      if (!a->ifa_addr) continue;
      const auto host = remote_usable(a->ifa_addr);
      if (!host) continue;
      auto& into = a->ifa_addr->sa_family == AF_INET ? v4 : v6;
      const std::string addr = host_port{*host, hp->port}.str();
      if (std::find(into.begin(), into.end(), addr) == into.end()) into.push_back(addr);
    }
    freeifaddrs(list);
  }
  if (with_ipv6) v4.insert(v4.end(), v6.begin(), v6.end());
  if (v4.empty()) v4.push_back(host_port{"127.0.0.1", hp->port}.str());
  return v4;
}

}  // namespace peerchat
