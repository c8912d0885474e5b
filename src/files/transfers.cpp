// Offers, commands and the table of files; serving is in transfers_serve.cpp, downloading in
// transfers_fetch.cpp.
#include "files/transfers.hpp"

#include <fmt/format.h>
#include <sodium.h>

#include <algorithm>

namespace peerchat::files {

namespace pb = wire::pb;

const char* to_string(file_state s) {
  switch (s) {
    case file_state::offered: return "offered";
    case file_state::queued: return "queued";
    case file_state::fetching: return "fetching";
    case file_state::complete: return "complete";
    case file_state::shared: return "shared";
    case file_state::failed: return "failed";
    case file_state::cancelled: return "cancelled";
  }
  return "?";
}

transfers::transfers(const config& cfg, const peer_id& self) : cfg_(cfg), self_(self) {}

void transfers::restore(std::vector<file_record> records, instant now) {
  std::sort(records.begin(), records.end(), [](const auto& a, const auto& b) { return a.seen < b.seen; });
  for (auto& r : records) {
    pb::FileOffer wire_offer;
    std::string why;
    if (!wire_offer.ParseFromString(r.offer)) continue;
    auto offer = check_offer(r.from, wire_offer, r.to_room, std::numeric_limits<std::uint64_t>::max(), why);
    if (!offer || offer->id != r.id) continue;
    entry e{*offer, r.to, r.state, std::move(r.path), std::move(r.hashes), r.seen};
    e.delivered = r.delivered;
    if (e.state == file_state::fetching) e.state = file_state::queued;  // resumes below
    remember(std::move(e));
  }
  start_queued(now);
}

std::vector<std::pair<peer_id, pb::FileOffer>> transfers::own_private_offers() const {
  std::vector<std::pair<peer_id, pb::FileOffer>> out;
  for (const auto& id : order_) {
    const entry& e = files_.at(id);
    if (e.offer.from == self_ && !e.offer.to_room && e.state == file_state::shared && !e.delivered)
      out.emplace_back(e.to, e.offer.wire);
  }
  return out;
}

void transfers::on_private_offer_delivered(const pb::FileOffer& offer) {
  auto it = files_.find(file_id_of(self_, offer));
  if (it == files_.end() || it->second.delivered) return;
  it->second.delivered = true;
  save(it->second);
}

void transfers::share(std::optional<peer_id> to, std::string path, std::uint64_t size, std::string hashes,
                      std::string sha256, instant now) {
  pb::FileOffer wire_offer;
  const auto slash = path.find_last_of('/');
  wire_offer.set_name(safe_file_name(slash == path.npos ? path : path.substr(slash + 1)));
  wire_offer.set_size(size);
  wire_offer.set_chunk_size(chunk_bytes);
  wire_offer.set_sha256(std::move(sha256));
  wire_offer.set_chunk_hashes_root(hashes_root(hashes));
  std::string nonce(16, '\0');
  randombytes_buf(nonce.data(), nonce.size());
  wire_offer.set_nonce(std::move(nonce));
  if (to) {  // a private file: its chunks are sealed, so the members relaying them see nothing
    std::string key(chunk_key_bytes, '\0');
    randombytes_buf(key.data(), key.size());
    wire_offer.set_key(std::move(key));
  }
  std::string why;
  auto offer = check_offer(self_, wire_offer, !to, cfg_.max_file_bytes, why);
  if (!offer) return emit(ui_event::error{fmt::format("cannot offer {}: {}", path, why)});
  entry e{*offer, to.value_or(peer_id{}), file_state::shared, std::move(path), std::move(hashes), now.wall};
  save(e);
  std::optional<ui_event_t> announce;  // room offers echo as events do
  if (to) announce = ui_event::file_offer{info(e)};
  remember(std::move(e));
  actions_.emplace_back(act::publish{to, std::move(wire_offer), std::move(announce)});
}

void transfers::on_offer(const peer_id& from, const pb::FileOffer& wire_offer, bool to_room, instant now) {
  std::string why;
  auto offer = check_offer(from, wire_offer, to_room, cfg_.max_file_bytes, why);
  if (!offer) {
    if (from != self_)
      emit(ui_event::warning{"file-refused", fmt::format("ignored {} from {}", why, from.short_hex()), {}, peer_info{from, {}, {}}, {}});
    return;
  }
  if (entry* known = by_id(offer->id)) {
    if (from == self_) emit(ui_event::file_offer{info(*known)});  // our own, back from the room
    return;
  }
  entry e{*offer, to_room ? peer_id{} : self_, file_state::offered, {}, {}, now.wall};
  save(e);
  emit(ui_event::file_offer{info(e)});
  const std::string id = e.offer.id;
  remember(std::move(e));
  if (cfg_.auto_accept) get(hex(id), now);
}

void transfers::get(std::string_view which, instant now) {
  entry* e = find(which);
  if (!e) return;
  switch (e->state) {
    case file_state::shared:
    case file_state::complete:
      return emit(ui_event::file_complete{hex(e->offer.id), e->path, hex(e->offer.wire.sha256())});
    case file_state::queued:
    case file_state::fetching:
      return;  // already on its way
    default:
      break;
  }
  e->state = file_state::queued;
  save(*e);
  start_queued(now);
}

void transfers::cancel(std::string_view which, instant now) {
  entry* e = find(which);
  if (!e) return;
  const file_state was = e->state;
  if (was == file_state::complete || was == file_state::cancelled || was == file_state::failed) return;
  e->state = file_state::cancelled;
  e->schedule.reset();
  e->early_holders.clear();
  save(*e);
  if (was == file_state::queued || was == file_state::fetching) {
    actions_.emplace_back(act::discard{e->offer.id, e->offer.wire.name()});
    emit(ui_event::file_failed{hex(e->offer.id), "cancelled", true});
  } else if (was == file_state::shared) {
    emit(ui_event::file_failed{hex(e->offer.id), "withdrawn: no longer served", true});
  }
  start_queued(now);
}

void transfers::list() {
  ui_event::files out;
  for (const auto& id : order_) out.files.push_back(info(files_.at(id)));
  emit(std::move(out));
}

void transfers::on_frame(const peer_id& from, pb::Frame frame, instant now) {
  switch (frame.kind_case()) {
    case pb::Frame::kFileRequest: return handle_request(from, frame.file_request());
    case pb::Frame::kFileChunk: return handle_chunk(from, *frame.mutable_file_chunk(), now);
    case pb::Frame::kFileHashes: return handle_hashes(from, frame.file_hashes(), now);
    case pb::Frame::kFileHave: return handle_have(from, frame.file_have(), now);
    default: return;
  }
}

void transfers::on_tick(instant now, const std::vector<peer_id>& neighbours) {
  neighbours_ = neighbours;
  if (now.mono < next_tick_) return;
  next_tick_ = now.mono + tick_every;
  for (auto& [id, e] : files_) {
    if (e.state != file_state::fetching) continue;
    if (now.mono >= e.next_ask) ask_holders(e, neighbours, now);
    if (e.schedule) {
      e.schedule->expire(now.mono);
      request_chunks(e, now);
      report_progress(e, now, false);
    }
  }
}

void transfers::on_member_gone(const peer_id& peer) {
  for (auto& [id, e] : files_)
    if (e.schedule) e.schedule->drop_holder(peer);
}

microseconds transfers::next_deadline() const {
  for (const auto& [id, e] : files_)
    if (e.state == file_state::fetching) return next_tick_;
  return microseconds::max();
}

transfers::entry* transfers::by_id(const std::string& id) {
  auto it = files_.find(id);
  return it == files_.end() ? nullptr : &it->second;
}

transfers::entry* transfers::find(std::string_view which) {
  std::vector<entry*> found;
  if (which.size() >= 4)
    for (auto& [id, e] : files_)
      if (hex(id).starts_with(which)) found.push_back(&e);
  if (found.size() == 1) return found.front();
  if (found.empty())
    emit(ui_event::error{fmt::format("no file '{}' (see /files)", which.substr(0, 64))});
  else
    emit(ui_event::error{fmt::format("'{}' names {} files: give more of the id", which.substr(0, 64), found.size())});
  return nullptr;
}

// Bounded: when full, forget the oldest offer nobody accepted (never a file we serve or fetch).
void transfers::remember(entry e) {
  const std::string id = e.offer.id;
  if (files_.size() >= max_files) {
    auto victim = std::find_if(order_.begin(), order_.end(), [&](const std::string& old) {
      const file_state s = files_.at(old).state;
      return s == file_state::offered || s == file_state::failed || s == file_state::cancelled;
    });
    if (victim != order_.end()) {
      files_.erase(*victim);
      order_.erase(victim);
    }
  }
  files_.emplace(id, std::move(e));
  order_.push_back(id);
}

void transfers::save(const entry& e) {
  actions_.emplace_back(act::save{file_record{e.offer.id, e.offer.from, e.offer.to_room, e.to,
                                              e.offer.wire.SerializeAsString(), e.state, e.path,
                                              e.hashes, e.seen, e.delivered}});
}

ui_event::file_info transfers::info(const entry& e) const {
  std::uint64_t bytes = 0;
  if (e.state == file_state::complete || e.state == file_state::shared) bytes = e.offer.wire.size();
  else if (e.schedule)
    for (std::uint32_t i = 0; i < e.schedule->chunks(); ++i)
      if (e.schedule->holds(i)) bytes += e.offer.chunk_length(i);
  return {hex(e.offer.id), e.offer.wire.name(), e.offer.wire.size(), peer_info{e.offer.from, {}, {}},
          e.offer.to_room, to_string(e.state), bytes, e.offer.to_room ? peer_info{} : peer_info{e.to, {}, {}}};
}

}  // namespace peerchat::files
