// File transfer, sans-IO: the offers a node knows, the files it serves (its own and those it
// downloaded) and its downloads. A receiver pulls: it asks holders for their chunk bitmaps and
// the chunk hashes, then for chunks, a window at a time per holder (chunk_schedule), and has
// each written by the disk worker, which checks the chunk's hash first. Holders are the
// offerer and any member that answers a FileHave, so a popular file is fetched from many.
//
// Inputs: an offer seen in the room or in a private message, a command, a frame from a member
// (over a link or a relay: the caller routes), a disk worker's result, a tick. Outputs: the
// actions below. Single-threaded, like the room.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>
#include <vector>

#include "core/clock.hpp"
#include "core/config.hpp"
#include "core/ids.hpp"
#include "files/chunk_schedule.hpp"
#include "files/file_offer.hpp"
#include "node/events.hpp"
#include "proto/peerchat.pb.h"

namespace peerchat::files {

enum class file_state : std::uint8_t {
  offered = 0,    // seen, not accepted
  queued = 1,     // accepted, waiting for a transfer slot
  fetching = 2,
  complete = 3,   // downloaded and checked; we serve it
  shared = 4,     // our own offer; we serve it
  failed = 5,
  cancelled = 6,  // refused, cancelled, or (ours) withdrawn
};
const char* to_string(file_state s);

// What the store keeps of a file across restarts.
struct file_record {
  std::string id;
  peer_id from;
  bool to_room = true;
  peer_id to;          // a private offer's recipient
  std::string offer;   // serialized wire::pb::FileOffer
  file_state state = file_state::offered;
  std::string path;    // ours: the file offered; a download: the finished file
  std::string hashes;  // the chunk hashes, once known
  microseconds seen{0};
  bool delivered = false;  // a private offer of ours: its recipient acknowledged it
};

namespace act {
struct send { peer_id to; wire::pb::Frame frame; bool bulk = false; };
struct emit { ui_event_t event; };
struct save { file_record record; };
// Offer our file: to the room as an event, or to one member privately.
// Made only once the `save` before it is done, so an offer seen is an offer remembered;
// `announce`, a private offer's file-offer event, is shown then too.
struct publish { std::optional<peer_id> to; wire::pb::FileOffer offer; std::optional<ui_event_t> announce; };
// Disk work, answered through the on_* inputs below.
// A chunk to serve; with a key (a private file), sealed before it leaves (seal_chunk).
struct read_chunk { std::string id; std::string path; std::uint32_t index; std::uint64_t offset;
                    std::uint32_t length; std::string hash; peer_id to; std::string key; };
struct open_part { std::string id; std::string name; std::uint64_t size; std::uint32_t chunk_size;
                   std::string hashes; };
// A chunk that arrived; with a key, opened (open_chunk) before its hash is checked.
struct write_chunk { std::string id; std::uint32_t index; std::uint64_t offset; std::string data;
                     std::string hash; peer_id from; std::string key; };
struct finish { std::string id; std::string name; std::string sha256; };
struct discard { std::string id; std::string name; };  // remove the .part and its chunk record
}  // namespace act

using action = std::variant<act::send, act::emit, act::save, act::publish, act::read_chunk,
                            act::open_part, act::write_chunk, act::finish, act::discard>;

enum class write_result { ok, bad_hash, io_error };

class transfers {
public:
  transfers(const config& cfg, const peer_id& self);

  void restore(std::vector<file_record> records, instant now);
  // Our private offers not yet acknowledged, for the room to deliver again after a restart
  // (its outbox is not stored for them; a recipient that has one already ignores the copy).
  std::vector<std::pair<peer_id, wire::pb::FileOffer>> own_private_offers() const;
  // The recipient acknowledged our private offer: it is not offered again after a restart.
  void on_private_offer_delivered(const wire::pb::FileOffer& offer);

  // Our file, hashed by the disk worker: offer it to one member, or the room.
  void share(std::optional<peer_id> to, std::string path, std::uint64_t size, std::string hashes,
             std::string sha256, instant now);
  void on_offer(const peer_id& from, const wire::pb::FileOffer& offer, bool to_room, instant now);
  // Commands; `which` is a file id or its first hex digits (at least 4).
  void get(std::string_view which, instant now);
  void cancel(std::string_view which, instant now);
  void list();

  // The members we hold links to: asked whether they hold a file we fetch.
  void set_neighbours(std::vector<peer_id> neighbours) { neighbours_ = std::move(neighbours); }
  void on_frame(const peer_id& from, wire::pb::Frame frame, instant now);
  void on_tick(instant now, const std::vector<peer_id>& neighbours);
  void on_member_gone(const peer_id& peer);

  // The disk worker's answers.
  void on_chunk_read(const std::string& id, std::uint32_t index, const peer_id& to,
                     std::optional<std::string> data);
  void on_part_opened(const std::string& id, std::optional<std::vector<bool>> held, std::string error,
                      instant now);
  void on_chunk_written(const std::string& id, std::uint32_t index, const peer_id& from,
                        write_result result, instant now);
  void on_finished(const std::string& id, std::optional<std::string> path, std::string sha256_or_error,
                   instant now);

  std::vector<action> take_actions() { return std::exchange(actions_, {}); }
  microseconds next_deadline() const;
  std::size_t uploads_in_flight() const { return uploads_; }

  static constexpr std::size_t max_files = 1000;         // offers and files remembered
  static constexpr std::size_t max_uploads = 64;         // chunk reads for others at once
  static constexpr std::size_t max_uploads_per_peer = 2 * chunk_schedule::window;
  static constexpr microseconds tick_every{250'000};
  static constexpr microseconds progress_every{500'000};
  static constexpr microseconds ask_holders_every{3'000'000};

private:
  struct entry {
    entry(file_offer o, peer_id recipient, file_state s, std::string p, std::string h, microseconds when)
        : offer(std::move(o)), to(recipient), state(s), path(std::move(p)), hashes(std::move(h)), seen(when) {}
    file_offer offer;
    peer_id to;  // a private offer's recipient
    file_state state = file_state::offered;
    std::string path;
    std::string hashes;
    microseconds seen{0};
    bool delivered = false;  // a private offer of ours that its recipient acknowledged
    std::optional<chunk_schedule> schedule;  // while fetching, once the .part is open
    std::vector<std::pair<peer_id, std::vector<bool>>> early_holders;  // before the .part opened
    bool opening = false, finishing = false;
    microseconds next_ask{0}, started{0}, last_report{0};
    std::uint64_t bytes_at_report = 0;
  };

  entry* find(std::string_view which);  // by id prefix; emits the error when none or many
  entry* by_id(const std::string& id);
  void remember(entry e);
  void save(const entry& e);
  void emit(ui_event_t e) { actions_.emplace_back(act::emit{std::move(e)}); }
  void send(const peer_id& to, wire::pb::Frame f, bool bulk = false) {
    actions_.emplace_back(act::send{to, std::move(f), bulk});
  }
  ui_event::file_info info(const entry& e) const;
  bool serves(const entry& e) const;
  std::vector<bool> held_bitmap(const entry& e) const;

  // Serving (transfers_serve.cpp).
  void handle_request(const peer_id& from, const wire::pb::FileRequest& req);
  void refuse(const peer_id& to, const std::string& id, std::string why);

  // Fetching (transfers_fetch.cpp).
  void start_queued(instant now);
  void start(entry& e, instant now);
  void ask_holders(entry& e, const std::vector<peer_id>& neighbours, instant now);
  void handle_hashes(const peer_id& from, const wire::pb::FileHashes& msg, instant now);
  void handle_have(const peer_id& from, const wire::pb::FileHave& msg, instant now);
  void handle_chunk(const peer_id& from, wire::pb::FileChunk& msg, instant now);
  void request_chunks(entry& e, instant now);
  void report_progress(entry& e, instant now, bool force);
  void fail(entry& e, std::string reason);
  std::size_t running() const;

  const config& cfg_;
  peer_id self_;
  std::unordered_map<std::string, entry> files_;
  std::deque<std::string> order_;  // ids, oldest first: what to forget when full
  std::unordered_map<peer_id, std::size_t> uploads_by_peer_;
  std::size_t uploads_ = 0;
  std::vector<peer_id> neighbours_;
  microseconds next_tick_{0};
  std::vector<action> actions_;
};

}  // namespace peerchat::files
