// One authenticated TLS connection to a peer: a reader and a writer coroutine on the node's
// executor, a bounded send queue, and one idempotent stop(). Frames are decoded here and
// handed on; protocol decisions are the room core's.
//
// Threading: every member function must be called on the node's thread. Handlers are never
// called from inside a member function: they are posted, so callers need not fear reentry.
// Lifetime: the link keeps itself alive (shared_from_this) until both coroutines end.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <system_error>

#include "core/config.hpp"
#include "net/send_queue.hpp"
#include "proto/peerchat.pb.h"
#include "wire/frame.hpp"

namespace peerchat {

using tls_stream = boost::asio::ssl::stream<boost::asio::ip::tcp::socket>;

// What a link moved, counted in frames as they cross the TLS stream (plaintext: the length
// prefix and the protobuf bytes; TLS record overhead and the handshake are not included).
struct link_counters {
  std::uint64_t bytes_sent = 0;      // written to the TLS stream, write completed
  std::uint64_t bytes_received = 0;  // read from the TLS stream
  std::uint64_t frames_sent = 0;
  std::uint64_t frames_received = 0;  // complete frames decoded
  std::uint64_t bulk_dropped = 0;     // bulk frames refused by a full bulk queue

  link_counters& operator+=(const link_counters& o) {
    bytes_sent += o.bytes_sent;
    bytes_received += o.bytes_received;
    frames_sent += o.frames_sent;
    frames_received += o.frames_received;
    bulk_dropped += o.bulk_dropped;
    return *this;
  }
};

class link : public std::enable_shared_from_this<link> {
public:
  using frame_handler = std::function<void(wire::pb::Frame)>;
  using closed_handler = std::function<void(std::error_code)>;
  using written_handler = std::function<void()>;  // a write completed: the queue shrank

  link(tls_stream stream, const config& cfg, frame_handler on_frame, closed_handler on_closed,
       written_handler on_written = {});

  void start();
  // Queues an encoded frame. If the queue is full the link stops with send_queue_full.
  void send(std::shared_ptr<const std::string> frame);
  // Queues a frame of bulk data (file chunks). Bulk frames go out only when no other frame is
  // waiting, so chat is never stuck behind a file; and a full bulk queue drops the frame
  // (returns false) instead of the link: the puller asks again, like after a lost packet.
  bool send_bulk(std::shared_ptr<const std::string> frame);
  // Sends what is queued (plus `last`, if any), then closes. New sends are ignored.
  void close_after_flush(std::shared_ptr<const std::string> last = nullptr);
  void stop(std::error_code why);

  std::size_t queued_bytes() const { return queue_.bytes(); }
  std::size_t queued_frames() const { return queue_.frames(); }
  // When the write now in progress started; empty while the writer is idle. A write that
  // lasts long means the peer is not reading.
  std::optional<std::chrono::steady_clock::time_point> writing_since() const { return writing_since_; }
  bool stopped() const { return stopped_; }
  const link_counters& counters() const { return counters_; }

private:
  boost::asio::awaitable<void> read_loop();
  boost::asio::awaitable<void> write_loop();

  tls_stream stream_;
  const config& cfg_;
  wire::frame_reader reader_;
  send_queue queue_;
  send_queue bulk_;
  boost::asio::steady_timer wake_writer_;
  frame_handler on_frame_;
  closed_handler on_closed_;
  written_handler on_written_;
  link_counters counters_;
  std::optional<std::chrono::steady_clock::time_point> writing_since_;
  bool closing_ = false;
  bool stopped_ = false;
};

}  // namespace peerchat
