// A link's outgoing frames, bounded in frames and bytes. When a push would exceed a bound the
// push is refused and the caller drops the link: a peer that stops reading costs at most the
// bound, never unbounded memory, and nothing is silently discarded from the middle.
// Frames are shared (one encoding fanned out to many links). Single-threaded.
#pragma once

#include <cstddef>
#include <deque>
#include <memory>
#include <string>

namespace peerchat {

class send_queue {
public:
  send_queue(std::size_t max_frames, std::size_t max_bytes)
      : max_frames_(max_frames), max_bytes_(max_bytes) {}

  // False when the frame does not fit; the queue is then unchanged.
  bool push(std::shared_ptr<const std::string> frame) {
    if (frames_.size() + 1 > max_frames_ || bytes_ + frame->size() > max_bytes_) return false;
    bytes_ += frame->size();
    frames_.push_back(std::move(frame));
    return true;
  }

  // Moves whole frames into `out` until it holds at least `batch_bytes` (or the queue is
  // empty), so one TLS write carries many small frames. Returns how many frames it moved.
  std::size_t pop_batch(std::string& out, std::size_t batch_bytes) {
    std::size_t moved = 0;
    while (!frames_.empty() && out.size() < batch_bytes) {
      out += *frames_.front();
      bytes_ -= frames_.front()->size();
      frames_.pop_front();
      ++moved;
    }
    return moved;
  }

  // The oldest frame, taken out whole (for a frame written on its own, without a copy).
  std::shared_ptr<const std::string> pop() {
    auto frame = std::move(frames_.front());
    frames_.pop_front();
    bytes_ -= frame->size();
    return frame;
  }

  bool empty() const { return frames_.empty(); }
  std::size_t frames() const { return frames_.size(); }
  std::size_t bytes() const { return bytes_; }

private:
  std::size_t max_frames_;
  std::size_t max_bytes_;
  std::size_t bytes_ = 0;
  std::deque<std::shared_ptr<const std::string>> frames_;
};

}  // namespace peerchat
