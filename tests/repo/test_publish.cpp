// Publishing a real root: the dists/<dist> -> <dist>@<generation> switch,
// Release and its indexes, by-hash, the compressed chunk cache, and the
// retention of old directories.
#include "repo/publish.hpp"

#include <algorithm>
#include <ctime>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "repo/archive_fixture.hpp"
#include "repo/deb822.hpp"
#include "repo/packages.hpp"
#include "util/compress.hpp"
#include "util/error.hpp"
#include "util/file.hpp"
#include "util/hash.hpp"

namespace prepo::test {
namespace {

using util::Compression;

const std::string amd64_packages = "main/binary-amd64/Packages";

std::string read(const fs::path& path)
{
  return util::read_file(path);
}

std::int64_t parse_release_date(const std::string& text)
{
  std::tm tm{};
  const char* end = ::strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S UTC", &tm);
  EXPECT_NE(end, nullptr) << text;
  return static_cast<std::int64_t>(::timegm(&tm));
}

class Publish : public ArchiveTest {
protected:
  // Every Release entry against the file it names: size and all four
  // digests, recomputed.
  void expect_release_matches_files(const fs::path& dist_dir)
  {
    const auto release = read(dist_dir / "Release");
    for (auto kind : util::all_hash_kinds) {
      const std::string section(util::release_field_name(kind));
      const auto entries = release_section(release, section);
      ASSERT_FALSE(entries.empty()) << section;
      for (const auto& entry : entries) {
        const auto path = dist_dir / entry.path;
        ASSERT_TRUE(fs::exists(path)) << entry.path;
        const auto sums = util::checksum_file(path);
        EXPECT_EQ(entry.size, sums.size) << section << " " << entry.path;
        EXPECT_EQ(entry.hash, sums.get(kind)) << section << " " << entry.path;
      }
    }
  }

  std::string release_sha256(const fs::path& dist_dir, const std::string& path)
  {
    for (const auto& entry : release_section(read(dist_dir / "Release"), "SHA256")) {
      if (entry.path == path) {
        return entry.hash;
      }
    }
    ADD_FAILURE() << path << " is not in " << (dist_dir / "Release").string();
    return "";
  }

  const repo::PublishedIndex* index_of(const repo::PublishedDist& info, const std::string& path)
  {
    for (const auto& index : info.indexes) {
      if (index.path == path) {
        return &index;
      }
    }
    ADD_FAILURE() << path << " is not published";
    return nullptr;
  }

  std::set<std::string> chunk_table_keys()
  {
    auto rows = dump()["chunks"];
    std::set<std::string> out;
    for (const auto& [key, value] : rows) {
      out.insert(key);
    }
    return out;
  }

  std::vector<std::string> dist_directories()
  {
    std::vector<std::string> out;
    for (const auto& entry : fs::directory_iterator(dists_dir())) {
      const auto name = entry.path().filename().string();
      if (name.starts_with("skaro@")) {
        out.push_back(name);
      }
    }
    std::sort(out.begin(), out.end());
    return out;
  }
};

TEST_F(Publish, FirstPublishMakesTheSymlinkAndAConsistentIndexSet)
{
  const auto deb = make_deb("hello", "1.0-1");
  auto included = include_only({deb});
  ASSERT_EQ(included.generation, 1u);
  EXPECT_FALSE(fs::exists(top())) << "nothing is published before publish";

  const auto result = publish();
  EXPECT_FALSE(result.nothing_to_do);
  EXPECT_EQ(result.published, (std::vector<std::string>{"dev/skaro@1"}));

  // dists/skaro is a relative symlink to skaro@1.
  ASSERT_TRUE(fs::is_symlink(top()));
  EXPECT_EQ(fs::read_symlink(top()), fs::path("skaro@1"));
  EXPECT_TRUE(fs::is_directory(dists_dir() / "skaro@1"));
  // No temporary names are left behind.
  for (const auto& entry : fs::directory_iterator(dists_dir())) {
    EXPECT_FALSE(entry.path().filename().string().starts_with(".")) << entry.path();
  }

  const auto release = read(top() / "Release");
  EXPECT_EQ(field_of(release, "Codename"), "skaro");
  EXPECT_EQ(field_of(release, "Suite"), "unstable");
  EXPECT_EQ(field_of(release, "Origin"), "Test");
  EXPECT_EQ(field_of(release, "Architectures"), "amd64 all");
  EXPECT_EQ(field_of(release, "Components"), "main contrib");
  EXPECT_EQ(field_of(release, "Acquire-By-Hash"), "yes");
  EXPECT_FALSE(field_of(release, "Valid-Until")) << "no Valid-For configured";
  const auto date = parse_release_date(field_of(release, "Date").value_or(""));
  EXPECT_LE(std::abs(date - static_cast<std::int64_t>(std::time(nullptr))), 600);

  // Unsigned: no SignWith, so neither InRelease nor Release.gpg.
  EXPECT_FALSE(fs::exists(top() / "InRelease"));
  EXPECT_FALSE(fs::exists(top() / "Release.gpg"));

  // Release lists Packages, .gz and .xz with their true sizes and hashes.
  std::set<std::string> listed;
  for (const auto& entry : release_section(release, "SHA256")) {
    listed.insert(entry.path);
  }
  for (const auto* suffix : {"", ".gz", ".xz"}) {
    EXPECT_TRUE(listed.contains(amd64_packages + suffix)) << amd64_packages << suffix;
    EXPECT_TRUE(listed.contains("main/binary-all/Packages" + std::string(suffix)));
    EXPECT_TRUE(listed.contains("contrib/binary-amd64/Packages" + std::string(suffix)));
    EXPECT_TRUE(listed.contains("main/source/Sources" + std::string(suffix)));
  }
  EXPECT_TRUE(listed.contains("main/binary-amd64/Release"));
  expect_release_matches_files(top());

  // The compressed indexes decompress to exactly the plain one.
  const auto packages = read(top() / amd64_packages);
  EXPECT_EQ(util::decompress(Compression::gzip, read(top() / (amd64_packages + ".gz")), 1 << 26,
                             "Packages.gz"),
            packages);
  EXPECT_EQ(util::decompress(Compression::xz, read(top() / (amd64_packages + ".xz")), 1 << 26,
                             "Packages.xz"),
            packages);

  // The index lists the package, and its pool file is the store's inode.
  const auto stanzas = repo::parse_deb822(packages, "Packages");
  ASSERT_EQ(stanzas.size(), 1u);
  EXPECT_EQ(stanzas[0].get("Package"), "hello");
  const auto filename = std::string(stanzas[0].get("Filename").value_or(""));
  EXPECT_EQ(filename, "pool/skaro/main/h/hello/hello_1.0-1_amd64.deb");
  const auto deb_sums = util::checksum_file(deb);
  EXPECT_EQ(stanzas[0].get("SHA256"), deb_sums.sha256);
  EXPECT_EQ(stanzas[0].get("Size"), std::to_string(deb_sums.size));
  const auto pool_file = farm_dir() / filename;
  ASSERT_TRUE(fs::exists(pool_file));
  struct stat pool_st {
  }, store_st{};
  ASSERT_EQ(::stat(pool_file.c_str(), &pool_st), 0);
  const auto object = root().store_dir() / deb_sums.sha256.substr(0, 2) / deb_sums.sha256;
  ASSERT_EQ(::stat(object.c_str(), &store_st), 0);
  EXPECT_EQ(pool_st.st_ino, store_st.st_ino);

  // Empty indexes exist and are empty.
  EXPECT_EQ(read(top() / "contrib/binary-amd64/Packages"), "");
  EXPECT_EQ(util::decompress(Compression::xz, read(top() / "contrib/binary-amd64/Packages.xz"),
                             1 << 20, "empty"),
            "");

  // The per-directory Release.
  const auto index_release = read(top() / "main/binary-amd64/Release");
  EXPECT_EQ(field_of(index_release, "Component"), "main");
  EXPECT_EQ(field_of(index_release, "Architecture"), "amd64");
  EXPECT_EQ(field_of(index_release, "Archive"), "unstable");

  // by-hash holds every listed file under each of its digests.
  for (const auto* suffix : {"", ".gz", ".xz"}) {
    const auto name = amd64_packages + suffix;
    const auto sums = util::checksum_file(top() / name);
    for (auto kind : util::all_hash_kinds) {
      const auto by_hash = top() / "main/binary-amd64/by-hash" /
                           std::string(util::release_field_name(kind)) / sums.get(kind);
      ASSERT_TRUE(fs::exists(by_hash)) << by_hash;
      EXPECT_EQ(util::checksum_file(by_hash), sums) << by_hash;
    }
  }

  // The database agrees with the tree.
  auto info = published();
  ASSERT_TRUE(info);
  EXPECT_EQ(info->generation, 1u);
  EXPECT_EQ(info->directories, (std::vector<std::string>{"skaro@1"}));
  const auto* index = index_of(*info, amd64_packages);
  ASSERT_NE(index, nullptr);
  EXPECT_EQ(index->plain, util::checksum_file(top() / amd64_packages));
  EXPECT_EQ(index->xz, util::checksum_file(top() / (amd64_packages + ".xz")));
  EXPECT_EQ(index->gz, util::checksum_file(top() / (amd64_packages + ".gz")));
  const auto state = farm_state();
  EXPECT_EQ(state.published, 1u);
  EXPECT_TRUE(state.ever_published);
}

TEST_F(Publish, IncludeWithPublishPublishes)
{
  auto result = include({make_deb("hello", "1.0-1")});
  EXPECT_EQ(result.generation, 1u);
  ASSERT_TRUE(fs::is_symlink(top()));
  EXPECT_EQ(fs::read_symlink(top()), fs::path("skaro@1"));
  EXPECT_NE(read(top() / amd64_packages).find("Package: hello\n"), std::string::npos);
}

TEST_F(Publish, ArchitectureAllGoesIntoEveryBinaryIndex)
{
  include({make_deb("hello", "1.0-1", "amd64"), make_deb("hello-doc", "1.0-1", "all")});
  const auto amd64 = read(top() / amd64_packages);
  const auto all = read(top() / "main/binary-all/Packages");
  EXPECT_NE(amd64.find("Package: hello\n"), std::string::npos);
  EXPECT_NE(amd64.find("Package: hello-doc\n"), std::string::npos);
  EXPECT_EQ(all.find("Package: hello\n"), std::string::npos);
  EXPECT_NE(all.find("Package: hello-doc\n"), std::string::npos);
  // Sorted by name: hello before hello-doc.
  EXPECT_LT(amd64.find("Package: hello\n"), amd64.find("Package: hello-doc\n"));
  expect_release_matches_files(top());
}

TEST_F(Publish, SecondPublishHasNothingToDoAndTouchesNothing)
{
  include({make_deb("hello", "1.0-1")});
  const auto tree = snapshot_tree(root().public_dir());
  const auto db = dump();
  ASSERT_FALSE(tree.empty());

  const auto result = publish();
  EXPECT_TRUE(result.nothing_to_do);
  EXPECT_TRUE(result.published.empty());
  EXPECT_EQ(snapshot_tree(root().public_dir()), tree);
  EXPECT_EQ(dump(), db);
}

TEST_F(Publish, ForcedPublishWritesANewDirectoryForTheSameGeneration)
{
  include({make_deb("hello", "1.0-1")});
  const auto before = read(top() / amd64_packages);
  const auto result = publish(true);
  EXPECT_FALSE(result.nothing_to_do);
  EXPECT_EQ(result.published, (std::vector<std::string>{"dev/skaro@1-2"}));
  EXPECT_EQ(fs::read_symlink(top()), fs::path("skaro@1-2"));
  EXPECT_TRUE(fs::is_directory(dists_dir() / "skaro@1"));
  EXPECT_EQ(read(top() / amd64_packages), before);
  expect_release_matches_files(top());
}

TEST_F(Publish, ADirectoryNameIsNeverUsedTwice)
{
  // Five publishes of generation 1: skaro@1 is pruned after the fourth
  // (three directories are kept), and the fifth must not bring it back
  // with other bytes (a new Date, so a new Release).
  include({make_deb("hello", "1.0-1")});
  std::vector<std::string> names{"skaro@1"};
  for (int i = 0; i < 4; ++i) {
    const auto result = publish(true);
    ASSERT_EQ(result.published.size(), 1u);
    names.push_back(result.published.front().substr(std::string("dev/").size()));
  }
  EXPECT_EQ(names, (std::vector<std::string>{"skaro@1", "skaro@1-2", "skaro@1-3", "skaro@1-4",
                                             "skaro@1-5"}));
  EXPECT_FALSE(fs::exists(dists_dir() / "skaro@1"));
  EXPECT_FALSE(fs::exists(dists_dir() / "skaro@1-2"));
}

TEST(DirectoryName, GenerationAndSerial)
{
  EXPECT_EQ(repo::parse_directory_name("skaro@12").generation, 12u);
  EXPECT_EQ(repo::parse_directory_name("skaro@12").serial, 1u);
  EXPECT_EQ(repo::parse_directory_name("skaro@12-3").generation, 12u);
  EXPECT_EQ(repo::parse_directory_name("skaro@12-3").serial, 3u);
  EXPECT_EQ(repo::parse_directory_name("updates@main@7").generation, 7u); // the last '@'
  EXPECT_EQ(repo::parse_directory_name("skaro").generation, 0u);
  EXPECT_EQ(repo::parse_directory_name("skaro@x").generation, 0u);
}

TEST_F(Publish, ConfigurationChangeRepublishes)
{
  include({make_deb("hello", "1.0-1")});
  // Distributions cannot be edited through Config: edit the file, as people do.
  auto text = read(root().distributions_file());
  text += "Valid-For: 7d\n";
  util::write_file_atomic(root().distributions_file(), text);
  const auto result = publish();
  EXPECT_FALSE(result.nothing_to_do);
  const auto release = read(top() / "Release");
  const auto date = parse_release_date(field_of(release, "Date").value_or(""));
  const auto valid_until = parse_release_date(field_of(release, "Valid-Until").value_or(""));
  EXPECT_EQ(valid_until - date, 7 * 86400) << release;
  // Nothing else changed: the index is the same.
  expect_release_matches_files(top());
}

// BUG (repo/publish.cpp, publish_farm / DistPublisher::write): each
// distribution's directory is renamed into place and its dists/<dist>
// symlink switched inside the loop over distributions, before the one
// transaction that records the publish commits. When a later distribution
// of the same farm fails (here a Valid-For that parse_duration refuses; a
// signing failure does the same), the transaction aborts but the earlier
// distribution's symlink already shows the new directory: the database
// says skaro is published at generation 1 while clients see skaro@2, and
// skaro@2 is in no PublishedDist.directories list, so it is never retired
// (the next publish writes skaro@2-2 beside it). Expected: no symlink is
// switched until every distribution's directory is written (or the tree
// is left as the database records it).
TEST_F(Publish, AFailedPublishLeavesTheTreeAsTheDatabaseRecordsIt)
{
  include({make_deb("hello", "1.0-1")});
  ASSERT_EQ(fs::read_symlink(top()), fs::path("skaro@1"));
  // A second distribution publishing cannot finish: edited by hand to sign
  // with a key nobody has (prepo dist add would refuse it).
  auto text = read(root().distributions_file());
  text += "\nFarm: dev\nCodename: tardis\nComponents: main\nArchitectures: amd64\n"
          "SignWith: 0123456789ABCDEF0123456789ABCDEF01234567\n";
  util::write_file_atomic(root().distributions_file(), text);
  include_only({make_deb("world", "1.0-1")});
  EXPECT_THROW(publish(), util::Error);

  const auto info = published("skaro");
  ASSERT_TRUE(info);
  EXPECT_EQ(farm_state().published, 1u);
  EXPECT_EQ(info->generation, 1u);
  EXPECT_EQ(fs::read_symlink(top()), fs::path(info->directories.front()))
      << "the public tree shows a publish the database does not record";
  EXPECT_EQ(dist_directories(), (std::vector<std::string>{"skaro@1"}))
      << "a directory no PublishedDist lists";

  // Once the configuration is fixed, publishing goes on; the stray
  // directory must not outlive the retention of three.
  util::write_file_atomic(root().distributions_file(),
                          text.substr(0, text.find("\nFarm: dev\nCodename: tardis")));
  publish();
  for (int i = 1; i <= 3; ++i) {
    include({make_deb("more" + std::to_string(i), "1.0")});
  }
  const auto dirs = dist_directories();
  EXPECT_LE(dirs.size(), 3u) << ::testing::PrintToString(dirs);
  EXPECT_FALSE(fs::exists(dists_dir() / "skaro@2")) << "never retired";
  expect_release_matches_files(top());
}

TEST_F(Publish, IncludingOnePackageRecompressesOnlyItsChunk)
{
  // Enough packages for several content-defined chunks (one in ~128
  // stanzas ends a chunk).
  auto debs = make_many_debs("fill", 0, 300);
  include_only(debs);
  publish();
  const auto first = published();
  ASSERT_TRUE(first);
  const auto* old_index = index_of(*first, amd64_packages);
  ASSERT_NE(old_index, nullptr);
  const auto old_keys = old_index->chunk_keys;
  ASSERT_GE(old_keys.size(), 3u) << "the filler did not make several chunks";
  const auto table_before = chunk_table_keys();
  // Every chunk of the published index is cached, gzip and xz.
  for (const auto& key : old_keys) {
    EXPECT_TRUE(table_before.contains(".gz" + std::string(1, '\0') + key));
    EXPECT_TRUE(table_before.contains(".xz" + std::string(1, '\0') + key));
  }

  // One more package, sorting into the middle of the index.
  const auto more = make_many_debs("fill", 150, 1, "2.0");
  // fill0150 2.0 replaces fill0150 1.0: one stanza of one chunk changes.
  include_only(more);
  publish();
  const auto second = published();
  ASSERT_TRUE(second);
  const auto* new_index = index_of(*second, amd64_packages);
  ASSERT_NE(new_index, nullptr);
  const auto& new_keys = new_index->chunk_keys;
  std::size_t fresh = 0;
  for (const auto& key : new_keys) {
    fresh += std::find(old_keys.begin(), old_keys.end(), key) == old_keys.end();
  }
  EXPECT_GE(fresh, 1u) << "the changed chunk has a new key";
  EXPECT_LE(fresh, 2u) << "more than the affected chunk changed";
  EXPECT_GE(new_keys.size() + 1, old_keys.size());

  // The cache gained the new chunk only (gzip and xz), and still holds
  // every chunk the current index is made of.
  const auto table_after = chunk_table_keys();
  std::size_t gained = 0;
  for (const auto& key : table_after) {
    gained += !table_before.contains(key);
  }
  EXPECT_GE(gained, 2u);
  EXPECT_LE(gained, 4u);
  {
    auto session = open_session();
    repo::DbTxn txn(session->db(), util::lmdb::Txn::Mode::read);
    for (const auto& key : new_keys) {
      EXPECT_TRUE(txn.chunk(Compression::gzip, key)) << key;
      EXPECT_TRUE(txn.chunk(Compression::xz, key)) << key;
    }
  }

  // And the joined result is still exactly the plain index.
  const auto packages = read(top() / amd64_packages);
  bool found = false;
  for (const auto& stanza : repo::parse_deb822(packages, "Packages")) {
    if (stanza.get("Package") == "fill0150") {
      EXPECT_EQ(stanza.get("Version"), "2.0");
      found = true;
    }
  }
  EXPECT_TRUE(found);
  EXPECT_EQ(
      util::decompress(Compression::xz, read(top() / (amd64_packages + ".xz")), 1 << 26, "xz"),
      packages);
  EXPECT_EQ(
      util::decompress(Compression::gzip, read(top() / (amd64_packages + ".gz")), 1 << 26, "gz"),
      packages);
  expect_release_matches_files(top());
}

TEST_F(Publish, OldDirectoriesAreRetiredAndByHashServesThePreviousTwo)
{
  std::vector<std::string> xz_hashes; // Packages.xz SHA256 of each publish
  include({make_deb("pkg1", "1.0")});
  xz_hashes.push_back(release_sha256(top(), amd64_packages + ".xz"));
  for (int i = 2; i <= 4; ++i) {
    include({make_deb("pkg" + std::to_string(i), "1.0")});
    xz_hashes.push_back(release_sha256(top(), amd64_packages + ".xz"));
    EXPECT_EQ(fs::read_symlink(top()), fs::path("skaro@" + std::to_string(i)));
  }
  ASSERT_EQ(xz_hashes.size(), 4u);
  EXPECT_EQ(std::set<std::string>(xz_hashes.begin(), xz_hashes.end()).size(), 4u);

  // The oldest directory is gone; at most three remain, the newest current.
  EXPECT_FALSE(fs::exists(dists_dir() / "skaro@1"));
  EXPECT_EQ(dist_directories(), (std::vector<std::string>{"skaro@2", "skaro@3", "skaro@4"}));
  auto info = published();
  ASSERT_TRUE(info);
  EXPECT_EQ(info->directories, (std::vector<std::string>{"skaro@4", "skaro@3", "skaro@2"}));
  EXPECT_LE(info->recent.size(), 3u);

  // The newest by-hash serves this publish's and the previous two's
  // Packages.xz, each with the right bytes.
  const auto by_hash = top() / "main/binary-amd64/by-hash/SHA256";
  for (std::size_t i = 1; i < 4; ++i) {
    const auto file = by_hash / xz_hashes[i];
    ASSERT_TRUE(fs::exists(file)) << "publish " << i + 1 << "'s Packages.xz";
    EXPECT_EQ(util::checksum_file(file).sha256, xz_hashes[i]);
  }
  expect_release_matches_files(top());
  // Older directories are still whole: a client mid-update can finish.
  expect_release_matches_files(dists_dir() / "skaro@2");
  expect_release_matches_files(dists_dir() / "skaro@3");

  // Two more: still three directories.
  for (int i = 5; i <= 6; ++i) {
    include({make_deb("pkg" + std::to_string(i), "1.0")});
  }
  EXPECT_EQ(dist_directories(), (std::vector<std::string>{"skaro@4", "skaro@5", "skaro@6"}));
}

TEST_F(Publish, UnchangedIndexesAreReusedNotRewritten)
{
  include({make_deb("hello", "1.0-1")});
  const auto contrib_before = snapshot_tree(top() / "contrib");
  include({make_deb("world", "1.0-1")}); // main changes, contrib does not
  const auto old_dir = dists_dir() / "skaro@1";
  const auto new_dir = dists_dir() / "skaro@2";
  struct stat a {
  }, b{};
  ASSERT_EQ(::stat((old_dir / "contrib/binary-amd64/Packages.xz").c_str(), &a), 0);
  ASSERT_EQ(::stat((new_dir / "contrib/binary-amd64/Packages.xz").c_str(), &b), 0);
  EXPECT_EQ(a.st_ino, b.st_ino) << "an unchanged index is linked from the previous publish";
  ASSERT_EQ(::stat((old_dir / "main/binary-amd64/Packages.xz").c_str(), &a), 0);
  ASSERT_EQ(::stat((new_dir / "main/binary-amd64/Packages.xz").c_str(), &b), 0);
  EXPECT_NE(a.st_ino, b.st_ino);
  expect_release_matches_files(new_dir);
}

TEST_F(Publish, RemovedPackageLeavesTheIndexAndLaterThePool)
{
  include({make_deb("hello", "1.0-1"), make_deb("world", "1.0-1")});
  const auto pool_file = farm_dir() / "pool/skaro/main/h/hello/hello_1.0-1_amd64.deb";
  ASSERT_TRUE(fs::exists(pool_file));
  {
    auto session = open_session();
    auto removed = repo::remove_packages(*session, "dev/skaro", {"hello"}, {});
    EXPECT_EQ(removed.removed, 1u);
  }
  EXPECT_EQ(read(top() / amd64_packages).find("Package: hello\n"), std::string::npos);
  EXPECT_TRUE(fs::exists(pool_file)) << "kept while a kept generation can roll back to it";
  // Keep-Generations 3: after three more generations it is unlinked.
  for (int i = 1; i <= 3; ++i) {
    include({make_deb("other" + std::to_string(i), "1.0")});
  }
  EXPECT_FALSE(fs::exists(pool_file));
  expect_release_matches_files(top());
}

} // namespace
} // namespace prepo::test
