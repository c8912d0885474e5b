// Links, hello, membership and the active view. Broadcast lives in room_broadcast.cpp,
// failure detection in room_swim.cpp.
#include "node/room.hpp"

#include <algorithm>
#include <fmt/format.h>

#include "core/address.hpp"
#include "core/error.hpp"
#include "core/exit_code.hpp"
#include "crypto/identity.hpp"
#include "node/room_wire.hpp"

namespace peerchat {

namespace pb = wire::pb;
using room_wire::encode;
using wire::max_name_bytes;
using wire::valid_name;

namespace {

constexpr microseconds maintenance_period{1'000'000};
// After a candidate said "active view full", top the view up at most this often: in a room
// where everyone is full, a node one link short must not dial somebody every second.
constexpr microseconds refill_pause{10'000'000};
constexpr microseconds view_full_backoff{30'000'000};
constexpr microseconds rejoin_period{10'000'000};
constexpr std::size_t members_per_frame = 500;  // keeps a member list far below the frame limit
constexpr std::size_t max_addr_bytes = 300;     // a HOST:PORT we are asked to dial

swim_config swim_settings(const config& cfg) {
  using std::chrono::duration_cast;
  return {duration_cast<microseconds>(cfg.probe_interval), duration_cast<microseconds>(cfg.probe_timeout),
          cfg.indirect_probes, cfg.suspicion_mult};
}

// `proof` is `id`'s signature of that incarnation under that name (member::proof).
bool proves_incarnation(const peer_id& id, std::uint64_t incarnation, std::string_view name, std::string_view proof) {
  return verify_signature(id, room_wire::incarnation_signed_part(id, incarnation, name), proof);
}

}  // namespace

namespace room_wire {

void to_wire(const member& m, pb::Member& out) {
  out.set_id(bytes_of(m.id));
  out.set_name(m.name);
  out.set_addr(m.addr);
  out.set_incarnation(m.incarnation);
  out.set_proof(m.proof);
  out.set_state(static_cast<pb::MemberState>(m.state));
  out.set_joined_at_us(static_cast<std::uint64_t>(m.joined_at.count()));
}

std::optional<member> from_wire(const pb::Member& in) {
  auto id = peer_id::from_bytes(in.id());
  if (!id || !valid_name(in.name()) || in.addr().size() > 300 ||
      !pb::MemberState_IsValid(in.state()))
    return std::nullopt;
  return member{*id, in.name(), in.addr(), in.incarnation(),
                static_cast<member_state>(in.state()),
                microseconds{static_cast<std::int64_t>(in.joined_at_us())}, in.proof()};
}

}  // namespace room_wire

room::room(const config& cfg, const identity& id, instant now, std::uint64_t seed)
    : cfg_(cfg),
      id_(id),
      secret_(cfg.secret.empty() ? std::nullopt : std::optional(room_secret::derive(cfg.secret))),
      room_(cfg.room),
      members_(member{id.id(), cfg.name, {}, static_cast<std::uint64_t>(now.wall.count()),
                      member_state::alive, now.wall, {}},
               cfg.max_members,
               [&id](const member& me) {
                 const signature sig = id.sign(room_wire::incarnation_signed_part(me.id, me.incarnation, me.name));
                 return std::string(reinterpret_cast<const char*>(sig.data()), sig.size());
               }),
      names_(cfg.max_members),
      delivery_({.max_held = 1024, .max_authors = cfg.max_members,
                 .reorder_wait = std::chrono::duration_cast<microseconds>(cfg.reorder_wait)}),
      rng_(seed),
      swim_(swim_settings(cfg), id.id(), seed ^ 0x5bd1e995u),
      // Each node's own phase of the IHave beat.
      tree_(plumtree_config{.ihave_phase = microseconds(static_cast<std::int64_t>(
                                (seed ^ 0x9e3779b9u) % static_cast<std::uint64_t>(plumtree_config{}.ihave_beat.count())))}),
      event_rate_(rate{cfg.events_per_member_per_s, cfg.events_per_member_burst}, cfg.max_members),
      observation_rate_(rate{cfg.observations_per_member_per_s, cfg.observations_per_member_burst},
                        cfg.max_members) {
  note_name(id.id(), cfg.name);
}

void room::take_new_incarnation(std::string name, std::string addr) {
  spread_record(members_.update_self(std::move(name), std::move(addr)), std::nullopt);
}

// Unsigned incarnations let any member declare another failed at 2^62, where no refutation
// could follow (max_incarnation), and so shut it out of the room for good.
bool room::vouched(const member& m) const {
  if (const member* known = members_.find(m.id); known && m.incarnation <= known->incarnation) return true;
  return proves_incarnation(m.id, m.incarnation, m.name, m.proof);
}

void room::start(std::string listen_addr, instant now) {
  listen_addr_ = std::move(listen_addr);
  members_.update_self(cfg_.name, listen_addr_);
  next_maintenance_ = now.mono + maintenance_period;
  if (!cfg_.join.empty()) {
    dialing_[join_addr()] = now.mono;
    actions_.emplace_back(action::dial{join_addr()});
    return;
  }
  if (room_.empty()) room_ = fmt::format("room-{:08x}", rng_() & 0xffffffffu);
  ready_ = true;
  // A founder has seen every event from the start. A member back from a restart has not: the
  // first member it reaches again says what it missed.
  baseline_taken_ = remembered_peers_.empty();
  emit(ui_event::ready{info_of(members_.self()), room_});
  announce_restored_name(now);
  if (!baseline_taken_) dial_remembered(now);
}

void room::on_link_up(link_id link, const peer_id& peer, std::string dialed_addr,
                      std::string remote_ip, const session_exporter& exporter, instant now) {
  if (dialed_addr.size()) dialing_.erase(dialed_addr);
  link_state& ls = links_[link];
  ls = link_state{peer, std::move(dialed_addr), std::move(remote_ip), false, {},
                  now.mono + std::chrono::duration_cast<microseconds>(cfg_.handshake_timeout)};
  ls.exporter = exporter;
  if (peer == id_.id()) return refuse(link, errc::self_connection);
  if (links_.size() - link_by_peer_.size() > cfg_.max_pending_links)
    return refuse(link, errc::too_many_pending);
  if (!ls.we_dialed()) {
    pb::Frame f;
    *f.mutable_hello() = make_hello();
    f.mutable_hello()->set_observed_ip(ls.remote_ip);
    send(link, encode(f));
  }
}

void room::on_frame(link_id link, pb::Frame frame, instant now) {
  auto it = links_.find(link);
  if (it == links_.end()) return;
  link_state& ls = it->second;
  relay_clock_ = now.mono;
  if (frame.has_bye()) {
    ls.bye_reason = frame.bye().reason().substr(0, 200);
    ls.bye_code = frame.bye().code();
    if (frame.bye().dial_instead().size() <= max_addr_bytes) ls.bye_dial_instead = frame.bye().dial_instead();
    return;
  }
  if (!ls.established) {
    if (frame.has_hello() && !ls.peer_hello) return handle_hello(link, ls, frame.hello(), now);
    if (frame.has_room_proof() && ls.peer_hello) return handle_room_proof(link, ls, frame.room_proof(), now);
    return refuse(link, errc::hello_expected);
  }
  switch (frame.kind_case()) {
    case pb::Frame::kMembers: return handle_members(link, frame.members(), now);
    case pb::Frame::kEvent: return handle_event(link, std::move(*frame.mutable_event()), now);
    case pb::Frame::kIhave: return handle_ihave(link, frame.ihave(), now);
    case pb::Frame::kGraft: return handle_graft(link, frame.graft());
    case pb::Frame::kPrune:
      if (auto author = peer_id::from_bytes(frame.prune().author())) tree_.on_prune(ls.peer, *author);
      return;
    case pb::Frame::kSummary: return handle_summary(link, frame.summary(), now);
    case pb::Frame::kDigest: return handle_digest(link, frame.digest());
    case pb::Frame::kWant: return handle_want(link, frame.want());
    case pb::Frame::kEventBatch: return handle_event_batch(link, frame.event_batch(), now);
    case pb::Frame::kDirect: return handle_direct(link, frame.direct());
    case pb::Frame::kDirectAck: return handle_direct_ack(link, frame.direct_ack());
    case pb::Frame::kSwim: return on_datagram(frame.swim(), now);
    case pb::Frame::kRelayed: return handle_relayed(link, frame.relayed());
    case pb::Frame::kFileRequest:
    case pb::Frame::kFileChunk:
    case pb::Frame::kFileHashes:
    case pb::Frame::kFileHave:
      actions_.emplace_back(action::file_frame{ls.peer, std::move(frame)});
      return;
    default:
      return refuse(link, errc::protocol_violation, fmt::format("unexpected frame (kind {})", static_cast<int>(frame.kind_case())));
  }
}

void room::handle_hello(link_id link, link_state& ls, const pb::Hello& hello, instant now) {
  if (hello.protocol_version() < protocol_version_min ||
      hello.protocol_version() > protocol_version_max)
    return refuse(link, errc::wrong_version, fmt::format("peer speaks {}", hello.protocol_version()));
  if (!valid_name(hello.name())) return refuse(link, errc::protocol_violation, "bad name");
  ls.peer_hello = hello;
  if (ls.we_dialed()) {
    if (room_.empty()) room_ = hello.room();  // joining by address alone: adopt its room
    // Answer even on a mismatch, so the other side can log the same clear reason.
    pb::Frame f;
    *f.mutable_hello() = make_hello();
    f.mutable_hello()->set_observed_ip(ls.remote_ip);
    // Prove only to a member of the room we mean: a proof is something to test guesses on.
    if (secret_ && hello.closed() && hello.room() == room_)
      f.mutable_hello()->set_secret_proof(secret_->prove(room_, proof_role::dialer, ls.exporter));
    send(link, encode(f));
  }
  if (hello.room() != room_)
    return refuse(link, errc::wrong_room, fmt::format("ours is '{}', the peer's '{}'", room_,
                                                      hello.room().substr(0, 100)));
  if (hello.closed() != closed())
    return refuse(link, errc::wrong_room_secret,
                  closed() ? "the peer's room is open, ours is closed"
                           : "the peer's room is closed and we have no secret");
  if (closed()) {
    // The dialer waits for the acceptor's RoomProof; the acceptor checks the dialer's proof
    // and only then gives its own.
    if (ls.we_dialed()) return;
    if (!check_dialer_proof(link, ls, hello)) return;
  }
  admit(link, ls, hello, now);
}

bool room::check_dialer_proof(link_id link, const link_state& ls, const pb::Hello& hello) {
  if (hello.secret_proof().empty()) {
    refuse(link, errc::wrong_room_secret, "the peer gave no proof");
    return false;
  }
  if (!secret_->verify(room_, proof_role::dialer, ls.exporter, hello.secret_proof())) {
    refuse(link, errc::wrong_room_secret, "the peer's proof does not match");
    return false;
  }
  pb::Frame f;
  f.mutable_room_proof()->set_secret_proof(secret_->prove(room_, proof_role::acceptor, ls.exporter));
  send(link, encode(f));
  return true;
}

// The dialer's side of a closed room: the acceptor has proved it knows the secret too.
void room::handle_room_proof(link_id link, link_state& ls, const pb::RoomProof& proof, instant now) {
  if (!closed() || !ls.we_dialed()) return refuse(link, errc::protocol_violation, "unexpected room proof");
  if (!secret_->verify(room_, proof_role::acceptor, ls.exporter, proof.secret_proof()))
    return refuse(link, errc::wrong_room_secret, "the member's proof does not match");
  const pb::Hello hello = *ls.peer_hello;
  admit(link, ls, hello, now);
}

// Hello (and, in a closed room, proof) accepted: settle duplicates and the active view.
void room::admit(link_id link, link_state& ls, const pb::Hello& hello, instant now) {
  // The hello's record is passed on to the room: it must carry what every member checks.
  if (!proves_incarnation(ls.peer, hello.incarnation(), hello.name(), hello.incarnation_proof()))
    return refuse(link, errc::protocol_violation, "hello without its incarnation's proof");
  if (auto dup = link_by_peer_.find(ls.peer); dup != link_by_peer_.end()) {
    // Two links to one peer (usually both dialed at once): both ends keep the link dialed by
    // the lower id, so they agree without talking. Same dialer twice: keep the first.
    const link_state& old = links_.at(dup->second);
    const peer_id& old_dialer = old.we_dialed() ? id_.id() : old.peer;
    const peer_id& new_dialer = ls.we_dialed() ? id_.id() : ls.peer;
    // Routine either way: crossed dials, and a rejoining peer whose old link we still hold
    // (an ordinary restart logged a warning on both sides). Connection rate limits bound abuse.
    if (!(new_dialer < old_dialer)) return refuse(link, errc::duplicate_link, {}, true);
    refuse(dup->second, errc::duplicate_link, {}, true);
  }
  admit_or_refuse(link, ls, hello, now);
}

// HyParView's rule for a full active view: a peer with no link at all (a newcomer, or a
// node whose neighbours all died) displaces a random neighbour, which will find another;
// so does a member we hold as failed: that link may be the only bridge between two halves of
// a healed partition, and in a room where every view is full it would otherwise never be let
// in. A dialer with room for two more links splits one of ours: we keep it instead of a random
// neighbour, whom we hand over to it, so both of them keep their degree and it gains two.
// Without the split a node two or more links short in a room of full views stayed short (its
// dials all turned away), and the overlay's diameter, so the broadcast trees, grew by hops.
// Anybody else is turned away and tries another candidate.
void room::admit_or_refuse(link_id link, link_state& ls, const pb::Hello& hello, instant now) {
  if (ready_ && link_by_peer_.size() >= cfg_.active_view) {
    const member* known = members_.find(ls.peer);
    const bool reunion = known && known->state == member_state::failed;
    const bool split = hello.open_slots() >= 2;
    if (hello.active_links() > 0 && !reunion && !split) return refuse(link, errc::active_view_full, {}, true);
    auto victim = link_by_peer_.begin();
    std::advance(victim, static_cast<long>(rng_() % link_by_peer_.size()));
    refuse(victim->second, errc::replaced_by_newcomer, {}, true,
           split ? with_reachable_host(hello.listen_addr(), ls.remote_ip) : std::string{});
  }
  if (!hello.observed_ip().empty()) learn_observed_ip(hello.observed_ip());
  establish(link, ls, hello, now);
}

void room::establish(link_id link, link_state& ls, const pb::Hello& hello, instant now) {
  ls.established = true;
  admitted_once_ = true;
  link_by_peer_[ls.peer] = link;
  tree_.neighbor_up(ls.peer);
  if (told_cut_off_) {
    told_cut_off_ = false;
    const member* m = members_.find(ls.peer);
    emit(ui_event::warning{"reconnected", "linked to the room again", {},
                           m ? info_of(*m) : peer_info{ls.peer, {}, {}}, {}});
  }
  if (ls.we_dialed()) retry_after_.erase(ls.dial_addr);
  if (!ready_) {
    ready_ = true;
    emit(ui_event::ready{info_of(members_.self()), room_});
    announce_restored_name(now);
  }
  member m{ls.peer, hello.name(), with_reachable_host(hello.listen_addr(), ls.remote_ip),
           hello.incarnation(), member_state::alive,
           microseconds{static_cast<std::int64_t>(hello.joined_at_us())}, hello.incarnation_proof()};
  const auto result = members_.merge(m);
  if (result.outcome != merge_outcome::unchanged && result.outcome != merge_outcome::rejected) {
    announce(m, result.outcome, result.old_name);
    member_changed(m, result.outcome, now);
    spread_record(m, link);
  }
  send_member_list(link);
  if (has_store_) actions_.emplace_back(action::remember_peer{ls.peer, m.addr});
  retry_directs_to(ls.peer, now);
  // Anti-entropy on every new link: a digest, answered with a summary if we differ.
  if (baseline_taken_) send_digest(link);
  if (!catch_up_reported_ && !catch_up_link_) request_history();
  maintain_links(now);
}

void room::handle_members(link_id from, const pb::Members& msg, instant now) {
  // Only the member list that admits us says which events came before us. A later link's
  // vector may count events still on their way to us by other paths; taking it would drop them.
  if (!baseline_taken_) take_baseline(msg, from);

  link_state& source = links_.at(from);
  pb::Frame forward;
  bool refuted = false;
  std::size_t skipped = 0;
  for (const auto& wire_member : msg.members()) {
    auto m = room_wire::from_wire(wire_member);
    if (!m) continue;
    // A neighbour passes on only records it checked itself, so a bad proof is its own doing;
    // and a frame of them would cost us a verification each.
    if (!vouched(*m)) return refuse(from, errc::protocol_violation, "a member record without its member's proof");
    // Anyone may observe a member's state, unsigned: what each costs the room is bounded.
    if (members_.is_observation(*m) && !observation_rate_.take(source.peer, now.mono)) {
      ++skipped;
      continue;
    }
    if (auto hp = parse_host_port(m->addr); hp && is_unspecified_host(hp->host)) {
      // Only the member's own link tells us where it really is.
      if (m->id == source.peer) m->addr = with_reachable_host(m->addr, source.remote_ip);
      else if (const member* known = members_.find(m->id)) m->addr = known->addr;
    }
    const auto result = members_.merge(*m);
    switch (result.outcome) {
      case merge_outcome::unchanged:
      case merge_outcome::rejected: break;
      case merge_outcome::refuted: refuted = true; break;
      default: {
        const member& merged = *members_.find(m->id);  // at a known incarnation, only m's state
        announce(merged, result.outcome, result.old_name);
        member_changed(merged, result.outcome, now);
        room_wire::to_wire(merged, *forward.mutable_members()->add_members());
      }
    }
  }
  if (skipped > 0 && !source.told_observations_capped) {  // once per link: a flood would flood the log too
    source.told_observations_capped = true;
    actions_.emplace_back(action::log{fmt::format(
        "{} passes on more observations of members than {}/s: the rest are skipped", source.peer.short_hex(),
        cfg_.observations_per_member_per_s)});
  }
  if (forward.members().members_size() > 0) broadcast(forward, from);
  if (refuted) {
    // Back to everyone, the rumour's source included: it is the one that must hear it.
    spread_record(members_.self(), std::nullopt);
  }
  maintain_links(now);
}

// Keeps failure detection and links in step with a record that just changed.
void room::member_changed(const member& m, merge_outcome outcome, instant now) {
  if (m.state == member_state::suspect) {
    swim_.suspected(m.id, m.incarnation, members_.size(), now.mono);
    return;
  }
  swim_.cleared(m.id);
  if (outcome == merge_outcome::joined) {
    swim_.joined(m.id);
    retry_directs_to(m.id, now);
  }
  // A link to a member declared failed is dead weight in the active view; free the slot.
  if (outcome == merge_outcome::failed)
    if (auto l = link_by_peer_.find(m.id); l != link_by_peer_.end())
      refuse(l->second, errc::member_failed, {}, true);
}

void room::announce(const member& m, merge_outcome outcome, const std::string& old_name) {
  note_name(m.id, m.name);
  switch (outcome) {
    case merge_outcome::joined: emit(ui_event::member_joined{info_of(m)}); break;
    case merge_outcome::left: emit(ui_event::member_left{info_of(m), leave_reason::left}); break;
    case merge_outcome::failed: emit(ui_event::member_left{info_of(m), leave_reason::failed}); break;
    default: (void)old_name; break;
  }
}

void room::nick(std::string new_name, instant now) {
  if (leaving_) return;
  if (!valid_name(new_name))
    return emit(ui_event::error{fmt::format("a name is 1 to {} printable bytes of UTF-8", max_name_bytes)});
  const std::string old_name = members_.self().name;
  if (new_name == old_name) return;
  take_new_incarnation(new_name, members_.self().addr);
  note_name(id_.id(), new_name);
  pb::EventBody body;
  body.mutable_nick()->set_old_name(old_name);
  body.mutable_nick()->set_new_name(std::move(new_name));
  publish(std::move(body), now);
}

// Started again under another name (--name): the rename is an event in our log like /nick,
// so everyone sees it and /history names our earlier lines as they were written.
void room::announce_restored_name(instant now) {
  std::string old_name = std::exchange(restored_name_, {});
  const std::string& name = members_.self().name;
  if (old_name.empty() || old_name == name || !valid_name(old_name)) return;
  note_name(id_.id(), name);
  pb::EventBody body;
  body.mutable_nick()->set_old_name(std::move(old_name));
  body.mutable_nick()->set_new_name(name);
  publish(std::move(body), now);
}

void room::list_members() {
  ui_event::nodes out;
  for (const member* m : members_.all())
    if (is_live(m->state)) out.members.push_back({info_of(*m), m->joined_at, m->state, m->id == id_.id()});
  emit(std::move(out));
}

void room::leave(instant now) {
  if (leaving_) return;
  if (ready_) {
    pb::EventBody body;
    body.mutable_leave()->set_incarnation(members_.self().incarnation);
    publish(std::move(body), now);
  }
  leaving_ = true;
  members_.set_self_state(member_state::left);
  if (unsent_own_.empty()) finish_leaving();  // else once the leave event is on disk and sent
}

void room::on_link_down(link_id link, std::error_code why, instant now) {
  auto it = links_.find(link);
  if (it == links_.end()) return;
  link_state ls = std::move(it->second);
  links_.erase(it);
  drop_link_state(link, ls);
  const bool view_full = ls.bye_code == static_cast<std::uint32_t>(errc::active_view_full);
  if (!ls.dial_addr.empty() && !ls.established)
    retry_after_[ls.dial_addr] = now.mono + (view_full ? view_full_backoff
                                                       : std::chrono::duration_cast<microseconds>(cfg_.redial_backoff));
  if (ls.established && ls.bye_reason.empty() && !leaving_) {
    // Gone without a goodbye: perhaps crashed. Check it now instead of in its turn.
    if (const member* m = members_.find(ls.peer); m && is_live(m->state)) swim_.probe_now(ls.peer, now.mono);
  }
  if (view_full) next_refill_ = now.mono + refill_pause;
  if (!ready_ && ls.dial_addr == join_addr())
    fail_join(join_addr(), ls.bye_reason.empty() ? why.message() : ls.bye_reason, why);
  if (!ls.established && ls.bye_code == static_cast<std::uint32_t>(errc::wrong_room_secret))
    check_rejoin_refused(ls, errc::wrong_room_secret);
  if (ls.established && ls.bye_code == static_cast<std::uint32_t>(errc::replaced_by_newcomer))
    take_hand_over(ls.bye_dial_instead, now);
  if (ls.established && ls.bye_code == static_cast<std::uint32_t>(errc::member_failed) && ready_ && !leaving_) {
    // The peer holds us failed (our acks were lost or late), and every member that heard so
    // drops its link to us: the rumour itself may never reach us. Refute it now, as hearing it
    // would make us, instead of waiting for a member list on some later link.
    take_new_incarnation(members_.self().name, members_.self().addr);
  }
  maintain_links(now);
}

void room::drop_link_state(link_id link, const link_state& ls) {
  std::erase_if(routes_, [&](const auto& r) { return r.second.via == link; });
  if (auto p = link_by_peer_.find(ls.peer); p != link_by_peer_.end() && p->second == link) {
    link_by_peer_.erase(p);
    tree_.neighbor_down(ls.peer);
    // Said once in the chat, not only in the log: lines typed now reach nobody until a link is
    // back. Alone because every other member left (or is known failed) is not cut off.
    if (link_by_peer_.empty() && ready_ && !leaving_ && !told_cut_off_ && !members_.live_others().empty()) {
      told_cut_off_ = true;
      emit(ui_event::warning{"disconnected", "no link to any member of the room now; trying to reach them again",
                             {}, {}, {}});
    }
  }
  if (catch_up_link_ == link) {
    catch_up_link_.reset();
    catch_up_.source_lost();
    request_history();
  }
}

void room::on_dial_failed(const std::string& addr, std::error_code why, instant now) {
  dialing_.erase(addr);
  retry_after_[addr] = now.mono + std::chrono::duration_cast<microseconds>(cfg_.redial_backoff);
  if (ready_ || addr != join_addr()) return;
  // An invite may list several addresses of one member: an unreachable one is not a refusal.
  if (join_attempt_ < cfg_.join_fallbacks.size()) {
    ++join_attempt_;
    dialing_[join_addr()] = now.mono;
    actions_.emplace_back(action::dial{join_addr()});
    return;
  }
  // A member that resets or refuses a connection may be only busy (its handshake slots or
  // our address's connection allowance full, as when many join at once): try again a few
  // times before giving up. A refusal it explains (wrong room, wrong secret) comes as a Bye
  // on an established connection instead, and ends the join at once.
  if (join_retries_ < max_join_retries) {
    ++join_retries_;
    join_attempt_ = 0;
    join_retry_at_ = now.mono + join_retry_pause;
    actions_.emplace_back(action::log{fmt::format("cannot reach {} ({}); trying again", join_addr(), why.message())});
    return;
  }
  fail_join(join_addr(), why.message(), why);
}

void room::fail_join(const std::string& addr, const std::string& reason, std::error_code why) {
  if (leaving_) return;
  leaving_ = true;
  finished_sent_ = true;
  emit(ui_event::error{fmt::format("cannot join through {}: {}", addr, reason), exit_code::cannot_join});
  actions_.emplace_back(action::finished{why ? why : make_error_code(errc::protocol_violation)});
}

// Before, such a node dialed its remembered members twice a second for ever, each of them
// logging the refusal. Only a refusal of the secret counts: a remembered address may now be
// another room's node (wrong room), and an unreachable one may come back.
void room::check_rejoin_refused(const link_state& ls, std::error_code why) {
  if (!ready_ || leaving_ || admitted_once_ || !cfg_.join.empty() || !ls.we_dialed()) return;
  if (why != errc::wrong_room_secret) return;
  fail_join(ls.dial_addr, ls.bye_reason.empty() ? why.message() : ls.bye_reason, why);
}

void room::on_tick(instant now) {
  std::vector<link_id> late;
  for (const auto& [link, ls] : links_)
    if (!ls.established && ls.hello_deadline <= now.mono) late.push_back(link);
  for (link_id link : late) refuse(link, errc::hello_timeout);
  deliver_and_store(delivery_.expire(now.mono), false);
  if (ready_ && !leaving_) run_swim(now);
  if (ready_ && !leaving_ && now.mono >= next_summary_) send_summary(now);
  if (ready_ && !leaving_) run_outbox(now);
  if (drain_target_ && !leaving_) run_drain(now);
  if (!ready_ && !leaving_ && join_retry_at_ > microseconds{0} && now.mono >= join_retry_at_) {
    join_retry_at_ = microseconds{0};
    dialing_[join_addr()] = now.mono;
    actions_.emplace_back(action::dial{join_addr()});
  }
  tree_.on_tick(now.mono);
  run_plumtree();
  if (now.mono >= next_maintenance_) {
    next_maintenance_ = now.mono + maintenance_period;
    maintain_links(now);
    if (now.mono >= next_rejoin_) {
      next_rejoin_ = now.mono + rejoin_period;
      dial_a_failed_member(now);
    }
    // Alone, not even a handshake under way: the peers we remember, each after its backoff.
    if (ready_ && !leaving_ && links_.empty()) dial_remembered(now);
    check_catch_up(now);
  }
}

// A member declared failed may only have been cut off (a partition, a suspended laptop).
// Now and then dial one: if it answers, the member lists exchanged on the link carry each
// side's verdict on the other, both refute, and the two halves become one room again.
void room::dial_a_failed_member(instant now) {
  if (!ready_ || leaving_) return;
  std::vector<const member*> failed;
  for (const member* m : members_.all())
    if (m->state == member_state::failed && !m->addr.empty() && !dialing_.contains(m->addr) &&
        !link_by_peer_.contains(m->id))
      failed.push_back(m);
  if (failed.empty()) return;
  const member* m = failed[rng_() % failed.size()];
  dialing_[m->addr] = now.mono;
  actions_.emplace_back(action::dial{m->addr});
}

microseconds room::next_deadline() const {
  microseconds next = next_maintenance_;
  if (join_retry_at_ > microseconds{0}) next = std::min(next, join_retry_at_);
  if (drain_target_ && !leaving_) next = std::min({next, next_echo_, drain_deadline_});
  for (const auto& [link, ls] : links_)
    if (!ls.established) next = std::min(next, ls.hello_deadline);
  if (auto d = delivery_.next_deadline()) next = std::min(next, *d);
  if (auto d = tree_.next_deadline()) next = std::min(next, *d);
  if (ready_ && !leaving_) next = std::min({next, swim_.next_deadline(), next_summary_});
  if (ready_ && !leaving_)
    for (const auto& [id, out] : outbox_)
      next = std::min(next, out.told_pending ? out.next_try : std::min(out.next_try, out.pending_at));
  return next;
}

// Handed over to a newcomer with room for us (the edge split in admit_or_refuse): dial it at
// once, before the refill pause or a random candidate could take the slot. One dial per closed
// link, so a hostile peer's hint costs us one connection attempt.
void room::take_hand_over(const std::string& addr, instant now) {
  if (!ready_ || leaving_ || addr.empty() || addr == members_.self().addr || dialing_.contains(addr)) return;
  if (link_by_peer_.size() + dialing_.size() >= cfg_.active_view || !parse_host_port(addr)) return;
  dialing_[addr] = now.mono;
  actions_.emplace_back(action::dial{addr});
}

// Dials members until the active view is full. A node with links already dials half of what
// it lacks at a time, so each dial can say it has room for two (a split, admit_or_refuse).
void room::maintain_links(instant now) {
  if (!ready_ || leaving_) return;
  const std::size_t active = link_by_peer_.size();
  std::size_t links = active + dialing_.size();
  if (links >= cfg_.active_view) return;
  if (active > 0 && now.mono < next_refill_) return;
  const std::size_t limit = active == 0 ? cfg_.active_view : std::max<std::size_t>(1, (cfg_.active_view - active) / 2);
  if (dialing_.size() >= limit) return;
  std::vector<const member*> candidates;
  for (const member* m : members_.live_others()) {
    if (m->state != member_state::alive || m->addr.empty() || link_by_peer_.contains(m->id) ||
        dialing_.contains(m->addr))
      continue;
    if (auto r = retry_after_.find(m->addr); r != retry_after_.end() && r->second > now.mono) continue;
    candidates.push_back(m);
  }
  std::shuffle(candidates.begin(), candidates.end(), rng_);
  for (const member* m : candidates) {
    if (links++ >= cfg_.active_view || dialing_.size() >= limit) break;
    dialing_[m->addr] = now.mono;
    actions_.emplace_back(action::dial{m->addr});
  }
}

std::vector<peer_id> room::neighbours() const {
  std::vector<peer_id> out;
  for (const auto& [peer, link] : link_by_peer_) out.push_back(peer);
  return out;
}

void room::refuse(link_id link, std::error_code why, const std::string& detail, bool routine,
                  std::string dial_instead) {
  auto it = links_.find(link);
  if (it == links_.end()) return;
  const link_state ls = std::move(it->second);
  links_.erase(it);
  actions_.emplace_back(action::log{fmt::format("closing link with {} ({}): {}{}{}",
      ls.peer.short_hex(), ls.remote_ip, why.message(), detail.empty() ? "" : ": ", detail),
      routine});
  actions_.emplace_back(action::close{link, why, std::move(dial_instead)});
  drop_link_state(link, ls);
  if (!ready_ && ls.we_dialed() && ls.dial_addr == join_addr())
    fail_join(join_addr(), detail.empty() ? why.message() : why.message() + ": " + detail, why);
  check_rejoin_refused(ls, why);
}

void room::learn_observed_ip(const std::string& ip) {
  const member& me = members_.self();
  const std::string better = with_reachable_host(me.addr, ip);
  if (better == me.addr) return;
  take_new_incarnation(me.name, better);
}

void room::send(link_id link, const std::shared_ptr<const std::string>& bytes, bool bulk) {
  actions_.emplace_back(action::send{link, bytes, bulk});
}

void room::broadcast(const pb::Frame& frame, std::optional<link_id> except) {
  if (link_by_peer_.empty()) return;
  auto bytes = encode(frame);
  for (const auto& [peer, link] : link_by_peer_)
    if (link != except) send(link, bytes);
}

// One member record as a delta to every link but `except`.
void room::spread_record(const member& m, std::optional<link_id> except) {
  pb::Frame delta;
  room_wire::to_wire(m, *delta.mutable_members()->add_members());
  broadcast(delta, except);
}

void room::send_member_list(link_id link) {
  const auto all = members_.all();
  for (std::size_t i = 0; i == 0 || i < all.size(); i += members_per_frame) {
    pb::Frame f;
    auto* msg = f.mutable_members();
    for (std::size_t j = i; j < std::min(all.size(), i + members_per_frame); ++j)
      room_wire::to_wire(*all[j], *msg->add_members());
    if (i == 0)
      for (const auto& [author, seq] : delivery_.version_vector()) {
        auto* entry = msg->add_version_vector();
        entry->set_author(room_wire::bytes_of(author));
        entry->set_seq(seq.value);
      }
    send(link, encode(f));
  }
}

pb::Hello room::make_hello() const {
  const member& me = members_.self();
  pb::Hello h;
  h.set_protocol_version(protocol_version_max);
  h.set_room(room_);
  h.set_name(me.name);
  h.set_listen_addr(me.addr);
  h.set_incarnation(me.incarnation);
  h.set_joined_at_us(static_cast<std::uint64_t>(me.joined_at.count()));
  h.set_incarnation_proof(me.proof);
  h.set_active_links(static_cast<std::uint32_t>(link_by_peer_.size()));
  const std::size_t taken = link_by_peer_.size() + dialing_.size();
  h.set_open_slots(static_cast<std::uint32_t>(cfg_.active_view > taken ? cfg_.active_view - taken : 0));
  h.set_closed(closed());
  return h;
}

const std::string& room::join_addr() const {
  return join_attempt_ == 0 ? cfg_.join : cfg_.join_fallbacks[join_attempt_ - 1];
}

// SWIM datagrams name the room; a closed room's id depends on its secret, so two rooms that
// share a name never answer each other's probes.
std::string room::swim_room() const { return secret_ ? secret_->room_id(room_) : room_; }

peer_info room::info_of(const member& m) const { return {m.id, m.name, m.addr}; }

namespace action {
std::shared_ptr<const std::string> encode_bye(const close& act) {
  pb::Frame f;
  auto* bye = f.mutable_bye();
  bye->set_reason(act.reason.message());
  if (act.reason.category() == peerchat_category()) bye->set_code(static_cast<std::uint32_t>(act.reason.value()));
  bye->set_dial_instead(act.dial_instead);
  return encode(f);
}
}  // namespace action

}  // namespace peerchat
