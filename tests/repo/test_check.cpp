// prepo check on real roots: healthy after every kind of command, and a
// damaged store object is a problem that names the file.
#include "repo/check.hpp"

#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "repo/archive_fixture.hpp"
#include "repo/packages.hpp"
#include "util/file.hpp"
#include "util/hash.hpp"

namespace prepo::test {
namespace {

class Check : public ArchiveTest {
protected:
  repo::CheckReport check(bool verify_hashes = true)
  {
    repo::Reader reader(root());
    repo::CheckOptions options;
    options.verify_hashes = verify_hashes;
    return repo::check_root(reader, options, progress_);
  }

  static std::string joined(const std::vector<std::string>& lines)
  {
    std::string out;
    for (const auto& line : lines) {
      out += line + "\n";
    }
    return out;
  }

  static bool any_contains(const std::vector<std::string>& lines, const std::string& part)
  {
    for (const auto& line : lines) {
      if (line.find(part) != std::string::npos) {
        return true;
      }
    }
    return false;
  }

  fs::path object_path(const fs::path& deb) const
  {
    const auto sha = util::checksum_file(deb).sha256;
    return root().store_dir() / sha.substr(0, 2) / sha;
  }
};

TEST_F(Check, EmptyRootIsHealthy)
{
  const auto report = check();
  EXPECT_TRUE(report.ok()) << joined(report.problems);
  EXPECT_EQ(report.objects_checked, 0u);
}

TEST_F(Check, HealthyRootHasNoProblems)
{
  include({make_deb("hello", "1.0-1"), make_deb("hello-doc", "1.0-1", "all"),
           make_deb("world", "2.0")});
  const auto report = check();
  EXPECT_TRUE(report.ok()) << joined(report.problems);
  EXPECT_TRUE(report.problems.empty());
  EXPECT_EQ(report.objects_checked, 3u);
  EXPECT_GT(report.published_files_checked, 0u);
  EXPECT_TRUE(report.notes.empty()) << joined(report.notes);
}

TEST_F(Check, UnpublishedGenerationIsANoteNotAProblem)
{
  include({make_deb("hello", "1.0-1")});
  include_only({make_deb("hello", "2.0-1")});
  const auto report = check();
  EXPECT_TRUE(report.ok()) << joined(report.problems);
  EXPECT_TRUE(any_contains(report.notes, "not published")) << joined(report.notes);
}

TEST_F(Check, HealthyAfterReplaceRemoveAndRetention)
{
  include({make_deb("hello", "1.0-1"), make_deb("world", "1.0")});
  repo::IncludeOptions replace;
  replace.replace = true;
  include({make_deb("hello", "1.0-1", "amd64", "X-Rebuilt: yes\n", "rebuilt")}, replace);
  EXPECT_TRUE(check().ok()) << joined(check().problems);
  {
    auto session = open_session();
    repo::remove_packages(*session, "dev/skaro", {"world"}, {});
  }
  EXPECT_TRUE(check().ok()) << joined(check().problems);
  for (int i = 0; i < 5; ++i) {
    include({make_deb("pkg" + std::to_string(i), "1.0")});
    const auto report = check();
    EXPECT_TRUE(report.ok()) << "after pkg" << i << ":\n" << joined(report.problems);
  }
}

TEST_F(Check, CorruptStoreObjectIsAProblemNamingTheFile)
{
  const auto deb = make_deb("hello", "1.0-1");
  include({deb, make_deb("world", "1.0")});
  ASSERT_TRUE(check().ok());
  const auto object = object_path(deb);
  ASSERT_TRUE(fs::exists(object));
  fs::permissions(object, fs::perms::owner_write, fs::perm_options::add);
  {
    std::ofstream out(object, std::ios::binary | std::ios::app);
    out << 'x';
  }
  for (bool verify : {true, false}) {
    const auto report = check(verify);
    EXPECT_FALSE(report.ok());
    EXPECT_TRUE(any_contains(report.problems, object.string())) << joined(report.problems);
  }
}

TEST_F(Check, SameSizeCorruptionIsFoundByHashing)
{
  const auto deb = make_deb("hello", "1.0-1");
  include({deb});
  const auto object = object_path(deb);
  fs::permissions(object, fs::perms::owner_write, fs::perm_options::add);
  {
    std::fstream f(object, std::ios::binary | std::ios::in | std::ios::out);
    f.seekp(-1, std::ios::end);
    const char last = static_cast<char>(f.peek());
    f.seekp(-1, std::ios::end);
    f.put(static_cast<char>(last ^ 0x55));
  }
  const auto report = check(true);
  EXPECT_FALSE(report.ok());
  EXPECT_TRUE(any_contains(report.problems, object.string())) << joined(report.problems);
}

TEST_F(Check, MissingPoolFileIsAProblem)
{
  include({make_deb("hello", "1.0-1")});
  const auto pool_file = farm_dir() / "pool/skaro/main/h/hello/hello_1.0-1_amd64.deb";
  ASSERT_TRUE(fs::exists(pool_file));
  fs::remove(pool_file);
  const auto report = check();
  EXPECT_FALSE(report.ok());
  EXPECT_TRUE(any_contains(report.problems, pool_file.string())) << joined(report.problems);
}

TEST_F(Check, AFileThePreviousPublishListsMustStay)
{
  // A client that read the previous InRelease fetches its indexes, from the
  // retained dists/skaro@1 or by-hash through dists/skaro, then the pool
  // files they list. (Until retention expired such directories, check
  // looked only at the current indexes.)
  include({make_deb("hello", "1.0-1")});
  include({make_deb("hello", "1.1-1")});
  ASSERT_TRUE(check().ok()) << joined(check().problems);
  const auto pool_file = farm_dir() / "pool/skaro/main/h/hello/hello_1.0-1_amd64.deb";
  ASSERT_TRUE(fs::exists(pool_file)) << "generation 1 is kept";
  fs::remove(pool_file);
  const auto report = check();
  EXPECT_FALSE(report.ok());
  const auto listed = pool_file.string() + ": listed in ";
  EXPECT_TRUE(any_contains(report.problems, listed + (farm_dir() / "dists/skaro@1").string()))
      << joined(report.problems);
  EXPECT_TRUE(any_contains(report.problems, "/by-hash/SHA256/")) << joined(report.problems);
}

TEST_F(Check, ChangedIndexIsAProblem)
{
  include({make_deb("hello", "1.0-1")});
  const auto packages = top() / "main/binary-amd64/Packages";
  // Published files are hard links shared with by-hash: replace, not edit.
  const auto text = util::read_file(packages) + "\n";
  fs::remove(packages);
  util::write_file_atomic(packages, text);
  const auto report = check();
  EXPECT_FALSE(report.ok());
  EXPECT_TRUE(any_contains(report.problems, packages.string())) << joined(report.problems);
}

} // namespace
} // namespace prepo::test
