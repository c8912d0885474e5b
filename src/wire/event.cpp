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

// Everything verify_event checks except the signature.
std::optional<verified_event> decode_event(const pb::SignedEvent& event, std::size_t max_text_bytes,
                                           std::error_code& ec) {
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
  out.id = id_of(event);
  out.author = *author;
  out.seq = seq_no{out.body.seq()};
  out.lamport = lamport_time{out.body.lamport()};
  out.signed_event = event;
  return out;
}

}  // namespace

std::optional<verified_event> verify_event(const pb::SignedEvent& event,
                                           std::size_t max_text_bytes, std::error_code& ec) {
  auto out = decode_event(event, max_text_bytes, ec);
  if (out && !verify_signature(out->author, event.body(), event.signature())) {
    ec = errc::bad_signature;
    return std::nullopt;
  }
  return out;
}

std::vector<verified_event> verify_batch(std::span<const pb::SignedEvent> events,
                                         std::size_t max_text_bytes, std::size_t& rejected) {
  rejected = 0;
  std::vector<std::optional<verified_event>> decoded(events.size());
  std::error_code ec;
  for (std::size_t i = 0; i < events.size(); ++i) decoded[i] = decode_event(events[i], max_text_bytes, ec);
  // Newest first: an event is vouched for by the verified successor right after it.
  for (std::size_t i = events.size(); i-- > 0;) {
    auto& ev = decoded[i];
    if (!ev) continue;
    const bool vouched = i + 1 < events.size() && decoded[i + 1] &&
                         decoded[i + 1]->author == ev->author &&
                         decoded[i + 1]->seq.value == ev->seq.value + 1 &&
                         decoded[i + 1]->body.prev_hash() ==
                             std::string_view(reinterpret_cast<const char*>(ev->id.bytes().data()),
                                              ev->id.bytes().size());
    if (!vouched && !verify_signature(ev->author, events[i].body(), events[i].signature())) ev.reset();
  }
  std::vector<verified_event> out;
  out.reserve(events.size());
  for (auto& ev : decoded) {
    if (ev) out.push_back(std::move(*ev));
    else ++rejected;
  }
  return out;
}

}  // namespace peerchat::wire
