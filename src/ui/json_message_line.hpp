// Machine mode's line for a chat message, written straight into a buffer. Building it as an
// nlohmann object (a std::map and a dozen allocations per line) was a tenth of a receiver's
// CPU under the throughput benchmark, and messages are nearly every line machine mode prints.
// The bytes are exactly those nlohmann's dump gives (its sorted key order, its escapes), so
// the schema in docs/ARCHITECTURE.md is one whichever path wrote a line.
#pragma once

#include <cstdint>
#include <string>

#include "node/events.hpp"

namespace peerchat::ui {

// Appends the line (without the newline). Returns false, appending nothing, when a string is
// not valid UTF-8: nlohmann's path then replaces the bad bytes.
bool append_message_line(std::string& out, const ui_event::message& m, std::int64_t ts_us);

}  // namespace peerchat::ui
