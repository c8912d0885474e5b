#include "node/history_worker.hpp"

namespace peerchat {

history_worker::history_worker(std::unique_ptr<history::store> store, boost::asio::io_context& loop)
    : store_(std::move(store)), loop_(loop) {}

void history_worker::submit(std::function<void(history::store&)> task) {
  thread_.submit([this, task = std::move(task)] { task(*store_); });
}

}  // namespace peerchat
