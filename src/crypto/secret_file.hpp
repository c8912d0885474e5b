// Room secrets on disk: one given by the user (--secret-file) and the one a node keeps in its
// data directory (DATA_DIR/room.secret, mode 0600) so a restart stays in the same closed room.
// Plain blocking file I/O: call at startup, before the node runs. Errors are peerchat errc
// codes (secret_file_unreadable, secret_empty) or the system's.
#pragma once

#include <filesystem>
#include <string>
#include <system_error>

namespace peerchat {

// The file's bytes, less one trailing line break (files written by `echo` have one).
std::string read_secret_file(const std::filesystem::path& file, std::error_code& ec);

// DATA_DIR/room.secret: the secret saved there, or empty with no error when there is none.
std::string load_saved_room_secret(const std::filesystem::path& dir, std::error_code& ec);

// Replaces DATA_DIR/room.secret with `secret`, readable by the owner only from the start.
void save_room_secret(const std::filesystem::path& dir, const std::string& secret,
                      std::error_code& ec);

}  // namespace peerchat
