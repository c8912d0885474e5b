// Link framing: a 4-byte big-endian length, then one protobuf `Frame`.
// frame_reader is sans-IO: feed it bytes as they arrive, take whole frames out. A length
// above the limit is an error as soon as the 4 prefix bytes are in, before any body is kept.
// Not thread-safe; one reader per link.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

#include "proto/peerchat.pb.h"

namespace peerchat::wire {

inline constexpr std::size_t length_prefix_bytes = 4;

// True if `text` may go in a protobuf `string` field: receivers refuse to parse a message
// with invalid UTF-8 there, so one bad byte would cost the whole frame and the link.
bool is_valid_utf8(std::string_view text);

// A member's name, wherever it travels (a hello, a member record, a Nick event) or starts
// (--name, /nick): 1 to max_name_bytes of UTF-8 without control characters.
inline constexpr std::size_t max_name_bytes = 64;
bool valid_name(std::string_view name);

// Appends the length-prefixed encoding of `frame` to `out`.
void append_frame(std::string& out, const pb::Frame& frame);
std::string encode_frame(const pb::Frame& frame);

class frame_reader {
public:
  explicit frame_reader(std::size_t max_frame_bytes) : max_frame_bytes_(max_frame_bytes) {}

  // Adds received bytes. Call next() until it returns nothing before feeding more, so the
  // buffer never holds more than one frame plus one read.
  void feed(std::string_view bytes) { buffer_.append(bytes); }

  // The next complete frame, or nothing if more bytes are needed or on error. After an
  // error (frame_too_large, frame_malformed) the stream is unusable: close the link.
  std::optional<pb::Frame> next(std::error_code& ec);

  // Bytes held in memory. Once next() has returned nothing this is just the unread tail.
  std::size_t buffered() const { return buffer_.size(); }

private:
  std::size_t max_frame_bytes_;
  std::string buffer_;
  std::size_t consumed_ = 0;
};

}  // namespace peerchat::wire
