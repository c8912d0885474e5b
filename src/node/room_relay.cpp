// Frames between members that hold no link to each other (NAT, firewalls, a full view): each
// goes in a Relayed envelope to the member if we are linked to it, else along the link that
// member's own frames last came by, else (small frames only) to every neighbour. Relays learn
// those routes from the envelopes' `from`, which its sender signs and every relay checks, so
// the first exchange floods and the rest follow one path. File data (bulk) is never flooded:
// without a route it is dropped and re-asked.
#include <fmt/format.h>
#include <sodium.h>

#include "core/error.hpp"
#include "crypto/identity.hpp"
#include "node/room.hpp"
#include "node/room_wire.hpp"

namespace peerchat {

namespace pb = wire::pb;
using room_wire::encode;

namespace {
constexpr std::uint32_t relay_ttl = 10;  // as for private messages: more than the room's diameter
constexpr std::size_t max_routes = 4096;
constexpr microseconds route_lifetime{60'000'000};
}  // namespace

void room::send_to_member(const peer_id& to, const pb::Frame& frame, bool bulk) {
  if (auto l = link_by_peer_.find(to); l != link_by_peer_.end()) return send(l->second, encode(frame), bulk);
  pb::Frame envelope;
  auto* r = envelope.mutable_relayed();
  r->set_to(room_wire::bytes_of(to));
  r->set_from(room_wire::bytes_of(id_.id()));
  r->set_ttl(relay_ttl);
  std::uint64_t nonce;
  randombytes_buf(&nonce, sizeof nonce);
  r->set_nonce(nonce);
  frame.SerializeToString(r->mutable_frame());
  r->set_bulk(bulk);
  const signature sig = id_.sign(room_wire::relayed_signed_part(*r));
  r->set_signature(sig.data(), sig.size());
  if (!bulk) first_sight(fmt::format("r{}", nonce));
  forward(to, envelope, std::nullopt, bulk);
}

void room::forward(const peer_id& to, const pb::Frame& envelope, std::optional<link_id> except, bool bulk) {
  if (auto l = link_by_peer_.find(to); l != link_by_peer_.end()) return send(l->second, encode(envelope), bulk);
  if (auto r = routes_.find(to); r != routes_.end() && r->second.until > relay_clock_ &&
                                 links_.contains(r->second.via) && r->second.via != except)
    return send(r->second.via, encode(envelope), bulk);
  if (!bulk) broadcast(envelope, except);
}

void room::learn_route(const peer_id& peer, link_id via, instant now) {
  if (peer == id_.id()) return;
  if (routes_.size() >= max_routes && !routes_.contains(peer)) {
    std::erase_if(routes_, [&](const auto& r) { return r.second.until <= now.mono; });
    if (routes_.size() >= max_routes) return;
  }
  routes_[peer] = route{via, now.mono + route_lifetime};
}

void room::handle_relayed(link_id from, const pb::Relayed& msg) {
  auto to = peer_id::from_bytes(msg.to());
  auto sender = peer_id::from_bytes(msg.from());
  if (!to || !sender || msg.frame().size() > cfg_.max_frame_bytes)
    return refuse(from, errc::protocol_violation, "malformed relayed frame");
  // Checked before the nonce is marked seen: a forged copy must not shadow the real one.
  // The neighbour that passed it on checked it too, so a bad one is that neighbour's doing.
  if (!verify_signature(*sender, room_wire::relayed_signed_part(msg), msg.signature()))
    return refuse(from, errc::protocol_violation, "relayed frame not signed by its sender");
  if (!msg.bulk() && !first_sight(fmt::format("r{}", msg.nonce()))) return;
  learn_route(*sender, from, instant{relay_clock_, {}});
  if (*to != id_.id()) {
    if (msg.ttl() == 0) return;
    pb::Frame f;
    *f.mutable_relayed() = msg;
    f.mutable_relayed()->set_ttl(std::min(msg.ttl(), relay_ttl) - 1);
    return forward(*to, f, from, msg.bulk());
  }
  pb::Frame inner;
  if (!inner.ParseFromString(msg.frame()) || !room_wire::is_file_frame(inner)) {
    actions_.emplace_back(action::log{fmt::format("dropped a relayed frame from {}: not a file transfer frame",
                                                  sender->short_hex())});
    return;
  }
  actions_.emplace_back(action::file_frame{*sender, std::move(inner)});
}

std::optional<peer_id> room::find_member(const std::string& who) {
  const member* m = resolve(who);
  return m ? std::optional<peer_id>(m->id) : std::nullopt;
}

void room::offer_file(const std::optional<peer_id>& to, pb::FileOffer offer, instant now) {
  if (leaving_) return;
  if (!to) {
    pb::EventBody body;
    *body.mutable_file_offer() = std::move(offer);
    return publish(std::move(body), now);
  }
  send_direct_offer(*to, std::move(offer), now);
}

}  // namespace peerchat
