// Fills a peerchat data directory with a room's history, for the join/sync benchmark:
//   make_history --data-dir DIR --events 100000 --authors 10 [--without-self] [--text-bytes 100]
// The directory gets the node's identity (loaded or created as peerchat does) and history.db
// with K text events from A authors: properly signed, each author's events hash-chained
// (prev_hash = id of its previous event), seqs 1..n per author, Lamport clocks rising through
// the whole history, send times one 10 ms step apart ending now. By default the directory's own
// identity is one of the authors (a founder who spoke); the others are throwaway keys, as any
// member that left would be. A node started on DIR then serves all K events.
// Prints one JSON object. Refuses a store that already holds events.
#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "crypto/identity.hpp"
#include "history/store.hpp"
#include "wire/event.hpp"

namespace {

using namespace peerchat;

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "make_history: %s\n", what.c_str());
  std::exit(1);
}

// A chat line of exactly `bytes` bytes made of words, varied so that no two lines match (the
// store does not compress, but a benchmark should not lean on repeated bytes either).
std::string chat_line(std::mt19937_64& rng, std::size_t index, std::size_t bytes) {
  static const char* const words[] = {"the", "room", "is", "quiet", "today", "did", "you",
                                      "see", "build", "passed", "again", "lunch", "at", "noon",
                                      "peer", "sync", "history", "ok", "thanks", "later"};
  std::string line = "#" + std::to_string(index);
  while (line.size() < bytes) {
    line += ' ';
    line += words[rng() % std::size(words)];
  }
  line.resize(bytes);
  return line;
}

struct author_state {
  identity keys;
  std::uint64_t next_seq = 1;
  std::string prev_hash;  // id of the author's previous event; empty before its first
};

}  // namespace

int main(int argc, char** argv) {
  std::string data_dir;
  std::uint64_t count = 100000;
  std::size_t author_count = 10;
  std::size_t text_bytes = 100;
  std::size_t batch = 1000;
  bool without_self = false;
  std::uint64_t seed = 1;

  CLI::App app{"make_history: a peerchat data directory holding a signed, hash-chained history"};
  app.add_option("--data-dir", data_dir, "the node's data directory (created if missing)")->required();
  app.add_option("--events", count, "events to write")->capture_default_str()->check(CLI::Range(1ULL, 100'000'000ULL));
  app.add_option("--authors", author_count, "authors, round-robin")->capture_default_str()->check(CLI::Range(1, 100000));
  app.add_option("--text-bytes", text_bytes, "bytes of each chat line")->capture_default_str()->check(CLI::Range(1, 4096));
  app.add_option("--batch", batch, "events per store transaction")->capture_default_str()->check(CLI::Range(1, 65536));
  app.add_flag("--without-self", without_self, "the directory's own identity is not an author");
  app.add_option("--seed", seed, "seed of the texts (keys are always fresh)")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  const auto started = std::chrono::steady_clock::now();
  crypto_init();
  std::error_code ec;
  const identity self = identity::load_or_create(data_dir, ec);
  if (ec) die("cannot use data directory " + data_dir + ": " + ec.message());

  history::store_error open_error;
  auto store = history::open_store(std::filesystem::path(data_dir) / "history.db", {}, open_error);
  if (!store) die(open_error.message);
  if (const auto held = store->count(ec); ec || held != 0)
    die(ec ? ec.message() : data_dir + " already holds " + std::to_string(held) + " events");

  std::vector<author_state> authors;
  authors.reserve(author_count);
  for (std::size_t i = 0; i < author_count; ++i)
    authors.push_back({i == 0 && !without_self ? self : identity::generate(), 1, {}});

  std::mt19937_64 rng(seed);
  const auto now_us = std::chrono::duration_cast<std::chrono::microseconds>(
                          std::chrono::system_clock::now().time_since_epoch()).count();
  const auto first_sent_us = static_cast<std::uint64_t>(now_us) - count * 10'000;
  std::uint64_t signed_bytes = 0;
  std::vector<wire::verified_event> pending;
  pending.reserve(batch);
  for (std::uint64_t i = 0; i < count; ++i) {
    author_state& a = authors[i % author_count];
    wire::pb::EventBody body;
    body.set_author(std::string(a.keys.id().as_string_view()));
    body.set_seq(a.next_seq++);
    body.set_lamport(i + 1);
    body.set_sent_us(first_sent_us + i * 10'000);
    body.set_prev_hash(a.prev_hash);
    body.mutable_text()->set_text(chat_line(rng, i, text_bytes));
    wire::verified_event ev;
    ev.signed_event = wire::sign_event(body, a.keys);
    ev.id = wire::id_of(ev.signed_event);
    a.prev_hash.assign(reinterpret_cast<const char*>(ev.id.bytes().data()), event_id::size);
    ev.author = a.keys.id();
    ev.seq = seq_no{body.seq()};
    ev.lamport = lamport_time{body.lamport()};
    ev.body = std::move(body);
    signed_bytes += ev.signed_event.ByteSizeLong();
    pending.push_back(std::move(ev));
    if (pending.size() == batch || i + 1 == count) {
      const auto report = store->append_batch(pending);
      if (report.error) die("append_batch: " + report.error.message());
      if (report.inserted != pending.size()) die("append_batch stored only part of a batch");
      pending.clear();
    }
  }
  store.reset();  // checkpoints the WAL into the file

  const auto db_bytes = std::filesystem::file_size(std::filesystem::path(data_dir) / "history.db");
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::printf(
      "{\"events\": %llu, \"authors\": %zu, \"self_is_author\": %s, \"self\": \"%s\", "
      "\"text_bytes\": %zu, \"signed_event_bytes\": %llu, \"db_bytes\": %ju, \"seconds\": %.2f}\n",
      static_cast<unsigned long long>(count), author_count, without_self ? "false" : "true",
      self.id().short_hex().c_str(), text_bytes, static_cast<unsigned long long>(signed_bytes),
      static_cast<std::uintmax_t>(db_bytes), seconds);
  return 0;
}
