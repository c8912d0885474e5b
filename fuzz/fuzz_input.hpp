// The byte format of the structured fuzz inputs, read by the harnesses and written by the
// corpus generator (make_corpus.cpp), so both sides agree on one definition.
// An input is a sequence of fields: a byte, a 2- or 8-byte big-endian number, or a byte string
// (a 2-byte length, then the bytes). Every byte sequence is a valid input: a field cut short
// reads as zeros (a string as what is left), so libFuzzer's mutations are never wasted on a
// parse error of the harness's own format.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace peerchat::fuzz {

class input_reader {
public:
  input_reader(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}

  bool empty() const { return pos_ >= size_; }
  std::uint8_t byte() { return empty() ? 0 : data_[pos_++]; }
  std::uint16_t u16() { return static_cast<std::uint16_t>(number(2)); }
  std::uint64_t u64() { return number(8); }
  std::string bytes() {
    const std::size_t length = std::min<std::size_t>(u16(), size_ - pos_);
    std::string out(reinterpret_cast<const char*>(data_ + pos_), length);
    pos_ += length;
    return out;
  }

private:
  std::uint64_t number(int width) {
    std::uint64_t v = 0;
    for (int i = 0; i < width; ++i) v = v << 8 | byte();
    return v;
  }

  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t pos_ = 0;
};

class input_writer {
public:
  input_writer& byte(std::uint8_t v) { out_.push_back(static_cast<char>(v)); return *this; }
  input_writer& u16(std::uint16_t v) { return number(v, 2); }
  input_writer& u64(std::uint64_t v) { return number(v, 8); }
  input_writer& bytes(std::string_view s) {
    u16(static_cast<std::uint16_t>(s.size()));
    out_.append(s.substr(0, 0xffff));
    return *this;
  }
  const std::string& data() const { return out_; }

private:
  input_writer& number(std::uint64_t v, int width) {
    for (int i = width - 1; i >= 0; --i) byte(static_cast<std::uint8_t>(v >> (8 * i)));
    return *this;
  }
  std::string out_;
};

// The body of a target whose input is a list of operations: a fresh `T` per input, and
// T::run(opcode, in) for each operation until the input ends.
template <class T>
int run_operations(const std::uint8_t* data, std::size_t size) {
  input_reader in(data, size);
  T under_test;
  while (!in.empty()) under_test.run(in.byte(), in);
  return 0;
}

// A broken invariant: report and abort, so libFuzzer keeps the input as a crash. Unlike
// assert() it stays on whatever the build type.
[[noreturn]] inline void invariant_broken(const char* what, const char* file, int line) {
  std::fprintf(stderr, "%s:%d: invariant broken: %s\n", file, line, what);
  std::abort();
}

}  // namespace peerchat::fuzz

#define FUZZ_CHECK(cond) \
  ((cond) ? void(0) : ::peerchat::fuzz::invariant_broken(#cond, __FILE__, __LINE__))
