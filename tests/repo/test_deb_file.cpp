#include "repo/deb_file.hpp"

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

const std::string full_control = "Package: hello\n"
                                 "Source: hello-src (1:2.0-3)\n"
                                 "Version: 1:2.0-3+b1\n"
                                 "Architecture: amd64\n"
                                 "Maintainer: Jane Doe <jane@example.com>\n"
                                 "Installed-Size: 12\n"
                                 "Depends: libc6 (>= 2.36)\n"
                                 "Section: devel\n"
                                 "Priority: optional\n"
                                 "Description: says hello\n"
                                 " A longer text.\n"
                                 " .\n"
                                 " Second paragraph.\n";

class DebFile : public test::TempDirTest {
protected:
  void SetUp() override
  {
    test::TempDirTest::SetUp();
    if (!test::have_tool("dpkg-deb")) {
      GTEST_SKIP() << "dpkg-deb not installed";
    }
  }

  std::string error_reading(const std::filesystem::path& path)
  {
    try {
      read_binary_package(path);
    } catch (const util::Error& e) {
      return e.what();
    }
    return "(no error)";
  }
};

TEST_F(DebFile, ReadsEveryCompressionDpkgDebWrites)
{
  for (const std::string compression : {"gzip", "xz", "zstd", "none"}) {
    SCOPED_TRACE(compression);
    const auto path = test::build_deb(dir(), full_control, compression, compression + ".deb");
    const BinaryPackage p = read_binary_package(path);
    EXPECT_EQ(p.path, path);
    EXPECT_EQ(p.kind, BinaryKind::deb);
    EXPECT_EQ(p.name(), "hello");
    EXPECT_EQ(p.version(), "1:2.0-3+b1");
    EXPECT_EQ(p.architecture(), "amd64");
    EXPECT_EQ(p.source_name(), "hello-src");
    EXPECT_EQ(p.source_version(), "1:2.0-3");
    EXPECT_EQ(p.pool_file_name(), "hello_2.0-3+b1_amd64.deb");
    EXPECT_EQ(p.control.to_string(), full_control);
    EXPECT_EQ(p.checksums, util::checksum_file(path));
  }
}

TEST_F(DebFile, ControlTarballFollowsTheCompression)
{
  // The cases above only prove something if the members really differ.
  const auto xz = test::build_deb(dir(), full_control, "xz", "a.deb");
  const auto none = test::build_deb(dir(), full_control, "none", "b.deb");
  EXPECT_THAT(test::run_command("ar t " + xz.string()).output, HasSubstr("control.tar.xz"));
  EXPECT_THAT(test::run_command("ar t " + none.string()).output, HasSubstr("control.tar\n"));
}

TEST_F(DebFile, SourceDefaultsToPackageAndVersion)
{
  const auto path =
      test::build_deb(dir(),
                      "Package: tool\nVersion: 3.1\nArchitecture: all\nMaintainer: m <m@x.org>\n"
                      "Description: d\n",
                      "gzip", "tool.deb");
  const BinaryPackage p = read_binary_package(path);
  EXPECT_EQ(p.source_name(), "tool");
  EXPECT_EQ(p.source_version(), "3.1");
  EXPECT_EQ(p.pool_file_name(), "tool_3.1_all.deb");

  const auto plain_source =
      test::build_deb(dir(),
                      "Package: tool2\nSource: toolsrc\nVersion: 3.1\nArchitecture: all\n"
                      "Maintainer: m <m@x.org>\nDescription: d\n",
                      "gzip", "tool2.deb");
  const BinaryPackage q = read_binary_package(plain_source);
  EXPECT_EQ(q.source_name(), "toolsrc");
  EXPECT_EQ(q.source_version(), "3.1");
}

TEST_F(DebFile, KindComesFromTheExtension)
{
  const auto deb = test::build_deb(dir(), full_control, "gzip", "x.deb");
  for (auto [ext, kind] : {std::pair{".udeb", BinaryKind::udeb}, {".ddeb", BinaryKind::ddeb}}) {
    const auto copy = dir() / (std::string("x") + ext);
    std::filesystem::copy_file(deb, copy);
    const BinaryPackage p = read_binary_package(copy);
    EXPECT_EQ(p.kind, kind);
    EXPECT_EQ(p.pool_file_name(), "hello_2.0-3+b1_amd64" + std::string(ext));
  }
  const auto rpm = dir() / "x.rpm";
  std::filesystem::copy_file(deb, rpm);
  EXPECT_EQ(error_reading(rpm), rpm.string() + ": not a .deb, .udeb or .ddeb file");
  EXPECT_EQ(extension(BinaryKind::udeb), "udeb");
}

TEST_F(DebFile, ReadsFromMemory)
{
  const auto path = test::build_deb(dir(), full_control, "xz", "mem.deb");
  const std::string bytes = util::read_file(path);
  const BinaryPackage p = read_binary_package(bytes, "incoming/hello.deb");
  EXPECT_EQ(p.name(), "hello");
  EXPECT_EQ(p.path, "incoming/hello.deb");
  EXPECT_EQ(p.checksums, util::checksum_bytes(bytes));
}

TEST_F(DebFile, TruncatedFileIsAnErrorNamingIt)
{
  const auto path = test::build_deb(dir(), full_control, "gzip", "full.deb");
  const std::string bytes = util::read_file(path);
  for (std::size_t keep :
       {bytes.size() - 10, bytes.size() / 2, std::size_t{70}, std::size_t{8}, std::size_t{0}}) {
    SCOPED_TRACE(keep);
    const auto cut = dir() / "cut.deb";
    test::write_text(cut, bytes.substr(0, keep));
    EXPECT_THAT(error_reading(cut), StartsWith(cut.string() + ": "));
  }
}

TEST_F(DebFile, GarbageIsAnErrorNamingIt)
{
  const auto path = dir() / "garbage.deb";
  std::string junk;
  for (int i = 0; i < 5000; ++i) {
    junk += static_cast<char>((i * 7919) % 251);
  }
  test::write_text(path, junk);
  EXPECT_THAT(error_reading(path), StartsWith(path.string() + ": "));
  test::write_text(path, "!<arch>\n" + junk);
  EXPECT_THAT(error_reading(path), StartsWith(path.string() + ": "));
}

TEST_F(DebFile, CorruptControlTarballIsAnError)
{
  const auto path = test::build_deb(dir(), full_control, "gzip", "corrupt.deb");
  std::string bytes = util::read_file(path);
  // Flip bytes inside control.tar.gz (it starts after the 8-byte magic, the
  // 60-byte debian-binary header, its 4 bytes of data and the next header).
  const std::size_t control_data = 8 + 60 + 4 + 60;
  for (std::size_t i = control_data + 20; i < control_data + 60; ++i) {
    bytes[i] = static_cast<char>(~bytes[i]);
  }
  test::write_text(path, bytes);
  EXPECT_THAT(error_reading(path), StartsWith(path.string() + ": "));
}

TEST_F(DebFile, MissingRequiredFieldsAreErrors)
{
  const auto no_package =
      test::build_raw_deb(dir(), "Version: 1.0\nArchitecture: all\n", "nopkg.deb");
  EXPECT_EQ(error_reading(no_package), no_package.string() + ": control: missing field Package");
  const auto no_version =
      test::build_raw_deb(dir(), "Package: foo\nArchitecture: all\n", "nover.deb");
  EXPECT_EQ(error_reading(no_version), no_version.string() + ": control: missing field Version");
  const auto no_arch = test::build_raw_deb(dir(), "Package: foo\nVersion: 1\n", "noarch.deb");
  EXPECT_EQ(error_reading(no_arch), no_arch.string() + ": control: missing field Architecture");
}

TEST_F(DebFile, InvalidControlValuesAreErrors)
{
  struct Case {
    const char* control;
    const char* problem;
  };
  const Case cases[] = {
      {"Package: Foo\nVersion: 1\nArchitecture: all\n", "invalid package name 'Foo'"},
      {"Package: foo\nVersion: 1.0-\nArchitecture: all\n", "invalid version '1.0-'"},
      {"Package: foo\nVersion: 1\nArchitecture: AMD64\n", "invalid architecture 'AMD64'"},
      {"Package: foo\nVersion: 1\nArchitecture: all\nSource: bar (1.0\n", "invalid Source field"},
      {"Package: foo\nVersion: 1\nArchitecture: all\nSource: bar (x y)\n", "invalid Source field"},
      {"Package: foo\nVersion: 1\nArchitecture: all\nbroken line\n", "control:4: "},
  };
  int i = 0;
  for (const Case& c : cases) {
    const auto path = test::build_raw_deb(dir(), c.control, "bad" + std::to_string(i++) + ".deb");
    EXPECT_THAT(error_reading(path), AllOf(StartsWith(path.string() + ": "), HasSubstr(c.problem)));
  }
}

TEST_F(DebFile, StructureIsChecked)
{
  const std::string control = "Package: foo\nVersion: 1\nArchitecture: all\n";
  const auto v3 = test::build_raw_deb(dir(), control, "v3.deb", "3.0\n");
  EXPECT_THAT(error_reading(v3), AllOf(StartsWith(v3.string() + ": "), HasSubstr("'3.0'")));
  const auto v21 = test::build_raw_deb(dir(), control, "v21.deb", "2.1\n");
  EXPECT_EQ(read_binary_package(v21).name(), "foo");
  const auto swapped = test::build_raw_deb(dir(), control, "swapped.deb", "2.0\n", true);
  EXPECT_THAT(error_reading(swapped), StartsWith(swapped.string() + ": "));
}

TEST_F(DebFile, MissingFileIsAnError)
{
  EXPECT_THAT(error_reading(dir() / "absent.deb"), HasSubstr("absent.deb"));
}

} // namespace
} // namespace prepo::repo
