// The database layout and how it evolves. A peerchat database is marked by PRAGMA
// application_id, and PRAGMA user_version is the number of migrations applied to it. A
// migration is never edited once released: a new layout is a new migration at the end.
#pragma once

#include <cstdint>
#include <span>

#include "history/sqlite.hpp"

namespace peerchat::history::schema {

// "PCHT": tells our files from other programs' SQLite files (`file` prints it, too).
inline constexpr std::int64_t application_id = 0x50434854;

struct migration {
  const char* sql;  // one or more statements, run inside the migration's transaction
};

// Every migration of this build, oldest first; migration i brings version i to i + 1.
std::span<const migration> migrations();
inline std::int64_t latest_version() { return static_cast<std::int64_t>(migrations().size()); }

// Applies steps[user_version..] and marks the file as ours, in one transaction: a failure
// leaves the file as it was. The caller has checked the file is ours (or empty) and not newer
// than `steps`. Tests pass their own steps to exercise the mechanism.
void migrate(sqlite::connection& db, std::span<const migration> steps);

}  // namespace peerchat::history::schema
