#include "wire/frame.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "core/error.hpp"

namespace peerchat::wire {
namespace {

constexpr std::size_t limit = 1 << 16;

pb::Frame hello_frame(const std::string& name) {
  pb::Frame f;
  f.mutable_hello()->set_protocol_version(1);
  f.mutable_hello()->set_room("room-1");
  f.mutable_hello()->set_name(name);
  return f;
}

pb::Frame bye_frame(const std::string& reason) {
  pb::Frame f;
  f.mutable_bye()->set_reason(reason);
  return f;
}

std::string prefix(std::uint32_t length) {
  return {static_cast<char>(length >> 24), static_cast<char>(length >> 16),
          static_cast<char>(length >> 8), static_cast<char>(length)};
}

std::string frame_with_body(const std::string& body) {
  return prefix(static_cast<std::uint32_t>(body.size())) + body;
}

bool same(const pb::Frame& a, const pb::Frame& b) {
  return a.SerializeAsString() == b.SerializeAsString();
}

TEST(valid_name, is_1_to_64_bytes_of_utf8_without_control_characters) {
  EXPECT_TRUE(valid_name("alice"));
  EXPECT_TRUE(valid_name("Zo\xc3\xab [laptop]"));
  EXPECT_TRUE(valid_name(std::string(max_name_bytes, 'x')));
  EXPECT_FALSE(valid_name(""));
  EXPECT_FALSE(valid_name(std::string(max_name_bytes + 1, 'x')));
  EXPECT_FALSE(valid_name("evil\x1b[2J"));
  EXPECT_FALSE(valid_name("two\nlines"));
  EXPECT_FALSE(valid_name("caf\xe9"));  // Latin-1
}

TEST(frame_encoding, is_a_big_endian_length_then_the_protobuf) {
  const auto f = bye_frame("bye");
  const std::string wire = encode_frame(f);
  EXPECT_EQ(wire, prefix(static_cast<std::uint32_t>(f.ByteSizeLong())) + f.SerializeAsString());
}

TEST(frame_encoding, append_frame_keeps_what_was_already_in_the_buffer) {
  std::string out = "abc";
  append_frame(out, bye_frame("x"));
  EXPECT_EQ(out, "abc" + encode_frame(bye_frame("x")));
}

TEST(frame_reader, returns_one_encoded_frame_unchanged) {
  frame_reader r{limit};
  r.feed(encode_frame(hello_frame("alice")));
  std::error_code ec;
  const auto f = r.next(ec);
  ASSERT_TRUE(f);
  EXPECT_FALSE(ec);
  EXPECT_TRUE(same(*f, hello_frame("alice")));
}

TEST(frame_reader, returns_many_frames_fed_at_once_in_order) {
  std::string wire;
  for (int i = 0; i < 50; ++i) append_frame(wire, hello_frame("n" + std::to_string(i)));
  frame_reader r{limit};
  r.feed(wire);
  std::error_code ec;
  for (int i = 0; i < 50; ++i) {
    const auto f = r.next(ec);
    ASSERT_TRUE(f) << i;
    EXPECT_EQ(f->hello().name(), "n" + std::to_string(i));
  }
  EXPECT_FALSE(r.next(ec));
  EXPECT_FALSE(ec);
}

TEST(frame_reader, returns_nothing_and_no_error_when_empty) {
  frame_reader r{limit};
  std::error_code ec = errc::protocol_violation;
  EXPECT_FALSE(r.next(ec));
  EXPECT_FALSE(ec);
}

TEST(frame_reader, assembles_frames_fed_one_byte_at_a_time) {
  const std::string wire = encode_frame(hello_frame("alice")) + encode_frame(bye_frame("done"));
  frame_reader r{limit};
  std::error_code ec;
  std::vector<pb::Frame> got;
  std::vector<std::size_t> completed_at;
  for (std::size_t i = 0; i < wire.size(); ++i) {
    r.feed(wire.substr(i, 1));
    while (auto f = r.next(ec)) {
      got.push_back(*f);
      completed_at.push_back(i + 1);
    }
    ASSERT_FALSE(ec) << "at byte " << i;
  }
  ASSERT_EQ(got.size(), 2u);
  EXPECT_TRUE(same(got[0], hello_frame("alice")));
  EXPECT_TRUE(same(got[1], bye_frame("done")));
  EXPECT_EQ(completed_at[0], encode_frame(hello_frame("alice")).size());
  EXPECT_EQ(completed_at[1], wire.size());
}

TEST(frame_reader, decodes_a_zero_length_frame_as_an_empty_frame) {
  frame_reader r{limit};
  r.feed(prefix(0));
  std::error_code ec;
  const auto f = r.next(ec);
  ASSERT_TRUE(f);
  EXPECT_FALSE(ec);
  EXPECT_EQ(f->kind_case(), pb::Frame::KIND_NOT_SET);
}

TEST(frame_reader, accepts_a_frame_exactly_at_the_limit) {
  const auto f = hello_frame(std::string(300, 'a'));
  frame_reader r{f.ByteSizeLong()};
  r.feed(encode_frame(f));
  std::error_code ec;
  const auto got = r.next(ec);
  ASSERT_TRUE(got);
  EXPECT_FALSE(ec);
  EXPECT_TRUE(same(*got, f));
}

TEST(frame_reader, rejects_a_whole_frame_one_byte_over_the_limit) {
  const auto f = hello_frame(std::string(300, 'a'));
  frame_reader r{f.ByteSizeLong() - 1};
  r.feed(encode_frame(f));
  std::error_code ec;
  EXPECT_FALSE(r.next(ec));
  EXPECT_EQ(ec, errc::frame_too_large);
}

class frame_reader_oversized_prefix : public testing::TestWithParam<std::uint32_t> {};

TEST_P(frame_reader_oversized_prefix, is_frame_too_large_as_soon_as_the_four_prefix_bytes_arrive) {
  frame_reader r{limit};
  r.feed(prefix(GetParam()));  // no body at all
  std::error_code ec;
  EXPECT_FALSE(r.next(ec));
  EXPECT_EQ(ec, errc::frame_too_large);
}

TEST_P(frame_reader_oversized_prefix, is_not_reported_before_the_fourth_prefix_byte) {
  frame_reader r{limit};
  r.feed(prefix(GetParam()).substr(0, 3));
  std::error_code ec;
  EXPECT_FALSE(r.next(ec));
  EXPECT_FALSE(ec);
}

TEST_P(frame_reader_oversized_prefix, keeps_reporting_the_error_on_later_calls) {
  frame_reader r{limit};
  r.feed(prefix(GetParam()));
  std::error_code ec;
  r.next(ec);
  r.feed(std::string(100, '\0'));
  EXPECT_FALSE(r.next(ec));
  EXPECT_EQ(ec, errc::frame_too_large);
}

INSTANTIATE_TEST_SUITE_P(lengths, frame_reader_oversized_prefix,
                         testing::Values(limit + 1, 0x01000000u, 0x7FFFFFFFu, 0x80000000u,
                                         0xFFFFFFFFu));

TEST(frame_reader, reports_an_oversized_frame_behind_a_good_one_only_after_the_good_one) {
  frame_reader r{limit};
  r.feed(encode_frame(bye_frame("ok")) + prefix(0xFFFFFFFF));
  std::error_code ec;
  EXPECT_TRUE(r.next(ec));
  EXPECT_FALSE(ec);
  EXPECT_FALSE(r.next(ec));
  EXPECT_EQ(ec, errc::frame_too_large);
}

struct garbage_case {
  const char* name;
  std::string body;
};

class frame_reader_garbage_body : public testing::TestWithParam<garbage_case> {};

TEST_P(frame_reader_garbage_body, is_frame_malformed) {
  frame_reader r{limit};
  r.feed(frame_with_body(GetParam().body));
  std::error_code ec;
  EXPECT_FALSE(r.next(ec));
  EXPECT_EQ(ec, errc::frame_malformed);
}

INSTANTIATE_TEST_SUITE_P(
    bodies, frame_reader_garbage_body,
    testing::Values(garbage_case{"all_ones", std::string(16, '\xff')},
                    garbage_case{"field_number_zero", std::string("\x00\x01", 2)},
                    garbage_case{"invalid_wire_type", "\x0f\x01"},
                    garbage_case{"truncated_submessage", "\x0a\x05" "ab"},
                    garbage_case{"truncated_varint", "\x08\x80"},
                    garbage_case{"end_group_without_start", "\x0c"},
                    garbage_case{"submessage_longer_than_frame", "\x1a\xff\xff\xff\xff\x0f"}),
    [](const auto& p) { return std::string(p.param.name); });

TEST(frame_reader, buffered_does_not_grow_past_one_frame_plus_what_was_fed) {
  // The stream is cut so that every read ends a few bytes into the next frame: a reader that
  // never drops the frames it has returned would hold the whole stream.
  const std::string one = encode_frame(hello_frame(std::string(200, 'x')));
  std::string wire;
  for (int i = 0; i < 200; ++i) wire += one;
  const std::size_t first_read = 6;
  frame_reader r{limit};
  std::error_code ec;
  int frames = 0;
  for (std::size_t pos = 0; pos < wire.size();) {
    const std::size_t n = pos == 0 ? first_read : one.size();
    r.feed(std::string_view(wire).substr(pos, n));
    pos += n;
    EXPECT_LE(r.buffered(), one.size() + n) << "after " << pos << " bytes";
    while (r.next(ec)) ++frames;
    ASSERT_FALSE(ec);
    EXPECT_LT(r.buffered(), one.size()) << "after " << pos << " bytes";
  }
  EXPECT_EQ(frames, 200);
  EXPECT_EQ(r.buffered(), 0u);
}

TEST(frame_reader, buffered_counts_the_unread_tail_of_a_partial_frame) {
  const std::string wire = encode_frame(bye_frame("a")) + encode_frame(bye_frame("partial"));
  frame_reader r{limit};
  r.feed(std::string_view(wire).substr(0, wire.size() - 2));
  std::error_code ec;
  while (r.next(ec)) {
  }
  EXPECT_EQ(r.buffered(), encode_frame(bye_frame("partial")).size() - 2);
}

}  // namespace
}  // namespace peerchat::wire
