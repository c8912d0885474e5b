// Private messages: sealed to the recipient, sent over our link to it when there is one and
// otherwise relayed by members (who see only the envelope), acknowledged by a signed receipt,
// and retried until then.
#include <fmt/format.h>
#include <sodium.h>

#include <algorithm>

#include "core/error.hpp"
#include "crypto/identity.hpp"
#include "crypto/sealed.hpp"
#include "node/room.hpp"
#include "node/room_wire.hpp"

namespace peerchat {

namespace pb = wire::pb;
using room_wire::encode;

namespace {
constexpr std::size_t direct_id_bytes = 16;
// Relays a private message may cross: more than a room of 10,000 at degree 6 needs.
constexpr std::uint32_t direct_ttl = 10;
constexpr std::size_t max_outbox = 1000;
constexpr std::size_t max_seen = 8192;
constexpr std::size_t sealed_overhead = 512;  // signature, ids, box: well above what they take
constexpr microseconds pending_after{5'000'000};
constexpr microseconds retry_every{10'000'000};
constexpr std::string_view ack_context = "peerchat direct-ack v1";

std::string new_direct_id() {
  std::string id(direct_id_bytes, '\0');
  randombytes_buf(id.data(), id.size());
  return id;
}

std::string hex(std::string_view bytes) {
  std::string out;
  for (unsigned char c : bytes) out += fmt::format("{:02x}", c);
  return out;
}

std::string ack_message(std::string_view id) { return std::string(ack_context) + std::string(id); }

}  // namespace

// A name, or an id (or its first hex digits, at least min_id_prefix): one member, else an
// error shown. A query that is one member's name and another's id prefix is ambiguous: a
// private message must not go to whichever of the two was meant less.
const member* room::resolve(const std::string& who) {
  std::vector<const member*> found;
  for (const member* m : members_.all()) {
    if (m->id == id_.id()) continue;
    if (m->name == who || (is_id_prefix(who) && id_starts_with(m->id, who))) found.push_back(m);
  }
  if (found.size() == 1) return found.front();
  if (found.empty()) {
    emit(ui_event::error{fmt::format("no member named '{}' (see /nodes)", who.substr(0, 64))});
  } else {
    std::string ids;
    for (const member* m : found) ids += (ids.empty() ? "" : ", ") + m->id.short_hex();
    emit(ui_event::error{fmt::format("'{}' is ambiguous ({}): use /msg ID TEXT", who.substr(0, 64), ids)});
  }
  return nullptr;
}

void room::send_direct(const std::string& who, std::string text, instant now) {
  if (leaving_ || text.empty()) return;
  if (text.size() > cfg_.max_text_bytes)
    return emit(ui_event::error{fmt::format("message too long ({} bytes, the limit is {})",
                                            text.size(), cfg_.max_text_bytes)});
  if (const member* to = resolve(who)) queue_direct(*to, std::move(text), std::nullopt, now);
}

void room::send_direct_offer(const peer_id& to, pb::FileOffer offer, instant now) {
  const member* m = members_.find(to);
  if (!m) return emit(ui_event::error{fmt::format("{} is no longer a member: file not offered", to.short_hex())});
  queue_direct(*m, {}, std::move(offer), now);
}

// A private file offer is kept in the outbox like a message, but not in the direct_messages
// store: the file's own record (src/files) remembers it.
void room::queue_direct(const member& to, std::string text, std::optional<pb::FileOffer> file, instant now) {
  if (outbox_.size() >= max_outbox)
    return emit(ui_event::error{"too many private messages waiting for delivery; try later"});
  const std::string id = new_direct_id();
  outbox_[id] = outgoing_direct{to.id, text, now.wall, std::move(file), now.mono, now.mono + pending_after};
  outbox_[id].this_run = true;
  outbox_[id].order = next_direct_order_++;
  if (!outbox_[id].file) {
    actions_.emplace_back(action::store_direct{{id, to.id, true, now.wall, text, ui_event::direct_state::pending}});
    emit(ui_event::direct{hex(id), info_of(members_.self()), info_of(to), std::move(text), now.wall});
  }
  post_direct(id, now);
}

// Seals and sends one attempt; each attempt is a new frame for the relays' loop check.
void room::post_direct(const std::string& id, instant now) {
  auto it = outbox_.find(id);
  if (it == outbox_.end()) return;
  outgoing_direct& out = it->second;
  pb::DirectBody body;
  body.set_from(room_wire::bytes_of(id_.id()));
  body.set_to(room_wire::bytes_of(out.to));
  body.set_id(id);
  body.set_sent_us(static_cast<std::uint64_t>(out.sent.count()));
  body.set_text(out.text);
  if (out.file) *body.mutable_file_offer() = *out.file;
  pb::SignedDirect signed_direct;
  body.SerializeToString(signed_direct.mutable_body());
  const signature sig = id_.sign(signed_direct.body());
  signed_direct.set_signature(sig.data(), sig.size());
  auto sealed = seal_to(out.to, signed_direct.SerializeAsString());
  if (!sealed) {
    emit(ui_event::direct_status{hex(id), ui_event::direct_state::failed, "the recipient's key cannot receive sealed messages"});
    outbox_.erase(it);
    return;
  }
  pb::Frame f;
  auto* d = f.mutable_direct();
  d->set_to(room_wire::bytes_of(out.to));
  d->set_from(room_wire::bytes_of(id_.id()));
  d->set_id(id);
  d->set_sealed(std::move(*sealed));
  d->set_ttl(direct_ttl);
  d->set_attempt(++out.attempt);
  out.next_try = now.mono + retry_every;
  first_sight(fmt::format("d{}{}", id, out.attempt));
  route_direct(out.to, f, std::nullopt);
  // A direct link is better than relays: open one if our view has room.
  const member* m = members_.find(out.to);
  if (!link_by_peer_.contains(out.to) && m && is_live(m->state) && !m->addr.empty() &&
      !dialing_.contains(m->addr) && link_by_peer_.size() + dialing_.size() < cfg_.active_view) {
    dialing_[m->addr] = now.mono;
    actions_.emplace_back(action::dial{m->addr});
  }
}

// Straight to the recipient over our link to it, else to every neighbour but `except`.
void room::route_direct(const peer_id& to, const pb::Frame& frame, std::optional<link_id> except) {
  if (auto l = link_by_peer_.find(to); l != link_by_peer_.end()) return send(l->second, encode(frame));
  broadcast(frame, except);
}

bool room::first_sight(std::string key) {
  if (!seen_.insert(key).second) return false;
  seen_order_.push_back(std::move(key));
  if (seen_order_.size() > max_seen) {
    seen_.erase(seen_order_.front());
    seen_order_.pop_front();
  }
  return true;
}

void room::handle_direct(link_id from, const pb::Direct& msg) {
  auto to = peer_id::from_bytes(msg.to());
  auto sender = peer_id::from_bytes(msg.from());
  if (!to || !sender || msg.id().size() != direct_id_bytes ||
      msg.sealed().size() > cfg_.max_text_bytes + sealed_overhead)
    return refuse(from, errc::protocol_violation, "malformed private message");
  if (!first_sight(fmt::format("d{}{}", msg.id(), msg.attempt()))) return;
  if (*to != id_.id()) {
    if (msg.ttl() == 0) return;
    pb::Frame f;
    *f.mutable_direct() = msg;
    f.mutable_direct()->set_ttl(std::min(msg.ttl(), direct_ttl) - 1);
    return route_direct(*to, f, from);
  }
  pb::SignedDirect signed_direct;
  pb::DirectBody body;
  auto opened = open_sealed(id_, msg.sealed());
  if (!opened || !signed_direct.ParseFromString(*opened) || !body.ParseFromString(signed_direct.body()) ||
      body.to() != msg.to() || body.from() != msg.from() || body.id() != msg.id() ||
      body.text().size() > cfg_.max_text_bytes ||
      !verify_signature(*sender, signed_direct.body(), signed_direct.signature())) {
    actions_.emplace_back(action::log{fmt::format("dropped a private message claiming to be from {}: it does not verify",
                                                  sender->short_hex())});
    return;
  }
  if (!first_sight("r" + msg.id())) {
    // seen before: only the receipt again
  } else if (body.has_file_offer()) {
    actions_.emplace_back(action::file_offered{*sender, body.file_offer(), false});
  } else {
    const member* author = members_.find(*sender);
    const microseconds sent{static_cast<std::int64_t>(body.sent_us())};
    actions_.emplace_back(action::store_direct{{msg.id(), *sender, false, sent, body.text(), ui_event::direct_state::delivered}});
    emit(ui_event::direct{hex(msg.id()), author ? info_of(*author) : peer_info{*sender, "?", {}},
                          info_of(members_.self()), body.text(), sent});
  }
  // Acknowledged every time: the first receipt may have been lost on its way back.
  pb::Frame f;
  auto* ack = f.mutable_direct_ack();
  ack->set_to(msg.from());
  ack->set_from(room_wire::bytes_of(id_.id()));
  ack->set_id(msg.id());
  const signature sig = id_.sign(ack_message(msg.id()));
  ack->set_signature(sig.data(), sig.size());
  ack->set_ttl(direct_ttl);
  ack->set_attempt(msg.attempt());
  first_sight(fmt::format("a{}{}", msg.id(), msg.attempt()));
  route_direct(*sender, f, std::nullopt);
}

void room::handle_direct_ack(link_id from, const pb::DirectAck& msg) {
  auto to = peer_id::from_bytes(msg.to());
  auto recipient = peer_id::from_bytes(msg.from());
  if (!to || !recipient || msg.id().size() != direct_id_bytes || msg.signature().size() != 64)
    return refuse(from, errc::protocol_violation, "malformed private message receipt");
  if (!first_sight(fmt::format("a{}{}", msg.id(), msg.attempt()))) return;
  if (*to != id_.id()) {
    if (msg.ttl() == 0) return;
    pb::Frame f;
    *f.mutable_direct_ack() = msg;
    f.mutable_direct_ack()->set_ttl(std::min(msg.ttl(), direct_ttl) - 1);
    return route_direct(*to, f, from);
  }
  auto it = outbox_.find(msg.id());
  if (it == outbox_.end() || it->second.to != *recipient ||
      !verify_signature(*recipient, ack_message(msg.id()), msg.signature()))
    return;
  outgoing_direct& out = it->second;
  // A private file offer has no message of its own to report on: the file's events say it.
  if (out.file) {
    actions_.emplace_back(action::file_offer_delivered{std::move(*out.file)});
  } else {
    actions_.emplace_back(action::store_direct{{msg.id(), out.to, true, out.sent, out.text, ui_event::direct_state::delivered}});
    emit(ui_event::direct_status{hex(msg.id()), ui_event::direct_state::delivered, {}});
  }
  outbox_.erase(it);
}

// The outbox is keyed by random ids: walked as it is, two messages waiting for the same
// member went out again in any order, and arrived so.
void room::sort_by_queue_order(std::vector<std::string>& ids) const {
  std::sort(ids.begin(), ids.end(),
            [this](const std::string& x, const std::string& y) { return outbox_.at(x).order < outbox_.at(y).order; });
}

// A member we have undelivered messages for is back (or newly linked): try now.
void room::retry_directs_to(const peer_id& peer, instant now) {
  std::vector<std::string> ids;
  for (const auto& [id, out] : outbox_)
    if (out.to == peer) ids.push_back(id);
  sort_by_queue_order(ids);
  for (const auto& id : ids) post_direct(id, now);
}

void room::restore_outbox(std::vector<direct_record> undelivered) {
  for (auto& r : undelivered) {
    if (outbox_.size() >= max_outbox) break;
    outgoing_direct out{r.peer, std::move(r.text), r.sent, std::nullopt};
    out.told_pending = true;  // said in an earlier run
    out.order = next_direct_order_++;  // the store hands them oldest first
    outbox_.emplace(std::move(r.id), std::move(out));
  }
}

void room::restore_private_offer(const peer_id& to, pb::FileOffer offer, instant now) {
  if (outbox_.size() >= max_outbox) return;
  outgoing_direct out{to, {}, now.wall, std::move(offer), now.mono};  // tried at the first tick
  out.told_pending = true;  // said in an earlier run, if it was pending then
  out.order = next_direct_order_++;
  outbox_.emplace(new_direct_id(), std::move(out));
}

// Undelivered messages: say so once after a while, and try again now and then.
void room::run_outbox(instant now) {
  std::vector<std::string> due;
  for (auto& [id, out] : outbox_) {
    if (!out.told_pending && now.mono >= out.pending_at) {
      out.told_pending = true;
      emit(ui_event::direct_status{hex(id), ui_event::direct_state::pending,
                                   out.file ? "file offer not delivered yet; kept and retried"
                                            : "not delivered yet; kept and retried"});
    }
    if (now.mono >= out.next_try) due.push_back(id);
  }
  sort_by_queue_order(due);
  for (const auto& id : due) post_direct(id, now);
}

}  // namespace peerchat
