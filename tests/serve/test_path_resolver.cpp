#include "serve/path_resolver.hpp"

#include <cerrno>
#include <fcntl.h>
#include <filesystem>
#include <unistd.h>

#include <gtest/gtest.h>

#include "support/temp_dir.hpp"
#include "util/file.hpp"

namespace prepo::serve {
namespace {

TargetCheck check(std::string_view raw)
{
  Target t;
  return check_target(raw, t);
}

Target parsed(std::string_view raw)
{
  Target t;
  EXPECT_EQ(check_target(raw, t), TargetCheck::ok) << raw;
  return t;
}

TEST(CheckTarget, SplitsFarmAndPath)
{
  auto t = parsed("/dev/dists/skaro/InRelease");
  EXPECT_EQ(t.farm, "dev");
  EXPECT_EQ(t.path, "dists/skaro/InRelease");
  EXPECT_FALSE(t.trailing_slash);

  t = parsed("/");
  EXPECT_EQ(t.farm, "");
  EXPECT_EQ(t.path, "");

  t = parsed("/dev");
  EXPECT_EQ(t.farm, "dev");
  EXPECT_EQ(t.path, "");
  EXPECT_FALSE(t.trailing_slash);

  t = parsed("/dev/");
  EXPECT_EQ(t.path, "");
  EXPECT_TRUE(t.trailing_slash);

  t = parsed("/dev/pool/skaro/");
  EXPECT_EQ(t.path, "pool/skaro");
  EXPECT_TRUE(t.trailing_slash);
}

TEST(CheckTarget, DecodesOnceAndIgnoresTheQuery)
{
  EXPECT_EQ(parsed("/dev/pool/a%2Bb_1.0~rc1.deb").path, "pool/a+b_1.0~rc1.deb");
  EXPECT_EQ(parsed("/dev/x?y=../../etc").path, "x");
  // %252e decodes to the literal "%2e", a name that is not "." (and will 404).
  EXPECT_EQ(parsed("/dev/%252e%252e/conf").path, "%2e%2e/conf");
  EXPECT_EQ(parsed("/dev/caf%C3%A9").path, "caf\xC3\xA9");
}

TEST(CheckTarget, RefusesTraversalAndEncodings)
{
  for (std::string_view raw : {
           "/dev/../conf/tokens",
           "/dev/./x",
           "/..",
           "/dev/..",
           "/dev/%2e%2e/conf",
           "/dev/%2E%2E/x",
           "/dev/.%2e/x",
           "/dev/%2e/x",
           "/dev/a%2fb",
           "/dev/a%2F..%2Fb",
           "/dev/a%5cb",
           "/dev/a\\b",
           "/dev/a%00b",
           "/dev/a%0ab",
           "/dev/a%0d%0ab",
           "/dev/a%7fb",
           "/dev/a%1fb",
           "/dev//x",
           "//dev/x",
           "/dev/%c0%ae%c0%ae/x",
           "/dev/%c0%af",
           "/dev/%e0%80%ae",
           "/dev/%ed%a0%80",
           "/dev/%f4%90%80%80",
           "/dev/%ff",
           "/dev/%c3",
           "/dev/%c3%28",
           "/dev/%zz",
           "/dev/%2",
           "/dev/%",
           "dev/x",
           "",
           "*",
           "http://host/dev/x",
           "/dev/x#frag",
       }) {
    EXPECT_EQ(check(raw), TargetCheck::bad_request) << raw;
  }
  EXPECT_EQ(check("/" + std::string(5000, 'a')), TargetCheck::bad_request);
  EXPECT_EQ(check("/dev/" + std::string(300, 'a')), TargetCheck::bad_request);
}

TEST(CheckTarget, HidesDotFilesAndNonFarmNames)
{
  for (std::string_view raw : {"/dev/.htaccess", "/dev/dists/.tmp-skaro@7/Release", "/.git/config",
                               "/Dev/x", "/-x/y", "/dev/%2ehidden"}) {
    EXPECT_EQ(check(raw), TargetCheck::not_found) << raw;
  }
}

TEST(Utf8, AcceptsWellFormedAndRefusesTheRest)
{
  EXPECT_TRUE(is_valid_utf8(""));
  EXPECT_TRUE(is_valid_utf8("plain"));
  EXPECT_TRUE(is_valid_utf8("\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80"));
  EXPECT_FALSE(is_valid_utf8("\xC0\xAE"));         // overlong '.'
  EXPECT_FALSE(is_valid_utf8("\xE0\x80\xAE"));     // overlong '.'
  EXPECT_FALSE(is_valid_utf8("\xF0\x80\x80\xAE")); // overlong '.'
  EXPECT_FALSE(is_valid_utf8("\xED\xA0\x80"));     // a surrogate
  EXPECT_FALSE(is_valid_utf8("\xF4\x90\x80\x80")); // above U+10FFFF
  EXPECT_FALSE(is_valid_utf8("\x80"));
  EXPECT_FALSE(is_valid_utf8("\xE2\x82"));
  EXPECT_FALSE(is_valid_utf8("\xF8\x88\x80\x80\x80"));
}

using OpenBeneathTest = test::TempDirTest;

TEST_F(OpenBeneathTest, FollowsInternalSymlinksOnly)
{
  const auto farm = dir() / "public" / "dev";
  util::make_dirs(farm / "dists" / "skaro@1");
  util::write_file_atomic(farm / "dists" / "skaro@1" / "Release", "inside",
                          util::Durability::no_flush);
  util::write_file_atomic(dir() / "secret", "SECRET", util::Durability::no_flush);
  std::filesystem::create_directory_symlink("skaro@1", farm / "dists" / "skaro");
  std::filesystem::create_symlink("../../secret", farm / "relative-out");
  std::filesystem::create_symlink(dir() / "secret", farm / "absolute-out");
  std::filesystem::create_symlink("/proc/self/root/etc/passwd", farm / "magic");

  util::Fd dir_fd(::open(farm.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  ASSERT_TRUE(dir_fd);
  auto fd = open_beneath(dir_fd.get(), "dists/skaro/Release");
  ASSERT_TRUE(fd);
  char buf[16] = {};
  EXPECT_EQ(::read(fd.get(), buf, sizeof buf), 6);
  EXPECT_STREQ(buf, "inside");

  for (const char* out : {"relative-out", "absolute-out", "magic", "missing"}) {
    errno = 0;
    EXPECT_FALSE(open_beneath(dir_fd.get(), out)) << out;
    EXPECT_NE(errno, 0) << out;
  }
}

} // namespace
} // namespace prepo::serve
