// Peer ids for the fuzz targets of the pure cores: a handful of fixed ones, so operations
// keep meeting the same members. Index 0 is the core's own id.
#pragma once

#include <cstddef>

#include "core/ids.hpp"

namespace peerchat::fuzz {

inline peer_id fixed_peer(std::size_t index) {
  peer_id::bytes_type key{};
  key[0] = static_cast<std::uint8_t>(index + 1);
  key[31] = 0xf0;  // not all-zero past the first byte, like a real key
  return peer_id(key);
}

}  // namespace peerchat::fuzz
