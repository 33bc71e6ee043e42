#include "import/safe_path.hpp"

#include <gtest/gtest.h>

#include "util/error.hpp"

using prepo::import::check_safe_relative_path;

TEST(SafePath, AcceptsPoolPaths)
{
  EXPECT_NO_THROW(check_safe_relative_path("pool/main/h/hello/hello_1.0-1+b1~rc_amd64.deb", "t"));
  EXPECT_NO_THROW(check_safe_relative_path("main/binary-amd64/Packages.xz", "t"));
}

TEST(SafePath, RefusesEscapesAndOddCharacters)
{
  for (const char* bad :
       {"", "/etc/passwd", "../../x", "pool/../../x", "pool/./x", "pool//x", "pool/x/", "..",
        "pool/a b.deb", "pool/a\\b", "pool/%2e%2e/x", "pool/a:b", "pool/\x01x", "pool/ä.deb"}) {
    EXPECT_THROW(check_safe_relative_path(bad, "t"), prepo::util::Error) << bad;
  }
}

TEST(SafePath, ErrorNamesSourceAndPath)
{
  try {
    check_safe_relative_path("../../x", "http://m/Packages");
    FAIL();
  } catch (const prepo::util::Error& e) {
    EXPECT_STREQ(e.what(), "http://m/Packages: unsafe path '../../x': empty, '.' or '..' segment");
  }
}
