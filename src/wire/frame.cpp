#include "wire/frame.hpp"

#include <google/protobuf/stubs/common.h>

#include <algorithm>

#include "core/error.hpp"

namespace peerchat::wire {

bool is_valid_utf8(std::string_view text) {
  // The very check protobuf's parser applies to string fields.
  return google::protobuf::internal::IsStructurallyValidUTF8(text.data(), static_cast<int>(text.size()));
}

bool valid_name(std::string_view name) {
  return !name.empty() && name.size() <= max_name_bytes && is_valid_utf8(name) &&
         std::none_of(name.begin(), name.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20; });
}

void append_frame(std::string& out, const pb::Frame& frame) {
  const std::size_t size = frame.ByteSizeLong();
  const std::size_t start = out.size();
  out.resize(start + length_prefix_bytes + size);
  auto* p = reinterpret_cast<unsigned char*>(out.data() + start);
  p[0] = static_cast<unsigned char>(size >> 24);
  p[1] = static_cast<unsigned char>(size >> 16);
  p[2] = static_cast<unsigned char>(size >> 8);
  p[3] = static_cast<unsigned char>(size);
  frame.SerializeWithCachedSizesToArray(p + length_prefix_bytes);
}

std::string encode_frame(const pb::Frame& frame) {
  std::string out;
  append_frame(out, frame);
  return out;
}

std::optional<pb::Frame> frame_reader::next(std::error_code& ec) {
  ec.clear();
  // Compact whenever we wait for more bytes (at most once per read), so returned frames never
  // pile up in front of a partial one.
  auto need_more = [this] {
    buffer_.erase(0, consumed_);
    consumed_ = 0;
    return std::nullopt;
  };
  const std::size_t available = buffer_.size() - consumed_;
  if (available < length_prefix_bytes) return need_more();
  const auto* p = reinterpret_cast<const unsigned char*>(buffer_.data() + consumed_);
  const std::size_t length = std::size_t{p[0]} << 24 | std::size_t{p[1]} << 16 |
                             std::size_t{p[2]} << 8 | std::size_t{p[3]};
  if (length > max_frame_bytes_) {
    ec = errc::frame_too_large;
    return std::nullopt;
  }
  if (available < length_prefix_bytes + length) return need_more();
  pb::Frame frame;
  if (!frame.ParseFromArray(p + length_prefix_bytes, static_cast<int>(length))) {
    ec = errc::frame_malformed;
    return std::nullopt;
  }
  consumed_ += length_prefix_bytes + length;
  return frame;
}

}  // namespace peerchat::wire
