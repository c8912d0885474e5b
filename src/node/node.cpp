#include "node/node_impl.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <optional>
#include <random>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/address.hpp"
#include "core/error.hpp"
#include "core/exit_code.hpp"
#include "crypto/identity.hpp"
#include "core/invite.hpp"
#include "crypto/tls.hpp"
#include "net/link.hpp"
#include "net/local_addresses.hpp"
#include "node/room.hpp"
#include "wire/frame.hpp"

namespace peerchat {

using namespace node_limits;
using namespace asio::experimental::awaitable_operators;

std::error_code node::impl::bind() {
  auto hp = parse_host_port(cfg.listen);
  if (!hp) return errc::bad_address;
  boost::system::error_code ec;
  auto address = asio::ip::make_address(hp->host, ec);
  if (ec) return ec;
  tcp::endpoint endpoint(address, hp->port);
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return ec;
  const udp::endpoint udp_endpoint(address, acceptor.local_endpoint().port());
  datagrams.open(udp_endpoint.protocol(), ec);
  if (!ec) datagrams.bind(udp_endpoint, ec);
  if (!ec) datagrams.non_blocking(true, ec);
  return ec;
}

asio::awaitable<void> node::impl::datagram_loop() {
  std::array<char, room::max_datagram_bytes + 1> buffer;
  while (datagrams.is_open()) {
    boost::system::error_code ec;
    udp::endpoint sender;
    const std::size_t n = co_await datagrams.async_receive_from(
        asio::buffer(buffer), sender, asio::redirect_error(asio::use_awaitable, ec));
    if (ec == asio::error::operation_aborted) co_return;
    if (ec || n > room::max_datagram_bytes) continue;  // ICMP errors surface here; oversize is hostile
    ++datagram_counts.received;
    datagram_counts.bytes_received += n;
    input([&](instant now) { core.on_datagram(std::string_view(buffer.data(), n), now); });
  }
}

// Fire and forget, like the datagram it is: a full socket buffer or an unreachable member
// is what SWIM's timeouts are for.
void node::impl::send_datagram(const std::string& addr, std::shared_ptr<const std::string> bytes) {
  auto hp = parse_host_port(addr);
  if (!hp) return;
  boost::system::error_code ec;
  const auto ip = asio::ip::make_address(hp->host, ec);
  if (ec) return;  // a host name: members advertise addresses, so not worth a resolver here
  datagrams.send_to(asio::buffer(*bytes), udp::endpoint(ip, hp->port), 0, ec);
  if (ec) return spdlog::debug("datagram to {} not sent: {}", addr, ec.message());
  ++datagram_counts.sent;
  datagram_counts.bytes_sent += bytes->size();
}

asio::awaitable<void> node::impl::accept_loop() {
  while (acceptor.is_open()) {
    boost::system::error_code ec;
    tcp::socket socket = co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (ec == asio::error::operation_aborted) co_return;
      spdlog::warn("accept failed: {}", ec.message());
      continue;
    }
    boost::system::error_code ignored;
    const auto remote = socket.remote_endpoint(ignored);
    if (!admit_connection(ignored ? std::string("?") : remote.address().to_string())) {
      socket.close(ignored);
      continue;
    }
    asio::co_spawn(ioc, secure(std::move(socket), {}), asio::detached);
  }
}

// Before any TLS work: a bounded number of handshakes at once, and a bounded rate from any
// one address. Refusals are summed up in the log, not one line each.
bool node::impl::admit_connection(const std::string& ip) {
  const bool admitted = handshakes < cfg.max_pending_links &&
                        accepts_per_address.take(ip, clock.now().mono);
  if (admitted) return true;
  ++refused_connections;
  const auto now = std::chrono::steady_clock::now();
  if (now - refusals_logged_at >= std::chrono::seconds(5)) {
    refusals_logged_at = now;
    spdlog::warn("refused {} connection(s) so far: too many handshakes at once or too many from {}",
                 refused_connections, ip);
  }
  return false;
}

asio::awaitable<void> node::impl::dial(std::string addr) {
  boost::system::error_code ec;
  auto hp = parse_host_port(addr);
  if (!hp) {
    input([&](instant now) { core.on_dial_failed(addr, errc::bad_address, now); });
    co_return;
  }
  tcp::resolver resolver(ioc);
  auto endpoints = co_await resolver.async_resolve(hp->host, std::to_string(hp->port),
                                                    asio::redirect_error(asio::use_awaitable, ec));
  tcp::socket socket(ioc);
  if (!ec) {
    asio::steady_timer timeout(ioc, cfg.handshake_timeout);
    auto winner = co_await (asio::async_connect(socket, endpoints, asio::redirect_error(asio::use_awaitable, ec)) ||
                            timeout.async_wait(asio::use_awaitable));
    if (winner.index() == 1) ec = asio::error::timed_out;
  }
  if (ec) {
    spdlog::debug("dial {} failed: {}", addr, ec.message());
    input([&](instant now) { core.on_dial_failed(addr, ec, now); });
    co_return;
  }
  co_await secure(std::move(socket), addr);
}

// TLS handshake with a deadline, then hand the authenticated stream to the core.
asio::awaitable<void> node::impl::secure(tcp::socket socket, std::string dialed_addr) {
  boost::system::error_code ec;
  const auto remote = socket.remote_endpoint(ec);
  const std::string ip = ec ? std::string("?") : remote.address().to_string();
  const std::string who = ec ? ip : host_port{ip, remote.port()}.str();
  socket.set_option(tcp::no_delay(true), ec);
  ++handshakes;
  struct handshake_slot {
    std::size_t& count;
    ~handshake_slot() { --count; }
  } slot{handshakes};
  tls_stream stream(std::move(socket), tls);
  asio::steady_timer timeout(ioc, cfg.handshake_timeout);
  const auto side = dialed_addr.empty() ? asio::ssl::stream_base::server : asio::ssl::stream_base::client;
  auto winner = co_await (stream.async_handshake(side, asio::redirect_error(asio::use_awaitable, ec)) ||
                          timeout.async_wait(asio::use_awaitable));
  if (winner.index() == 1) ec = asio::error::timed_out;
  std::optional<peer_id> peer;
  std::optional<session_exporter> exporter;
  if (!ec && !(peer = peer_id_from_session(stream.native_handle()))) ec = asio::error::access_denied;
  if (!ec && !(exporter = room_proof_exporter(stream.native_handle()))) ec = asio::error::access_denied;
  if (ec) {
    if (ec == asio::error::timed_out) spdlog::warn("TLS handshake failed with {}: timed out", who);
    else spdlog::warn("TLS handshake failed with {}: {}", who, ec.message());
    if (!dialed_addr.empty()) input([&](instant now) { core.on_dial_failed(dialed_addr, ec, now); });
    co_return;
  }
  if (finishing) co_return;
  adopt(std::move(stream), *peer, *exporter, std::move(dialed_addr), ip);
}

void node::impl::adopt(tls_stream stream, const peer_id& peer, const session_exporter& exporter,
                       std::string dialed_addr, std::string ip) {
  const link_id lid = next_link++;
  auto l = std::make_shared<link>(
      std::move(stream), cfg,
      [this, lid](wire::pb::Frame f) { input([&](instant now) { core.on_frame(lid, std::move(f), now); }); },
      [this, lid](std::error_code why) {
        if (auto it = links.find(lid); it != links.end()) {
          retired += it->second->counters();
          links.erase(it);
        }
        release_input();
        if (finishing) {
          if (links.empty()) ioc.stop();
          return;
        }
        if (why == errc::send_queue_full || why == errc::frame_too_large || why == errc::frame_malformed)
          spdlog::warn("link {} dropped: {}", lid, why.message());
        input([&](instant now) { core.on_link_down(lid, why, now); });
      },
      [this] { release_input(); });
  links.emplace(lid, l);
  l->start();
  input([&](instant now) { core.on_link_up(lid, peer, std::move(dialed_addr), std::move(ip), exporter, now); });
}

// The room's actions may feed the file core, whose actions may feed the room: until both rest.
void node::impl::pump() {
  for (;;) {
    auto actions = core.take_actions();
    auto file_actions = files.take_actions();
    if (actions.empty() && file_actions.empty()) break;
    for (auto& a : actions) execute(a);
    for (auto& a : file_actions) execute(a);
  }
  flush_history();
  arm_timer();
}

void node::impl::execute(room_action& a) {
  std::visit(
      [&](auto& act) {
        using T = std::decay_t<decltype(act)>;
        if constexpr (std::is_same_v<T, action::send>) {
          if (auto it = links.find(act.link); it == links.end()) {
          } else if (act.bulk) {
            it->second->send_bulk(std::move(act.bytes));  // dropped when full: the puller asks again
          } else {
            it->second->send(std::move(act.bytes));
          }
        } else if constexpr (std::is_same_v<T, action::close>) {
          if (auto it = links.find(act.link); it != links.end()) it->second->close_after_flush(action::encode_bye(act));
        } else if constexpr (std::is_same_v<T, action::dial>) {
          if (!finishing) asio::co_spawn(ioc, dial(std::move(act.addr)), asio::detached);
        } else if constexpr (std::is_same_v<T, action::datagram>) {
          if (!finishing) send_datagram(act.addr, std::move(act.bytes));
        } else if constexpr (std::is_same_v<T, action::emit>) {
          if (auto* ready = std::get_if<ui_event::ready>(&act.event)) ready->invite = invite_url();
          if (auto* left = std::get_if<ui_event::member_left>(&act.event)) files.on_member_gone(left->peer.id);
          if (std::holds_alternative<ui_event::synced>(act.event) && received_stored < received_queued) {
            synced_held = std::move(act.event);  // shown by flush_history once it is on disk
            synced_after = received_queued;
          } else {
            show(act.event);
          }
        } else if constexpr (std::is_same_v<T, action::log>) {
          spdlog::log(act.routine ? spdlog::level::debug : spdlog::level::warn, "{}", act.line);
        } else if constexpr (std::is_same_v<T, action::finished>) {
          finish(act.error);
        } else if constexpr (std::is_same_v<T, action::store_own>) {
          own_pending.push_back(std::move(act.event));
        } else if constexpr (std::is_same_v<T, action::store_events>) {
          received_pending_events += act.events.size();
          received_pending.push_back(std::move(act.events));
          ++received_queued;
        } else if constexpr (std::is_same_v<T, action::load_events>) {
          load_for(act);
        } else if constexpr (std::is_same_v<T, action::store_direct>) {
          save_direct(act.record);
        } else if constexpr (std::is_same_v<T, action::file_frame> || std::is_same_v<T, action::file_offered> ||
                             std::is_same_v<T, action::file_offer_delivered>) {
          on_file_action(a);
        } else if constexpr (std::is_same_v<T, action::remember_peer>) {
          if (history)
            history->submit([peer = act.peer, addr = std::move(act.addr), seen = clock.now().wall](history::store& s) {
              (void)s.note_peer_address(peer, addr, seen);
            });
        }
      },
      a);
}

// Leaving: stop accepting, let every link drain what is queued (the Leave event above all),
// and stop the loop when they are closed or the flush timeout passes, whichever is first.
void node::impl::finish(std::error_code error) {
  if (finishing) return;
  finishing = true;
  result = error;
  boost::system::error_code ignored;
  acceptor.close(ignored);
  datagrams.close(ignored);
  tick_timer.cancel();
  input_timer.cancel();
  for (auto& resume : std::exchange(input_waiters, {})) resume();
  if (links.empty()) return ioc.stop();
  for (auto& [lid, l] : links) l->close_after_flush();
  shutdown_timer.expires_after(cfg.leave_flush_timeout);
  shutdown_timer.async_wait([this](boost::system::error_code ec) {
    if (!ec) ioc.stop();
  });
}

// Re-armed only when the deadline moves: most inputs leave it where it was, and each re-arm
// costs a timerfd_settime and a cancelled wait (7 % of a node's CPU at 50 messages/s, by perf).
void node::impl::arm_timer() {
  if (finishing) return;
  const microseconds deadline = std::min(core.next_deadline(), files.next_deadline());
  if (armed_deadline == deadline) return;
  armed_deadline = deadline;
  tick_timer.expires_after(std::max(deadline - clock.now().mono, microseconds{0}));
  tick_timer.async_wait([this](boost::system::error_code ec) {
    if (ec) return;  // re-armed or cancelled; whoever did that owns armed_deadline
    armed_deadline.reset();
    input([&](instant now) {
      core.on_tick(now);
      files.on_tick(now, core.neighbours());
    });
  });
}

ui_event::stats node::impl::stats() const {
  link_counters total = retired;
  for (const auto& [lid, l] : links) total += l->counters();
  const room_stats& events = core.stats();
  ui_event::stats out;
  out.bytes_sent = total.bytes_sent;
  out.bytes_received = total.bytes_received;
  out.frames_sent = total.frames_sent;
  out.frames_received = total.frames_received;
  out.links = links.size();
  out.datagrams_sent = datagram_counts.sent;
  out.datagrams_received = datagram_counts.received;
  out.datagram_bytes_sent = datagram_counts.bytes_sent;
  out.datagram_bytes_received = datagram_counts.bytes_received;
  out.events_delivered = events.events_delivered;
  out.event_copies = events.event_copies;
  out.ihave_refs_sent = events.ihave_refs_sent;
  out.grafts_sent = events.grafts_sent;
  return out;
}

// Every address we can be dialed at (the interfaces', then what members saw us as), the room
// and its secret: what a newcomer needs, in one line.
std::string node::impl::invite_url() const {
  peerchat::invite inv{dialable_addresses(listen_addr), core.room_name(), cfg.secret};
  const std::string& seen_as = core.members().self().addr;
  const auto seen = parse_host_port(seen_as);
  if (seen && !is_unspecified_host(seen->host) &&
      std::find(inv.addrs.begin(), inv.addrs.end(), seen_as) == inv.addrs.end())
    inv.addrs.push_back(seen_as);
  if (inv.addrs.size() > max_invite_addrs) inv.addrs.resize(max_invite_addrs);
  return format_invite(inv);
}

bool node::impl::backed_up() const {
  if (own_pending.size() > cfg.send_queue_max_frames / 8) return true;  // the disk is behind
  const auto now = std::chrono::steady_clock::now();
  for (const auto& [lid, l] : links) {
    if (l->queued_frames() <= cfg.send_queue_max_frames / 8 &&
        l->queued_bytes() <= cfg.send_queue_max_bytes / 8)
      continue;
    const auto since = l->writing_since();
    if (!since || now - *since < stalled_write) return true;
  }
  return false;
}

void node::impl::hold_input(std::function<void()> resume) {
  if (finishing || !backed_up()) return resume();
  input_waiters.push_back(std::move(resume));
  if (input_waiters.size() > 1) return;  // the timer is already armed
  input_timer.expires_after(input_recheck);
  input_timer.async_wait([this](boost::system::error_code ec) {
    if (ec || input_waiters.empty()) return;
    auto waiting = std::exchange(input_waiters, {});
    for (auto& waiter : waiting) hold_input(std::move(waiter));  // re-arms if still backed up
  });
}

// Called whenever a queue shrank (a write completed, a link closed).
void node::impl::release_input() {
  if (input_waiters.empty() || backed_up()) return;
  input_timer.cancel();
  for (auto& resume : std::exchange(input_waiters, {})) resume();
}

node::node(config cfg, const identity& id, ui_sink sink, std::unique_ptr<history::store> store)
    : impl_(std::make_unique<impl>(std::move(cfg), id, std::move(sink), std::move(store))) {}

node::~node() = default;

asio::io_context& node::context() { return impl_->ioc; }

std::error_code node::run() {
  impl& n = *impl_;
  if (auto ec = n.bind()) {
    n.show(ui_event::error{fmt::format("cannot listen on {}: {}", n.cfg.listen, ec.message()),
                           exit_code::cannot_listen});
    return ec;
  }
  const auto bound = n.acceptor.local_endpoint();
  asio::co_spawn(n.ioc, n.accept_loop(), asio::detached);
  asio::co_spawn(n.ioc, n.datagram_loop(), asio::detached);
  n.listen_addr = host_port{bound.address().to_string(), bound.port()}.str();
  n.input([&](instant now) { n.core.start(n.listen_addr, now); });
  n.ioc.run();
  if (n.history) n.write_received();  // what waited for its moment; the worker finishes it before it goes
  return n.result;
}

void node::say(std::string text) {
  asio::dispatch(impl_->ioc, [this, t = std::move(text)]() mutable {
    impl_->input([&](instant now) { impl_->core.say(std::move(t), now); });
  });
}

void node::nick(std::string new_name) {
  asio::dispatch(impl_->ioc, [this, n = std::move(new_name)]() mutable {
    impl_->input([&](instant now) { impl_->core.nick(std::move(n), now); });
  });
}

void node::list_members() {
  asio::dispatch(impl_->ioc, [this] { impl_->input([&](instant) { impl_->core.list_members(); }); });
}

void node::report_stats() {
  asio::dispatch(impl_->ioc, [this] { impl_->sink(impl_->stats()); });
}

void node::whois(std::string query) {
  asio::dispatch(impl_->ioc, [this, q = std::move(query)] {
    impl_->input([&](instant) { impl_->core.whois(q); });
  });
}

void node::invite(bool qr) {
  asio::dispatch(impl_->ioc, [this, qr] { impl_->sink(ui_event::invite{impl_->invite_url(), qr}); });
}

void node::when_send_queues_low(std::function<void()> resume) {
  asio::dispatch(impl_->ioc, [this, r = std::move(resume)]() mutable { impl_->hold_input(std::move(r)); });
}

void node::send_direct(std::string who, std::string text) {
  asio::dispatch(impl_->ioc, [this, w = std::move(who), t = std::move(text)]() mutable {
    impl_->input([&](instant now) { impl_->core.send_direct(w, std::move(t), now); });
  });
}

void node::show_history(std::size_t n) {
  asio::dispatch(impl_->ioc, [this, n] { impl_->show_history(n); });
}

void node::finish_input() {
  asio::dispatch(impl_->ioc, [this] { impl_->input([&](instant now) { impl_->core.finish_input(now); }); });
}

int node::exit_code() const {
  if (impl_->fatal_code != 0) return impl_->fatal_code;
  return impl_->result ? exit_code::failure : exit_code::ok;
}

void node::leave() {
  asio::dispatch(impl_->ioc, [this] { impl_->input([&](instant now) { impl_->core.leave(now); }); });
}

}  // namespace peerchat
