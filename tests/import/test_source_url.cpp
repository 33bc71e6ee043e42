#include "import/source_url.hpp"

#include <gtest/gtest.h>

#include "util/error.hpp"

using prepo::import::check_source_url;

namespace {

std::string error_of(const std::string& url, const std::string& what = "")
{
  try {
    check_source_url(url, what);
  } catch (const prepo::util::Error& e) {
    return e.what();
  }
  return "";
}

} // namespace

TEST(SourceUrl, AcceptsTheSchemesTheFetcherReads)
{
  EXPECT_EQ(error_of("http://mirror.example.org/debian"), "");
  EXPECT_EQ(error_of("HTTPS://mirror.example.org:8443/debian/"), "");
  EXPECT_EQ(error_of("file:///srv/mirror"), "");
  // A user name alone picks the netrc entry: nothing secret in it.
  EXPECT_EQ(error_of("https://puller@rc-host.example.org/rc"), "");
  // An '@' in the path is not userinfo.
  EXPECT_EQ(error_of("http://host/pool/a:b@c.deb"), "");
}

TEST(SourceUrl, RefusesOtherSchemesUpFront)
{
  EXPECT_EQ(error_of("ftp://host/x.deb"),
            "ftp://host/x.deb: unsupported scheme ftp (only http, https and file are read)");
  EXPECT_NE(error_of("host/x.deb").find("not a URL"), std::string::npos);
  EXPECT_EQ(error_of("gopher://h/rc", "--from"),
            "--from gopher://h/rc: unsupported scheme gopher (only http, https and file are read)");
}

TEST(SourceUrl, RefusesAPasswordWithoutShowingIt)
{
  const auto e = error_of("http://u:s3cret@host:8080/rc", "--from");
  EXPECT_EQ(e.find("s3cret"), std::string::npos) << e;
  EXPECT_EQ(e.rfind("--from http://u:***@host:8080/rc: a password in the URL", 0), 0u) << e;
  EXPECT_NE(e.find("~/.netrc"), std::string::npos) << e;
  EXPECT_NE(e.find("machine host login u password ..."), std::string::npos) << e;
  EXPECT_NE(error_of("https://:token@host/x").find("login USER"), std::string::npos);
  EXPECT_EQ(error_of("https://a:b@[::1]:80/x").find("b@"), std::string::npos);
  EXPECT_NE(error_of("https://a:b@[::1]:80/x").find("machine [::1] "), std::string::npos);
}
