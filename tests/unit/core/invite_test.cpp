#include "core/invite.hpp"

#include <gtest/gtest.h>

namespace peerchat {
namespace {

TEST(invite, a_closed_room_invite_round_trips) {
  const invite inv{{"192.168.1.5:40123"}, "lobby", "s3cret"};
  EXPECT_EQ(format_invite(inv), "peerchat://192.168.1.5:40123/lobby#s3cret");
  std::string error;
  const auto back = parse_invite(format_invite(inv), error);
  ASSERT_TRUE(back) << error;
  EXPECT_EQ(back->addrs, inv.addrs);
  EXPECT_EQ(back->room, "lobby");
  EXPECT_EQ(back->secret, "s3cret");
}

TEST(invite, an_open_room_invite_has_no_fragment) {
  EXPECT_EQ(format_invite({{"10.0.0.1:1"}, "lobby", ""}), "peerchat://10.0.0.1:1/lobby");
  std::string error;
  const auto back = parse_invite("peerchat://10.0.0.1:1/lobby", error);
  ASSERT_TRUE(back) << error;
  EXPECT_TRUE(back->secret.empty());
}

TEST(invite, several_addresses_including_ipv6_keep_their_order) {
  const invite inv{{"10.0.0.1:4000", "[fe80::1]:4000", "host.example:4000"}, "r", "s"};
  EXPECT_EQ(format_invite(inv), "peerchat://10.0.0.1:4000,[fe80::1]:4000,host.example:4000/r#s");
  std::string error;
  const auto back = parse_invite(format_invite(inv), error);
  ASSERT_TRUE(back) << error;
  EXPECT_EQ(back->addrs, inv.addrs);
}

TEST(invite, names_and_secrets_with_any_bytes_are_percent_encoded_and_come_back) {
  const invite inv{{"h:1"}, "caf\xc3\xa9 #1/2", "a b%c#d&e?f\n"};
  const std::string text = format_invite(inv);
  EXPECT_EQ(text, "peerchat://h:1/caf%C3%A9%20%231%2F2#a%20b%25c%23d%26e%3Ff%0A");
  std::string error;
  const auto back = parse_invite(text, error);
  ASSERT_TRUE(back) << error;
  EXPECT_EQ(back->room, inv.room);
  EXPECT_EQ(back->secret, inv.secret);
}

TEST(invite, lowercase_escapes_are_accepted) {
  std::string error;
  const auto back = parse_invite("peerchat://h:1/a%2fb#%7e", error);
  ASSERT_TRUE(back) << error;
  EXPECT_EQ(back->room, "a/b");
  EXPECT_EQ(back->secret, "~");
}

TEST(invite, a_plain_address_is_not_an_invite) {
  EXPECT_FALSE(is_invite("127.0.0.1:4000"));
  EXPECT_TRUE(is_invite("peerchat://127.0.0.1:4000/r"));
}

struct bad_invite_case {
  const char* name;
  std::string text;
  std::string reason;  // part of the one-line error
};

class parse_invite_rejects : public testing::TestWithParam<bad_invite_case> {};

TEST_P(parse_invite_rejects, with_a_one_line_reason) {
  std::string error;
  EXPECT_FALSE(parse_invite(GetParam().text, error));
  EXPECT_TRUE(error.starts_with("malformed invite: ")) << error;
  EXPECT_NE(error.find(GetParam().reason), std::string::npos) << error;
  EXPECT_EQ(error.find('\n'), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(
    table, parse_invite_rejects,
    testing::Values(
        bad_invite_case{"other_scheme", "http://h:1/r", "peerchat://"},
        bad_invite_case{"no_room", "peerchat://h:1", "no /ROOM"},
        bad_invite_case{"empty_room", "peerchat://h:1/#s", "no room name"},
        bad_invite_case{"no_address", "peerchat:///r", "is not HOST:PORT"},
        bad_invite_case{"no_port", "peerchat://host/r", "'host' is not HOST:PORT"},
        bad_invite_case{"port_zero", "peerchat://host:0/r", "is not HOST:PORT"},
        bad_invite_case{"trailing_comma", "peerchat://h:1,/r", "empty address"},
        bad_invite_case{"empty_secret", "peerchat://h:1/r#", "empty secret"},
        bad_invite_case{"truncated_escape", "peerchat://h:1/r#ab%4", "bad %-escape in the secret"},
        bad_invite_case{"bad_escape", "peerchat://h:1/r%zz", "bad %-escape in the room"},
        bad_invite_case{"too_many_addresses",
                        "peerchat://h:1,h:1,h:1,h:1,h:1,h:1,h:1,h:1,h:1,h:1,h:1,h:1,h:1,h:1,h:1,h:1,h:1/r",
                        "more than 16"}),
    [](const auto& p) { return std::string(p.param.name); });

}  // namespace
}  // namespace peerchat
