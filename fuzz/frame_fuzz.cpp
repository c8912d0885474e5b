// wire/frame: the length-prefixed stream decoder every link runs on bytes from the network.
// Input: one byte choosing the read size, then the stream, fed in reads of that size as a
// socket would deliver it. Checks the reader's promises: memory stays within one frame plus
// one read, an error is final, and what it decodes encodes back to the same bytes.
#include <algorithm>

#include "fuzz/fuzz_input.hpp"
#include "fuzz/quiet_protobuf.hpp"
#include "wire/frame.hpp"

namespace {

// Small enough that the fuzzer meets the limit often; the real one is 1 MiB.
constexpr std::size_t max_frame_bytes = 4096;

void check_round_trip(const peerchat::wire::pb::Frame& frame) {
  const std::string once = peerchat::wire::encode_frame(frame);
  peerchat::wire::frame_reader again(once.size());
  again.feed(once);
  std::error_code ec;
  auto decoded = again.next(ec);
  FUZZ_CHECK(decoded && !ec);
  FUZZ_CHECK(peerchat::wire::encode_frame(*decoded) == once);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t read_size = std::size_t{data[0]} + 1;
  std::string_view stream(reinterpret_cast<const char*>(data + 1), size - 1);
  peerchat::wire::frame_reader reader(max_frame_bytes);
  while (!stream.empty()) {
    const std::string_view chunk = stream.substr(0, read_size);
    stream.remove_prefix(chunk.size());
    reader.feed(chunk);
    std::error_code ec;
    while (auto frame = reader.next(ec)) check_round_trip(*frame);
    if (ec) return 0;  // the link closes here
    // Drained: what is left is part of one frame, never more.
    FUZZ_CHECK(reader.buffered() < peerchat::wire::length_prefix_bytes + max_frame_bytes);
  }
  return 0;
}
