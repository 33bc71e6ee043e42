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

TEST(MirrorRelease, RefusesADateAheadOfTheClock)
{
  const auto text = release("Date: Sat, 21 Nov 2026 14:22:00 UTC\n");
  const std::time_t date = 1795270920;
  // apt's allowance for clock skew, and not a second more.
  EXPECT_NO_THROW(parse_release(text, "http://m/dists/skaro", date));
  EXPECT_NO_THROW(
      parse_release(text, "http://m/dists/skaro", date - prepo::import::max_future_seconds));
  try {
    parse_release(text, "http://m/dists/skaro", date - prepo::import::max_future_seconds - 1);
    FAIL();
  } catch (const prepo::util::Error& e) {
    EXPECT_NE(std::string(e.what()).find("http://m/dists/skaro/Release: not valid yet: Date Sat, "
                                         "21 Nov 2026 14:22:00 UTC is 11 s ahead"),
              std::string::npos)
        << e.what();
  }
  // An unreadable Date is only warned about by apt: not a reason to refuse.
  EXPECT_NO_THROW(parse_release(release("Date: someday\n"), "http://m/dists/skaro", 0));
}

namespace {

std::string name_error(const std::string& fields, const std::string& dist)
{
  auto r = parse_release(fields + "SHA256:\n " + sha_a + " 1 main/binary-amd64/Packages\n",
                         "http://m/dists/" + dist, 0);
  try {
    prepo::import::check_distribution_name(r, dist);
  } catch (const prepo::util::Error& e) {
    return e.what();
  }
  return "";
}

} // namespace

TEST(MirrorRelease, MustBeTheDistributionAskedFor)
{
  // Codename or Suite, as apt accepts it.
  EXPECT_EQ(name_error("Codename: skaro\nSuite: unstable\n", "skaro"), "");
  EXPECT_EQ(name_error("Codename: bookworm\nSuite: stable\n", "stable"), "");
  EXPECT_EQ(
      name_error("Codename: bookworm-security\nSuite: stable-security\n", "bookworm-security"), "");
  // "buster/updates" (the old security layout) is Codename buster.
  EXPECT_EQ(name_error("Codename: buster\nSuite: oldoldstable\n", "buster/updates"), "");
  EXPECT_EQ(name_error("Suite: skaro\n", "skaro"), "");

  EXPECT_EQ(name_error("Codename: gallifrey\nSuite: unstable\n", "skaro"),
            "http://m/dists/skaro/Release: is not distribution 'skaro': it says Codename "
            "gallifrey, Suite unstable (a Release of another distribution served under this "
            "name)");
  EXPECT_NE(name_error("Origin: x\n", "skaro").find("Codename (none), Suite (none)"),
            std::string::npos);
  // Case matters (apt compares exactly), and a prefix is not the name.
  EXPECT_NE(name_error("Codename: Skaro\n", "skaro"), "");
  EXPECT_NE(name_error("Codename: skaro-updates\n", "skaro"), "");
  EXPECT_NE(name_error("Codename: updates\n", "buster/updates"), "");
}
