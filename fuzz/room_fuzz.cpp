// node/room: every message handler of the room core, driven as a node drives it.
// Input: a setup byte, then operations (room_op in room_driver.hpp), each an opcode byte and
// its arguments, until the input ends or the room has finished. Setup bits 0-1: how many of
// the four peers are linked and past the hello before the operations (so most inputs start in
// an established room); bit 2: we are a joiner; bit 3: the room has a history store.
#include "core/error.hpp"
#include "fuzz/fuzz_input.hpp"
#include "fuzz/room_driver.hpp"

namespace {

using peerchat::fuzz::input_reader;
using peerchat::fuzz::room_driver;
using peerchat::fuzz::room_op;
namespace pb = peerchat::wire::pb;

// Links 1..8: few enough that operations keep meeting the same links (1..3 are the setup's).
peerchat::link_id link_from(input_reader& in) { return in.byte() % 8 + 1; }

// A joiner's first link is the one it dialed to join; the others dial us.
void link_up_and_hello(room_driver& r, std::size_t peer, bool joiner) {
  const peerchat::link_id link = 1 + peer;  // the ids operations name too
  r.link_up(link, peer, joiner && peer == 0);
  pb::Frame f;
  *f.mutable_hello() = room_driver::hello_of(peer, room_driver::room_name);
  r.core().on_frame(link, f, r.now());
  r.settle();
}

void run(room_driver& r, room_op op, input_reader& in) {
  auto& core = r.core();
  const auto now = r.now();
  switch (op) {
    case room_op::link_up: {
      const auto link = link_from(in);
      const std::size_t peer = in.byte();
      const bool we_dialed = in.byte() & 1;
      r.link_up(link, peer, we_dialed);
      break;
    }
    case room_op::frame: {
      const auto link = link_from(in);
      pb::Frame f;
      if (f.ParseFromString(in.bytes())) core.on_frame(link, f, now);  // else the link's reader closes it
      break;
    }
    case room_op::datagram: {
      const std::string bytes = in.bytes();
      if (bytes.size() <= peerchat::room::max_datagram_bytes) core.on_datagram(bytes, now);
      break;
    }
    case room_op::tick:
      r.advance(std::chrono::milliseconds(in.u16()));
      core.on_tick(r.now());
      break;
    case room_op::link_down:
      r.link_down(link_from(in), make_error_code(std::errc::connection_reset));
      break;
    case room_op::event: {
      const auto link = link_from(in);
      const std::size_t author = in.byte();
      pb::EventBody body;
      if (body.ParseFromString(in.bytes())) core.on_frame(link, r.signed_event(author, body), now);
      break;
    }
    case room_op::ack: {
      const std::size_t from = in.byte();
      const bool answer_last_ping = in.byte() & 1;
      std::uint64_t nonce = in.u64();
      if (answer_last_ping) nonce = r.last_ping_nonce(from).value_or(nonce);
      core.on_datagram(r.signed_ack(from, nonce, in.bytes()), now);
      break;
    }
    case room_op::say: core.say(in.bytes(), now); break;
    case room_op::nick: core.nick(in.bytes(), now); break;
    case room_op::leave: core.leave(now); break;
    case room_op::dial_failed:
      core.on_dial_failed(room_driver::addr_of(in.byte()), make_error_code(std::errc::connection_refused), now);
      break;
    case room_op::list_members: core.list_members(); break;
    case room_op::event_batch: {
      const auto link = link_from(in);
      const std::size_t author = in.byte();
      pb::Frame f;
      f.mutable_event_batch()->set_tag(in.u16());
      f.mutable_event_batch()->set_last(in.byte() & 1);
      for (int n = in.byte() % 8; n > 0; --n) {
        pb::EventBody body;
        if (body.ParseFromString(in.bytes()))
          f.mutable_event_batch()->add_events(r.signed_event(author, body).event().SerializeAsString());
      }
      core.on_frame(link, f, now);
      break;
    }
    case room_op::direct: {
      std::string who = in.bytes();
      core.send_direct(who, in.bytes(), now);
      break;
    }
    case room_op::whois: core.whois(in.bytes()); break;
    case room_op::count: break;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  input_reader in(data, size);
  const std::uint8_t setup = in.byte();
  const bool joiner = setup & 4;
  const bool with_store = setup & 8;
  room_driver r(joiner ? room_driver::role::joiner : room_driver::role::founder, with_store);
  for (std::size_t peer = 0; peer < (setup & 3u); ++peer) link_up_and_hello(r, peer, joiner);
  while (!in.empty() && !r.finished()) {
    const auto op = static_cast<room_op>(in.byte() % static_cast<std::uint8_t>(room_op::count));
    run(r, op, in);
    r.settle();
  }
  return 0;
}
