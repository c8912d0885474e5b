#include "overlay/plumtree.hpp"

#include <algorithm>
#include <limits>

namespace peerchat {

namespace {
// A lagging stream's awaited ref is looked at again at most this many graft timeouts later.
constexpr std::int64_t max_postpone_timeouts = 4;
constexpr std::uint32_t max_graft_backoff = 5;  // retries wait at most 32 graft_retry (4.8 s)
}

void plumtree::neighbor_up(const peer_id& peer) {
  neighbours_.insert(peer);  // eager for every author until a duplicate prunes it
}

void plumtree::neighbor_down(const peer_id& peer) {
  neighbours_.erase(peer);
  for (auto& [author, lazy] : lazy_) lazy.erase(peer);
  for (auto& [author, pruned] : pruned_) pruned.erase(peer);
  std::erase_if(parent_, [&](const auto& kv) { return kv.second == peer; });
  lazy_queue_.erase(peer);
  for (auto& [ref, m] : missing_) std::erase_if(m.announcers, [&](const announcer& a) { return a.peer == peer; });
}

std::unordered_set<peer_id>& plumtree::lazy_for(const peer_id& author) {
  auto it = lazy_.find(author);
  if (it != lazy_.end()) return it->second;
  if (lazy_.size() >= cfg_.max_trees && !tree_order_.empty()) {
    lazy_.erase(tree_order_.front());  // that author's next event floods and rebuilds its tree
    pruned_.erase(tree_order_.front());
    parent_.erase(tree_order_.front());
    highest_.erase(tree_order_.front());
    moved_at_.erase(tree_order_.front());
    parent_pushed_at_.erase(tree_order_.front());
    tree_order_.pop_front();
  }
  tree_order_.push_back(author);
  return lazy_[author];
}

void plumtree::prune(const peer_id& peer, const peer_id& author) {
  lazy_for(author);
  pruned_[author].insert(peer);
  if (auto it = parent_.find(author); it != parent_.end() && it->second == peer) parent_.erase(it);
  outputs_.push_back(plumtree_out::prune{peer, author});
}

void plumtree::take_parent(const peer_id& peer, const peer_id& author) {
  lazy_for(author).insert(peer);  // upstream: we announce to it, never push to it
  parent_.insert_or_assign(author, peer);
  auto it = pruned_.find(author);
  if (it == pruned_.end() || !it->second.erase(peer)) return;
  // We pruned it before and its pushes still came (sent before our prune got there), but from
  // now on it holds us lazy: ask it to push to us again, or we are left with no parent.
  outputs_.push_back(plumtree_out::graft{peer, {}, author});
}

bool plumtree::is_eager(const peer_id& peer, const peer_id& author) const {
  if (!neighbours_.contains(peer)) return false;
  auto it = lazy_.find(author);
  return it == lazy_.end() || !it->second.contains(peer);
}

void plumtree::broadcast(const event_ref& ref, const std::optional<peer_id>& from, microseconds now,
                         bool repaired) {
  const auto awaited_it = missing_.find(ref);
  const bool asked = awaited_it != missing_.end() && awaited_it->second.asked;
  if (awaited_it != missing_.end()) forget_missing(awaited_it);
  auto& lazy = lazy_for(ref.author);
  // Whoever pushed this author's event to us is upstream in its tree: it gets IHaves from us,
  // never the author's events. Pushed back, an event we got sooner by another path (a graft,
  // a repair) was a duplicate there, and the prune it caused cut us off from our parent.
  if (from && !repaired && neighbours_.contains(*from)) {
    const auto pushed = parent_pushed_at_.find(ref.author);
    const bool parent_flows = !is_parent(*from, ref.author) && parent_.contains(ref.author) &&
                              pushed != parent_pushed_at_.end() && now < pushed->second + cfg_.parent_hold;
    if (!parent_flows) take_parent(*from, ref.author);
    if (is_parent(*from, ref.author)) parent_pushed_at_.insert_or_assign(ref.author, now);
  }
  // Only what the eager stream brought unasked counts as its progress: an event we grafted
  // (or a repair) arriving says nothing about the stream, and counting it held the next
  // missing event of that author back another graft timeout (p99 latency ~525 ms). An event
  // announced but not yet grafted does count: when the eager stream lags seconds behind the
  // IHaves, every push it brings was announced first, and not counting them grafted all of
  // them (five grafted refs per event under the throughput benchmark).
  std::uint64_t& highest = highest_[ref.author];
  if (!asked && !repaired) highest = std::max(highest, ref.seq.value);
  for (const peer_id& p : neighbours_) {
    if (p == from) continue;
    if (!lazy.contains(p)) {
      outputs_.push_back(plumtree_out::push{p, ref});
      continue;
    }
    auto& queue = lazy_queue_[p];
    if (queue.size() < cfg_.max_lazy_queue) queue.push_back({ref, now});
  }
  if (!lazy_queue_.empty() && !lazy_flush_at_) lazy_flush_at_ = next_beat(now + cfg_.ihave_min_hold);
}

void plumtree::duplicate(const peer_id& from, const peer_id& author) {
  if (!neighbours_.contains(from)) return;
  // Only `from`'s pushes to us are redundant; whether it needs ours is its own duplicates'
  // to tell (its prune). Even when `from` was pruned already: it still pushes, so our prune
  // was lost (or crossed the push).
  prune(from, author);
}

void plumtree::on_prune(const peer_id& from, const peer_id& author) {
  if (neighbours_.contains(from)) lazy_for(author).insert(from);
}

void plumtree::on_ihave(const peer_id& from, const std::vector<event_ref>& refs, microseconds now,
                        const std::vector<std::uint32_t>& hops, bool announced,
                        const std::vector<microseconds>& held) {
  if (!neighbours_.contains(from)) return;
  std::vector<event_ref> graft_now;
  for (std::size_t i = 0; i < refs.size(); ++i) {
    const event_ref& ref = refs[i];
    const std::uint32_t their_hops = i < hops.size() ? hops[i] : std::numeric_limits<std::uint32_t>::max();
    auto it = missing_.find(ref);
    if (it == missing_.end()) {
      if (missing_.size() >= cfg_.max_missing) continue;  // anti-entropy will fill it later
      const auto h = highest_.find(ref.author);
      const std::uint64_t highest = h == highest_.end() ? 0 : h->second;
      it = missing_.emplace(ref, missing{{}, due_.end(), highest, now}).first;
      // The time the announcer held it is forgiven only for the next event of the stream (or
      // one below what came): further ahead, our eager copy is queued behind the ones before
      // it, and the full timeout is what lets on_tick see the stream still arriving (under
      // the throughput benchmark, forgiving those grafted 40,000-150,000 refs a run).
      // At most half the timeout: an announcer's clock (or word) cannot make us graft an
      // event the moment it is named.
      const bool next_in_stream = ref.seq.value <= highest + 1;
      const microseconds waited = next_in_stream && i < held.size()
                                      ? std::clamp(held[i], microseconds{0}, cfg_.graft_timeout / 2)
                                      : microseconds{0};
      set_deadline(it->second, ref, now + cfg_.graft_timeout - waited);
    }
    auto& announcers = it->second.announcers;
    // Our parent for that author announced it instead of pushing it: it holds us lazy (a
    // graft naming the author, sent when we chose it, is still on its way, or was lost), so
    // the push will not come; waiting the graft timeout would only delay us and our subtree.
    if (announced) {
      auto p = parent_.find(ref.author);
      if (p != parent_.end() && p->second == from) {
        std::erase_if(announcers, [&](const announcer& a) { return a.peer == from; });
        set_deadline(it->second, ref, now + cfg_.graft_retry);
        it->second.asked = true;
        graft_now.push_back(ref);
        continue;
      }
    }
    if (announcers.size() >= 8 || std::any_of(announcers.begin(), announcers.end(),
                                              [&](const announcer& a) { return a.peer == from; }))
      continue;
    auto at = std::find_if(announcers.begin(), announcers.end(), [&](const announcer& a) { return a.hops > their_hops; });
    announcers.insert(at, announcer{from, their_hops});
  }
  if (!graft_now.empty()) {
    for (const event_ref& ref : graft_now)
      if (auto it = pruned_.find(ref.author); it != pruned_.end()) it->second.erase(from);
    outputs_.push_back(plumtree_out::graft{from, std::move(graft_now), std::nullopt});
  }
}

void plumtree::on_graft(const peer_id& from, const std::vector<event_ref>& refs) {
  if (!neighbours_.contains(from)) return;
  for (const event_ref& ref : refs) {
    if (auto it = lazy_.find(ref.author); it != lazy_.end()) it->second.erase(from);
    outputs_.push_back(plumtree_out::push{from, ref});
  }
}

void plumtree::on_graft_author(const peer_id& from, const peer_id& author) {
  if (neighbours_.contains(from)) lazy_for(author).erase(from);
}

bool plumtree::may_move(const peer_id& author, microseconds now) {
  lazy_for(author);  // moved_at_ is bounded with the trees
  auto [it, first] = moved_at_.try_emplace(author, now);
  if (first) return true;
  if (now < it->second + cfg_.parent_hold) return false;
  it->second = now;
  return true;
}

void plumtree::optimize(const peer_id& closer, const peer_id& farther, const peer_id& author, microseconds now) {
  if (closer == farther || !neighbours_.contains(closer) || !neighbours_.contains(farther)) return;
  if (!may_move(author, now)) return;
  auto& lazy = lazy_for(author);
  // `closer` becomes our parent: it pushes to us, we only announce to it.
  lazy.insert(closer);
  parent_.insert_or_assign(author, closer);
  if (auto it = pruned_.find(author); it != pruned_.end()) it->second.erase(closer);
  outputs_.push_back(plumtree_out::graft{closer, {}, author});
  lazy.insert(farther);
  prune(farther, author);
}

void plumtree::adopt(const peer_id& closer, const peer_id& farther, const peer_id& author, microseconds now) {
  if (closer == farther || !neighbours_.contains(closer) || !neighbours_.contains(farther)) return;
  if (!may_move(author, now)) return;
  auto& lazy = lazy_for(author);
  take_parent(closer, author);  // it pushes to us already, unless we pruned it before
  lazy.insert(farther);
  prune(farther, author);
}

void plumtree::on_tick(microseconds now) {
  if (lazy_flush_at_ && now >= *lazy_flush_at_) flush_lazy(now);
  // One graft frame per announcer, however many refs it is asked for.
  std::unordered_map<peer_id, std::vector<event_ref>> grafts;
  std::vector<event_ref> due_now;
  for (auto d = due_.begin(); d != due_.end() && d->first <= now; ++d) due_now.push_back(d->second);
  for (const event_ref& ref : due_now) {
    auto it = missing_.find(ref);
    missing& m = it->second;
    if (m.announcers.empty()) {
      forget_missing(it);  // nobody left to ask; anti-entropy is the last resort
      continue;
    }
    // The author's earlier events are still arriving: the eager path is busy, not broken
    // (links keep order, so a loss would show as later events arriving first). Grafting now
    // would only add copies to a loaded room; look again after another timeout.
    const auto h = highest_.find(ref.author);
    const std::uint64_t highest = h == highest_.end() ? 0 : h->second;
    if (highest > m.progress && highest < ref.seq.value) {
      // Look again when the stream, at the pace it kept since the last look, should have
      // brought this one. Looking every timeout, a receiver seconds behind re-examined
      // thousands of awaited refs four times a second (6 % of its CPU under the throughput
      // benchmark).
      const double pace = static_cast<double>((now - m.looked_at).count()) /
                          static_cast<double>(highest - m.progress);
      const auto eta = microseconds{static_cast<std::int64_t>(
          std::min(pace * static_cast<double>(ref.seq.value - highest),
                   static_cast<double>(max_postpone_timeouts * cfg_.graft_timeout.count())))};
      m.progress = highest;
      m.looked_at = now;
      set_deadline(m, ref, now + std::max(cfg_.graft_timeout, eta));
      continue;
    }
    const peer_id closest = m.announcers.front().peer;
    m.announcers.pop_front();
    grafts[closest].push_back(ref);
    m.asked = true;
    // The answer to a graft queues behind whatever the announcer is already sending us; in
    // a loaded room that is seconds, and a fixed retry sent one full copy more per retry to
    // every waiting node (two grafted refs per delivery under the throughput benchmark).
    set_deadline(m, ref, now + cfg_.graft_retry * (1u << std::min<std::uint32_t>(m.grafts, max_graft_backoff)));
    ++m.grafts;
  }
  // The announcer pushes to us from now on: it is upstream, we only announce to it.
  for (auto& [to, refs] : grafts) {
    for (const event_ref& ref : refs) {
      lazy_for(ref.author).insert(to);
      parent_.insert_or_assign(ref.author, to);
      if (auto it = pruned_.find(ref.author); it != pruned_.end()) it->second.erase(to);
    }
    outputs_.push_back(plumtree_out::graft{to, std::move(refs), std::nullopt});
  }
}

// The first of our beats at or after `at`.
microseconds plumtree::next_beat(microseconds at) const {
  const std::int64_t beat = std::max<std::int64_t>(cfg_.ihave_beat.count(), 1);
  const std::int64_t phase = cfg_.ihave_phase.count() % beat;
  const std::int64_t since = at.count() - phase;
  return microseconds{phase + (since <= 0 ? 0 : (since + beat - 1) / beat * beat)};
}

void plumtree::flush_lazy(microseconds now) {
  lazy_flush_at_.reset();
  for (auto& [to, queue] : lazy_queue_) {
    if (queue.empty() || !neighbours_.contains(to)) continue;
    plumtree_out::ihave out{to, {}, {}};
    out.refs.reserve(queue.size());
    out.held.reserve(queue.size());
    for (const queued_ref& q : queue) {
      out.refs.push_back(q.ref);
      out.held.push_back(now - q.since);
    }
    outputs_.push_back(std::move(out));
  }
  lazy_queue_.clear();
}

std::optional<microseconds> plumtree::next_deadline() const {
  std::optional<microseconds> next = lazy_flush_at_;
  if (!due_.empty() && (!next || due_.begin()->first < *next)) next = due_.begin()->first;
  return next;
}

void plumtree::set_deadline(missing& m, const event_ref& ref, microseconds at) {
  if (m.due == due_.end()) {
    m.due = due_.emplace(at, ref);
    return;
  }
  auto node = due_.extract(m.due);  // moved, not freed and allocated again
  node.key() = at;
  m.due = due_.insert(std::move(node));
}

void plumtree::forget_missing(std::unordered_map<event_ref, missing>::iterator it) {
  due_.erase(it->second.due);
  missing_.erase(it);
}

}  // namespace peerchat
