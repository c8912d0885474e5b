#include "ui/qr.hpp"

#include <gtest/gtest.h>

namespace peerchat::ui {
namespace {

const std::string invite_text = "peerchat://192.168.1.5:40123,10.0.0.7:40123/room-1a2b3c4d#Zm9vYmFyYmF6cXV4cXV1eA";

TEST(qr_modules, make_a_square_of_a_valid_qr_size) {
  const auto rows = qr_modules(invite_text);
  ASSERT_FALSE(rows.empty());
  EXPECT_EQ((rows.size() - 21) % 4, 0u) << "QR versions are 21 + 4k modules wide";
  for (const auto& row : rows) EXPECT_EQ(row.size(), rows.size());
}

TEST(qr_modules, have_the_three_finder_patterns_scanners_look_for) {
  const auto rows = qr_modules(invite_text);
  ASSERT_GE(rows.size(), 21u);
  const std::size_t far = rows.size() - 7;
  for (auto [top, left] : {std::pair<std::size_t, std::size_t>{0, 0}, {0, far}, {far, 0}}) {
    for (std::size_t i = 0; i < 7; ++i) {
      EXPECT_TRUE(rows[top][left + i] && rows[top + 6][left + i]) << "outer ring, row";
      EXPECT_TRUE(rows[top + i][left] && rows[top + i][left + 6]) << "outer ring, column";
    }
    for (std::size_t i = 1; i < 6; ++i) EXPECT_FALSE(rows[top + 1][left + i]) << "light ring";
    EXPECT_TRUE(rows[top + 3][left + 3]) << "dark centre";
  }
}

TEST(qr_modules, are_empty_for_a_text_too_long_for_any_qr_code) {
  EXPECT_TRUE(qr_modules(std::string(8000, 'x')).empty());
}

TEST(qr_lines, draw_two_module_rows_per_line_inside_a_four_module_margin) {
  const auto rows = qr_modules(invite_text);
  const auto lines = qr_lines(rows);
  const std::size_t total = rows.size() + 8;
  EXPECT_EQ(lines.size(), (total + 1) / 2);
  const std::string block = "\u2580";
  for (const auto& line : lines) {
    std::size_t blocks = 0;
    for (auto at = line.find(block); at != std::string::npos; at = line.find(block, at + 1)) ++blocks;
    EXPECT_EQ(blocks, total);
    EXPECT_TRUE(line.ends_with("\033[0m")) << "colours are reset at the end of each line";
  }
  EXPECT_EQ(lines[0].find("\033[30;"), std::string::npos) << "the top margin is light";
}

}  // namespace
}  // namespace peerchat::ui
