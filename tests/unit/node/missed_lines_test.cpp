#include "node/missed_lines.hpp"

#include <gtest/gtest.h>

#include <string>

#include "../test_ids.hpp"

namespace peerchat {
namespace {

ui_event::message line(std::uint64_t lamport, std::uint8_t author, std::string text) {
  ui_event::message m;
  m.from.id = testing_ids::id_of(author);
  m.lamport = lamport_time{lamport};
  m.seq = seq_no{lamport};
  m.text = std::move(text);
  return m;
}

std::vector<std::string> texts(std::vector<ui_event::message> lines) {
  std::vector<std::string> out;
  for (const auto& l : lines) {
    EXPECT_TRUE(l.missed);
    out.push_back(l.text);
  }
  return out;
}

TEST(missed_lines, keeps_the_newest_lines_in_room_order_whatever_order_they_arrive_in) {
  missed_lines missed(3);
  missed.add(line(5, 1, "e"));
  missed.add(line(1, 1, "a"));
  missed.add(line(4, 2, "d2"));
  missed.add(line(4, 1, "d1"));
  missed.add(line(2, 1, "b"));
  EXPECT_EQ(missed.total(), 5u);
  EXPECT_EQ(texts(missed.take()), (std::vector<std::string>{"d1", "d2", "e"}));
}

TEST(missed_lines, holds_no_more_than_its_bound_however_much_history_arrives) {
  missed_lines missed(20);
  for (std::uint64_t i = 1; i <= 100'000; ++i) missed.add(line(i, 1, std::to_string(i)));
  EXPECT_EQ(missed.total(), 100'000u);
  const auto kept = texts(missed.take());
  ASSERT_EQ(kept.size(), 20u);
  EXPECT_EQ(kept.front(), "99981");
  EXPECT_EQ(kept.back(), "100000");
}

TEST(missed_lines, take_starts_it_afresh) {
  missed_lines missed(2);
  missed.add(line(1, 1, "a"));
  missed.take();
  EXPECT_EQ(missed.total(), 0u);
  EXPECT_TRUE(missed.take().empty());
}

}  // namespace
}  // namespace peerchat
