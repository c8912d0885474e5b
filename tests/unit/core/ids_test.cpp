#include "core/ids.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace peerchat {
namespace {

peer_id::bytes_type counting_bytes() {
  peer_id::bytes_type b{};
  for (std::size_t i = 0; i < b.size(); ++i) b[i] = static_cast<std::uint8_t>(i);
  return b;
}

constexpr std::string_view counting_hex =
    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

TEST(peer_id, from_bytes_accepts_exactly_32_bytes_and_keeps_them) {
  const auto b = counting_bytes();
  const auto id = peer_id::from_bytes({reinterpret_cast<const char*>(b.data()), b.size()});
  ASSERT_TRUE(id);
  EXPECT_EQ(id->bytes(), b);
}

class peer_id_from_bytes_wrong_size : public testing::TestWithParam<std::size_t> {};

TEST_P(peer_id_from_bytes_wrong_size, is_rejected) {
  const std::string raw(GetParam(), '\x01');
  EXPECT_FALSE(peer_id::from_bytes(raw));
}

INSTANTIATE_TEST_SUITE_P(sizes, peer_id_from_bytes_wrong_size,
                         testing::Values(0, 1, 31, 33, 64, 4096));

TEST(peer_id, hex_is_64_lowercase_digits_in_byte_order) {
  EXPECT_EQ(peer_id{counting_bytes()}.hex(), counting_hex);
}

TEST(peer_id, from_hex_round_trips_hex) {
  const peer_id id{counting_bytes()};
  EXPECT_EQ(peer_id::from_hex(id.hex()), id);
}

TEST(peer_id, from_hex_accepts_uppercase_digits) {
  std::string upper(counting_hex);
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_EQ(peer_id::from_hex(upper), peer_id{counting_bytes()});
}

struct bad_hex_case {
  const char* name;
  std::string text;
};

std::string with_char_at(std::size_t pos, char c) {
  std::string s(counting_hex);
  s[pos] = c;
  return s;
}

class peer_id_from_hex_bad_input : public testing::TestWithParam<bad_hex_case> {};

TEST_P(peer_id_from_hex_bad_input, is_rejected) {
  EXPECT_FALSE(peer_id::from_hex(GetParam().text));
}

INSTANTIATE_TEST_SUITE_P(
    cases, peer_id_from_hex_bad_input,
    testing::Values(bad_hex_case{"empty", ""},
                    bad_hex_case{"short_hex_form", std::string(counting_hex.substr(0, 8))},
                    bad_hex_case{"one_digit_short", std::string(counting_hex.substr(1))},
                    bad_hex_case{"one_digit_long", std::string(counting_hex) + "0"},
                    bad_hex_case{"letter_g", with_char_at(10, 'g')},
                    bad_hex_case{"space", with_char_at(0, ' ')},
                    bad_hex_case{"minus_sign", with_char_at(0, '-')},
                    bad_hex_case{"nul_byte", with_char_at(63, '\0')},
                    bad_hex_case{"high_bit_byte", with_char_at(31, '\xc3')},
                    bad_hex_case{"prefix_0x", "0x" + std::string(counting_hex.substr(2))}),
    [](const auto& p) { return std::string(p.param.name); });

TEST(peer_id, short_hex_is_the_first_8_hex_digits) {
  const peer_id id{counting_bytes()};
  EXPECT_EQ(id.short_hex(), "00010203");
  EXPECT_EQ(id.short_hex().size(), 8u);
}

TEST(peer_id, default_id_is_zero_and_a_key_is_not) {
  EXPECT_TRUE(peer_id{}.is_zero());
  EXPECT_FALSE(peer_id{counting_bytes()}.is_zero());
}

TEST(peer_id, as_string_view_is_the_32_raw_bytes) {
  const peer_id id{counting_bytes()};
  EXPECT_EQ(peer_id::from_bytes(id.as_string_view()), id);
}

TEST(seq_no, next_is_one_more) { EXPECT_EQ(seq_no{41}.next(), seq_no{42}); }

TEST(event_id, hex_is_64_digits) {
  std::array<std::uint8_t, event_id::size> h{};
  h[0] = 0xab;
  const std::string hex = event_id{h}.hex();
  EXPECT_EQ(hex.size(), 64u);
  EXPECT_EQ(hex.substr(0, 4), "ab00");
}

struct to_hex_case {
  std::string bytes;
  std::string hex;
};

class to_hex_table : public testing::TestWithParam<to_hex_case> {};

TEST_P(to_hex_table, writes_two_lowercase_digits_per_byte) {
  const auto& c = GetParam();
  EXPECT_EQ(to_hex(reinterpret_cast<const std::uint8_t*>(c.bytes.data()), c.bytes.size()), c.hex);
}

INSTANTIATE_TEST_SUITE_P(cases, to_hex_table,
                         testing::Values(to_hex_case{"", ""},
                                         to_hex_case{std::string(1, '\0'), "00"},
                                         to_hex_case{"\xff", "ff"}, to_hex_case{"\x0a\xb1", "0ab1"},
                                         to_hex_case{"\x7f\x80", "7f80"}));

TEST(fingerprint, is_the_whole_key_in_sixteen_groups_of_four_hex_digits) {
  peer_id::bytes_type raw{};
  for (std::size_t i = 0; i < raw.size(); ++i) raw[i] = static_cast<std::uint8_t>(i);
  const peer_id id{raw};
  const std::string fp = fingerprint(id);
  EXPECT_EQ(fp.substr(0, 20), "0001 0203 0405 0607 ");
  EXPECT_EQ(fp.size(), 64u + 15u);
  std::string digits = fp;
  std::erase(digits, ' ');
  EXPECT_EQ(digits, id.hex());
  EXPECT_TRUE(fp.starts_with(id.short_hex().substr(0, 4)));
}

}  // namespace
}  // namespace peerchat
