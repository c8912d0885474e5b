// Names and keys: /whois, and the warning when a name turns up with a second key. Names are
// free for anyone to take; the key (shown as a fingerprint) is what identifies a member.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "crypto/identity.hpp"
#include "node/room.hpp"

namespace peerchat {

namespace {

// A query of hex digits this long or longer may be an id prefix: 4 digits are 16 bits,
// enough to pick one member in any room a person can keep track of.
constexpr std::size_t min_id_prefix = 4;

bool is_hex_prefix(std::string_view s) {
  return s.size() >= min_id_prefix && s.size() <= 64 &&
         std::all_of(s.begin(), s.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

void room::note_name(const peer_id& id, const std::string& name) {
  const std::vector<peer_id> others = names_.observe(id, name);
  if (others.empty()) return;
  std::string before;
  for (const peer_id& other : others) before += (before.empty() ? "" : ", ") + other.short_hex();
  const member* m = members_.find(id);
  ui_event::warning w{"name-collision",
                      fmt::format("the name '{}' was seen with key {} and is now used by key {}: "
                                  "not the same member; compare fingerprints with /whois",
                                  name, before, id.short_hex()),
                      name, m ? info_of(*m) : peer_info{id, name, {}}, others};
  emit(std::move(w));
}

void room::whois(std::string_view query) {
  std::vector<const member*> found;
  const std::string prefix = lower(query);
  for (const member* m : members_.all())
    if (m->name == query || (is_hex_prefix(query) && m->id.hex().starts_with(prefix)))
      found.push_back(m);
  if (found.empty())
    return emit(ui_event::error{fmt::format("no member is called '{}' or has an id starting with it",
                                            query.substr(0, 64))});
  if (found.size() > 1) {
    std::string which;
    for (const member* m : found) which += fmt::format(" {}[{}]", m->name, m->id.short_hex());
    return emit(ui_event::error{fmt::format("'{}' is ambiguous ({} members:{}): use /whois ID",
                                            query.substr(0, 64), found.size(), which)});
  }
  const member& m = *found.front();
  emit(ui_event::whois{{info_of(m), m.joined_at, m.state}, fingerprint(m.id), names_.names_of(m.id),
                       link_by_peer_.contains(m.id), m.id == id_.id()});
}

}  // namespace peerchat
