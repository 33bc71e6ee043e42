#include "util/compress.hpp"

#include <algorithm>
#include <array>
#include <memory>

#include <lzma.h>
#include <zlib.h>

#include "util/error.hpp"
#include "util/xz_decoder.hpp"

namespace prepo::util {

namespace {

constexpr int gzip_level = 9;
constexpr std::uint32_t xz_preset = 6;
// Same check as xz(1) uses by default; blocks, header and footer must agree.
constexpr lzma_check xz_check = LZMA_CHECK_CRC64;
// zlib counts in uInt; larger inputs are fed in slices.
constexpr std::size_t zlib_slice = std::size_t{1} << 30;
constexpr std::size_t min_output_buffer = 64 * 1024;
// First guess for decompressed size; beyond it the buffer doubles, so a huge
// input with no cap does not reserve gigabytes up front.
constexpr std::size_t max_initial_output = 64 * 1024 * 1024;

// gzip member header (RFC 1952): deflate, no flags, mtime 0 so identical
// input gives identical bytes, XFL 2 (maximum compression), OS 3 (Unix).
constexpr std::array<unsigned char, 10> gzip_header{0x1f, 0x8b, 0x08, 0x00, 0x00,
                                                    0x00, 0x00, 0x00, 0x02, 0x03};
// A final fixed-Huffman block holding only the end-of-block code. Chunks end
// byte-aligned (full flush), so this closes the deflate stream they form.
constexpr std::array<unsigned char, 2> deflate_final_block{0x03, 0x00};

constexpr std::string_view chunk_magic = "PRPOCHK1";
constexpr std::size_t chunk_header_size = chunk_magic.size() + 8 + 4 + 8 + 8;
constexpr std::size_t chunk_trailer_size = 4;

const unsigned char* bytes_of(std::string_view s)
{
  return reinterpret_cast<const unsigned char*>(s.data());
}

std::uint32_t crc32_of(std::string_view data)
{
  return static_cast<std::uint32_t>(::crc32_z(0, bytes_of(data), data.size()));
}

// The first `used` bytes of an encoder's output buffer, in a string of their
// own size. The buffer is sized for the worst case (about the input's size)
// and resize() keeps that capacity: a publish holds every compressed chunk
// until it is written, so 6 MB of index would otherwise keep ~12 MB where
// 3 MB is used.
std::string exact_copy(const std::string& buffer, std::size_t used)
{
  return std::string(buffer.data(), used);
}

void append_le(std::string& out, std::uint64_t value, int bytes)
{
  for (int i = 0; i < bytes; ++i) {
    out += static_cast<char>((value >> (8 * i)) & 0xff);
  }
}

std::uint64_t read_le(std::string_view in, std::size_t offset, int bytes)
{
  std::uint64_t value = 0;
  for (int i = 0; i < bytes; ++i) {
    value |= std::uint64_t{static_cast<unsigned char>(in[offset + i])} << (8 * i);
  }
  return value;
}

// Growing output buffer that refuses to exceed `cap` bytes, so a small
// hostile input cannot make us allocate without bound.
class CappedOutput {
public:
  CappedOutput(std::uint64_t cap, std::string_view what, std::size_t input_size)
      : cap_(cap), what_(what)
  {
    buffer_.resize(next_size(std::clamp(input_size * 4, min_output_buffer, max_initial_output)));
  }

  // Free space at the end, enlarged first when full.
  std::pair<char*, std::size_t> space()
  {
    if (used_ == buffer_.size()) {
      buffer_.resize(next_size(buffer_.size() * 2));
    }
    return {buffer_.data() + used_, buffer_.size() - used_};
  }

  void commit(std::size_t produced)
  {
    used_ += produced;
    if (used_ > cap_) {
      throw Error("{}: decompressed size exceeds {} bytes", what_, cap_);
    }
  }

  std::string take() &&
  {
    buffer_.resize(used_);
    return std::move(buffer_);
  }

private:
  // One byte beyond the cap is allowed so that exceeding it is observable.
  std::size_t next_size(std::size_t wanted) const
  {
    const std::uint64_t limit = cap_ == UINT64_MAX ? cap_ : cap_ + 1;
    return static_cast<std::size_t>(std::min<std::uint64_t>(wanted, limit));
  }

  std::uint64_t cap_;
  std::string_view what_;
  std::string buffer_;
  std::size_t used_ = 0;
};

// ---- gzip -----------------------------------------------------------------

// zlib keeps a pointer back to the z_stream, so the stream must not move.
class Deflater {
public:
  Deflater()
  {
    // Raw deflate (negative window bits): the gzip wrapper is written once
    // by join_chunks around all chunks.
    if (::deflateInit2(&stream_, gzip_level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
      throw Error("gzip: cannot initialise deflate: {}", stream_.msg ? stream_.msg : "no memory");
    }
  }
  Deflater(const Deflater&) = delete;
  Deflater& operator=(const Deflater&) = delete;
  ~Deflater() { ::deflateEnd(&stream_); }
  z_stream* get() { return &stream_; }

private:
  z_stream stream_{};
};

class Inflater {
public:
  Inflater()
  {
    // 15 + 32: full window, gzip or zlib header detected automatically.
    if (::inflateInit2(&stream_, 15 + 32) != Z_OK) {
      throw Error("gzip: cannot initialise inflate: {}", stream_.msg ? stream_.msg : "no memory");
    }
  }
  Inflater(const Inflater&) = delete;
  Inflater& operator=(const Inflater&) = delete;
  ~Inflater() { ::inflateEnd(&stream_); }
  z_stream* get() { return &stream_; }

private:
  z_stream stream_{};
};

// Runs deflate with `flush` until it has written everything it wants to.
void deflate_into(z_stream* stream, std::string& out, std::size_t& used, int flush)
{
  for (;;) {
    if (used == out.size()) {
      out.resize(out.size() * 2 + min_output_buffer);
    }
    const std::size_t room = std::min(out.size() - used, zlib_slice);
    stream->next_out = reinterpret_cast<Bytef*>(out.data() + used);
    stream->avail_out = static_cast<uInt>(room);
    const int rc = ::deflate(stream, flush);
    used += room - stream->avail_out;
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
      throw Error("gzip: deflate failed ({})", rc);
    }
    // Output space left over means deflate has consumed the input and
    // finished the flush.
    if (stream->avail_out != 0 && stream->avail_in == 0) {
      return;
    }
  }
}

CompressedChunk deflate_chunk(std::string_view plain)
{
  CompressedChunk chunk;
  chunk.uncompressed_size = plain.size();
  chunk.crc32 = crc32_of(plain);
  if (plain.empty()) {
    // Contributes nothing to the joined stream; an empty stored block would
    // only cost bytes.
    return chunk;
  }
  Deflater deflater;
  z_stream* stream = deflater.get();
  std::string out(::deflateBound(stream, plain.size()) + 16, '\0');
  std::size_t used = 0;
  while (!plain.empty()) {
    const std::size_t slice = std::min(plain.size(), zlib_slice);
    stream->next_in = const_cast<Bytef*>(bytes_of(plain));
    stream->avail_in = static_cast<uInt>(slice);
    plain.remove_prefix(slice);
    // A full flush ends the chunk on a byte boundary with no final block and
    // no reference to earlier data, so chunks can be concatenated.
    deflate_into(stream, out, used, plain.empty() ? Z_FULL_FLUSH : Z_NO_FLUSH);
  }
  chunk.data = exact_copy(out, used);
  return chunk;
}

std::string join_gzip(const std::vector<const CompressedChunk*>& chunks)
{
  std::size_t total_data = 0;
  for (const CompressedChunk* chunk : chunks) {
    total_data += chunk->data.size();
  }
  std::string out;
  out.reserve(gzip_header.size() + total_data + deflate_final_block.size() + 8);
  out.append(reinterpret_cast<const char*>(gzip_header.data()), gzip_header.size());
  uLong crc = ::crc32(0, nullptr, 0);
  std::uint64_t size = 0;
  for (const CompressedChunk* chunk : chunks) {
    out += chunk->data;
    crc = ::crc32_combine(crc, chunk->crc32, static_cast<z_off_t>(chunk->uncompressed_size));
    size += chunk->uncompressed_size;
  }
  out.append(reinterpret_cast<const char*>(deflate_final_block.data()), deflate_final_block.size());
  append_le(out, crc, 4);
  append_le(out, size & 0xffffffffU, 4); // ISIZE is the size modulo 2^32
  return out;
}

std::string gunzip(std::string_view data, std::uint64_t max_output, std::string_view what)
{
  Inflater inflater;
  z_stream* stream = inflater.get();
  CappedOutput out(max_output, what, data.size());
  const auto corrupt = [&] { return Error("{}: truncated or corrupt gzip data", what); };
  if (data.empty()) {
    throw corrupt();
  }
  for (;;) {
    if (stream->avail_in == 0 && !data.empty()) {
      const std::size_t slice = std::min(data.size(), zlib_slice);
      stream->next_in = const_cast<Bytef*>(bytes_of(data));
      stream->avail_in = static_cast<uInt>(slice);
      data.remove_prefix(slice);
    }
    const auto [buffer, room] = out.space();
    const std::size_t offered = std::min(room, zlib_slice);
    stream->next_out = reinterpret_cast<Bytef*>(buffer);
    stream->avail_out = static_cast<uInt>(offered);
    const int rc = ::inflate(stream, Z_NO_FLUSH);
    out.commit(offered - stream->avail_out);
    if (rc == Z_STREAM_END) {
      if (stream->avail_in == 0 && data.empty()) {
        return std::move(out).take();
      }
      // Another member follows (as `cat a.gz b.gz` makes).
      if (::inflateReset(stream) != Z_OK) {
        throw corrupt();
      }
    } else if (rc == Z_MEM_ERROR) {
      throw Error("{}: out of memory while decompressing gzip data", what);
    } else if (rc != Z_OK) {
      // Z_BUF_ERROR here means all input was consumed mid-stream.
      throw corrupt();
    }
  }
}

// ---- xz -------------------------------------------------------------------

struct LzmaIndexDeleter {
  void operator()(lzma_index* index) const { ::lzma_index_end(index, nullptr); }
};
using LzmaIndex = std::unique_ptr<lzma_index, LzmaIndexDeleter>;

std::uint64_t round_up_4(std::uint64_t n)
{
  return (n + 3) & ~std::uint64_t{3};
}

// A dictionary larger than the chunk is never filled, yet the encoder sets
// up match-finder tables for it and every decoder allocates it. Sizing it to
// the chunk gives the same compressed size, about 15% faster, and lets apt
// decode a 128 KiB-chunk index with 128 KiB instead of 8 MiB.
std::uint32_t dictionary_for(std::size_t chunk_size, std::uint32_t preset_size)
{
  std::uint32_t size = LZMA_DICT_SIZE_MIN;
  while (size < chunk_size && size < preset_size) {
    size <<= 1;
  }
  return std::min(size, preset_size);
}

CompressedChunk xz_chunk(std::string_view plain)
{
  CompressedChunk chunk;
  chunk.uncompressed_size = plain.size();
  chunk.crc32 = crc32_of(plain);
  if (plain.empty()) {
    // No block at all: the index simply has no record for it.
    return chunk;
  }
  lzma_options_lzma options{};
  if (::lzma_lzma_preset(&options, xz_preset)) {
    throw Error("xz: preset {} is not supported by liblzma", xz_preset);
  }
  options.dict_size = dictionary_for(plain.size(), options.dict_size);
  std::array<lzma_filter, 2> filters{{{LZMA_FILTER_LZMA2, &options}, {LZMA_VLI_UNKNOWN, nullptr}}};
  lzma_block block{};
  block.version = 0;
  block.check = xz_check;
  block.filters = filters.data();
  std::string out(::lzma_block_buffer_bound(plain.size()), '\0');
  std::size_t used = 0;
  // The single-call block encoder writes header, LZMA2 data, padding and
  // check, and falls back to stored LZMA2 chunks for incompressible data.
  const lzma_ret rc =
      ::lzma_block_buffer_encode(&block, nullptr, bytes_of(plain), plain.size(),
                                 reinterpret_cast<std::uint8_t*>(out.data()), &used, out.size());
  if (rc != LZMA_OK) {
    throw Error("xz: cannot compress a chunk of {} bytes (liblzma error {})", plain.size(),
                static_cast<int>(rc));
  }
  chunk.unpadded_size = ::lzma_block_unpadded_size(&block);
  chunk.data = exact_copy(out, used);
  return chunk;
}

lzma_stream_flags xz_stream_flags(lzma_vli backward_size)
{
  lzma_stream_flags flags{};
  flags.version = 0;
  flags.check = xz_check;
  flags.backward_size = backward_size;
  return flags;
}

void append_xz_stream_header(std::string& out)
{
  const lzma_stream_flags flags = xz_stream_flags(LZMA_VLI_UNKNOWN);
  std::array<std::uint8_t, LZMA_STREAM_HEADER_SIZE> header{};
  if (::lzma_stream_header_encode(&flags, header.data()) != LZMA_OK) {
    throw Error("xz: cannot encode stream header");
  }
  out.append(reinterpret_cast<const char*>(header.data()), header.size());
}

void append_xz_index_and_footer(std::string& out, const lzma_index* index)
{
  const lzma_vli index_size = ::lzma_index_size(index);
  std::string encoded(index_size, '\0');
  std::size_t used = 0;
  if (::lzma_index_buffer_encode(index, reinterpret_cast<std::uint8_t*>(encoded.data()), &used,
                                 encoded.size()) != LZMA_OK) {
    throw Error("xz: cannot encode stream index");
  }
  out.append(encoded, 0, used);
  const lzma_stream_flags flags = xz_stream_flags(index_size);
  std::array<std::uint8_t, LZMA_STREAM_HEADER_SIZE> footer{};
  if (::lzma_stream_footer_encode(&flags, footer.data()) != LZMA_OK) {
    throw Error("xz: cannot encode stream footer");
  }
  out.append(reinterpret_cast<const char*>(footer.data()), footer.size());
}

std::string join_xz(const std::vector<const CompressedChunk*>& chunks)
{
  LzmaIndex index(::lzma_index_init(nullptr));
  if (!index) {
    throw Error("xz: cannot allocate stream index");
  }
  std::size_t total_data = 0;
  for (const CompressedChunk* chunk : chunks) {
    total_data += chunk->data.size();
  }
  std::string out;
  out.reserve(total_data + 2 * LZMA_STREAM_HEADER_SIZE + 16 * chunks.size() + 64);
  append_xz_stream_header(out);
  for (std::size_t i = 0; i < chunks.size(); ++i) {
    const CompressedChunk& chunk = *chunks[i];
    if (chunk.data.empty() && chunk.uncompressed_size == 0) {
      continue;
    }
    // A gzip chunk or a damaged cache entry here would produce a file that
    // only fails on the clients; refuse it now.
    if (chunk.data.size() != round_up_4(chunk.unpadded_size) ||
        ::lzma_index_append(index.get(), nullptr, chunk.unpadded_size, chunk.uncompressed_size) !=
            LZMA_OK) {
      throw Error("xz: chunk {} of {} is not a valid xz block", i + 1, chunks.size());
    }
    out += chunk.data;
  }
  append_xz_index_and_footer(out, index.get());
  return out;
}

std::string unxz(std::string_view data, std::uint64_t max_output, std::string_view what)
{
  XzDecoder decoder(data, std::string(what));
  CappedOutput out(max_output, what, data.size());
  for (;;) {
    const auto [buffer, room] = out.space();
    const std::size_t produced = decoder.read(buffer, room);
    if (produced == 0) {
      return std::move(out).take();
    }
    out.commit(produced);
  }
}

} // namespace

std::string_view extension(Compression c)
{
  switch (c) {
  case Compression::none:
    return "";
  case Compression::gzip:
    return ".gz";
  case Compression::xz:
    return ".xz";
  }
  return "";
}

CompressedChunk compress_chunk(Compression c, std::string_view plain)
{
  switch (c) {
  case Compression::gzip:
    return deflate_chunk(plain);
  case Compression::xz:
    return xz_chunk(plain);
  case Compression::none:
    break;
  }
  CompressedChunk chunk;
  chunk.data = std::string(plain);
  chunk.uncompressed_size = plain.size();
  chunk.crc32 = crc32_of(plain);
  return chunk;
}

std::string join_chunks(Compression c, const std::vector<const CompressedChunk*>& chunks)
{
  switch (c) {
  case Compression::gzip:
    return join_gzip(chunks);
  case Compression::xz:
    return join_xz(chunks);
  case Compression::none:
    break;
  }
  std::string out;
  for (const CompressedChunk* chunk : chunks) {
    out += chunk->data;
  }
  return out;
}

std::string compress(Compression c, std::string_view plain)
{
  const CompressedChunk chunk = compress_chunk(c, plain);
  return join_chunks(c, {&chunk});
}

std::string decompress(Compression c, std::string_view data, std::uint64_t max_output,
                       std::string_view what)
{
  switch (c) {
  case Compression::gzip:
    return gunzip(data, max_output, what);
  case Compression::xz:
    return unxz(data, max_output, what);
  case Compression::none:
    break;
  }
  if (data.size() > max_output) {
    throw Error("{}: decompressed size exceeds {} bytes", what, max_output);
  }
  return std::string(data);
}

// Layout (little-endian): magic, uncompressed size (8), crc32 (4), unpadded
// size (8), data length (8), data, CRC32 of everything before it (4). The
// trailing CRC catches a damaged cache file, which would otherwise end up in
// a published index that only clients could detect as corrupt.
std::string serialize_chunk(const CompressedChunk& chunk)
{
  std::string out;
  out.reserve(chunk_header_size + chunk.data.size() + chunk_trailer_size);
  out += chunk_magic;
  append_le(out, chunk.uncompressed_size, 8);
  append_le(out, chunk.crc32, 4);
  append_le(out, chunk.unpadded_size, 8);
  append_le(out, chunk.data.size(), 8);
  out += chunk.data;
  append_le(out, crc32_of(out), 4);
  return out;
}

std::optional<CompressedChunk> deserialize_chunk(std::string_view bytes)
{
  if (bytes.size() < chunk_header_size + chunk_trailer_size ||
      bytes.substr(0, chunk_magic.size()) != chunk_magic) {
    return std::nullopt;
  }
  const std::string_view covered = bytes.substr(0, bytes.size() - chunk_trailer_size);
  if (crc32_of(covered) != read_le(bytes, covered.size(), 4)) {
    return std::nullopt;
  }
  std::size_t offset = chunk_magic.size();
  CompressedChunk chunk;
  chunk.uncompressed_size = read_le(bytes, offset, 8);
  chunk.crc32 = static_cast<std::uint32_t>(read_le(bytes, offset + 8, 4));
  chunk.unpadded_size = read_le(bytes, offset + 12, 8);
  const std::uint64_t data_size = read_le(bytes, offset + 20, 8);
  if (data_size != covered.size() - chunk_header_size) {
    return std::nullopt;
  }
  chunk.data = std::string(covered.substr(chunk_header_size));
  return chunk;
}

} // namespace prepo::util
