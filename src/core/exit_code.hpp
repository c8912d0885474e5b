// The process's exit status, one per kind of failure a script may want to tell apart. The
// numbers are part of the interface (README.md, "Exit codes"): never renumber one.
#pragma once

namespace peerchat::exit_code {

inline constexpr int ok = 0;
inline constexpr int failure = 1;         // anything not below (a bug, an unexpected error)
inline constexpr int usage = 2;           // bad options or arguments: nothing was started
inline constexpr int cannot_join = 3;     // refused (wrong room, wrong secret) or nobody reachable
inline constexpr int data_dir_in_use = 4; // another peerchat runs on the same data directory
inline constexpr int cannot_listen = 5;   // the --listen address is busy or not ours
inline constexpr int storage = 6;         // the data directory or its database cannot be used
inline constexpr int not_delivered = 7;   // input ended, and some lines reached no other member

}  // namespace peerchat::exit_code
