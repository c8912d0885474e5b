#include "wire/event.hpp"

#include "core/error.hpp"
#include "crypto/identity.hpp"

namespace peerchat::wire {

pb::SignedEvent sign_event(const pb::EventBody& body, const identity& signer) {
  pb::SignedEvent out;
  body.SerializeToString(out.mutable_body());
  const signature sig = signer.sign(out.body());
  out.set_signature(sig.data(), sig.size());
  return out;
}

event_id id_of(const pb::SignedEvent& event) { return event_id{content_hash(event.body())}; }

namespace {

bool well_formed(const pb::EventBody& body, std::size_t max_text_bytes) {
  if (body.seq() == 0) return false;
  switch (body.kind_case()) {
    case pb::EventBody::kText: return body.text().text().size() <= max_text_bytes;
    case pb::EventBody::kNick:
      return body.nick().new_name().size() <= max_text_bytes &&
             body.nick().old_name().size() <= max_text_bytes;
    case pb::EventBody::kLeave: return true;
    case pb::EventBody::KIND_NOT_SET: return false;
  }
  return false;
}

}  // namespace

std::optional<verified_event> verify_event(const pb::SignedEvent& event,
                                           std::size_t max_text_bytes, std::error_code& ec) {
  ec.clear();
  verified_event out;
  auto author = std::optional<peer_id>{};
  if (event.signature().size() != std::tuple_size_v<signature> ||
      !out.body.ParseFromString(event.body()) ||
      !(author = peer_id::from_bytes(out.body.author())) ||
      !well_formed(out.body, max_text_bytes)) {
    ec = errc::event_malformed;
    return std::nullopt;
  }
  if (!verify_signature(*author, event.body(), event.signature())) {
    ec = errc::bad_signature;
    return std::nullopt;
  }
  out.id = id_of(event);
  out.author = *author;
  out.seq = seq_no{out.body.seq()};
  out.lamport = lamport_time{out.body.lamport()};
  out.signed_event = event;
  return out;
}

}  // namespace peerchat::wire
