// The node's glue to its history store: what it remembers at start, the writes and reads the
// room asks for (on the history worker), and /history.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <iterator>

#include "core/error.hpp"
#include "crypto/secret_file.hpp"
#include "node/node_impl.hpp"
#include "node/room_wire.hpp"
#include "wire/frame.hpp"

namespace peerchat {

namespace {
constexpr std::size_t remembered_peers = 32;
constexpr std::size_t max_undelivered = 1000;
// How late received events may be written, and how many make a write worth doing at once.
constexpr std::chrono::milliseconds received_write_delay{1000};
constexpr std::size_t received_write_batch = 256;
}

restored_history node::impl::read_history(history::store& store) {
  restored_history h;
  std::error_code ec;
  if (auto last = store.last_event_of(id.id(), ec)) {
    h.own_seq = last->seq;
    h.own_prev_hash.assign(reinterpret_cast<const char*>(last->id.bytes().data()), last->id.bytes().size());
  }
  h.lamport = store.highest_lamport(ec);
  h.held = store.version_vector(ec);
  for (auto& p : store.recent_peer_addresses(remembered_peers, ec)) h.peer_addrs.push_back(std::move(p.addr));
  h.own_name = store.meta(history::meta_key::display_name, ec).value_or("");
  for (auto& d : store.pending_directs(max_undelivered, ec))
    h.undelivered.push_back({std::move(d.id), d.peer, true, d.sent_at, std::move(d.text), ui_event::direct_state::pending});
  if (ec) spdlog::warn("history store: {}", ec.message());
  return h;
}

void node::impl::flush_history() {
  if (!history) return;
  if (!own_writing && !own_pending.empty()) write_own();
  if (received_writes == 0 && !received_pending.empty()) {
    if (synced_held || received_pending_events >= received_write_batch) write_received();
    else write_received_soon();
  }
  if (synced_held && received_stored >= synced_after) show(*std::exchange(synced_held, std::nullopt));
}

void node::impl::show(const ui_event_t& e) {
  if (const auto* error = std::get_if<ui_event::error>(&e); error && error->code != 0 && fatal_code == 0)
    fatal_code = error->code;
  note_side_effects(e);
  sink(e);
}

// Our own events: every line typed while the last fsync ran goes in the next one.
void node::impl::write_own() {
  own_writing = true;
  auto run = std::make_shared<std::vector<wire::verified_event>>(std::exchange(own_pending, {}));
  const seq_no first = run->front().seq, last = run->back().seq;
  history->ask([run](history::store& s) { return s.append_own_run(*run); },
               [this, first, last](std::error_code ec) {
                 own_writing = false;
                 if (ec) {
                   own_pending.clear();  // numbered after the refused one: the room renumbers
                   input([&](instant) { core.on_own_store_failed(first, ec); });
                 } else {
                   input([&](instant now) { core.on_own_stored(last, now); });
                 }
                 release_input();
               });
}

void node::impl::write_received_soon() {
  if (received_timer_armed) return;
  received_timer_armed = true;
  received_timer.expires_after(received_write_delay);
  received_timer.async_wait([this](boost::system::error_code) {
    received_timer_armed = false;
    if (received_writes == 0 && !received_pending.empty()) write_received();
  });
}

// Also called out of turn, before a read of the store, so the read sees every event received.
void node::impl::write_received() {
  if (received_pending.empty()) return;
  ++received_writes;
  received_pending_events = 0;
  auto batches = std::make_shared<std::vector<std::vector<wire::verified_event>>>(std::exchange(received_pending, {}));
  const std::size_t count = batches->size();
  history->ask([batches](history::store& s) {
                 if (batches->size() == 1) return s.append_batch(batches->front());
                 // One transaction for them all, flattened here on the worker rather than on the loop.
                 std::vector<wire::verified_event> all;
                 std::size_t total = 0;
                 for (const auto& b : *batches) total += b.size();
                 all.reserve(total);
                 for (auto& b : *batches) std::move(b.begin(), b.end(), std::back_inserter(all));
                 return s.append_batch(all);
               },
               [this, count](history::append_report report) {
                 --received_writes;
                 received_stored += count;  // a failed write is reported below; nothing waits on it
                 for (const auto& fork : report.forks)
                   spdlog::warn("{} signed two different events #{}: kept the first", fork.author.short_hex(), fork.seq.value);
                 // Once per kind of failure: a full disk must not print a line per message.
                 if (report.error && report.error != last_store_error)
                   sink(ui_event::error{fmt::format("history not saved: {}", report.error.message())});
                 last_store_error = report.error;
                 pump();
               });
}

void node::impl::load_for(action::load_events& act) {
  if (!history) return input([&](instant) { core.on_events_loaded(act.link, act.tag, {}); });
  write_received();
  history->ask(
      [ranges = std::move(act.ranges)](history::store& s) {
        std::vector<std::string> out;
        std::error_code ec;
        for (const auto& r : ranges)
          for (auto& ev : s.events_after(r.author, r.after, r.upto.value - r.after.value, ec))
            out.push_back(std::move(ev.signed_event));
        return out;
      },
      [this, link = act.link, tag = act.tag](std::vector<std::string> events) {
        input([&](instant) { core.on_events_loaded(link, tag, std::move(events)); });
      });
}

// What the store keeps besides events: the room and our name, for a restart without options,
// and the record of each member whose arrival, departure or name we saw.
void node::impl::note_side_effects(const ui_event_t& e) {
  if (std::holds_alternative<ui_event::ready>(e)) save_room_secret_for_restart();
  if (!history) return;
  auto set = [this](history::meta_key key, std::string value) {
    history->submit([key, value = std::move(value)](history::store& s) { (void)s.set_meta(key, value); });
  };
  auto save_member = [this](const peer_id& who) {
    const member* m = core.members().find(who);
    if (!m) return;
    wire::pb::Member record;
    room_wire::to_wire(*m, record);
    history->submit([record = std::move(record)](history::store& s) { (void)s.save_members({&record, 1}); });
  };
  if (auto* joined = std::get_if<ui_event::member_joined>(&e)) save_member(joined->peer.id);
  else if (auto* left = std::get_if<ui_event::member_left>(&e)) save_member(left->peer.id);
  else if (auto* renamed = std::get_if<ui_event::nick>(&e)) save_member(renamed->peer.id);
  if (auto* ready = std::get_if<ui_event::ready>(&e)) {
    set(history::meta_key::room_name, ready->room);
    set(history::meta_key::room_closed, cfg.secret.empty() ? "0" : "1");
    set(history::meta_key::display_name, ready->self.name);
  } else if (auto* nick = std::get_if<ui_event::nick>(&e); nick && nick->peer.id == id.id()) {
    set(history::meta_key::display_name, nick->new_name);
  } else if (std::holds_alternative<ui_event::synced>(e) && cfg.history_limit > 0) {
    history->submit([keep = cfg.history_limit](history::store& s) { (void)s.prune_to(keep); });
  }
}

// Whichever way we got in (--closed, --secret, --secret-file, an invite), a plain restart on
// this data directory needs the secret: it is saved once the room has let us in, so a typo
// never replaces a good saved secret. Written here, before `ready` is shown: a script that
// sees `ready` finds the file. A few bytes, once per run.
void node::impl::save_room_secret_for_restart() {
  if (cfg.secret.empty() || cfg.data_dir.empty()) return;
  std::error_code ec;
  if (load_saved_room_secret(cfg.data_dir, ec) == cfg.secret && !ec) return;
  save_room_secret(cfg.data_dir, cfg.secret, ec);
  if (ec) spdlog::warn("cannot save the room secret in {}: {}", cfg.data_dir, ec.message());
}

void node::impl::save_direct(const direct_record& r) {
  if (!history) return;
  history::stored_direct d{r.id, r.peer, r.outgoing, r.sent, r.text,
                           static_cast<history::direct_status>(r.status)};
  history->submit([d = std::move(d)](history::store& s) { (void)s.save_direct(d); });
}

void node::impl::show_history(std::size_t n) {
  if (!history) return sink(ui_event::error{"no history: this node has no store"});
  write_received();
  history->ask(
      [n](history::store& s) {
        std::error_code ec;
        auto lines = s.last_lines(n, ec);
        return std::make_pair(std::move(lines), ec);
      },
      [this](std::pair<std::vector<history::stored_line>, std::error_code> loaded) {
        if (loaded.second) return sink(ui_event::error{fmt::format("cannot read history: {}", loaded.second.message())});
        ui_event::history out;
        for (auto& [stored, name_then] : loaded.first) {
          wire::pb::SignedEvent sev;
          wire::pb::EventBody body;
          if (!sev.ParseFromString(stored.signed_event) || !body.ParseFromString(sev.body()) || !body.has_text())
            continue;
          const member* author = core.members().find(stored.author);
          peer_info from = author ? peer_info{author->id, author->name, author->addr}
                                  : peer_info{stored.author, "?", {}};
          // The name the line was written under; a Nick that renamed nobody names nobody here.
          if (wire::valid_name(name_then)) from.name = std::move(name_then);
          out.events.push_back({stored.id, std::move(from), stored.seq, stored.lamport, stored.sent_at,
                                body.text().text(), false});
        }
        sink(out);
      });
}

}  // namespace peerchat
