#include "core/address.hpp"

#include <gtest/gtest.h>

#include <string>

namespace peerchat {
namespace {

struct good_address {
  const char* name;
  std::string text;
  std::string host;
  std::uint16_t port;
};

class parse_host_port_accepts : public testing::TestWithParam<good_address> {};

TEST_P(parse_host_port_accepts, and_splits_host_from_port) {
  const auto& c = GetParam();
  const auto hp = parse_host_port(c.text);
  ASSERT_TRUE(hp) << c.text;
  EXPECT_EQ(hp->host, c.host);
  EXPECT_EQ(hp->port, c.port);
}

INSTANTIATE_TEST_SUITE_P(
    table, parse_host_port_accepts,
    testing::Values(good_address{"ipv4", "127.0.0.1:80", "127.0.0.1", 80},
                    good_address{"bracketed_ipv6", "[::1]:7", "::1", 7},
                    good_address{"name_with_port_0", "host:0", "host", 0},
                    good_address{"highest_port", "host:65535", "host", 65535},
                    good_address{"unspecified_ipv4", "0.0.0.0:4000", "0.0.0.0", 4000},
                    good_address{"unspecified_ipv6", "[::]:4000", "::", 4000},
                    good_address{"full_ipv6", "[fe80::1:2]:443", "fe80::1:2", 443}),
    [](const auto& p) { return std::string(p.param.name); });

struct bad_address {
  const char* name;
  std::string text;
};

class parse_host_port_rejects : public testing::TestWithParam<bad_address> {};

TEST_P(parse_host_port_rejects, malformed_text) {
  EXPECT_FALSE(parse_host_port(GetParam().text)) << GetParam().text;
}

INSTANTIATE_TEST_SUITE_P(
    table, parse_host_port_rejects,
    testing::Values(bad_address{"empty", ""}, bad_address{"no_host", ":80"},
                    bad_address{"no_port", "host"}, bad_address{"empty_port", "host:"},
                    bad_address{"port_above_65535", "host:65536"},
                    bad_address{"huge_port", "host:99999999999999999999"},
                    bad_address{"negative_port", "host:-1"},
                    bad_address{"plus_sign_port", "host:+80"},
                    bad_address{"space_in_port", "host: 80"},
                    bad_address{"bare_ipv6", "::1:80"}, bad_address{"brackets_no_port", "[::1]"},
                    bad_address{"trailing_garbage", "host:80x"},
                    bad_address{"empty_brackets", "[]:80"},
                    bad_address{"unclosed_bracket", "[::1:80"},
                    bad_address{"unopened_bracket", "::1]:80"}),
    [](const auto& p) { return std::string(p.param.name); });

TEST(host_port, str_brackets_an_ipv6_host_so_it_parses_back) {
  const host_port hp{"fe80::1", 9};
  EXPECT_EQ(hp.str(), "[fe80::1]:9");
  const auto back = parse_host_port(hp.str());
  ASSERT_TRUE(back);
  EXPECT_EQ(back->host, "fe80::1");
  EXPECT_EQ(back->port, 9);
}

TEST(host_port, str_leaves_an_ipv4_host_bare) {
  EXPECT_EQ((host_port{"10.1.2.3", 80}.str()), "10.1.2.3:80");
}

struct reachable_case {
  const char* name;
  std::string addr;
  std::string ip;
  std::string expected;
};

class with_reachable_host_table : public testing::TestWithParam<reachable_case> {};

TEST_P(with_reachable_host_table, replaces_only_unspecified_hosts) {
  const auto& c = GetParam();
  EXPECT_EQ(with_reachable_host(c.addr, c.ip), c.expected);
}

INSTANTIATE_TEST_SUITE_P(
    table, with_reachable_host_table,
    testing::Values(
        reachable_case{"any_ipv4_becomes_ip", "0.0.0.0:4000", "10.0.0.5", "10.0.0.5:4000"},
        reachable_case{"any_ipv6_becomes_ip", "[::]:4000", "10.0.0.5", "10.0.0.5:4000"},
        reachable_case{"any_becomes_bracketed_ipv6", "0.0.0.0:4000", "fe80::1", "[fe80::1]:4000"},
        reachable_case{"loopback_kept", "127.0.0.1:4000", "10.0.0.5", "127.0.0.1:4000"},
        reachable_case{"hostname_kept", "example.org:4000", "10.0.0.5", "example.org:4000"},
        reachable_case{"ipv6_loopback_kept", "[::1]:4000", "10.0.0.5", "[::1]:4000"},
        reachable_case{"unparseable_kept", "not an address", "10.0.0.5", "not an address"},
        reachable_case{"empty_kept", "", "10.0.0.5", ""},
        reachable_case{"empty_ip_keeps_any", "0.0.0.0:4000", "", "0.0.0.0:4000"}),
    [](const auto& p) { return std::string(p.param.name); });

TEST(is_unspecified_host, is_true_for_any_addresses_only) {
  EXPECT_TRUE(is_unspecified_host("0.0.0.0"));
  EXPECT_TRUE(is_unspecified_host("::"));
  EXPECT_FALSE(is_unspecified_host("127.0.0.1"));
  EXPECT_FALSE(is_unspecified_host("::1"));
  EXPECT_FALSE(is_unspecified_host("localhost"));
}

}  // namespace
}  // namespace peerchat
