// Machine mode: commands on stdin, one JSON object per event on stdout (docs/ARCHITECTURE.md
// lists the schema; it only ever grows). Stdin is read on a thread of its own because it may
// be a pipe, a file or a terminal; lines are posted to the node's thread. A program can write
// lines far faster than links drain them, so at most `lines_in_flight` lines are posted and
// not yet let through by node::when_send_queues_low: while the node's send queues are backed
// up, stdin is not read and the writer feels the pipe fill (backpressure, nothing dropped).
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <semaphore>
#include <thread>

#include "node/node.hpp"
#include "ui/command.hpp"
#include "ui/frontend.hpp"
#include "ui/json_message_line.hpp"

namespace peerchat::ui {

namespace {

using nlohmann::json;

// Enough to keep the node busy between two reads of the pipe; small next to the send queue
// bound (a line is at most one frame per link).
constexpr std::ptrdiff_t lines_in_flight = 64;

json peer_json(const peer_info& p) { return {{"id", p.id.hex()}, {"name", p.name}, {"addr", p.addr}}; }

std::int64_t wall_us() {
  using namespace std::chrono;
  return duration_cast<microseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

json message_json(const ui_event::message& e) {
  json j = {{"event", "message"}, {"id", e.id.hex()}, {"from", peer_json(e.from)},
            {"seq", e.seq.value}, {"lamport", e.lamport.value},
            {"sent_us", e.sent.count()}, {"text", e.text}};
  if (e.late) j["late"] = true;  // shown after newer lines of its author
  if (e.missed) j["missed"] = true;  // fetched by catch-up: sent while we were away
  return j;
}

// `code` only on a fatal error: the exit status that follows (core/exit_code.hpp).
json error_json(std::string_view message, int code) {
  json j = {{"event", "error"}, {"message", message}};
  if (code != 0) j["code"] = code;
  return j;
}

json file_json(const ui_event::file_info& f) {
  json j = {{"id", f.id}, {"name", f.name}, {"size", f.size}, {"from", peer_json(f.from)},
            {"to_room", f.to_room}, {"state", f.state}, {"bytes", f.bytes}};
  if (!f.to_room) j["to"] = peer_json(f.to);
  return j;
}

json to_json(const ui_event_t& event) {
  return std::visit(
      [](const auto& e) -> json {
        using T = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<T, ui_event::ready>)
          return {{"event", "ready"}, {"id", e.self.id.hex()}, {"name", e.self.name},
                  {"listen", e.self.addr}, {"room", e.room}, {"invite", e.invite}};
        else if constexpr (std::is_same_v<T, ui_event::member_joined>)
          return {{"event", "member-joined"}, {"peer", peer_json(e.peer)}};
        else if constexpr (std::is_same_v<T, ui_event::member_left>)
          return {{"event", "member-left"}, {"peer", peer_json(e.peer)},
                  {"reason", e.reason == leave_reason::left ? "left" : "failed"}};
        else if constexpr (std::is_same_v<T, ui_event::message>)
          return message_json(e);
        else if constexpr (std::is_same_v<T, ui_event::history>) {
          json events = json::array();
          for (const auto& m : e.events) events.push_back(message_json(m));
          return {{"event", "history"}, {"events", std::move(events)}};
        } else if constexpr (std::is_same_v<T, ui_event::missed>)
          return {{"event", "missed"}, {"lines", e.lines}, {"shown", e.shown}, {"returning", e.returning}};
        else if constexpr (std::is_same_v<T, ui_event::synced>)
          return {{"event", "synced"}, {"events", e.events}, {"unavailable", e.unavailable}};
        else if constexpr (std::is_same_v<T, ui_event::direct>)
          return {{"event", "direct"}, {"id", e.id}, {"from", peer_json(e.from)}, {"to", peer_json(e.to)},
                  {"text", e.text}, {"sent_us", e.sent.count()}};
        else if constexpr (std::is_same_v<T, ui_event::direct_status>) {
          json j = {{"event", "direct-status"}, {"id", e.id}, {"status", to_string(e.status)}};
          if (!e.detail.empty()) j["detail"] = e.detail;
          return j;
        }
        else if constexpr (std::is_same_v<T, ui_event::nick>)
          return {{"event", "nick"}, {"peer", peer_json(e.peer)}, {"old", e.old_name}, {"new", e.new_name}};
        else if constexpr (std::is_same_v<T, ui_event::nodes>) {
          json peers = json::array();
          for (const auto& m : e.members)
            peers.push_back({{"id", m.peer.id.hex()}, {"name", m.peer.name}, {"addr", m.peer.addr},
                             {"since", m.since.count()}, {"state", to_string(m.state)}, {"self", m.self}});
          return {{"event", "nodes"}, {"peers", std::move(peers)}};
        } else if constexpr (std::is_same_v<T, ui_event::help>)
          return {{"event", "help"}, {"lines", e.lines}};
        else if constexpr (std::is_same_v<T, ui_event::stats>)
          return {{"event", "stats"}, {"bytes_sent", e.bytes_sent},
                  {"bytes_received", e.bytes_received}, {"frames_sent", e.frames_sent},
                  {"frames_received", e.frames_received}, {"links", e.links},
                  {"datagrams_sent", e.datagrams_sent}, {"datagrams_received", e.datagrams_received},
                  {"datagram_bytes_sent", e.datagram_bytes_sent},
                  {"datagram_bytes_received", e.datagram_bytes_received},
                  {"events_delivered", e.events_delivered}, {"event_copies", e.event_copies},
                  {"ihave_refs_sent", e.ihave_refs_sent}, {"grafts_sent", e.grafts_sent}};
        else if constexpr (std::is_same_v<T, ui_event::invite>)
          return {{"event", "invite"}, {"url", e.url}};
        else if constexpr (std::is_same_v<T, ui_event::whois>)
          return {{"event", "whois"}, {"peer", peer_json(e.member.peer)}, {"fingerprint", e.fingerprint},
                  {"state", to_string(e.member.state)}, {"since", e.member.since.count()},
                  {"names", e.names}, {"linked", e.linked}, {"self", e.self}};
        else if constexpr (std::is_same_v<T, ui_event::warning>) {
          json seen = json::array();
          for (const auto& id : e.seen_with) seen.push_back(id.hex());
          return {{"event", "warning"}, {"kind", e.kind}, {"message", e.message}, {"name", e.name},
                  {"peer", peer_json(e.peer)}, {"seen_with", std::move(seen)}};
        }
        else if constexpr (std::is_same_v<T, ui_event::file_offer>)
          return {{"event", "file-offer"}, {"file", file_json(e.file)}};
        else if constexpr (std::is_same_v<T, ui_event::file_progress>)
          return {{"event", "file-progress"}, {"file_id", e.file_id}, {"bytes", e.bytes}, {"total", e.total},
                  {"rate_bps", e.rate_bps}, {"sources", e.sources}};
        else if constexpr (std::is_same_v<T, ui_event::file_complete>)
          return {{"event", "file-complete"}, {"file_id", e.file_id}, {"path", e.path}, {"sha256", e.sha256}};
        else if constexpr (std::is_same_v<T, ui_event::file_failed>)
        {
          json j = {{"event", "file-failed"}, {"file_id", e.file_id}, {"reason", e.reason}};
          if (e.cancelled) j["cancelled"] = true;  // by us: /cancel
          return j;
        }
        else if constexpr (std::is_same_v<T, ui_event::files>) {
          json list = json::array();
          for (const auto& f : e.files) list.push_back(file_json(f));
          return {{"event", "files"}, {"files", std::move(list)}};
        } else
          return error_json(e.message, e.code);
      },
      event);
}

class json_frontend final : public frontend {
public:
  void show(const ui_event_t& event) override {
    if (std::holds_alternative<ui_event::ready>(event)) joined_->release();
    line_.clear();
    const std::int64_t ts_us = wall_us();
    const auto* message = std::get_if<ui_event::message>(&event);
    if (!message || !append_message_line(line_, *message, ts_us)) {
      json j = to_json(event);
      j["ts_us"] = ts_us;
      // Invalid UTF-8 from a peer is replaced, never allowed to abort the node.
      line_ = j.dump(-1, ' ', false, json::error_handler_t::replace);
    }
    line_ += '\n';
    std::fwrite(line_.data(), 1, line_.size(), stdout);
    // One write(2) for all the lines one turn of the event loop shows, not one per line: a
    // receiver under the throughput benchmark spent 6 % of its CPU flushing line by line.
    if (!context_) {
      std::fflush(stdout);
    } else if (!flush_posted_) {
      flush_posted_ = true;
      boost::asio::post(*context_, [this] {
        flush_posted_ = false;
        std::fflush(stdout);
      });
    }
  }

  void start(node& n) override {
    context_ = &n.context();
    // Shared with the reader thread, which may still wait on it when the process exits.
    auto credits = std::make_shared<std::counting_semaphore<lines_in_flight>>(lines_in_flight);
    reader_ = std::thread([this, &n, credits, joined = joined_] {
      // Nothing is read before we are in the room: a line said earlier was numbered before
      // the room told us where our numbering stands, and input that ends must not end a join.
      joined->acquire();
      std::string line;
      for (line_read got; (got = read_line(std::cin, line)) != line_read::end;) {
        if (got == line_read::too_long) {
          boost::asio::post(n.context(), [this] {
            show(ui_event::error{fmt::format("input line longer than {} bytes: ignored", max_line_bytes)});
          });
          continue;
        }
        credits->acquire();
        boost::asio::post(n.context(), [this, &n, credits, line] {
          handle(n, line);
          n.when_send_queues_low([credits] { credits->release(); });
        });
      }
      n.finish_input();  // leaves once what was said has reached another member
    });
    reader_.detach();  // blocked in read(2) at exit; the process ends it
  }

  void stop() override {}

private:
  void handle(node& n, const std::string& line) {
    const command c = parse_command(line);
    if (dispatch(n, c)) return;
    if (std::holds_alternative<cmd::help>(c)) show(ui_event::help{help_lines()});
    if (const auto* bad = std::get_if<cmd::invalid>(&c)) show(ui_event::error{bad->message});
  }

  std::string line_;  // reused: one line's buffer, not one allocation per line
  // Released when `ready` is shown; shared with the reader, which may wait on it at exit.
  std::shared_ptr<std::binary_semaphore> joined_ = std::make_shared<std::binary_semaphore>(0);
  std::thread reader_;
  boost::asio::io_context* context_ = nullptr;  // set once the node runs
  bool flush_posted_ = false;
};

}  // namespace

bool dispatch(node& n, const command& c) {
  return std::visit(
      [&n](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, cmd::say>) n.say(x.text);
        else if constexpr (std::is_same_v<T, cmd::nick>) n.nick(x.name);
        else if constexpr (std::is_same_v<T, cmd::nodes>) n.list_members();
        else if constexpr (std::is_same_v<T, cmd::stats>) n.report_stats();
        else if constexpr (std::is_same_v<T, cmd::history>) n.show_history(x.count);
        else if constexpr (std::is_same_v<T, cmd::msg>) n.send_direct(x.to, x.text);
        else if constexpr (std::is_same_v<T, cmd::invite>) n.invite(x.qr);
        else if constexpr (std::is_same_v<T, cmd::whois>) n.whois(x.who);
        else if constexpr (std::is_same_v<T, cmd::send_file>) n.send_file(x.to, x.path);
        else if constexpr (std::is_same_v<T, cmd::get_file>) n.get_file(x.id);
        else if constexpr (std::is_same_v<T, cmd::cancel_file>) n.cancel_file(x.id);
        else if constexpr (std::is_same_v<T, cmd::files>) n.list_files();
        else if constexpr (std::is_same_v<T, cmd::leave>) n.leave();
        else if constexpr (std::is_same_v<T, cmd::help> || std::is_same_v<T, cmd::invalid>) return false;
        return true;
      },
      c);
}

std::unique_ptr<frontend> make_json_frontend() { return std::make_unique<json_frontend>(); }

void print_json_error(std::string_view message, int code) {
  json j = error_json(message, code);
  j["ts_us"] = wall_us();
  const std::string line = j.dump(-1, ' ', false, json::error_handler_t::replace) + '\n';
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fflush(stdout);
}

}  // namespace peerchat::ui
