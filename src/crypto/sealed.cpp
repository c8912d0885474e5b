#include "crypto/sealed.hpp"

#include <sodium.h>

#include <array>

#include "crypto/identity.hpp"

namespace peerchat {

std::optional<std::string> seal_to(const peer_id& recipient, std::string_view plaintext) {
  std::array<unsigned char, crypto_box_PUBLICKEYBYTES> x25519{};
  if (crypto_sign_ed25519_pk_to_curve25519(x25519.data(), recipient.bytes().data()) != 0)
    return std::nullopt;
  std::string out(plaintext.size() + crypto_box_SEALBYTES, '\0');
  crypto_box_seal(reinterpret_cast<unsigned char*>(out.data()),
                  reinterpret_cast<const unsigned char*>(plaintext.data()), plaintext.size(),
                  x25519.data());
  return out;
}

std::optional<std::string> open_sealed(const identity& self, std::string_view sealed) {
  if (sealed.size() < crypto_box_SEALBYTES) return std::nullopt;
  std::array<unsigned char, crypto_sign_PUBLICKEYBYTES> ed_pk{};
  std::array<unsigned char, crypto_sign_SECRETKEYBYTES> ed_sk{};
  crypto_sign_seed_keypair(ed_pk.data(), ed_sk.data(), self.seed().data());
  std::array<unsigned char, crypto_box_PUBLICKEYBYTES> x_pk{};
  std::array<unsigned char, crypto_box_SECRETKEYBYTES> x_sk{};
  const bool converted = crypto_sign_ed25519_pk_to_curve25519(x_pk.data(), ed_pk.data()) == 0 &&
                         crypto_sign_ed25519_sk_to_curve25519(x_sk.data(), ed_sk.data()) == 0;
  sodium_memzero(ed_sk.data(), ed_sk.size());
  if (!converted) return std::nullopt;
  std::string out(sealed.size() - crypto_box_SEALBYTES, '\0');
  const int opened = crypto_box_seal_open(reinterpret_cast<unsigned char*>(out.data()),
                                          reinterpret_cast<const unsigned char*>(sealed.data()),
                                          sealed.size(), x_pk.data(), x_sk.data());
  sodium_memzero(x_sk.data(), x_sk.size());
  if (opened != 0) return std::nullopt;
  return out;
}

}  // namespace peerchat
