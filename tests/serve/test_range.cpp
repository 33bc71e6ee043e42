#include "serve/range.hpp"

#include <gtest/gtest.h>

namespace prepo::serve {
namespace {

std::vector<ByteRange> ranges_of(const RangeSet& set)
{
  return {set.ranges.begin(), set.ranges.begin() + static_cast<std::ptrdiff_t>(set.count)};
}

TEST(Range, SingleRanges)
{
  auto r = parse_range("bytes=0-0", 1000);
  ASSERT_EQ(r.kind, RangeSet::partial);
  EXPECT_EQ(ranges_of(r), (std::vector<ByteRange>{{0, 1}}));
  EXPECT_EQ(ranges_of(parse_range("bytes=-500", 1000)), (std::vector<ByteRange>{{500, 500}}));
  EXPECT_EQ(ranges_of(parse_range("bytes=500-", 1000)), (std::vector<ByteRange>{{500, 500}}));
  EXPECT_EQ(ranges_of(parse_range("bytes=990-2000", 1000)), (std::vector<ByteRange>{{990, 10}}));
  EXPECT_EQ(ranges_of(parse_range("bytes=-5000", 1000)), (std::vector<ByteRange>{{0, 1000}}));
  EXPECT_EQ(ranges_of(parse_range("Bytes = 1-2", 1000)).size(), 0u); // "bytes =" is not the unit
  EXPECT_EQ(ranges_of(parse_range(" BYTES=1-2 ", 1000)), (std::vector<ByteRange>{{1, 2}}));
  EXPECT_EQ(ranges_of(parse_range("bytes=999-", 1000)), (std::vector<ByteRange>{{999, 1}}));
}

TEST(Range, MultipleRanges)
{
  auto r = parse_range("bytes=0-1, 10-19 ,-3,,", 100);
  ASSERT_EQ(r.kind, RangeSet::partial);
  EXPECT_EQ(ranges_of(r), (std::vector<ByteRange>{{0, 2}, {10, 10}, {97, 3}}));
  // An unsatisfiable spec among satisfiable ones is dropped.
  r = parse_range("bytes=0-1,500-600", 100);
  EXPECT_EQ(ranges_of(r), (std::vector<ByteRange>{{0, 2}}));
  // More than max_ranges: the whole file.
  EXPECT_EQ(parse_range("bytes=0-0,2-2,4-4,6-6,8-8", 100).kind, RangeSet::full);
  EXPECT_EQ(parse_range("bytes=0-0,2-2,4-4,6-6", 100).kind, RangeSet::partial);
}

TEST(Range, InvalidIsIgnored)
{
  for (std::string_view h :
       {"", "bytes", "bytes=", "bytes=,", "items=0-1", "bytes=a-b", "bytes=5-1", "bytes=-",
        "bytes=1", "bytes=0-1;2-3", "bytes=--1", "bytes=1-2-3", "bytes=0x10-20", "bytes=+1-2"}) {
    EXPECT_EQ(parse_range(h, 1000).kind, RangeSet::full) << h;
  }
}

TEST(Range, Unsatisfiable)
{
  EXPECT_EQ(parse_range("bytes=1000-", 1000).kind, RangeSet::unsatisfiable);
  EXPECT_EQ(parse_range("bytes=1000-1001,2000-", 1000).kind, RangeSet::unsatisfiable);
  EXPECT_EQ(parse_range("bytes=-0", 1000).kind, RangeSet::unsatisfiable);
  EXPECT_EQ(parse_range("bytes=0-", 0).kind, RangeSet::unsatisfiable);
  EXPECT_EQ(parse_range("bytes=-5", 0).kind, RangeSet::unsatisfiable);
  EXPECT_EQ(parse_range("bytes=99999999999999999999999999-", 1000).kind, RangeSet::unsatisfiable);
  // A huge last position is clamped, not an error.
  EXPECT_EQ(ranges_of(parse_range("bytes=1-99999999999999999999999999", 10)),
            (std::vector<ByteRange>{{1, 9}}));
}

} // namespace
} // namespace prepo::serve
