#include "overlay/catch_up.hpp"

#include <algorithm>

namespace peerchat {

void catch_up::want(const peer_id& author, seq_no after, seq_no upto) {
  if (upto <= after) return;
  auto [it, fresh] = authors_.try_emplace(author, author_range{after.value + 1, after.value, upto.value});
  if (!fresh) it->second.upto = std::max(it->second.upto, upto.value);
}

bool catch_up::expects(const peer_id& author, seq_no seq) const {
  auto it = authors_.find(author);
  return it != authors_.end() && seq.value >= it->second.next && seq.value <= it->second.upto;
}

void catch_up::received(const peer_id& author, seq_no seq) {
  auto it = authors_.find(author);
  if (it == authors_.end() || seq.value < it->second.next) return;
  ++received_total_;
  // Compared before adding one: a hostile vector may name seq 2^64-1, where next would wrap to
  // 0 and keep the range open for good (found by fuzz/catch_up_fuzz).
  if (seq.value >= it->second.upto) {
    authors_.erase(it);
    return;
  }
  it->second.next = seq.value + 1;
  it->second.claimed = std::max(it->second.claimed, seq.value);
}

std::vector<catch_up::range> catch_up::next_want() {
  std::vector<range> out;
  if (in_flight_ >= wants_in_flight_) return out;
  std::uint64_t quota = events_per_want_;
  for (auto& [author, r] : authors_) {
    if (quota == 0) break;
    if (r.claimed >= r.upto) continue;
    const std::uint64_t n = std::min(quota, r.upto - r.claimed);
    out.push_back({author, seq_no{r.claimed}, seq_no{r.claimed + n}});
    r.claimed += n;
    quota -= n;
  }
  if (!out.empty()) ++in_flight_;
  return out;
}

std::uint64_t catch_up::answered() {
  if (in_flight_ > 0) --in_flight_;
  if (in_flight_ > 0) return 0;
  std::uint64_t given_up = 0;
  for (auto it = authors_.begin(); it != authors_.end();) {
    auto& r = it->second;
    if (r.next > r.claimed) {
      ++it;
      continue;
    }
    given_up += r.claimed - r.next + 1;  // in this order: claimed + 1 wraps at 2^64-1
    if (r.claimed >= r.upto) {
      it = authors_.erase(it);
      continue;
    }
    r.next = r.claimed + 1;
    ++it;
  }
  return given_up;
}

void catch_up::source_lost() {
  in_flight_ = 0;
  for (auto& [author, r] : authors_) r.claimed = r.next - 1;
}

std::optional<seq_no> catch_up::held_prefix(const peer_id& author) const {
  auto it = authors_.find(author);
  if (it == authors_.end()) return std::nullopt;
  return seq_no{it->second.next - 1};
}

}  // namespace peerchat
