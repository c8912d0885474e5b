#include "core/ids.hpp"

namespace peerchat {

std::string to_hex(const std::uint8_t* data, std::size_t size) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out(size * 2, '0');
  for (std::size_t i = 0; i < size; ++i) {
    out[2 * i] = digits[data[i] >> 4];
    out[2 * i + 1] = digits[data[i] & 0xf];
  }
  return out;
}

std::optional<peer_id> peer_id::from_bytes(std::string_view raw) {
  if (raw.size() != size) return std::nullopt;
  bytes_type key;
  std::memcpy(key.data(), raw.data(), size);
  return peer_id{key};
}

std::optional<peer_id> peer_id::from_hex(std::string_view hex) {
  if (hex.size() != 2 * size) return std::nullopt;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  bytes_type key;
  for (std::size_t i = 0; i < size; ++i) {
    int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    key[i] = static_cast<std::uint8_t>(hi << 4 | lo);
  }
  return peer_id{key};
}

std::string fingerprint(const peer_id& id) {
  const std::string hex = id.hex();
  std::string out;
  for (std::size_t i = 0; i < hex.size(); i += 4) out += (i ? " " : "") + hex.substr(i, 4);
  return out;
}

std::string peer_id::hex() const { return to_hex(key_.data(), key_.size()); }
std::string event_id::hex() const { return to_hex(hash_.data(), hash_.size()); }

}  // namespace peerchat
