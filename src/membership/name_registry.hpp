// Which keys each display name has been seen with. Names are not unique and not owned: a
// newcomer may take any name, so a name that appears with a second key is worth a warning
// (an impostor, or two people who happen to share a name); only the key tells them apart.
// Bounded: at most `max_names` names and `max_keys_per_name` keys each, oldest dropped
// first. Sans-IO, single-threaded.
#pragma once

#include <cstddef>
#include <deque>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/ids.hpp"

namespace peerchat {

class name_registry {
public:
  static constexpr std::size_t max_keys_per_name = 16;

  explicit name_registry(std::size_t max_names) : max_names_(max_names) {}

  // Records that `id` goes by `name`. Returns the other keys seen with the name before when
  // this pairing is new, so each collision is reported once; empty otherwise.
  std::vector<peer_id> observe(const peer_id& id, const std::string& name);

  // Every name seen with `id`, in the order first seen.
  std::vector<std::string> names_of(const peer_id& id) const;

private:
  std::size_t max_names_;
  std::unordered_map<std::string, std::vector<peer_id>> keys_by_name_;
  std::deque<std::string> order_;  // names, oldest first, for eviction
};

}  // namespace peerchat
