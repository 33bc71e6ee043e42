#include "util/xz_decoder.hpp"

#include <string>

#include <gtest/gtest.h>

#include "util/compress.hpp"
#include "util/error.hpp"

namespace prepo::util {
namespace {

std::string sample_text()
{
  std::string text;
  for (int i = 0; i < 5000; ++i) {
    text += "Package: p" + std::to_string(i * 7919 % 10007) + "\n\n";
  }
  text += std::string(20000, '\0'); // like a tar's padding
  return text;
}

// Everything the decoder gives, asked for `piece` bytes at a time.
std::string read_all(XzDecoder& decoder, std::size_t piece)
{
  std::string out;
  std::string buffer(piece, '\0');
  while (std::size_t n = decoder.read(buffer.data(), buffer.size())) {
    out.append(buffer, 0, n);
  }
  return out;
}

std::string error_of(XzDecoder& decoder)
{
  try {
    read_all(decoder, 4096);
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(XzDecoder, PiecesOfAnySizeMakeTheWhole)
{
  const std::string text = sample_text();
  const std::string packed = compress(Compression::xz, text);
  for (std::size_t piece : {1, 7, 512, 4096, 1 << 20}) {
    XzDecoder decoder(packed, "t.xz");
    EXPECT_EQ(read_all(decoder, piece), text) << piece;
    char byte = 0;
    EXPECT_EQ(decoder.read(&byte, 1), 0u) << "after the end";
  }
}

TEST(XzDecoder, StopsWhereTheReaderStops)
{
  const std::string text = sample_text();
  const std::string packed = compress(Compression::xz, text);
  XzDecoder decoder(packed, "t.xz");
  std::string head(100, '\0');
  ASSERT_EQ(decoder.read(head.data(), head.size()), head.size());
  EXPECT_EQ(head, text.substr(0, 100));
}

TEST(XzDecoder, ConcatenatedStreamsAreOne)
{
  const std::string packed =
      compress(Compression::xz, "first\n") + compress(Compression::xz, "second\n");
  XzDecoder decoder(packed, "t.xz");
  EXPECT_EQ(read_all(decoder, 3), "first\nsecond\n");
}

TEST(XzDecoder, TruncatedOrCorruptInputNamesIt)
{
  const std::string packed = compress(Compression::xz, sample_text());
  for (std::size_t keep : {packed.size() - 1, packed.size() / 2, std::size_t{13}}) {
    XzDecoder decoder(std::string_view(packed).substr(0, keep), "control.tar.xz");
    EXPECT_EQ(error_of(decoder), "control.tar.xz: truncated or corrupt xz data") << keep;
  }
  std::string corrupt = packed;
  corrupt[corrupt.size() / 2] ^= 0x55;
  XzDecoder decoder(corrupt, "c.xz");
  EXPECT_EQ(error_of(decoder), "c.xz: truncated or corrupt xz data");
  XzDecoder plain("plain text, not xz", "p.xz");
  EXPECT_EQ(error_of(plain), "p.xz: not xz data");
}

TEST(XzDecoder, RecognisesTheMagic)
{
  EXPECT_TRUE(is_xz(compress(Compression::xz, "x")));
  EXPECT_FALSE(is_xz(compress(Compression::gzip, "x")));
  EXPECT_FALSE(is_xz("\xfd"
                     "7zX"));
  EXPECT_FALSE(is_xz(""));
}

} // namespace
} // namespace prepo::util
