// Compression for index files. Indexes are compressed in independent chunks
// so that an unchanged chunk is never compressed again (see ChunkCache):
// - gzip: raw deflate chunks each ended by a full flush, joined into ONE gzip
//   member with a combined CRC (the pigz technique);
// - xz: one xz stream whose blocks are the independently compressed chunks.
// Both results are ordinary single-stream files that any decoder reads.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace prepo::util {

enum class Compression { none, gzip, xz };

// ".gz", ".xz" or "".
std::string_view extension(Compression c);

// A compressed chunk: the encoder's output for one chunk plus what is needed
// to join chunks (uncompressed size, CRC32 for gzip, block sizes for xz).
struct CompressedChunk {
  std::string data;
  std::uint64_t uncompressed_size = 0;
  std::uint32_t crc32 = 0;         // gzip: CRC32 of the uncompressed chunk
  std::uint64_t unpadded_size = 0; // xz: block's unpadded size (lzma_block_unpadded_size)
};

// Compress one chunk independently (gzip level 9, xz preset 6).
CompressedChunk compress_chunk(Compression c, std::string_view plain);

// Join chunks (in order) into a complete .gz or .xz file.
std::string join_chunks(Compression c, const std::vector<const CompressedChunk*>& chunks);

// Whole-buffer convenience: one chunk, joined.
std::string compress(Compression c, std::string_view plain);

// Decompress with a cap on the output size; a larger result, a truncated or
// corrupt stream is an Error naming `what`. Concatenated streams/members are
// read entirely.
std::string decompress(Compression c, std::string_view data, std::uint64_t max_output,
                       std::string_view what);

// Serialization of a chunk for an on-disk cache.
std::string serialize_chunk(const CompressedChunk& chunk);
std::optional<CompressedChunk> deserialize_chunk(std::string_view bytes);

} // namespace prepo::util
