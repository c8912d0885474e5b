#include "core/private_dir.hpp"

namespace peerchat {

namespace fs = std::filesystem;

namespace {

constexpr fs::perms others = fs::perms::group_all | fs::perms::others_all;

// True when `p` (not followed if a link) had group or other bits and lost them.
bool tighten(const fs::path& p, const fs::file_status& st, std::error_code& ec) {
  if (fs::is_symlink(st) || (st.permissions() & others) == fs::perms::none) return false;
  fs::permissions(p, others, fs::perm_options::remove | fs::perm_options::nofollow, ec);
  return !ec;
}

}  // namespace

private_dir_result make_private_dir(const fs::path& dir, std::error_code& ec) {
  private_dir_result out;
  ec.clear();
  if (!fs::exists(fs::symlink_status(dir, ec))) {
    if (ec && ec != std::errc::no_such_file_or_directory) return out;
    ec.clear();
    fs::create_directories(dir, ec);
    if (ec) return out;
    fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace, ec);
    out.created = !ec;
    return out;
  }
  const fs::file_status st = fs::status(dir, ec);  // a data directory given as a link is followed
  if (ec) return out;
  if (!fs::is_directory(st)) {
    ec = std::make_error_code(std::errc::not_a_directory);
    return out;
  }
  if ((st.permissions() & others) != fs::perms::none) {
    fs::permissions(dir, others, fs::perm_options::remove, ec);
    if (ec) return out;
    out.dir_tightened = true;
  }
  for (auto it = fs::recursive_directory_iterator(dir, fs::directory_options::none, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    const fs::file_status entry = it->symlink_status(ec);
    if (ec) break;
    if (tighten(it->path(), entry, ec)) ++out.tightened;
    if (ec) break;
  }
  return out;
}

}  // namespace peerchat
