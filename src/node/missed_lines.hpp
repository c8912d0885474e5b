// The lines a member missed while it was away (or, for a newcomer, the room's latest lines),
// gathered from what catch-up fetches so they can be shown when it is done, rather than only
// counted. Keeps the newest `shown` lines by the room's order (Lamport time, then author) and
// counts the rest: bounded however much history arrives. Owned by the room; not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <tuple>
#include <vector>

#include "node/events.hpp"

namespace peerchat {

class missed_lines {
public:
  explicit missed_lines(std::size_t shown) : shown_(shown) {}

  // Counts one line; `make()` builds its message only if it is among the newest so far, so
  // a catch-up of 100,000 lines builds few more than `shown` of them.
  template <class MakeMessage>
  void add(lamport_time lamport, const peer_id& author, seq_no seq, MakeMessage&& make) {
    ++total_;
    if (shown_ == 0) return;
    const key k{lamport.value, author, seq.value};
    if (newest_.size() == shown_) {
      if (!(newest_.begin()->first < k)) return;  // older than every line kept
      newest_.erase(newest_.begin());
    }
    ui_event::message line = make();
    line.missed = true;
    newest_.emplace(k, std::move(line));
  }

  void add(ui_event::message line) {
    add(line.lamport, line.from.id, line.seq, [&] { return std::move(line); });
  }

  std::uint64_t total() const { return total_; }

  // The kept lines, oldest first; the collector starts empty again.
  std::vector<ui_event::message> take() {
    std::vector<ui_event::message> out;
    out.reserve(newest_.size());
    for (auto& [k, line] : newest_) out.push_back(std::move(line));
    newest_.clear();
    total_ = 0;
    return out;
  }

private:
  using key = std::tuple<std::uint64_t, peer_id, std::uint64_t>;
  std::size_t shown_;
  std::uint64_t total_ = 0;
  std::map<key, ui_event::message> newest_;
};

}  // namespace peerchat
