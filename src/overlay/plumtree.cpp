#include "overlay/plumtree.hpp"

#include <algorithm>

namespace peerchat {

void plumtree::neighbor_up(const peer_id& peer) {
  lazy_.erase(peer);
  eager_.insert(peer);  // every new link starts eager; duplicates prune it into shape
}

void plumtree::neighbor_down(const peer_id& peer) {
  eager_.erase(peer);
  lazy_.erase(peer);
  lazy_queue_.erase(peer);
  for (auto& [ref, m] : missing_) std::erase(m.announcers, peer);
}

void plumtree::broadcast(const event_ref& ref, const std::optional<peer_id>& from, microseconds now) {
  missing_.erase(ref);
  for (const peer_id& p : eager_)
    if (p != from) outputs_.push_back(plumtree_out::push{p, ref});
  for (const peer_id& p : lazy_) {
    if (p == from) continue;
    auto& queue = lazy_queue_[p];
    if (queue.size() < cfg_.max_lazy_queue) queue.push_back(ref);
  }
  if (!lazy_queue_.empty() && !lazy_flush_at_) lazy_flush_at_ = now + cfg_.ihave_delay;
}

void plumtree::duplicate(const peer_id& from) {
  if (!eager_.erase(from)) return;  // already lazy: it was told once, no need to repeat
  lazy_.insert(from);
  outputs_.push_back(plumtree_out::prune{from});
}

void plumtree::on_prune(const peer_id& from) {
  if (eager_.erase(from)) lazy_.insert(from);
}

void plumtree::on_ihave(const peer_id& from, const std::vector<event_ref>& refs, microseconds now) {
  if (!eager_.contains(from) && !lazy_.contains(from)) return;
  for (const event_ref& ref : refs) {
    auto it = missing_.find(ref);
    if (it == missing_.end()) {
      if (missing_.size() >= cfg_.max_missing) continue;  // anti-entropy will fill it later
      it = missing_.emplace(ref, missing{{}, now + cfg_.graft_timeout}).first;
    }
    auto& announcers = it->second.announcers;
    if (announcers.size() < 8 && std::find(announcers.begin(), announcers.end(), from) == announcers.end())
      announcers.push_back(from);
  }
}

void plumtree::on_graft(const peer_id& from, const std::vector<event_ref>& refs) {
  if (!eager_.contains(from) && !lazy_.contains(from)) return;
  lazy_.erase(from);
  eager_.insert(from);
  for (const event_ref& ref : refs) outputs_.push_back(plumtree_out::push{from, ref});
}

void plumtree::on_tick(microseconds now) {
  if (lazy_flush_at_ && now >= *lazy_flush_at_) flush_lazy();
  // One graft frame per announcer, however many refs it is asked for.
  std::unordered_map<peer_id, std::vector<event_ref>> grafts;
  for (auto it = missing_.begin(); it != missing_.end();) {
    missing& m = it->second;
    if (now < m.deadline) {
      ++it;
      continue;
    }
    if (m.announcers.empty()) {
      it = missing_.erase(it);  // nobody left to ask; anti-entropy is the last resort
      continue;
    }
    const peer_id announcer = m.announcers.front();
    m.announcers.pop_front();
    grafts[announcer].push_back(it->first);
    m.deadline = now + cfg_.graft_retry;
    ++it;
  }
  for (auto& [to, refs] : grafts) {
    lazy_.erase(to);
    eager_.insert(to);
    outputs_.push_back(plumtree_out::graft{to, std::move(refs)});
  }
}

void plumtree::flush_lazy() {
  lazy_flush_at_.reset();
  for (auto& [to, refs] : lazy_queue_)
    if (!refs.empty() && lazy_.contains(to)) outputs_.push_back(plumtree_out::ihave{to, std::move(refs)});
  lazy_queue_.clear();
}

std::optional<microseconds> plumtree::next_deadline() const {
  std::optional<microseconds> next = lazy_flush_at_;
  for (const auto& [ref, m] : missing_)
    if (!next || m.deadline < *next) next = m.deadline;
  return next;
}

}  // namespace peerchat
