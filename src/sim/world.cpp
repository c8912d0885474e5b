#include "sim/world.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <limits>

#include "core/error.hpp"
#include "proto/peerchat.pb.h"
#include "wire/frame.hpp"

namespace peerchat::sim {

namespace pb = wire::pb;

namespace {
constexpr microseconds never{std::numeric_limits<std::int64_t>::max()};
constexpr microseconds wall_epoch{1'700'000'000'000'000};

// Frames that TCP would also deliver late rather than never are exempt from loss: losing a
// hello or a member list tests reconnection, not the broadcast layer this loss is aimed at.
bool lossy(const pb::Frame& f) {
  switch (f.kind_case()) {
    case pb::Frame::kEvent:
    case pb::Frame::kIhave:
    case pb::Frame::kGraft:
    case pb::Frame::kPrune:
    case pb::Frame::kSummary:
    case pb::Frame::kDigest:
    case pb::Frame::kWant:
    case pb::Frame::kEventBatch: return true;
    default: return false;
  }
}

std::string addr_of(std::size_t index) {
  return fmt::format("10.{}.{}.1:7000", (index >> 8) & 0xff, index & 0xff);
}
}  // namespace

struct world::node_state {
  node_state(identity i, config c, std::string a) : id(std::move(i)), cfg(std::move(c)), addr(std::move(a)) {}
  identity id;
  config cfg;
  std::string addr;
  std::unique_ptr<room> core;
  bool alive = false;
  bool silent = false;  // crashed without resetting its connections
  bool is_ready = false;
  std::optional<microseconds> crashed_at;
  std::uint64_t generation = 0;  // bumps on crash and restart; stale callbacks check it
  microseconds tick_at = never;
  struct peer_end { std::size_t node; link_id link; std::uint64_t generation; };
  std::unordered_map<link_id, peer_end> links;
  std::unordered_map<link_id, microseconds> last_arrival;  // keeps each direction in order
  std::unordered_map<peer_id, std::uint64_t> last_seq_from;  // FIFO invariant
  // Its history store, which survives crashes as a database on disk does.
  struct stored { lamport_time lamport; event_id id; std::string signed_event; };
  std::map<std::pair<peer_id, std::uint64_t>, stored> disk;
};

// What open_store would read back from a node's disk at a restart.
restored_history world::restored_from(const node_state& n) const {
  restored_history h;
  std::map<peer_id, std::uint64_t> contiguous;
  for (const auto& [key, ev] : n.disk) {
    auto& c = contiguous[key.first];
    if (key.second == c + 1) c = key.second;
    h.lamport = std::max(h.lamport, ev.lamport);
    if (key.first == n.id.id()) {
      h.own_seq = seq_no{key.second};
      h.own_prev_hash.assign(reinterpret_cast<const char*>(ev.id.bytes().data()), ev.id.bytes().size());
    }
  }
  for (const auto& [author, seq] : contiguous) h.held.emplace_back(author, seq_no{seq});
  for (const auto& [addr, index] : by_addr_)
    if (addr != n.addr && nodes_[index]->alive && h.peer_addrs.size() < 8) h.peer_addrs.push_back(addr);
  return h;
}

world::world(std::uint64_t seed, network_config net, config node_cfg)
    : seed_(seed), net_(net), node_cfg_(std::move(node_cfg)), rng_(seed) {
  crypto_init();
}

world::~world() = default;

instant world::clock_of() const { return {now_, now_ + wall_epoch}; }

microseconds world::delay() {
  const auto j = net_.jitter.count() > 0 ? static_cast<std::int64_t>(rng_() % static_cast<std::uint64_t>(net_.jitter.count())) : 0;
  return net_.latency + microseconds{j};
}

void world::violated(const std::string& what) const {
  throw invariant_violation(fmt::format("invariant violated at step {} (t={} ms), seed {}: {}", step_,
                                        now_.count() / 1000, seed_, what));
}

void world::schedule(microseconds at, std::function<void()> fn) {
  queue_.push(pending{std::max(at, now_), order_++, std::move(fn)});
}

void world::run_until(microseconds t) {
  while (!queue_.empty() && queue_.top().at <= t) {
    pending p = queue_.top();
    queue_.pop();
    now_ = p.at;
    ++step_;
    p.fn();
  }
  now_ = std::max(now_, t);
}

std::optional<std::size_t> world::node_at(const std::string& addr) const {
  auto it = by_addr_.find(addr);
  if (it == by_addr_.end()) return std::nullopt;
  return it->second;
}

bool world::reachable(std::size_t a, std::size_t b) const {
  return group_.empty() || group_.at(a) == group_.at(b);
}

std::size_t world::add_node(std::optional<std::size_t> through) {
  const std::size_t index = nodes_.size();
  std::array<std::uint8_t, 32> key_seed{};
  std::mt19937_64 key_rng(seed_ * 1'000'003 + index);
  for (auto& b : key_seed) b = static_cast<std::uint8_t>(key_rng());
  auto n = std::make_unique<node_state>(identity::from_seed(key_seed), node_cfg_, addr_of(index));
  n->cfg.name = fmt::format("n{}", index);
  n->cfg.room = through ? "" : "sim";
  n->cfg.join = through ? addr_of(*through) : "";
  by_addr_[n->addr] = index;
  by_id_[n->id.id()] = index;
  nodes_.push_back(std::move(n));
  if (!group_.empty()) group_.push_back(0);
  restart(index, through.value_or(index));
  return index;
}

void world::restart(std::size_t index, std::size_t through) {
  node_state& n = *nodes_.at(index);
  n.cfg.join = through == index ? "" : addr_of(through);
  n.alive = true;
  n.silent = false;
  n.is_ready = false;
  ++n.generation;
  n.links.clear();
  n.last_arrival.clear();
  n.tick_at = never;
  n.core = std::make_unique<room>(n.cfg, n.id, clock_of(), rng_());
  n.core->restore(restored_from(n));
  for (auto& other : nodes_) other->last_seq_from.erase(n.id.id());  // its seqs start over
  n.core->start(n.addr, clock_of());
  pump(index);
}

void world::crash(std::size_t index, bool silent) {
  node_state& n = *nodes_.at(index);
  if (!n.alive) return;
  n.alive = false;
  n.crashed_at = now_;
  n.silent = silent;
  ++n.generation;
  n.tick_at = never;
  if (!silent) {
    // The kernel of a killed process resets its connections: the other ends see them drop.
    for (const auto& [link, there] : n.links) {
      const std::size_t other = there.node;
      const link_id other_link = there.link;
      const std::uint64_t gen = nodes_[other]->generation;
      schedule(now_ + delay(), [this, other, other_link, gen] {
        node_state& o = *nodes_[other];
        if (!o.alive || o.generation != gen || !o.links.erase(other_link)) return;
        o.core->on_link_down(other_link, make_error_code(std::errc::connection_reset), clock_of());
        pump(other);
      });
    }
  }
  n.links.clear();
}

void world::leave(std::size_t index) {
  node_state& n = *nodes_.at(index);
  if (!n.alive) return;
  n.core->leave(clock_of());
  pump(index);
}

void world::partition(const std::vector<int>& group_of_node) { group_ = group_of_node; }
void world::heal() { group_.clear(); }

void world::say(std::size_t index) {
  node_state& n = *nodes_.at(index);
  if (!n.alive || !n.is_ready) return;
  sent_message m{index, {}, now_, {}, {}, {{index, 0}}};
  for (std::size_t i = 0; i < nodes_.size(); ++i)
    if (i != index && nodes_[i]->alive && nodes_[i]->is_ready) m.expected.insert(i);
  messages_.push_back(std::move(m));
  n.core->say(fmt::format("m{}", messages_.size() - 1), clock_of());
  pump(index);
}

void world::pump(std::size_t index) {
  node_state& n = *nodes_[index];
  for (auto actions = n.core->take_actions(); !actions.empty(); actions = n.core->take_actions())
    for (auto& a : actions) {
      perform(index, a);
      if (!n.alive) return;
    }
  arm(index);
}

void world::arm(std::size_t index) {
  node_state& n = *nodes_[index];
  const microseconds due = std::max(n.core->next_deadline(), now_);
  if (due >= n.tick_at) return;
  n.tick_at = due;
  const std::uint64_t gen = n.generation;
  schedule(due, [this, index, gen, due] {
    node_state& m = *nodes_[index];
    if (!m.alive || m.generation != gen || m.tick_at != due) return;
    m.tick_at = never;
    m.core->on_tick(clock_of());
    pump(index);
  });
}

void world::perform(std::size_t index, room_action& a) {
  node_state& n = *nodes_[index];
  if (auto* s = std::get_if<action::send>(&a)) {
    deliver_frame(index, s->link, std::move(s->bytes));
  } else if (auto* c = std::get_if<action::close>(&a)) {
    deliver_frame(index, c->link, action::encode_bye(*c));
    drop_link(index, c->link, true);
  } else if (auto* d = std::get_if<action::dial>(&a)) {
    dial(index, d->addr);
  } else if (auto* g = std::get_if<action::datagram>(&a)) {
    auto to = node_at(g->addr);
    if (!to || !reachable(index, *to) || (net_.loss > 0 && std::uniform_real_distribution<>(0, 1)(rng_) < net_.loss))
      return;
    const std::size_t target = *to;
    const std::uint64_t gen = nodes_[target]->generation;
    schedule(now_ + delay(), [this, target, gen, bytes = g->bytes] {
      node_state& t = *nodes_[target];
      if (!t.alive || t.generation != gen) return;
      t.core->on_datagram(*bytes, clock_of());
      pump(target);
    });
  } else if (auto* e = std::get_if<action::emit>(&a)) {
    on_emit(index, e->event);
  } else if (auto* f = std::get_if<action::finished>(&a)) {
    // Either way the process exits: after a failed join, or once it has left, its links
    // closing behind what they already carry.
    n.alive = false;
    n.crashed_at = now_;  // gone as after a crash: lines still on their way to it are not its
    ++n.generation;
    n.tick_at = never;
    if (!f->error) {
      std::vector<link_id> open;
      for (const auto& [link, there] : n.links) open.push_back(link);
      for (link_id link : open) drop_link(index, link, true);
    }
    n.links.clear();
  } else if (auto* own = std::get_if<action::store_own>(&a)) {
    keep(n, own->event);
    n.core->on_own_stored(own->event.seq, clock_of());  // the disk is instant here
  } else if (auto* received = std::get_if<action::store_events>(&a)) {
    for (const auto& ev : received->events) keep(n, ev);
  } else if (auto* load = std::get_if<action::load_events>(&a)) {
    std::vector<std::string> out;
    for (const auto& r : load->ranges)
      for (auto it = n.disk.upper_bound({r.author, r.after.value});
           it != n.disk.end() && it->first.first == r.author && it->first.second <= r.upto.value; ++it)
        out.push_back(it->second.signed_event);
    n.core->on_events_loaded(load->link, load->tag, std::move(out));
  }
}

void world::keep(node_state& n, const wire::verified_event& ev) {
  n.disk.try_emplace({ev.author, ev.seq.value},
                     node_state::stored{ev.lamport, ev.id, ev.signed_event.SerializeAsString()});
}

bool world::histories_identical() const {
  const node_state* first = nullptr;
  for (const auto& n : nodes_) {
    if (!n->alive) continue;
    if (!first) {
      first = n.get();
      continue;
    }
    if (n->disk.size() != first->disk.size() ||
        !std::equal(n->disk.begin(), n->disk.end(), first->disk.begin(),
                    [](const auto& x, const auto& y) { return x.first == y.first && x.second.id == y.second.id; }))
      return false;
  }
  return true;
}

void world::deliver_frame(std::size_t from, link_id link, std::shared_ptr<const std::string> bytes) {
  node_state& n = *nodes_[from];
  auto it = n.links.find(link);
  if (it == n.links.end()) return;
  const auto there = it->second;
  auto frame = std::make_shared<pb::Frame>();
  if (bytes->size() < 4 || !frame->ParseFromArray(bytes->data() + 4, static_cast<int>(bytes->size() - 4)))
    violated(fmt::format("node {} sent an undecodable frame", from));
  if (!reachable(from, there.node)) return;  // a partition swallows it; TCP would stall
  if (net_.loss > 0 && lossy(*frame) && std::uniform_real_distribution<>(0, 1)(rng_) < net_.loss) return;
  microseconds& last = n.last_arrival[link];
  last = std::max(last, now_ + delay());
  schedule(last, [this, from, there, frame] {
    node_state& t = *nodes_[there.node];
    if (!t.alive || t.generation != there.generation) return;
    if (!t.links.contains(there.link)) return;
    if (frame->has_event()) note_hop(from, there.node, frame->event());
    if (frame->has_event_batch())
      for (const auto& raw : frame->event_batch().events()) {
        pb::SignedEvent ev;
        if (ev.ParseFromString(raw)) note_hop(from, there.node, ev);
      }
    t.core->on_frame(there.link, *frame, clock_of());
    pump(there.node);
  });
}

// Hop counts: the first copy a node receives, pushed or in a repair batch, is one link
// further than its sender's.
void world::note_hop(std::size_t from, std::size_t to, const pb::SignedEvent& event) {
  pb::EventBody body;
  if (!body.ParseFromString(event.body())) return;
  auto author = peer_id::from_bytes(body.author());
  if (!author) return;
  auto a = by_id_.find(*author);
  if (a == by_id_.end()) return;
  auto k = message_index_.find({a->second, body.seq()});
  if (k == message_index_.end()) return;
  auto& hops = messages_[k->second].hops;
  if (!hops.contains(to) && hops.contains(from)) hops[to] = hops[from] + 1;
}

void world::drop_link(std::size_t index, link_id link, bool tell_other) {
  node_state& n = *nodes_[index];
  auto it = n.links.find(link);
  if (it == n.links.end()) return;
  const auto there = it->second;
  n.links.erase(it);
  if (!tell_other) return;
  const microseconds at = std::max(n.last_arrival[link], now_ + delay());
  schedule(at, [this, there] {
    node_state& t = *nodes_[there.node];
    if (!t.alive || t.generation != there.generation || !t.links.erase(there.link)) return;
    t.core->on_link_down(there.link, make_error_code(std::errc::connection_reset), clock_of());
    pump(there.node);
  });
}

void world::dial(std::size_t from, const std::string& addr) {
  const std::uint64_t gen = nodes_[from]->generation;
  auto to = node_at(addr);
  const bool answers = to && nodes_[*to]->alive && reachable(from, *to);
  const bool refused = to && !nodes_[*to]->alive && !nodes_[*to]->silent && reachable(from, *to);
  if (!answers) {
    // A dead process's host refuses at once; a silent or cut-off one lets the dial time out.
    const microseconds after = refused ? 2 * delay() : std::chrono::duration_cast<microseconds>(node_cfg_.handshake_timeout);
    schedule(now_ + after, [this, from, gen, addr] {
      node_state& n = *nodes_[from];
      if (!n.alive || n.generation != gen) return;
      n.core->on_dial_failed(addr, make_error_code(std::errc::connection_refused), clock_of());
      pump(from);
    });
    return;
  }
  const std::size_t target = *to;
  const std::uint64_t target_gen = nodes_[target]->generation;
  // TCP and TLS 1.3 handshakes: about two round trips before both ends hold the link.
  schedule(now_ + 4 * delay(), [this, from, gen, target, target_gen, addr] {
    node_state& a = *nodes_[from];
    node_state& b = *nodes_[target];
    if (!a.alive || a.generation != gen) return;
    if (!b.alive || b.generation != target_gen || !reachable(from, target)) {
      a.core->on_dial_failed(addr, make_error_code(std::errc::connection_refused), clock_of());
      return pump(from);
    }
    const link_id la = next_link_++, lb = next_link_++;
    a.links[la] = {target, lb, b.generation};
    b.links[lb] = {from, la, a.generation};
    // Simulated rooms are open: no proof needs a real session's exporter.
    a.core->on_link_up(la, b.id.id(), addr, b.addr.substr(0, b.addr.find(':')), {}, clock_of());
    b.core->on_link_up(lb, a.id.id(), "", a.addr.substr(0, a.addr.find(':')), {}, clock_of());
    pump(from);
    pump(target);
  });
}

void world::on_emit(std::size_t index, const ui_event_t& e) {
  node_state& n = *nodes_[index];
  if (std::holds_alternative<ui_event::ready>(e)) {
    n.is_ready = true;
    return;
  }
  if (const auto* joined = std::get_if<ui_event::member_joined>(&e)) {
    if (auto m = by_id_.find(joined->peer.id); m != by_id_.end())
      membership_log_.push_back({now_, index, m->second, true});
    return;
  }
  if (const auto* left = std::get_if<ui_event::member_left>(&e)) {
    if (auto m = by_id_.find(left->peer.id); m != by_id_.end())
      membership_log_.push_back({now_, index, m->second, false});
    return;
  }
  const auto* msg = std::get_if<ui_event::message>(&e);
  if (!msg || msg->text.size() < 2 || msg->text[0] != 'm') return;
  const std::size_t k = std::stoul(msg->text.substr(1));
  if (k >= messages_.size()) violated(fmt::format("node {} delivered a line nobody said", index));
  sent_message& m = messages_[k];
  if (msg->from.id != nodes_[m.author]->id.id())
    violated(fmt::format("node {} got m{} attributed to the wrong author", index, k));
  if (m.author == index) {
    m.seq = msg->seq;
    message_index_[{index, msg->seq.value}] = k;
    return;
  }
  std::uint64_t& last = n.last_seq_from[msg->from.id];
  // In order, unless flagged late: a line whose gap was given up arrives after its successors.
  if (msg->seq.value <= last && !msg->late)
    violated(fmt::format("node {} got seq {} of n{} after seq {} unflagged (reordered)", index,
                         msg->seq.value, m.author, last));
  if (msg->seq.value > last && msg->late)
    violated(fmt::format("node {} flagged seq {} of n{} late, after only {}", index, msg->seq.value, m.author, last));
  last = std::max(last, msg->seq.value);
  if (!m.delivered_at.emplace(index, now_).second)
    violated(fmt::format("node {} got m{} twice", index, k));
}

bool world::alive(std::size_t node) const { return nodes_.at(node)->alive; }
std::optional<microseconds> world::last_crash(std::size_t node) const { return nodes_.at(node)->crashed_at; }
bool world::ready(std::size_t node) const { return nodes_.at(node)->is_ready; }
const room& world::core(std::size_t node) const { return *nodes_.at(node)->core; }

bool world::membership_converged() const {
  std::set<peer_id> live;
  for (const auto& n : nodes_)
    if (n->alive) live.insert(n->id.id());
  for (const auto& n : nodes_) {
    if (!n->alive) continue;
    std::set<peer_id> seen{n->id.id()};
    for (const member* m : n->core->members().live_others()) seen.insert(m->id);
    if (seen != live) return false;
  }
  return true;
}

std::size_t world::eccentricity(std::size_t node) const {
  std::vector<int> dist(nodes_.size(), -1);
  std::vector<std::size_t> frontier{node};
  dist[node] = 0;
  int farthest = 0;
  for (std::size_t head = 0; head < frontier.size(); ++head) {
    const std::size_t v = frontier[head];
    for (const peer_id& p : nodes_[v]->core->neighbours()) {
      auto w = by_id_.find(p);
      if (w == by_id_.end() || !nodes_[w->second]->alive || dist[w->second] >= 0) continue;
      dist[w->second] = dist[v] + 1;
      farthest = std::max(farthest, dist[w->second]);
      frontier.push_back(w->second);
    }
  }
  return static_cast<std::size_t>(farthest);
}

std::size_t world::components() const {
  std::unordered_map<peer_id, std::size_t> index_of;
  for (std::size_t i = 0; i < nodes_.size(); ++i) index_of[nodes_[i]->id.id()] = i;
  std::vector<std::vector<std::size_t>> adjacent(nodes_.size());
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    if (!nodes_[i]->alive) continue;
    for (const peer_id& p : nodes_[i]->core->neighbours())
      if (auto j = index_of.find(p); j != index_of.end() && nodes_[j->second]->alive) {
        adjacent[i].push_back(j->second);
        adjacent[j->second].push_back(i);
      }
  }
  std::vector<bool> seen(nodes_.size(), false);
  std::size_t count = 0;
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    if (!nodes_[i]->alive || seen[i]) continue;
    ++count;
    std::vector<std::size_t> stack{i};
    seen[i] = true;
    while (!stack.empty()) {
      const std::size_t v = stack.back();
      stack.pop_back();
      for (std::size_t w : adjacent[v])
        if (!seen[w]) {
          seen[w] = true;
          stack.push_back(w);
        }
    }
  }
  return count;
}

}  // namespace peerchat::sim
