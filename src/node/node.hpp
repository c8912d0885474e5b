// A running peerchat node: one io_context, one thread, all protocol state owned by it.
//
// Threading: construct, then call run() on the thread that will own the node; it returns
// after the node has left (or failed to start). Every other member function may be called
// from any thread: it posts to the node's thread and returns at once.
// The front end's callback is invoked on the node's thread and must not block.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <system_error>

#include "core/config.hpp"
#include "history/store.hpp"
#include "node/events.hpp"

namespace boost::asio { class io_context; }

namespace peerchat {

class identity;

using ui_sink = std::function<void(const ui_event_t&)>;

class node {
public:
  // With a store, the node continues from what it holds and keeps its history there; without
  // one (tests), history is what its neighbours' recent events hold.
  node(config cfg, const identity& id, ui_sink sink, std::unique_ptr<history::store> store = {});
  ~node();
  node(const node&) = delete;
  node& operator=(const node&) = delete;

  // Commands run at once when called on the node's thread, else they are posted to it.

  // Binds, joins, and serves until leave() completes. Returns the reason startup failed,
  // or an empty code after a graceful leave.
  std::error_code run();

  // The loop the node runs on, for front ends that want to read input on it too.
  boost::asio::io_context& context();

  void say(std::string text);
  void send_direct(std::string who, std::string text);  // /msg: a private message
  void nick(std::string new_name);
  void list_members();  // answered with ui_event::nodes
  void report_stats();  // answered with ui_event::stats
  void show_history(std::size_t n);  // answered with ui_event::history (or an error)
  void invite(bool qr);  // answered with ui_event::invite
  void whois(std::string query);  // answered with ui_event::whois or ui_event::error
  // Files: offer PATH to a member or, with who "*", the room; fetch, cancel, list offers.
  void send_file(std::string who, std::string path);
  void get_file(std::string which);
  void cancel_file(std::string which);
  void list_files();  // answered with ui_event::files

  // Calls `resume` on the node's thread as soon as no link is backed up: every send queue
  // is below an eighth of its bound, except queues whose peer has not read for a while (the
  // queue bound drops those; they must not stall everyone). For front ends that can feed the
  // node faster than the network drains it: machine mode reads no more input until then, so
  // a fast publisher is slowed down instead of overflowing a queue and losing its links.
  void when_send_queues_low(std::function<void()> resume);
  void leave();         // graceful: announces, flushes (bounded), then run() returns
  // Input has ended: join if not yet joined, wait until what was said has reached another
  // member (at most config::delivery_timeout), then leave (room::finish_input).
  void finish_input();
  // After run(): the process's exit status (core/exit_code.hpp). 0 after a graceful leave;
  // else the code of the fatal error shown (ui_event::error with a code), or failure.
  int exit_code() const;

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace peerchat
