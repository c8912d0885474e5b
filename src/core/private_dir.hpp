// The data directory holds the identity key, the room secret, private messages and files:
// only its owner may read it. Plain blocking file system calls: call at startup, before any
// thread, after setting the process's umask to 077 (main does) so that what is created later
// is private too.
#pragma once

#include <cstddef>
#include <filesystem>
#include <system_error>

namespace peerchat {

struct private_dir_result {
  bool created = false;           // the directory did not exist: made with mode 0700
  bool dir_tightened = false;     // it existed with group or other access: now without
  std::size_t tightened = 0;      // files and folders under it that lost group/other access
};

// Makes `dir` (and missing parents) private to its owner: created with mode 0700, or, when it
// exists, group and other bits removed from it and from everything under it (0644 -> 0600,
// 0755 -> 0700). Symbolic links are neither followed nor changed: one could point anywhere.
// Errors: the directory cannot be created, is not a directory, or cannot be changed.
private_dir_result make_private_dir(const std::filesystem::path& dir, std::error_code& ec);

}  // namespace peerchat
