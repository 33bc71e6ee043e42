#include "serve/basic_auth.hpp"

#include <gtest/gtest.h>

namespace prepo::serve {
namespace {

TEST(Base64, DecodesStrictly)
{
  EXPECT_EQ(base64_decode(""), "");
  EXPECT_EQ(base64_decode("YQ=="), "a");
  EXPECT_EQ(base64_decode("YWI="), "ab");
  EXPECT_EQ(base64_decode("YWJj"), "abc");
  for (std::string_view bad : {"YQ", "Y===", "YQ=a", "=YWJ", "YW*j", "YWJj YWJj"}) {
    EXPECT_FALSE(base64_decode(bad).has_value()) << bad;
  }
}

TEST(BasicAuth, ParsesUserAndPassword)
{
  // alice:s3cr:et (the password may hold ':')
  auto c = parse_basic_auth("Basic YWxpY2U6czNjcjpldA==");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->user, "alice");
  EXPECT_EQ(c->password, "s3cr:et");
  c = parse_basic_auth("bAsIc   YWxpY2U6eA==  ");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->password, "x");
  EXPECT_EQ(parse_basic_auth("Basic OnNlY3JldA==")->user, ""); // ":secret"
}

TEST(BasicAuth, RefusesOtherSchemesAndMalformedValues)
{
  for (std::string_view bad : {"", "Basic", "Basic ", "Bearer YWxpY2U6eA==", "BasicYWxpY2U6eA==",
                               "Basic YWxpY2U=" /* no colon */, "Basic YWxpY2U6eA" /* no padding */,
                               "Basic YQo6eA==" /* a newline in the user */}) {
    EXPECT_FALSE(parse_basic_auth(bad).has_value()) << bad;
  }
}

} // namespace
} // namespace prepo::serve
