// Token buckets: bursts allowed, floods not. A bucket holds up to `burst` tokens and gains
// `per_second` of them each second; each admitted thing takes one. `rate_limiter` keeps one
// bucket per key (a member, an address) in a bounded table. Sans-IO: time is passed in.
#pragma once

#include <algorithm>
#include <cstddef>
#include <unordered_map>

#include "core/clock.hpp"

namespace peerchat {

struct rate {
  double per_second = 0;  // 0: unlimited
  double burst = 1;
};

class token_bucket {
public:
  token_bucket() = default;
  token_bucket(rate r, microseconds now) : rate_(r), tokens_(r.burst), at_(now) {}

  bool take(microseconds now) {
    if (rate_.per_second <= 0) return true;
    const double elapsed = std::chrono::duration<double>(now - at_).count();
    tokens_ = std::min(rate_.burst, tokens_ + std::max(0.0, elapsed) * rate_.per_second);
    at_ = now;
    if (tokens_ < 1) return false;
    tokens_ -= 1;
    return true;
  }

private:
  rate rate_;
  double tokens_ = 0;
  microseconds at_{0};
};

template <class Key, class Hash = std::hash<Key>>
class rate_limiter {
public:
  // At most `max_keys` buckets; when full, the table starts over: a key forgotten that way
  // gets a fresh burst, the worst case being `max_keys` times the rate, never unbounded memory.
  rate_limiter(rate r, std::size_t max_keys) : rate_(r), max_keys_(max_keys) {}

  bool take(const Key& key, microseconds now) {
    if (rate_.per_second <= 0) return true;
    auto it = buckets_.find(key);
    if (it == buckets_.end()) {
      if (buckets_.size() >= max_keys_) buckets_.clear();
      it = buckets_.emplace(key, token_bucket(rate_, now)).first;
    }
    return it->second.take(now);
  }

private:
  rate rate_;
  std::size_t max_keys_;
  std::unordered_map<Key, token_bucket, Hash> buckets_;
};

}  // namespace peerchat
