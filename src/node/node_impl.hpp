// node's insides, shared by node.cpp (links, loop, commands) and node_history.cpp (the
// store's glue). Private to src/node.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/awaitable.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <unordered_map>
#include <vector>

#include "core/config.hpp"
#include "core/rate_limit.hpp"
#include "crypto/identity.hpp"
#include "crypto/tls.hpp"
#include "files/transfers.hpp"
#include "history/store.hpp"
#include "net/link.hpp"
#include "node/file_disk.hpp"
#include "node/history_worker.hpp"
#include "node/node.hpp"
#include "node/room.hpp"

namespace peerchat {

namespace asio = boost::asio;
using asio::ip::tcp;
using asio::ip::udp;

namespace node_limits {
// A link whose write has not completed for this long has a peer that is not reading; it no
// longer holds input back (its queue fills and the link is dropped, as without a pause).
// Long enough that a peer starved of CPU on a loaded machine is not mistaken for a stuck one.
constexpr std::chrono::milliseconds stalled_write{5000};
// Held input is looked at again at least this often, for links that stall while it waits.
constexpr std::chrono::milliseconds input_recheck{250};
}  // namespace node_limits

struct node::impl {
  impl(config c, const identity& ident, ui_sink s, std::unique_ptr<history::store> store)
      : cfg(std::move(c)), id(ident), sink(std::move(s)), tls(make_tls_context(ident)),
        core(cfg, ident, clock.now(), std::random_device{}()), files(cfg, ident.id()),
        disk(std::make_unique<file_disk>(downloads_dir(cfg), ioc)) {
    if (!store) return;
    core.restore(read_history(*store));
    restore_files(*store);
    history = std::make_unique<history_worker>(std::move(store), ioc);
  }

  config cfg;
  const identity& id;
  ui_sink sink;
  asio::io_context ioc{1};
  asio::ssl::context tls;
  tcp::acceptor acceptor{ioc};
  udp::socket datagrams{ioc};  // SWIM probes, on the same port number as the listener
  asio::steady_timer tick_timer{ioc};
  std::optional<microseconds> armed_deadline;  // what tick_timer waits for; empty when idle
  asio::steady_timer shutdown_timer{ioc};
  system_clock clock;
  room core;
  files::transfers files;
  std::unique_ptr<file_disk> disk;  // after ioc: destroyed first, finishing its tasks
  std::unordered_map<link_id, std::shared_ptr<link>> links;
  link_counters retired;  // what links already closed moved, so stats never go backwards
  struct {
    std::uint64_t sent = 0, received = 0, bytes_sent = 0, bytes_received = 0;
  } datagram_counts;
  std::vector<std::function<void()>> input_waiters;  // when_send_queues_low, not yet resumed
  asio::steady_timer input_timer{ioc};
  link_id next_link = 1;
  std::string listen_addr;  // as bound (port 0 resolved)
  // Connection floods: handshakes under way are bounded, and so are connections per address.
  std::size_t handshakes = 0;
  rate_limiter<std::string> accepts_per_address{
      rate{cfg.connections_per_address_per_s, cfg.connections_per_address_burst}, 4096};
  std::uint64_t refused_connections = 0;
  std::chrono::steady_clock::time_point refusals_logged_at{};
  bool finishing = false;
  std::error_code result;
  int fatal_code = 0;  // the code of the first fatal error shown (ui_event::error)
  // History: writes gathered during one pass of the loop go to the store as one task (our own
  // events as one fsynced transaction: group commit), one task of each kind at a time.
  std::unique_ptr<history_worker> history;  // after ioc: destroyed first, finishing its writes
  std::vector<wire::verified_event> own_pending;
  // Received events as the room handed them over, batch by batch: each batch is moved whole,
  // since catch-up delivers them faster than the disk takes them and a flat vector would move
  // every event again each time it grew.
  std::vector<std::vector<wire::verified_event>> received_pending;
  std::size_t received_pending_events = 0;
  // Received events are written a moment late, many per transaction: each write wakes the
  // worker and the loop again, and at chat rates one event per write cost a quarter of a
  // node's CPU. Nothing is lost by the wait: every reader of the store writes them first.
  asio::steady_timer received_timer{ioc};
  bool received_timer_armed = false;
  std::uint64_t received_queued = 0, received_stored = 0;  // batches handed over, and written
  // `synced` says the history is stored: the room says it once the last batch has arrived, and
  // it waits here until the batches queued by then are written (not for later live events).
  std::optional<ui_event_t> synced_held;
  std::uint64_t synced_after = 0;
  bool own_writing = false;
  int received_writes = 0;  // in flight on the worker
  std::error_code last_store_error;

  restored_history read_history(history::store& store);
  void flush_history();
  void write_own();
  void write_received();
  void write_received_soon();
  void load_for(action::load_events& act);
  void note_side_effects(const ui_event_t& e);
  void show(const ui_event_t& e);
  void show_history(std::size_t n);
  void save_direct(const direct_record& record);
  void save_room_secret_for_restart();

  // Files (node_files.cpp).
  static std::filesystem::path downloads_dir(const config& cfg);
  void restore_files(history::store& store);
  void execute(files::action& a);
  void on_file_action(room_action& a);  // the room's file_frame and file_offered
  void send_file(const std::string& who, const std::string& path);
  void enrich(ui_event_t& e) const;     // names for the ids in file events

  std::error_code bind();
  bool admit_connection(const std::string& ip);
  asio::awaitable<void> accept_loop();
  asio::awaitable<void> datagram_loop();
  void send_datagram(const std::string& addr, std::shared_ptr<const std::string> bytes);
  asio::awaitable<void> dial(std::string addr);
  asio::awaitable<void> secure(tcp::socket socket, std::string dialed_addr);
  void adopt(tls_stream stream, const peer_id& peer, const session_exporter& exporter,
             std::string dialed_addr, std::string ip);
  void pump();
  void execute(room_action& a);
  void finish(std::error_code error);
  void arm_timer();
  ui_event::stats stats() const;
  std::string invite_url() const;
  bool backed_up() const;
  void hold_input(std::function<void()> resume);
  void release_input();

  template <class F>
  void input(F&& f) {
    f(clock.now());
    pump();
  }
};

}  // namespace peerchat
