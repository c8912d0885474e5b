// Front ends over one node: each turns input lines into node calls and node events into
// output. Both are driven on the node's thread, except the JSON stdin reader (a thread of its
// own that only posts lines to the node).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "node/events.hpp"
#include "ui/command.hpp"

namespace peerchat {
class node;
}

namespace peerchat::ui {

class frontend {
public:
  virtual ~frontend() = default;
  // Called on the node's thread for every event; must not block for long.
  virtual void show(const ui_event_t& event) = 0;
  // Starts reading input; `n` outlives the front end's use of it.
  virtual void start(node& n) = 0;
  // Ends input handling (restores the terminal); call after the node has stopped.
  virtual void stop() = 0;
};

struct frontend_options {
  std::string run_hint;  // "make" when started by `make run`: the join hint uses make too
  // The terminal refuses a longer line itself and gives it back for editing.
  std::size_t max_text_bytes = 4096;
};

std::unique_ptr<frontend> make_json_frontend();
// A fatal error before any front end runs (bad options, a data directory in use), as machine
// mode's `error {message, code}` line on stdout; `code` is the exit status that follows.
void print_json_error(std::string_view message, int code);
std::unique_ptr<frontend> make_terminal_frontend(frontend_options options);

// Runs a parsed command against the node; returns false for a command the front end
// must answer itself (help, invalid).
bool dispatch(node& n, const command& c);

}  // namespace peerchat::ui
