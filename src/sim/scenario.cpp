#include "sim/scenario.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>

namespace peerchat::sim {

namespace {

constexpr microseconds sample_every{50'000};
constexpr microseconds settle_limit{120'000'000};

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const auto i = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(v.size()))) ;
  return v[std::min(v.size() - 1, i == 0 ? 0 : i - 1)];
}

double round3(double x) { return std::round(x * 1000.0) / 1000.0; }

std::size_t random_live(world& w, std::mt19937_64& rng) {
  std::vector<std::size_t> live;
  for (std::size_t i = 0; i < w.size(); ++i)
    if (w.alive(i) && w.ready(i)) live.push_back(i);
  return live.at(rng() % live.size());
}

struct counters {
  std::uint64_t delivered = 0, copies = 0;
};

counters total_counters(const world& w) {
  counters c;
  for (std::size_t i = 0; i < w.size(); ++i) {
    if (!w.alive(i)) continue;
    c.delivered += w.core(i).stats().events_delivered;
    c.copies += w.core(i).stats().event_copies;
  }
  return c;
}

double redundancy(counters from, counters to) {
  const auto delivered = to.delivered - from.delivered;
  return delivered == 0 ? 0.0
                        : static_cast<double>(to.copies - from.copies - delivered) / static_cast<double>(delivered);
}

void check_link_bound(const world& w, std::size_t bound) {
  for (std::size_t i = 0; i < w.size(); ++i)
    if (w.alive(i) && w.core(i).active_links() > bound)
      throw invariant_violation(fmt::format("invariant violated at step {}, seed {}: node {} holds {} links, more than {}",
                                            w.steps(), w.seed(), i, w.core(i).active_links(), bound));
}

// A live talker, or any live member when every talker is gone.
std::size_t speaker(world& w, std::mt19937_64& rng, const std::vector<std::size_t>& talkers) {
  std::vector<std::size_t> live;
  for (std::size_t t : talkers)
    if (w.alive(t) && w.ready(t)) live.push_back(t);
  return live.empty() ? random_live(w, rng) : live.at(rng() % live.size());
}

// Chats `count` lines at `rate` from the talkers, checking the link bound as it goes.
void chat(world& w, std::mt19937_64& rng, std::size_t count, double rate, std::size_t bound,
          const std::vector<std::size_t>& talkers) {
  const microseconds gap{static_cast<std::int64_t>(1e6 / rate)};
  for (std::size_t k = 0; k < count; ++k) {
    w.run_until(w.now() + gap);
    check_link_bound(w, bound);
    w.say(speaker(w, rng, talkers));
  }
}

}  // namespace

nlohmann::json run(const scenario& s) {
  world w(s.seed, s.net, s.node);
  std::mt19937_64 rng(s.seed ^ 0xc0ffee);

  w.add_node(std::nullopt);
  for (std::size_t i = 1; i < s.nodes; ++i) {
    w.run_until(w.now() + s.join_spacing);
    w.add_node(random_live(w, rng));
  }
  const microseconds joined_at = w.now();
  while (!w.membership_converged() && w.now() - joined_at < settle_limit) w.run_until(w.now() + sample_every);
  if (!w.membership_converged())
    throw invariant_violation(fmt::format("invariant violated at step {}, seed {}: membership never converged",
                                          w.steps(), w.seed()));
  const microseconds converged_in = w.now() - joined_at;
  w.run_until(w.now() + microseconds{2'000'000});  // let the overlay settle before measuring

  std::vector<std::size_t> talkers;
  for (std::size_t i = 0; i < std::min(s.talkers, w.size()); ++i) talkers.push_back(rng() % w.size());
  // Warm-up: each talker's first line floods and builds its tree; steady state comes after.
  const counters cold = total_counters(w);
  for (std::size_t t : talkers) {
    w.say(t);
    w.run_until(w.now() + microseconds{100'000});
  }
  w.run_until(w.now() + microseconds{1'000'000});
  const counters start = total_counters(w);
  chat(w, rng, s.messages, s.rate, s.node.active_view, talkers);
  w.run_until(w.now() + microseconds{3'000'000});
  const counters steady = total_counters(w);

  nlohmann::json crash = nullptr, split = nullptr;
  if (s.partition.count() > 0) {
    std::vector<int> group(w.size());
    for (auto& g : group) g = static_cast<int>(rng() % 2);
    w.partition(group);
    const microseconds split_at = w.now();
    const double rate_during = std::max(0.1, static_cast<double>(s.messages_after) * 1e6 /
                                                 static_cast<double>(s.partition.count()));
    chat(w, rng, s.messages_after, rate_during, s.node.active_view, talkers);
    w.run_until(split_at + s.partition);
    w.heal();
    const microseconds healed_at = w.now();
    std::optional<microseconds> rejoined;
    while (!rejoined && w.now() - healed_at < microseconds{120'000'000}) {
      w.run_until(w.now() + sample_every);
      if (w.membership_converged() && w.components() == 1) rejoined = w.now() - healed_at;
    }
    split = {{"duration_ms", s.partition.count() / 1000},
             {"one_room_again_ms", rejoined ? round3(static_cast<double>(rejoined->count()) / 1000.0) : -1.0}};
  } else if (s.crash_fraction > 0) {
    std::vector<std::size_t> order(w.size());
    std::iota(order.begin(), order.end(), 0);
    std::shuffle(order.begin(), order.end(), rng);
    const auto victims = static_cast<std::size_t>(std::floor(s.crash_fraction * static_cast<double>(w.size())));
    const microseconds crashed_at = w.now();
    for (std::size_t i = 0; i < victims; ++i) w.crash(order[i], s.silent_crash);
    bool restarted = s.restart_after.count() == 0;

    // Chat on while sampling when the overlay is whole again and when all know who died.
    std::optional<microseconds> healed, detected;
    const microseconds gap{static_cast<std::int64_t>(1e6 / s.rate)};
    microseconds next_line = w.now() + gap;
    std::size_t said = 0;
    while (said < s.messages_after || !healed || !detected) {
      if (w.now() - crashed_at > microseconds{60'000'000}) break;
      if (!restarted && w.now() - crashed_at >= s.restart_after) {
        restarted = true;
        healed.reset();
        detected.reset();
        for (std::size_t i = 0; i < victims; ++i) w.restart(order[i], random_live(w, rng));
      }
      const microseconds next_sample = w.now() + sample_every;
      w.run_until(said < s.messages_after ? std::min(next_line, next_sample) : next_sample);
      if (!healed && w.components() == 1) healed = w.now() - crashed_at;
      if (!detected && w.membership_converged()) detected = w.now() - crashed_at;
      check_link_bound(w, s.node.active_view);
      if (said < s.messages_after && w.now() >= next_line) {
        w.say(speaker(w, rng, talkers));
        ++said;
        next_line += gap;
      }
    }
    crash = {{"crashed", victims},
             {"restarted_after_ms", s.restart_after.count() / 1000},
             {"silent", s.silent_crash},
             {"heal_ms", healed ? round3(static_cast<double>(healed->count()) / 1000.0) : -1.0},
             {"all_detected_ms", detected ? round3(static_cast<double>(detected->count()) / 1000.0) : -1.0}};
  } else {
    chat(w, rng, s.messages_after, s.rate, s.node.active_view, talkers);
  }
  w.run_until(w.now() + s.drain);

  // Judge: every line reaches every member that was in the room when it was said and is alive now.
  std::size_t expected = 0, got = 0;
  std::vector<double> latency_ms;
  std::vector<double> last_hops;
  for (const sent_message& m : w.messages()) {
    if (!w.alive(m.author) && m.delivered_at.empty()) continue;  // died before it left: not sent
    int deepest = 0;
    for (std::size_t r : m.expected) {
      if (!w.alive(r)) continue;
      if (auto down = w.last_crash(r); down && *down >= m.sent_at) continue;  // lost with the crash
      ++expected;
      auto it = m.delivered_at.find(r);
      if (it == m.delivered_at.end()) continue;
      ++got;
      latency_ms.push_back(static_cast<double>((it->second - m.sent_at).count()) / 1000.0);
      if (auto h = m.hops.find(r); h != m.hops.end()) deepest = std::max(deepest, h->second);
    }
    last_hops.push_back(deepest);
  }
  // The floor for hop counts: the talkers' eccentricity in the final link graph.
  std::size_t shortest_possible = 0;
  for (std::size_t t : talkers)
    if (w.alive(t)) shortest_possible = std::max(shortest_possible, w.eccentricity(t));
  std::vector<double> links;
  for (std::size_t i = 0; i < w.size(); ++i)
    if (w.alive(i)) links.push_back(static_cast<double>(w.core(i).active_links()));

  const double ratio = expected == 0 ? 1.0 : static_cast<double>(got) / static_cast<double>(expected);
  nlohmann::json out = {
      {"seed", s.seed},
      {"nodes", s.nodes},
      {"messages", w.messages().size()},
      {"loss", s.net.loss},
      {"latency_ms_one_way", round3(static_cast<double>(s.net.latency.count()) / 1000.0)},
      {"active_view", s.node.active_view},
      {"membership_converged_ms", round3(static_cast<double>(converged_in.count()) / 1000.0)},
      {"delivery_ratio", round3(ratio * 1e3) / 1e3},
      {"deliveries", got},
      {"expected_deliveries", expected},
      {"latency_ms", {{"p50", round3(percentile(latency_ms, 50))}, {"p90", round3(percentile(latency_ms, 90))},
                      {"p99", round3(percentile(latency_ms, 99))}, {"max", round3(percentile(latency_ms, 100))}}},
      {"last_delivery_hops", {{"p50", percentile(last_hops, 50)}, {"max", percentile(last_hops, 100)},
                              {"shortest_possible_max", shortest_possible},
                              {"log6_n_plus_2", round3(std::log(static_cast<double>(s.nodes)) / std::log(6.0) + 2)}}},
      {"redundant_copies_per_delivery", {{"steady", round3(redundancy(start, steady))},
                                         {"whole_run", round3(redundancy(cold, total_counters(w)))}}},
      {"talkers", talkers.size()},
      {"links_per_node", {{"min", percentile(links, 0)}, {"mean", round3(std::accumulate(links.begin(), links.end(), 0.0) / static_cast<double>(std::max<std::size_t>(links.size(), 1)))},
                          {"max", percentile(links, 100)}}},
      {"components", w.components()},
      {"identical_histories", w.histories_identical()},
      {"crash", crash},
      {"partition", split},
      {"virtual_s", round3(static_cast<double>(w.now().count()) / 1e6)},
      {"steps", w.steps()},
  };
  if (got != expected)
    throw invariant_violation(fmt::format("invariant violated at step {}, seed {}: {} of {} deliveries missing after the drain\n{}",
                                          w.steps(), w.seed(), expected - got, expected, out.dump()));
  if (!w.histories_identical())
    throw invariant_violation(fmt::format("invariant violated at step {}, seed {}: live nodes hold different event sets after the drain\n{}",
                                          w.steps(), w.seed(), out.dump()));
  if (w.components() != 1)
    throw invariant_violation(fmt::format("invariant violated at step {}, seed {}: the overlay is split in {} after the drain\n{}",
                                          w.steps(), w.seed(), w.components(), out.dump()));
  return out;
}

}  // namespace peerchat::sim
