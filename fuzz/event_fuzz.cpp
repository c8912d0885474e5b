// wire/event: decoding and verifying a signed event from the network.
// Input: a mode byte, then
//   mode 0: a flip byte and a SignedEvent from a stranger (random signatures never verify, so
//     this explores the decoder and the malformed paths);
//   mode 1: a flip byte and an EventBody that a real author signs here, so the accepted path
//     is reached too; then one bit of the signed event is flipped, which must never verify;
//   mode 2: texts for two authors' genuine hash chains, then edits (corrupt, replace, reorder,
//     duplicate, drop) to the batch; whatever verify_batch accepts must be an event its author
//     really signed, although it checks most of them by hash link alone.
#include <set>
#include <vector>

#include "crypto/identity.hpp"
#include "core/error.hpp"
#include "fuzz/fuzz_input.hpp"
#include "fuzz/quiet_protobuf.hpp"
#include "wire/event.hpp"

namespace {

namespace pb = peerchat::wire::pb;
constexpr std::size_t max_text_bytes = 64;  // small, so the fuzzer crosses it often

peerchat::identity key(std::uint8_t n) {
  peerchat::crypto_init();  // idempotent; must precede the first key
  return peerchat::identity::from_seed({n, 2, 3});
}

const peerchat::identity& author() {
  static const peerchat::identity id = key(1);
  return id;
}

const peerchat::identity& second_author() {
  static const peerchat::identity id = key(2);
  return id;
}

std::optional<peerchat::wire::verified_event> verify(const pb::SignedEvent& ev, std::error_code& ec) {
  auto out = peerchat::wire::verify_event(ev, max_text_bytes, ec);
  FUZZ_CHECK(out.has_value() == !ec);
  // The header read without decoding agrees with a full parse wherever that names an author.
  const auto header = peerchat::wire::peek_header(ev.body());
  pb::EventBody parsed;
  if (parsed.ParseFromString(ev.body()))
    if (auto parsed_author = peerchat::peer_id::from_bytes(parsed.author()))
      FUZZ_CHECK(header && header->author == *parsed_author && header->seq.value == parsed.seq());
  if (out) {
    FUZZ_CHECK(out->id == peerchat::wire::id_of(ev));
    FUZZ_CHECK(out->seq.value >= 1 && out->seq.value == out->body.seq());
    FUZZ_CHECK(out->author.as_string_view() == out->body.author());
  }
  return out;
}

void signed_by_author(const std::string& body_bytes, std::uint8_t flip) {
  pb::EventBody body;
  if (!body.ParseFromString(body_bytes)) return;
  body.set_author(std::string(author().id().as_string_view()));
  pb::SignedEvent ev = peerchat::wire::sign_event(body, author());
  std::error_code ec;
  auto ok = verify(ev, ec);
  // A genuine signature is never refused as bad; only the body's content can be wrong.
  FUZZ_CHECK(ok || ec == peerchat::errc::event_malformed);
  if (!ok) return;

  std::string& target = (flip & 1) ? *ev.mutable_signature() : *ev.mutable_body();
  target[(flip >> 1) % target.size()] ^= static_cast<char>(1u << (flip % 8));
  FUZZ_CHECK(!verify(ev, ec));
}

// An author's events 1..n, each naming the previous one's id as prev_hash.
void append_chain(const peerchat::identity& who, peerchat::fuzz::input_reader& in,
                  std::vector<pb::SignedEvent>& batch, std::set<std::string>& genuine) {
  std::string prev_hash;
  const std::uint64_t n = in.byte() % 6;
  for (std::uint64_t seq = 1; seq <= n; ++seq) {
    pb::EventBody body;
    body.set_author(std::string(who.id().as_string_view()));
    body.set_seq(seq);
    body.set_prev_hash(prev_hash);
    body.mutable_text()->set_text(in.bytes());
    batch.push_back(peerchat::wire::sign_event(body, who));
    genuine.insert(batch.back().body());
    const auto id = peerchat::wire::id_of(batch.back()).bytes();
    prev_hash.assign(reinterpret_cast<const char*>(id.data()), id.size());
  }
}

void edit(std::vector<pb::SignedEvent>& batch, peerchat::fuzz::input_reader& in) {
  const std::uint8_t op = in.byte();
  const std::size_t i = in.byte() % batch.size(), j = in.byte() % batch.size();
  switch (op % 5) {
    case 0: {
      std::string& body = *batch[i].mutable_body();
      if (!body.empty()) body[in.u16() % body.size()] ^= static_cast<char>(in.byte() | 1);
      break;
    }
    case 1: batch[i].set_body(in.bytes()); break;  // an attacker's body under a real signature
    case 2: std::swap(batch[i], batch[j]); break;
    case 3: batch.insert(batch.begin() + static_cast<long>(j), batch[i]); break;
    case 4: batch.erase(batch.begin() + static_cast<long>(i)); break;
  }
}

void edited_batch(peerchat::fuzz::input_reader& in) {
  std::vector<pb::SignedEvent> batch;
  std::set<std::string> genuine;
  append_chain(author(), in, batch, genuine);
  append_chain(second_author(), in, batch, genuine);
  while (!batch.empty() && !in.empty()) edit(batch, in);
  std::size_t rejected = 0;
  const auto accepted = peerchat::wire::verify_batch(batch, max_text_bytes, rejected);
  FUZZ_CHECK(accepted.size() + rejected == batch.size());
  for (const auto& ev : accepted) FUZZ_CHECK(genuine.contains(ev.signed_event.body()));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  peerchat::fuzz::input_reader in(data, size);
  switch (in.byte() % 3) {
    case 0: {
      in.byte();
      pb::SignedEvent ev;
      if (!ev.ParseFromString(in.bytes())) return 0;
      std::error_code ec;
      verify(ev, ec);
      break;
    }
    case 1: {
      const std::uint8_t flip = in.byte();
      signed_by_author(in.bytes(), flip);
      break;
    }
    case 2: edited_batch(in); break;
  }
  return 0;
}
