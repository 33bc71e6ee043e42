#include "repo/release_file.hpp"

#include <algorithm>
#include <clocale>
#include <cstdlib>
#include <ctime>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "util/hash.hpp"

using prepo::repo::format_release_date;
using prepo::repo::make_index_release;
using prepo::repo::make_release;
using prepo::repo::ReleaseEntry;
using prepo::repo::ReleaseFields;
using prepo::util::checksum_bytes;

namespace {

std::vector<std::string> lines_of(const std::string& text)
{
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    out.push_back(line);
  }
  return out;
}

// Field names of the top-level lines ("Name: ..." or "Name:"), in order.
std::vector<std::string> field_names(const std::string& text)
{
  std::vector<std::string> out;
  for (const auto& line : lines_of(text)) {
    if (!line.empty() && line[0] != ' ') {
      out.push_back(line.substr(0, line.find(':')));
    }
  }
  return out;
}

// The continuation lines of one section ("SHA256:" ...).
std::vector<std::string> section(const std::string& text, const std::string& name)
{
  std::vector<std::string> out;
  bool inside = false;
  for (const auto& line : lines_of(text)) {
    if (!line.empty() && line[0] != ' ') {
      inside = line == name + ":";
      continue;
    }
    if (inside) {
      out.push_back(line);
    }
  }
  return out;
}

ReleaseFields full_fields()
{
  ReleaseFields f;
  f.origin = "Example";
  f.label = "Example Label";
  f.suite = "unstable";
  f.codename = "skaro";
  f.version = "13.0";
  f.date = 1700000000;
  f.valid_until = 1700000000 + 7 * 86400;
  f.architectures = {"amd64", "arm64", "all"};
  f.components = {"main", "contrib"};
  f.description = "Skaro builds";
  f.acquire_by_hash = true;
  f.not_automatic = true;
  f.but_automatic_upgrades = true;
  return f;
}

std::vector<ReleaseEntry> sample_entries()
{
  // Deliberately unsorted, with sizes of different widths.
  std::vector<ReleaseEntry> entries;
  entries.push_back({"main/binary-amd64/Packages.xz", checksum_bytes("xz bytes")});
  entries.push_back({"contrib/source/Sources", checksum_bytes("")});
  entries.push_back({"main/binary-amd64/Packages", checksum_bytes(std::string(123456, 'p'))});
  entries.push_back({"main/binary-amd64/Packages.gz", checksum_bytes("gz")});
  entries.push_back({"main/binary-amd64/Release", checksum_bytes("Archive: unstable\n")});
  return entries;
}

} // namespace

TEST(ReleaseDate, KnownInstants)
{
  EXPECT_EQ(format_release_date(0), "Thu, 01 Jan 1970 00:00:00 UTC");
  EXPECT_EQ(format_release_date(1700000000), "Tue, 14 Nov 2023 22:13:20 UTC");
  EXPECT_EQ(format_release_date(951782400), "Tue, 29 Feb 2000 00:00:00 UTC");
  EXPECT_EQ(format_release_date(1234567890), "Fri, 13 Feb 2009 23:31:30 UTC");
  EXPECT_EQ(format_release_date(4102444800), "Fri, 01 Jan 2100 00:00:00 UTC");
}

TEST(ReleaseDate, IgnoresTimeZoneAndLocale)
{
  const char* old_tz = std::getenv("TZ");
  const std::string saved_tz = old_tz ? old_tz : "";
  ::setenv("TZ", "Pacific/Kiritimati", 1); // UTC+14: another day entirely
  ::tzset();
  const std::string saved_locale = std::setlocale(LC_ALL, nullptr);
  // Only C locales may be installed; try a few others and use what exists.
  for (const char* name : {"de_DE.UTF-8", "fr_FR.UTF-8", "C.UTF-8", "C.utf8"}) {
    if (std::setlocale(LC_ALL, name) != nullptr) {
      break;
    }
  }
  const auto formatted = format_release_date(1700000000);
  std::setlocale(LC_ALL, saved_locale.c_str());
  if (old_tz) {
    ::setenv("TZ", saved_tz.c_str(), 1);
  } else {
    ::unsetenv("TZ");
  }
  ::tzset();
  EXPECT_EQ(formatted, "Tue, 14 Nov 2023 22:13:20 UTC");
}

TEST(ReleaseDate, EveryWeekdayAndMonthName)
{
  // 1 Jan 2023 was a Sunday; stepping one day and then ~one month covers all.
  const std::time_t sunday = 1672531200;
  const char* days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  for (int d = 0; d < 7; ++d) {
    EXPECT_EQ(format_release_date(sunday + d * 86400).substr(0, 4), std::string(days[d]) + ",");
  }
  const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const int month_days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  std::time_t t = sunday + 14 * 86400;
  for (int m = 0; m < 12; ++m) {
    const auto s = format_release_date(t);
    EXPECT_EQ(s.substr(5, 12), std::string("15 ") + months[m] + " 2023 ") << s;
    t += month_days[m] * 86400;
  }
}

TEST(Release, FieldOrder)
{
  const auto text = make_release(full_fields(), sample_entries());
  EXPECT_EQ(field_names(text),
            (std::vector<std::string>{"Origin", "Label", "Suite", "Version", "Codename", "Date",
                                      "Valid-Until", "NotAutomatic", "ButAutomaticUpgrades",
                                      "Acquire-By-Hash", "Architectures", "Components",
                                      "Description", "MD5Sum", "SHA1", "SHA256", "SHA512"}))
      << text;
  const auto lines = lines_of(text);
  EXPECT_EQ(lines[0], "Origin: Example");
  EXPECT_EQ(lines[1], "Label: Example Label");
  EXPECT_EQ(lines[2], "Suite: unstable");
  EXPECT_EQ(lines[3], "Version: 13.0");
  EXPECT_EQ(lines[4], "Codename: skaro");
  EXPECT_EQ(lines[5], "Date: Tue, 14 Nov 2023 22:13:20 UTC");
  EXPECT_EQ(lines[6], "Valid-Until: Tue, 21 Nov 2023 22:13:20 UTC");
  EXPECT_EQ(lines[7], "NotAutomatic: yes");
  EXPECT_EQ(lines[8], "ButAutomaticUpgrades: yes");
  EXPECT_EQ(lines[9], "Acquire-By-Hash: yes");
  EXPECT_EQ(lines[10], "Architectures: amd64 arm64 all");
  EXPECT_EQ(lines[11], "Components: main contrib");
  EXPECT_EQ(lines[12], "Description: Skaro builds");
  EXPECT_EQ(text.back(), '\n');
  EXPECT_EQ(text.find("\n\n"), std::string::npos) << "one stanza: no blank line";
}

TEST(Release, OptionalFieldsAreLeftOut)
{
  ReleaseFields f;
  f.codename = "skaro";
  f.date = 0;
  f.acquire_by_hash = false;
  f.architectures = {"amd64"};
  f.components = {"main"};
  const auto text = make_release(f, {});
  EXPECT_EQ(field_names(text),
            (std::vector<std::string>{"Codename", "Date", "Architectures", "Components", "MD5Sum",
                                      "SHA1", "SHA256", "SHA512"}))
      << text;
  EXPECT_EQ(text, "Codename: skaro\nDate: Thu, 01 Jan 1970 00:00:00 UTC\n"
                  "Architectures: amd64\nComponents: main\nMD5Sum:\nSHA1:\nSHA256:\nSHA512:\n");
}

TEST(Release, EachHashSectionListsEveryEntrySortedWithRightAlignedSizes)
{
  const auto entries = sample_entries();
  const auto text = make_release(full_fields(), entries);
  std::vector<const ReleaseEntry*> sorted;
  for (const auto& e : entries) {
    sorted.push_back(&e);
  }
  std::sort(sorted.begin(), sorted.end(),
            [](const ReleaseEntry* a, const ReleaseEntry* b) { return a->path < b->path; });
  ASSERT_EQ(sorted.front()->path, "contrib/source/Sources");

  for (auto kind : prepo::util::all_hash_kinds) {
    const std::string name(prepo::util::release_field_name(kind));
    const auto lines = section(text, name);
    ASSERT_EQ(lines.size(), entries.size()) << name;
    for (std::size_t i = 0; i < sorted.size(); ++i) {
      const auto& e = *sorted[i];
      const auto& digest = e.checksums.get(kind);
      EXPECT_EQ(digest.size(), prepo::util::hex_length(kind));
      const auto size = std::to_string(e.checksums.size);
      const std::string expected =
          " " + digest + " " + std::string(16 - size.size(), ' ') + size + " " + e.path;
      EXPECT_EQ(lines[i], expected) << name;
    }
  }
  EXPECT_NE(text.find("MD5Sum:\n d41d8cd98f00b204e9800998ecf8427e                0 "
                      "contrib/source/Sources\n"),
            std::string::npos)
      << text;
}

TEST(Release, SectionsAreInHashOrder)
{
  const auto text = make_release(full_fields(), sample_entries());
  const auto md5 = text.find("\nMD5Sum:\n");
  const auto sha1 = text.find("\nSHA1:\n");
  const auto sha256 = text.find("\nSHA256:\n");
  const auto sha512 = text.find("\nSHA512:\n");
  ASSERT_NE(md5, std::string::npos);
  EXPECT_LT(md5, sha1);
  EXPECT_LT(sha1, sha256);
  EXPECT_LT(sha256, sha512);
}

TEST(Release, SizeWiderThanTheColumnIsNotTruncated)
{
  ReleaseEntry big{"main/binary-amd64/Packages", {}};
  big.checksums.size = 12345678901234567890ull; // 20 digits
  big.checksums.md5 = std::string(32, 'a');
  big.checksums.sha1 = std::string(40, 'b');
  big.checksums.sha256 = std::string(64, 'c');
  big.checksums.sha512 = std::string(128, 'd');
  const auto text = make_release(full_fields(), {big});
  EXPECT_NE(
      text.find(" " + std::string(64, 'c') + " 12345678901234567890 main/binary-amd64/Packages\n"),
      std::string::npos)
      << text;
}

TEST(IndexRelease, Fields)
{
  const auto f = full_fields();
  EXPECT_EQ(make_index_release(f, "main", "amd64"),
            "Archive: unstable\nOrigin: Example\nLabel: Example Label\nVersion: 13.0\n"
            "Component: main\nArchitecture: amd64\nAcquire-By-Hash: yes\n");
  ReleaseFields bare;
  bare.codename = "skaro";
  bare.acquire_by_hash = false;
  // Without a Suite the archive is named by its codename.
  EXPECT_EQ(make_index_release(bare, "contrib", "source"),
            "Archive: skaro\nComponent: contrib\nArchitecture: source\n");
}
