#include "serve/conditional.hpp"

#include <gtest/gtest.h>

namespace prepo::serve {
namespace {

constexpr std::int64_t t0 = 784111777; // Sun, 06 Nov 1994 08:49:37 GMT

TEST(HttpDate, FormatsAndParsesTheThreeForms)
{
  EXPECT_EQ(format_http_date(t0), "Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_EQ(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), t0);
  EXPECT_EQ(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"), t0);
  EXPECT_EQ(parse_http_date("Sun Nov  6 08:49:37 1994"), t0);
  EXPECT_EQ(parse_http_date(" Sun, 06 Nov 1994 08:49:37 GMT "), t0);
  for (std::string_view bad :
       {"", "yesterday", "Sun, 06 Nov 1994 08:49:37 UTC", "Sun, 6 Nov 1994 08:49:37 GMT",
        "Sun, 06 Foo 1994 08:49:37 GMT", "Sun, 06 Nov 1994 25:49:37 GMT",
        "Sun, 06 Nov 1994 08:49:37 GMT trailing", "1994-11-06T08:49:37Z"}) {
    EXPECT_FALSE(parse_http_date(bad).has_value()) << bad;
  }
}

TEST(ETag, ListsMatchWeaklyOrStrongly)
{
  const auto tag = make_etag(0x10, 0x20, 0x30);
  EXPECT_EQ(tag, "\"10-20-30\"");
  EXPECT_TRUE(etag_list_matches("*", tag, true));
  EXPECT_TRUE(etag_list_matches("\"x\", \"10-20-30\"", tag, true));
  EXPECT_TRUE(etag_list_matches("W/\"10-20-30\"", tag, false));
  EXPECT_FALSE(etag_list_matches("W/\"10-20-30\"", tag, true));
  EXPECT_FALSE(etag_list_matches("\"10-20-31\"", tag, false));
  EXPECT_FALSE(etag_list_matches("", tag, false));
}

TEST(Preconditions, FollowRfc9110Order)
{
  const auto tag = make_etag(1, 2, 3);
  const auto date = format_http_date(t0);
  const auto later = format_http_date(t0 + 10);
  const auto earlier = format_http_date(t0 - 10);
  using P = Precondition;
  EXPECT_EQ(evaluate_preconditions({}, tag, t0), P::proceed);
  EXPECT_EQ(evaluate_preconditions({.if_none_match = tag}, tag, t0), P::not_modified);
  EXPECT_EQ(evaluate_preconditions({.if_none_match = "\"other\""}, tag, t0), P::proceed);
  EXPECT_EQ(evaluate_preconditions({.if_modified_since = date}, tag, t0), P::not_modified);
  EXPECT_EQ(evaluate_preconditions({.if_modified_since = later}, tag, t0), P::not_modified);
  EXPECT_EQ(evaluate_preconditions({.if_modified_since = earlier}, tag, t0), P::proceed);
  EXPECT_EQ(evaluate_preconditions({.if_modified_since = "garbage"}, tag, t0), P::proceed);
  // If-None-Match wins over If-Modified-Since (13.2.2 step 3 before 4).
  EXPECT_EQ(
      evaluate_preconditions({.if_none_match = "\"other\"", .if_modified_since = later}, tag, t0),
      P::proceed);
  EXPECT_EQ(evaluate_preconditions({.if_match = "\"other\""}, tag, t0), P::failed);
  EXPECT_EQ(evaluate_preconditions({.if_match = tag}, tag, t0), P::proceed);
  EXPECT_EQ(evaluate_preconditions({.if_unmodified_since = earlier}, tag, t0), P::failed);
  EXPECT_EQ(evaluate_preconditions({.if_unmodified_since = date}, tag, t0), P::proceed);
}

TEST(IfRange, StrongTagOrExactDate)
{
  const auto tag = make_etag(1, 2, 3);
  EXPECT_TRUE(if_range_holds("", tag, t0));
  EXPECT_TRUE(if_range_holds(tag, tag, t0));
  EXPECT_FALSE(if_range_holds("\"other\"", tag, t0));
  EXPECT_FALSE(if_range_holds("W/" + tag, tag, t0));
  EXPECT_TRUE(if_range_holds(format_http_date(t0), tag, t0));
  EXPECT_FALSE(if_range_holds(format_http_date(t0 + 1), tag, t0));
  EXPECT_FALSE(if_range_holds("not a date", tag, t0));
}

} // namespace
} // namespace prepo::serve
