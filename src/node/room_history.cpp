// History: continuing from the store, writing our events before they are sent, anti-entropy
// (digest, summary, want, event batches) and catch-up when we join or come back.
#include <fmt/format.h>

#include <algorithm>
#include <unordered_set>

#include "core/error.hpp"
#include "core/exit_code.hpp"
#include "crypto/identity.hpp"
#include "node/room.hpp"
#include "node/room_wire.hpp"
#include "wire/event.hpp"

namespace peerchat {

namespace pb = wire::pb;
using room_wire::encode;
using room_wire::max_hops;

namespace {
constexpr int max_want_ranges = 256;
constexpr std::uint64_t max_events_per_want = 8192;  // what one Want may make us read
constexpr int max_repair_events = 1024;              // what one Summary makes us ask for
constexpr int max_batch_events = 1024;
constexpr std::size_t batch_target_bytes = 256 * 1024;  // well below the frame limit
constexpr std::uint32_t tag_repair = 0;
constexpr std::uint32_t tag_catch_up = 1;
constexpr std::size_t max_remembered_dials = 8;
// A catch-up source that sends nothing for this long is replaced by another neighbour.
constexpr microseconds catch_up_stall{10'000'000};

std::string vector_digest(const std::vector<std::pair<peer_id, seq_no>>& vv) {
  std::string bytes;
  bytes.reserve(vv.size() * 40);
  for (const auto& [author, seq] : vv) {
    bytes += author.as_string_view();
    for (int shift = 0; shift < 64; shift += 8) bytes += static_cast<char>(seq.value >> shift);
  }
  const auto hash = content_hash(bytes);
  return {reinterpret_cast<const char*>(hash.data()), hash.size()};
}

std::string id_bytes(const event_id& id) {
  return {reinterpret_cast<const char*>(id.bytes().data()), id.bytes().size()};
}

}  // namespace

void room::restore(restored_history h) {
  has_store_ = true;
  own_seq_ = stored_seq_ = run_start_seq_ = h.own_seq;
  own_prev_hash_ = stored_prev_hash_ = std::move(h.own_prev_hash);
  lamport_ = h.lamport;
  // Been here before: it spoke, holds lines, or knows members of the room.
  returning_ = own_seq_.value > 0 || !h.held.empty() || !h.peer_addrs.empty();
  delivery_.mark_own(id_.id(), own_seq_);
  for (const auto& [author, seq] : h.held)
    if (author != id_.id()) delivery_.set_baseline(author, seq);
  remembered_peers_ = std::move(h.peer_addrs);
  restored_name_ = std::move(h.own_name);
  restore_outbox(std::move(h.undelivered));
}

// What we hold, as others should see it: delivered prefixes, except where catch-up is still
// fetching history, and our own events only once they are on disk. Sorted by author. Authors
// of whom we hold nothing are left out: each node knows a different set of silent members, and
// listing them made every digest of an idle room differ, so each one cost a full summary back.
std::vector<std::pair<peer_id, seq_no>> room::advertised_vector() const {
  auto vv = delivery_.version_vector();
  for (auto& [author, seq] : vv) {
    if (author == id_.id()) seq = seq_no{own_seq_.value - unsent_own_.size()};
    else if (auto held = catch_up_.held_prefix(author)) seq = std::min(seq, *held);
  }
  std::erase_if(vv, [](const auto& entry) { return entry.second.value == 0; });
  std::sort(vv.begin(), vv.end());
  return vv;
}

// --- our own events: disk first -----------------------------------------------------------------

void room::on_own_stored(seq_no upto, instant now) {
  while (!unsent_own_.empty() && unsent_own_.front().seq <= upto) {
    wire::verified_event ev = std::move(unsent_own_.front());
    unsent_own_.pop_front();
    stored_seq_ = ev.seq;
    stored_prev_hash_ = id_bytes(ev.id);
    const event_ref ref{id_.id(), ev.seq};
    remember(ref, ev.signed_event, 0, std::nullopt);
    tree_.broadcast(ref, std::nullopt, now.mono);
    deliver(ev);
  }
  run_plumtree();
  if (leaving_ && unsent_own_.empty()) finish_leaving();
}

void room::on_own_store_failed(seq_no first, std::error_code why) {
  if (unsent_own_.empty() || unsent_own_.front().seq != first) return;  // rolled back already
  emit(ui_event::error{fmt::format("not sent: could not save it ({}); {} line(s) dropped",
                                   why.message(), unsent_own_.size())});
  unsent_own_.clear();
  own_seq_ = stored_seq_;  // numbering goes on from what is on disk: nothing was sent
  own_prev_hash_ = stored_prev_hash_;
  delivery_.mark_own(id_.id(), own_seq_);
  if (leaving_) finish_leaving();
}

void room::finish_leaving() {
  if (finished_sent_) return;
  finished_sent_ = true;
  // Our signed record of the incarnation that left, behind the Leave event on every link: a
  // member that missed the event learns it from the record, and a later run of ours outranks
  // it everywhere, whichever arrives first.
  spread_record(members_.self(), std::nullopt);
  actions_.emplace_back(action::finished{});
}

// --- anti-entropy --------------------------------------------------------------------------------

// Every interval, a digest to one random neighbour: in a quiet room that is all it costs.
void room::send_summary(instant now) {
  next_summary_ = now.mono + std::chrono::duration_cast<microseconds>(cfg_.anti_entropy_interval);
  if (link_by_peer_.empty()) return;
  auto it = link_by_peer_.begin();
  std::advance(it, static_cast<long>(rng_() % link_by_peer_.size()));
  send_digest(it->second);
}

void room::send_digest(link_id link) {
  pb::Frame f;
  f.mutable_digest()->set_digest(vector_digest(advertised_vector()));
  send(link, encode(f));
}

void room::handle_digest(link_id from, const pb::SummaryDigest& msg) {
  if (msg.digest() != vector_digest(advertised_vector())) send_full_summary(from, true);
}

void room::send_full_summary(link_id link, bool answer) {
  pb::Frame f;
  auto* summary = f.mutable_summary();  // sent even when empty: "I hold nothing yet"
  summary->set_answer(answer);
  for (const auto& [author, seq] : advertised_vector()) {
    auto* entry = summary->add_contiguous();
    entry->set_author(room_wire::bytes_of(author));
    entry->set_seq(seq.value);
  }
  send(link, encode(f));
}

// The sender told us what it holds: fetch what we lack, and if it asked, tell it what we hold
// when it lacks something of ours.
void room::handle_summary(link_id from, const pb::Summary& msg, instant now) {
  const peer_id& sender = links_.at(from).peer;
  std::vector<event_ref> missing;
  std::unordered_set<peer_id> listed;
  bool they_lack = false;
  const auto ours = advertised_vector();
  auto our_seq = [&](const peer_id& author) {
    auto it = std::lower_bound(ours.begin(), ours.end(), std::pair{author, seq_no{}});
    return it != ours.end() && it->first == author ? it->second : seq_no{};
  };
  for (const auto& entry : msg.contiguous()) {
    auto author = peer_id::from_bytes(entry.author());
    if (!author) continue;
    listed.insert(*author);
    const seq_no theirs{entry.seq()};
    if (theirs < our_seq(*author)) they_lack = true;
    if (*author == id_.id()) {
      note_delivered(theirs, now);
      continue_sequence(theirs);
      continue;
    }
    std::uint64_t from_seq = delivery_.complete_prefix(*author).value;
    if (catch_up_.held_prefix(*author)) continue;  // catch-up is fetching it in order
    if (muted(*author, now)) continue;
    if (still_flowing(*author, seq_no{from_seq}, now)) continue;
    // An event announced to us and awaited is the tree's to repair: its graft goes to the
    // announcer closest to the author, and a batch from whoever sent this summary (any
    // neighbour, however far) would put us and the subtree below us on a detour.
    for (std::uint64_t s = from_seq + 1; s <= theirs.value && missing.size() < max_repair_events; ++s)
      if (!delivery_.seen(*author, seq_no{s}) && !tree_.awaits({*author, seq_no{s}}))
        missing.push_back({*author, seq_no{s}});
  }
  for (const auto& [author, seq] : ours)
    if (seq.value > 0 && !listed.contains(author)) they_lack = true;
  if (!missing.empty()) {
    if (has_store_) {
      // Ranges of consecutive missing seqs, answered from the neighbour's store in batches.
      pb::Frame f;
      auto* want = f.mutable_want();
      want->set_tag(tag_repair);
      for (const auto& ref : missing) {
        const int n = want->ranges_size();
        if (n > 0 && want->ranges(n - 1).upto() + 1 == ref.seq.value &&
            want->ranges(n - 1).author() == ref.author.as_string_view()) {
          want->mutable_ranges(n - 1)->set_upto(ref.seq.value);
          continue;
        }
        if (n == max_want_ranges) break;
        auto* r = want->add_ranges();
        r->set_author(room_wire::bytes_of(ref.author));
        r->set_after(ref.seq.value - 1);
        r->set_upto(ref.seq.value);
      }
      send(from, encode(f));
    } else {
      // Grafted from the neighbour's recent events.
      tree_.on_ihave(sender, missing, now.mono, {}, /*announced=*/false);
    }
  }
  if (msg.answer() && (they_lack || msg.echo())) send_full_summary(from, false);
}

// --- input that ends: leave once what we said has reached someone ---------------------------

void room::finish_input(instant now) {
  if (leaving_ || drain_target_) return;
  drain_target_ = own_seq_;
  drain_deadline_ = now.mono + std::chrono::duration_cast<microseconds>(cfg_.delivery_timeout);
  next_echo_ = now.mono;
  run_drain(now);
}

// A neighbour's Summary lists the contiguous prefix of our events it has delivered (verified
// and in order). It is the claim of an admitted member (its id is its TLS key, and in a
// closed room it proved the secret), not a signed receipt: a member could claim to hold what
// it dropped, as it could drop what it holds. Claims beyond what we sent count as what we sent.
void room::note_delivered(seq_no theirs, instant now) {
  const seq_no sent{own_seq_.value - unsent_own_.size()};
  delivered_own_ = std::max(delivered_own_, std::min(theirs, sent));
  if (drain_target_ && !leaving_) run_drain(now);
}

void room::run_drain(instant now) {
  const bool lines_delivered = !ready_ ? false : *drain_target_ <= run_start_seq_ || delivered_own_ >= *drain_target_;
  const auto directs_waiting = static_cast<std::size_t>(
      std::count_if(outbox_.begin(), outbox_.end(), [](const auto& o) { return o.second.this_run; }));
  if (ready_ && lines_delivered && directs_waiting == 0) return leave(now);
  if (now.mono >= drain_deadline_) {
    std::string what;
    if (!lines_delivered) {
      const std::uint64_t first = std::max(delivered_own_, run_start_seq_).value + 1;
      what = fmt::format("{} event(s) of ours (seq {}..{}) reached no other member", drain_target_->value - first + 1,
                         first, drain_target_->value);
    }
    if (directs_waiting > 0)
      what += fmt::format("{}{} private message(s) have no receipt", what.empty() ? "" : "; ", directs_waiting);
    emit(ui_event::error{fmt::format("not delivered within {} s: {} (kept: they go out when this data "
                                     "directory is used again)",
                                     std::chrono::duration_cast<std::chrono::seconds>(cfg_.delivery_timeout).count(), what),
                         exit_code::not_delivered});
    return leave(now);
  }
  if (!ready_ || now.mono < next_echo_) return;
  // Summaries are answered only when the receiver lacks something of ours: `echo` asks for an
  // answer in any case, so we hear that a neighbour holds our last line.
  next_echo_ = now.mono + std::chrono::duration_cast<microseconds>(cfg_.delivery_poll);
  pb::Frame f;
  auto* summary = f.mutable_summary();
  summary->set_answer(true);
  summary->set_echo(true);
  for (const auto& [author, seq] : advertised_vector()) {
    auto* entry = summary->add_contiguous();
    entry->set_author(room_wire::bytes_of(author));
    entry->set_seq(seq.value);
  }
  broadcast(f, std::nullopt);
}

// True while an author's in-order prefix has moved within the last reorder_wait: its events
// are arriving live, and those a summary shows us lacking are mostly on their way. Asked for
// again, a burst's events came twice, and the answers, in batches of thousands, filled a
// publisher's send queue until its links were dropped. A prefix stuck that long has a real
// gap (a path died mid-send): that one is repaired.
bool room::still_flowing(const peer_id& author, seq_no prefix, instant now) {
  if (prefix_moved_.size() > cfg_.max_members) prefix_moved_.clear();
  auto [it, fresh] = prefix_moved_.try_emplace(author, prefix_seen{prefix, now.mono});
  if (fresh) return false;
  if (it->second.prefix != prefix) {
    it->second = {prefix, now.mono};
    return true;
  }
  return now.mono - it->second.since < std::chrono::duration_cast<microseconds>(cfg_.reorder_wait);
}

void room::handle_want(link_id from, const pb::Want& msg) {
  if (msg.ranges_size() > max_want_ranges) return refuse(from, errc::protocol_violation, "oversized Want");
  std::vector<catch_up::range> ranges;
  std::uint64_t budget = max_events_per_want;
  for (const auto& r : msg.ranges()) {
    auto author = peer_id::from_bytes(r.author());
    if (!author || r.upto() <= r.after() || budget == 0) continue;
    const std::uint64_t n = std::min(budget, r.upto() - r.after());
    ranges.push_back({*author, seq_no{r.after()}, seq_no{r.after() + n}});
    budget -= n;
  }
  if (has_store_) {
    actions_.emplace_back(action::load_events{from, msg.tag(), std::move(ranges)});
    return;
  }
  // No store: what the recent-event cache still holds, as plain event frames.
  // Counted from `after`: a loop up to `upto` inclusive never ends when upto is 2^64-1.
  for (const auto& r : ranges)
    for (std::uint64_t n = 1; n <= r.upto.value - r.after.value; ++n)
      if (auto it = recent_.find({r.author, seq_no{r.after.value + n}}); it != recent_.end())
        send(from, it->second.frame);
}

void room::on_events_loaded(link_id link, std::uint32_t tag, std::vector<std::string> signed_events) {
  auto it = links_.find(link);
  if (it == links_.end() || !it->second.established) return;
  pb::Frame f;
  std::size_t bytes = 0;
  for (auto& ev : signed_events) {
    bytes += ev.size();
    f.mutable_event_batch()->add_events(std::move(ev));
    if (f.event_batch().events_size() >= max_batch_events || bytes >= batch_target_bytes) {
      f.mutable_event_batch()->set_tag(tag);
      send(link, encode(f));
      f.Clear();
      bytes = 0;
    }
  }
  f.mutable_event_batch()->set_tag(tag);
  f.mutable_event_batch()->set_last(true);
  send(link, encode(f));
}

void room::handle_event_batch(link_id from, const pb::EventBatch& msg, instant now) {
  if (msg.events_size() > max_batch_events) return refuse(from, errc::protocol_violation, "oversized event batch");
  const peer_id sender = links_.at(from).peer;
  std::vector<pb::SignedEvent> events(static_cast<std::size_t>(msg.events_size()));
  for (int i = 0; i < msg.events_size(); ++i)
    if (!events[static_cast<std::size_t>(i)].ParseFromString(msg.events(i)))
      return refuse(from, errc::protocol_violation, "malformed event in a batch");
  std::size_t rejected = 0;
  auto verified = wire::verify_batch(std::move(events), cfg_.max_text_bytes, rejected);
  stats_.event_copies += verified.size();
  if (rejected > 0)
    actions_.emplace_back(action::log{fmt::format("dropped {} bad event(s) of a batch from {}", rejected, sender.short_hex())});
  std::vector<wire::verified_event> history;
  history.reserve(verified.size());
  for (auto& ev : verified) {
    if (catch_up_.expects(ev.author, ev.seq)) {
      catch_up_.received(ev.author, ev.seq);
      lamport_ = std::max(lamport_, ev.lamport);
      if (ev.body.has_text() && ev.author != id_.id())
        missed_.add(ev.lamport, ev.author, ev.seq, [&] { return message_of(ev); });
      history.push_back(std::move(ev));
      continue;
    }
    if (ev.author == id_.id() || delivery_.seen(ev.author, ev.seq) || muted(ev.author, now)) continue;
    // A stored event carries the links its holder's copy crossed; ours crossed one more. Taken
    // as 1, a repaired event looked closer to its author than it was, and neighbours that
    // heard it announced made this node their parent: every repair bent the tree.
    const std::uint32_t hops = std::min(ev.signed_event.hops(), max_hops) + 1;
    ev.signed_event.set_hops(hops);
    accept_live(std::move(ev), sender, hops, now, true);
  }
  if (!history.empty()) {
    stats_.history_received += history.size();
    catch_up_progress_at_ = now.mono;
    actions_.emplace_back(action::store_events{std::move(history)});
  }
  if (msg.tag() == tag_catch_up && msg.last() && catch_up_link_ == from) {
    if (const auto unavailable = catch_up_.answered()) {
      catch_up_unavailable_ += unavailable;
      actions_.emplace_back(action::log{fmt::format("{} history event(s) were not held by {}", unavailable, sender.short_hex())});
    }
  }
  request_history();
}

// --- catch-up ------------------------------------------------------------------------------------

// The member list that admits us says which events came before us: those are history (fetched
// from its sender and stored, not shown); live delivery starts after them.
void room::take_baseline(const pb::Members& msg, link_id from) {
  baseline_taken_ = true;
  for (const auto& entry : msg.version_vector()) {
    auto author = peer_id::from_bytes(entry.author());
    if (!author) continue;
    const seq_no room_has{entry.seq()};
    if (has_store_) {
      seq_no after = *author == id_.id() ? stored_seq_ : delivery_.contiguous(*author);
      if (cfg_.history_limit > 0 && room_has.value > cfg_.history_limit)
        after = std::max(after, seq_no{room_has.value - cfg_.history_limit});
      catch_up_.want(*author, after, room_has);
    }
    if (*author != id_.id()) delivery_.set_baseline(*author, room_has);
    else continue_sequence(room_has);
  }
  if (!has_store_) return;
  catch_up_reported_ = false;
  catch_up_link_ = from;
  request_history();
}

void room::request_history() {
  if (!has_store_ || catch_up_reported_) return;
  if (catch_up_.done()) {
    catch_up_reported_ = true;
    if (missed_.total() > 0) {
      const std::uint64_t lines = missed_.total();
      auto shown = missed_.take();
      emit(ui_event::missed{lines, shown.size(), returning_});
      for (auto& line : shown) emit(std::move(line));
    }
    emit(ui_event::synced{catch_up_.received_total(), catch_up_unavailable_});
    return;
  }
  if (!catch_up_link_) {
    if (link_by_peer_.empty()) return;  // the next link takes over
    catch_up_link_ = link_by_peer_.begin()->second;
  }
  for (auto ranges = catch_up_.next_want(); !ranges.empty(); ranges = catch_up_.next_want()) {
    pb::Frame f;
    f.mutable_want()->set_tag(tag_catch_up);
    for (const auto& r : ranges) {
      auto* wire_range = f.mutable_want()->add_ranges();
      wire_range->set_author(room_wire::bytes_of(r.author));
      wire_range->set_after(r.after.value);
      wire_range->set_upto(r.upto.value);
    }
    send(*catch_up_link_, encode(f));
  }
}

// The catch-up source went away or went quiet: ask another neighbour for the rest.
void room::switch_catch_up_source(instant now) {
  catch_up_link_.reset();
  catch_up_.source_lost();
  catch_up_progress_at_ = now.mono;
  request_history();
}

void room::check_catch_up(instant now) {
  if (catch_up_reported_ || !catch_up_link_) return;
  if (now.mono - catch_up_progress_at_ >= catch_up_stall) {
    const link_id stalled = *catch_up_link_;
    switch_catch_up_source(now);
    if (catch_up_link_ == stalled && link_by_peer_.size() > 1) {
      // The same neighbour again: take any other.
      for (const auto& [peer, link] : link_by_peer_)
        if (link != stalled) {
          catch_up_link_ = link;
          break;
        }
      catch_up_.source_lost();
      request_history();
    }
  }
}

// --- rejoining after a restart ---------------------------------------------------------------

void room::dial_remembered(instant now) {
  std::size_t dialed = 0;
  for (const auto& addr : remembered_peers_) {
    if (dialed == max_remembered_dials) break;
    if (addr == listen_addr_ || dialing_.contains(addr)) continue;
    if (auto r = retry_after_.find(addr); r != retry_after_.end() && r->second > now.mono) continue;
    dialing_[addr] = now.mono;
    actions_.emplace_back(action::dial{addr});
    ++dialed;
  }
}

}  // namespace peerchat
