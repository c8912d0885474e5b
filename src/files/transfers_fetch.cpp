// Downloading: find holders, fetch the chunk hashes, then pull chunks a window at a time per
// holder until the file is whole; the disk worker checks every chunk and, at the end, the file.
#include <fmt/format.h>

#include <algorithm>

#include "files/transfers.hpp"

namespace peerchat::files {

namespace pb = wire::pb;

std::size_t transfers::running() const {
  return static_cast<std::size_t>(std::count_if(files_.begin(), files_.end(), [](const auto& f) {
    return f.second.state == file_state::fetching;
  }));
}

void transfers::start_queued(instant now) {
  for (const auto& id : order_) {
    if (running() >= cfg_.max_transfers) return;
    entry& e = files_.at(id);
    if (e.state == file_state::queued) start(e, now);
  }
}

void transfers::start(entry& e, instant now) {
  e.state = file_state::fetching;
  e.started = e.last_report = now.mono;
  e.bytes_at_report = 0;
  save(e);
  if (!e.hashes.empty()) {
    e.opening = true;
    actions_.emplace_back(act::open_part{e.offer.id, e.offer.wire.name(), e.offer.wire.size(),
                                         e.offer.wire.chunk_size(), e.hashes});
  }
  ask_holders(e, neighbours_, now);
}

// The offerer holds the file; neighbours may (they answer FileHave, or refuse). The hashes
// come from the offerer, or from anyone once the offerer has not sent them for a while.
void transfers::ask_holders(entry& e, const std::vector<peer_id>& neighbours, instant now) {
  const bool first = e.next_ask == microseconds{0} || e.next_ask < e.started;
  e.next_ask = now.mono + ask_holders_every;
  auto ask = [&](const peer_id& to, bool hashes) {
    pb::Frame f;
    auto* req = f.mutable_file_request();
    req->set_file_id(e.offer.id);
    req->set_have(true);
    req->set_hashes(hashes && e.hashes.empty());
    send(to, std::move(f));
  };
  if (e.offer.from != self_) ask(e.offer.from, true);
  if (!e.offer.to_room) return;
  for (const auto& n : neighbours)
    if (n != e.offer.from) ask(n, !first);
}

void transfers::handle_hashes(const peer_id&, const pb::FileHashes& msg, instant) {
  entry* e = by_id(msg.file_id());
  if (!e || e->state != file_state::fetching || !e->hashes.empty()) return;
  if (msg.hashes().size() != std::size_t{e->offer.chunk_count()} * 32 ||
      hashes_root(msg.hashes()) != e->offer.wire.chunk_hashes_root())
    return;  // not this file's: someone else will send the right ones
  e->hashes = msg.hashes();
  save(*e);
  e->opening = true;
  actions_.emplace_back(act::open_part{e->offer.id, e->offer.wire.name(), e->offer.wire.size(),
                                       e->offer.wire.chunk_size(), e->hashes});
}

void transfers::on_part_opened(const std::string& id, std::optional<std::vector<bool>> held,
                               std::string error, instant now) {
  entry* e = by_id(id);
  if (!e || e->state != file_state::fetching || !e->opening) return;
  e->opening = false;
  if (!held || held->size() != e->offer.chunk_count()) {
    fail(*e, error.empty() ? "cannot open the partial file" : error);
    return start_queued(now);
  }
  e->schedule.emplace(std::move(*held));
  for (auto& [holder, bitmap] : e->early_holders) e->schedule->add_holder(holder, std::move(bitmap));
  e->early_holders.clear();
  e->bytes_at_report = info(*e).bytes;
  if (e->schedule->complete() && !e->finishing) {
    e->finishing = true;
    actions_.emplace_back(act::finish{e->offer.id, e->offer.wire.name(), e->offer.wire.sha256()});
    return;
  }
  request_chunks(*e, now);
}

void transfers::handle_have(const peer_id& from, const pb::FileHave& msg, instant now) {
  entry* e = by_id(msg.file_id());
  if (!e || e->state != file_state::fetching || from == self_) return;
  auto& early = e->early_holders;
  early.erase(std::remove_if(early.begin(), early.end(), [&](const auto& h) { return h.first == from; }), early.end());
  if (!msg.refused().empty()) {
    if (e->schedule) e->schedule->drop_holder(from);
    return;
  }
  std::vector<bool> bitmap;  // empty: all of it
  if (!msg.complete()) {
    const std::uint32_t n = e->offer.chunk_count();
    if (msg.bitmap().size() != (n + 7) / 8) return;
    bitmap.resize(n);
    bool any = false;
    for (std::uint32_t i = 0; i < n; ++i)
      any |= bitmap[i] = (static_cast<unsigned char>(msg.bitmap()[i / 8]) >> (i % 8)) & 1;
    if (!any) return;
  }
  if (!e->schedule) {
    early.emplace_back(from, std::move(bitmap));
    return;
  }
  if (e->schedule->bad_chunks_from(from) >= chunk_schedule::max_bad_chunks) return;
  e->schedule->add_holder(from, std::move(bitmap));
  request_chunks(*e, now);
}

void transfers::request_chunks(entry& e, instant now) {
  if (!e.schedule || e.finishing) return;
  for (auto& [holder, chunks] : e.schedule->next_requests(now.mono)) {
    pb::Frame f;
    auto* req = f.mutable_file_request();
    req->set_file_id(e.offer.id);
    for (auto index : chunks) req->add_chunks(index);
    send(holder, std::move(f));
  }
}

void transfers::handle_chunk(const peer_id& from, pb::FileChunk& msg, instant) {
  entry* e = by_id(msg.file_id());
  if (!e || e->state != file_state::fetching || !e->schedule) return;
  const std::uint32_t index = msg.index();
  const std::size_t overhead = e->offer.sealed_chunks() ? sealed_chunk_overhead : 0;
  if (index >= e->offer.chunk_count() || msg.data().size() != e->offer.chunk_length(index) + overhead) return;
  if (!e->schedule->arrived(index, from)) return;  // unasked, or too late: asked elsewhere
  actions_.emplace_back(act::write_chunk{e->offer.id, index, e->offer.chunk_offset(index),
                                         std::move(*msg.mutable_data()),
                                         e->hashes.substr(std::size_t{index} * 32, 32), from,
                                         e->offer.wire.key()});
}

void transfers::on_chunk_written(const std::string& id, std::uint32_t index, const peer_id& from,
                                 write_result result, instant now) {
  entry* e = by_id(id);
  if (!e || e->state != file_state::fetching || !e->schedule) return;
  switch (result) {
    case write_result::ok:
      e->schedule->written(index);
      break;
    case write_result::bad_hash:
      e->schedule->failed(index, from, true);
      emit(ui_event::warning{"bad-chunk",
                             fmt::format("{} sent a corrupt chunk {} of {}; fetching it elsewhere",
                                         from.short_hex(), index, e->offer.wire.name()),
                             {}, peer_info{from, {}, {}}, {}});
      break;
    case write_result::io_error:
      fail(*e, "cannot write the partial file (disk full or not writable?)");
      return start_queued(now);
  }
  if (e->schedule->complete()) {
    if (!e->finishing) {
      e->finishing = true;
      report_progress(*e, now, true);
      actions_.emplace_back(act::finish{e->offer.id, e->offer.wire.name(), e->offer.wire.sha256()});
    }
    return;
  }
  request_chunks(*e, now);
  report_progress(*e, now, false);
}

void transfers::on_finished(const std::string& id, std::optional<std::string> path,
                            std::string sha256_or_error, instant now) {
  entry* e = by_id(id);
  if (!e || e->state != file_state::fetching || !e->finishing) return;  // only the finish we asked for
  e->finishing = false;
  if (!path) {
    fail(*e, sha256_or_error);
  } else {
    e->state = file_state::complete;
    e->path = std::move(*path);
    e->schedule.reset();
    save(*e);
    emit(ui_event::file_complete{hex(id), e->path, hex(sha256_or_error)});
  }
  start_queued(now);
}

void transfers::report_progress(entry& e, instant now, bool force) {
  if (!force && now.mono - e.last_report < progress_every) return;
  const std::uint64_t bytes = info(e).bytes;
  const auto elapsed = std::max<std::int64_t>((now.mono - e.last_report).count(), 1);
  const std::uint64_t rate = (bytes - std::min(bytes, e.bytes_at_report)) * 1'000'000 / static_cast<std::uint64_t>(elapsed);
  e.last_report = now.mono;
  e.bytes_at_report = bytes;
  emit(ui_event::file_progress{hex(e.offer.id), bytes, e.offer.wire.size(), rate,
                               e.schedule ? e.schedule->usable_holders() : 0});
}

void transfers::fail(entry& e, std::string reason) {
  e.state = file_state::failed;
  e.schedule.reset();
  e.early_holders.clear();
  e.opening = e.finishing = false;
  save(e);
  actions_.emplace_back(act::discard{e.offer.id, e.offer.wire.name()});
  emit(ui_event::file_failed{hex(e.offer.id), std::move(reason)});
}

}  // namespace peerchat::files
