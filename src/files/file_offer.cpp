#include "files/file_offer.hpp"

#include <fmt/format.h>
#include <openssl/sha.h>
#include <sodium.h>

#include "wire/frame.hpp"

namespace peerchat::files {

std::uint32_t file_offer::chunk_count() const {
  const std::uint64_t size = wire.size(), chunk = wire.chunk_size();
  return static_cast<std::uint32_t>((size + chunk - 1) / chunk);
}

std::uint32_t file_offer::chunk_length(std::uint32_t index) const {
  const std::uint64_t rest = wire.size() - chunk_offset(index);
  return static_cast<std::uint32_t>(std::min<std::uint64_t>(rest, wire.chunk_size()));
}

std::string file_id_of(const peer_id& from, const wire::pb::FileOffer& offer) {
  const std::string bytes = offer.SerializeAsString();
  crypto_generichash_state state;
  crypto_generichash_init(&state, nullptr, 0, file_id_bytes);
  crypto_generichash_update(&state, from.bytes().data(), from.bytes().size());
  crypto_generichash_update(&state, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
  std::string id(file_id_bytes, '\0');
  crypto_generichash_final(&state, reinterpret_cast<unsigned char*>(id.data()), id.size());
  return id;
}

std::optional<file_offer> check_offer(const peer_id& from, const wire::pb::FileOffer& offer,
                                      bool to_room, std::uint64_t max_file_bytes, std::string& why) {
  // Not UTF-8: protobuf logs an error each time such a string field is serialized (for the
  // file id, below), so one hostile offer would fill every member's log.
  if (offer.name().empty() || offer.name().size() > max_name_bytes || !wire::is_valid_utf8(offer.name())) {
    why = "a file offer without a usable name";
  } else if (offer.sha256().size() != 32 || offer.chunk_hashes_root().size() != 32 ||
             offer.nonce().size() != 16) {
    why = "a malformed file offer";
  } else if (!offer.key().empty() && (to_room || offer.key().size() != chunk_key_bytes)) {
    why = "a malformed file offer";
  } else if (offer.chunk_size() == 0 || offer.chunk_size() > chunk_bytes ||
             offer.size() > std::uint64_t{max_chunks} * offer.chunk_size()) {
    why = "a file offer with impossible chunks";
  } else if (offer.size() > max_file_bytes) {
    why = fmt::format("a file of {} bytes, above the limit of {} (--max-file-size)", offer.size(), max_file_bytes);
  } else {
    return file_offer{file_id_of(from, offer), from, to_room, offer};
  }
  return std::nullopt;
}

std::string safe_file_name(std::string_view offered) {
  if (auto slash = offered.find_last_of("/\\"); slash != offered.npos) offered.remove_prefix(slash + 1);
  std::string name;
  for (unsigned char c : offered)
    if (c >= 0x20 && c != 0x7f) name += static_cast<char>(c);
  while (!name.empty() && (name.front() == '.' || name.front() == ' ')) name.erase(0, 1);
  if (name.size() > max_name_bytes) {
    name.resize(max_name_bytes);
    // The cut may split a UTF-8 sequence: drop the last (perhaps partial) character.
    auto back = [&] { return static_cast<unsigned char>(name.back()); };
    while (!name.empty() && (back() & 0xC0) == 0x80) name.pop_back();
    if (!name.empty() && back() >= 0xC0) name.pop_back();
  }
  // A file system's name need not be UTF-8 (Latin-1 names on Linux): its other bytes become
  // '?', since an offer's name must be UTF-8 (check_offer).
  if (!wire::is_valid_utf8(name))
    for (char& c : name)
      if (static_cast<unsigned char>(c) >= 0x80) c = '?';
  return name.empty() ? "file" : name;
}

std::string hashes_root(std::string_view hashes) {
  std::string root(SHA256_DIGEST_LENGTH, '\0');
  SHA256(reinterpret_cast<const unsigned char*>(hashes.data()), hashes.size(),
         reinterpret_cast<unsigned char*>(root.data()));
  return root;
}

namespace {
std::string chunk_ad(std::string_view file_id, std::uint32_t index) {
  std::string ad(file_id);
  for (int shift = 24; shift >= 0; shift -= 8) ad += static_cast<char>(index >> shift);
  return ad;
}
const unsigned char* bytes_of(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }
}  // namespace

std::string seal_chunk(std::string_view key, std::string_view file_id, std::uint32_t index, std::string_view chunk) {
  std::string out(sealed_chunk_overhead + chunk.size(), '\0');
  auto* nonce = reinterpret_cast<unsigned char*>(out.data());
  randombytes_buf(nonce, crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
  const std::string ad = chunk_ad(file_id, index);
  unsigned long long written = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(nonce + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, &written,
                                             bytes_of(chunk), chunk.size(), bytes_of(ad), ad.size(), nullptr,
                                             nonce, bytes_of(key));
  return out;
}

std::optional<std::string> open_chunk(std::string_view key, std::string_view file_id, std::uint32_t index,
                                      std::string_view sealed) {
  if (key.size() != chunk_key_bytes || sealed.size() < sealed_chunk_overhead) return std::nullopt;
  std::string out(sealed.size() - sealed_chunk_overhead, '\0');
  const std::string ad = chunk_ad(file_id, index);
  const auto* nonce = bytes_of(sealed);
  unsigned long long length = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          reinterpret_cast<unsigned char*>(out.data()), &length, nullptr,
          nonce + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES,
          sealed.size() - crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, bytes_of(ad), ad.size(), nonce,
          bytes_of(key)) != 0)
    return std::nullopt;
  return out;
}

std::string hex(std::string_view bytes) {
  return to_hex(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
}

}  // namespace peerchat::files
