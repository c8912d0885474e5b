// Closed rooms: what a room secret turns into, and the proof of it that each side of a link
// gives in the hello (docs/ARCHITECTURE.md, "Admission to a closed room").
//
// The secret itself never leaves this object and never crosses the wire. A proof is an
// HMAC-SHA-256 over a TLS exporter value of one session, so it is worthless on any other
// link, and over the prover's role, so a peer cannot hand our own proof back to us.
// Immutable after derive(); value type; thread-compatible.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace peerchat {

// Keying material exported from one TLS session (RFC 8446 section 7.5) under
// `room_proof_exporter_label`: both ends of a link compute the same value, nobody else can.
using session_exporter = std::array<std::uint8_t, 32>;
inline constexpr std::string_view room_proof_exporter_label = "EXPORTER-peerchat-room-proof";

// Which end of the link proves: the two proofs of one session must differ.
enum class proof_role : std::uint8_t { dialer = 1, acceptor = 2 };

class room_secret {
public:
  // Stretches `secret` (any non-empty bytes) with Argon2id at libsodium's interactive limits
  // (about 0.1-0.5 s and 64 MiB, once per process): a human-chosen secret then costs an
  // attacker who got hold of one proof that much per guess. Throws std::runtime_error if
  // libsodium cannot (out of memory). crypto_init() must have run.
  static room_secret derive(std::string_view secret);

  // The room's id: BLAKE2b-256 of the room name keyed with a key derived from the secret,
  // in hex. Two rooms with the same name and different secrets have different ids.
  std::string room_id(std::string_view room_name) const;

  // HMAC-SHA-256(proof key, context || role || room id || exporter): 32 bytes.
  std::string prove(std::string_view room_name, proof_role role,
                    const session_exporter& exporter) const;
  // Constant-time check of a proof made by `role` on the session with `exporter`.
  bool verify(std::string_view room_name, proof_role role, const session_exporter& exporter,
              std::string_view proof) const;

private:
  using key = std::array<std::uint8_t, 32>;
  std::string proof_input(std::string_view room_name, proof_role role,
                          const session_exporter& exporter) const;

  key id_key_{};
  key proof_key_{};
};

// A fresh random secret for a new closed room: 128 bits, URL-safe base64 (22 characters),
// so it fits in an invite without escaping.
std::string random_room_secret();

}  // namespace peerchat
