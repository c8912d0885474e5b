// One scripted simulator run, as the resilience issue states it: N nodes join one by one,
// chat at a steady rate, then (optionally) a fraction of them crash at once while the chat
// goes on; the summary says how delivery, latency, redundancy, links and healing fared.
// Throws invariant_violation (with seed and step) when an invariant breaks, including
// "every message reaches every member that stayed alive" once the run has drained.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>

#include "sim/world.hpp"

namespace peerchat::sim {

struct scenario {
  std::size_t nodes = 50;
  std::uint64_t seed = 1;
  network_config net;
  config node;                         // every node's settings (active view, SWIM, ...)
  microseconds join_spacing{20'000};   // one newcomer this often, through a random member
  std::size_t messages = 100;          // said before the crash
  double rate = 20;                    // lines per virtual second
  std::size_t talkers = 10;            // who speaks: this many random members (0: anyone).
                                       // A chat has a few active speakers; each speaker's
                                       // broadcast tree forms on its first line
  double crash_fraction = 0.0;         // crashed at once after the first messages
  bool silent_crash = false;           // links go quiet instead of resetting
  microseconds restart_after{0};       // crashed members start again (same identity) after
                                       // this long, each through a random live member
  std::size_t messages_after = 100;    // said after the crash, starting at once
  // Instead of a crash: split the room in two halves for this long while the chat goes on
  // (each half hears only itself), then heal. Zero: no partition.
  microseconds partition{0};
  microseconds drain{20'000'000};      // virtual time for the last repairs before judging
};

// Runs the scenario; returns the summary as JSON (the fields are documented in bench/README.md).
nlohmann::json run(const scenario& s);

}  // namespace peerchat::sim
