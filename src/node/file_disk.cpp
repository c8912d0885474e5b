#include "node/file_disk.hpp"

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/post.hpp>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fmt/format.h>

#include "files/file_offer.hpp"

namespace peerchat {

namespace {

constexpr std::size_t writeback_every = 8 << 20;
constexpr std::size_t direct_alignment = 4096;  // O_DIRECT: buffer, offset and length

std::string sha256_of(std::string_view data) {
  std::string digest(SHA256_DIGEST_LENGTH, '\0');
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(),
         reinterpret_cast<unsigned char*>(digest.data()));
  return digest;
}

bool read_at(int fd, std::string& out, std::size_t length, std::uint64_t offset) {
  out.resize(length);
  std::size_t done = 0;
  while (done < length) {
    const ssize_t n = ::pread(fd, out.data() + done, length - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

bool write_at(int fd, std::string_view data, std::uint64_t offset) {
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::pwrite(fd, data.data() + done, data.size() - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

std::int64_t mtime_ns(const struct stat& st) {
  return static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
}

struct fd_guard {
  int fd = -1;
  ~fd_guard() { if (fd >= 0) ::close(fd); }
};

// "name", "name (1)", "name (2)" ... with the extension kept last: "a.txt" -> "a (1).txt".
std::string candidate(const std::string& name, int n) {
  if (n == 0) return name;
  const auto dot = name.rfind('.');
  const bool has_ext = dot != std::string::npos && dot > 0;
  return has_ext ? fmt::format("{} ({}){}", name.substr(0, dot), n, name.substr(dot))
                 : fmt::format("{} ({})", name, n);
}

}  // namespace

// A download in progress: its .part and .part.have, and the running SHA-256 of the file's
// prefix that is on disk (chunks arrive mostly in order, so the whole-file check at the end
// has little left to read).
struct file_disk::part {
  std::string id, name, path;
  std::uint64_t size = 0;
  std::uint32_t chunk_size = 0, chunks = 0;
  std::string hashes;
  fd_guard data, have;
  // The same file opened O_DIRECT, when the file system allows: chunks bypass the page cache.
  // Here that costs a fifth of the kernel time of a buffered write (whose pages are fresh
  // memory every time) and leaves no dirty pages for an fsync of the store to wait behind.
  fd_guard direct;
  std::unique_ptr<char, decltype(&std::free)> aligned{nullptr, &std::free};  // one chunk
  std::vector<bool> held;
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> sha{EVP_MD_CTX_new(), &EVP_MD_CTX_free};
  std::uint32_t hashed = 0;  // chunks [0, hashed) are in `sha`
  std::size_t unsynced = 0;  // bytes written since writeback was last started

  std::uint32_t length(std::uint32_t i) const {
    return static_cast<std::uint32_t>(std::min<std::uint64_t>(chunk_size, size - std::uint64_t{i} * chunk_size));
  }
};

file_disk::file_disk(std::filesystem::path downloads, boost::asio::io_context& loop)
    : downloads_(std::move(downloads)), loop_(loop) {}

file_disk::~file_disk() = default;

template <class Work, class Done>
void file_disk::ask(Work work, Done done) {
  thread_.submit([this, work = std::move(work), done = std::move(done)]() mutable {
    auto result = work();
    boost::asio::post(loop_, [done = std::move(done), result = std::move(result)]() mutable {
      std::apply(done, std::move(result));
    });
  });
}

void file_disk::hash_file(std::string path, std::uint64_t max_bytes,
                          std::function<void(std::variant<hashed, std::string>)> done) {
  ask([this, path = std::move(path), max_bytes]() -> std::tuple<std::variant<hashed, std::string>> {
        fd_guard f{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
        struct stat st {};
        if (f.fd < 0 || ::fstat(f.fd, &st) != 0) return {fmt::format("cannot read {}: {}", path, std::strerror(errno))};
        if (!S_ISREG(st.st_mode)) return {fmt::format("{} is not a regular file", path)};
        const auto size = static_cast<std::uint64_t>(st.st_size);
        if (size > max_bytes)
          return {fmt::format("{} has {} bytes, above the limit of {} (--max-file-size)", path, size, max_bytes)};
        hashed out{size, {}, {}};
        std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> whole{EVP_MD_CTX_new(), &EVP_MD_CTX_free};
        EVP_DigestInit_ex(whole.get(), EVP_sha256(), nullptr);
        std::string chunk;
        for (std::uint64_t offset = 0; offset < size; offset += files::chunk_bytes) {
          const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(files::chunk_bytes, size - offset));
          if (!read_at(f.fd, chunk, n, offset)) return {fmt::format("cannot read {}: {}", path, std::strerror(errno))};
          out.hashes += sha256_of(chunk);
          EVP_DigestUpdate(whole.get(), chunk.data(), chunk.size());
        }
        out.sha256.resize(SHA256_DIGEST_LENGTH);
        EVP_DigestFinal_ex(whole.get(), reinterpret_cast<unsigned char*>(out.sha256.data()), nullptr);
        struct stat after {};
        if (::fstat(f.fd, &after) == 0 && mtime_ns(after) == mtime_ns(st) && after.st_size == st.st_size)
          hashed_files_[path] = {size, mtime_ns(st), st.st_ino};
        return {std::move(out)};
      },
      std::move(done));
}

void file_disk::read_chunk(files::act::read_chunk t, std::function<void(std::optional<std::string>)> done) {
  ask([this, t = std::move(t)]() -> std::tuple<std::optional<std::string>> {
        std::string data;
        bool ok;
        if (t.path.empty()) {  // a download in progress serves what it holds, checked when written
          part* p = open(t.id);
          if (!p || t.index >= p->chunks || !p->held[t.index] || !read_at(p->data.fd, data, t.length, t.offset))
            return {std::nullopt};
          return {t.key.empty() ? std::move(data) : files::seal_chunk(t.key, t.id, t.index, data)};
        } else {
          fd_guard f{::open(t.path.c_str(), O_RDONLY | O_CLOEXEC)};
          struct stat st {};
          ok = f.fd >= 0 && ::fstat(f.fd, &st) == 0 && read_at(f.fd, data, t.length, t.offset);
          auto known = hashed_files_.find(t.path);
          if (ok && known != hashed_files_.end() && known->second.size == static_cast<std::uint64_t>(st.st_size) &&
              known->second.mtime_ns == mtime_ns(st) && known->second.inode == st.st_ino)
            return {t.key.empty() ? std::move(data) : files::seal_chunk(t.key, t.id, t.index, data)};  // unchanged since hashed
        }
        if (!ok || sha256_of(data) != t.hash) return {std::nullopt};
        if (!t.key.empty()) return {files::seal_chunk(t.key, t.id, t.index, data)};
        return {std::move(data)};
      },
      std::move(done));
}

std::string file_disk::part_path(const std::string& id, const std::string& name) const {
  return (downloads_ / (files::safe_file_name(name) + "." + files::hex(id).substr(0, 8) + ".part")).string();
}

file_disk::part* file_disk::open(const std::string& id) {
  auto it = parts_.find(id);
  return it == parts_.end() ? nullptr : it->second.get();
}

void file_disk::open_part(files::act::open_part t,
                          std::function<void(std::optional<std::vector<bool>>, std::string)> done) {
  ask([this, t = std::move(t)]() -> std::tuple<std::optional<std::vector<bool>>, std::string> {
        close_part(t.id);
        auto p = std::make_unique<part>();
        p->id = t.id;
        p->name = t.name;
        p->path = part_path(t.id, t.name);
        p->size = t.size;
        p->chunk_size = t.chunk_size;
        p->chunks = static_cast<std::uint32_t>(t.hashes.size() / 32);
        p->hashes = t.hashes;
        std::error_code ec;
        std::filesystem::create_directories(downloads_, ec);
        p->data.fd = ::open(p->path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        p->direct.fd = ::open(p->path.c_str(), O_WRONLY | O_DIRECT | O_CLOEXEC);  // -1: buffered only
        if (p->direct.fd >= 0 && t.chunk_size % direct_alignment == 0)
          p->aligned.reset(static_cast<char*>(std::aligned_alloc(direct_alignment, t.chunk_size)));
        p->have.fd = ::open((p->path + ".have").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        // Not preallocated: writes into the holes of a sparse file cost ten times more here
        // than appends (ext4), and chunks come mostly in order, so the file grows at its end.
        if (p->data.fd < 0 || p->have.fd < 0)
          return {std::nullopt, fmt::format("cannot create {}: {}", p->path, std::strerror(errno))};
        // The record says which chunks were written; each is checked again, since a crash may
        // have left the record ahead of the data.
        std::string record;
        struct stat st {};
        if (::fstat(p->have.fd, &st) == 0 && st.st_size > 0)
          read_at(p->have.fd, record, std::min<std::size_t>(static_cast<std::size_t>(st.st_size), p->chunks), 0);
        record.resize(p->chunks, '\0');
        p->held.assign(p->chunks, false);
        std::string chunk;
        for (std::uint32_t i = 0; i < p->chunks; ++i) {
          if (record[i] != 1) continue;
          if (read_at(p->data.fd, chunk, p->length(i), std::uint64_t{i} * p->chunk_size) &&
              sha256_of(chunk) == std::string_view(p->hashes).substr(std::size_t{i} * 32, 32))
            p->held[i] = true;
          else
            record[i] = 0;
        }
        if (!write_at(p->have.fd, record, 0))
          return {std::nullopt, fmt::format("cannot write {}.have: {}", p->path, std::strerror(errno))};
        EVP_DigestInit_ex(p->sha.get(), EVP_sha256(), nullptr);
        auto held = p->held;
        hash_forward(*p, nullptr);
        parts_[t.id] = std::move(p);
        return {std::move(held), {}};
      },
      std::move(done));
}

// Extends the running whole-file hash over the chunks now on disk in order; `just_written`
// is chunk p.hashed's data when the caller has it in memory.
void file_disk::hash_forward(part& p, const std::string* just_written) {
  std::string chunk;
  while (p.hashed < p.chunks && p.held[p.hashed]) {
    if (just_written) {
      EVP_DigestUpdate(p.sha.get(), just_written->data(), just_written->size());
      just_written = nullptr;
    } else if (read_at(p.data.fd, chunk, p.length(p.hashed), std::uint64_t{p.hashed} * p.chunk_size)) {
      EVP_DigestUpdate(p.sha.get(), chunk.data(), chunk.size());
    } else {
      return;  // read again at finish
    }
    ++p.hashed;
  }
}

void file_disk::write_chunk(files::act::write_chunk t, std::function<void(files::write_result)> done) {
  ask([this, t = std::move(t)]() mutable -> std::tuple<files::write_result> {
        part* p = open(t.id);
        if (!p || t.index >= p->chunks) return {files::write_result::io_error};
        if (!t.key.empty()) {
          auto opened = files::open_chunk(t.key, t.id, t.index, t.data);
          if (!opened) return {files::write_result::bad_hash};
          t.data = std::move(*opened);
        }
        if (sha256_of(t.data) != t.hash) return {files::write_result::bad_hash};
        const char one = 1;
        bool direct = false;
        if (p->aligned && t.data.size() % direct_alignment == 0 && t.data.size() <= p->chunk_size) {
          std::memcpy(p->aligned.get(), t.data.data(), t.data.size());
          direct = write_at(p->direct.fd, {p->aligned.get(), t.data.size()}, t.offset);
        }
        if ((!direct && !write_at(p->data.fd, t.data, t.offset)) || !write_at(p->have.fd, {&one, 1}, t.index))
          return {files::write_result::io_error};
        p->held[t.index] = true;
        // Buffered writes: start writing back a few MiB at a time. Left to accumulate, a big
        // download's dirty pages make every fsync on this disk (our store's, for each chat
        // line) wait for them, and chat lines waited 100-400 ms.
        if (!direct) p->unsynced += t.data.size();
        if (p->unsynced >= writeback_every) {
          ::sync_file_range(p->data.fd, 0, 0, SYNC_FILE_RANGE_WRITE);
          p->unsynced = 0;
        }
        hash_forward(*p, t.index == p->hashed ? &t.data : nullptr);
        return {files::write_result::ok};
      },
      std::move(done));
}

void file_disk::finish(files::act::finish t,
                       std::function<void(std::optional<std::string>, std::string)> done) {
  ask([this, t = std::move(t)]() -> std::tuple<std::optional<std::string>, std::string> {
        part* p = open(t.id);
        if (!p) return {std::nullopt, "the partial file is gone"};
        hash_forward(*p, nullptr);
        std::string digest(SHA256_DIGEST_LENGTH, '\0');
        EVP_DigestFinal_ex(p->sha.get(), reinterpret_cast<unsigned char*>(digest.data()), nullptr);
        if (p->hashed != p->chunks || digest != t.sha256) {
          close_part(t.id);
          return {std::nullopt, "the file does not match the SHA-256 its offer gives; discarded"};
        }
        ::fsync(p->data.fd);
        const std::string from = p->path, record = p->path + ".have";
        const std::string name = files::safe_file_name(t.name);
        close_part(t.id);
        for (int n = 0; n < 1000; ++n) {
          const std::string to = (downloads_ / candidate(name, n)).string();
          if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) {
            ::unlink(record.c_str());
            struct stat st {};
            if (::stat(to.c_str(), &st) == 0)
              hashed_files_[to] = {static_cast<std::uint64_t>(st.st_size), mtime_ns(st), st.st_ino};
            return {to, digest};
          }
          if (errno != EEXIST) return {std::nullopt, fmt::format("cannot move {} to {}: {}", from, to, std::strerror(errno))};
        }
        return {std::nullopt, fmt::format("no free name for {} in {}", name, downloads_.string())};
      },
      std::move(done));
}

void file_disk::discard(files::act::discard t) {
  thread_.submit([this, t = std::move(t)] {
    close_part(t.id);
    const std::string path = part_path(t.id, t.name);
    ::unlink(path.c_str());
    ::unlink((path + ".have").c_str());
  });
}

void file_disk::close_part(const std::string& id) { parts_.erase(id); }

}  // namespace peerchat
