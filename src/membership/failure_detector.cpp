#include "membership/failure_detector.hpp"

#include <algorithm>
#include <cmath>

#include "membership/member_table.hpp"

namespace peerchat {

failure_detector::failure_detector(const swim_config& cfg, const peer_id& self, std::uint64_t seed)
    : cfg_(cfg), self_(self), rng_(seed) {}

microseconds failure_detector::suspicion_timeout(std::size_t room_size) const {
  const double scale = std::max(1.0, std::log10(static_cast<double>(std::max<std::size_t>(room_size, 1))));
  return microseconds{static_cast<std::int64_t>(cfg_.suspicion_mult * scale *
                                                static_cast<double>(cfg_.probe_interval.count()))};
}

void failure_detector::on_tick(microseconds now, const member_table& members) {
  // A tick far later than scheduled means this process was stopped or starved, not that
  // everybody else died: give in-flight probes and suspicions the time we lost.
  if (last_tick_.count() != 0 && now - last_tick_ > 2 * cfg_.probe_interval)
    forgive_stall(now - last_tick_);
  last_tick_ = now;

  for (auto it = probes_.begin(); it != probes_.end();) {
    const peer_id target = it->first;
    probe& p = it->second;
    const member* m = members.find(target);
    if (!m || !is_live(m->state)) {
      it = probes_.erase(it);
      continue;
    }
    if (now >= p.final_deadline) {
      outputs_.push_back(swim::suspect{target});
      it = probes_.erase(it);
      continue;
    }
    if (!p.indirect_sent && now >= p.direct_deadline) {
      p.indirect_sent = true;
      std::vector<peer_id> helpers;
      for (const member* h : members.live_others())
        if (h->id != target && h->state == member_state::alive) helpers.push_back(h->id);
      std::shuffle(helpers.begin(), helpers.end(), rng_);
      helpers.resize(std::min(helpers.size(), cfg_.indirect_probes));
      for (const peer_id& helper : helpers) outputs_.push_back(swim::ping_req{helper, target, p.nonce});
    }
    ++it;
  }

  for (auto it = suspicions_.begin(); it != suspicions_.end();) {
    if (now >= it->second.deadline) {
      outputs_.push_back(swim::declare_failed{it->first, it->second.incarnation});
      probes_.erase(it->first);
      it = suspicions_.erase(it);
    } else {
      ++it;
    }
  }

  if (now >= next_probe_) {
    next_probe_ = now + cfg_.probe_interval;
    if (auto target = next_target(members); target && !probes_.contains(*target))
      start_probe(*target, now);
  }
}

std::optional<peer_id> failure_detector::next_target(const member_table& members) {
  for (int pass = 0; pass < 2; ++pass) {
    while (round_pos_ < round_.size()) {
      const peer_id candidate = round_[round_pos_++];
      if (const member* m = members.find(candidate); m && is_live(m->state)) return candidate;
    }
    // A new pass: everyone live, in a fresh random order (members that joined meanwhile too).
    round_.clear();
    round_pos_ = 0;
    for (const member* m : members.live_others()) round_.push_back(m->id);
    std::shuffle(round_.begin(), round_.end(), rng_);
  }
  return std::nullopt;
}

void failure_detector::start_probe(const peer_id& target, microseconds now) {
  const std::uint64_t nonce = rng_();
  probes_[target] = probe{nonce, now + cfg_.probe_timeout,
                          now + std::max(cfg_.probe_interval, 2 * cfg_.probe_timeout)};
  outputs_.push_back(swim::ping{target, nonce});
}

void failure_detector::probe_now(const peer_id& peer, microseconds now) {
  if (peer == self_ || probes_.contains(peer)) return;
  start_probe(peer, now);
}

bool failure_detector::awaits(const peer_id& from, std::uint64_t nonce) const {
  auto it = probes_.find(from);
  return it != probes_.end() && it->second.nonce == nonce;
}

void failure_detector::on_ack(const peer_id& from, std::uint64_t nonce) {
  if (auto it = probes_.find(from); it != probes_.end() && it->second.nonce == nonce)
    probes_.erase(it);
}

void failure_detector::suspected(const peer_id& peer, std::uint64_t incarnation,
                                 std::size_t room_size, microseconds now) {
  if (peer == self_) return;
  auto [it, fresh] = suspicions_.try_emplace(peer, suspicion{incarnation, now + suspicion_timeout(room_size)});
  if (!fresh && it->second.incarnation < incarnation)
    it->second = suspicion{incarnation, now + suspicion_timeout(room_size)};
}

void failure_detector::joined(const peer_id& peer) {
  if (peer == self_ || round_pos_ >= round_.size()) return;  // the next round lists it anyway
  // O(1): appended, then swapped with a random member still to come. (A member back from a
  // failure may already be listed; probed twice in a round, no harm.)
  round_.push_back(peer);
  const std::size_t slots = round_.size() - round_pos_;
  std::swap(round_.back(), round_[round_pos_ + rng_() % slots]);
}

void failure_detector::cleared(const peer_id& peer) {
  probes_.erase(peer);
  suspicions_.erase(peer);
}

void failure_detector::forgive_stall(microseconds stalled_for) {
  for (auto& [peer, p] : probes_) {
    p.direct_deadline += stalled_for;
    p.final_deadline += stalled_for;
  }
  for (auto& [peer, s] : suspicions_) s.deadline += stalled_for;
  next_probe_ += stalled_for;
}

microseconds failure_detector::next_deadline() const {
  microseconds next = next_probe_;
  for (const auto& [peer, p] : probes_)
    next = std::min(next, p.indirect_sent ? p.final_deadline : p.direct_deadline);
  for (const auto& [peer, s] : suspicions_) next = std::min(next, s.deadline);
  return next;
}

}  // namespace peerchat
