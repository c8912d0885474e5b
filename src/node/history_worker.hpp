// The node's history store on a thread of its own, so disk writes (an fsync per group of our
// own events) and catch-up reads never stall the event loop (DESIGN.md: blocking work goes to a
// worker and comes back as an input). Tasks run one at a time in submission order, so a read
// sees every write submitted before it.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <functional>
#include <memory>
#include <utility>

#include "history/store.hpp"
#include "node/task_thread.hpp"

namespace peerchat {

class history_worker {
public:
  // `loop` is where results are delivered; it must outlive the worker.
  history_worker(std::unique_ptr<history::store> store, boost::asio::io_context& loop);
  // Runs what is queued (writes must land), then stops the thread.
  ~history_worker() = default;
  history_worker(const history_worker&) = delete;
  history_worker& operator=(const history_worker&) = delete;

  // Runs `task` on the worker thread; the store is the worker's alone.
  void submit(std::function<void(history::store&)> task);

  // Runs `work` on the worker, then `done(result)` on the loop.
  template <class Work, class Done>
  void ask(Work work, Done done) {
    submit([this, work = std::move(work), done = std::move(done)](history::store& s) mutable {
      auto result = work(s);
      boost::asio::post(loop_, [done = std::move(done), result = std::move(result)]() mutable {
        done(std::move(result));
      });
    });
  }

  std::size_t queued() const { return thread_.queued(); }

private:
  std::unique_ptr<history::store> store_;
  boost::asio::io_context& loop_;
  task_thread thread_;  // last: stopped (its queue run) before the store goes
};

}  // namespace peerchat
