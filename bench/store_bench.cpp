// History store micro-benchmark: what a newcomer's catch-up costs on disk.
//   store_bench [EVENTS [AUTHORS [DIR]]]     defaults: 100000 events, 20 authors, a temp dir
// Makes real signed events (~250 bytes, hash-chained per author), then measures batch insert
// (batches of 1000, as sync would deliver them), reading every author's range back with
// events_after (pages of 1000), /history 100, the version vector, reopening with quick_check,
// and own appends (each fsync'd). Prints one JSON object.
#include <stdlib.h>
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "crypto/identity.hpp"
#include "history/store.hpp"
#include "wire/event.hpp"

namespace {

using namespace peerchat;
using clock_type = std::chrono::steady_clock;

// CPU seconds of this process: on a shared machine, a fairer cost than the wall clock.
double cpu_seconds() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  auto s = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  return s(usage.ru_utime) + s(usage.ru_stime);
}

double seconds_since(clock_type::time_point start) {
  return std::chrono::duration<double>(clock_type::now() - start).count();
}

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "store_bench: %s\n", what.c_str());
  std::exit(1);
}

// Events round-robin over the authors, each author's chained by prev_hash, Lamport rising.
std::vector<wire::verified_event> make_events(const std::vector<identity>& authors,
                                              std::size_t count) {
  std::vector<wire::verified_event> out;
  out.reserve(count);
  std::vector<std::uint64_t> next_seq(authors.size(), 1);
  std::vector<std::string> prev(authors.size());
  const std::string text(120, 'x');  // a typical chat line
  for (std::size_t i = 0; i < count; ++i) {
    const std::size_t a = i % authors.size();
    wire::pb::EventBody body;
    body.set_author(std::string(authors[a].id().as_string_view()));
    body.set_seq(next_seq[a]++);
    body.set_lamport(i + 1);
    body.set_sent_us(1'700'000'000'000'000 + i * 1000);
    body.set_prev_hash(prev[a]);
    body.mutable_text()->set_text(text);
    wire::verified_event ev;
    ev.signed_event = wire::sign_event(body, authors[a]);
    ev.id = wire::id_of(ev.signed_event);
    prev[a] = std::string(reinterpret_cast<const char*>(ev.id.bytes().data()), event_id::size);
    ev.author = authors[a].id();
    ev.seq = seq_no{body.seq()};
    ev.lamport = lamport_time{body.lamport()};
    ev.body = std::move(body);
    out.push_back(std::move(ev));
  }
  return out;
}

std::unique_ptr<history::store> open_or_die(const std::filesystem::path& db) {
  history::store_error error;
  auto s = history::open_store(db, history::store_options{}, error);
  if (!s) die(error.message);
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  const std::size_t count = argc > 1 ? std::stoul(argv[1]) : 100000;
  const std::size_t author_count = argc > 2 ? std::stoul(argv[2]) : 20;
  std::filesystem::path dir;
  if (argc > 3) {
    dir = argv[3];
  } else {
    std::string pattern = (std::filesystem::temp_directory_path() / "store_bench.XXXXXX").string();
    if (!::mkdtemp(pattern.data())) die("mkdtemp failed");
    dir = pattern;
  }
  const auto db = dir / "history.db";
  constexpr std::size_t batch = 1000;

  crypto_init();
  std::vector<identity> authors;
  for (std::size_t i = 0; i < author_count; ++i) authors.push_back(identity::generate());
  const auto events = make_events(authors, count);
  std::size_t signed_bytes = 0;
  for (const auto& ev : events) signed_bytes += ev.signed_event.ByteSizeLong();

  auto s = open_or_die(db);
  auto start = clock_type::now();
  const double cpu_start = cpu_seconds();
  for (std::size_t i = 0; i < events.size(); i += batch) {
    const auto report = s->append_batch(
        std::span(events).subspan(i, std::min(batch, events.size() - i)));
    if (report.error) die("append_batch: " + report.error.message());
  }
  const double insert_s = seconds_since(start);
  const double insert_cpu_s = cpu_seconds() - cpu_start;

  std::error_code ec;
  start = clock_type::now();
  std::size_t read = 0;
  for (const auto& a : authors) {
    seq_no after{0};
    for (;;) {
      const auto page = s->events_after(a.id(), after, batch, ec);
      if (ec) die("events_after: " + ec.message());
      if (page.empty()) break;
      read += page.size();
      after = page.back().seq;
    }
  }
  const double read_s = seconds_since(start);
  if (read != count) die("read back " + std::to_string(read) + " events");

  start = clock_type::now();
  const auto last = s->last_events(100, ec);
  const double last_100_s = seconds_since(start);
  start = clock_type::now();
  const auto vv = s->version_vector(ec);
  const double vv_s = seconds_since(start);
  if (last.size() != std::min<std::size_t>(100, count) || vv.size() != author_count)
    die("unexpected last_events or version_vector size");

  start = clock_type::now();
  s.reset();  // checkpoints the rest of the WAL into the file
  const double close_s = seconds_since(start);
  const auto file_bytes = std::filesystem::file_size(db);
  start = clock_type::now();
  s = open_or_die(db);
  const double reopen_s = seconds_since(start);

  // Own events: one fsync each.
  const identity& self = authors.front();
  auto own = s->last_event_of(self.id(), ec);
  constexpr std::size_t own_count = 200;
  std::vector<wire::verified_event> own_events;
  for (std::size_t i = 1; i <= own_count; ++i) {
    wire::pb::EventBody body;
    body.set_author(std::string(self.id().as_string_view()));
    body.set_seq(own->seq.value + i);
    body.set_lamport(count + i);
    body.mutable_text()->set_text("own");
    wire::verified_event ev;
    ev.signed_event = wire::sign_event(body, self);
    ev.id = wire::id_of(ev.signed_event);
    ev.author = self.id();
    ev.seq = seq_no{body.seq()};
    ev.lamport = lamport_time{body.lamport()};
    ev.body = std::move(body);
    own_events.push_back(std::move(ev));
  }
  start = clock_type::now();
  for (const auto& ev : own_events)
    if (auto e = s->append_own(ev)) die("append_own: " + e.message());
  const double own_s = seconds_since(start);
  s.reset();

  std::printf(
      "{\"events\": %zu, \"authors\": %zu, \"batch\": %zu, \"avg_signed_event_bytes\": %.1f,\n"
      " \"insert_events_per_s\": %.0f, \"insert_s\": %.3f, \"insert_events_per_cpu_s\": %.0f,\n"
      " \"read_events_after_events_per_s\": %.0f, \"read_s\": %.3f,\n"
      " \"close_with_checkpoint_ms\": %.1f, \"last_events_100_ms\": %.3f, \"version_vector_ms\": %.3f, \"reopen_with_quick_check_ms\": %.1f,\n"
      " \"append_own_us\": %.1f, \"db_bytes\": %ju, \"db_bytes_per_100k_events\": %.0f,\n"
      " \"dir\": \"%s\"}\n",
      count, author_count, batch, static_cast<double>(signed_bytes) / static_cast<double>(count),
      static_cast<double>(count) / insert_s, insert_s,
      static_cast<double>(count) / insert_cpu_s, static_cast<double>(read) / read_s, read_s,
      close_s * 1e3, last_100_s * 1e3, vv_s * 1e3, reopen_s * 1e3, own_s / own_count * 1e6,
      static_cast<std::uintmax_t>(file_bytes),
      static_cast<double>(file_bytes) * 100000.0 / static_cast<double>(count), dir.c_str());
  if (argc <= 3) std::filesystem::remove_all(dir);
  return 0;
}
