#include "core/error.hpp"

#include <gtest/gtest.h>

#include <iterator>
#include <set>
#include <string>

namespace peerchat {
namespace {

// Every code, in declaration order. A code added after secret_empty makes
// `the_code_after_the_last_one_is_unknown` fail until it is listed here too.
struct named_code {
  errc code;
  const char* name;
};

constexpr named_code all_codes[] = {
    {errc::frame_too_large, "frame_too_large"},
    {errc::frame_malformed, "frame_malformed"},
    {errc::hello_timeout, "hello_timeout"},
    {errc::hello_expected, "hello_expected"},
    {errc::wrong_version, "wrong_version"},
    {errc::wrong_room, "wrong_room"},
    {errc::self_connection, "self_connection"},
    {errc::duplicate_link, "duplicate_link"},
    {errc::bad_signature, "bad_signature"},
    {errc::event_malformed, "event_malformed"},
    {errc::send_queue_full, "send_queue_full"},
    {errc::protocol_violation, "protocol_violation"},
    {errc::key_file_unreadable, "key_file_unreadable"},
    {errc::bad_address, "bad_address"},
    {errc::active_view_full, "active_view_full"},
    {errc::replaced_by_newcomer, "replaced_by_newcomer"},
    {errc::member_failed, "member_failed"},
    {errc::too_many_pending, "too_many_pending"},
    {errc::storage_in_use, "storage_in_use"},
    {errc::storage_foreign, "storage_foreign"},
    {errc::storage_newer_schema, "storage_newer_schema"},
    {errc::storage_corrupt, "storage_corrupt"},
    {errc::storage_read_only, "storage_read_only"},
    {errc::storage_full, "storage_full"},
    {errc::storage_failed, "storage_failed"},
    {errc::sequence_not_next, "sequence_not_next"},
    {errc::wrong_room_secret, "wrong_room_secret"},
    {errc::secret_file_unreadable, "secret_file_unreadable"},
    {errc::secret_empty, "secret_empty"},
};

class every_errc : public testing::TestWithParam<named_code> {};

TEST_P(every_errc, has_a_message_that_is_not_unknown) {
  const std::error_code ec = GetParam().code;
  EXPECT_FALSE(ec.message().empty());
  EXPECT_EQ(ec.message().find("unknown"), std::string::npos) << ec.message();
}

TEST_P(every_errc, converts_to_a_true_error_code_in_the_peerchat_category) {
  const std::error_code ec = GetParam().code;
  EXPECT_TRUE(ec);
  EXPECT_EQ(&ec.category(), &peerchat_category());
  EXPECT_EQ(ec, GetParam().code);
}

INSTANTIATE_TEST_SUITE_P(codes, every_errc, testing::ValuesIn(all_codes),
                         [](const auto& p) { return std::string(p.param.name); });

TEST(errc, the_table_lists_every_code_once_in_order) {
  int expected = 1;
  for (const auto& c : all_codes) EXPECT_EQ(static_cast<int>(c.code), expected++) << c.name;
}

TEST(errc, messages_are_distinct) {
  std::set<std::string> seen;
  for (const auto& c : all_codes)
    EXPECT_TRUE(seen.insert(make_error_code(c.code).message()).second) << c.name;
}

TEST(errc, the_code_after_the_last_one_is_unknown) {
  const int after_last = static_cast<int>(std::size(all_codes)) + 1;
  EXPECT_NE(peerchat_category().message(after_last).find("unknown"), std::string::npos);
}

TEST(errc, category_is_named_peerchat) { EXPECT_STREQ(peerchat_category().name(), "peerchat"); }

}  // namespace
}  // namespace peerchat
