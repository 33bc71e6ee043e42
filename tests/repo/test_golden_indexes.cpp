// The index writer's output for fixed inputs, pinned as golden files: any
// change to field order, spelling or layout of Packages, Sources or Release
// shows up as a reviewed diff (the apt-ftparchive comparisons in
// test_index_stanza.cpp say what the right output is; these say it stays so).
#include <gtest/gtest.h>

#include "repo/deb822.hpp"
#include "repo/index_stanza.hpp"
#include "repo/release_file.hpp"
#include "repo/source_control.hpp"
#include "support/golden.hpp"
#include "support/temp_dir.hpp"
#include "util/file.hpp"
#include "util/hash.hpp"

namespace prepo::repo {
namespace {

BinaryPackage fixed_binary()
{
  BinaryPackage p;
  p.path = "asterisk_1:1.4.6-1_amd64.deb";
  p.kind = BinaryKind::deb;
  p.control = parse_single_stanza("Package: asterisk\n"
                                  "Version: 1:1.4.6-1\n"
                                  "Architecture: amd64\n"
                                  "Maintainer: XiVO <dev@example.org>\n"
                                  "Installed-Size: 4242\n"
                                  "Depends: libc6 (>= 2.36), libssl3\n"
                                  "Pre-Depends: adduser\n"
                                  "Section: comm\n"
                                  "Priority: optional\n"
                                  "Homepage: https://www.asterisk.org/\n"
                                  "Source: asterisk (1:1.4.6-1)\n"
                                  "X-Custom: kept\n"
                                  "Description: PBX in software\n"
                                  " Asterisk is an open source telephony switching platform.\n"
                                  " .\n"
                                  " This package contains the daemon.\n",
                                  "control");
  p.checksums = util::checksum_bytes("fixed bytes standing for a .deb");
  return p;
}

TEST(GoldenIndexes, PackagesStanza)
{
  auto stanza =
      packages_stanza(fixed_binary(), "pool/skaro/main/a/asterisk/asterisk_1.4.6-1_amd64.deb");
  test::expect_golden("packages-stanza.txt", stanza.to_string());
}

class GoldenSources : public test::TempDirTest {};

TEST_F(GoldenSources, SourcesStanza)
{
  const std::string orig = "upstream tarball bytes";
  const std::string debian = "debian tarball bytes";
  util::write_file_atomic(dir() / "hello_1.0.orig.tar.gz", orig);
  util::write_file_atomic(dir() / "hello_1.0-1.debian.tar.xz", debian);
  const auto o = util::checksum_bytes(orig);
  const auto d = util::checksum_bytes(debian);
  const auto dsc_text =
      "Format: 3.0 (quilt)\nSource: hello\nBinary: hello, hello-doc\nArchitecture: any all\n"
      "Version: 1.0-1\nMaintainer: XiVO <dev@example.org>\nHomepage: https://example.org/\n"
      "Standards-Version: 4.6.2\nBuild-Depends: debhelper-compat (= 13)\n"
      "Package-List:\n hello deb misc optional arch=any\n hello-doc deb doc optional arch=all\n"
      "Checksums-Sha1:\n " +
      o.sha1 + " " + std::to_string(o.size) + " hello_1.0.orig.tar.gz\n " + d.sha1 + " " +
      std::to_string(d.size) + " hello_1.0-1.debian.tar.xz\n" + "Checksums-Sha256:\n " + o.sha256 +
      " " + std::to_string(o.size) + " hello_1.0.orig.tar.gz\n " + d.sha256 + " " +
      std::to_string(d.size) + " hello_1.0-1.debian.tar.xz\n" + "Files:\n " + o.md5 + " " +
      std::to_string(o.size) + " hello_1.0.orig.tar.gz\n " + d.md5 + " " + std::to_string(d.size) +
      " hello_1.0-1.debian.tar.xz\n";
  util::write_file_atomic(dir() / "hello_1.0-1.dsc", dsc_text);
  auto dsc = read_dsc(dir() / "hello_1.0-1.dsc");
  auto listed = verify_listed_files(dsc, dir());
  auto stanza = sources_stanza(dsc, "hello_1.0-1.dsc", "pool/skaro/main/h/hello", listed);
  test::expect_golden("sources-stanza.txt", stanza.to_string());
}

TEST(GoldenIndexes, Release)
{
  ReleaseFields f;
  f.origin = "XiVO";
  f.label = "XiVO";
  f.suite = "unstable";
  f.codename = "skaro";
  f.date = 1795000000;
  f.valid_until = f.date + 7 * 86400;
  f.architectures = {"amd64", "i386", "all"};
  f.components = {"main", "contrib"};
  f.description = "XiVO development";
  std::vector<ReleaseEntry> entries{
      {"main/binary-amd64/Packages.xz", util::checksum_bytes("xz")},
      {"main/binary-amd64/Packages", util::checksum_bytes("plain")},
      {"contrib/source/Sources.gz", util::checksum_bytes("gz")},
  };
  test::expect_golden("release.txt", make_release(f, entries));
  test::expect_golden("index-release.txt", make_index_release(f, "main", "amd64"));
}

} // namespace
} // namespace prepo::repo
