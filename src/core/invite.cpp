#include "core/invite.hpp"

#include "core/address.hpp"

namespace peerchat {
namespace {

bool unreserved(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string percent_encode(std::string_view raw) {
  static constexpr char digits[] = "0123456789ABCDEF";
  std::string out;
  for (char c : raw) {
    if (unreserved(c)) {
      out.push_back(c);
      continue;
    }
    const auto byte = static_cast<unsigned char>(c);
    out += {'%', digits[byte >> 4], digits[byte & 0xf]};
  }
  return out;
}

std::optional<std::string> percent_decode(std::string_view encoded) {
  std::string out;
  for (std::size_t i = 0; i < encoded.size(); ++i) {
    if (encoded[i] != '%') {
      out.push_back(encoded[i]);
      continue;
    }
    if (i + 2 >= encoded.size()) return std::nullopt;  // '%' needs two hex digits after it
    const int high = hex_value(encoded[i + 1]), low = hex_value(encoded[i + 2]);
    if (high < 0 || low < 0) return std::nullopt;
    out.push_back(static_cast<char>(high * 16 + low));
    i += 2;
  }
  return out;
}

std::string format_invite(const invite& inv) {
  std::string out(invite_scheme);
  for (std::size_t i = 0; i < inv.addrs.size(); ++i) out += (i ? "," : "") + inv.addrs[i];
  out += "/" + percent_encode(inv.room);
  if (!inv.secret.empty()) out += "#" + percent_encode(inv.secret);
  return out;
}

bool is_invite(std::string_view text) { return text.starts_with(invite_scheme); }

std::optional<invite> parse_invite(std::string_view text, std::string& error) {
  const auto fail = [&error](std::string why) -> std::optional<invite> {
    error = "malformed invite: " + std::move(why);
    return std::nullopt;
  };
  if (!is_invite(text)) return fail("it does not start with peerchat://");
  text.remove_prefix(invite_scheme.size());
  const auto slash = text.find('/');
  if (slash == std::string_view::npos) return fail("no /ROOM after the address");
  std::string_view authority = text.substr(0, slash), rest = text.substr(slash + 1);

  invite out;
  while (!authority.empty() || out.addrs.empty()) {
    const auto comma = authority.find(',');
    const std::string_view addr = authority.substr(0, comma);
    const auto hp = parse_host_port(addr);
    if (!hp || hp->host.empty() || hp->port == 0)
      return fail("'" + std::string(addr.substr(0, 100)) + "' is not HOST:PORT");
    if (out.addrs.size() == max_invite_addrs) return fail("more than 16 addresses");
    out.addrs.emplace_back(addr);
    authority = comma == std::string_view::npos ? std::string_view{} : authority.substr(comma + 1);
    if (comma != std::string_view::npos && authority.empty()) return fail("empty address after ','");
  }

  const auto hash = rest.find('#');
  const auto room = percent_decode(rest.substr(0, hash));
  if (!room) return fail("bad %-escape in the room name");
  if (room->empty()) return fail("no room name");
  out.room = *room;
  if (hash != std::string_view::npos) {
    const auto secret = percent_decode(rest.substr(hash + 1));
    if (!secret) return fail("bad %-escape in the secret");
    if (secret->empty()) return fail("empty secret after '#'");
    out.secret = *secret;
  }
  return out;
}

}  // namespace peerchat
