#include "util/xz_decoder.hpp"

#include <algorithm>
#include <array>

#include "util/error.hpp"

namespace prepo::util {

namespace {

constexpr std::array<unsigned char, 6> xz_magic{0xfd, '7', 'z', 'X', 'Z', 0x00};

} // namespace

bool is_xz(std::string_view data)
{
  return data.size() >= xz_magic.size() &&
         std::equal(xz_magic.begin(), xz_magic.end(), data.begin(),
                    [](unsigned char m, char c) { return m == static_cast<unsigned char>(c); });
}

XzDecoder::XzDecoder(std::string_view compressed, std::string what) : what_(std::move(what))
{
  if (::lzma_stream_decoder(&stream_, xz_memlimit, LZMA_CONCATENATED) != LZMA_OK) {
    throw Error("{}: cannot initialise xz decoder", what_);
  }
  stream_.next_in = reinterpret_cast<const std::uint8_t*>(compressed.data());
  stream_.avail_in = compressed.size();
}

XzDecoder::~XzDecoder()
{
  ::lzma_end(&stream_);
}

std::size_t XzDecoder::read(char* out, std::size_t room)
{
  if (ended_ || room == 0) {
    return 0;
  }
  stream_.next_out = reinterpret_cast<std::uint8_t*>(out);
  stream_.avail_out = room;
  for (;;) {
    // All input is present, so LZMA_FINISH from the start: the decoder then
    // reports a missing end as an error instead of waiting for more.
    const lzma_ret rc = ::lzma_code(&stream_, LZMA_FINISH);
    const std::size_t produced = room - stream_.avail_out;
    if (rc == LZMA_STREAM_END) {
      ended_ = true;
      return produced;
    }
    if (rc != LZMA_OK) {
      fail(rc);
    }
    // LZMA_OK without output: input ran out mid-stream, which the next call
    // reports as LZMA_BUF_ERROR.
    if (produced > 0) {
      return produced;
    }
  }
}

void XzDecoder::fail(int rc) const
{
  switch (rc) {
  case LZMA_MEMLIMIT_ERROR:
    throw Error("{}: xz data needs more than {} MiB of memory to decompress", what_,
                xz_memlimit >> 20);
  case LZMA_MEM_ERROR:
    throw Error("{}: out of memory while decompressing xz data", what_);
  case LZMA_FORMAT_ERROR:
    throw Error("{}: not xz data", what_);
  case LZMA_OPTIONS_ERROR:
    throw Error("{}: unsupported xz options", what_);
  default:
    throw Error("{}: truncated or corrupt xz data", what_);
  }
}

} // namespace prepo::util
