// Readable fixed ids for unit tests: id_of(0xb0) is a peer id of 32 bytes 0xb0.
#pragma once

#include <cstdint>

#include "core/ids.hpp"

namespace peerchat::testing_ids {

inline peer_id id_of(std::uint8_t tag) {
  peer_id::bytes_type b{};
  b.fill(tag);
  return peer_id{b};
}

}  // namespace peerchat::testing_ids
