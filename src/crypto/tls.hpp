// TLS 1.3 contexts for links, authenticated by a self-signed certificate over the node's
// Ed25519 identity key (the Syncthing / libp2p-tls approach): no CA, the key is the identity.
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <optional>

#include "core/ids.hpp"
#include "crypto/room_secret.hpp"

typedef struct ssl_st SSL;

namespace peerchat {

class identity;

// A context for both accepting and dialing: TLS 1.3 only, a peer certificate required,
// any self-signed Ed25519 certificate accepted (the handshake proves possession of its key).
// Throws std::runtime_error if OpenSSL cannot build it.
boost::asio::ssl::context make_tls_context(const identity& id);

// The peer's id, read from its certificate's Ed25519 key after a completed handshake;
// nothing if the peer presented no certificate or a non-Ed25519 one.
std::optional<peer_id> peer_id_from_session(SSL* ssl);

// This session's keying material for closed-room proofs (SSL_export_keying_material under
// room_proof_exporter_label, no context): the same at both ends of one link, different on
// every other. Nothing if the handshake has not completed.
std::optional<session_exporter> room_proof_exporter(SSL* ssl);

}  // namespace peerchat
