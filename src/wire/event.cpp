#include "wire/event.hpp"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/wire_format_lite.h>

#include <array>

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

std::optional<verified_event> verify_event(pb::SignedEvent event, std::size_t max_text_bytes,
                                           std::error_code& ec) {
  ec.clear();
  verified_event out;
  if (!decode_event(std::move(event), max_text_bytes, out)) {
    ec = errc::event_malformed;
    return std::nullopt;
  }
  if (!signature_valid(out)) {
    ec = errc::bad_signature;
    return std::nullopt;
  }
  return out;
}

std::optional<event_header> peek_header(std::string_view body) {
  using google::protobuf::internal::WireFormatLite;
  constexpr std::uint32_t author_tag = (pb::EventBody::kAuthorFieldNumber << 3) | WireFormatLite::WIRETYPE_LENGTH_DELIMITED;
  constexpr std::uint32_t seq_tag = (pb::EventBody::kSeqFieldNumber << 3) | WireFormatLite::WIRETYPE_VARINT;
  google::protobuf::io::CodedInputStream in(reinterpret_cast<const std::uint8_t*>(body.data()),
                                            static_cast<int>(body.size()));
  std::optional<peer_id> author;
  std::uint64_t seq = 0;
  // Scalars and bytes: the last occurrence wins, as in a full parse.
  while (const std::uint32_t tag = in.ReadTag()) {
    if (tag == author_tag) {
      std::uint32_t size = 0;
      std::array<char, peer_id::size> bytes;
      if (!in.ReadVarint32(&size)) return std::nullopt;
      if (size != bytes.size()) {
        if (!in.Skip(static_cast<int>(size))) return std::nullopt;
        author.reset();
      } else {
        if (!in.ReadRaw(bytes.data(), static_cast<int>(size))) return std::nullopt;
        author = peer_id::from_bytes(std::string_view(bytes.data(), bytes.size()));
      }
    } else if (tag == seq_tag) {
      if (!in.ReadVarint64(&seq)) return std::nullopt;
    } else if (!WireFormatLite::SkipField(&in, tag)) {
      return std::nullopt;
    }
  }
  if (!in.ConsumedEntireMessage() || !author) return std::nullopt;
  return event_header{*author, seq_no{seq}};
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
