// Pull decoding of an xz stream held in memory: the caller asks for as many
// bytes as it needs next, so a reader that wants only the start of the
// content never pays for the rest (see ArchiveReader).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <lzma.h>

namespace prepo::util {

// A hostile header can ask for a dictionary of gigabytes; real xz files are
// made with presets that need at most 64 MiB.
inline constexpr std::uint64_t xz_memlimit = std::uint64_t{1} << 30;

// Whether `data` starts with the xz stream header magic.
bool is_xz(std::string_view data);

class XzDecoder {
public:
  // `compressed` must outlive the decoder; `what` names it in errors.
  // Concatenated streams are decoded as one, as xz(1) does.
  XzDecoder(std::string_view compressed, std::string what);
  ~XzDecoder();
  XzDecoder(const XzDecoder&) = delete;
  XzDecoder& operator=(const XzDecoder&) = delete;

  // Decodes up to `room` bytes into `out` and returns how many; 0 only once
  // the stream has ended and its checks passed. Error naming the input when
  // it is truncated, corrupt or needs too much memory.
  std::size_t read(char* out, std::size_t room);

private:
  [[noreturn]] void fail(int rc) const;

  lzma_stream stream_ = LZMA_STREAM_INIT;
  std::string what_;
  bool ended_ = false;
};

} // namespace prepo::util
