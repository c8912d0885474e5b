#include "crypto/identity.hpp"

#include <sodium.h>
#include <sys/stat.h>

#include <fstream>
#include <stdexcept>

#include "core/error.hpp"

namespace peerchat {

void crypto_init() {
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
}

identity identity::generate() {
  std::array<std::uint8_t, 32> seed;
  randombytes_buf(seed.data(), seed.size());
  return from_seed(seed);
}

identity identity::from_seed(const std::array<std::uint8_t, 32>& seed) {
  identity out;
  out.seed_ = seed;
  peer_id::bytes_type pk;
  crypto_sign_seed_keypair(pk.data(), out.secret_key_.data(), out.seed_.data());
  out.id_ = peer_id{pk};
  return out;
}

identity identity::load_or_create(const std::filesystem::path& dir, std::error_code& ec) {
  namespace fs = std::filesystem;
  ec.clear();
  fs::create_directories(dir, ec);
  if (ec) return {};
  const fs::path file = dir / "identity.key";
  identity out;
  if (!fs::exists(file)) {
    out = generate();
    // Create with 0600 from the start so the seed is never readable by others, even briefly.
    mode_t old = ::umask(077);
    std::ofstream os(file, std::ios::binary | std::ios::trunc);
    os.write(reinterpret_cast<const char*>(out.seed_.data()), out.seed_.size());
    os.close();
    ::umask(old);
    fs::permissions(file, fs::perms::owner_read | fs::perms::owner_write, ec);
    if (!os || ec) ec = errc::key_file_unreadable;
    return out;
  }
  std::ifstream is(file, std::ios::binary);
  std::array<char, 33> raw{};
  is.read(raw.data(), raw.size());
  if (is.gcount() != 32) {
    ec = errc::key_file_unreadable;
    return {};
  }
  std::memcpy(out.seed_.data(), raw.data(), 32);
  peer_id::bytes_type pk;
  crypto_sign_seed_keypair(pk.data(), out.secret_key_.data(), out.seed_.data());
  out.id_ = peer_id{pk};
  return out;
}

signature identity::sign(std::string_view message) const {
  signature sig;
  crypto_sign_detached(sig.data(), nullptr, reinterpret_cast<const unsigned char*>(message.data()),
                       message.size(), secret_key_.data());
  return sig;
}

bool verify_signature(const peer_id& author, std::string_view message, std::string_view sig) {
  if (sig.size() != crypto_sign_BYTES) return false;
  return crypto_sign_verify_detached(reinterpret_cast<const unsigned char*>(sig.data()),
                                     reinterpret_cast<const unsigned char*>(message.data()),
                                     message.size(), author.bytes().data()) == 0;
}

std::array<std::uint8_t, 32> content_hash(std::string_view data) {
  std::array<std::uint8_t, 32> out;
  crypto_generichash(out.data(), out.size(), reinterpret_cast<const unsigned char*>(data.data()),
                     data.size(), nullptr, 0);
  return out;
}

}  // namespace peerchat
