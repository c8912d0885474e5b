// An exclusive, non-blocking flock(2) on a lock file, held for the lifetime of the object, so
// two peerchat processes never share one store. flock rather than fcntl locks, and a file of
// its own rather than the database: SQLite's fcntl locks on the database would be dropped by
// any close() of another descriptor for it in this process.
#pragma once

#include <filesystem>
#include <string>
#include <system_error>
#include <utility>

namespace peerchat::history {

class file_lock {
public:
  // Creates `path` if missing (mode 0600) and locks it, writing our pid into it. On failure
  // returns an unlocked object and sets `ec` (storage_in_use, storage_read_only, storage_full,
  // storage_failed) and `detail`, a short reason for a human (e.g. "pid 4242").
  static file_lock acquire(const std::filesystem::path& path, std::error_code& ec,
                           std::string& detail);

  file_lock() = default;
  file_lock(file_lock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  file_lock& operator=(file_lock&& other) noexcept;
  ~file_lock();
  bool held() const { return fd_ >= 0; }

private:
  explicit file_lock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace peerchat::history
