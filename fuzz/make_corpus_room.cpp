// Seeds for room_fuzz and its operations (room_op): short scripts of what real peers do.
#include "crypto/identity.hpp"
#include "fuzz/fuzz_input.hpp"
#include "fuzz/make_corpus.hpp"
#include "fuzz/room_driver.hpp"
#include "node/room_wire.hpp"

namespace peerchat::fuzz {
namespace {

namespace pb = wire::pb;

constexpr std::uint8_t three_linked_peers = 3;
constexpr std::uint8_t joiner = 4;
constexpr std::uint8_t with_store = 8;

std::string id_of_peer(std::size_t peer) {
  return std::string(identity::from_seed({static_cast<std::uint8_t>(peer + 1)}).id().as_string_view());
}

pb::EventBody text_body(std::uint64_t seq) {
  pb::EventBody b;
  b.set_seq(seq);
  b.set_lamport(seq);
  b.mutable_text()->set_text("line " + std::to_string(seq));
  return b;
}

// One script: the setup byte, then operations with their arguments (room_driver.hpp).
class room_script {
public:
  explicit room_script(std::uint8_t setup) { w_.byte(setup); }

  room_script& link_up(std::uint8_t link, std::uint8_t peer, bool we_dialed) {
    op(room_op::link_up).byte(link - 1).byte(peer).byte(we_dialed);
    return *this;
  }
  room_script& frame(std::uint8_t link, const pb::Frame& f) {
    op(room_op::frame).byte(link - 1).bytes(f.SerializeAsString());
    return *this;
  }
  room_script& datagram(const pb::Datagram& d) {
    op(room_op::datagram).bytes(d.SerializeAsString());
    return *this;
  }
  room_script& tick(std::uint16_t ms) {
    op(room_op::tick).u16(ms);
    return *this;
  }
  room_script& link_down(std::uint8_t link) {
    op(room_op::link_down).byte(link - 1);
    return *this;
  }
  // A text event by `author` (a peer index), sent over `link`.
  room_script& event(std::uint8_t link, std::uint8_t author, std::uint64_t seq) {
    op(room_op::event).byte(link - 1).byte(author).bytes(text_body(seq).SerializeAsString());
    return *this;
  }
  // Events 1..count of `author`, as the last answer to a Want with `tag`.
  room_script& event_batch(std::uint8_t link, std::uint8_t author, std::uint16_t tag, std::uint8_t count) {
    op(room_op::event_batch).byte(link - 1).byte(author).u16(tag).byte(1).byte(count);
    for (std::uint64_t seq = 1; seq <= count; ++seq) w_.bytes(text_body(seq).SerializeAsString());
    return *this;
  }
  room_script& ack_last_ping(std::uint8_t peer) {
    op(room_op::ack).byte(peer).byte(1).u64(0).bytes("");
    return *this;
  }
  room_script& say(const std::string& text) {
    op(room_op::say).bytes(text);
    return *this;
  }
  room_script& nick(const std::string& name) {
    op(room_op::nick).bytes(name);
    return *this;
  }
  room_script& direct(const std::string& who, const std::string& text) {
    op(room_op::direct).bytes(who).bytes(text);
    return *this;
  }
  room_script& whois(const std::string& query) {
    op(room_op::whois).bytes(query);
    return *this;
  }
  room_script& leave() {
    op(room_op::leave);
    return *this;
  }
  void write(const std::string& name) const { write_seed("room", name, w_.data()); }

private:
  input_writer& op(room_op o) { return w_.byte(static_cast<std::uint8_t>(o)); }
  input_writer w_;
};

pb::Frame members_frame(std::size_t peer, pb::MemberState state, std::uint64_t incarnation,
                        const std::string& id) {
  pb::Frame f;
  auto* m = f.mutable_members()->add_members();
  m->set_id(id);
  m->set_name("peer" + std::to_string(peer));
  m->set_addr(room_driver::addr_of(peer));
  m->set_incarnation(incarnation);
  m->set_state(state);
  m->set_proof(room_driver::incarnation_proof(peer, incarnation, m->name()));
  return f;
}

pb::Frame refs_frame(bool graft, std::size_t author, std::uint64_t seq) {
  pb::Frame f;
  auto* ref = graft ? f.mutable_graft()->add_refs() : f.mutable_ihave()->add_refs();
  ref->set_author(id_of_peer(author));
  ref->set_seq(seq);
  return f;
}

// An IHave in the form senders use: refs grouped by author, each with how long it was held.
pb::Frame ihave_runs_frame(std::size_t author, std::uint64_t first, std::uint64_t count) {
  pb::Frame f;
  auto* run = f.mutable_ihave()->add_runs();
  run->set_author(id_of_peer(author));
  for (std::uint64_t seq = first; seq < first + count; ++seq) {
    run->add_seqs(seq);
    run->add_hops(1);
    run->add_held_ms(40);
  }
  return f;
}

pb::Frame vector_frame(bool summary, std::size_t author, std::uint64_t seq) {
  pb::Frame f;
  auto* entry = summary ? f.mutable_summary()->add_contiguous() : f.mutable_members()->add_version_vector();
  entry->set_author(id_of_peer(author));
  entry->set_seq(seq);
  if (summary) f.mutable_summary()->set_answer(true);
  return f;
}

void broadcast_seeds() {
  room_script(three_linked_peers).event(1, 0, 1).event(2, 0, 1).event(3, 1, 1).say("hi").tick(30).write("events-and-duplicates");
  room_script(three_linked_peers).event(1, 0, 3).event(1, 0, 1).tick(2500).event(2, 0, 2).tick(100).write("reordered-and-late");
  room_script(three_linked_peers).frame(2, refs_frame(false, 1, 1)).tick(300).tick(200).event(2, 1, 1).write("ihave-then-graft");
  room_script(three_linked_peers).say("a").frame(1, refs_frame(true, 3, 1)).write("graft-own-event");
  room_script(three_linked_peers).frame(2, ihave_runs_frame(1, 1, 3)).tick(300).event(2, 1, 1).write("ihave-runs-then-graft");
  pb::Frame prune;
  prune.mutable_prune()->set_author(id_of_peer(0));
  room_script(three_linked_peers).event(1, 0, 1).frame(2, prune).frame(3, vector_frame(true, 0, 3)).tick(2100)
      .write("prune-and-summary");
}

void membership_seeds() {
  const std::string self = std::string(identity::from_seed({0x5e}).id().as_string_view());
  room_script(three_linked_peers)
      .frame(1, members_frame(3, pb::MEMBER_STATE_ALIVE, 1, id_of_peer(3)))
      .frame(2, members_frame(3, pb::MEMBER_STATE_SUSPECT, 1, id_of_peer(3)))
      .frame(3, members_frame(0, pb::MEMBER_STATE_SUSPECT, 2'000'000'000'000'000, self))
      .tick(1000).write("members-rumours");
  room_script(three_linked_peers).tick(600).ack_last_ping(0).ack_last_ping(1).ack_last_ping(2).tick(600).write("swim-acks");
  room_script(three_linked_peers).tick(600).tick(300).tick(2000).tick(2000).write("swim-suspect-and-fail");
  pb::Datagram ping, ping_req;
  ping.mutable_ping()->set_room(room_driver::room_name);
  ping.mutable_ping()->set_from(id_of_peer(1));
  ping.mutable_ping()->set_to(self);
  ping.mutable_ping()->set_nonce(7);
  ping_req.mutable_ping_req()->set_room(room_driver::room_name);
  ping_req.mutable_ping_req()->set_from(id_of_peer(1));
  ping_req.mutable_ping_req()->set_target(id_of_peer(2));
  ping_req.mutable_ping_req()->set_nonce(8);
  room_script(three_linked_peers).datagram(ping).datagram(ping_req).write("swim-ping-and-ping-req");
}

void link_seeds() {
  pb::Frame hello, bye;
  *hello.mutable_hello() = room_driver::hello_of(3, room_driver::room_name);
  bye.mutable_bye()->set_reason("bye");
  room_script(0).link_up(4, 3, false).frame(4, hello).frame(4, hello).write("hello-twice");
  room_script(three_linked_peers).link_up(4, 3, false).frame(4, hello).frame(4, bye).link_down(4).link_down(1).tick(1000).write("links-come-and-go");
  room_script(three_linked_peers).link_up(5, 0, true).frame(5, hello).write("duplicate-link");
  room_script(joiner | 1).event(1, 2, 1).say("joined").nick("newname").leave().write("joiner-talks-and-leaves");
  room_script(joiner).link_up(1, 0, true).tick(6000).write("joiner-hello-timeout");
  room_script(three_linked_peers | with_store).direct("peer1", "psst").whois("peer2").tick(5500)
      .write("direct-message-and-whois");
  pb::Frame closed_hello;
  *closed_hello.mutable_hello() = room_driver::hello_of(3, room_driver::room_name);
  closed_hello.mutable_hello()->set_closed(true);
  room_script(0).link_up(4, 3, false).frame(4, closed_hello).write("hello-from-a-closed-room");
}

pb::Frame want_frame(std::size_t author, std::uint64_t after, std::uint64_t upto, std::uint32_t tag) {
  pb::Frame f;
  f.mutable_want()->set_tag(tag);
  auto* r = f.mutable_want()->add_ranges();
  r->set_author(id_of_peer(author));
  r->set_after(after);
  r->set_upto(upto);
  return f;
}


void history_seeds() {
  room_script(three_linked_peers | with_store).say("one").say("two").event(1, 0, 1).event(1, 0, 2)
      .frame(2, want_frame(0, 0, 2, 0)).frame(3, want_frame(3, 0, 2, 1)).write("store-serves-wants");
  pb::Frame digest;
  digest.mutable_digest()->set_digest(std::string(32, 'd'));
  room_script(three_linked_peers | with_store).event(1, 1, 1).frame(2, digest).frame(2, vector_frame(true, 1, 3))
      .tick(2100).write("digest-and-summary");
  // A joiner with a store: the member list's vector opens catch-up, and a batch answers it.
  room_script(joiner | with_store).link_up(1, 0, true)
      .frame(1, [] { pb::Frame h; *h.mutable_hello() = room_driver::hello_of(0, room_driver::room_name); return h; }())
      .frame(1, vector_frame(false, 1, 2)).tick(10).event_batch(1, 1, 1, 2).write("joiner-catch-up");
  room_script(three_linked_peers).frame(1, want_frame(0, 0, 5, 0)).write("want-without-store");
  room_script(three_linked_peers).frame(1, want_frame(0, UINT64_MAX - 1, UINT64_MAX, 0))
      .write("want-up-to-the-highest-seq");
}

// Frames for members we are not linked to, relayed on (or routed back), and file frames for us.
void relay_seeds() {
  pb::Frame request;
  request.mutable_file_request()->set_file_id(std::string(16, 'f'));
  request.mutable_file_request()->add_chunks(0);
  auto relayed = [&](std::size_t from, std::size_t to, bool bulk) {
    pb::Frame f;
    auto* r = f.mutable_relayed();
    r->set_from(id_of_peer(from));
    r->set_to(id_of_peer(to));
    r->set_ttl(3);
    r->set_nonce(from * 100 + to);
    r->set_bulk(bulk);
    request.SerializeToString(r->mutable_frame());
    const auto sig = identity::from_seed({static_cast<std::uint8_t>(from + 1)}).sign(room_wire::relayed_signed_part(*r));
    r->set_signature(sig.data(), sig.size());
    return f;
  };
  room_script(three_linked_peers).frame(1, relayed(1, 7, false)).frame(2, relayed(7, 1, true))
      .frame(3, relayed(2, 0, false)).frame(1, request).write("relayed-and-file-frames");
}

}  // namespace

void write_room_seeds() {
  relay_seeds();
  history_seeds();
  broadcast_seeds();
  membership_seeds();
  link_seeds();
}

}  // namespace peerchat::fuzz
