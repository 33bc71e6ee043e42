#include "repo/source_control.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "repo/package_builder.hpp"
#include "support/shell.hpp"
#include "support/temp_dir.hpp"
#include "util/error.hpp"
#include "util/file.hpp"
#include "util/hash.hpp"

namespace prepo::repo {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::StartsWith;

template <typename F> std::string error_of(F&& f)
{
  try {
    f();
  } catch (const util::Error& e) {
    return e.what();
  }
  return "(no error)";
}

class SourceControlTest : public test::TempDirTest {
protected:
  void SetUp() override
  {
    test::TempDirTest::SetUp();
    if (!test::have_tool("dpkg-source")) {
      GTEST_SKIP() << "dpkg-source not installed";
    }
  }
};

TEST_F(SourceControlTest, ReadsWhatDpkgSourceWrites)
{
  const auto dsc = test::build_source(dir(), "hello", "1.0", "1");
  const SourceControl c = read_dsc(dsc);
  EXPECT_FALSE(c.was_signed);
  EXPECT_EQ(c.path, dsc);
  EXPECT_EQ(c.raw, util::read_file(dsc));
  EXPECT_EQ(c.checksums, util::checksum_file(dsc));
  EXPECT_EQ(c.stanza.get("Source"), "hello");
  EXPECT_EQ(c.stanza.get("Format"), "3.0 (quilt)");
  ASSERT_EQ(c.files.size(), 2u);
  EXPECT_EQ(c.files[0].name, "hello_1.0.orig.tar.gz");
  EXPECT_EQ(c.files[1].name, "hello_1.0-1.debian.tar.xz");

  const std::vector<util::Checksums> actual = verify_listed_files(c, dir());
  ASSERT_EQ(actual.size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    const util::Checksums file = util::checksum_file(dir() / c.files[i].name);
    EXPECT_EQ(actual[i], file);
    // dpkg-source lists MD5, SHA1 and SHA256; SHA512 is not in the .dsc.
    EXPECT_EQ(c.files[i].checksums.size, file.size);
    EXPECT_EQ(c.files[i].checksums.md5, file.md5);
    EXPECT_EQ(c.files[i].checksums.sha1, file.sha1);
    EXPECT_EQ(c.files[i].checksums.sha256, file.sha256);
    EXPECT_EQ(c.files[i].checksums.sha512, "");
  }
}

TEST_F(SourceControlTest, NativePackageListsOneFile)
{
  const auto dsc = test::build_source(dir(), "tool", "2.5", "");
  const SourceControl c = read_dsc(dsc);
  EXPECT_EQ(c.stanza.get("Format"), "3.0 (native)");
  ASSERT_EQ(c.files.size(), 1u);
  EXPECT_EQ(c.files[0].name, "tool_2.5.tar.xz");
  EXPECT_EQ(verify_listed_files(c, dir()).size(), 1u);
}

TEST_F(SourceControlTest, TamperedFileIsAMismatch)
{
  const auto dsc = test::build_source(dir(), "hello", "1.0", "1");
  const SourceControl c = read_dsc(dsc);
  const auto orig = dir() / "hello_1.0.orig.tar.gz";
  std::string bytes = util::read_file(orig);
  const std::string good = bytes;
  bytes[bytes.size() / 2] = static_cast<char>(bytes[bytes.size() / 2] ^ 0x01);
  test::write_text(orig, bytes);
  const util::Checksums tampered = util::checksum_bytes(bytes);
  EXPECT_EQ(error_of([&] { verify_listed_files(c, dir()); }),
            dsc.string() + ": hello_1.0.orig.tar.gz: SHA256 mismatch (listed " +
                c.files[0].checksums.sha256 + ", file has " + tampered.sha256 + ")");

  test::write_text(orig, good + "x");
  EXPECT_EQ(error_of([&] { verify_listed_files(c, dir()); }),
            dsc.string() + ": hello_1.0.orig.tar.gz: size mismatch (listed " +
                std::to_string(good.size()) + ", file has " + std::to_string(good.size() + 1) +
                ")");

  std::filesystem::remove(orig);
  EXPECT_EQ(error_of([&] { verify_listed_files(c, dir()); }),
            dsc.string() + ": hello_1.0.orig.tar.gz: missing (expected at " + orig.string() + ")");
}

TEST_F(SourceControlTest, ListedMd5OnlyIsStillChecked)
{
  const auto dsc = test::build_source(dir(), "hello", "1.0", "1");
  SourceControl c = read_dsc(dsc);
  for (ListedFile& f : c.files) {
    f.checksums.sha1.clear();
    f.checksums.sha256.clear();
  }
  c.files[1].checksums.md5 = std::string(32, '0');
  EXPECT_THAT(error_of([&] { verify_listed_files(c, dir()); }),
              HasSubstr(": hello_1.0-1.debian.tar.xz: MD5 mismatch (listed 000"));
}

// Hand-written .dsc texts for the parser's error paths.
std::string dsc_text(const std::string& files, const std::string& extra = "")
{
  return "Format: 3.0 (quilt)\nSource: foo\nBinary: foo\nArchitecture: any\nVersion: 1.0-1\n"
         "Maintainer: M <m@example.com>\n" +
         extra + "Files:\n" + files;
}

const std::string md5 = "0123456789abcdef0123456789abcdef";
const std::string sha1 = "0123456789abcdef0123456789abcdef01234567";

std::string parse_error(const std::string& text, std::string_view kind = "dsc")
{
  return error_of([&] { parse_source_control(text, "up/foo_1.0-1.dsc", kind); });
}

TEST(SourceControlParse, UnsafeNamesAreRejected)
{
  for (const std::string name : {"../x", "a/b", "x\x01", ".x", "a..b"}) {
    SCOPED_TRACE(name);
    EXPECT_THAT(parse_error(dsc_text(" " + md5 + " 10 " + name + "\n")),
                StartsWith("up/foo_1.0-1.dsc: unsafe file name '"));
    EXPECT_THAT(
        parse_error(dsc_text(" " + md5 + " 10 ok.tar\n",
                             "Checksums-Sha1:\n " + sha1 + " 10 " + name + "\n")),
        AllOf(StartsWith("up/foo_1.0-1.dsc: unsafe file name '"), HasSubstr("in Checksums-Sha1")));
  }
  EXPECT_EQ(parse_error(dsc_text(" " + md5 + " 10 a/b\n")),
            "up/foo_1.0-1.dsc: unsafe file name 'a/b' in Files");
  EXPECT_EQ(parse_error(dsc_text(" " + md5 + " 10 x\x01\n")),
            "up/foo_1.0-1.dsc: unsafe file name 'x\\x01' in Files");
}

TEST(SourceControlParse, MergesChecksumListsByName)
{
  const std::string sha256a(64, 'a');
  const std::string sha256b(64, 'b');
  const SourceControl c = parse_source_control(
      dsc_text(" " + md5 + " 10 a.tar.gz\n " + md5 + " 20 b.tar.xz\n",
               "Checksums-Sha256:\n " + sha256b + " 20 b.tar.xz\n " + sha256a + " 10 a.tar.gz\n"),
      "foo.dsc", "dsc");
  ASSERT_EQ(c.files.size(), 2u);
  EXPECT_EQ(c.files[0].name, "a.tar.gz");
  EXPECT_EQ(c.files[0].checksums.size, 10u);
  EXPECT_EQ(c.files[0].checksums.sha256, sha256a);
  EXPECT_EQ(c.files[1].checksums.sha256, sha256b);
  EXPECT_EQ(c.files[1].checksums.sha1, "");
}

TEST(SourceControlParse, InconsistentListsAreErrors)
{
  const std::string files = " " + md5 + " 10 a.tar.gz\n";
  EXPECT_EQ(parse_error(dsc_text(files, "Checksums-Sha1:\n " + sha1 + " 11 a.tar.gz\n")),
            "up/foo_1.0-1.dsc: inconsistent sizes for a.tar.gz (10 in Files, 11 in "
            "Checksums-Sha1)");
  EXPECT_THAT(parse_error(dsc_text(files, "Checksums-Sha1:\n " + sha1 + " 10 b.tar.gz\n")),
              HasSubstr("b.tar.gz listed in Checksums-Sha1 but not in Files"));
  EXPECT_THAT(parse_error(dsc_text(files + " " + md5 + " 5 c.tar\n",
                                   "Checksums-Sha1:\n " + sha1 + " 10 a.tar.gz\n")),
              HasSubstr("c.tar listed in Files but not in Checksums-Sha1"));
  EXPECT_THAT(parse_error(dsc_text(files + files)), HasSubstr("a.tar.gz listed twice in Files"));
}

TEST(SourceControlParse, MalformedLinesAreErrors)
{
  EXPECT_THAT(parse_error(dsc_text(" 0123 10 a.tar.gz\n")),
              StartsWith("up/foo_1.0-1.dsc: malformed MD5 checksum '0123'"));
  EXPECT_THAT(parse_error(dsc_text(" " + std::string(31, 'a') + "g 10 a.tar.gz\n")),
              HasSubstr("malformed MD5 checksum"));
  EXPECT_THAT(parse_error(dsc_text(" " + md5 + " 1x a.tar.gz\n")),
              HasSubstr("malformed size '1x'"));
  EXPECT_THAT(parse_error(dsc_text(" " + md5 + " 99999999999999999999999 a.tar.gz\n")),
              HasSubstr("malformed size"));
  EXPECT_THAT(parse_error(dsc_text(" " + md5 + " 10\n")), HasSubstr("malformed Files line"));
  EXPECT_THAT(parse_error(dsc_text(" " + md5 + " 10 a.tar.gz\n",
                                   "Checksums-Sha256:\n " + sha1 + " 10 a.tar.gz\n")),
              HasSubstr("malformed SHA256 checksum"));
  EXPECT_THAT(parse_error(dsc_text("")), HasSubstr("Files lists no file"));
  EXPECT_THAT(parse_error("Source: foo\nVersion: 1\nFormat: 1.0\nMaintainer: m\nFiles: " + md5 +
                          " 10 a.tar.gz\n"),
              HasSubstr("malformed Files field"));
}

TEST(SourceControlParse, UppercaseHexIsNormalized)
{
  std::string upper = md5;
  for (char& ch : upper) {
    ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  }
  const SourceControl c =
      parse_source_control(dsc_text(" " + upper + " 10 a.tar.gz\n"), "foo.dsc", "dsc");
  EXPECT_EQ(c.files[0].checksums.md5, md5);
}

TEST(SourceControlParse, RequiredFields)
{
  EXPECT_EQ(parse_error("Source: foo\nVersion: 1\nFormat: 1.0\nMaintainer: m\n"),
            "up/foo_1.0-1.dsc: missing field Files");
  EXPECT_EQ(parse_error("Version: 1\nFiles:\n " + md5 + " 1 a\n"),
            "up/foo_1.0-1.dsc: missing field Source");
  EXPECT_THAT(parse_error(dsc_text(" " + md5 + " 1 a\n").replace(0, 0, "X: 1\n") + "\nY: 2\n"),
              HasSubstr("unexpected second stanza"));
  std::string bad_version = dsc_text(" " + md5 + " 1 a\n");
  bad_version.replace(bad_version.find("1.0-1"), 5, "1.0 1");
  EXPECT_THAT(parse_error(bad_version), HasSubstr("invalid version '1.0 1'"));
  std::string bad_name = dsc_text(" " + md5 + " 1 a\n");
  bad_name.replace(bad_name.find("Source: foo"), 11, "Source: Foo");
  EXPECT_THAT(parse_error(bad_name), HasSubstr("invalid source package name 'Foo'"));
}

TEST(SourceControlParse, SignedDscIsUnwrapped)
{
  const std::string body = dsc_text(" " + md5 + " 10 a.tar.gz\n");
  const std::string raw = "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n" + body +
                          "-----BEGIN PGP SIGNATURE-----\n\nabc=\n-----END PGP SIGNATURE-----\n";
  const SourceControl c = parse_source_control(raw, "foo.dsc", "dsc");
  EXPECT_TRUE(c.was_signed);
  EXPECT_EQ(c.raw, raw);
  EXPECT_EQ(c.checksums, util::checksum_bytes(raw));
  EXPECT_EQ(c.stanza.get("Source"), "foo");
  EXPECT_EQ(c.files.size(), 1u);
  EXPECT_THAT(parse_error(raw + "Trailing: text\n"),
              HasSubstr("malformed OpenPGP signature armor"));
}

TEST(SourceControlParse, ChangesFilesHaveSectionAndPriority)
{
  const std::string text = "Format: 1.8\nSource: foo (1.0-1)\nBinary: foo\nArchitecture: source "
                           "amd64\nVersion: 1.0-1+b1\nDistribution: unstable\nFiles:\n " +
                           md5 + " 100 devel optional foo_1.0-1.dsc\n " + md5 +
                           " 200 devel optional foo_1.0-1+b1_amd64.deb\n";
  const SourceControl c = parse_source_control(text, "foo.changes", "changes");
  ASSERT_EQ(c.files.size(), 2u);
  EXPECT_EQ(c.files[1].name, "foo_1.0-1+b1_amd64.deb");
  EXPECT_EQ(c.files[1].section, "devel");
  EXPECT_EQ(c.files[1].priority, "optional");
  EXPECT_EQ(c.files[1].checksums.size, 200u);
  // Three columns are a .dsc's Files, not a .changes'.
  EXPECT_THAT(error_of([&] {
                parse_source_control(dsc_text(" " + md5 + " 1 a\n"), "x.changes", "changes");
              }),
              HasSubstr("malformed Files line"));
  EXPECT_THAT(error_of([] {
                parse_source_control("Source: foo\nVersion: 1\nFiles:\n " + md5 + " 1 s p a\n",
                                     "x.changes", "changes");
              }),
              HasSubstr("missing field Architecture"));
}

TEST_F(SourceControlTest, ReadChangesFromFile)
{
  const auto path = dir() / "foo_1.0_amd64.changes";
  test::write_text(path, "Source: foo\nVersion: 1.0\nArchitecture: source\nFiles:\n " + md5 +
                             " 5 devel optional foo_1.0.dsc\n");
  const SourceControl c = read_changes(path);
  EXPECT_EQ(c.files.at(0).name, "foo_1.0.dsc");
  EXPECT_THAT(error_of([&] { read_changes(dir() / "absent.changes"); }),
              HasSubstr("absent.changes"));
}

} // namespace
} // namespace prepo::repo
