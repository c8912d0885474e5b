// SWIM over datagrams: answering pings, probing for others, and turning the failure
// detector's verdicts into member-table changes that spread over the overlay.
#include <fmt/format.h>

#include "crypto/identity.hpp"
#include "node/room.hpp"
#include "node/room_wire.hpp"

namespace peerchat {

namespace pb = wire::pb;
using room_wire::bytes_of;

namespace {
// Acks are signed by the same key as events; the prefix keeps the two kinds of signed
// bytes apart, so an ack can never be replayed as an event or the other way round.
constexpr std::string_view ack_context = "peerchat-swim-ack-v1\n";

std::string ack_message(std::string_view body) {
  std::string out(ack_context);
  out.append(body);
  return out;
}
}  // namespace

void room::on_datagram(std::string_view bytes, instant now) {
  if (!ready_ || leaving_ || bytes.size() > max_datagram_bytes) return;
  pb::Datagram d;
  if (!d.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) return;
  switch (d.kind_case()) {
    case pb::Datagram::kPing: handle_ping(d.ping()); break;
    case pb::Datagram::kPingReq: handle_ping_req(d.ping_req()); break;
    case pb::Datagram::kAck: handle_ack(bytes, d.ack()); break;
    default: break;
  }
  run_swim(now);
}

void room::handle_ping(const pb::Ping& ping) {
  if (ping.room() != swim_room() || ping.to() != id_.id().as_string_view()) return;
  auto from = peer_id::from_bytes(ping.from());
  if (!from || !members_.find(*from)) return;  // we answer members only, at their recorded address
  pb::AckBody body;
  body.set_room(swim_room());
  body.set_from(bytes_of(id_.id()));
  body.set_nonce(ping.nonce());
  body.set_requester(ping.requester());
  std::string raw = body.SerializeAsString();
  const signature sig = id_.sign(ack_message(raw));
  pb::Datagram d;
  d.mutable_ack()->set_body(std::move(raw));
  d.mutable_ack()->set_signature(sig.data(), sig.size());
  send_datagram(*from, d);
}

void room::handle_ping_req(const pb::PingReq& req) {
  if (req.room() != swim_room()) return;
  auto from = peer_id::from_bytes(req.from());
  auto target = peer_id::from_bytes(req.target());
  if (!from || !target || *target == id_.id() || !members_.find(*from)) return;
  send_ping(*target, req.nonce(), *from);
}

void room::handle_ack(std::string_view raw, const pb::Ack& ack) {
  pb::AckBody body;
  if (!body.ParseFromString(ack.body()) || body.room() != swim_room()) return;
  auto from = peer_id::from_bytes(body.from());
  if (!from) return;
  if (!body.requester().empty() && body.requester() != id_.id().as_string_view()) {
    // We probed on someone's behalf: pass the signed ack on unchanged; the requester checks it.
    auto requester = peer_id::from_bytes(body.requester());
    if (requester) send_swim_bytes(*requester, std::make_shared<const std::string>(raw));
    return;
  }
  if (!swim_.awaits(*from, body.nonce())) return;  // late or unsolicited: no signature work
  if (!verify_signature(*from, ack_message(ack.body()), ack.signature())) return;
  swim_.on_ack(*from, body.nonce());
}

void room::run_swim(instant now) {
  swim_.on_tick(now.mono, members_);
  for (auto& out : swim_.take_outputs()) {
    if (auto* p = std::get_if<swim::ping>(&out)) {
      send_ping(p->target, p->nonce, std::nullopt);
    } else if (auto* r = std::get_if<swim::ping_req>(&out)) {
      pb::Datagram d;
      auto* req = d.mutable_ping_req();
      req->set_room(swim_room());
      req->set_from(bytes_of(id_.id()));
      req->set_target(bytes_of(r->target));
      req->set_nonce(r->nonce);
      send_datagram(r->helper, d);
    } else if (auto* s = std::get_if<swim::suspect>(&out)) {
      const member* m = members_.find(s->peer);
      if (!m || m->state != member_state::alive) continue;
      member rumour = *m;
      rumour.state = member_state::suspect;
      if (members_.merge(rumour).outcome == merge_outcome::unchanged) continue;
      actions_.emplace_back(action::log{fmt::format("suspecting {} ({}): no ack", m->name, s->peer.short_hex()), true});
      member_changed(rumour, merge_outcome::updated, now);
      spread_record(rumour, std::nullopt);
    } else if (auto* f = std::get_if<swim::declare_failed>(&out)) {
      const member* m = members_.find(f->peer);
      if (!m || m->state != member_state::suspect || m->incarnation != f->incarnation) continue;
      member dead = *m;
      dead.state = member_state::failed;
      const auto result = members_.merge(dead);
      if (result.outcome != merge_outcome::failed) continue;
      announce(dead, result.outcome, dead.name);
      member_changed(dead, result.outcome, now);
      spread_record(dead, std::nullopt);
    }
  }
}

// `requester` set: we probe on its behalf, and the target's ack names it so we can pass it on.
void room::send_ping(const peer_id& target, std::uint64_t nonce, const std::optional<peer_id>& requester) {
  pb::Datagram d;
  auto* ping = d.mutable_ping();
  ping->set_room(swim_room());
  ping->set_from(bytes_of(id_.id()));
  ping->set_to(bytes_of(target));
  ping->set_nonce(nonce);
  if (requester) ping->set_requester(bytes_of(*requester));
  send_datagram(target, d);
}

void room::send_datagram(const peer_id& to, const pb::Datagram& d) {
  send_swim_bytes(to, std::make_shared<const std::string>(d.SerializeAsString()));
}

// Over our link to the member when there is one (it may sit behind NAT, where UDP to its
// address never arrives), else as a UDP datagram to its recorded address.
void room::send_swim_bytes(const peer_id& to, std::shared_ptr<const std::string> bytes) {
  if (auto l = link_by_peer_.find(to); l != link_by_peer_.end()) {
    pb::Frame f;
    f.set_swim(*bytes);
    return send(l->second, room_wire::encode(f));
  }
  const member* m = members_.find(to);
  if (!m || m->addr.empty()) return;
  actions_.emplace_back(action::datagram{m->addr, std::move(bytes)});
}

}  // namespace peerchat
