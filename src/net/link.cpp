#include "net/link.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "core/error.hpp"

namespace peerchat {

namespace asio = boost::asio;

namespace {
constexpr std::size_t read_chunk = 256 * 1024;  // a file chunk's frame in one read
constexpr std::size_t write_batch = 64 * 1024;
}  // namespace

link::link(tls_stream stream, const config& cfg, frame_handler on_frame, closed_handler on_closed,
           written_handler on_written)
    : stream_(std::move(stream)),
      cfg_(cfg),
      reader_(cfg.max_frame_bytes),
      queue_(cfg.send_queue_max_frames, cfg.send_queue_max_bytes),
      bulk_(cfg.send_queue_max_frames, cfg.bulk_queue_max_bytes),
      wake_writer_(stream_.get_executor(), asio::steady_timer::time_point::max()),
      on_frame_(std::move(on_frame)),
      on_closed_(std::move(on_closed)),
      on_written_(std::move(on_written)) {}

void link::start() {
  asio::co_spawn(stream_.get_executor(), [self = shared_from_this()] { return self->read_loop(); },
                 asio::detached);
  asio::co_spawn(stream_.get_executor(), [self = shared_from_this()] { return self->write_loop(); },
                 asio::detached);
}

void link::send(std::shared_ptr<const std::string> frame) {
  if (stopped_ || closing_) return;
  if (!queue_.push(std::move(frame))) return stop(errc::send_queue_full);
  wake_writer_.cancel_one();
}

bool link::send_bulk(std::shared_ptr<const std::string> frame) {
  if (stopped_ || closing_) return false;
  if (!bulk_.push(std::move(frame))) {
    ++counters_.bulk_dropped;
    return false;
  }
  wake_writer_.cancel_one();
  return true;
}

void link::close_after_flush(std::shared_ptr<const std::string> last) {
  if (stopped_ || closing_) return;
  if (last) queue_.push(std::move(last));  // a full queue loses only the courtesy Bye
  closing_ = true;
  wake_writer_.cancel_one();
}

void link::stop(std::error_code why) {
  if (stopped_) return;
  stopped_ = true;
  boost::system::error_code ignored;
  stream_.lowest_layer().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  stream_.lowest_layer().close(ignored);
  wake_writer_.cancel();
  asio::post(stream_.get_executor(), [self = shared_from_this(), why] { self->on_closed_(why); });
}

asio::awaitable<void> link::read_loop() {
  // Not zero-filled: a page is resident only once a read reaches it, so a link that carries
  // only chat keeps a few KiB of it, not 256 (a node has several links).
  const auto buffer = std::make_unique_for_overwrite<char[]>(read_chunk);
  boost::system::error_code ec;
  while (!stopped_) {
    const std::size_t n = co_await stream_.async_read_some(
        asio::buffer(buffer.get(), read_chunk), asio::redirect_error(asio::use_awaitable, ec));
    if (ec) break;
    counters_.bytes_received += n;
    reader_.feed(std::string_view(buffer.get(), n));
    std::error_code frame_ec;
    while (!stopped_) {
      auto frame = reader_.next(frame_ec);
      if (frame_ec) co_return stop(frame_ec);
      if (!frame) break;
      ++counters_.frames_received;
      on_frame_(std::move(*frame));
    }
  }
  stop(ec ? std::error_code(ec) : std::error_code{});
}

asio::awaitable<void> link::write_loop() {
  std::string batch;
  boost::system::error_code ec;
  while (!stopped_) {
    if (queue_.empty() && (bulk_.empty() || closing_)) {
      if (closing_) break;
      co_await wake_writer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;  // woken by send(), close_after_flush() or stop()
    }
    // Other frames first, many per write; bulk only when none wait, one frame per write
    // (written from where it lies), so a chat frame queued meanwhile waits for one chunk.
    batch.clear();
    std::shared_ptr<const std::string> bulk_frame;
    std::size_t frames = 1;
    if (queue_.empty()) bulk_frame = bulk_.pop();
    else frames = queue_.pop_batch(batch, write_batch);
    const std::string& bytes = bulk_frame ? *bulk_frame : batch;
    writing_since_ = std::chrono::steady_clock::now();
    co_await asio::async_write(stream_, asio::buffer(bytes),
                               asio::redirect_error(asio::use_awaitable, ec));
    writing_since_.reset();
    if (ec) co_return stop(ec);
    counters_.bytes_sent += bytes.size();
    counters_.frames_sent += frames;
    if (on_written_) on_written_();
  }
  stop({});
}

}  // namespace peerchat
