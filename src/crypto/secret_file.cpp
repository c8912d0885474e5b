#include "crypto/secret_file.hpp"

#include <sys/stat.h>

#include <fstream>
#include <iterator>

#include "core/error.hpp"

namespace peerchat {
namespace {

constexpr const char* saved_secret_name = "room.secret";
// A secret is a passphrase or a random token; anything larger is a wrong file.
constexpr std::uintmax_t max_secret_bytes = 4096;

}  // namespace

std::string read_secret_file(const std::filesystem::path& file, std::error_code& ec) {
  ec.clear();
  std::error_code size_ec;
  const auto size = std::filesystem::file_size(file, size_ec);
  std::ifstream in(file, std::ios::binary);
  if (size_ec || !in || size > max_secret_bytes) {
    ec = errc::secret_file_unreadable;
    return {};
  }
  std::string secret{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (in.bad()) {
    ec = errc::secret_file_unreadable;
    return {};
  }
  if (secret.ends_with('\n')) secret.pop_back();
  if (secret.ends_with('\r')) secret.pop_back();
  if (secret.empty()) ec = errc::secret_empty;
  return secret;
}

std::string load_saved_room_secret(const std::filesystem::path& dir, std::error_code& ec) {
  ec.clear();
  const auto file = dir / saved_secret_name;
  if (!std::filesystem::exists(file, ec)) return {};
  return read_secret_file(file, ec);
}

void save_room_secret(const std::filesystem::path& dir, const std::string& secret,
                      std::error_code& ec) {
  namespace fs = std::filesystem;
  ec.clear();
  fs::create_directories(dir, ec);
  if (ec) return;
  const fs::path file = dir / saved_secret_name;
  const fs::path temporary = dir / (std::string(saved_secret_name) + ".new");
  // umask 077 while creating: the secret is never readable by others, not even briefly.
  const mode_t old_mask = ::umask(077);
  std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
  out << secret << '\n';
  out.close();
  ::umask(old_mask);
  if (!out) {
    ec = errc::secret_file_unreadable;
    return;
  }
  fs::permissions(temporary, fs::perms::owner_read | fs::perms::owner_write, ec);
  if (!ec) fs::rename(temporary, file, ec);  // a crash leaves the old secret or the new one
}

}  // namespace peerchat
