// Sealed boxes for private messages (libsodium crypto_box_seal): anyone can seal a message to
// a member knowing only its id (the Ed25519 key, converted to X25519); only that member can
// open it. The box hides the sender; peerchat signs inside it to name the sender.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/ids.hpp"

namespace peerchat {

class identity;

// Empty when `recipient` is not a valid Ed25519 key (it cannot be converted).
std::optional<std::string> seal_to(const peer_id& recipient, std::string_view plaintext);
// Empty when the box was not sealed to `self` or was altered.
std::optional<std::string> open_sealed(const identity& self, std::string_view sealed);

}  // namespace peerchat
