// Interactive terminal. Keys are read raw on the node's event loop and edited by our
// line_editor (sans-IO), so typing and incoming lines share one thread. Incoming lines are
// printed above the prompt row, and the prompt with the half-typed line is drawn again.
#include <fmt/chrono.h>
#include <fmt/format.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/signal_set.hpp>
#include <cerrno>
#include <clocale>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <optional>

#include "net/local_addresses.hpp"
#include "node/node.hpp"
#include "ui/frontend.hpp"
#include "ui/line_editor.hpp"
#include "ui/qr.hpp"
#include "ui/terminal_text.hpp"

namespace peerchat::ui {

namespace {

std::string tag(const peer_info& p) { return fmt::format("{}[{}]", visible(p.name), p.id.short_hex()); }

// HH:MM today, with the date before it on any other day.
std::string clock_of(microseconds wall) {
  return line_time(wall, std::chrono::duration_cast<microseconds>(std::chrono::system_clock::now().time_since_epoch()));
}

// "1 member", "2 members".
std::string count_of(std::size_t n, std::string_view noun) {
  return fmt::format("{} {}{}", n, noun, n == 1 ? "" : "s");
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
  return fmt::format("* file {} [{}{}] {:3.0f}%  {} of {}  {}/s  {}  ({})", e.file_id.substr(0, 8),
                     std::string(static_cast<std::size_t>(filled), '#'),
                     std::string(static_cast<std::size_t>(width - filled), '.'), done * 100,
                     bytes_text(e.bytes), bytes_text(e.total), bytes_text(e.rate_bps), left,
                     count_of(e.sources, "source"));
}

std::string file_line(const ui_event::file_info& f) {
  return fmt::format("{}  {}  {}  from {}{}  [{}]", f.id.substr(0, 8), visible(f.name), bytes_text(f.size), tag(f.from),
                     f.to_room ? "" : fmt::format(" (private, to {})", tag(f.to)), f.state);
}

std::string render(const ui_event_t& event, const frontend_options& options) {
  return std::visit(
      [&](const auto& e) -> std::string {
        using T = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<T, ui_event::ready>) {
          // Quoted for shells that treat '#' or '%' specially.
          const std::string join = e.invite.empty() ? dialable_addresses(e.self.addr).front()
                                                    : "'" + e.invite + "'";
          // A name of their own to replace: any fixed example name was someone's own.
          const std::string how = options.run_hint == "make"
              ? fmt::format("make run NAME=their-name JOIN={}", join)
              : fmt::format("peerchat --name their-name --join {}", join);
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
          std::string out = fmt::format("* {}:", count_of(e.members.size(), "member"));
          for (const auto& m : e.members)
            out += fmt::format("\n  {}  {:<16} {:<22} since {}{}{}", m.peer.id.short_hex(), visible(m.peer.name),
                               visible(m.peer.addr), clock_of(m.since),
                               m.state == member_state::alive ? "" : fmt::format(" ({})", to_string(m.state)),
                               m.self ? "  (you)" : "");
          return out;
        } else if constexpr (std::is_same_v<T, ui_event::stats>) {
          return fmt::format("* {} links; sent {} frames ({} bytes), received {} frames ({} bytes); "
                             "{} datagrams out, {} in; {} events from others in {} copies",
                             e.links, e.frames_sent, e.bytes_sent, e.frames_received,
                             e.bytes_received, e.datagrams_sent, e.datagrams_received,
                             e.events_delivered, e.event_copies);
        } else if constexpr (std::is_same_v<T, ui_event::history>) {
          std::string out = e.events.empty() ? std::string("* no lines yet")
                                             : fmt::format("* the last {}:", count_of(e.events.size(), "line"));
          for (const auto& m : e.events)
            out += fmt::format("\n  {} {}: {}", clock_of(m.sent), tag(m.from), visible_body(m.text));
          return out;
        } else if constexpr (std::is_same_v<T, ui_event::missed>) {
          std::string out = e.returning
              ? fmt::format("— {} line{} while you were away —", e.lines, e.lines == 1 ? "" : "s")
              : fmt::format("— the room's last {} line{} before you joined —", e.shown, e.shown == 1 ? "" : "s");
          if (e.returning && e.lines > e.shown)
            out += fmt::format("\n… {} more: /history {}", e.lines - e.shown, e.lines);
          return out;
        } else if constexpr (std::is_same_v<T, ui_event::synced>) {
          // The lines themselves were shown (ui_event::missed); only what is lacking is news.
          if (e.unavailable == 0) return {};
          return fmt::format("* history: {} earlier event(s) not available from members online", e.unavailable);
        } else if constexpr (std::is_same_v<T, ui_event::direct>) {
          return fmt::format("{} [private] {} -> {}: {}", clock_of(e.sent), tag(e.from), tag(e.to), visible_body(e.text));
        } else if constexpr (std::is_same_v<T, ui_event::direct_status>) {
          if (e.status == ui_event::direct_state::delivered) return fmt::format("* private message {} delivered", e.id.substr(0, 8));
          // The detail says it whole ("not delivered yet; kept and retried"): not after a prefix.
          if (e.status == ui_event::direct_state::pending)
            return fmt::format("* private message {} {}", e.id.substr(0, 8),
                               e.detail.empty() ? "not delivered yet; kept and retried" : visible(e.detail));
          return fmt::format("* private message {} not delivered{}", e.id.substr(0, 8),
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
          if (e.kind == "reconnected") return fmt::format("* {}", e.message);  // good news
          return fmt::format("! warning: {}", e.message);
        } else if constexpr (std::is_same_v<T, ui_event::file_offer>) {
          return fmt::format("* file offered: {}  (/get {} to download)", file_line(e.file), e.file.id.substr(0, 8));
        } else if constexpr (std::is_same_v<T, ui_event::file_progress>) {
          return progress_bar(e);
        } else if constexpr (std::is_same_v<T, ui_event::file_complete>) {
          return fmt::format("* file {} complete: {} (sha256 {})", e.file_id.substr(0, 8), visible(e.path), e.sha256);
        } else if constexpr (std::is_same_v<T, ui_event::file_failed>) {
          if (e.cancelled && e.reason == "cancelled")
            return fmt::format("* file {} cancelled: download stopped, partial file removed", e.file_id.substr(0, 8));
          if (e.cancelled) return fmt::format("* file {} {}", e.file_id.substr(0, 8), visible(e.reason));
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

// The length a line's text would be sent with, for the commands that send text.
std::optional<std::size_t> text_bytes(const command& c) {
  if (const auto* say = std::get_if<cmd::say>(&c)) return say->text.size();
  if (const auto* msg = std::get_if<cmd::msg>(&c)) return msg->text.size();
  return std::nullopt;
}

class terminal_frontend final : public frontend {
public:
  explicit terminal_frontend(frontend_options options)
      : options_(std::move(options)), editor_(prompt, {.max_line_bytes = max_line_bytes}) {}

  ~terminal_frontend() override { restore_terminal(); }

  void show(const ui_event_t& event) override {
    // A progress bar redraws itself in place while nothing else was printed under it.
    const auto* bar = std::get_if<ui_event::file_progress>(&event);
    // A download that ends (cancelled, failed, complete) right under its bar takes the bar's
    // place: a bar left standing reads as a download still under way.
    const std::string* ended = nullptr;
    if (const auto* f = std::get_if<ui_event::file_failed>(&event)) ended = &f->file_id;
    else if (const auto* c = std::get_if<ui_event::file_complete>(&event)) ended = &c->file_id;
    const bool replace = last_was_progress_ && (bar || (ended && *ended == last_progress_file_));
    std::string text = render(event, options_);
    if (text.empty()) return;  // nothing a person needs to read
    // The invite's QR code is drawn with colour escapes of ours; anything else is checked whole.
    if (!std::holds_alternative<ui_event::invite>(event)) text = visible_lines(text);
    print_above(text, replace);
    last_was_progress_ = bar != nullptr;
    if (bar) last_progress_file_ = bar->file_id;
  }

  void start(node& n) override {
    node_ = &n;
    std::setlocale(LC_CTYPE, "");  // only for the width of what is typed (wcwidth)
    enter_raw_mode();
    stdin_.emplace(n.context(), ::dup(STDIN_FILENO));
    resized_.emplace(n.context(), SIGWINCH);
    wait_for_resize();
    columns_ = terminal_columns();
    redraw();
    wait_for_input();
  }

  void stop() override {
    if (!node_) return;
    if (stdin_) stdin_->close();
    if (resized_) resized_->cancel();
    // Leave the prompt row empty for the shell.
    std::fputs("\r\x1b[K", stdout);
    std::fflush(stdout);
    restore_terminal();
    node_ = nullptr;
  }

private:
  static constexpr const char* prompt = "> ";

  // Keys arrive one by one, not as lines, and are not echoed by the terminal: the editor
  // draws them. Signals stay on, so Ctrl+C leaves through SIGINT as before; Ctrl+S and
  // Ctrl+Q no longer freeze the output.
  void enter_raw_mode() {
    termios t{};
    if (::tcgetattr(STDIN_FILENO, &t) != 0) return;
    saved_termios_ = t;
    t.c_iflag &= ~static_cast<tcflag_t>(ICRNL | IXON | INLCR | IGNCR);
    t.c_lflag &= ~static_cast<tcflag_t>(ICANON | ECHO | IEXTEN);
    t.c_cc[VMIN] = 1;
    t.c_cc[VTIME] = 0;
    ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &t);
  }

  void restore_terminal() {
    if (!saved_termios_) return;
    ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &*saved_termios_);
    saved_termios_.reset();
  }

  static std::size_t terminal_columns() {
    winsize w{};
    if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &w) == 0 && w.ws_col > 0) return w.ws_col;
    return 80;
  }

  void wait_for_resize() {
    resized_->async_wait([this](boost::system::error_code ec, int) {
      if (ec || !node_) return;
      columns_ = terminal_columns();
      redraw();
      wait_for_resize();
    });
  }

  void wait_for_input() {
    stdin_->async_wait(boost::asio::posix::stream_descriptor::wait_read,
                       [this](boost::system::error_code ec) {
                         if (ec || !node_) return;
                         char buffer[4096];
                         const ssize_t n = ::read(stdin_->native_handle(), buffer, sizeof buffer);
                         if (n <= 0) {  // the terminal is gone (hangup): leave as on Ctrl+D
                           if (n < 0 && (errno == EINTR || errno == EAGAIN)) return wait_for_input();
                           node_->leave();
                           return;
                         }
                         typed(std::string_view(buffer, static_cast<std::size_t>(n)));
                         if (node_) wait_for_input();
                       });
  }

  void typed(std::string_view bytes) {
    events_.clear();
    editor_.feed(bytes, events_);
    bool bell = false;
    for (auto& e : events_) {
      if (std::holds_alternative<editor_event::bell>(e)) bell = true;
      else if (std::holds_alternative<editor_event::end_of_input>(e)) return node_->leave();
      else if (auto* line = std::get_if<editor_event::submit>(&e)) submit(std::move(line->line));
      if (!node_) return;
    }
    if (bell) std::fputs("\a", stdout);
    redraw();
  }

  void submit(std::string line) {
    // The finished line stays on screen as typed, and the prompt starts afresh under it.
    std::fputs(("\r" + std::string(prompt) + visible(line) + "\x1b[K\n").c_str(), stdout);
    last_was_progress_ = false;  // the typed line is above the prompt now: no bar to redraw over it
    const command c = parse_command(line);
    if (const auto bytes = text_bytes(c); bytes && *bytes > options_.max_text_bytes) {
      // Refused here rather than by the node, so the text can come back for editing.
      show(ui_event::error{fmt::format("line too long: {} bytes, at most {}", *bytes, options_.max_text_bytes)});
      editor_.set_line(std::move(line));
      return;
    }
    if (dispatch(*node_, c)) return;
    if (std::holds_alternative<cmd::help>(c)) show(ui_event::help{help_lines()});
    else if (const auto* bad = std::get_if<cmd::invalid>(&c)) show(ui_event::error{bad->message});
  }

  void redraw() {
    if (!node_) return;
    std::fputs(editor_.render(columns_).c_str(), stdout);
    std::fflush(stdout);
  }

  void print_above(const std::string& text, bool replace_last = false) {
    // Erase the prompt row, print above it, and draw the prompt with the half-typed line again.
    std::printf("%s\r\x1b[K%s\n", replace_last ? "\x1b[1A\r\x1b[K" : "", text.c_str());
    redraw();
    if (!node_) std::fflush(stdout);
  }

  frontend_options options_;
  line_editor editor_;
  std::vector<editor_event_t> events_;  // reused for each read
  node* node_ = nullptr;
  std::optional<boost::asio::posix::stream_descriptor> stdin_;
  std::optional<boost::asio::signal_set> resized_;
  std::optional<termios> saved_termios_;
  std::size_t columns_ = 80;
  bool last_was_progress_ = false;
  std::string last_progress_file_;  // the file of the bar last drawn
};

}  // namespace

std::unique_ptr<frontend> make_terminal_frontend(frontend_options options) {
  return std::make_unique<terminal_frontend>(std::move(options));
}

}  // namespace peerchat::ui
