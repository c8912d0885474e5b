#include "node/history_worker.hpp"

namespace peerchat {

history_worker::history_worker(std::unique_ptr<history::store> store, boost::asio::io_context& loop)
    : store_(std::move(store)), loop_(loop), thread_([this] { run(); }) {}

history_worker::~history_worker() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

void history_worker::submit(std::function<void(history::store&)> task) {
  {
    std::lock_guard lock(mutex_);
    tasks_.push_back(std::move(task));
  }
  wake_.notify_one();
}

std::size_t history_worker::queued() const {
  std::lock_guard lock(mutex_);
  return tasks_.size();
}

void history_worker::run() {
  for (;;) {
    std::function<void(history::store&)> task;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || !tasks_.empty(); });
      if (tasks_.empty()) return;  // stopping, and everything queued has run
      task = std::move(tasks_.front());
      tasks_.pop_front();
    }
    task(*store_);
  }
}

}  // namespace peerchat
