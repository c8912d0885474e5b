#include "history/file_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

#include "core/error.hpp"

namespace peerchat::history {
namespace {

std::error_code classify(int error_number) {
  switch (error_number) {
    case EACCES:
    case EPERM:
    case EROFS: return errc::storage_read_only;
    case ENOSPC:
    case EDQUOT: return errc::storage_full;
    default: return errc::storage_failed;
  }
}

// The holder's pid, for the message; bounded read, and whatever is there is only shown.
std::string holder_of(int fd) {
  char buffer[32] = {};
  const ssize_t n = pread(fd, buffer, sizeof buffer - 1, 0);
  std::string pid = n > 0 ? std::string(buffer, static_cast<std::size_t>(n)) : std::string();
  while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
  return pid.empty() ? std::string("unknown pid") : "pid " + pid;
}

}  // namespace

file_lock file_lock::acquire(const std::filesystem::path& path, std::error_code& ec,
                             std::string& detail) {
  ec.clear();
  detail.clear();
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    ec = classify(errno);
    detail = std::strerror(errno);
    return {};
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int error_number = errno;
    ec = error_number == EWOULDBLOCK ? std::error_code(errc::storage_in_use) : classify(error_number);
    detail = error_number == EWOULDBLOCK ? holder_of(fd) : std::strerror(error_number);
    ::close(fd);
    return {};
  }
  // Only informative: a failure to record the pid does not make the lock less held.
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) == 0) {
    [[maybe_unused]] const ssize_t written = ::pwrite(fd, pid.data(), pid.size(), 0);
  }
  return file_lock(fd);
}

file_lock& file_lock::operator=(file_lock&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

// Closing releases the flock. The file stays: removing it would race with a process that has
// just opened it and is about to lock it.
file_lock::~file_lock() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace peerchat::history
