// Where others can dial this node, for invites and the join hint: reads the host's network
// interfaces (getifaddrs), so it is I/O; call it on the node's thread, it does not block.
#pragma once

#include <string>
#include <vector>

namespace peerchat {

// HOST:PORT strings for a node listening at `listen_addr`. A specific host is returned as it
// is. An unspecified one (0.0.0.0, or [::] which accepts both families) becomes every
// non-loopback address of the interfaces (IPv4 first; IPv6 only for [::], link-local ones
// left out because they need a scope), or the loopback address when there is no other.
std::vector<std::string> dialable_addresses(const std::string& listen_addr);

}  // namespace peerchat
