#include "files/file_offer.hpp"

#include <gtest/gtest.h>

#include "../test_ids.hpp"

namespace peerchat::files {
namespace {

wire::pb::FileOffer valid_offer(std::uint64_t size = 1000) {
  wire::pb::FileOffer o;
  o.set_name("notes.txt");
  o.set_size(size);
  o.set_chunk_size(chunk_bytes);
  o.set_sha256(std::string(32, 'a'));
  o.set_chunk_hashes_root(std::string(32, 'b'));
  o.set_nonce(std::string(16, 'c'));
  return o;
}

TEST(safe_file_name, keeps_only_the_last_path_component) {
  EXPECT_EQ(safe_file_name("../../etc/passwd"), "passwd");
  EXPECT_EQ(safe_file_name("/abs/path/x.bin"), "x.bin");
  EXPECT_EQ(safe_file_name("dir\\evil.exe"), "evil.exe");
}

TEST(safe_file_name, never_hidden_empty_or_a_directory_name) {
  EXPECT_EQ(safe_file_name(".bashrc"), "bashrc");
  EXPECT_EQ(safe_file_name(".."), "file");
  EXPECT_EQ(safe_file_name("a/"), "file");
  EXPECT_EQ(safe_file_name(""), "file");
  EXPECT_EQ(safe_file_name(" . x"), "x");
}

TEST(safe_file_name, drops_control_characters) {
  EXPECT_EQ(safe_file_name(std::string("a\nb\x1b[31mc\x7f", 11)), "ab[31mc");
}

TEST(safe_file_name, is_always_utf8) {
  EXPECT_EQ(safe_file_name("caf\xe9.txt"), "caf?.txt");  // Latin-1
  EXPECT_EQ(safe_file_name("caf\xc3\xa9.txt"), "caf\xc3\xa9.txt");
}

TEST(safe_file_name, cuts_long_names_on_a_character_boundary) {
  std::string name;
  while (name.size() < 300) name += "\xc3\xa9";  // é, two bytes each
  const std::string safe = safe_file_name(name);
  EXPECT_LE(safe.size(), max_name_bytes);
  EXPECT_EQ(safe.size() % 2, 0u) << "no half character left at the end";
}

TEST(check_offer, accepts_a_well_formed_offer_and_counts_its_chunks) {
  std::string why;
  auto offer = check_offer(testing_ids::id_of(1), valid_offer(2 * chunk_bytes + 1), true, 1 << 30, why);
  ASSERT_TRUE(offer) << why;
  EXPECT_EQ(offer->chunk_count(), 3u);
  EXPECT_EQ(offer->chunk_length(0), chunk_bytes);
  EXPECT_EQ(offer->chunk_length(2), 1u);
  EXPECT_EQ(offer->chunk_offset(2), 2ull * chunk_bytes);
}

TEST(check_offer, refuses_what_is_malformed_or_too_big) {
  std::string why;
  auto o = valid_offer();
  o.set_sha256("short");
  EXPECT_FALSE(check_offer(testing_ids::id_of(1), o, true, 1 << 30, why));
  o = valid_offer();
  o.set_chunk_size(0);
  EXPECT_FALSE(check_offer(testing_ids::id_of(1), o, true, 1 << 30, why));
  o = valid_offer();
  o.set_size(std::uint64_t{max_chunks} * chunk_bytes + 1);
  EXPECT_FALSE(check_offer(testing_ids::id_of(1), o, true, ~0ull, why));
  o = valid_offer(5000);
  EXPECT_FALSE(check_offer(testing_ids::id_of(1), o, true, 4999, why));
  EXPECT_NE(why.find("limit"), std::string::npos) << why;
  o = valid_offer();
  o.set_name("");
  EXPECT_FALSE(check_offer(testing_ids::id_of(1), o, true, 1 << 30, why));
  o = valid_offer();
  o.set_name("caf\xe9.txt");
  EXPECT_FALSE(check_offer(testing_ids::id_of(1), o, true, 1 << 30, why));
  EXPECT_NE(why.find("name"), std::string::npos) << why;
}

TEST(file_id, depends_on_the_offerer_and_the_offer) {
  const auto o = valid_offer();
  EXPECT_EQ(file_id_of(testing_ids::id_of(1), o), file_id_of(testing_ids::id_of(1), o));
  EXPECT_NE(file_id_of(testing_ids::id_of(1), o), file_id_of(testing_ids::id_of(2), o));
  auto other = o;
  other.set_nonce(std::string(16, 'd'));
  EXPECT_NE(file_id_of(testing_ids::id_of(1), o), file_id_of(testing_ids::id_of(1), other));
  EXPECT_EQ(file_id_of(testing_ids::id_of(1), o).size(), file_id_bytes);
}

}  // namespace
}  // namespace peerchat::files

namespace peerchat::files {
namespace {

TEST(sealed_chunk, opens_with_its_key_file_and_index_only) {
  const std::string key(chunk_key_bytes, 'k'), id(file_id_bytes, 'i'), chunk = "some bytes of a private file";
  const std::string sealed = seal_chunk(key, id, 3, chunk);
  EXPECT_EQ(sealed.size(), chunk.size() + sealed_chunk_overhead);
  EXPECT_EQ(sealed.find(chunk), std::string::npos) << "a relay sees no plaintext";
  EXPECT_EQ(open_chunk(key, id, 3, sealed), chunk);
  EXPECT_FALSE(open_chunk(key, id, 4, sealed)) << "moved to another index";
  EXPECT_FALSE(open_chunk(key, std::string(file_id_bytes, 'j'), 3, sealed)) << "moved to another file";
  EXPECT_FALSE(open_chunk(std::string(chunk_key_bytes, 'x'), id, 3, sealed));
  std::string altered = sealed;
  altered.back() = static_cast<char>(altered.back() ^ 1);
  EXPECT_FALSE(open_chunk(key, id, 3, altered));
  EXPECT_NE(seal_chunk(key, id, 3, chunk), sealed) << "a fresh nonce each time";
}

TEST(check_offer, a_key_only_on_private_offers) {
  std::string why;
  auto o = valid_offer();
  o.set_key(std::string(chunk_key_bytes, 'k'));
  EXPECT_TRUE(check_offer(testing_ids::id_of(1), o, false, 1 << 30, why)) << why;
  EXPECT_FALSE(check_offer(testing_ids::id_of(1), o, true, 1 << 30, why)) << "a room offer's key would be public";
  o.set_key("short");
  EXPECT_FALSE(check_offer(testing_ids::id_of(1), o, false, 1 << 30, why));
}

}  // namespace
}  // namespace peerchat::files
