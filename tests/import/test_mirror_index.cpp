#include "import/mirror_index.hpp"

#include <gtest/gtest.h>

#include "util/error.hpp"

using namespace prepo::import;
using prepo::repo::RecordType;

namespace {

const std::string sha(64, 'c');

MirrorRelease release_listing(std::vector<std::string> paths)
{
  MirrorRelease r;
  r.dist_url = "http://m/dists/skaro";
  r.components = {"main", "updates/main"};
  for (const auto& p : paths) {
    r.files[p] = {1, sha, ""};
  }
  return r;
}

} // namespace

TEST(MirrorIndex, ListsPackagesSourcesAndInstallerIndexesOnce)
{
  auto indexes = list_indexes(release_listing(
      {"main/binary-amd64/Packages", "main/binary-amd64/Packages.gz",
       "main/binary-amd64/Packages.xz", "main/binary-amd64/Release", "main/source/Sources.xz",
       "main/debian-installer/binary-i386/Packages.gz", "main/i18n/Translation-en.bz2",
       "updates/main/binary-all/Packages", "other/binary-amd64/Packages", "Contents-amd64.gz"}));
  ASSERT_EQ(indexes.size(), 4u);
  EXPECT_EQ(indexes[0].path, "main/binary-amd64/Packages");
  EXPECT_EQ(indexes[0].architecture, "amd64");
  EXPECT_EQ(indexes[1].path, "main/debian-installer/binary-i386/Packages");
  EXPECT_EQ(indexes[1].type, RecordType::udeb);
  EXPECT_EQ(indexes[1].architecture, "i386");
  EXPECT_EQ(indexes[2].path, "main/source/Sources");
  EXPECT_EQ(indexes[2].type, RecordType::source);
  EXPECT_EQ(indexes[3].path, "updates/main/binary-all/Packages");
  EXPECT_EQ(indexes[3].component, "main"); // the farm's name for it
  EXPECT_EQ(indexes[3].architecture, "all");
}

TEST(MirrorIndex, SecurityStyleComponentsListTheirFilesUnderTheLastSegment)
{
  // Debian's security archive: "Components: updates/main", files "main/...".
  MirrorRelease r;
  r.components = {"updates/main", "updates/contrib"};
  r.files["main/binary-amd64/Packages.xz"] = {1, sha, ""};
  r.files["contrib/source/Sources.xz"] = {1, sha, ""};
  auto indexes = list_indexes(r);
  ASSERT_EQ(indexes.size(), 2u);
  EXPECT_EQ(indexes[0].path, "contrib/source/Sources");
  EXPECT_EQ(indexes[0].component, "contrib");
  EXPECT_EQ(indexes[1].path, "main/binary-amd64/Packages");
  EXPECT_EQ(indexes[1].component, "main");
  EXPECT_EQ(local_component("updates/main"), "main");
  EXPECT_EQ(local_component("main"), "main");
}

TEST(MirrorIndex, ReadsBinaryAndSourceStanzas)
{
  IndexRef binary{"main/binary-amd64/Packages", "main", "amd64", RecordType::binary};
  auto b = read_index_entries("Package: hello\nVersion: 1:1.0-1\nArchitecture: amd64\n"
                              "Filename: pool/main/h/hello/hello_1.0-1_amd64.deb\nSize: 42\n"
                              "SHA256: " +
                                  sha + "\n",
                              binary, "P");
  ASSERT_TRUE(b.problems.empty());
  ASSERT_EQ(b.packages.size(), 1u);
  EXPECT_EQ(b.packages[0].version, "1:1.0-1");
  EXPECT_EQ(b.packages[0].files[0].name, "hello_1.0-1_amd64.deb");
  EXPECT_EQ(b.packages[0].files[0].size, 42u);

  IndexRef source{"main/source/Sources", "main", "source", RecordType::source};
  auto s =
      read_index_entries("Package: hello\nVersion: 1.0-1\nDirectory: pool/main/h/hello\n"
                         "Checksums-Sha256:\n " +
                             sha + " 10 hello_1.0.orig.tar.gz\n " + sha + " 20 hello_1.0-1.dsc\n",
                         source, "S");
  ASSERT_TRUE(s.problems.empty());
  ASSERT_EQ(s.packages[0].files.size(), 2u);
  EXPECT_EQ(s.packages[0].files[0].name, "hello_1.0-1.dsc"); // the .dsc first
  EXPECT_EQ(s.packages[0].files[1].path, "pool/main/h/hello/hello_1.0.orig.tar.gz");
}

TEST(MirrorIndex, RefusesUnsafeOrWeakStanzasButKeepsTheOthers)
{
  IndexRef binary{"main/binary-amd64/Packages", "main", "amd64", RecordType::binary};
  auto r = read_index_entries(
      "Package: evil\nVersion: 1\nArchitecture: amd64\nFilename: ../../x\nSize: 1\nSHA256: " + sha +
          "\n\nPackage: weak\nVersion: 1\nArchitecture: amd64\nFilename: pool/w.deb\nSize: 1\n"
          "MD5sum: " +
          std::string(32, 'a') +
          "\n\nPackage: good\nVersion: 1\nArchitecture: amd64\nFilename: pool/g.deb\nSize: "
          "1\nSHA256: " +
          sha + "\n",
      binary, "P");
  ASSERT_EQ(r.packages.size(), 1u);
  EXPECT_EQ(r.packages[0].name, "good");
  ASSERT_EQ(r.problems.size(), 2u);
  EXPECT_NE(r.problems[0].find("P: stanza 1 (evil): Filename: unsafe path '../../x'"),
            std::string::npos)
      << r.problems[0];
  EXPECT_NE(r.problems[1].find("(weak): no valid SHA256"), std::string::npos) << r.problems[1];
}

TEST(MirrorIndex, KeepsOnlyWhatTheFilterAcceptsByBinaryOrSourceName)
{
  IndexRef binary{"main/binary-amd64/Packages", "main", "amd64", RecordType::binary};
  auto stanza = [](std::string name, std::string source_field) {
    return "Package: " + name + "\nVersion: 1\nArchitecture: amd64\n" + source_field +
           "Filename: pool/" + name + ".deb\nSize: 1\nSHA256: " + sha + "\n\n";
  };
  const auto text = stanza("hello", "") + stanza("libfoo1", "Source: foo (1.0)\n") +
                    stanza("bar", "") + stanza("baz", "");
  std::vector<std::pair<std::string, std::string>> asked;
  auto r = read_index_entries(text, binary, "P", [&](std::string_view name, std::string_view src) {
    asked.emplace_back(name, src);
    return name == "hello" || src == "foo";
  });
  ASSERT_EQ(r.packages.size(), 2u);
  EXPECT_EQ(r.packages[0].name, "hello");
  EXPECT_EQ(r.packages[1].name, "libfoo1");
  EXPECT_EQ(r.packages[1].source, "foo");
  ASSERT_EQ(asked.size(), 4u);
  EXPECT_EQ(asked[1], (std::pair<std::string, std::string>{"libfoo1", "foo"}));
  // A stanza the filter drops is not checked: its problems are not this import's.
  auto unsafe = read_index_entries(
      "Package: evil\nVersion: 1\nArchitecture: amd64\nFilename: ../x\nSize: 1\nSHA256: " + sha +
          "\n",
      binary, "P", [](std::string_view, std::string_view) { return false; });
  EXPECT_TRUE(unsafe.packages.empty());
  EXPECT_TRUE(unsafe.problems.empty());
}
