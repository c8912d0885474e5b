// Conversions between the room core's types and wire messages, shared by room*.cpp (and the
// fuzz corpus, which signs what a member would).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "crypto/identity.hpp"
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

inline void append_u64_le(std::string& out, std::uint64_t value) {
  for (int byte = 0; byte < 8; ++byte) out += static_cast<char>((value >> (8 * byte)) & 0xff);
}

// What a Relayed envelope's `from` signs: everything but the ttl, which relays lower; the
// frame by its hash, so a file chunk is read once more, not copied.
inline std::string relayed_signed_part(const wire::pb::Relayed& r) {
  constexpr std::string_view tag{"peerchat relayed v1\0", 20};
  std::string out;
  out.reserve(tag.size() + r.to().size() + r.from().size() + 8 + 1 + 32);
  out += tag;
  out += r.to();
  out += r.from();
  append_u64_le(out, r.nonce());
  out += static_cast<char>(r.bulk() ? 1 : 0);
  const auto frame_hash = content_hash(r.frame());
  out.append(reinterpret_cast<const char*>(frame_hash.data()), frame_hash.size());
  return out;
}

// What a member signs for each incarnation it takes (member::proof): its name too, so no one
// else can pass it off under another name at that incarnation. Not its address: members fill
// in an unspecified host from what they see of its link (room::handle_members).
inline std::string incarnation_signed_part(const peer_id& id, std::uint64_t incarnation,
                                           std::string_view name) {
  constexpr std::string_view tag{"peerchat incarnation v2\0", 24};
  std::string out{tag};
  out += id.as_string_view();
  append_u64_le(out, incarnation);
  out += name;  // last, so its length needs no prefix
  return out;
}

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
