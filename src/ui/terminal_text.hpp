// What the terminal prints of text that other members chose: their messages, names, file
// names. Control characters reach the terminal as caret notation (ESC as "^["), so no member
// can clear our screen, retitle the window, move the cursor over earlier lines or, with a
// line break, print a line that looks like one of ours.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace peerchat::ui {

// One line (a name, an address, a reason): C0 controls, line breaks included, DEL and the C1
// controls (U+0080-U+009F, which some terminals obey as escape sequences) become caret
// notation; everything else, valid UTF-8 or not, is left as it is.
std::string visible(std::string_view text);

// A message body: as `visible`, but a line break starts an indented line, so a body's lines
// can never be taken for lines of their own.
std::string visible_body(std::string_view text);

// Whole output whose line breaks are ours: as `visible`, line breaks kept. The last guard,
// for a field that was not passed through one of the above.
std::string visible_lines(std::string_view text);

// When a line was written, in local time: "21:44" on the day of `now`, and with its date on
// any other day ("2026-12-06 21:44"), so a line from yesterday is not taken for today's.
std::string line_time(std::chrono::microseconds sent, std::chrono::microseconds now);

}  // namespace peerchat::ui
