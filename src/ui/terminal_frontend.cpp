// Interactive terminal. Line editing and history come from libedit, driven in its callback
// mode from the node's event loop, so typing and incoming lines share one thread. Incoming
// lines are printed above the prompt: the half-typed line is saved, cleared, and redrawn.
#include <editline/readline.h>
#include <fmt/chrono.h>
#include <fmt/format.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <cstdio>
#include <cstdlib>

#include "net/local_addresses.hpp"
#include "node/node.hpp"
#include "ui/frontend.hpp"
#include "ui/qr.hpp"
#include "ui/terminal_text.hpp"

namespace peerchat::ui {

namespace {

std::string tag(const peer_info& p) { return fmt::format("{}[{}]", visible(p.name), p.id.short_hex()); }

std::string clock_of(microseconds wall) {
  const std::time_t t = std::chrono::duration_cast<std::chrono::seconds>(wall).count();
  return fmt::format("{:%H:%M}", fmt::localtime(t));
}

std::string bytes_text(std::uint64_t n) {
  if (n >= (1u << 30)) return fmt::format("{:.1f} GiB", static_cast<double>(n) / (1u << 30));
  if (n >= (1u << 20)) return fmt::format("{:.1f} MiB", static_cast<double>(n) / (1u << 20));
  if (n >= (1u << 10)) return fmt::format("{:.1f} KiB", static_cast<double>(n) / (1u << 10));
  return fmt::format("{} B", n);
}

// [##########..........]  50%  1.2 GiB of 2.4 GiB  310.5 MiB/s  4 s left
std::string progress_bar(const ui_event::file_progress& e) {
  constexpr int width = 20;
  const double done = e.total ? static_cast<double>(e.bytes) / static_cast<double>(e.total) : 1.0;
  const int filled = static_cast<int>(done * width);
  std::string left = "?";
  if (e.rate_bps > 0) left = fmt::format("{} s left", (e.total - e.bytes + e.rate_bps - 1) / e.rate_bps);
  return fmt::format("* file {} [{}{}] {:3.0f}%  {} of {}  {}/s  {}  ({} sources)", e.file_id.substr(0, 8),
                     std::string(static_cast<std::size_t>(filled), '#'),
                     std::string(static_cast<std::size_t>(width - filled), '.'), done * 100,
                     bytes_text(e.bytes), bytes_text(e.total), bytes_text(e.rate_bps), left, e.sources);
}

std::string file_line(const ui_event::file_info& f) {
  return fmt::format("{}  {}  {}  from {}{}  [{}]", f.id.substr(0, 8), visible(f.name), bytes_text(f.size), tag(f.from),
                     f.to_room ? "" : " (private)", f.state);
}

std::string render(const ui_event_t& event, const frontend_options& options) {
  return std::visit(
      [&](const auto& e) -> std::string {
        using T = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<T, ui_event::ready>) {
          // Quoted for shells that treat '#' or '%' specially.
          const std::string join = e.invite.empty() ? dialable_addresses(e.self.addr).front()
                                                    : "'" + e.invite + "'";
          const std::string how = options.run_hint == "make"
              ? fmt::format("make run NAME=bob JOIN={}", join)
              : fmt::format("peerchat --name bob --join {}", join);
          return fmt::format("* you are {} in room {}, listening on {}\n* others join with:  {}\n"
                             "* type /help for commands",
                             tag(e.self), e.room, e.self.addr, how);
        } else if constexpr (std::is_same_v<T, ui_event::member_joined>)
          return fmt::format("* {} joined ({})", tag(e.peer), visible(e.peer.addr));
        else if constexpr (std::is_same_v<T, ui_event::member_left>)
          return fmt::format("* {} {}", visible(e.peer.name), e.reason == leave_reason::left ? "left" : "failed (no answer)");
        else if constexpr (std::is_same_v<T, ui_event::message>)
          return fmt::format("{} {}{}: {}", clock_of(e.sent), tag(e.from), e.late ? " (late)" : "", visible_body(e.text));
        else if constexpr (std::is_same_v<T, ui_event::nick>)
          return fmt::format("* {} is now {} [{}]", visible(e.old_name), visible(e.new_name), e.peer.id.short_hex());
        else if constexpr (std::is_same_v<T, ui_event::nodes>) {
          std::string out = fmt::format("* {} members:", e.members.size());
          for (const auto& m : e.members)
            out += fmt::format("\n  {}  {:<16} {:<22} since {}{}", m.peer.id.short_hex(), visible(m.peer.name),
                               visible(m.peer.addr), clock_of(m.since),
                               m.state == member_state::alive ? "" : fmt::format(" ({})", to_string(m.state)));
          return out;
        } else if constexpr (std::is_same_v<T, ui_event::stats>) {
          return fmt::format("* {} links; sent {} frames ({} bytes), received {} frames ({} bytes); "
                             "{} datagrams out, {} in; {} events from others in {} copies",
                             e.links, e.frames_sent, e.bytes_sent, e.frames_received,
                             e.bytes_received, e.datagrams_sent, e.datagrams_received,
                             e.events_delivered, e.event_copies);
        } else if constexpr (std::is_same_v<T, ui_event::history>) {
          std::string out = fmt::format("* the last {} line(s):", e.events.size());
          for (const auto& m : e.events)
            out += fmt::format("\n  {} {}: {}", clock_of(m.sent), tag(m.from), visible_body(m.text));
          return out;
        } else if constexpr (std::is_same_v<T, ui_event::synced>) {
          return e.unavailable == 0
              ? fmt::format("* history: {} earlier event(s) fetched (/history to read)", e.events)
              : fmt::format("* history: {} earlier event(s) fetched, {} not available from members online",
                            e.events, e.unavailable);
        } else if constexpr (std::is_same_v<T, ui_event::direct>) {
          return fmt::format("{} [private] {} -> {}: {}", clock_of(e.sent), tag(e.from), tag(e.to), visible_body(e.text));
        } else if constexpr (std::is_same_v<T, ui_event::direct_status>) {
          if (e.status == ui_event::direct_state::delivered) return fmt::format("* private message {} delivered", e.id.substr(0, 8));
          return fmt::format("* private message {} {}{}", e.id.substr(0, 8),
                             e.status == ui_event::direct_state::pending ? "not delivered yet" : "not delivered",
                             e.detail.empty() ? "" : ": " + visible(e.detail));
        } else if constexpr (std::is_same_v<T, ui_event::invite>) {
          std::string out = "* invite (it holds the room secret: share it only with members):\n  " + e.url;
          if (e.qr) {
            const auto modules = qr_modules(e.url);
            if (modules.empty()) out += "\n! too long for a QR code";
            for (const auto& line : qr_lines(modules)) out += "\n" + line;
          }
          return out;
        } else if constexpr (std::is_same_v<T, ui_event::whois>) {
          std::string names;
          for (const auto& n : e.names) names += (names.empty() ? "" : ", ") + visible(n);
          return fmt::format("* {}{}\n  fingerprint  {}\n  address      {}\n  state        {} since {}{}\n"
                             "  names seen   {}",
                             tag(e.member.peer), e.self ? " (you)" : "", e.fingerprint, visible(e.member.peer.addr),
                             to_string(e.member.state), clock_of(e.member.since),
                             e.linked ? ", linked directly" : "", names);
        } else if constexpr (std::is_same_v<T, ui_event::warning>) {
          return fmt::format("! warning: {}", e.message);
        } else if constexpr (std::is_same_v<T, ui_event::file_offer>) {
          return fmt::format("* file offered: {}  (/get {} to download)", file_line(e.file), e.file.id.substr(0, 8));
        } else if constexpr (std::is_same_v<T, ui_event::file_progress>) {
          return progress_bar(e);
        } else if constexpr (std::is_same_v<T, ui_event::file_complete>) {
          return fmt::format("* file {} complete: {} (sha256 {})", e.file_id.substr(0, 8), visible(e.path), e.sha256);
        } else if constexpr (std::is_same_v<T, ui_event::file_failed>) {
          return fmt::format("! file {} failed: {}", e.file_id.substr(0, 8), visible(e.reason));
        } else if constexpr (std::is_same_v<T, ui_event::files>) {
          if (e.files.empty()) return "* no files offered yet (/send WHO PATH offers one)";
          std::string out = "* files:";
          for (const auto& f : e.files) out += "\n  " + file_line(f);
          return out;
        } else if constexpr (std::is_same_v<T, ui_event::help>) {
          std::string out = "* commands:";
          for (const auto& l : e.lines) out += "\n  " + l;
          return out;
        } else
          return fmt::format("! {}", e.message);
      },
      event);
}

class terminal_frontend;
terminal_frontend* active = nullptr;  // libedit's callback API has no user-data pointer

class terminal_frontend final : public frontend {
public:
  explicit terminal_frontend(frontend_options options) : options_(std::move(options)) {}

  void show(const ui_event_t& event) override {
    // A progress bar redraws itself in place while nothing else was printed under it.
    const bool progress = std::holds_alternative<ui_event::file_progress>(event);
    std::string text = render(event, options_);
    // The invite's QR code is drawn with colour escapes of ours; anything else is checked whole.
    if (!std::holds_alternative<ui_event::invite>(event)) text = visible_lines(text);
    print_above(text, progress && last_was_progress_);
    last_was_progress_ = progress;
  }

  void start(node& n) override {
    node_ = &n;
    active = this;
    stdin_.emplace(n.context(), ::dup(STDIN_FILENO));
    using_history();
    rl_callback_handler_install(prompt, &on_line);
    wait_for_input();
  }

  void stop() override {
    if (!node_) return;
    rl_callback_handler_remove();
    if (stdin_) stdin_->close();
    active = nullptr;
    node_ = nullptr;
  }

private:
  static constexpr const char* prompt = "> ";

  void wait_for_input() {
    stdin_->async_wait(boost::asio::posix::stream_descriptor::wait_read,
                       [this](boost::system::error_code ec) {
                         if (ec || !node_) return;
                         rl_callback_read_char();
                         if (node_) wait_for_input();
                       });
  }

  static void on_line(char* raw) {
    if (!active) return std::free(raw);
    if (!raw) {  // Ctrl+D
      active->node_->leave();
      return;
    }
    std::string line(raw);
    std::free(raw);
    if (!line.empty()) add_history(line.c_str());
    // Run the command after libedit has finished with this line, so what it prints lands
    // below the finished line rather than inside libedit's redraw of it.
    boost::asio::post(active->node_->context(), [self = active, line = std::move(line)] {
      if (active != self) return;
      // libedit keeps drawing the finished line otherwise; a fresh handler starts clean.
      rl_callback_handler_remove();
      rl_callback_handler_install(prompt, &on_line);
      const command c = parse_command(line);
      if (dispatch(*self->node_, c)) return;
      if (std::holds_alternative<cmd::help>(c)) self->show(ui_event::help{help_lines()});
      else self->show(ui_event::error{std::get<cmd::invalid>(c).message});
    });
  }

  void print_above(const std::string& text, bool replace_last = false) {
    if (!node_) {
      std::printf("%s\n", text.c_str());
      std::fflush(stdout);
      return;
    }
    // Erase the prompt line, print above it, and let libedit redraw the prompt with the
    // half-typed line it still holds. (libedit's rl_replace_line/rl_set_prompt corrupt its
    // buffer in callback mode, so the line is never taken out of libedit.)
    std::printf("%s\r\033[K%s\n", replace_last ? "\033[1A\r\033[K" : "", text.c_str());
    std::fflush(stdout);
    rl_on_new_line();
    rl_forced_update_display();
  }

  frontend_options options_;
  node* node_ = nullptr;
  std::optional<boost::asio::posix::stream_descriptor> stdin_;
  bool last_was_progress_ = false;
};

}  // namespace

std::unique_ptr<frontend> make_terminal_frontend(frontend_options options) {
  return std::make_unique<terminal_frontend>(std::move(options));
}

}  // namespace peerchat::ui
