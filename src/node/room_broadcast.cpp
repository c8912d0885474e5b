// Events: publishing, receiving, delivering in order, and Plumtree's eager/lazy forwarding.
#include <fmt/format.h>

#include <algorithm>
#include <numeric>

#include "core/error.hpp"
#include "crypto/identity.hpp"
#include "node/room.hpp"
#include "node/room_wire.hpp"
#include "wire/event.hpp"

namespace peerchat {

namespace pb = wire::pb;
using room_wire::encode;
using room_wire::max_hops;

namespace {
// Events kept in wire form to answer grafts: several seconds of a busy room. Older gaps are
// anti-entropy's to fill.
constexpr std::size_t max_recent_events = 16384;
constexpr int max_refs_per_frame = 1024;
// Take a lazy announcer as parent when its path is at least this many links shorter.
constexpr std::uint32_t optimize_threshold = 1;
}  // namespace

namespace room_wire {

void to_wire(const event_ref& ref, pb::EventRef& out) {
  out.set_author(bytes_of(ref.author));
  out.set_seq(ref.seq.value);
}

std::optional<event_ref> from_wire(const pb::EventRef& in) {
  auto author = peer_id::from_bytes(in.author());
  if (!author || in.seq() == 0) return std::nullopt;
  return event_ref{*author, seq_no{in.seq()}};
}

}  // namespace room_wire

void room::handle_event(link_id from, pb::SignedEvent sev, instant now) {
  const peer_id& sender = links_.at(from).peer;
  ++stats_.event_copies;
  // Only author and seq are read before a copy is recognised: duplicates (most copies of an
  // author's first events, which flood) cost no decode, no allocation and no Ed25519 time.
  const auto header = wire::peek_header(sev.body());
  if (!header) {
    actions_.emplace_back(action::log{fmt::format("dropped a malformed event from {}", sender.short_hex())});
    return;
  }
  const peer_id& author = header->author;
  if (author == id_.id() || delivery_.seen(author, header->seq)) {
    // Late but over fewer links: the sender is our usual parent, late this once because it
    // was repaired itself. Pruning it would leave us on the detour we took meanwhile.
    auto it = recent_.find({author, header->seq});
    recent_event* ours = author != id_.id() && it != recent_.end() ? &it->second : nullptr;
    const bool another_came_first = ours && ours->came_from && *ours->came_from != sender;
    const std::uint32_t via_sender = std::min(sev.hops(), max_hops);
    if (ours && !ours->came_from) {
      // Our copy was a repair (a batch); this is the tree's push, late: its sender is most
      // likely our parent, and a prune would leave us none.
    } else if (another_came_first && tree_.is_parent(sender, author)) {
      // Our parent's copy, late this once: the first copy's sender is the redundant path.
      tree_.duplicate(*ours->came_from, author);
    } else if (another_came_first && ours->hops >= via_sender + optimize_threshold) {
      tree_.adopt(sender, *ours->came_from, author, now.mono);
    } else {
      tree_.duplicate(sender, author);
      return run_plumtree();
    }
    // The sender is our parent for this author from now on.
    ours->hops = via_sender;
    ours->came_from = sender;
    return run_plumtree();
  }
  if (muted(author, now)) {
    ++stats_.flood_dropped;
    return;
  }
  const std::uint32_t hops = sev.hops();
  std::error_code ec;
  auto ev = wire::verify_event(std::move(sev), cfg_.max_text_bytes, ec);
  if (!ev) {
    actions_.emplace_back(action::log{fmt::format(
        "dropped event {}#{} relayed by {}: {}", author.short_hex(), header->seq.value, sender.short_hex(),
        ec.message())});
    return;
  }
  // Charged only once verified, so forgeries in a member's name cannot spend its allowance.
  if (!admit_rate(ev->author, now)) return;
  accept_live(std::move(*ev), sender, hops, now);
}

bool room::muted(const peer_id& author, instant now) {
  auto it = muted_until_.find(author);
  if (it == muted_until_.end()) return false;
  if (now.mono < it->second) return true;
  muted_until_.erase(it);
  return false;
}

bool room::admit_rate(const peer_id& author, instant now) {
  if (event_rate_.take(author, now.mono)) return true;
  if (muted_until_.size() >= cfg_.max_members) muted_until_.clear();
  muted_until_[author] = now.mono + std::chrono::duration_cast<microseconds>(cfg_.flood_mute);
  ++stats_.flood_dropped;
  const member* m = members_.find(author);
  actions_.emplace_back(action::log{fmt::format(
      "{} [{}] sends events faster than {}/s: its events are dropped for {} s",
      m ? m->name : "?", author.short_hex(), cfg_.events_per_member_per_s,
      std::chrono::duration_cast<std::chrono::seconds>(cfg_.flood_mute).count())});
  return false;
}

// A verified event we had not seen: pass it on along the tree, store it, show it in order.
void room::accept_live(wire::verified_event ev, const peer_id& sender, std::uint32_t hops, instant now,
                       bool repaired) {
  ++stats_.events_delivered;
  const event_ref ref{ev.author, ev.seq};
  // A repaired event names no parent: it did not come down the tree, so it neither moves
  // the tree (optimize) nor is moved by it.
  remember(ref, ev.signed_event, std::clamp<std::uint32_t>(hops, 1, max_hops),
           repaired ? std::nullopt : std::optional<peer_id>{sender});
  tree_.broadcast(ref, sender, now.mono, repaired);
  run_plumtree();
  lamport_ = std::max(lamport_, ev.lamport);
  const peer_id author = ev.author;
  // At or below the delivery cursor means a skipped gap being filled: shown late, alone.
  const bool late = ev.seq <= delivery_.contiguous(author);
  auto ready = delivery_.offer(std::move(ev), now.mono);
  const bool held = ready.empty();
  deliver_and_store(std::move(ready), late);
  // Held behind a gap: whoever sent this later event most likely holds the earlier ones. Only
  // the gap just below it: the older ones were asked of their own senders, and skipped ones
  // are anti-entropy's. Asking for all of them on every arrival cost a lagging receiver a
  // thousand refs per event, which made it lag further.
  if (held) request_gap_below(ref, sender, std::max<std::uint32_t>(hops, 1) - 1, now);
}

// Stored once shown, not on arrival: an event held behind a gap was copied into a store
// action first, and the copies (two protobuf messages each) were a tenth of a receiver's
// allocations. One held when the process dies was not shown, and peers still have it.
void room::deliver_and_store(std::vector<wire::verified_event> ready, bool late) {
  for (const auto& ev : ready) deliver(ev, late);
  if (has_store_ && !ready.empty()) actions_.emplace_back(action::store_events{std::move(ready)});
}

void room::request_gap_below(const event_ref& held, const peer_id& holder, std::uint32_t holder_hops, instant now) {
  std::vector<event_ref> missing;
  for (seq_no s : delivery_.gap_below(held.author, held.seq, max_refs_per_frame)) missing.push_back({held.author, s});
  if (!missing.empty())
    tree_.on_ihave(holder, missing, now.mono, std::vector<std::uint32_t>(missing.size(), holder_hops),
                   /*announced=*/false);
}

void room::handle_ihave(link_id from, const pb::IHave& msg, instant now) {
  int refs = msg.refs_size();
  for (const auto& run : msg.runs()) refs += run.seqs_size();
  if (refs > max_refs_per_frame) return refuse(from, errc::protocol_violation, "oversized IHave");
  const peer_id& announcer = links_.at(from).peer;
  std::vector<event_ref> missing;
  std::vector<std::uint32_t> missing_hops;
  std::vector<microseconds> missing_held;
  auto consider = [&](const event_ref& ref, std::uint32_t wire_hops, std::uint32_t held_ms) {
    if (ref.author == id_.id()) return;
    if (!delivery_.seen(ref.author, ref.seq)) {
      missing.push_back(ref);
      missing_hops.push_back(std::min(wire_hops, max_hops));
      missing_held.push_back(std::chrono::milliseconds{held_ms});
      return;
    }
    // Held already, but the announcer's path is shorter: make it our parent for this author.
    auto it = recent_.find(ref);
    if (it == recent_.end() || !it->second.came_from || *it->second.came_from == announcer) return;
    const std::uint32_t via_announcer = std::min(wire_hops, max_hops) + 1;
    if (it->second.hops >= via_announcer + optimize_threshold) {
      tree_.optimize(announcer, *it->second.came_from, ref.author, now.mono);
      it->second.hops = via_announcer;
      it->second.came_from = announcer;
    }
  };
  for (const auto& wire_ref : msg.refs())
    if (auto ref = room_wire::from_wire(wire_ref)) consider(*ref, wire_ref.hops(), 0);
  for (const auto& run : msg.runs()) {
    const auto author = peer_id::from_bytes(run.author());
    if (!author) continue;
    for (int i = 0; i < run.seqs_size(); ++i)
      if (run.seqs(i) != 0)
        consider({*author, seq_no{run.seqs(i)}}, i < run.hops_size() ? run.hops(i) : 0,
                 i < run.held_ms_size() ? run.held_ms(i) : 0);
  }
  run_plumtree();
  if (!missing.empty()) tree_.on_ihave(announcer, missing, now.mono, missing_hops, /*announced=*/true, missing_held);
}

void room::handle_graft(link_id from, const pb::Graft& msg) {
  if (msg.refs_size() > max_refs_per_frame) return refuse(from, errc::protocol_violation, "oversized Graft");
  std::vector<event_ref> wanted;
  for (const auto& wire_ref : msg.refs())
    if (auto ref = room_wire::from_wire(wire_ref)) wanted.push_back(*ref);
  if (auto author = peer_id::from_bytes(msg.author()); author && wanted.empty())
    tree_.on_graft_author(links_.at(from).peer, *author);
  tree_.on_graft(links_.at(from).peer, wanted);
  run_plumtree();
}

// Turns the tree's decisions into frames.
void room::run_plumtree() {
  for (auto& out : tree_.take_outputs()) {
    std::visit(
        [&](auto& o) {
          using T = std::decay_t<decltype(o)>;
          auto link = link_by_peer_.find(o.to);
          if (link == link_by_peer_.end()) return;
          if constexpr (std::is_same_v<T, plumtree_out::push>) {
            if (auto it = recent_.find(o.ref); it != recent_.end()) send(link->second, it->second.frame);
          } else if constexpr (std::is_same_v<T, plumtree_out::prune>) {
            pb::Frame f;
            f.mutable_prune()->set_author(room_wire::bytes_of(o.author));
            send(link->second, encode(f));
          } else if constexpr (std::is_same_v<T, plumtree_out::ihave>) {
            send_ihave(link->second, o);
          } else {
            pb::Frame f;
            auto* refs = f.mutable_graft()->mutable_refs();
            for (std::size_t i = 0; i < o.refs.size(); ++i) {
              if (i > 0 && i % max_refs_per_frame == 0) {
                send(link->second, encode(f));
                refs->Clear();
              }
              auto* wire_ref = refs->Add();
              room_wire::to_wire(o.refs[i], *wire_ref);
              if (auto it = recent_.find(o.refs[i]); it != recent_.end()) wire_ref->set_hops(it->second.hops);
            }
            if (o.author) f.mutable_graft()->set_author(room_wire::bytes_of(*o.author));
            stats_.grafts_sent += o.refs.size();
            send(link->second, encode(f));
          }
        },
        out);
  }
}

// Refs grouped by author, in the order given within each author; at most max_refs_per_frame
// a frame.
void room::send_ihave(link_id link, const plumtree_out::ihave& batch) {
  const auto& refs = batch.refs;
  stats_.ihave_refs_sent += refs.size();
  // Usually one author's stream, already together; sorting keeps a batch of many authors
  // linear to group instead of a search of the frame's runs per ref.
  std::vector<std::uint32_t> order(refs.size());
  std::iota(order.begin(), order.end(), 0u);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::uint32_t a, std::uint32_t b) { return refs[a].author < refs[b].author; });
  pb::Frame f;
  pb::AuthorRefs* run = nullptr;
  int in_frame = 0;
  for (const std::uint32_t i : order) {
    const event_ref& ref = refs[i];
    if (in_frame == max_refs_per_frame) {
      send(link, encode(f));
      f.mutable_ihave()->clear_runs();
      run = nullptr;
      in_frame = 0;
    }
    if (!run || run->author() != ref.author.as_string_view()) {
      run = f.mutable_ihave()->add_runs();
      run->set_author(room_wire::bytes_of(ref.author));
    }
    run->add_seqs(ref.seq.value);
    auto it = recent_.find(ref);
    run->add_hops(it != recent_.end() ? it->second.hops : 0);
    const auto held = i < batch.held.size() ? std::chrono::duration_cast<std::chrono::milliseconds>(batch.held[i])
                                            : std::chrono::milliseconds{0};
    run->add_held_ms(static_cast<std::uint32_t>(std::max<std::int64_t>(held.count(), 0)));
    ++in_frame;
  }
  if (in_frame > 0) send(link, encode(f));
}

// `ev` is lent, not copied: it is moved into a frame to be encoded and moved back, its hop
// count as it was (the copy was a tenth of accept_live's time under the throughput benchmark).
void room::remember(const event_ref& ref, pb::SignedEvent& ev, std::uint32_t hops,
                    std::optional<peer_id> came_from) {
  auto [it, inserted] = recent_.try_emplace(ref);
  if (!inserted) return;
  const std::uint32_t hops_as_received = ev.hops();
  ev.set_hops(hops + 1);  // what the next node's copy will have crossed
  pb::Frame frame;
  *frame.mutable_event() = std::move(ev);
  it->second = recent_event{encode(frame), hops, std::move(came_from)};
  ev = std::move(*frame.mutable_event());
  ev.set_hops(hops_as_received);
  recent_order_.push_back(ref);
  if (recent_order_.size() > max_recent_events) {
    recent_.erase(recent_order_.front());
    recent_order_.pop_front();
  }
}

ui_event::message room::message_of(const wire::verified_event& ev, bool late) const {
  const member* author = members_.find(ev.author);
  peer_info from = author ? info_of(*author) : peer_info{ev.author, "?", {}};
  return ui_event::message{ev.id, std::move(from), ev.seq, ev.lamport,
                           microseconds{static_cast<std::int64_t>(ev.body.sent_us())},
                           ev.body.text().text(), late};
}

void room::deliver(const wire::verified_event& ev, bool late) {
  const member* author = members_.find(ev.author);
  switch (ev.body.kind_case()) {
    case pb::EventBody::kText:
      emit(message_of(ev, late));
      break;
    case pb::EventBody::kNick:
      if (!author) break;
      // Signed by its author, but not a name a hello or a member record could carry. The
      // member's record is not renamed here: its signed name comes with its own incarnation
      // (room::nick), and a Nick event fetched from history may be older than the record.
      if (!wire::valid_name(ev.body.nick().new_name())) {
        actions_.emplace_back(action::log{fmt::format(
            "{} renamed itself to a name that is not 1 to {} printable bytes of UTF-8: ignored",
            ev.author.short_hex(), wire::max_name_bytes)});
        break;
      }
      note_name(ev.author, ev.body.nick().new_name());
      emit(ui_event::nick{info_of(*author), ev.body.nick().old_name(), ev.body.nick().new_name()});
      break;
    case pb::EventBody::kLeave: {
      // It ends the incarnation it names. Taken as ending whatever incarnation we hold, the
      // goodbye of an earlier run (fetched by anti-entropy once the member was back, or
      // replayed by an insider) ended the run that is here, and nothing told it to refute.
      const std::uint64_t ends = ev.body.leave().incarnation() != 0 ? ev.body.leave().incarnation() : ev.body.sent_us();
      if (members_.depart(ev.author, ends).outcome == merge_outcome::left) {
        announce(*author, merge_outcome::left, author->name);
        swim_.cleared(ev.author);
      }
      break;
    }
    case pb::EventBody::kFileOffer:
      actions_.emplace_back(action::file_offered{ev.author, ev.body.file_offer(), true});
      break;
    case pb::EventBody::KIND_NOT_SET: break;
  }
}

void room::publish(pb::EventBody body, instant now) {
  own_seq_ = own_seq_.next();
  lamport_ = lamport_time{lamport_.value + 1};
  body.set_author(room_wire::bytes_of(id_.id()));
  body.set_seq(own_seq_.value);
  body.set_lamport(lamport_.value);
  body.set_sent_us(static_cast<std::uint64_t>(now.wall.count()));
  body.set_prev_hash(own_prev_hash_);
  pb::Frame frame;
  *frame.mutable_event() = wire::sign_event(body, id_);
  const event_id id = wire::id_of(frame.event());
  own_prev_hash_.assign(reinterpret_cast<const char*>(id.bytes().data()), id.bytes().size());
  delivery_.mark_own(id_.id(), own_seq_);
  const event_ref ref{id_.id(), own_seq_};
  wire::verified_event own{id, id_.id(), own_seq_, lamport_, std::move(body), frame.event()};
  if (has_store_) {
    // Shown and sent once on disk (on_own_stored): a line we showed is never lost.
    actions_.emplace_back(action::store_own{own});
    unsent_own_.push_back(std::move(own));
    return;
  }
  remember(ref, *frame.mutable_event(), 0, std::nullopt);
  tree_.broadcast(ref, std::nullopt, now.mono);
  run_plumtree();
  deliver(own);
}

// The room remembers our earlier runs: numbering on from what it holds of ours means a
// restarted node never reuses a sequence number, so nobody mistakes a new line for a copy.
void room::continue_sequence(seq_no held_by_others) {
  if (held_by_others <= own_seq_) return;
  own_seq_ = held_by_others;
  own_prev_hash_.clear();  // the earlier run's last event is not on our disk: no chain link
  delivery_.mark_own(id_.id(), own_seq_);
}

void room::say(std::string text, instant now) {
  if (leaving_ || text.empty()) return;
  if (text.size() > cfg_.max_text_bytes)
    return emit(ui_event::error{fmt::format("message too long ({} bytes, the limit is {})",
                                            text.size(), cfg_.max_text_bytes)});
  // Found by fuzz/room_fuzz: every member would drop such an event as malformed.
  if (!wire::is_valid_utf8(text)) return emit(ui_event::error{"not sent: the message is not valid UTF-8"});
  pb::EventBody body;
  body.mutable_text()->set_text(std::move(text));
  publish(std::move(body), now);
}

}  // namespace peerchat
