#include "repo/version.hpp"

#include <random>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "support/shell.hpp"
#include "support/temp_dir.hpp"
#include "util/error.hpp"

namespace prepo::repo {
namespace {

int sign(int v)
{
  return (v > 0) - (v < 0);
}

TEST(Version, KnownOrderings)
{
  struct Case {
    const char* a;
    const char* b;
    int expected;
  };
  const Case cases[] = {
      {"1.0", "1.0", 0},
      {"1.0", "1.1", -1},
      {"1.0", "1.0-0", 0}, // an absent revision equals "0"
      {"0:1.0", "1.0", 0},
      {"1:0.1", "2.0", 1},
      {"1.0~rc1", "1.0", -1},
      {"1.0~~", "1.0~", -1},
      {"1.0~", "1.0", -1},
      {"1.0", "1.0+b1", -1},
      {"1.0", "1.0a", -1},
      {"1.0a", "1.0+", -1}, // letters sort before other characters
      {"1.0+", "1.0.", -1},
      {"1.01", "1.1", 0}, // digits compare numerically
      {"1.10", "1.9", 1},
      {"1.0-1", "1.0-1.1", -1},
      {"1.0-1", "1.0-1~bpo1", 1},
      {"2.0-1", "10.0-1", -1},
      {"1.0-2", "1.0-10", -1},
      {"99999999999999999999", "100000000000000000000", -1},
      {"1:1.0-1", "1:1.0-1", 0},
      {"1a", "1A", 1},
      {"a", "b", -1},
  };
  for (const Case& c : cases) {
    ASSERT_TRUE(is_valid_version(c.a) && is_valid_version(c.b)) << c.a << " vs " << c.b;
    EXPECT_EQ(sign(compare_versions(c.a, c.b)), c.expected) << c.a << " vs " << c.b;
    EXPECT_EQ(sign(compare_versions(c.b, c.a)), -c.expected) << c.b << " vs " << c.a;
  }
}

TEST(Version, ParsesParts)
{
  const Version v = parse_version("2:1.0-rc1-3ubuntu1", "t");
  EXPECT_EQ(v.epoch, 2u);
  EXPECT_EQ(v.upstream, "1.0-rc1");
  EXPECT_EQ(v.revision, "3ubuntu1");
  const Version n = parse_version("1.2.3", "t");
  EXPECT_EQ(n.epoch, 0u);
  EXPECT_EQ(n.upstream, "1.2.3");
  EXPECT_EQ(n.revision, "");
  const Version c = parse_version("1:2:3-4", "t"); // colons in upstream need an epoch
  EXPECT_EQ(c.epoch, 1u);
  EXPECT_EQ(c.upstream, "2:3");
}

TEST(Version, ValidatesLikeDpkg)
{
  for (const char* good : {"1", "0", "1.0", "1:1.0-1", "1.0+dfsg~rc1-1+b1", "1.0-1-1", "1:a:b-c",
                           "abc", "0:0", "00:1"}) {
    EXPECT_TRUE(is_valid_version(good)) << good;
  }
  for (const char* bad :
       {"",      " 1.0", "1.0 ",    "1 0",     "a:1",     ":1",     "1:",   "1.0-",
        "-1",    "1:-1", "1_0",     "1.0-1_1", "1.0-a:b", "1.0-1-", "-1:1", "99999999999:1",
        "1.0\n", "1,0",  "1.0-1/2", "é"}) {
    EXPECT_FALSE(is_valid_version(bad)) << bad;
  }
}

TEST(Version, ErrorNamesInputAndReason)
{
  try {
    parse_version("1.0-", "foo.dsc");
    FAIL();
  } catch (const util::Error& e) {
    EXPECT_STREQ(e.what(), "foo.dsc: invalid version '1.0-': revision number is empty");
  }
  EXPECT_THROW(compare_versions("1.0", "bad version"), util::Error);
}

TEST(Version, WithoutEpoch)
{
  EXPECT_EQ(version_without_epoch("1:2.0-1"), "2.0-1");
  EXPECT_EQ(version_without_epoch("2.0-1"), "2.0-1");
  EXPECT_EQ(version_without_epoch("1:2:3"), "2:3");
}

// Random versions built from the pieces that matter to the ordering.
class VersionGenerator {
public:
  explicit VersionGenerator(unsigned seed) : rng_(seed) {}

  std::string version()
  {
    std::string v;
    const bool epoch = chance(25);
    if (epoch) {
      v += std::to_string(pick({0, 1, 2, 10, 0})) + ":";
    }
    const bool revision = chance(60);
    v += part(true, epoch, revision);
    if (revision) {
      v += "-" + part(false, false, false);
    }
    return v;
  }

  // A close relative of `v`, so equal and nearly equal pairs are common.
  std::string mutate(std::string v)
  {
    static const std::string inserts[] = {"~", "~~", "+",  ".",   "0",  "00", "1",
                                          "a", "Z",  "~a", "+b1", ".0", "9"};
    const int n = pick({1, 1, 2});
    for (int i = 0; i < n; ++i) {
      const std::size_t colon = v.find(':');
      const std::size_t start = colon == std::string::npos ? 1 : colon + 2;
      if (v.size() <= start) {
        v += "0";
        continue;
      }
      std::uniform_int_distribution<std::size_t> at(start, v.size());
      const std::size_t pos = at(rng_);
      switch (pick({0, 1, 2})) {
      case 0:
        v.insert(pos, inserts[pick({0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12})]);
        break;
      case 1:
        if (pos < v.size() && v[pos] != '-' && v[pos] != ':') {
          v.erase(pos, 1);
        }
        break;
      default:
        if (pos < v.size() && v[pos] >= '0' && v[pos] <= '8') {
          ++v[pos];
        }
        break;
      }
    }
    return v;
  }

private:
  bool chance(int percent) { return std::uniform_int_distribution<int>(0, 99)(rng_) < percent; }
  int pick(std::initializer_list<int> values)
  {
    std::uniform_int_distribution<std::size_t> d(0, values.size() - 1);
    return *(values.begin() + d(rng_));
  }

  std::string part(bool upstream, bool colon_ok, bool hyphen_ok)
  {
    std::string s;
    const int pieces = pick({1, 2, 3, 4, 5, 6});
    if (upstream || chance(50)) {
      s += digits();
    }
    for (int i = 0; i < pieces; ++i) {
      switch (pick({0, 1, 2, 3, 4, 5, 6, 7})) {
      case 0:
      case 1:
        s += digits();
        break;
      case 2:
        s += letters();
        break;
      case 3:
        s += ".";
        break;
      case 4:
        s += "~";
        break;
      case 5:
        s += "+";
        break;
      case 6:
        s += (upstream && hyphen_ok && chance(30))  ? "-"
             : (upstream && colon_ok && chance(30)) ? ":"
                                                    : "~";
        break;
      default:
        s += letters() + digits();
        break;
      }
    }
    return s.empty() ? "0" : s;
  }

  std::string digits()
  {
    static const char* choices[] = {"0", "1", "2", "9", "10", "01", "007", "123", "99999999999"};
    return choices[pick({0, 1, 2, 3, 4, 5, 6, 7, 8})];
  }

  std::string letters()
  {
    static const char* choices[] = {"a", "b", "z", "A", "Z", "rc", "beta", "dfsg", "ubuntu", "B"};
    return choices[pick({0, 1, 2, 3, 4, 5, 6, 7, 8, 9})];
  }

  std::mt19937 rng_;
};

class VersionDpkg : public test::TempDirTest {};

// compare_versions must agree with dpkg itself on thousands of random pairs.
TEST_F(VersionDpkg, AgreesWithDpkgCompareVersions)
{
  if (!test::have_tool("dpkg")) {
    GTEST_SKIP() << "dpkg not installed";
  }
  VersionGenerator gen(20240601);
  std::vector<std::pair<std::string, std::string>> pairs;
  while (pairs.size() < 5200) {
    const std::string a = gen.version();
    const std::string b = (pairs.size() % 3 == 0) ? gen.version() : gen.mutate(a);
    if (is_valid_version(a) && is_valid_version(b)) {
      pairs.emplace_back(a, b);
    }
  }
  // Two halves checked by two shell loops in parallel: "lt", else "eq", else
  // "gt" costs one or two dpkg runs per pair.
  const std::size_t half = pairs.size() / 2;
  for (int part = 0; part < 2; ++part) {
    std::ostringstream out;
    for (std::size_t i = part == 0 ? 0 : half; i < (part == 0 ? half : pairs.size()); ++i) {
      out << pairs[i].first << ' ' << pairs[i].second << '\n';
    }
    test::write_text(dir() / ("pairs" + std::to_string(part)), out.str());
  }
  const std::string loop = "while read a b; do "
                           "if dpkg --compare-versions \"$a\" lt \"$b\"; then echo '<'; "
                           "elif dpkg --compare-versions \"$a\" eq \"$b\"; then echo '='; "
                           "else echo '>'; fi; done";
  const std::string d = test::shell_quote(dir().string());
  const auto result =
      test::run_command("cd " + d + " && (" + loop + " < pairs0 > out0 2>/dev/null & " + loop +
                        " < pairs1 > out1 2>/dev/null; wait) && cat out0 out1");
  ASSERT_EQ(result.status, 0);
  std::istringstream in(result.output);
  std::string line;
  std::size_t i = 0;
  int equal = 0;
  int mismatches = 0;
  while (std::getline(in, line) && i < pairs.size()) {
    const int expected = line == "<" ? -1 : line == "=" ? 0 : 1;
    equal += expected == 0;
    const int got = sign(compare_versions(pairs[i].first, pairs[i].second));
    if (got != expected && ++mismatches <= 20) {
      ADD_FAILURE() << pairs[i].first << " vs " << pairs[i].second << ": dpkg says " << line
                    << ", compare_versions says " << got;
    }
    ++i;
  }
  EXPECT_EQ(i, pairs.size());
  EXPECT_EQ(mismatches, 0);
  EXPECT_GT(equal, 50); // the generator does produce equal pairs
}

} // namespace
} // namespace prepo::repo
