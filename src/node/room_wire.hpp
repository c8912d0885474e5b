// Conversions between the room core's types and wire messages, shared by room*.cpp only.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "membership/member_table.hpp"
#include "overlay/plumtree.hpp"
#include "proto/peerchat.pb.h"
#include "wire/frame.hpp"

namespace peerchat::room_wire {

// The most links a hop count on the wire is taken to say: a hostile count overflows nothing.
inline constexpr std::uint32_t max_hops = 1000;

inline std::shared_ptr<const std::string> encode(const wire::pb::Frame& frame) {
  return std::make_shared<const std::string>(wire::encode_frame(frame));
}

inline std::string bytes_of(const peer_id& id) { return std::string(id.as_string_view()); }

// The frames of file transfer, which the room hands to src/files (action::file_frame).
inline bool is_file_frame(const wire::pb::Frame& f) {
  switch (f.kind_case()) {
    case wire::pb::Frame::kFileRequest:
    case wire::pb::Frame::kFileChunk:
    case wire::pb::Frame::kFileHashes:
    case wire::pb::Frame::kFileHave: return true;
    default: return false;
  }
}

void to_wire(const member& m, wire::pb::Member& out);
std::optional<member> from_wire(const wire::pb::Member& in);

void to_wire(const event_ref& ref, wire::pb::EventRef& out);
std::optional<event_ref> from_wire(const wire::pb::EventRef& in);

}  // namespace peerchat::room_wire
