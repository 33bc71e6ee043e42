#include "import/mirror_release.hpp"

#include <gtest/gtest.h>

#include "repo/release_file.hpp"
#include "util/error.hpp"

using prepo::import::parse_release;
using prepo::repo::parse_release_date;

namespace {

const std::string sha_a(64, 'a');
const std::string sha_b(64, 'b');

std::string release(const std::string& extra)
{
  return "Origin: Test\nCodename: skaro\nComponents: main contrib\nArchitectures: amd64 i386\n"
         "Acquire-By-Hash: yes\n" +
         extra + "SHA256:\n " + sha_a + " 120 main/binary-amd64/Packages.xz\n " + sha_b +
         "  400 main/binary-amd64/Packages\n";
}

} // namespace

TEST(ReleaseDate, ParsesWhatPublishersWrite)
{
  EXPECT_EQ(parse_release_date("Sat, 21 Nov 2026 14:22:00 UTC"), 1795270920);
  EXPECT_EQ(parse_release_date("21 Nov 2026 14:22:00 GMT"), 1795270920);
  EXPECT_EQ(parse_release_date("Sat, 21 Nov 2026 15:22:00 +0100"), 1795270920);
  EXPECT_EQ(parse_release_date(prepo::repo::format_release_date(1795270920)), 1795270920);
  EXPECT_FALSE(parse_release_date("yesterday"));
  EXPECT_FALSE(parse_release_date("Sat, 21 Foo 2026 14:22:00 UTC"));
  EXPECT_FALSE(parse_release_date("Sat, 21 Nov 2026 14:22:00 CEST"));
}

TEST(MirrorRelease, ReadsFieldsAndHashes)
{
  auto r = parse_release(release(""), "http://m/dists/skaro", 0);
  EXPECT_EQ(r.components, (std::vector<std::string>{"main", "contrib"}));
  EXPECT_EQ(r.architectures, (std::vector<std::string>{"amd64", "i386"}));
  EXPECT_TRUE(r.acquire_by_hash);
  ASSERT_EQ(r.files.size(), 2u);
  EXPECT_EQ(r.files.at("main/binary-amd64/Packages").size, 400u);
  EXPECT_EQ(r.files.at("main/binary-amd64/Packages.xz").sha256, sha_a);
}

TEST(MirrorRelease, HonoursValidUntil)
{
  const auto text = release("Valid-Until: Sat, 21 Nov 2026 14:22:00 UTC\n");
  EXPECT_NO_THROW(parse_release(text, "http://m/dists/skaro", 1795270920));
  try {
    parse_release(text, "http://m/dists/skaro", 1795270921);
    FAIL();
  } catch (const prepo::util::Error& e) {
    EXPECT_NE(std::string(e.what()).find("http://m/dists/skaro/Release: expired"),
              std::string::npos)
      << e.what();
  }
}

TEST(MirrorRelease, RefusesWeakOnlyHashesAndUnsafePaths)
{
  EXPECT_THROW(parse_release("Codename: x\nMD5Sum:\n " + std::string(32, 'a') + " 1 main/x\n",
                             "http://m/dists/x", 0),
               prepo::util::Error);
  EXPECT_THROW(parse_release("Codename: x\nSHA256:\n " + sha_a + " 1 ../../etc/passwd\n",
                             "http://m/dists/x", 0),
               prepo::util::Error);
  EXPECT_THROW(parse_release("Codename: x\nSHA256:\n " + sha_a + " 1 a\n " + sha_b + " 2 a\n",
                             "http://m/dists/x", 0),
               prepo::util::Error);
}
