// Events and the version vector.
#include <algorithm>
#include <limits>

#include "core/error.hpp"
#include "history/sqlite_store.hpp"

namespace peerchat::history {
namespace {

constexpr std::uint64_t largest_storable = std::numeric_limits<std::int64_t>::max();

bool storable(const wire::verified_event& ev) {
  return ev.seq.value >= 1 && ev.seq.value <= largest_storable &&
         ev.lamport.value <= largest_storable && ev.body.sent_us() <= largest_storable;
}

event_id event_id_from(std::string_view bytes) {
  std::array<std::uint8_t, event_id::size> hash{};
  std::copy_n(bytes.begin(), std::min(bytes.size(), hash.size()), hash.begin());
  return event_id{hash};
}

// Columns: key, seq, lamport, sent_us, id, signed_event.
stored_event read_event(const sqlite::use& row) {
  stored_event out;
  out.author = peer_id::from_bytes(row.column_blob(0)).value_or(peer_id{});
  out.seq = seq_no{row.column_uint(1)};
  out.lamport = lamport_time{row.column_uint(2)};
  out.sent_at = std::chrono::microseconds{row.column_int(3)};
  out.id = event_id_from(row.column_blob(4));
  out.signed_event = std::string(row.column_blob(5));
  return out;
}

std::int64_t clamp_limit(std::size_t limit) {
  return static_cast<std::int64_t>(std::min(limit, max_events_per_query));
}

// Durability for this node's own events: fsync the WAL at commit (synchronous=FULL), then
// back to NORMAL for everything else. The switch costs two pragma runs, nothing on disk.
class full_sync {
public:
  explicit full_sync(sqlite::connection& db) : db_(db) { db_.exec("PRAGMA synchronous = FULL"); }
  ~full_sync() {
    sqlite::guarded([&] { db_.exec("PRAGMA synchronous = NORMAL"); });
  }
  full_sync(const full_sync&) = delete;
  full_sync& operator=(const full_sync&) = delete;

private:
  sqlite::connection& db_;
};

}  // namespace

sqlite_store::author_row& sqlite_store::author_for_write(author_cache& cache,
                                                         const peer_id& author) {
  if (auto it = cache.find(author); it != cache.end()) return it->second;
  author_row row;
  {
    sqlite::use q(find_author_);
    q.bind_blob(1, author.as_string_view());
    if (q.step()) row = {q.column_int(0), q.column_uint(1)};
  }
  if (row.number == 0) {
    sqlite::use add(add_author_);
    add.bind_blob(1, author.as_string_view()).step();
    row = {db_->last_insert_rowid(), 0};
  }
  return cache.emplace(author, row).first->second;
}

sqlite_store::insert_outcome sqlite_store::insert(const author_row& author,
                                                  const wire::verified_event& ev,
                                                  event_id& stored_id) {
  ev.signed_event.SerializeToString(&encode_buffer_);
  const auto& id = ev.id.bytes();
  {
    sqlite::use q(insert_event_);
    q.bind(1, author.number)
        .bind(2, ev.seq.value)
        .bind(3, ev.lamport.value)
        .bind(4, ev.body.sent_us())
        .bind_blob(5, {reinterpret_cast<const char*>(id.data()), id.size()})
        .bind(6, static_cast<std::int64_t>(ev.body.kind_case()))
        .bind_blob(7, encode_buffer_)
        .step();
  }
  if (db_->changes() == 1) return insert_outcome::inserted;
  sqlite::use q(event_id_at_);
  q.bind(1, author.number).bind(2, ev.seq.value);
  stored_id = q.step() ? event_id_from(q.column_blob(0)) : event_id{};
  return stored_id == ev.id ? insert_outcome::duplicate : insert_outcome::fork;
}

// Walks the author's stored seqs upward from its contiguous head for as long as they follow
// on: each event is walked over once in its life, when the head passes it.
void sqlite_store::advance_contiguous(author_row& author) {
  std::uint64_t head = author.contiguous;
  {
    sqlite::use q(seqs_after_);
    q.bind(1, author.number).bind(2, head);
    while (q.step() && q.column_uint(0) == head + 1) ++head;
  }
  if (head == author.contiguous) return;
  sqlite::use u(set_contiguous_);
  u.bind(1, author.number).bind(2, head).step();
  author.contiguous = head;
}

std::error_code sqlite_store::append_own_run(std::span<const wire::verified_event> run) {
  if (run.empty()) return {};
  for (const auto& ev : run)
    if (!storable(ev) || ev.author != run.front().author) return errc::event_malformed;
  bool next = true;
  const auto ec = sqlite::guarded([&] {
    full_sync durable(*db_);
    sqlite::transaction tx(*db_);
    author_cache cache;
    author_row& author = author_for_write(cache, run.front().author);
    std::uint64_t expected = 0;
    {
      sqlite::use q(highest_seq_);
      q.bind(1, author.number).step();
      expected = q.column_uint(0) + 1;
    }
    for (const auto& ev : run) {
      if (ev.seq.value != expected++) {
        next = false;
        return;  // rolls back: not even the author row stays
      }
      event_id ignored;
      insert(author, ev, ignored);
    }
    advance_contiguous(author);
    tx.commit();
  });
  if (ec) return ec;
  return next ? std::error_code() : std::error_code(errc::sequence_not_next);
}

append_report sqlite_store::append_batch(std::span<const wire::verified_event> events) {
  append_report report;
  report.error = sqlite::guarded([&] {
    sqlite::transaction tx(*db_);
    author_cache touched;
    for (const auto& ev : events) {
      if (!storable(ev)) {
        ++report.malformed;
        continue;
      }
      author_row& author = author_for_write(touched, ev.author);
      event_id stored;
      switch (insert(author, ev, stored)) {
        case insert_outcome::inserted: ++report.inserted; break;
        case insert_outcome::duplicate: ++report.duplicates; break;
        case insert_outcome::fork: report.forks.push_back({ev.author, ev.seq, stored, ev.id}); break;
      }
    }
    for (auto& [key, author] : touched) advance_contiguous(author);
    tx.commit();
  });
  if (report.error) {  // the transaction rolled back: nothing of the batch counts
    const std::error_code error = report.error;
    report = {};
    report.error = error;
  }
  return report;
}

bool sqlite_store::contains(const peer_id& author, seq_no seq, std::error_code& ec) {
  return sqlite::guarded<bool>(ec, [&] {
    if (seq.value > largest_storable) return false;
    sqlite::use q(contains_);
    q.bind_blob(1, author.as_string_view()).bind(2, seq.value);
    return q.step();
  });
}

std::vector<std::pair<peer_id, seq_no>> sqlite_store::version_vector(std::error_code& ec) {
  using vector = std::vector<std::pair<peer_id, seq_no>>;
  return sqlite::guarded<vector>(ec, [&] {
    vector out;
    sqlite::use q(version_vector_);
    while (q.step())
      if (auto author = peer_id::from_bytes(q.column_blob(0)))
        out.emplace_back(*author, seq_no{q.column_uint(1)});
    return out;
  });
}

std::vector<stored_event> sqlite_store::events_after(const peer_id& author, seq_no after,
                                                     std::size_t limit, std::error_code& ec) {
  return sqlite::guarded<std::vector<stored_event>>(ec, [&] {
    std::vector<stored_event> out;
    if (after.value >= largest_storable) return out;
    sqlite::use q(events_after_);
    q.bind_blob(1, author.as_string_view()).bind(2, after.value).bind(3, clamp_limit(limit));
    while (q.step()) out.push_back(read_event(q));
    return out;
  });
}

std::vector<stored_event> sqlite_store::last_events(std::size_t n, std::error_code& ec) {
  return sqlite::guarded<std::vector<stored_event>>(ec, [&] {
    std::vector<stored_event> out;
    sqlite::use q(last_events_);
    q.bind(1, clamp_limit(n));
    while (q.step()) out.push_back(read_event(q));
    std::reverse(out.begin(), out.end());
    return out;
  });
}

// The SQL of last_lines_, nick_before_ and nick_after_ names these kinds by number.
static_assert(wire::pb::EventBody::kText == 10 && wire::pb::EventBody::kNick == 11);

namespace {
// A stored Nick's old or new name; empty if it does not parse (it was verified when stored).
std::string nick_name(std::string_view signed_event, bool new_name) {
  wire::pb::SignedEvent sev;
  wire::pb::EventBody body;
  if (!sev.ParseFromArray(signed_event.data(), static_cast<int>(signed_event.size())) ||
      !body.ParseFromString(sev.body()) || !body.has_nick())
    return {};
  return new_name ? body.nick().new_name() : body.nick().old_name();
}
}  // namespace

std::vector<stored_line> sqlite_store::last_lines(std::size_t n, std::error_code& ec) {
  return sqlite::guarded<std::vector<stored_line>>(ec, [&] {
    std::vector<stored_line> out;
    {
      sqlite::use q(last_lines_);
      q.bind(1, clamp_limit(n));
      while (q.step()) out.push_back({read_event(q), {}});
    }
    std::reverse(out.begin(), out.end());
    // Two indexed lookups per line (events_nicks): at most 2 × 10,000 for /history 10000.
    for (auto& line : out) {
      {
        sqlite::use before(nick_before_);
        before.bind_blob(1, line.event.author.as_string_view()).bind(2, line.event.seq.value);
        if (before.step()) line.name = nick_name(before.column_blob(0), true);
      }
      if (!line.name.empty()) continue;
      sqlite::use after(nick_after_);
      after.bind_blob(1, line.event.author.as_string_view()).bind(2, line.event.seq.value);
      if (after.step()) line.name = nick_name(after.column_blob(0), false);
    }
    return out;
  });
}

std::optional<stored_event> sqlite_store::last_event_of(const peer_id& author,
                                                        std::error_code& ec) {
  return sqlite::guarded<std::optional<stored_event>>(ec, [&]() -> std::optional<stored_event> {
    sqlite::use q(last_event_of_);
    q.bind_blob(1, author.as_string_view());
    if (!q.step()) return std::nullopt;
    return read_event(q);
  });
}

lamport_time sqlite_store::highest_lamport(std::error_code& ec) {
  return sqlite::guarded<lamport_time>(ec, [&] {
    return lamport_time{static_cast<std::uint64_t>(
        db_->query_int("SELECT coalesce(max(lamport), 0) FROM events"))};
  });
}

std::uint64_t sqlite_store::count(std::error_code& ec) {
  return sqlite::guarded<std::uint64_t>(ec, [&] {
    return static_cast<std::uint64_t>(db_->query_int("SELECT count(*) FROM events"));
  });
}

std::error_code sqlite_store::prune_to(std::uint64_t keep) {
  return sqlite::guarded([&] {
    sqlite::transaction tx(*db_);
    const auto held = static_cast<std::uint64_t>(db_->query_int("SELECT count(*) FROM events"));
    if (held <= keep) return;
    // Rare and bulk: prepared here rather than kept for the store's lifetime.
    sqlite::statement prune(
        *db_,
        "DELETE FROM events WHERE (author_no, seq) IN ("
        " SELECT e.author_no, e.seq FROM events e JOIN authors a USING (author_no)"
        " WHERE e.seq < (SELECT max(seq) FROM events WHERE author_no = e.author_no)"
        " ORDER BY e.lamport, a.key LIMIT ?1)");
    sqlite::use run(prune);
    run.bind(1, held - keep).step();
    tx.commit();
  });
}

}  // namespace peerchat::history
