#include "serve/request_parser.hpp"

#include <boost/beast/http/error.hpp>
#include <gtest/gtest.h>

namespace prepo::serve {
namespace {

namespace http = boost::beast::http;

// Feeds `text` in one piece; returns the error (need_more if incomplete).
boost::beast::error_code feed(std::string_view text, RequestHead& head, ParserLimits limits = {})
{
  RequestParser parser(head, limits);
  boost::beast::error_code ec;
  std::size_t used = 0;
  while (!parser.is_done()) {
    used += parser.put(boost::asio::buffer(text.data() + used, text.size() - used), ec);
    if (ec) {
      break;
    }
  }
  return ec;
}

TEST(RequestParser, KeepsTheFieldsTheServerUses)
{
  RequestHead head;
  auto ec = feed("GET /dev/x HTTP/1.1\r\nHost: h:1\r\nRange: bytes=0-1\r\nIf-None-Match: \"a\"\r\n"
                 "Authorization: Basic eDp5\r\nUser-Agent: apt\r\nX-Other: y\r\n\r\n",
                 head);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(head.method, Method::get);
  EXPECT_EQ(head.target, "/dev/x");
  EXPECT_EQ(head.host, "h:1");
  EXPECT_EQ(head.range, "bytes=0-1");
  EXPECT_EQ(head.if_none_match, "\"a\"");
  EXPECT_EQ(head.authorization, "Basic eDp5");
  EXPECT_EQ(head.user_agent, "apt");
  EXPECT_TRUE(head.keep_alive);

  ASSERT_FALSE(feed("HEAD / HTTP/1.0\r\n\r\n", head));
  EXPECT_EQ(head.method, Method::head);
  EXPECT_EQ(head.version, 10u);
  EXPECT_FALSE(head.keep_alive);
  ASSERT_FALSE(feed("DELETE / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n", head));
  EXPECT_EQ(head.method, Method::other);
  EXPECT_FALSE(head.keep_alive);
}

TEST(RequestParser, EnforcesLimits)
{
  RequestHead head;
  std::string many = "GET / HTTP/1.1\r\nHost: h\r\n";
  for (int i = 0; i < 101; ++i) {
    many += "X-F" + std::to_string(i) + ": v\r\n";
  }
  auto ec = feed(many + "\r\n", head);
  EXPECT_EQ(RequestParser::status_for(ec), 431u) << ec.message();

  const std::string big =
      "GET / HTTP/1.1\r\nHost: h\r\nX-Big: " + std::string(17000, 'a') + "\r\n\r\n";
  ec = feed(big, head);
  EXPECT_EQ(ec, http::error::header_limit);
  EXPECT_EQ(RequestParser::status_for(ec), 431u);

  for (std::string_view bad : std::initializer_list<std::string_view>{
           "GET / HTTP/1.1\r\n\r\n",                       // no Host
           "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", // two Hosts
           "GET / HTTP/1.1\r\nHost: a\r\nRange: bytes=0-1\r\nRange: bytes=2-3\r\n\r\n",
           "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello",
           "GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
           "GET / HTTP/2.0\r\nHost: a\r\n\r\n",
           std::string_view("GET /\0 HTTP/1.1\r\nHost: a\r\n\r\n", 30),
           "GET / HTTP/1.1\r\nHost: a\r\nBad Field: x\r\n\r\n",
       }) {
    ec = feed(bad, head);
    EXPECT_TRUE(ec && ec != http::error::need_more) << bad;
    EXPECT_EQ(RequestParser::status_for(ec), 400u) << bad;
  }
}

TEST(RequestParser, WaitsForTheWholeHead)
{
  RequestHead head;
  EXPECT_EQ(feed("GET / HTTP/1.1\r\nHost: a\r\n", head), http::error::need_more);
}

} // namespace
} // namespace prepo::serve
