// Serving: answering other members' FileRequests for files we hold, whole or in part.
#include <fmt/format.h>

#include "files/transfers.hpp"

namespace peerchat::files {

namespace pb = wire::pb;

// A file whose chunk hashes we hold (so every chunk we serve is checked against them).
bool transfers::serves(const entry& e) const {
  if (e.hashes.size() != std::size_t{e.offer.chunk_count()} * 32) return false;
  return e.state == file_state::shared || e.state == file_state::complete ||
         (e.state == file_state::fetching && e.schedule);
}

// Bit i (least significant first in each byte) set if chunk i is on our disk.
std::vector<bool> transfers::held_bitmap(const entry& e) const {
  std::vector<bool> held(e.offer.chunk_count(), serves(e) && !e.schedule);
  if (e.schedule)
    for (std::uint32_t i = 0; i < held.size(); ++i) held[i] = e.schedule->holds(i);
  return held;
}

void transfers::refuse(const peer_id& to, const std::string& id, std::string why) {
  pb::Frame f;
  auto* have = f.mutable_file_have();
  have->set_file_id(id);
  have->set_refused(std::move(why));
  send(to, std::move(f));
}

void transfers::handle_request(const peer_id& from, const pb::FileRequest& req) {
  entry* e = by_id(req.file_id());
  if (!e || !serves(*e)) return refuse(from, req.file_id(), "not held here");
  // A private file goes to the other party only.
  if (!e->offer.to_room && from != (e->offer.from == self_ ? e->to : e->offer.from))
    return refuse(from, req.file_id(), "not offered to you");
  if (req.have()) {
    pb::Frame f;
    auto* have = f.mutable_file_have();
    have->set_file_id(req.file_id());
    if (e->schedule) {
      std::string bitmap((e->offer.chunk_count() + 7) / 8, '\0');
      const auto held = held_bitmap(*e);
      for (std::uint32_t i = 0; i < held.size(); ++i)
        if (held[i]) bitmap[i / 8] = static_cast<char>(bitmap[i / 8] | (1 << (i % 8)));
      have->set_bitmap(std::move(bitmap));
    } else {
      have->set_complete(true);
    }
    send(from, std::move(f));
  }
  if (req.hashes() && !e->hashes.empty()) {
    pb::Frame f;
    f.mutable_file_hashes()->set_file_id(req.file_id());
    f.mutable_file_hashes()->set_hashes(e->hashes);
    send(from, std::move(f), true);
  }
  // An honest puller keeps a window per holder; more than twice that in flight is ignored (it
  // asks again after its timeout), so no member can make us queue unbounded reads.
  std::size_t& theirs = uploads_by_peer_[from];
  for (std::uint32_t index : req.chunks()) {
    if (index >= e->offer.chunk_count()) continue;
    if (e->schedule && !e->schedule->holds(index)) continue;
    if (uploads_ >= max_uploads || theirs >= max_uploads_per_peer) break;
    ++uploads_;
    ++theirs;
    const std::string path = e->schedule ? std::string{} : e->path;  // empty: the .part
    actions_.emplace_back(act::read_chunk{e->offer.id, path, index, e->offer.chunk_offset(index),
                                          e->offer.chunk_length(index),
                                          e->hashes.substr(std::size_t{index} * 32, 32), from,
                                          e->offer.wire.key()});
  }
  if (theirs == 0) uploads_by_peer_.erase(from);
}

void transfers::on_chunk_read(const std::string& id, std::uint32_t index, const peer_id& to,
                              std::optional<std::string> data) {
  if (uploads_ > 0) --uploads_;
  if (auto it = uploads_by_peer_.find(to); it != uploads_by_peer_.end() && --it->second == 0)
    uploads_by_peer_.erase(it);
  entry* e = by_id(id);
  if (!e) return;
  if (!data) {
    // Our copy no longer matches its hashes (changed on disk, or unreadable): stop serving it.
    if (e->state == file_state::shared || e->state == file_state::complete) {
      e->state = file_state::failed;
      save(*e);
      emit(ui_event::file_failed{hex(id), fmt::format("{} changed or became unreadable: no longer served", e->path)});
    }
    return refuse(to, id, "not held here");
  }
  pb::Frame f;
  auto* chunk = f.mutable_file_chunk();
  chunk->set_file_id(id);
  chunk->set_index(index);
  chunk->set_data(std::move(*data));
  send(to, std::move(f), true);
}

}  // namespace peerchat::files
