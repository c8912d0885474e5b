#include "core/error.hpp"

#include <string>

namespace peerchat {
namespace {

class category final : public std::error_category {
public:
  const char* name() const noexcept override { return "peerchat"; }
  std::string message(int code) const override {
    switch (static_cast<errc>(code)) {
      case errc::frame_too_large: return "frame larger than the limit";
      case errc::frame_malformed: return "malformed frame";
      case errc::hello_timeout: return "no hello within the timeout";
      case errc::hello_expected: return "first frame was not a hello";
      case errc::wrong_version: return "unsupported protocol version";
      case errc::wrong_room: return "wrong room";
      case errc::self_connection: return "connection to self";
      case errc::duplicate_link: return "duplicate link from the same peer";
      case errc::bad_signature: return "bad signature";
      case errc::event_malformed: return "malformed event";
      case errc::send_queue_full: return "send queue full (peer not reading)";
      case errc::protocol_violation: return "protocol violation";
      case errc::key_file_unreadable: return "identity key file unreadable";
      case errc::bad_address: return "bad address (expected HOST:PORT)";
      case errc::active_view_full: return "active view full";
      case errc::replaced_by_newcomer: return "link given to a newcomer with no other link";
      case errc::member_failed: return "member declared failed";
      case errc::too_many_pending: return "too many connections in handshake";
      case errc::storage_in_use: return "data directory in use by another peerchat";
      case errc::storage_foreign: return "not a peerchat database";
      case errc::storage_newer_schema: return "database written by a newer peerchat";
      case errc::storage_corrupt: return "database corrupt";
      case errc::storage_read_only: return "database or data directory is read-only";
      case errc::storage_full: return "storage full";
      case errc::storage_failed: return "storage I/O error";
      case errc::sequence_not_next: return "not the author's next sequence number";
      case errc::wrong_room_secret: return "wrong room secret";
      case errc::secret_file_unreadable: return "secret file unreadable";
      case errc::secret_empty: return "the room secret is empty";
    }
    return "unknown peerchat error " + std::to_string(code);
  }
};

}  // namespace

const std::error_category& peerchat_category() noexcept {
  static const category instance;
  return instance;
}

}  // namespace peerchat
