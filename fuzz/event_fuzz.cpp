// wire/event: decoding and verifying a signed event from the network.
// Input: a mode byte, then protobuf bytes.
//   mode even: the bytes are a SignedEvent from a stranger (random signatures never verify, so
//     this explores the decoder and the malformed paths);
//   mode odd: the bytes are an EventBody that a real author signs here, so the accepted path
//     is reached too; then one bit of the signed event is flipped, which must never verify.
#include "crypto/identity.hpp"
#include "core/error.hpp"
#include "fuzz/fuzz_input.hpp"
#include "fuzz/quiet_protobuf.hpp"
#include "wire/event.hpp"

namespace {

namespace pb = peerchat::wire::pb;
constexpr std::size_t max_text_bytes = 64;  // small, so the fuzzer crosses it often

const peerchat::identity& author() {
  static const peerchat::identity id = [] {
    peerchat::crypto_init();
    return peerchat::identity::from_seed({1, 2, 3});
  }();
  return id;
}

std::optional<peerchat::wire::verified_event> verify(const pb::SignedEvent& ev, std::error_code& ec) {
  auto out = peerchat::wire::verify_event(ev, max_text_bytes, ec);
  FUZZ_CHECK(out.has_value() == !ec);
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

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  peerchat::fuzz::input_reader in(data, size);
  const std::uint8_t mode = in.byte();
  const std::uint8_t flip = in.byte();
  const std::string bytes = in.bytes();
  if (mode % 2 == 0) {
    pb::SignedEvent ev;
    if (!ev.ParseFromString(bytes)) return 0;
    std::error_code ec;
    verify(ev, ec);
  } else {
    signed_by_author(bytes, flip);
  }
  return 0;
}
