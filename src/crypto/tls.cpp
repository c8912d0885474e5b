#include "crypto/tls.hpp"

#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <memory>
#include <stdexcept>

#include "crypto/identity.hpp"

namespace peerchat {
namespace {

template <auto Free>
struct deleter {
  template <class T>
  void operator()(T* p) const { Free(p); }
};
using pkey_ptr = std::unique_ptr<EVP_PKEY, deleter<EVP_PKEY_free>>;
using x509_ptr = std::unique_ptr<X509, deleter<X509_free>>;

void check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("TLS setup failed: ") + what);
}

x509_ptr self_signed_certificate(EVP_PKEY* key) {
  x509_ptr cert(X509_new());
  check(cert != nullptr, "X509_new");
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
  // Validity is not what authenticates a peer (its key is), but must be sane for OpenSSL.
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -24L * 3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 3650L * 24 * 3600);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("peerchat"), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  check(X509_set_pubkey(cert.get(), key) == 1, "X509_set_pubkey");
  check(X509_sign(cert.get(), key, nullptr) > 0, "X509_sign");  // Ed25519 takes no digest
  return cert;
}

// Identity comes from the key, not from a CA chain, so chain verification is waived here and
// the key is read after the handshake. TLS's CertificateVerify still proves key possession.
int accept_self_signed(int /*preverify_ok*/, X509_STORE_CTX* /*ctx*/) { return 1; }

}  // namespace

boost::asio::ssl::context make_tls_context(const identity& id) {
  boost::asio::ssl::context ctx(boost::asio::ssl::context::tls);
  SSL_CTX* native = ctx.native_handle();
  check(SSL_CTX_set_min_proto_version(native, TLS1_3_VERSION) == 1, "min version");
  check(SSL_CTX_set_max_proto_version(native, TLS1_3_VERSION) == 1, "max version");
  SSL_CTX_set_options(native, SSL_OP_NO_TICKET);  // no resumption: every link authenticates

  pkey_ptr key(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, id.seed().data(),
                                            id.seed().size()));
  check(key != nullptr, "EVP_PKEY_new_raw_private_key");
  x509_ptr cert = self_signed_certificate(key.get());
  check(SSL_CTX_use_certificate(native, cert.get()) == 1, "use certificate");
  check(SSL_CTX_use_PrivateKey(native, key.get()) == 1, "use private key");
  SSL_CTX_set_verify(native, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
                     accept_self_signed);
  return ctx;
}

std::optional<peer_id> peer_id_from_session(SSL* ssl) {
  x509_ptr cert(SSL_get1_peer_certificate(ssl));
  if (!cert) return std::nullopt;
  EVP_PKEY* key = X509_get0_pubkey(cert.get());
  if (key == nullptr || EVP_PKEY_get_id(key) != EVP_PKEY_ED25519) return std::nullopt;
  peer_id::bytes_type raw;
  std::size_t len = raw.size();
  if (EVP_PKEY_get_raw_public_key(key, raw.data(), &len) != 1 || len != raw.size())
    return std::nullopt;
  return peer_id{raw};
}

std::optional<session_exporter> room_proof_exporter(SSL* ssl) {
  session_exporter out{};
  if (SSL_export_keying_material(ssl, out.data(), out.size(), room_proof_exporter_label.data(),
                                 room_proof_exporter_label.size(), nullptr, 0, 0) != 1)
    return std::nullopt;
  return out;
}

}  // namespace peerchat
