// peerchat: parses options, loads the identity, runs one node with one front end.
#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <fmt/format.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string_view>

#include "core/address.hpp"
#include "core/config.hpp"
#include "core/error.hpp"
#include "core/exit_code.hpp"
#include "core/invite.hpp"
#include "core/private_dir.hpp"
#include "crypto/identity.hpp"
#include "files/file_offer.hpp"
#include "history/store.hpp"
#include "crypto/room_secret.hpp"
#include "crypto/secret_file.hpp"
#include "node/node.hpp"
#include "ui/frontend.hpp"
#include "wire/frame.hpp"

namespace {

std::string default_data_dir(const std::string& name) {
  const char* xdg = std::getenv("XDG_DATA_HOME");
  const char* home = std::getenv("HOME");
  std::filesystem::path base = xdg && *xdg ? xdg : (home ? std::filesystem::path(home) / ".local/share" : ".");
  // One directory per name, so several people can try peerchat on one machine.
  return (base / "peerchat" / name).string();
}

// Logs in the terminal would draw over the chat, so there they go to a file, bounded (rotated
// at 4 MiB, one older file kept) and private (0600: it names peers and addresses). Errors
// still reach stderr before the chat starts and after it ends, where the person sees them.
class log_routing {
public:
  log_routing() : stderr_(std::make_shared<spdlog::sinks::stderr_color_sink_mt>()) {
    logger_ = std::make_shared<spdlog::logger>("peerchat", stderr_);
    spdlog::set_default_logger(logger_);
    spdlog::set_pattern("%H:%M:%S.%e %^%l%$ %v");
  }

  // Adds the file; returns false (with the reason on stderr) if it cannot be opened.
  bool to_file(const std::filesystem::path& path, bool only_errors_on_stderr) {
    std::error_code ec;
    if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), ec);
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0 || ::fchmod(fd, 0600) != 0) {
      spdlog::error("cannot write the log file {}: {}", path.string(), std::strerror(errno));
      if (fd >= 0) ::close(fd);
      return false;
    }
    ::close(fd);
    try {
      logger_->sinks().push_back(
          std::make_shared<spdlog::sinks::rotating_file_sink_mt>(path.string(), 4 * 1024 * 1024, 1));
    } catch (const spdlog::spdlog_ex& e) {
      spdlog::error("cannot write the log file {}: {}", path.string(), e.what());
      return false;
    }
    logger_->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%l%$ %v");
    // Every line reaches the file at once: the log is read after a crash, and it is quiet
    // in normal operation (no line per message) even at info level.
    logger_->flush_on(spdlog::level::trace);
    if (only_errors_on_stderr) stderr_->set_level(spdlog::level::err);
    return true;
  }

  // While the terminal shows the chat, nothing is written to it behind the front end's back.
  void chat_started() { quiet_ = stderr_->level(); stderr_->set_level(spdlog::level::off); }
  void chat_ended() { stderr_->set_level(quiet_); }

private:
  std::shared_ptr<spdlog::sinks::stderr_color_sink_mt> stderr_;
  std::shared_ptr<spdlog::logger> logger_;
  spdlog::level::level_enum quiet_ = spdlog::level::trace;
};

// Every fatal error: one line on stderr and, in machine mode, an `error {message, code}` line
// on stdout, so a script reading only stdout learns why and with which exit status.
struct fatal {
  bool json = false;
  int operator()(const std::string& message, int code) const {
    spdlog::error("{}", message);
    if (json) peerchat::ui::print_json_error(message, code);
    return code;
  }
};

// --join is an invite or HOST:PORT; anything else is refused before anything starts (before,
// `--join hello` was dialed, retried and given up on seconds later).
std::string check_join(const std::string& join) {
  if (peerchat::is_invite(join)) {
    std::string error;
    return peerchat::parse_invite(join, error) ? std::string{} : error;
  }
  return peerchat::parse_host_port(join)
             ? std::string{}
             : "not an invite (peerchat://...) nor a member's HOST:PORT: '" + join.substr(0, 100) + "'";
}

// --join may be an invite: its addresses are dialed in turn, and its room and secret apply
// unless --room or --secret say otherwise. check_join has accepted it.
void take_invite(peerchat::config& cfg) {
  if (!peerchat::is_invite(cfg.join)) return;
  std::string error;
  const auto inv = peerchat::parse_invite(cfg.join, error);
  cfg.join = inv->addrs.front();
  cfg.join_fallbacks.assign(inv->addrs.begin() + 1, inv->addrs.end());
  if (cfg.room.empty()) cfg.room = inv->room;
  if (cfg.secret.empty()) cfg.secret = inv->secret;
}

// The secret in force: --secret, --secret-file, an invite's; else the one saved in the data
// directory, taken with --closed (a founder with none gets a fresh random one) and on a plain
// restart (no --join) unless the room last joined was open. The node saves the secret in
// force once it is in the room (node_history.cpp), whichever way it came.
bool resolve_room_secret(peerchat::config& cfg, const std::string& secret_file, bool closed,
                         bool last_room_open, const fatal& fail, int& code) {
  namespace pc = peerchat;
  std::error_code ec;
  if (!secret_file.empty()) {
    cfg.secret = pc::read_secret_file(secret_file, ec);
    if (ec) {
      code = fail(fmt::format("cannot use secret file {}: {}", secret_file, ec.message()), pc::exit_code::usage);
      return false;
    }
  }
  const bool plain_restart = cfg.join.empty() && !last_room_open;
  if (!cfg.secret.empty() || !(closed || plain_restart)) return true;
  cfg.secret = pc::load_saved_room_secret(cfg.data_dir, ec);
  if (ec) {
    code = fail(fmt::format("cannot read the saved room secret in {}: {}", cfg.data_dir, ec.message()),
                pc::exit_code::storage);
    return false;
  }
  if (cfg.secret.empty() && closed && cfg.join.empty()) cfg.secret = pc::random_room_secret();
  return true;
}

// Private messages and received files are kept here: nobody else on the machine may read them.
bool make_data_dir_private(const std::string& dir, const fatal& fail, int& code) {
  std::error_code ec;
  const auto made = peerchat::make_private_dir(dir, ec);
  if (ec) {
    code = fail(fmt::format("cannot use data directory {}: {}", dir, ec.message()), peerchat::exit_code::storage);
    return false;
  }
  if (made.dir_tightened || made.tightened > 0)
    spdlog::warn("data directory {} was readable by others: now the directory is 0700 and {} file(s) in it "
                 "lost group and other access (0600)", dir, made.tightened);
  return true;
}

int store_exit_code(const std::error_code& ec) {
  return ec == peerchat::errc::storage_in_use ? peerchat::exit_code::data_dir_in_use : peerchat::exit_code::storage;
}

CLI::Option* add_millis(CLI::App& app, const std::string& flag, std::chrono::milliseconds& value,
                        const std::string& what) {
  return app.add_option_function<long>(flag, [&value](long ms) { value = std::chrono::milliseconds{ms}; }, what)
      ->default_str(std::to_string(value.count()))
      ->check(CLI::Range(1L, 600'000L));
}

}  // namespace

int main(int argc, char** argv) {
  peerchat::config cfg;
  const char* user = std::getenv("USER");
  cfg.name = user && peerchat::wire::valid_name(user) ? user : "anon";
  bool json = false;
  std::string log_level = "info";
  peerchat::ui::frontend_options ui_options;

  CLI::App app{"peerchat: serverless peer-to-peer group chat"};
  auto* name_option = app.add_option("--name", cfg.name, "display name (default: the last one used, or $USER)")
      ->check(CLI::Validator(
          [](const std::string& s) {
            // Every member refuses a hello with another name: the room would refuse us later.
            return peerchat::wire::valid_name(s)
                       ? std::string{}
                       : fmt::format("a name is 1 to {} bytes of UTF-8 without control characters",
                                     peerchat::wire::max_name_bytes);
          },
          "NAME", "printable"));
  app.add_option("--listen", cfg.listen, "HOST:PORT to accept members on; port 0 picks a free one")
      ->capture_default_str();
  app.add_option("--join", cfg.join, "an invite (peerchat://...) or HOST:PORT of any member of the room to join")
      ->check(CLI::Validator(check_join, "INVITE|HOST:PORT", "invite"));
  app.add_option("--room", cfg.room, "room name (default: a new random one, or the joined member's)");
  std::string secret_file;
  bool closed = false;
  auto* secret_option = app.add_option("--secret", cfg.secret,
      "close the room: members prove they know TEXT, which is never sent (others see it in ps: "
      "prefer --secret-file)")
      ->check(CLI::Validator([](const std::string& s) { return s.empty() ? "the room secret is empty" : ""; },
                             "TEXT", "non-empty"));
  app.add_option("--secret-file", secret_file, "like --secret, read from PATH (a trailing newline is ignored)")
      ->excludes(secret_option);
  app.add_flag("--closed", closed,
               "closed room with the secret saved in DATA_DIR/room.secret; a new room gets a random one");
  app.add_option("--data-dir", cfg.data_dir, "identity and state (default: $XDG_DATA_HOME/peerchat/NAME)");
  app.add_flag("--json", json, "machine mode: commands on stdin, one JSON event per line on stdout");
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error or off")->capture_default_str();
  std::string log_file;
  app.add_option("--log-file", log_file,
                 "write logs to PATH (default in the terminal: DATA_DIR/peerchat.log; otherwise stderr)");
  app.add_option("--max-links", cfg.active_view, "live links kept (the active view)")
      ->capture_default_str()->check(CLI::Range(1, 64));
  app.add_option("--history-limit", cfg.history_limit,
                 "history fetched at join and kept: the newest N events (0: all)")
      ->capture_default_str();
  app.add_option("--downloads", cfg.downloads_dir, "where downloaded files go (default: DATA_DIR/downloads)");
  app.add_flag("--auto-accept", cfg.auto_accept, "download every file offered to you or the room, without /get");
  app.add_option("--max-file-size", cfg.max_file_bytes,
                 "largest file offered or accepted, in bytes (at most 4 GiB: 16384 chunks of 256 KiB)")
      ->capture_default_str()
      ->check(CLI::Range(std::uint64_t{0}, std::uint64_t{peerchat::files::max_chunks} * peerchat::files::chunk_bytes));
  app.add_option("--max-transfers", cfg.max_transfers, "downloads at once; more wait their turn")
      ->capture_default_str()
      ->check(CLI::Range(1, 64));
  app.add_option("--max-pending-links", cfg.max_pending_links,
                 "connections still in their TLS or hello handshake, at most")
      ->capture_default_str()->check(CLI::Range(1, 100000));
  add_millis(app, "--handshake-timeout-ms", cfg.handshake_timeout,
             "a connection that has not finished its TLS and hello handshake by then is closed");
  app.add_option("--max-text-bytes", cfg.max_text_bytes,
                 "longest chat line sent or accepted, in bytes (a room's members should agree)")
      ->capture_default_str()->check(CLI::Range(1024, 65536));
  app.add_option("--connection-rate", cfg.connections_per_address_per_s,
                 "connections accepted per second from one address (after the burst)")
      ->capture_default_str()->check(CLI::Range(0.0, 1e6));
  app.add_option("--connection-burst", cfg.connections_per_address_burst,
                 "connections accepted from one address in a burst")
      ->capture_default_str()->check(CLI::Range(1.0, 1e6));
  app.add_option("--member-event-rate", cfg.events_per_member_per_s,
                 "events accepted per second from one member (after the burst; 0: unlimited)")
      ->capture_default_str()->check(CLI::Range(0.0, 1e6));
  app.add_option("--member-event-burst", cfg.events_per_member_burst,
                 "events accepted from one member in a burst")
      ->capture_default_str()->check(CLI::Range(1.0, 1e7));
  add_millis(app, "--probe-interval-ms", cfg.probe_interval, "SWIM: one member probed per interval");
  add_millis(app, "--probe-timeout-ms", cfg.probe_timeout, "SWIM: wait this long for an ack before indirect probes");
  app.add_option("--indirect-probes", cfg.indirect_probes, "SWIM: members asked to probe on our behalf")
      ->capture_default_str()->check(CLI::Range(0, 16));
  app.add_option("--suspicion-mult", cfg.suspicion_mult,
                 "SWIM: a suspicion stands MULT * max(1, log10 N) * probe interval")
      ->capture_default_str()->check(CLI::Range(0.5, 100.0));
  app.add_option("--run-hint", ui_options.run_hint, "how the join hint is phrased")->group("");
  // For the idle benchmark: anti-entropy's own cost is the difference a longer interval makes.
  add_millis(app, "--anti-entropy-interval-ms", cfg.anti_entropy_interval,
             "a version-vector exchange with a random neighbour this often")
      ->group("");
  app.add_option_function<long>(
         "--delivery-timeout",
         [&cfg](long s) { cfg.delivery_timeout = std::chrono::seconds{s}; },
         "when input ends (a pipe), wait at most this many seconds for the lines to reach another member")
      ->default_str(std::to_string(std::chrono::duration_cast<std::chrono::seconds>(cfg.delivery_timeout).count()))
      ->check(CLI::Range(1L, 86'400L));
  app.set_version_flag("--version", std::string("peerchat ") + PEERCHAT_VERSION);

  log_routing logs;
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);  // --help, --version
  } catch (const CLI::ParseError& e) {
    // As CLI11 words it (the option first), on one line without the log's time stamp.
    const std::string message = fmt::format("{} (peerchat --help lists the options)", e.what());
    std::fprintf(stderr, "%s\n", message.c_str());
    if (std::any_of(argv + 1, argv + argc, [](const char* a) { return std::string_view(a) == "--json"; }))
      peerchat::ui::print_json_error(message, peerchat::exit_code::usage);
    return peerchat::exit_code::usage;
  }
  spdlog::set_level(spdlog::level::from_str(log_level));
  std::signal(SIGPIPE, SIG_IGN);  // a closed stdout or socket is an error code, not a death
  // Before any file or thread: what peerchat creates is its owner's alone (history.db and its
  // -wal and -shm, downloads, the key), wherever it goes.
  ::umask(077);
  const fatal fail{json};

  if (cfg.data_dir.empty()) cfg.data_dir = default_data_dir(cfg.name);
  // Without a terminal on stdin (a pipe, a file), input is read as machine mode reads it.
  const bool interactive = !json && ::isatty(STDIN_FILENO);
  if (interactive || !log_file.empty()) {
    const std::filesystem::path path =
        log_file.empty() ? std::filesystem::path(cfg.data_dir) / "peerchat.log" : std::filesystem::path(log_file);
    if (!logs.to_file(path, interactive)) return fail("cannot write the log file", peerchat::exit_code::storage);
  }
  take_invite(cfg);
  int code = peerchat::exit_code::failure;
  try {
    peerchat::crypto_init();
    if (!make_data_dir_private(cfg.data_dir, fail, code)) return code;
    std::error_code ec;
    const auto id = peerchat::identity::load_or_create(cfg.data_dir, ec);
    if (ec)
      return fail(fmt::format("cannot use data directory {}: {}", cfg.data_dir, ec.message()), peerchat::exit_code::storage);

    peerchat::history::store_error store_error;
    auto store = peerchat::history::open_store(std::filesystem::path(cfg.data_dir) / "history.db", {},
                                               store_error);
    if (!store) return fail(store_error.message, store_exit_code(store_error.code));
    // Started again without options: the same room, name and secret as last time.
    std::error_code meta_ec;
    if (cfg.room.empty() && cfg.join.empty())
      cfg.room = store->meta(peerchat::history::meta_key::room_name, meta_ec).value_or("");
    if (name_option->count() == 0)
      if (auto last = store->meta(peerchat::history::meta_key::display_name, meta_ec); last && peerchat::wire::valid_name(*last))
        cfg.name = std::move(*last);
    const bool last_room_open = store->meta(peerchat::history::meta_key::room_closed, meta_ec) == std::optional<std::string>("0");
    if (!resolve_room_secret(cfg, secret_file, closed, last_room_open, fail, code)) return code;

    ui_options.max_text_bytes = cfg.max_text_bytes;
    auto ui = interactive ? peerchat::ui::make_terminal_frontend(ui_options)
                          : peerchat::ui::make_json_frontend();
    peerchat::node node(cfg, id, [&ui](const peerchat::ui_event_t& e) { ui->show(e); }, std::move(store));

    boost::asio::signal_set signals(node.context(), SIGINT, SIGTERM);
    signals.async_wait([&node](boost::system::error_code signal_ec, int) {
      if (!signal_ec) node.leave();
    });
    if (interactive) logs.chat_started();
    ui->start(node);
    node.run();
    ui->stop();
    logs.chat_ended();
    return node.exit_code();
  } catch (const std::exception& e) {
    return fail(e.what(), peerchat::exit_code::failure);
  }
}
