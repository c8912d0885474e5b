// Writes the seed corpora, fuzz/corpus/<target>/<seed>: small valid inputs that start each
// fuzz target deep in its code (a linked room, signed events, answered probes) instead of at
// the first parse error. Deterministic: the same program writes the same bytes, so
// `make fuzz-corpus` leaves git clean unless a format changed. Usage: make_fuzz_corpus DIR
#include <filesystem>
#include <fstream>
#include <iostream>
#include <vector>

#include "crypto/identity.hpp"
#include "fuzz/fuzz_input.hpp"
#include "fuzz/make_corpus.hpp"
#include "fuzz/room_driver.hpp"
#include "wire/event.hpp"
#include "wire/frame.hpp"

namespace peerchat::fuzz {
namespace {
std::filesystem::path out_dir;
}  // namespace

void write_seed(const std::string& target, const std::string& name, const std::string& bytes) {
  std::filesystem::create_directories(out_dir / target);
  std::ofstream(out_dir / target / name, std::ios::binary) << bytes;
}

}  // namespace peerchat::fuzz

namespace {

using namespace peerchat;
using fuzz::input_writer;
using fuzz::room_driver;
namespace pb = wire::pb;
constexpr auto seed = fuzz::write_seed;

std::string id_bytes(std::size_t peer) {
  return std::string(identity::from_seed({static_cast<std::uint8_t>(peer % room_driver::peer_count + 1)})
                         .id().as_string_view());
}

pb::EventBody text_body(std::uint64_t seq, const std::string& text) {
  pb::EventBody b;
  b.set_seq(seq);
  b.set_lamport(seq);
  b.set_sent_us(1'700'000'000'000'000);
  b.mutable_text()->set_text(text);
  return b;
}

std::vector<pb::Frame> one_frame_of_each_kind() {
  std::vector<pb::Frame> out(11);
  *out[0].mutable_hello() = room_driver::hello_of(0, room_driver::room_name);
  auto* m = out[1].mutable_members()->add_members();
  m->set_id(id_bytes(1));
  m->set_name("peer1");
  m->set_addr(room_driver::addr_of(1));
  m->set_incarnation(3);
  m->set_proof(room_driver::incarnation_proof(1, 3, m->name()));
  auto* vv = out[1].mutable_members()->add_version_vector();
  vv->set_author(id_bytes(1));
  vv->set_seq(2);
  pb::EventBody body = text_body(1, "hello");
  body.set_author(id_bytes(0));
  *out[2].mutable_event() = wire::sign_event(body, identity::from_seed({1}));
  out[3].mutable_bye()->set_reason("leaving");
  auto* ref = out[4].mutable_ihave()->add_refs();
  ref->set_author(id_bytes(1));
  ref->set_seq(1);
  *out[5].mutable_graft()->add_refs() = *ref;
  out[6].mutable_prune()->set_author(id_bytes(1));
  *out[7].mutable_summary()->add_contiguous() = *vv;
  out[8].mutable_digest()->set_digest(std::string(32, 'd'));
  auto* range = out[9].mutable_want()->add_ranges();
  range->set_author(id_bytes(1));
  range->set_upto(2);
  out[10].mutable_event_batch()->add_events(out[2].event().SerializeAsString());
  out[10].mutable_event_batch()->set_last(true);
  return out;
}

void frame_seeds() {
  std::string stream;
  for (const auto& f : one_frame_of_each_kind()) {
    const std::string one = wire::encode_frame(f);
    seed("frame", "kind-" + std::to_string(f.kind_case()), std::string(1, '\xff') + one);
    stream += one;
  }
  seed("frame", "all-kinds-in-7-byte-reads", std::string(1, '\x06') + stream);
  seed("frame", "length-over-limit", std::string("\x03\x00\x01\x00\x00", 5));
}

void event_seeds() {
  const identity author = identity::from_seed({1, 2, 3});  // event_fuzz's author
  pb::EventBody text = text_body(1, "hi"), nick, leave;
  nick.set_seq(2);
  nick.mutable_nick()->set_old_name("a");
  nick.mutable_nick()->set_new_name("b");
  leave.set_seq(3);
  leave.mutable_leave();
  std::uint8_t n = 0;  // also the bit the authored mode flips
  for (pb::EventBody* b : {&text, &nick, &leave}) {
    const std::string suffix = std::to_string(++n);
    seed("event", "authored-" + suffix, input_writer().byte(1).byte(n).bytes(b->SerializeAsString()).data());
    b->set_author(std::string(author.id().as_string_view()));
    seed("event", "signed-" + suffix, input_writer().byte(0).byte(0).bytes(wire::sign_event(*b, author).SerializeAsString()).data());
  }
  input_writer chains;  // 3 events by one author, 2 by the other, then a swap and a corruption
  chains.byte(2).byte(3).bytes("a").bytes("b").bytes("c").byte(2).bytes("x").bytes("y");
  chains.byte(2).byte(0).byte(1).byte(0).byte(1).byte(0).u16(3).byte(4);
  seed("event", "batch-of-chains-edited", chains.data());
  seed("event", "batch-of-chains", input_writer().byte(2).byte(4).bytes("a").bytes("b").bytes("c").bytes("d").byte(1).bytes("x").data());
}

void hello_seeds() {
  const std::string good = room_driver::hello_of(1, room_driver::room_name).SerializeAsString();
  seed("hello", "founder-accepts", input_writer().byte(1 << 2).bytes(good).data());
  seed("hello", "founder-dialed", input_writer().byte(2 | 1 << 2).bytes(good).data());
  seed("hello", "joiner", input_writer().byte(1).bytes(good).data());
  pb::Hello h = room_driver::hello_of(2, "another-room");
  seed("hello", "wrong-room", input_writer().byte(2 << 2).bytes(h.SerializeAsString()).data());
  h = room_driver::hello_of(2, room_driver::room_name);
  h.set_protocol_version(9);
  seed("hello", "wrong-version", input_writer().byte(2 << 2).bytes(h.SerializeAsString()).data());
  h.set_protocol_version(1);
  h.set_name(std::string("bad\nname"));
  seed("hello", "bad-name", input_writer().byte(2 << 2).bytes(h.SerializeAsString()).data());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: make_fuzz_corpus DIR\n";
    return 2;
  }
  crypto_init();
  fuzz::out_dir = argv[1];
  frame_seeds();
  event_seeds();
  hello_seeds();
  fuzz::write_room_seeds();
  fuzz::write_core_seeds();
  return 0;
}
