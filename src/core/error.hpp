// peerchat's error codes, usable as std::error_code. Every code has a message.
#pragma once

#include <system_error>

namespace peerchat {

enum class errc {
  frame_too_large = 1,
  frame_malformed,
  hello_timeout,
  hello_expected,
  wrong_version,
  wrong_room,
  self_connection,
  duplicate_link,
  bad_signature,
  event_malformed,
  send_queue_full,
  protocol_violation,
  key_file_unreadable,
  bad_address,
  active_view_full,
  replaced_by_newcomer,
  member_failed,
  too_many_pending,
  // history store (src/history/store.hpp)
  storage_in_use,
  storage_foreign,
  storage_newer_schema,
  storage_corrupt,
  storage_read_only,
  storage_full,
  storage_failed,
  sequence_not_next,
  // closed rooms
  wrong_room_secret,
  secret_file_unreadable,
  secret_empty,
};

const std::error_category& peerchat_category() noexcept;

inline std::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), peerchat_category()};
}

}  // namespace peerchat

template <>
struct std::is_error_code_enum<peerchat::errc> : std::true_type {};
