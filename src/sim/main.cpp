// peerchat-sim: runs the room core for N nodes on a virtual network and prints one JSON line.
// Exit status 1 (with the seed and step on stderr) when an invariant breaks.
#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <iostream>

#include "sim/scenario.hpp"

int main(int argc, char** argv) {
  peerchat::sim::scenario s;
  double latency_ms = 1.0, jitter_ms = 0.5, join_spacing_ms = 20, drain_s = 20;

  CLI::App app{"peerchat-sim: many nodes' protocol cores in virtual time; prints a JSON summary"};
  app.add_option("--nodes,-n", s.nodes, "members")->capture_default_str()->check(CLI::Range(2, 20000));
  app.add_option("--seed", s.seed, "makes the run reproducible")->capture_default_str();
  app.add_option("--messages", s.messages, "lines said before the crash")->capture_default_str();
  app.add_option("--messages-after", s.messages_after, "lines said after it")->capture_default_str();
  app.add_option("--rate", s.rate, "lines per virtual second")->capture_default_str()->check(CLI::Range(0.1, 10000.0));
  app.add_option("--talkers", s.talkers, "members who speak (0: anyone)")->capture_default_str();
  app.add_option("--loss", s.net.loss, "drop probability of each broadcast frame and probe")
      ->capture_default_str()->check(CLI::Range(0.0, 0.5));
  app.add_option("--latency-ms", latency_ms, "one-way latency")->capture_default_str();
  app.add_option("--jitter-ms", jitter_ms, "uniform extra delay per frame")->capture_default_str();
  app.add_option("--crash", s.crash_fraction, "fraction of members crashed at once")
      ->capture_default_str()->check(CLI::Range(0.0, 0.9));
  double partition_s = 0;
  app.add_option("--partition-s", partition_s, "split the room in two for this long (instead of a crash)")
      ->capture_default_str();
  double restart_s = 0;
  app.add_option("--restart-after-s", restart_s, "crashed members start again after this long")
      ->capture_default_str();
  app.add_flag("--silent-crash", s.silent_crash, "crashed members' links go quiet instead of resetting");
  app.add_option("--join-spacing-ms", join_spacing_ms, "one newcomer this often")->capture_default_str();
  app.add_option("--drain-s", drain_s, "virtual seconds for repairs before judging")->capture_default_str();
  app.add_option("--max-links", s.node.active_view, "active view size")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  spdlog::set_level(spdlog::level::off);
  using std::chrono::microseconds;
  s.net.latency = microseconds{static_cast<std::int64_t>(latency_ms * 1000)};
  s.net.jitter = microseconds{static_cast<std::int64_t>(jitter_ms * 1000)};
  s.join_spacing = microseconds{static_cast<std::int64_t>(join_spacing_ms * 1000)};
  s.partition = microseconds{static_cast<std::int64_t>(partition_s * 1e6)};
  s.restart_after = microseconds{static_cast<std::int64_t>(restart_s * 1e6)};
  s.drain = microseconds{static_cast<std::int64_t>(drain_s * 1e6)};
  try {
    std::cout << peerchat::sim::run(s).dump() << std::endl;
  } catch (const peerchat::sim::invariant_violation& e) {
    std::cerr << e.what() << std::endl;
    return 1;
  }
  return 0;
}
