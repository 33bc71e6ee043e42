#include "repo/names.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace prepo::repo {
namespace {

using ::testing::HasSubstr;

TEST(Names, SafeFileNames)
{
  for (const char* good :
       {"hello_1.0-1.dsc", "hello_1.0.orig.tar.gz", "a", "A+b~c_d.e-f", "0ad_0.0.26-3_amd64.deb"}) {
    EXPECT_TRUE(is_safe_file_name(good)) << good;
  }
  for (const char* bad : {"", "../x", "a/b", "/abs", "x\x01", ".hidden", "-opt", "_x", "a..b", "..",
                          "a b", "a\tb", "a\nb", "a\\b", "caf\xc3\xa9", "~x", "+x", "a:b"}) {
    EXPECT_FALSE(is_safe_file_name(bad)) << bad;
  }
  EXPECT_TRUE(is_safe_file_name(std::string(255, 'a')));
  EXPECT_FALSE(is_safe_file_name(std::string(256, 'a')));
}

TEST(Names, PackageNames)
{
  for (const char* good : {"hello", "g++", "libc6", "0ad", "python3.11", "lib-x.y+z"}) {
    EXPECT_TRUE(is_valid_package_name(good)) << good;
  }
  for (const char* bad : {"", "a", "Hello", "-x", "+x", ".x", "a_b", "a b", "a/b", "a:b"}) {
    EXPECT_FALSE(is_valid_package_name(bad)) << bad;
  }
}

TEST(Names, SimpleNames)
{
  for (const char* good : {"amd64", "all", "hurd-i386", "main", "non-free-firmware",
                           "bookworm_backports", "x.y", "a"}) {
    EXPECT_TRUE(is_valid_simple_name(good)) << good;
  }
  for (const char* bad : {"", "Main", "-x", "_x", ".x", "a b", "a/b", "a+b", "a:b"}) {
    EXPECT_FALSE(is_valid_simple_name(bad)) << bad;
  }
}

TEST(Names, ArchitectureNames)
{
  // Debian's (dpkg-architecture -L) and the pseudo-architectures.
  for (const char* good : {"amd64", "i386", "arm64", "armhf", "hurd-i386", "kfreebsd-amd64",
                           "musl-linux-arm64", "ppc64el", "all", "source", "any"}) {
    EXPECT_TRUE(is_valid_architecture_name(good)) << good;
  }
  for (const char* bad : {"", "foo_bar", "AMD64", "-amd64", "amd.64", "a b", "a/b", "../x"}) {
    EXPECT_FALSE(is_valid_architecture_name(bad)) << bad;
  }
}

TEST(Names, SuiteNames)
{
  for (const char* good : {"stable", "bookworm-security", "stable-proposed-updates",
                           "jammy-updates", "bookworm_backports", "Stable", "12.5", "v1+x~y"}) {
    EXPECT_TRUE(is_valid_suite_name(good)) << good;
  }
  for (const char* bad : {"", "bad suite", "a/b", "..", "-x", ".x", "a\tb", "a\nb", "a:b"}) {
    EXPECT_FALSE(is_valid_suite_name(bad)) << bad;
  }
}

TEST(Names, PoolPrefix)
{
  EXPECT_EQ(pool_prefix("hello"), "h");
  EXPECT_EQ(pool_prefix("libfoo"), "libf");
  EXPECT_EQ(pool_prefix("lib"), "l");
  EXPECT_EQ(pool_prefix("lib0"), "lib0");
  EXPECT_EQ(pool_prefix("0ad"), "0");
  EXPECT_EQ(pool_prefix("li"), "l");
}

TEST(Names, DescribeUnsafeName)
{
  EXPECT_EQ(describe_unsafe_name("a/b"), "'a/b' contains '/'");
  EXPECT_EQ(describe_unsafe_name("../x"), "'../x' contains '/'");
  EXPECT_EQ(describe_unsafe_name("a..b"), "'a..b' contains '..'");
  EXPECT_EQ(describe_unsafe_name("x\x01"), "'x\\x01' contains control character \\x01");
  EXPECT_EQ(describe_unsafe_name(".x"), "'.x' starts with '.'");
  EXPECT_EQ(describe_unsafe_name("a b"), "'a b' contains ' '");
  EXPECT_THAT(describe_unsafe_name(std::string(300, 'a')), HasSubstr("longer than 255 bytes"));
  EXPECT_EQ(describe_unsafe_name(""), "the name is empty");
}

TEST(Names, PrintableName)
{
  EXPECT_EQ(printable_name("plain-name_1.0"), "plain-name_1.0");
  EXPECT_EQ(printable_name("a\nb\\c\xff"), "a\\x0ab\\x5cc\\xff");
}

} // namespace
} // namespace prepo::repo
