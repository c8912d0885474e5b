// Which chunk of one download to ask which holder for, and when to give up waiting: the
// download's scheduler, sans-IO. Each holder gets a window of requests in flight; chunks are
// asked for in order (so the file grows from the front and hashes on the way), each from a
// holder that has it, preferring the one with the fewest requests out. A request that is not
// answered in time goes back to the pool; a holder that serves a chunk with a bad hash is
// noted and, after a few, no longer asked.
#pragma once

#include <cstdint>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/clock.hpp"
#include "core/ids.hpp"

namespace peerchat::files {

class chunk_schedule {
public:
  // Chunks asked of one holder and not yet on disk: 2 MiB. It bounds the chunks queued for the
  // disk as well as those on the wire, and so how long a chat line can wait behind them.
  static constexpr std::uint32_t window = 8;
  static constexpr microseconds request_timeout{10'000'000};
  static constexpr std::uint32_t max_bad_chunks = 3;  // then the holder is no longer asked

  // `held`: chunks already on disk (from a .part being resumed).
  explicit chunk_schedule(std::vector<bool> held);

  // A holder and what it has (an empty bitmap: everything). Replaces what was known of it.
  void add_holder(const peer_id& holder, std::vector<bool> bitmap);
  void drop_holder(const peer_id& holder);  // it refused, or left: its requests go back
  std::size_t usable_holders() const;

  // Requests to send now, one list per holder.
  std::vector<std::pair<peer_id, std::vector<std::uint32_t>>> next_requests(microseconds now);
  // Chunk `index` came from `from`: true if we asked `from` for it (then it is being written).
  bool arrived(std::uint32_t index, const peer_id& from);
  void written(std::uint32_t index);                          // verified and on disk
  void failed(std::uint32_t index, const peer_id& from, bool bad_hash);  // ask again
  // Requests past their timeout go back to the pool (the holder gets a smaller share).
  void expire(microseconds now);

  bool complete() const { return held_count_ == state_.size(); }
  std::uint32_t held() const { return held_count_; }
  std::uint32_t chunks() const { return static_cast<std::uint32_t>(state_.size()); }
  bool holds(std::uint32_t index) const { return state_[index] == state::held; }
  std::uint32_t bad_chunks_from(const peer_id& holder) const;

private:
  enum class state : std::uint8_t { missing, requested, writing, held };
  struct holder_state {
    std::vector<bool> bitmap;  // empty: has everything
    std::uint32_t reach = 0;   // one past the last chunk it has
    std::uint32_t in_flight = 0;
    std::uint32_t bad = 0;
    bool has(std::uint32_t i) const { return bitmap.empty() || (i < bitmap.size() && bitmap[i]); }
  };
  struct request { peer_id holder; microseconds deadline; };

  void release(std::uint32_t index);         // back to missing, its window slot freed
  void release_window(std::uint32_t index);  // only its slot in its holder's window

  std::vector<state> state_;
  std::unordered_map<std::uint32_t, request> requests_;  // by chunk: in flight or writing
  std::unordered_map<peer_id, holder_state> holders_;
  std::uint32_t held_count_ = 0;
  std::uint32_t cursor_ = 0;  // no missing chunk before this one
};

}  // namespace peerchat::files
