// files/transfers: the file transfer core fed hostile offers and frames (requests, chunks,
// hashes and bitmaps of any shape, for known and unknown files, from several members) mixed
// with commands and with disk results that succeed or fail. Checks that reads for others stay
// within their bound, and that every chunk handed to the disk is one we asked for, of the
// length its offer gives.
#include <set>

#include "files/transfers.hpp"
#include "fuzz/fuzz_input.hpp"
#include "fuzz/peer_ids.hpp"

namespace {

using namespace peerchat;
using fuzz::input_reader;
namespace pb = wire::pb;

constexpr std::size_t members = 4;  // index 0 is us

struct transfers_under_test {
  config cfg = [] {
    config c;
    c.max_transfers = 2;
    return c;
  }();
  files::transfers core{cfg, fuzz::fixed_peer(0)};
  std::vector<std::string> ids;  // files offered so far (raw ids), for frames that name them
  std::vector<files::act::read_chunk> reads;
  std::vector<files::act::write_chunk> writes;
  std::set<std::string> opened;
  microseconds clock{1'000'000};

  instant now() const { return {clock, clock}; }

  std::string some_id(input_reader& in) {
    const std::uint8_t pick = in.byte();
    if (ids.empty() || pick == 0xff) return in.bytes();
    return ids[pick % ids.size()];
  }

  void drain() {
    for (auto& a : core.take_actions()) {
      if (auto* e = std::get_if<files::act::emit>(&a)) {
        if (auto* offer = std::get_if<ui_event::file_offer>(&e->event)) {
          std::string raw;
          for (std::size_t i = 0; i + 1 < offer->file.id.size(); i += 2)
            raw += static_cast<char>(std::stoi(offer->file.id.substr(i, 2), nullptr, 16));
          if (std::find(ids.begin(), ids.end(), raw) == ids.end()) ids.push_back(raw);
        }
      } else if (auto* r = std::get_if<files::act::read_chunk>(&a)) {
        reads.push_back(*r);
      } else if (auto* w = std::get_if<files::act::write_chunk>(&a)) {
        FUZZ_CHECK(w->hash.size() == 32);
        FUZZ_CHECK(!w->data.empty() || w->offset == 0);
        writes.push_back(std::move(*w));
      } else if (auto* o = std::get_if<files::act::open_part>(&a)) {
        opened.insert(o->id);
      }
    }
    FUZZ_CHECK(core.uploads_in_flight() <= files::transfers::max_uploads);
    FUZZ_CHECK(reads.size() <= files::transfers::max_uploads);
  }

  pb::FileOffer offer(input_reader& in) {
    pb::FileOffer o;
    o.set_name(in.byte() == 0 ? in.bytes() : "f.bin");
    const std::uint8_t shape = in.byte();
    o.set_size(shape == 0xff ? in.u64() : std::uint64_t{shape} * 100'000);
    o.set_chunk_size(in.byte() == 0 ? static_cast<std::uint32_t>(in.u64()) : files::chunk_bytes);
    o.set_sha256(std::string(32, static_cast<char>(in.byte())));
    o.set_chunk_hashes_root(in.byte() == 0 ? in.bytes() : std::string(32, 'r'));
    o.set_nonce(std::string(16, static_cast<char>(in.byte())));
    return o;
  }

  void run(std::uint8_t op, input_reader& in) {
    const peer_id from = fuzz::fixed_peer(1 + in.byte() % (members - 1));
    switch (op % 12) {
      case 0: core.on_offer(from, offer(in), in.byte() & 1, now()); break;
      case 1: core.get(files::hex(some_id(in)).substr(0, 4 + in.byte() % 29), now()); break;
      case 2: core.cancel(files::hex(some_id(in)), now()); break;
      case 3: {
        pb::Frame f;
        auto* r = f.mutable_file_request();
        r->set_file_id(some_id(in));
        for (std::uint8_t n = in.byte() % 40; n > 0; --n) r->add_chunks(in.byte() == 0xff ? static_cast<std::uint32_t>(in.u64()) : in.byte());
        r->set_hashes(in.byte() & 1);
        r->set_have(in.byte() & 1);
        core.on_frame(from, f, now());
        break;
      }
      case 4: {
        pb::Frame f;
        auto* c = f.mutable_file_chunk();
        c->set_file_id(some_id(in));
        c->set_index(in.byte());
        c->set_data(std::string(in.byte() == 0 ? files::chunk_bytes : in.u16(), 'c'));
        core.on_frame(from, f, now());
        break;
      }
      case 5: {
        pb::Frame f;
        f.mutable_file_hashes()->set_file_id(some_id(in));
        f.mutable_file_hashes()->set_hashes(in.bytes());
        core.on_frame(from, f, now());
        break;
      }
      case 6: {
        pb::Frame f;
        auto* h = f.mutable_file_have();
        h->set_file_id(some_id(in));
        h->set_complete(in.byte() & 1);
        h->set_bitmap(in.bytes());
        if (in.byte() == 0) h->set_refused("no");
        core.on_frame(from, f, now());
        break;
      }
      case 7:  // the disk opened a part (holding some chunks), or could not
        if (!opened.empty()) {
          const std::string id = *opened.begin();
          opened.erase(opened.begin());
          std::vector<bool> held(in.u16() % 64);
          for (std::size_t i = 0; i < held.size(); ++i) held[i] = in.byte() & 1;
          core.on_part_opened(id, in.byte() == 0 ? std::nullopt : std::optional(held), "disk says no", now());
        }
        break;
      case 8:
        if (!writes.empty()) {
          auto w = std::move(writes.front());
          writes.erase(writes.begin());
          core.on_chunk_written(w.id, w.index, w.from, static_cast<files::write_result>(in.byte() % 3), now());
        }
        break;
      case 9:
        if (!reads.empty()) {
          auto r = reads.front();
          reads.erase(reads.begin());
          core.on_chunk_read(r.id, r.index, r.to, in.byte() == 0 ? std::nullopt : std::optional(std::string(r.length, 'd')));
        }
        break;
      case 10: core.on_finished(some_id(in), in.byte() & 1 ? std::optional<std::string>("/d/f") : std::nullopt, std::string(32, 's'), now()); break;
      case 11:
        clock += microseconds{in.u16() * 1000};
        core.on_tick(now(), {fuzz::fixed_peer(1), fuzz::fixed_peer(2)});
        if (in.byte() == 0) core.on_member_gone(from);
        if (in.byte() == 0) core.list();
        break;
    }
    drain();
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return peerchat::fuzz::run_operations<transfers_under_test>(data, size);
}
