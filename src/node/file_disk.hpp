// The disk side of file transfer, on a thread of its own (DESIGN.md: hashing large files and
// disk I/O go to a worker and come back as inputs): hashing a file to offer it, reading and
// checking chunks to serve, and keeping downloads in `.part` files with a record of received
// chunks beside each (`.part.have`, one byte per chunk) so a transfer resumes after a restart.
// Each chunk's SHA-256 is checked before it is written; the whole file's when it is complete.
//
// Threading: call from the node's thread; `done` callbacks run there too. Tasks run in order.
#pragma once

#include <boost/asio/io_context.hpp>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

#include "files/transfers.hpp"
#include "node/task_thread.hpp"

namespace peerchat {

class file_disk {
public:
  struct hashed { std::uint64_t size = 0; std::string hashes; std::string sha256; };

  file_disk(std::filesystem::path downloads, boost::asio::io_context& loop);
  ~file_disk();  // finishes what is queued
  file_disk(const file_disk&) = delete;
  file_disk& operator=(const file_disk&) = delete;

  // A file of ours: its size, chunk hashes and SHA-256, or why it cannot be offered.
  void hash_file(std::string path, std::uint64_t max_bytes,
                 std::function<void(std::variant<hashed, std::string>)> done);
  // A chunk to serve, checked against its hash: nothing if the file changed or is unreadable.
  void read_chunk(files::act::read_chunk task, std::function<void(std::optional<std::string>)> done);
  // Creates (or reopens, checking what it holds) a download's .part: the chunks held.
  void open_part(files::act::open_part task,
                 std::function<void(std::optional<std::vector<bool>>, std::string error)> done);
  void write_chunk(files::act::write_chunk task, std::function<void(files::write_result)> done);
  // Checks the whole file and moves it to its final name (never over an existing file).
  void finish(files::act::finish task,
              std::function<void(std::optional<std::string> path, std::string sha256_or_error)> done);
  void discard(files::act::discard task);

private:
  struct part;
  template <class Work, class Done>
  void ask(Work work, Done done);
  part* open(const std::string& id);
  std::string part_path(const std::string& id, const std::string& name) const;
  void hash_forward(part& p, const std::string* just_written);
  void close_part(const std::string& id);

  std::filesystem::path downloads_;
  boost::asio::io_context& loop_;
  std::unordered_map<std::string, std::unique_ptr<part>> parts_;  // worker thread only
  // Files hashed whole by this worker (offered, or downloaded and checked), with what stat
  // said then: while size and mtime are unchanged, a chunk read to serve need not be hashed
  // again. Others (after a restart) are checked chunk by chunk. Worker thread only.
  struct file_stamp { std::uint64_t size; std::int64_t mtime_ns; std::uint64_t inode; };
  std::unordered_map<std::string, file_stamp> hashed_files_;
  task_thread thread_;  // last: stopped (its queue run) before what it uses goes
};

}  // namespace peerchat
