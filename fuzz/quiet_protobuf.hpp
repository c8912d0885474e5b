// Protobuf logs an ERROR line for every string field with invalid UTF-8 it refuses to parse:
// routine for a fuzzer, and at thousands of lines a second it would drown the real reports
// and slow the run. Including this header discards protobuf's log lines (non-fatal ones only).
#pragma once

#include <google/protobuf/stubs/logging.h>

namespace peerchat::fuzz {

inline const bool protobuf_quiet = (google::protobuf::SetLogHandler(nullptr), true);

}  // namespace peerchat::fuzz
