#include "overlay/fifo_delivery.hpp"

#include <algorithm>

namespace peerchat {

bool fifo_delivery::author_state::is_skipped(std::uint64_t seq) const {
  auto it = skipped.upper_bound(seq);
  return it != skipped.begin() && seq <= std::prev(it)->second;
}

bool fifo_delivery::seen(const peer_id& author, seq_no seq) const {
  auto it = authors_.find(author);
  if (it == authors_.end()) return false;
  const author_state& a = it->second;
  return (seq <= a.contiguous && !a.is_skipped(seq.value)) || a.held.contains(seq.value);
}

std::vector<wire::verified_event> fifo_delivery::offer(wire::verified_event ev, microseconds now) {
  std::vector<wire::verified_event> out;
  auto it = authors_.find(ev.author);
  if (it == authors_.end()) {
    if (authors_.size() >= limits_.max_authors) return out;
    // Without a baseline the author is new since we joined: its events start at seq 1, and
    // a later one that arrives first waits for the gap like any other.
    it = authors_.emplace(ev.author, author_state{seq_no{0}, {}, {}, {}}).first;
  }
  author_state& a = it->second;
  if (ev.seq <= a.contiguous) {
    if (take_skipped(a, ev.seq.value)) out.push_back(std::move(ev));  // late, but not lost
    return out;
  }
  if (a.held.contains(ev.seq.value)) return out;
  if (ev.seq == a.contiguous.next()) {
    a.contiguous = ev.seq;
    out.push_back(std::move(ev));
    drain(a, out);
    return out;
  }
  const std::uint64_t key = ev.seq.value;
  a.held.emplace(key, waiting{std::move(ev), now});
  a.arrivals.push_back(key);
  ++held_total_;
  if (a.held.size() > limits_.max_held) {
    // Too far ahead to wait for: give up the oldest gap now rather than grow. The newcomer is
    // held first so that the oldest gap may be the one just below it.
    skip_to(a, seq_no{a.held.begin()->first - 1}, out);
  }
  return out;
}

void fifo_delivery::drain(author_state& a, std::vector<wire::verified_event>& out) {
  for (auto it = a.held.begin(); it != a.held.end() && it->first == a.contiguous.value + 1;
       it = a.held.erase(it)) {
    --held_total_;
    a.contiguous = a.contiguous.next();
    out.push_back(std::move(it->second.event));
  }
  while (!a.arrivals.empty() && a.arrivals.front() <= a.contiguous.value) a.arrivals.pop_front();
}

void fifo_delivery::skip_to(author_state& a, seq_no last_skipped, std::vector<wire::verified_event>& out) {
  if (last_skipped > a.contiguous) {
    a.skipped.emplace(a.contiguous.value + 1, last_skipped.value);
    forget_oldest_ranges(a);
    a.contiguous = last_skipped;
  }
  drain(a, out);
}

bool fifo_delivery::take_skipped(author_state& a, std::uint64_t seq) {
  if (!a.is_skipped(seq)) return false;
  const auto it = std::prev(a.skipped.upper_bound(seq));
  const auto [first, last] = *it;
  // Cut the range in two around seq: at most one more entry, so the bound still holds after.
  if (first == seq) a.skipped.erase(it);
  else it->second = seq - 1;
  if (seq < last) a.skipped.emplace(seq + 1, last);
  forget_oldest_ranges(a);
  return true;
}

void fifo_delivery::forget_oldest_ranges(author_state& a) {
  while (a.skipped.size() > limits_.max_skipped_ranges) a.skipped.erase(a.skipped.begin());  // truly gone
}

std::vector<wire::verified_event> fifo_delivery::expire(microseconds now) {
  std::vector<wire::verified_event> out;
  if (held_total_ == 0) return out;
  for (auto& [author, a] : authors_) {
    // While any held event has waited its time, give up the gap before the first one: it is
    // what everything behind it waits on.
    while (!a.held.empty() && a.oldest_since() + limits_.reorder_wait <= now)
      skip_to(a, seq_no{a.held.begin()->first - 1}, out);
  }
  return out;
}

std::optional<microseconds> fifo_delivery::next_deadline() const {
  std::optional<microseconds> earliest;
  if (held_total_ == 0) return earliest;
  for (const auto& [author, a] : authors_)
    if (!a.held.empty() && (!earliest || a.oldest_since() + limits_.reorder_wait < *earliest))
      earliest = a.oldest_since() + limits_.reorder_wait;
  return earliest;
}

void fifo_delivery::set_baseline(const peer_id& author, seq_no delivered) {
  auto it = authors_.find(author);
  if (it == authors_.end()) {
    if (authors_.size() < limits_.max_authors) authors_.emplace(author, author_state{delivered, {}, {}, {}});
    return;
  }
  author_state& a = it->second;
  if (delivered <= a.contiguous || !a.held.empty()) return;
  a.contiguous = delivered;
  a.skipped.clear();  // all of it at or below the old cursor: history now, not ours to deliver
}

seq_no fifo_delivery::contiguous(const peer_id& author) const {
  auto it = authors_.find(author);
  return it == authors_.end() ? seq_no{} : it->second.contiguous;
}

seq_no fifo_delivery::complete_prefix(const peer_id& author) const {
  auto it = authors_.find(author);
  if (it == authors_.end()) return seq_no{};
  return it->second.complete_prefix();
}

std::vector<seq_no> fifo_delivery::gaps(const peer_id& author, std::size_t max) const {
  std::vector<seq_no> out;
  auto it = authors_.find(author);
  if (it == authors_.end()) return out;
  const author_state& a = it->second;
  for (const auto& [first, last] : a.skipped)
    for (std::uint64_t s = first; s <= last; ++s) {
      if (out.size() >= max) return out;
      out.push_back(seq_no{s});
    }
  if (a.held.empty()) return out;
  const std::uint64_t last = a.held.rbegin()->first;
  for (std::uint64_t s = a.contiguous.value + 1; s < last && out.size() < max; ++s)
    if (!a.held.contains(s)) out.push_back(seq_no{s});
  return out;
}

std::vector<seq_no> fifo_delivery::gap_below(const peer_id& author, seq_no held, std::size_t max) const {
  std::vector<seq_no> out;
  auto it = authors_.find(author);
  if (it == authors_.end() || held <= it->second.contiguous) return out;
  const author_state& a = it->second;
  auto below = a.held.lower_bound(held.value);
  const std::uint64_t first = below == a.held.begin() ? a.contiguous.value + 1 : std::prev(below)->first + 1;
  for (std::uint64_t s = first; s < held.value && out.size() < max; ++s) out.push_back(seq_no{s});
  return out;
}

std::vector<std::pair<peer_id, seq_no>> fifo_delivery::version_vector() const {
  std::vector<std::pair<peer_id, seq_no>> out;
  out.reserve(authors_.size());
  for (const auto& [author, a] : authors_)
    out.emplace_back(author, a.complete_prefix());
  return out;
}

}  // namespace peerchat
