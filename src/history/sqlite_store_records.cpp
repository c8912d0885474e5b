// Members, peer addresses and settings: small tables of soft state.
#include <algorithm>
#include <limits>

#include "core/error.hpp"
#include "history/sqlite_store.hpp"

namespace peerchat::history {
namespace {

const char* name_of(meta_key key) {
  switch (key) {
    case meta_key::room_name: return "room_name";
    case meta_key::display_name: return "display_name";
    case meta_key::room_closed: return "room_closed";
  }
  return "unknown";
}

std::int64_t as_limit(std::size_t n) {
  return static_cast<std::int64_t>(std::min<std::size_t>(n, std::numeric_limits<std::int64_t>::max()));
}

}  // namespace

std::error_code sqlite_store::save_members(std::span<const wire::pb::Member> members) {
  return sqlite::guarded([&] {
    sqlite::transaction tx(*db_);
    for (const auto& m : members) {
      // A record without a well-formed id cannot be keyed; the room never produces one.
      if (!peer_id::from_bytes(m.id())) continue;
      sqlite::use q(save_member_);
      q.bind_blob(1, m.id())
          .bind_text(2, m.name())
          .bind_text(3, m.addr())
          .bind(4, m.incarnation())
          .bind(5, static_cast<std::int64_t>(m.state()))
          .bind(6, m.joined_at_us())
          .step();
    }
    sqlite::use trim(trim_members_);
    trim.bind(1, as_limit(options_.max_members)).step();
    tx.commit();
  });
}

std::vector<wire::pb::Member> sqlite_store::load_members(std::error_code& ec) {
  return sqlite::guarded<std::vector<wire::pb::Member>>(ec, [&] {
    std::vector<wire::pb::Member> out;
    sqlite::use q(load_members_);
    q.bind(1, as_limit(options_.max_members));
    while (q.step()) {
      wire::pb::Member& m = out.emplace_back();
      m.set_id(std::string(q.column_blob(0)));
      m.set_name(std::string(q.column_text(1)));
      m.set_addr(std::string(q.column_text(2)));
      m.set_incarnation(q.column_uint(3));
      const auto state = q.column_int(4);
      m.set_state(wire::pb::MemberState_IsValid(static_cast<int>(state))
                      ? static_cast<wire::pb::MemberState>(state)
                      : wire::pb::MEMBER_STATE_FAILED);
      m.set_joined_at_us(q.column_uint(5));
    }
    return out;
  });
}

std::error_code sqlite_store::note_peer_address(const peer_id& peer, std::string_view addr,
                                                std::chrono::microseconds seen_at) {
  return sqlite::guarded([&] {
    sqlite::transaction tx(*db_);
    {
      sqlite::use q(save_peer_);
      q.bind_blob(1, peer.as_string_view())
          .bind_text(2, addr)
          .bind(3, static_cast<std::int64_t>(seen_at.count()))
          .step();
    }
    sqlite::use trim(trim_peers_);
    trim.bind(1, as_limit(options_.max_peer_addresses)).step();
    tx.commit();
  });
}

std::vector<peer_address> sqlite_store::recent_peer_addresses(std::size_t k, std::error_code& ec) {
  return sqlite::guarded<std::vector<peer_address>>(ec, [&] {
    std::vector<peer_address> out;
    sqlite::use q(recent_peers_);
    q.bind(1, as_limit(std::min(k, options_.max_peer_addresses)));
    while (q.step())
      if (auto peer = peer_id::from_bytes(q.column_blob(0)))
        out.push_back({*peer, std::string(q.column_text(1)),
                       std::chrono::microseconds{q.column_int(2)}});
    return out;
  });
}

std::error_code sqlite_store::set_meta(meta_key key, std::string_view value) {
  return sqlite::guarded([&] {
    sqlite::use q(set_meta_);
    q.bind_text(1, name_of(key)).bind_text(2, value).step();
  });
}

std::optional<std::string> sqlite_store::meta(meta_key key, std::error_code& ec) {
  return sqlite::guarded<std::optional<std::string>>(ec, [&]() -> std::optional<std::string> {
    sqlite::use q(get_meta_);
    q.bind_text(1, name_of(key));
    if (!q.step()) return std::nullopt;
    return std::string(q.column_text(0));
  });
}

std::error_code sqlite_store::save_direct(const stored_direct& message) {
  return sqlite::guarded([&] {
    sqlite::use q(save_direct_);
    q.bind_blob(1, message.id)
        .bind_blob(2, message.peer.as_string_view())
        .bind(3, std::int64_t{message.outgoing})
        .bind(4, static_cast<std::int64_t>(message.sent_at.count()))
        .bind_text(5, message.text)
        .bind(6, static_cast<std::int64_t>(message.status))
        .step();
  });
}

std::vector<stored_direct> sqlite_store::pending_directs(std::size_t k, std::error_code& ec) {
  return sqlite::guarded<std::vector<stored_direct>>(ec, [&] {
    std::vector<stored_direct> out;
    sqlite::use q(pending_directs_);
    q.bind(1, as_limit(k));
    while (q.step())
      if (auto peer = peer_id::from_bytes(q.column_blob(1)))
        out.push_back({std::string(q.column_blob(0)), *peer, q.column_int(2) != 0,
                       std::chrono::microseconds{q.column_int(3)}, std::string(q.column_text(4)),
                       static_cast<direct_status>(q.column_int(5))});
    return out;
  });
}

std::error_code sqlite_store::save_file(const stored_file& file) {
  return sqlite::guarded([&] {
    sqlite::use q(save_file_);
    q.bind_blob(1, file.id)
        .bind_blob(2, file.from.as_string_view())
        .bind(3, std::int64_t{file.to_room})
        .bind_blob(4, file.to.as_string_view())
        .bind_blob(5, file.offer)
        .bind(6, std::int64_t{file.state})
        .bind_text(7, file.path)
        .bind_blob(8, file.hashes)
        .bind(9, static_cast<std::int64_t>(file.seen.count()))
        .bind(10, std::int64_t{file.delivered})
        .step();
  });
}

std::vector<stored_file> sqlite_store::load_files(std::size_t k, std::error_code& ec) {
  return sqlite::guarded<std::vector<stored_file>>(ec, [&] {
    std::vector<stored_file> out;
    sqlite::use q(load_files_);
    q.bind(1, as_limit(k));
    while (q.step()) {
      auto from = peer_id::from_bytes(q.column_blob(1));
      auto to = peer_id::from_bytes(q.column_blob(3));
      if (!from || !to) continue;
      out.push_back({std::string(q.column_blob(0)), *from, q.column_int(2) != 0, *to,
                     std::string(q.column_blob(4)), static_cast<int>(q.column_int(5)),
                     std::string(q.column_text(6)), std::string(q.column_blob(7)),
                     std::chrono::microseconds{q.column_int(8)}, q.column_int(9) != 0});
    }
    return out;
  });
}

}  // namespace peerchat::history
