// Room cores joined by an in-memory network that encodes and decodes every frame, on a
// virtual clock, for the room's unit tests. A node may keep its history in memory: the test
// plays the node's store, answering the room's store and load actions at once (or holding
// our own writes back, or refusing them, when a test says so).
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <deque>
#include <functional>
#include <map>
#include <optional>

#include "node/room.hpp"

#include "core/error.hpp"
#include "crypto/identity.hpp"
#include "wire/event.hpp"
#include "wire/frame.hpp"

namespace peerchat::room_testing {

namespace pb = wire::pb;

struct peer_node {
  config cfg;
  identity id = identity::generate();
  std::unique_ptr<room> core;
  std::vector<ui_event_t> events;
  std::vector<std::string> logs;
  std::vector<std::string> dials;
  std::vector<action::file_frame> file_frames;  // transfer frames for this node's files layer
  std::vector<action::file_offered> offers;      // offers for this node's files layer
  std::vector<action::file_offer_delivered> offers_delivered;  // ours, acknowledged
  std::optional<std::error_code> finished;
  // History, for nodes created with_store.
  bool with_store = false;
  std::string last_name;  // the name its store remembers from the last run
  std::map<std::pair<peer_id, std::uint64_t>, wire::verified_event> stored;
  bool hold_own_writes = false;
  std::deque<seq_no> own_writes_held;
  std::optional<std::error_code> refuse_own_writes;

  template <class T>
  std::vector<T> all() const {
    std::vector<T> out;
    for (const auto& e : events)
      if (auto* x = std::get_if<T>(&e)) out.push_back(*x);
    return out;
  }
};

// Endpoint of a fake link: which node and which link id there.
struct end { std::size_t node; link_id link; };

class fake_network {
public:
  fake_network() { crypto_init(); }

  // `prepare` may set config and `with_store`, and restore the core, before it starts.
  std::size_t add(std::string name, std::string room_name = {}, std::string join = {},
                  const std::function<void(peer_node&)>& prepare = {}) {
    auto n = std::make_unique<peer_node>();
    n->cfg.name = std::move(name);
    n->cfg.room = std::move(room_name);
    n->cfg.join = std::move(join);
    if (prepare) prepare(*n);
    n->core = std::make_unique<room>(n->cfg, n->id, now(), nodes_.size() + 1);
    if (n->with_store) n->core->restore(restored_of(*n));
    nodes_.push_back(std::move(n));
    const std::size_t index = nodes_.size() - 1;
    node(index).core->start(addr_of(index), now());
    pump();
    return index;
  }

  // A member that joins through `through` and completes its handshake.
  std::size_t join(std::string name, std::size_t through,
                   const std::function<void(peer_node&)>& prepare = {}) {
    const std::size_t index = add(std::move(name), {}, addr_of(through), prepare);
    connect(index, through);
    return index;
  }

  static std::string addr_of(std::size_t index) { return "127.0.0.1:" + std::to_string(7000 + index); }
  peer_node& node(std::size_t i) { return *nodes_.at(i); }
  instant now() const { return {clock_, clock_ + microseconds{1'700'000'000'000'000}}; }
  // Lets `n`'s own writes held back so far reach the disk.
  void release_own_writes(std::size_t i) {
    peer_node& n = node(i);
    n.hold_own_writes = false;
    while (!n.own_writes_held.empty()) {
      const seq_no seq = n.own_writes_held.front();
      n.own_writes_held.pop_front();
      n.core->on_own_stored(seq, now());
    }
    pump();
  }

  // `i` dies without a word: its neighbours see their links reset; it hears nothing more.
  void crash(std::size_t i) {
    node(i).finished = make_error_code(std::errc::connection_reset);
    std::vector<end> theirs;
    for (auto it = peers_.begin(); it != peers_.end();) {
      if (it->first.node == i) {
        theirs.push_back(it->second);
        it = peers_.erase(it);
      } else {
        it = it->second.node == i ? peers_.erase(it) : std::next(it);
      }
    }
    for (const end& e : theirs)
      node(e.node).core->on_link_down(e.link, make_error_code(std::errc::connection_reset), now());
    pump();
  }

  // `i` starts again on its identity and its store, as a new process on the same data
  // directory without --join does: a new core with a new incarnation (the clock must have
  // moved on), in the same room, ready at once and with no links (the test connects it), `prepare` applied to
  // its config first. Links of the run before close as the process exits. Events and logs
  // start empty.
  void restart(std::size_t i, const std::function<void(peer_node&)>& prepare = {}) {
    crash(i);
    peer_node& n = node(i);
    n.cfg.join.clear();
    n.cfg.room = n.core->room_name();  // the store keeps it
    n.finished.reset();
    n.events.clear();
    n.logs.clear();
    n.dials.clear();
    if (prepare) prepare(n);
    n.core = std::make_unique<room>(n.cfg, n.id, now(), 1000 + i);
    if (n.with_store) n.core->restore(restored_of(n));
    n.core->start(addr_of(i), now());
    pump();
  }

  // Frames from `from` to `to` matching this are lost (to test repair).
  std::function<bool(std::size_t from, std::size_t to, const pb::Frame&)> drop_frame;

  void advance(microseconds d) {
    clock_ += d;
    for (auto& n : nodes_) n->core->on_tick(now());
    pump();
  }

  // `from` dials `to` and both finish TLS; returns the dialer's link id.
  link_id connect(std::size_t from, std::size_t to) {
    const link_id a = next_link_++, b = next_link_++;
    peers_[{from, a}] = {to, b};
    peers_[{to, b}] = {from, a};
    node(from).core->on_link_up(a, node(to).id.id(), addr_of(to), "127.0.0.1", {}, now());
    node(to).core->on_link_up(b, node(from).id.id(), "", "127.0.0.1", {}, now());
    pump();
    return a;
  }

  // Bytes that `from`'s side of `link` puts on the wire, as if a hostile peer wrote them.
  void inject(std::size_t to, link_id link, const pb::Frame& frame) {
    node(to).core->on_frame(link, frame, now());
    pump();
  }

  link_id link_at(std::size_t node_index, std::size_t towards) const {
    for (const auto& [here, there] : peers_)
      if (here.node == node_index && there.node == towards) return here.link;
    return 0;
  }

  // `from`'s room counts `to` among its neighbours (an established link).
  bool linked(std::size_t from, std::size_t to) {
    const auto n = node(from).core->neighbours();
    return std::find(n.begin(), n.end(), node(to).id.id()) != n.end();
  }

  // Runs every queued action until the network is quiet. Dials are recorded, not performed,
  // so each test decides its own topology.
  void pump() {
    for (bool busy = true; busy;) {
      busy = false;
      for (std::size_t i = 0; i < nodes_.size(); ++i)
        for (auto& a : node(i).core->take_actions()) {
          if (node(i).finished == std::errc::connection_reset) continue;  // crashed
          busy = true;
          run(i, a);
        }
    }
  }

private:
  struct key_less {
    bool operator()(const end& x, const end& y) const {
      return std::tie(x.node, x.link) < std::tie(y.node, y.link);
    }
  };

  void run(std::size_t i, room_action& a) {
    peer_node& n = node(i);
    if (auto* s = std::get_if<action::send>(&a)) {
      auto it = peers_.find({i, s->link});
      if (it == peers_.end()) return;
      wire::frame_reader reader(n.cfg.max_frame_bytes);
      reader.feed(*s->bytes);
      std::error_code ec;
      auto frame = reader.next(ec);
      ASSERT_TRUE(frame) << ec.message();
      if (drop_frame && drop_frame(i, it->second.node, *frame)) return;
      node(it->second.node).core->on_frame(it->second.link, *frame, now());
    } else if (auto* c = std::get_if<action::close>(&a)) {
      auto it = peers_.find({i, c->link});
      if (it == peers_.end()) return;
      const end other = it->second;
      peers_.erase(it);
      peers_.erase(other);
      wire::frame_reader reader(n.cfg.max_frame_bytes);
      reader.feed(*action::encode_bye(*c));
      std::error_code ec;
      auto bye = reader.next(ec);
      ASSERT_TRUE(bye) << ec.message();
      node(other.node).core->on_frame(other.link, *bye, now());
      n.core->on_link_down(c->link, c->reason, now());
      node(other.node).core->on_link_down(other.link, c->reason, now());
    } else if (auto* d = std::get_if<action::dial>(&a)) {
      n.dials.push_back(d->addr);
    } else if (auto* g = std::get_if<action::datagram>(&a)) {
      for (std::size_t j = 0; j < nodes_.size(); ++j)
        if (addr_of(j) == g->addr && !node(j).finished) node(j).core->on_datagram(*g->bytes, now());
    } else if (auto* e = std::get_if<action::emit>(&a)) {
      n.events.push_back(e->event);
    } else if (auto* ff = std::get_if<action::file_frame>(&a)) {
      n.file_frames.push_back(std::move(*ff));
    } else if (auto* fo = std::get_if<action::file_offered>(&a)) {
      n.offers.push_back(std::move(*fo));
    } else if (auto* fd = std::get_if<action::file_offer_delivered>(&a)) {
      n.offers_delivered.push_back(std::move(*fd));
    } else if (auto* l = std::get_if<action::log>(&a)) {
      n.logs.push_back(l->line);
    } else if (auto* f = std::get_if<action::finished>(&a)) {
      n.finished = f->error;
    } else if (auto* own = std::get_if<action::store_own>(&a)) {
      if (n.refuse_own_writes) return n.core->on_own_store_failed(own->event.seq, *n.refuse_own_writes);
      const seq_no seq = own->event.seq;
      n.stored.insert_or_assign({own->event.author, seq.value}, own->event);
      if (n.hold_own_writes) return n.own_writes_held.push_back(seq);
      n.core->on_own_stored(seq, now());
    } else if (auto* evs = std::get_if<action::store_events>(&a)) {
      for (auto& ev : evs->events) n.stored.try_emplace({ev.author, ev.seq.value}, ev);
    } else if (auto* load = std::get_if<action::load_events>(&a)) {
      std::vector<std::string> out;
      for (const auto& r : load->ranges)
        for (auto it = n.stored.upper_bound({r.author, r.after.value});
             it != n.stored.end() && it->first.first == r.author && it->first.second <= r.upto.value; ++it)
          out.push_back(it->second.signed_event.SerializeAsString());
      n.core->on_events_loaded(load->link, load->tag, std::move(out));
    }
  }

  // What a store holding `n.stored` would hand a restarted room.
  static restored_history restored_of(const peer_node& n) {
    restored_history h;
    std::map<peer_id, std::uint64_t> contiguous;
    for (const auto& [key, ev] : n.stored) {
      auto& c = contiguous[key.first];
      if (key.second == c + 1) c = key.second;
      h.lamport = std::max(h.lamport, ev.lamport);
      if (key.first == n.id.id()) {
        h.own_seq = ev.seq;
        h.own_prev_hash.assign(reinterpret_cast<const char*>(ev.id.bytes().data()), ev.id.bytes().size());
      }
    }
    for (const auto& [author, seq] : contiguous) h.held.emplace_back(author, seq_no{seq});
    h.own_name = n.last_name;
    return h;
  }

  std::vector<std::unique_ptr<peer_node>> nodes_;
  std::map<end, end, key_less> peers_;
  microseconds clock_{1'000'000};
  link_id next_link_ = 1;
};

}  // namespace peerchat::room_testing
