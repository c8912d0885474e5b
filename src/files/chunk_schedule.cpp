#include "files/chunk_schedule.hpp"

#include <algorithm>

namespace peerchat::files {

chunk_schedule::chunk_schedule(std::vector<bool> held) {
  state_.reserve(held.size());
  for (bool h : held) {
    state_.push_back(h ? state::held : state::missing);
    held_count_ += h;
  }
}

void chunk_schedule::add_holder(const peer_id& id, std::vector<bool> bitmap) {
  holder_state& h = holders_[id];
  h.bitmap = std::move(bitmap);
  h.reach = static_cast<std::uint32_t>(state_.size());
  if (!h.bitmap.empty()) {
    h.reach = static_cast<std::uint32_t>(std::min(h.bitmap.size(), state_.size()));
    while (h.reach > 0 && !h.bitmap[h.reach - 1]) --h.reach;
  }
}

void chunk_schedule::drop_holder(const peer_id& id) {
  std::vector<std::uint32_t> lost;
  for (const auto& [index, r] : requests_)
    if (r.holder == id && state_[index] == state::requested) lost.push_back(index);
  for (auto index : lost) release(index);
  holders_.erase(id);
}

std::size_t chunk_schedule::usable_holders() const {
  return static_cast<std::size_t>(std::count_if(holders_.begin(), holders_.end(), [](const auto& h) {
    return h.second.bad < max_bad_chunks;
  }));
}

std::vector<std::pair<peer_id, std::vector<std::uint32_t>>> chunk_schedule::next_requests(microseconds now) {
  std::unordered_map<peer_id, std::vector<std::uint32_t>> asks;
  while (cursor_ < state_.size() && state_[cursor_] == state::held) ++cursor_;
  for (std::uint32_t i = cursor_; i < state_.size(); ++i) {
    if (state_[i] != state::missing) continue;
    holder_state* best = nullptr;
    const peer_id* best_id = nullptr;
    for (auto& [id, h] : holders_) {
      if (h.bad >= max_bad_chunks || h.in_flight >= window || !h.has(i)) continue;
      if (!best || h.in_flight < best->in_flight) best = &h, best_id = &id;
    }
    if (!best) {
      // Nobody free has this one. Look further on only while a holder with room has chunks
      // there: other downloaders, with room but only the chunks behind ours, made every call
      // scan to the end of the file (quadratic in its size).
      const bool further = std::any_of(holders_.begin(), holders_.end(), [i](const auto& h) {
        return h.second.bad < max_bad_chunks && h.second.in_flight < window && h.second.reach > i + 1;
      });
      if (!further) break;
      continue;
    }
    ++best->in_flight;
    state_[i] = state::requested;
    requests_[i] = request{*best_id, now + request_timeout};
    asks[*best_id].push_back(i);
  }
  return {asks.begin(), asks.end()};
}

bool chunk_schedule::arrived(std::uint32_t index, const peer_id& from) {
  if (index >= state_.size() || state_[index] != state::requested) return false;
  auto r = requests_.find(index);
  if (r == requests_.end() || r->second.holder != from) return false;
  state_[index] = state::writing;  // still counts against the holder's window until written:
  return true;                       // so chunks waiting for the disk are bounded too
}

void chunk_schedule::written(std::uint32_t index) {
  if (index >= state_.size() || state_[index] == state::held) return;
  release_window(index);
  requests_.erase(index);
  state_[index] = state::held;
  ++held_count_;
}

void chunk_schedule::failed(std::uint32_t index, const peer_id& from, bool bad_hash) {
  if (index >= state_.size() || state_[index] == state::held) return;
  if (bad_hash)
    if (auto h = holders_.find(from); h != holders_.end()) ++h->second.bad;
  release_window(index);
  requests_.erase(index);
  state_[index] = state::missing;
  cursor_ = std::min(cursor_, index);
}

void chunk_schedule::expire(microseconds now) {
  std::vector<std::uint32_t> late;
  for (const auto& [index, r] : requests_)
    if (state_[index] == state::requested && now >= r.deadline) late.push_back(index);
  for (auto index : late) release(index);
}

void chunk_schedule::release_window(std::uint32_t index) {
  auto r = requests_.find(index);
  if (r == requests_.end()) return;
  if (auto h = holders_.find(r->second.holder); h != holders_.end() && h->second.in_flight > 0)
    --h->second.in_flight;
}

void chunk_schedule::release(std::uint32_t index) {
  auto r = requests_.find(index);
  if (r == requests_.end()) return;
  release_window(index);
  requests_.erase(r);
  state_[index] = state::missing;
  cursor_ = std::min(cursor_, index);
}

std::uint32_t chunk_schedule::bad_chunks_from(const peer_id& id) const {
  auto h = holders_.find(id);
  return h == holders_.end() ? 0 : h->second.bad;
}

}  // namespace peerchat::files
