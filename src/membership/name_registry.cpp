#include "membership/name_registry.hpp"

#include <algorithm>

namespace peerchat {

std::vector<peer_id> name_registry::observe(const peer_id& id, const std::string& name) {
  auto it = keys_by_name_.find(name);
  if (it == keys_by_name_.end()) {
    if (keys_by_name_.size() >= max_names_ && !order_.empty()) {
      keys_by_name_.erase(order_.front());
      order_.pop_front();
    }
    keys_by_name_[name].push_back(id);
    order_.push_back(name);
    return {};
  }
  std::vector<peer_id>& keys = it->second;
  if (std::find(keys.begin(), keys.end(), id) != keys.end()) return {};
  std::vector<peer_id> others = keys;
  if (keys.size() >= max_keys_per_name) keys.erase(keys.begin());
  keys.push_back(id);
  return others;
}

std::vector<std::string> name_registry::names_of(const peer_id& id) const {
  std::vector<std::string> out;
  for (const std::string& name : order_) {
    const auto& keys = keys_by_name_.at(name);
    if (std::find(keys.begin(), keys.end(), id) != keys.end()) out.push_back(name);
  }
  return out;
}

}  // namespace peerchat
