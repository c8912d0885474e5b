#include "ui/qr.hpp"

#include <qrencode.h>

#include <memory>

namespace peerchat::ui {
namespace {

constexpr int quiet_zone = 4;
constexpr const char* upper_half_block = "\u2580";

struct qrcode_free {
  void operator()(QRcode* code) const { QRcode_free(code); }
};

}  // namespace

std::vector<std::vector<bool>> qr_modules(std::string_view text) {
  const std::string nul_terminated(text);
  std::unique_ptr<QRcode, qrcode_free> code(
      QRcode_encodeString8bit(nul_terminated.c_str(), 0, QR_ECLEVEL_M));
  if (!code) return {};
  const auto width = static_cast<std::size_t>(code->width);
  std::vector<std::vector<bool>> rows(width, std::vector<bool>(width));
  for (std::size_t y = 0; y < width; ++y)
    for (std::size_t x = 0; x < width; ++x) rows[y][x] = (code->data[y * width + x] & 1) != 0;
  return rows;
}

std::vector<std::string> qr_lines(const std::vector<std::vector<bool>>& modules) {
  const int size = static_cast<int>(modules.size());
  const auto dark = [&](int y, int x) {
    y -= quiet_zone;
    x -= quiet_zone;
    return y >= 0 && x >= 0 && y < size && x < size && modules[y][x];
  };
  std::vector<std::string> lines;
  const int total = size + 2 * quiet_zone;
  for (int y = 0; y < total; y += 2) {
    std::string line;
    for (int x = 0; x < total; ++x) {
      // Foreground 30/97 (black/bright white) draws the upper module, background the lower.
      line += dark(y, x) ? "\033[30;" : "\033[97;";
      line += dark(y + 1, x) ? "40m" : "107m";  // past the last row: light margin
      line += upper_half_block;
    }
    line += "\033[0m";
    lines.push_back(std::move(line));
  }
  return lines;
}

}  // namespace peerchat::ui
