#include "util/bytes.hpp"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "util/error.hpp"

using prepo::util::be64;
using prepo::util::ByteReader;
using prepo::util::ByteWriter;
using prepo::util::Error;
using prepo::util::from_be64;

namespace {

const std::vector<std::uint64_t> interesting_numbers = {
    0,
    1,
    0x7f,
    0x80,
    0xff,
    0x3fff,
    0x4000,
    300,
    65535,
    65536,
    std::uint64_t{1} << 32,
    (std::uint64_t{1} << 56) - 1,
    std::uint64_t{1} << 63,
    std::numeric_limits<std::uint64_t>::max() - 1,
    std::numeric_limits<std::uint64_t>::max(),
};

} // namespace

TEST(Bytes, VarintRoundTrip)
{
  for (auto v : interesting_numbers) {
    ByteWriter w;
    w.varint(v);
    ByteReader r(w.bytes(), "test");
    EXPECT_EQ(r.varint(), v) << v;
    EXPECT_TRUE(r.at_end());
    EXPECT_NO_THROW(r.expect_end());
  }
}

TEST(Bytes, VarintIsCompact)
{
  auto size_of = [](std::uint64_t v) { return ByteWriter().varint(v).bytes().size(); };
  EXPECT_EQ(size_of(0), 1u);
  EXPECT_EQ(size_of(0x7f), 1u);
  EXPECT_EQ(size_of(0x80), 2u);
  EXPECT_EQ(size_of(0x3fff), 2u);
  EXPECT_EQ(size_of(0x4000), 3u);
  EXPECT_EQ(size_of(std::numeric_limits<std::uint64_t>::max()), 10u);
}

TEST(Bytes, SequenceOfMixedValuesRoundTrips)
{
  const std::string with_nul("a\0b", 3);
  const std::string large(100000, 'x');
  ByteWriter w;
  w.u8(0).u8(255).str("").str("hello").varint(12345).str(with_nul).str(large).u8(7);
  for (auto v : interesting_numbers) {
    w.varint(v);
  }
  const std::string bytes = w.bytes();

  ByteReader r(bytes, "test");
  EXPECT_EQ(r.u8(), 0);
  EXPECT_EQ(r.u8(), 255);
  EXPECT_EQ(r.str(), "");
  EXPECT_EQ(r.str(), "hello");
  EXPECT_EQ(r.varint(), 12345u);
  EXPECT_EQ(r.str(), with_nul);
  EXPECT_EQ(r.str(), large);
  EXPECT_EQ(r.u8(), 7);
  for (auto v : interesting_numbers) {
    EXPECT_EQ(r.varint(), v);
  }
  EXPECT_TRUE(r.at_end());
}

TEST(Bytes, RvalueBytesMovesTheBuffer)
{
  std::string moved = ByteWriter().str("abc").bytes();
  EXPECT_EQ(moved, std::string("\x03"
                               "abc"));
}

TEST(Bytes, EveryTruncationOfAnEncodingThrows)
{
  ByteWriter w;
  w.u8(9).str("package").varint(std::numeric_limits<std::uint64_t>::max()).str("tail");
  const std::string full = w.bytes();
  for (std::size_t n = 0; n < full.size(); ++n) {
    const std::string cut = full.substr(0, n);
    ByteReader r(cut, "record");
    EXPECT_THROW(
        {
          r.u8();
          r.str();
          r.varint();
          r.str();
        },
        Error)
        << "prefix of " << n << " bytes";
  }
}

TEST(Bytes, TruncatedReadsThrowNamingWhat)
{
  {
    ByteReader r("", "farm state");
    try {
      r.u8();
      FAIL() << "u8 on empty input did not throw";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("farm state"), std::string::npos) << e.what();
    }
  }
  {
    // A continuation byte with nothing after it.
    const std::string bytes("\x80", 1);
    ByteReader r(bytes, "x");
    EXPECT_THROW(r.varint(), Error);
  }
  {
    // A length larger than what follows.
    const std::string bytes("\x05"
                            "abc");
    ByteReader r(bytes, "x");
    EXPECT_THROW(r.str(), Error);
  }
  {
    // A length that would overflow any size computation.
    const std::string bytes =
        ByteWriter().varint(std::numeric_limits<std::uint64_t>::max()).bytes();
    ByteReader r(bytes, "x");
    EXPECT_THROW(r.str(), Error);
  }
}

TEST(Bytes, OverlongVarintThrows)
{
  // Eleven continuation bytes: more than 64 bits' worth.
  const std::string bytes(11, '\x80');
  ByteReader r(bytes, "x");
  EXPECT_THROW(r.varint(), Error);
}

TEST(Bytes, ExpectEndThrowsOnTrailingBytes)
{
  const std::string bytes = ByteWriter().varint(1).u8(2).bytes();
  ByteReader r(bytes, "generation");
  EXPECT_EQ(r.varint(), 1u);
  EXPECT_FALSE(r.at_end());
  EXPECT_THROW(r.expect_end(), Error);
  EXPECT_EQ(r.u8(), 2);
  EXPECT_NO_THROW(r.expect_end());
}

TEST(Bytes, Be64RoundTripAndWidth)
{
  for (auto v : interesting_numbers) {
    const auto encoded = be64(v);
    ASSERT_EQ(encoded.size(), 8u);
    EXPECT_EQ(from_be64(encoded), v);
  }
  EXPECT_EQ(be64(0x0102030405060708), std::string("\x01\x02\x03\x04\x05\x06\x07\x08", 8));
}

TEST(Bytes, Be64SortsLikeTheNumbers)
{
  std::vector<std::uint64_t> numbers = interesting_numbers;
  for (std::uint64_t v = 0; v < 1000; v += 7) {
    numbers.push_back(v * 257);
  }
  std::vector<std::string> keys;
  for (auto v : numbers) {
    keys.push_back(be64(v));
  }
  std::sort(numbers.begin(), numbers.end());
  std::sort(keys.begin(), keys.end()); // byte order, as LMDB compares keys
  ASSERT_EQ(keys.size(), numbers.size());
  for (std::size_t i = 0; i < keys.size(); ++i) {
    EXPECT_EQ(from_be64(keys[i]), numbers[i]);
  }
  // A few pairs that a little-endian or text encoding would get wrong.
  EXPECT_LT(be64(9), be64(10));
  EXPECT_LT(be64(255), be64(256));
  EXPECT_LT(be64(0xff00), be64(0x10000));
}
