// The file transfer core between a few members, with frames passed in memory and a disk made
// of strings that does what the node's disk worker does (check each chunk's hash, then the
// whole file's).
#include "files/transfers.hpp"

#include <gtest/gtest.h>
#include <openssl/sha.h>

#include <deque>
#include <map>
#include <set>

#include "../test_ids.hpp"

namespace peerchat::files {
namespace {

using testing_ids::id_of;

std::string sha256(std::string_view data) {
  std::string d(SHA256_DIGEST_LENGTH, '\0');
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), reinterpret_cast<unsigned char*>(d.data()));
  return d;
}

std::string raw(const std::string& hex_id) {
  std::string out;
  for (std::size_t i = 0; i < hex_id.size(); i += 2) out += static_cast<char>(std::stoi(hex_id.substr(i, 2), nullptr, 16));
  return out;
}

std::string content(std::size_t size, char seed) {
  std::string s(size, '\0');
  for (std::size_t i = 0; i < size; ++i) s[i] = static_cast<char>(seed + i * 7 + i / chunk_bytes);
  return s;
}

struct member {
  explicit member(const config& cfg, peer_id self) : id(self), core(cfg, self) {}
  peer_id id;
  transfers core;
  std::map<std::string, std::string> disk;                        // path -> content
  std::map<std::string, std::map<std::uint32_t, std::string>> parts;  // file id -> chunks
  std::vector<ui_event_t> events;
  std::vector<file_record> saved;  // what the store would hold, in order of saving
  bool corrupt = false;  // serves every chunk with a flipped byte
  std::size_t chunks_served = 0;

  template <class T> std::vector<T> all() const {
    std::vector<T> out;
    for (const auto& e : events)
      if (auto* x = std::get_if<T>(&e)) out.push_back(*x);
    return out;
  }
};

class world : public ::testing::Test {
protected:
  member& add(std::uint8_t tag) {
    auto m = std::make_unique<member>(cfg, id_of(tag));
    auto& ref = *m;
    members.emplace(ref.id, std::move(m));
    return ref;
  }
  instant now() const { return {clock, clock}; }

  // Our own file, hashed as the disk worker would.
  void share(member& from, std::optional<peer_id> to, const std::string& path, const std::string& data) {
    from.disk[path] = data;
    std::string hashes;
    for (std::size_t off = 0; off < data.size(); off += chunk_bytes) hashes += sha256(data.substr(off, chunk_bytes));
    from.core.share(to, path, data.size(), hashes, sha256(data), now());
    run();
  }

  std::string offered_id(member& m) {
    auto offers = m.all<ui_event::file_offer>();
    return offers.empty() ? std::string{} : offers.back().file.id;
  }

  void tick(int times = 1) {
    for (int i = 0; i < times; ++i) {
      clock += transfers::tick_every;
      std::vector<peer_id> everyone;
      for (auto& [id, m] : members) everyone.push_back(id);
      for (auto& [id, m] : members) {
        std::vector<peer_id> others;
        for (auto& p : everyone) if (p != id) others.push_back(p);
        m->core.on_tick(now(), others);
      }
      run();
    }
  }

  // Runs every member's actions until all are quiet.
  void run() {
    for (bool busy = true; busy;) {
      busy = false;
      for (auto& [id, m] : members)
        for (auto& a : m->core.take_actions()) {
          busy = true;
          perform(*m, a);
        }
    }
  }

  void perform(member& m, action& a) {
    std::visit([&](auto& act) {
      using T = std::decay_t<decltype(act)>;
      if constexpr (std::is_same_v<T, act::send>) {
        if (dropped_to.contains(act.to)) return;
        auto it = members.find(act.to);
        if (it != members.end()) it->second->core.on_frame(m.id, act.frame, now());
      } else if constexpr (std::is_same_v<T, act::emit>) {
        m.events.push_back(act.event);
      } else if constexpr (std::is_same_v<T, act::publish>) {
        if (act.announce) m.events.push_back(*act.announce);
        for (auto& [id, other] : members)
          if (id != m.id && (!act.to || *act.to == id)) other->core.on_offer(m.id, act.offer, !act.to, now());
        if (!act.to) m.core.on_offer(m.id, act.offer, true, now());  // the room echoes it
      } else if constexpr (std::is_same_v<T, act::read_chunk>) {
        std::string data;
        if (act.path.empty()) data = m.parts[act.id][act.index];
        else data = m.disk[act.path].substr(act.offset, act.length);
        if (m.corrupt) data[0] = static_cast<char>(data[0] ^ 1);
        ++m.chunks_served;
        const bool ok = sha256(data) == act.hash || m.corrupt;
        if (!act.key.empty()) data = seal_chunk(act.key, act.id, act.index, data);
        m.core.on_chunk_read(act.id, act.index, act.to, ok ? std::optional(data) : std::nullopt);
      } else if constexpr (std::is_same_v<T, act::open_part>) {
        std::vector<bool> held(act.hashes.size() / 32, false);
        for (auto& [i, chunk] : m.parts[act.id]) held[i] = true;
        m.core.on_part_opened(act.id, held, {}, now());
      } else if constexpr (std::is_same_v<T, act::write_chunk>) {
        if (!act.key.empty()) {
          auto opened = open_chunk(act.key, act.id, act.index, act.data);
          if (!opened) return m.core.on_chunk_written(act.id, act.index, act.from, write_result::bad_hash, now());
          act.data = *opened;
        }
        if (sha256(act.data) != act.hash) return m.core.on_chunk_written(act.id, act.index, act.from, write_result::bad_hash, now());
        m.parts[act.id][act.index] = act.data;
        m.core.on_chunk_written(act.id, act.index, act.from, write_result::ok, now());
      } else if constexpr (std::is_same_v<T, act::finish>) {
        std::string whole;
        for (auto& [i, chunk] : m.parts[act.id]) whole += chunk;
        const std::string path = "downloads/" + safe_file_name(act.name);
        if (sha256(whole) != act.sha256) return m.core.on_finished(act.id, std::nullopt, "mismatch", now());
        m.disk[path] = whole;
        m.parts.erase(act.id);
        m.core.on_finished(act.id, path, sha256(whole), now());
      } else if constexpr (std::is_same_v<T, act::discard>) {
        m.parts.erase(act.id);
      } else if constexpr (std::is_same_v<T, act::save>) {
        m.saved.push_back(act.record);
      }
    }, a);
  }

  config cfg;
  microseconds clock{1'000'000};
  std::map<peer_id, std::unique_ptr<member>> members;
  std::set<peer_id> dropped_to;
};

TEST_F(world, a_room_offer_is_fetched_whole_and_checked) {
  auto& alice = add(0xa0);
  auto& bob = add(0xb0);
  const std::string data = content(3 * chunk_bytes + 77, 'x');
  share(alice, std::nullopt, "/home/alice/report.pdf", data);
  const std::string id = offered_id(bob);
  ASSERT_FALSE(id.empty());
  EXPECT_EQ(offered_id(alice), id) << "the offerer sees its own offer, as the room echoes it";
  EXPECT_EQ(bob.all<ui_event::file_offer>().back().file.name, "report.pdf");
  bob.core.get(id.substr(0, 6), now());
  run();
  auto done = bob.all<ui_event::file_complete>();
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(bob.disk.at(done[0].path), data);
  EXPECT_EQ(done[0].sha256, hex(sha256(data)));
}

TEST_F(world, chunks_come_from_every_holder) {
  auto& alice = add(0xa0);
  auto& bob = add(0xb0);
  auto& carol = add(0xc0);
  const std::string data = content(64 * chunk_bytes, 'm');
  share(alice, std::nullopt, "/a/movie", data);
  const std::string id = offered_id(bob);
  carol.core.get(id, now());
  run();
  ASSERT_EQ(carol.all<ui_event::file_complete>().size(), 1u);
  alice.chunks_served = 0;
  tick();  // bob learns who its neighbours are
  bob.core.get(id, now());
  tick(2);
  ASSERT_EQ(bob.all<ui_event::file_complete>().size(), 1u);
  EXPECT_GT(carol.chunks_served, 0u) << "carol, who holds it too, served some";
  EXPECT_GT(alice.chunks_served, 0u);
}

TEST_F(world, a_bad_chunk_is_fetched_elsewhere_and_its_sender_noted) {
  auto& alice = add(0xa0);
  auto& bob = add(0xb0);
  auto& mallory = add(0xee);
  const std::string data = content(40 * chunk_bytes, 'q');
  share(alice, std::nullopt, "/a/x", data);
  const std::string id = offered_id(bob);
  mallory.core.get(id, now());
  run();
  mallory.corrupt = true;
  tick();
  bob.core.get(id, now());
  tick(3);
  ASSERT_EQ(bob.all<ui_event::file_complete>().size(), 1u);
  EXPECT_EQ(bob.disk.at(bob.all<ui_event::file_complete>()[0].path), data);
  bool warned = false;
  for (auto& w : bob.all<ui_event::warning>()) warned |= w.kind == "bad-chunk" && w.peer.id == mallory.id;
  EXPECT_TRUE(warned);
}

TEST_F(world, a_private_file_is_served_to_its_recipient_only) {
  auto& alice = add(0xa0);
  auto& bob = add(0xb0);
  auto& eve = add(0xe0);
  share(alice, bob.id, "/a/diary", content(1000, 'd'));
  EXPECT_TRUE(eve.all<ui_event::file_offer>().empty());
  const std::string id = offered_id(bob);
  ASSERT_FALSE(id.empty());
  EXPECT_FALSE(bob.all<ui_event::file_offer>().back().file.to_room);
  // Eve learns the id somehow and asks alice directly.
  wire::pb::Frame req;
  req.mutable_file_request()->set_file_id(raw(id));
  req.mutable_file_request()->add_chunks(0);
  req.mutable_file_request()->set_have(true);
  alice.core.on_frame(eve.id, req, now());
  auto actions = alice.core.take_actions();
  ASSERT_EQ(actions.size(), 1u);
  auto* refused = std::get_if<act::send>(&actions[0]);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->to, eve.id);
  EXPECT_FALSE(refused->frame.file_have().refused().empty());
  bob.core.get(id, now());
  run();
  EXPECT_EQ(bob.all<ui_event::file_complete>().size(), 1u);
}

// After a restart the room offers again each private offer its recipient has not acknowledged;
// one acknowledged is remembered as delivered and left alone (before, every private offer ever
// made went back into the outbox, whose bound then turned away new private messages).
TEST_F(world, an_acknowledged_private_offer_is_not_offered_again_after_a_restart) {
  auto& alice = add(0xa0);
  auto& bob = add(0xb0);
  share(alice, bob.id, "/a/diary", content(1000, 'd'));
  share(alice, bob.id, "/a/notes", content(2000, 'n'));
  auto pending = alice.core.own_private_offers();
  ASSERT_EQ(pending.size(), 2u);
  EXPECT_EQ(pending[0].first, bob.id);
  const wire::pb::FileOffer diary = pending[0].second;
  ASSERT_EQ(diary.name(), "diary");
  alice.core.on_private_offer_delivered(diary);
  run();
  pending = alice.core.own_private_offers();
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0].second.name(), "notes");
  ASSERT_FALSE(alice.saved.empty());
  EXPECT_TRUE(alice.saved.back().delivered);

  // The last record saved of each file is what a restarted alice reads back.
  std::map<std::string, file_record> latest;
  for (const auto& r : alice.saved) latest[r.id] = r;
  std::vector<file_record> stored;
  for (auto& [id, r] : latest) stored.push_back(r);
  transfers restarted(cfg, alice.id);
  restarted.restore(stored, now());
  pending = restarted.own_private_offers();
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0].second.name(), "notes");
}

TEST_F(world, downloads_beyond_the_limit_wait_their_turn) {
  cfg.max_transfers = 1;
  auto& alice = add(0xa0);
  auto& bob = add(0xb0);
  share(alice, std::nullopt, "/a/one", content(5 * chunk_bytes, '1'));
  const std::string first = offered_id(bob);
  share(alice, std::nullopt, "/a/two", content(5 * chunk_bytes, '2'));
  const std::string second = offered_id(bob);
  dropped_to.insert(bob.id);  // nothing arrives yet
  bob.core.get(first, now());
  bob.core.get(second, now());
  run();
  bob.core.list();
  run();
  auto listed = bob.all<ui_event::files>().back().files;
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0].state, "fetching");
  EXPECT_EQ(listed[1].state, "queued");
  dropped_to.clear();
  tick(30);
  EXPECT_EQ(bob.all<ui_event::file_complete>().size(), 2u);
}

TEST_F(world, an_offer_above_the_size_limit_is_ignored_with_a_warning) {
  auto& alice = add(0xa0);
  auto& bob = add(0xb0);
  cfg.max_file_bytes = 100;  // both share the config: alice cannot offer it either
  share(alice, std::nullopt, "/a/big", content(1000, 'b'));
  EXPECT_FALSE(alice.all<ui_event::error>().empty());
  EXPECT_TRUE(bob.all<ui_event::file_offer>().empty());
}

TEST_F(world, a_cancelled_download_stops_and_forgets_its_part) {
  auto& alice = add(0xa0);
  auto& bob = add(0xb0);
  share(alice, std::nullopt, "/a/x", content(30 * chunk_bytes, 'c'));
  const std::string id = offered_id(bob);
  dropped_to.insert(alice.id);  // requests never arrive: the download hangs
  bob.core.get(id, now());
  run();
  bob.core.cancel(id, now());
  run();
  ASSERT_EQ(bob.all<ui_event::file_failed>().size(), 1u);
  EXPECT_EQ(bob.all<ui_event::file_failed>()[0].reason, "cancelled");
  EXPECT_TRUE(bob.parts.empty());
  dropped_to.clear();
  tick(10);
  EXPECT_TRUE(bob.all<ui_event::file_complete>().empty());
}

TEST_F(world, a_download_resumes_from_the_chunks_it_holds) {
  auto& alice = add(0xa0);
  auto& bob = add(0xb0);
  const std::string data = content(20 * chunk_bytes, 'r');
  share(alice, std::nullopt, "/a/x", data);
  const std::string id = offered_id(bob);
  bob.core.get(id, now());
  run();
  ASSERT_EQ(bob.all<ui_event::file_complete>().size(), 1u);
  // A fresh bob that held half of the chunks when it stopped.
  std::map<std::uint32_t, std::string> half;
  for (std::uint32_t i = 0; i < 10; ++i) half[i] = data.substr(std::size_t{i} * chunk_bytes, chunk_bytes);
  auto& bob2 = add(0xb1);
  share(alice, std::nullopt, "/a/y", data);  // a new offer of the same bytes
  const std::string id2 = offered_id(bob2);
  bob2.parts[raw(id2)] = half;
  alice.chunks_served = 0;
  members.erase(bob.id);
  bob2.core.get(id2, now());
  run();
  ASSERT_EQ(bob2.all<ui_event::file_complete>().size(), 1u);
  EXPECT_EQ(alice.chunks_served, 10u) << "only the missing half was fetched";
}

}  // namespace
}  // namespace peerchat::files
