// A node's long-term identity: an Ed25519 key pair whose public half is the peer id.
// The secret seed lives in DATA_DIR/identity.key (32 bytes, mode 0600); it never leaves it
// except into this object and the TLS context built from it. Immutable after load.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <string_view>
#include <system_error>

#include "core/ids.hpp"

namespace peerchat {

using signature = std::array<std::uint8_t, 64>;

class identity {
public:
  // Loads the key from `dir`, creating dir and key on first start.
  static identity load_or_create(const std::filesystem::path& dir, std::error_code& ec);
  static identity generate();
  // The same seed always gives the same key: the simulator's reproducible identities.
  static identity from_seed(const std::array<std::uint8_t, 32>& seed);

  const peer_id& id() const { return id_; }
  const std::array<std::uint8_t, 32>& seed() const { return seed_; }
  signature sign(std::string_view message) const;

private:
  identity() = default;
  std::array<std::uint8_t, 32> seed_{};
  std::array<std::uint8_t, 64> secret_key_{};  // libsodium's seed||public form
  peer_id id_;
};

// True when `sig` is `author`'s Ed25519 signature over `message`.
bool verify_signature(const peer_id& author, std::string_view message, std::string_view sig);

// libsodium's BLAKE2b-256 of `data`: event ids and hash chains.
std::array<std::uint8_t, 32> content_hash(std::string_view data);

// Must run once before any other crypto call (idempotent, thread-safe).
void crypto_init();

}  // namespace peerchat
