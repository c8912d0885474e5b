#include "crypto/room_secret.hpp"

#include <sodium.h>

#include <stdexcept>

#include "core/ids.hpp"

namespace peerchat {
namespace {

// Argon2id needs a salt. A per-room salt (the name) would be better against precomputed
// dictionaries, but a joiner may learn the name only from the hello, and deriving there
// would stall the event loop; a fixed, versioned salt keeps derivation to startup.
constexpr std::string_view kdf_salt = "peerchat-room-v1";
static_assert(kdf_salt.size() == crypto_pwhash_SALTBYTES);
constexpr char subkey_context[crypto_kdf_CONTEXTBYTES + 1] = "pchroom1";
constexpr std::uint64_t id_subkey = 1;
constexpr std::uint64_t proof_subkey = 2;
// Versions the proof's input, and keeps it apart from anything else ever HMACed with the key.
constexpr std::string_view proof_context = "peerchat-room-proof-v1\n";

const unsigned char* bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

}  // namespace

room_secret room_secret::derive(std::string_view secret) {
  std::array<std::uint8_t, crypto_kdf_KEYBYTES> master{};
  if (crypto_pwhash(master.data(), master.size(), secret.data(), secret.size(), bytes(kdf_salt),
                    crypto_pwhash_argon2id_OPSLIMIT_INTERACTIVE,
                    crypto_pwhash_argon2id_MEMLIMIT_INTERACTIVE,
                    crypto_pwhash_ALG_ARGON2ID13) != 0)
    throw std::runtime_error("cannot derive the room key (out of memory?)");
  room_secret out;
  crypto_kdf_derive_from_key(out.id_key_.data(), out.id_key_.size(), id_subkey, subkey_context,
                             master.data());
  crypto_kdf_derive_from_key(out.proof_key_.data(), out.proof_key_.size(), proof_subkey,
                             subkey_context, master.data());
  sodium_memzero(master.data(), master.size());
  return out;
}

std::string room_secret::room_id(std::string_view room_name) const {
  std::array<std::uint8_t, 32> id{};
  crypto_generichash(id.data(), id.size(), bytes(room_name), room_name.size(), id_key_.data(),
                     id_key_.size());
  return to_hex(id.data(), id.size());
}

std::string room_secret::proof_input(std::string_view room_name, proof_role role,
                                     const session_exporter& exporter) const {
  std::string input(proof_context);
  input.push_back(static_cast<char>(role));
  input += room_id(room_name);
  input.append(reinterpret_cast<const char*>(exporter.data()), exporter.size());
  return input;
}

std::string room_secret::prove(std::string_view room_name, proof_role role,
                               const session_exporter& exporter) const {
  const std::string input = proof_input(room_name, role, exporter);
  std::string mac(crypto_auth_hmacsha256_BYTES, '\0');
  crypto_auth_hmacsha256(reinterpret_cast<unsigned char*>(mac.data()), bytes(input), input.size(),
                         proof_key_.data());
  return mac;
}

bool room_secret::verify(std::string_view room_name, proof_role role,
                         const session_exporter& exporter, std::string_view proof) const {
  if (proof.size() != crypto_auth_hmacsha256_BYTES) return false;
  const std::string input = proof_input(room_name, role, exporter);
  return crypto_auth_hmacsha256_verify(bytes(proof), bytes(input), input.size(),
                                       proof_key_.data()) == 0;
}

std::string random_room_secret() {
  std::array<std::uint8_t, 16> raw{};
  randombytes_buf(raw.data(), raw.size());
  constexpr int variant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
  std::string out(sodium_base64_ENCODED_LEN(raw.size(), variant), '\0');
  sodium_bin2base64(out.data(), out.size(), raw.data(), raw.size(), variant);
  out.resize(out.find('\0'));
  return out;
}

}  // namespace peerchat
