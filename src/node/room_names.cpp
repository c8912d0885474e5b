// Names and keys: /whois, and the warning when a name turns up with a second key. Names are
// free for anyone to take; the key (shown as a fingerprint) is what identifies a member.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "crypto/identity.hpp"
#include "node/room.hpp"

namespace peerchat {

namespace {

bool all_hex(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
}

}  // namespace

// Two digits are what a person reads off a short list (/nodes); a prefix several members
// share, or one that is also a name, is answered with the choices rather than a guess.
bool is_id_prefix(std::string_view s) { return s.size() >= min_id_prefix && s.size() <= 64 && all_hex(s); }

bool id_starts_with(const peer_id& id, std::string_view prefix) {
  const std::string hex = id.hex();
  return prefix.size() <= hex.size() &&
         std::equal(prefix.begin(), prefix.end(), hex.begin(), [](char a, char b) {
           return std::tolower(static_cast<unsigned char>(a)) == b;
         });
}

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
  for (const member* m : members_.all())
    if (m->name == query || (is_id_prefix(query) && id_starts_with(m->id, query))) found.push_back(m);
  if (found.empty())
    return emit(ui_event::error{fmt::format("no member is called '{}' or has an id starting with it{}",
                                            query.substr(0, 64),
                                            query.size() < min_id_prefix && all_hex(query)
                                                ? fmt::format(" (an id is matched from {} hex digits on)", min_id_prefix)
                                                : "")});
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
