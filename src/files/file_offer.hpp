// A file offer as receivers hold it: the checked wire offer, its id, and the arithmetic of its
// chunks. Pure functions and values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/ids.hpp"
#include "proto/peerchat.pb.h"

namespace peerchat::files {

// Chunks of 256 KiB: big enough that per-chunk costs (a frame, a request, a hash) vanish next
// to the data, small enough that a lost one is cheap to fetch again and that a chunk never
// holds a chat frame up for long (about 0.5 ms at 500 MB/s).
inline constexpr std::uint32_t chunk_bytes = 256 * 1024;
// The chunk hashes travel in one FileHashes frame (32 bytes each, 512 KiB at most), so a file
// has at most this many chunks: 4 GiB at the chunk size above.
inline constexpr std::uint32_t max_chunks = 16384;
inline constexpr std::size_t file_id_bytes = 16;
inline constexpr std::size_t max_name_bytes = 255;
// A private file's chunks travel as nonce || XChaCha20-Poly1305(chunk) under the offer's key.
inline constexpr std::size_t chunk_key_bytes = 32;
inline constexpr std::size_t sealed_chunk_overhead = 24 + 16;

struct file_offer {
  std::string id;  // file_id_bytes
  peer_id from;
  bool to_room = true;
  wire::pb::FileOffer wire;

  std::uint32_t chunk_count() const;
  std::uint64_t chunk_offset(std::uint32_t index) const { return std::uint64_t{index} * wire.chunk_size(); }
  std::uint32_t chunk_length(std::uint32_t index) const;
  bool sealed_chunks() const { return !wire.key().empty(); }
};

// BLAKE2b-128 over the offerer's key and the offer as serialized: nobody can reuse the id of
// another member's offer for other content.
std::string file_id_of(const peer_id& from, const wire::pb::FileOffer& offer);

// Checks an offer from the network (or our own): sizes, hash lengths, chunk arithmetic and the
// size limit. On failure returns nothing and says why in `why` (one line).
std::optional<file_offer> check_offer(const peer_id& from, const wire::pb::FileOffer& offer,
                                      bool to_room, std::uint64_t max_file_bytes, std::string& why);

// A name safe to create in the downloads folder: the last path component only, without
// control characters or a leading dot, at most max_name_bytes; "file" if nothing is left.
std::string safe_file_name(std::string_view offered);

// SHA-256 over the concatenated chunk hashes: what an offer's chunk_hashes_root must be.
std::string hashes_root(std::string_view hashes);

std::string hex(std::string_view bytes);

// A private file's chunk as it travels: sealed to the offer's key, bound to the file and the
// chunk's index (a relay cannot move a sealed chunk to another place). Open returns nothing
// if the chunk was altered.
std::string seal_chunk(std::string_view key, std::string_view file_id, std::uint32_t index, std::string_view chunk);
std::optional<std::string> open_chunk(std::string_view key, std::string_view file_id, std::uint32_t index,
                                      std::string_view sealed);

}  // namespace peerchat::files
