#include "serve/access_log.hpp"

#include <gtest/gtest.h>

#include "support/temp_dir.hpp"
#include "util/file.hpp"

namespace prepo::serve {
namespace {

TEST(AccessLog, CombinedFormat)
{
  AccessEntry e;
  e.remote = "127.0.0.1";
  e.user = "alice";
  e.time = 784111777;
  e.method = "GET";
  e.target = "/alice/dists/skaro/InRelease";
  e.status = 200;
  e.body_bytes = 1234;
  e.user_agent = "Debian APT-HTTP/1.3 (2.6.1)";
  std::string line;
  format_combined(e, line);
  EXPECT_EQ(line,
            "127.0.0.1 - alice [06/Nov/1994:08:49:37 +0000] \"GET /alice/dists/skaro/InRelease "
            "HTTP/1.1\" 200 1234 \"-\" \"Debian APT-HTTP/1.3 (2.6.1)\"\n");
}

TEST(AccessLog, EscapesClientBytes)
{
  AccessEntry e;
  e.remote = "::1";
  e.time = 0;
  e.method = "GET";
  e.target = "/a\"b\n127.0.0.1 - forged";
  e.version = 10;
  e.status = 404;
  e.user_agent = "x\\y\x01";
  std::string line;
  format_combined(e, line);
  EXPECT_EQ(
      line,
      "::1 - - [01/Jan/1970:00:00:00 +0000] \"GET /a\\\"b\\x0a127.0.0.1 - forged HTTP/1.0\" 404 - "
      "\"-\" \"x\\\\y\\x01\"\n");
  line.clear();
  e.method = "";
  format_combined(e, line);
  EXPECT_NE(line.find("\"-\" 404"), std::string::npos);
}

using AccessLogFile = test::TempDirTest;

TEST_F(AccessLogFile, AppendsAndReopens)
{
  const auto path = dir() / "access.log";
  AccessLog log(path);
  AccessEntry e;
  e.remote = "1.2.3.4";
  e.method = "GET";
  e.target = "/";
  e.status = 200;
  log.write(e);
  std::filesystem::rename(path, dir() / "access.log.1");
  log.reopen();
  log.write(e);
  EXPECT_EQ(util::read_file(dir() / "access.log.1").size(), util::read_file(path).size());
}

} // namespace
} // namespace prepo::serve
