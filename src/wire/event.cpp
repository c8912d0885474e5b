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
    // The offer's own rules (sizes, hashes, limits) are src/files' to check; here only that
    // it is no bigger than a chat line.
    case pb::EventBody::kFileOffer: return body.file_offer().ByteSizeLong() <= max_text_bytes;
    case pb::EventBody::KIND_NOT_SET: return false;
  }
  return false;
}

// Everything verify_event checks except the signature. Fills `out`, taking `event` into it, and
// returns true when the event is well formed.
bool decode_event(pb::SignedEvent&& event, std::size_t max_text_bytes, verified_event& out) {
  auto author = std::optional<peer_id>{};
  if (event.signature().size() != std::tuple_size_v<signature> ||
      !out.body.ParseFromString(event.body()) ||
      !(author = peer_id::from_bytes(out.body.author())) ||
      !well_formed(out.body, max_text_bytes))
    return false;
  out.id = id_of(event);
  out.author = *author;
  out.seq = seq_no{out.body.seq()};
  out.lamport = lamport_time{out.body.lamport()};
  out.signed_event = std::move(event);
  return true;
}

bool signature_valid(const verified_event& ev) {
  return verify_signature(ev.author, ev.signed_event.body(), ev.signed_event.signature());
}

}  // namespace

std::optional<verified_event> verify_event(const pb::SignedEvent& event,
                                           std::size_t max_text_bytes, std::error_code& ec) {
  ec.clear();
  verified_event out;
  if (!decode_event(pb::SignedEvent(event), max_text_bytes, out)) {
    ec = errc::event_malformed;
    return std::nullopt;
  }
  if (!signature_valid(out)) {
    ec = errc::bad_signature;
    return std::nullopt;
  }
  return out;
}

// Events are decoded in place into the result and moved at most once more (only when some are
// rejected): at catch-up's rate, copies and moves of whole events cost more than the hashing.
std::vector<verified_event> verify_batch(std::vector<pb::SignedEvent> events,
                                         std::size_t max_text_bytes, std::size_t& rejected) {
  rejected = 0;
  std::vector<verified_event> out(events.size());
  std::vector<bool> ok(events.size());
  for (std::size_t i = 0; i < events.size(); ++i)
    ok[i] = decode_event(std::move(events[i]), max_text_bytes, out[i]);
  // Newest first: an event is vouched for by the verified successor right after it.
  for (std::size_t i = out.size(); i-- > 0;) {
    if (!ok[i]) continue;
    const auto& ev = out[i];
    const bool vouched = i + 1 < out.size() && ok[i + 1] && out[i + 1].author == ev.author &&
                         out[i + 1].seq.value == ev.seq.value + 1 &&
                         out[i + 1].body.prev_hash() ==
                             std::string_view(reinterpret_cast<const char*>(ev.id.bytes().data()),
                                              ev.id.bytes().size());
    if (!vouched && !signature_valid(ev)) ok[i] = false;
  }
  std::size_t kept = 0;
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (!ok[i]) {
      ++rejected;
      continue;
    }
    if (kept != i) out[kept] = std::move(out[i]);
    ++kept;
  }
  out.resize(kept);
  return out;
}

}  // namespace peerchat::wire
