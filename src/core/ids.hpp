// Strong types for the protocol's identifiers and counters.
// Value types; no ownership, no threading concerns.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <cstring>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace peerchat {

// A member's identity: its Ed25519 public key. Shown as 8 hex digits beside names.
class peer_id {
public:
  static constexpr std::size_t size = 32;
  using bytes_type = std::array<std::uint8_t, size>;

  peer_id() = default;
  explicit peer_id(const bytes_type& key) : key_(key) {}
  // Returns nothing unless `raw` is exactly `size` bytes.
  static std::optional<peer_id> from_bytes(std::string_view raw);
  // Accepts the full 64-digit hex form.
  static std::optional<peer_id> from_hex(std::string_view hex);

  const bytes_type& bytes() const { return key_; }
  std::string_view as_string_view() const {
    return {reinterpret_cast<const char*>(key_.data()), key_.size()};
  }
  std::string hex() const;
  std::string short_hex() const { return hex().substr(0, 8); }
  bool is_zero() const { return key_ == bytes_type{}; }

  auto operator<=>(const peer_id&) const = default;

private:
  bytes_type key_{};
};

// Per-author event number: 1, 2, 3 ... without gaps.
struct seq_no {
  std::uint64_t value = 0;
  auto operator<=>(const seq_no&) const = default;
  seq_no next() const { return {value + 1}; }
};

// Lamport clock value; display order is (lamport, author).
struct lamport_time {
  std::uint64_t value = 0;
  auto operator<=>(const lamport_time&) const = default;
};

// Content hash of a signed event, its id on the wire and in the UI.
class event_id {
public:
  static constexpr std::size_t size = 32;
  event_id() = default;
  explicit event_id(const std::array<std::uint8_t, size>& h) : hash_(h) {}
  const std::array<std::uint8_t, size>& bytes() const { return hash_; }
  std::string hex() const;
  auto operator<=>(const event_id&) const = default;

private:
  std::array<std::uint8_t, size> hash_{};
};

std::string to_hex(const std::uint8_t* data, std::size_t size);

// The whole key as 16 groups of 4 hex digits, to read aloud or compare side by side out of
// band; it starts with the short id shown beside names.
std::string fingerprint(const peer_id& id);

}  // namespace peerchat

template <>
struct std::hash<peerchat::peer_id> {
  std::size_t operator()(const peerchat::peer_id& id) const noexcept {
    std::size_t h;  // keys are uniformly random, so any 8 bytes make a good hash
    std::memcpy(&h, id.bytes().data(), sizeof h);
    return h;
  }
};
