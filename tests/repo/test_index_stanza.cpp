// Golden tests: the stanzas must equal what apt-ftparchive writes for the
// same files, byte for byte.
#include "repo/index_stanza.hpp"

#include <map>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "repo/field_order.hpp"
#include "repo/package_builder.hpp"
#include "support/shell.hpp"
#include "support/temp_dir.hpp"
#include "util/file.hpp"

namespace prepo::repo {
namespace {

namespace fs = std::filesystem;

// Every optional field dpkg-deb accepts, deliberately out of order.
const std::string scrambled_control = "Description: short summary\n"
                                      " Long description line one.\n"
                                      " .\n"
                                      " Second paragraph.\n"
                                      "X-Custom-Field: custom value\n"
                                      "Homepage: https://example.com/\n"
                                      "Original-Maintainer: Orig <orig@example.com>\n"
                                      "Replaces: old-hello (<< 1.0)\n"
                                      "Provides: hello-virtual\n"
                                      "Breaks: old-hello (<< 1.0)\n"
                                      "Conflicts: hello-classic\n"
                                      "Suggests: hello-doc\n"
                                      "Recommends: hello-extra\n"
                                      "Depends: libc6 (>= 2.36), libfoo1\n"
                                      "Pre-Depends: dpkg (>= 1.17)\n"
                                      "Enhances: hello-plugin\n"
                                      "Built-Using: gcc-12 (= 12.2.0-14)\n"
                                      "Multi-Arch: foreign\n"
                                      "Essential: no\n"
                                      "Protected: no\n"
                                      "Installed-Size: 123\n"
                                      "Maintainer: Jane Doe <jane@example.com>\n"
                                      "Priority: optional\n"
                                      "Section: devel\n"
                                      "Source: hello-src (1.0-1)\n"
                                      "Architecture: amd64\n"
                                      "Version: 1:1.0-1+b2\n"
                                      "Package: hello\n"
                                      "Tag: role::program\n"
                                      "Bugs: debbugs://bugs.example.com\n"
                                      "Origin: Example\n"
                                      "XB-Foo: bar\n"
                                      "Task: t\n";

const std::string minimal_control = "Package: tiny\nVersion: 0.1\nArchitecture: all\n"
                                    "Maintainer: M <m@example.com>\nDescription: tiny\n";

class IndexStanzaGolden : public test::TempDirTest {
protected:
  void SetUp() override
  {
    test::TempDirTest::SetUp();
    for (const char* tool : {"apt-ftparchive", "dpkg-deb", "dpkg-source"}) {
      if (!test::have_tool(tool)) {
        GTEST_SKIP() << tool << " not installed";
      }
    }
    root_ = dir() / "archive";
    fs::create_directories(root_);
  }

  // apt-ftparchive run in the archive root, so its paths are relative to it.
  std::string ftparchive(const std::string& what)
  {
    const auto result = test::run_command("cd " + test::shell_quote(root_.string()) +
                                          " && apt-ftparchive " + what + " pool 2>/dev/null");
    EXPECT_EQ(result.status, 0);
    return result.output;
  }

  fs::path add_deb(const std::string& control, const std::string& compression,
                   const std::string& pool_dir, const std::string& name)
  {
    const fs::path built = test::build_deb(dir(), control, compression, name);
    const fs::path target = root_ / pool_dir / name;
    fs::create_directories(target.parent_path());
    fs::rename(built, target);
    return target;
  }

  // Field by field for a readable failure, then the exact text.
  static void expect_same(const Stanza& ours, const Stanza& apt)
  {
    std::vector<std::string> our_names;
    std::vector<std::string> apt_names;
    for (const Field& f : ours.fields()) {
      our_names.push_back(f.name);
    }
    for (const Field& f : apt.fields()) {
      apt_names.push_back(f.name);
    }
    EXPECT_EQ(our_names, apt_names);
    for (const Field& f : apt.fields()) {
      EXPECT_EQ(ours.get(f.name).value_or("(absent)"), f.value) << f.name;
    }
  }

  fs::path root_;
};

TEST_F(IndexStanzaGolden, PackagesMatchAptFtparchive)
{
  std::map<std::string, fs::path> debs;
  debs["hello"] = add_deb(scrambled_control, "xz", "pool/main/h/hello-src", "hello.deb");
  debs["tiny"] = add_deb(minimal_control, "gzip", "pool/main/t/tiny", "tiny_0.1_all.deb");
  std::string udeb_control = minimal_control;
  udeb_control.replace(udeb_control.find("tiny"), 4, "tiny-udeb");
  udeb_control += "Section: debian-installer\nPriority: standard\n";
  debs["tiny-udeb"] = add_deb(udeb_control, "none", "pool/main/t/tiny", "tiny-udeb_0.1_all.deb");

  const std::string output = ftparchive("packages");
  const std::vector<Stanza> apt = parse_deb822(output, "apt-ftparchive packages");
  ASSERT_EQ(apt.size(), debs.size());
  std::string ours_text;
  for (const Stanza& expected : apt) {
    const std::string filename(expected.require("Filename", "apt"));
    const std::string package(expected.require("Package", "apt"));
    SCOPED_TRACE(package);
    ASSERT_EQ(root_ / filename, debs.at(package));
    const Stanza ours = packages_stanza(read_binary_package(root_ / filename), filename);
    expect_same(ours, expected);
    ours_text += ours.to_string() + "\n";
  }
  EXPECT_EQ(ours_text, output);
}

TEST_F(IndexStanzaGolden, SourcesMatchAptFtparchive)
{
  std::map<std::string, fs::path> dscs;
  const fs::path hello_dir = root_ / "pool" / "main" / "h" / "hello";
  fs::create_directories(hello_dir);
  dscs["hello"] = test::build_source(hello_dir, "hello", "1.0", "1",
                                     "Uploaders: John Roe <john@example.com>\n"
                                     "Build-Depends: debhelper-compat (= 13)\n"
                                     "Build-Depends-Indep: python3\n"
                                     "Build-Conflicts: clang\n"
                                     "Homepage: https://example.com/hello\n"
                                     "Vcs-Git: https://example.com/hello.git\n"
                                     "Vcs-Browser: https://example.com/hello\n"
                                     "Testsuite: autopkgtest\n"
                                     "Rules-Requires-Root: no\n"
                                     "XS-Custom: kept\n",
                                     "2");
  const fs::path tool_dir = root_ / "pool" / "main" / "t" / "tool";
  fs::create_directories(tool_dir);
  dscs["tool"] = test::build_source(tool_dir, "tool", "2.5", "");

  // A clear-signed .dsc: apt-ftparchive indexes the signed body.
  const fs::path signed_dir = root_ / "pool" / "main" / "s" / "signed";
  fs::create_directories(signed_dir);
  const fs::path signed_dsc = test::build_source(signed_dir, "signed", "3.0", "1");
  const std::string body = util::read_file(signed_dsc);
  test::write_text(signed_dsc, "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\n" + body +
                                   "-----BEGIN PGP SIGNATURE-----\n\niQ==\n=abcd\n"
                                   "-----END PGP SIGNATURE-----\n");
  dscs["signed"] = signed_dsc;

  const std::string output = ftparchive("sources");
  const std::vector<Stanza> apt = parse_deb822(output, "apt-ftparchive sources");
  ASSERT_EQ(apt.size(), dscs.size());
  std::string ours_text;
  for (const Stanza& expected : apt) {
    const std::string package(expected.require("Package", "apt"));
    SCOPED_TRACE(package);
    const fs::path dsc_path = dscs.at(package);
    const std::string directory(expected.require("Directory", "apt"));
    ASSERT_EQ(root_ / directory, dsc_path.parent_path());
    const SourceControl dsc = read_dsc(dsc_path);
    const auto actual = verify_listed_files(dsc, dsc_path.parent_path());
    const Stanza ours = sources_stanza(dsc, dsc_path.filename().string(), directory, actual);
    expect_same(ours, expected);
    ours_text += ours.to_string() + "\n";

    // Without the files' checksums only the list the .dsc lacks is missing.
    Stanza without = sources_stanza(dsc, dsc_path.filename().string(), directory);
    EXPECT_FALSE(without.has("Checksums-Sha512"));
    Stanza trimmed = ours;
    trimmed.erase("Checksums-Sha512");
    EXPECT_EQ(without.to_string(), trimmed.to_string());
  }
  EXPECT_EQ(ours_text, output);
}

TEST(IndexStanzaOrder, KnownFieldsFirstWithCanonicalSpelling)
{
  const Stanza s =
      parse_single_stanza("X-Late: 1\ndepends: a\nVersion: 1\nZ-Other: 2\npackage: p\n", "t");
  const Stanza ordered = order_packages_fields(s);
  EXPECT_EQ(ordered.to_string(), "Package: p\nVersion: 1\nDepends: a\nX-Late: 1\nZ-Other: 2\n");
}

TEST(IndexStanzaOrder, SourcesOrder)
{
  const Stanza s = parse_single_stanza(
      "Files:\n a 1 b\nDirectory: d\nPackage: p\nVcs-Git: g\nFormat: 3.0 (native)\nX: y\n", "t");
  EXPECT_EQ(order_sources_fields(s).to_string(),
            "Package: p\nFormat: 3.0 (native)\nVcs-Git: g\nDirectory: d\nFiles:\n a 1 b\nX: y\n");
}

TEST(IndexStanzaOrder, ListsHaveNoDuplicates)
{
  for (auto order : {packages_field_order(), sources_field_order()}) {
    for (std::size_t i = 0; i < order.size(); ++i) {
      for (std::size_t j = i + 1; j < order.size(); ++j) {
        EXPECT_FALSE(iequals(order[i], order[j])) << order[i];
      }
    }
  }
}

TEST(IndexStanza, PackagesStanzaDropsStatusAndReplacesIndexFields)
{
  BinaryPackage p;
  p.control = parse_single_stanza("Package: p\nVersion: 1\nArchitecture: all\nStatus: install ok "
                                  "installed\nSize: 1\nFilename: old\nPriority:\n",
                                  "t");
  p.checksums.size = 42;
  p.checksums.md5 = "m";
  p.checksums.sha1 = "s1";
  p.checksums.sha256 = "s256";
  p.checksums.sha512 = "s512";
  EXPECT_EQ(packages_stanza(p, "pool/p.deb").to_string(),
            "Package: p\nArchitecture: all\nVersion: 1\nFilename: pool/p.deb\nSize: 42\n"
            "MD5sum: m\nSHA1: s1\nSHA256: s256\nSHA512: s512\n");
}

} // namespace
} // namespace prepo::repo
