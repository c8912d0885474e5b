// The hello: the first frame of every link, judged by the room core before anything else.
// Input: a flags byte (bit 0: we are a joiner and this is our join link; bit 1: we dialed the
// link; bits 2-3: which peer's key the TLS handshake showed), then the Hello's protobuf bytes.
// The link is then left to its hello deadline, so the admitted and refused paths both run on.
#include "fuzz/fuzz_input.hpp"
#include "fuzz/room_driver.hpp"

using peerchat::fuzz::room_driver;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  peerchat::fuzz::input_reader in(data, size);
  const std::uint8_t flags = in.byte();
  peerchat::wire::pb::Frame frame;
  if (!frame.mutable_hello()->ParseFromString(in.bytes())) return 0;

  const bool joiner = flags & 1;
  room_driver r(joiner ? room_driver::role::joiner : room_driver::role::founder);
  const std::size_t peer = joiner ? 0 : (flags >> 2) % room_driver::peer_count;
  const bool we_dialed = joiner || (flags & 2);
  r.link_up(1, peer, we_dialed);
  r.settle();
  r.core().on_frame(1, frame, r.now());
  r.settle();
  r.advance(std::chrono::seconds(10));
  r.core().on_tick(r.now());
  r.settle();
  return 0;
}
