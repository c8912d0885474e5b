// QR codes for invites, so a phone or a camera can take one from the terminal. Encoding is
// Debian's libqrencode; this file only draws. Pure functions, no terminal state.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace peerchat::ui {

// The QR code of `text` (error correction level M) as rows of modules, true = dark; empty if
// the text does not fit in a QR code.
std::vector<std::vector<bool>> qr_modules(std::string_view text);

// Terminal lines that draw `modules` with a 4-module light margin (the quiet zone scanners
// need): each character is one module wide and two tall (an upper half block whose
// foreground is the upper module and background the lower), in explicit black and white so
// it scans on dark and light terminal themes alike.
std::vector<std::string> qr_lines(const std::vector<std::vector<bool>>& modules);

}  // namespace peerchat::ui
