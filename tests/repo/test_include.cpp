// Including real packages into a root: what is recorded, what is refused,
// and that a refusal leaves the database, the store and the public tree
// exactly as they were.
#include "repo/include.hpp"

#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "repo/archive_fixture.hpp"
#include "repo/packages.hpp"
#include "util/error.hpp"
#include "util/file.hpp"
#include "util/hash.hpp"

namespace prepo::test {
namespace {

template <typename Fn> std::string error_of(Fn&& fn)
{
  try {
    fn();
  } catch (const util::Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "no Error thrown";
  return "";
}

bool contains(const std::string& text, const std::string& part)
{
  return text.find(part) != std::string::npos;
}

class Include : public ArchiveTest {
protected:
  std::vector<repo::ListedPackage> list(const std::string& pattern = "")
  {
    repo::Reader reader(root());
    return repo::list_packages(reader, "dev/skaro", pattern);
  }

  fs::path object_path(const std::string& sha) const
  {
    return root().store_dir() / sha.substr(0, 2) / sha;
  }

  // Database, store and public tree, to prove a refused command changed nothing.
  struct Everything {
    DbDump db;
    std::map<std::string, TreeEntry> store, pub;
    bool operator==(const Everything&) const = default;
  };
  Everything everything()
  {
    return {dump(), snapshot_tree(root().store_dir()), snapshot_tree(root().public_dir())};
  }
  void expect_unchanged(const Everything& before)
  {
    const auto after = everything();
    EXPECT_EQ(after.db, before.db) << "the database changed";
    EXPECT_EQ(after.store, before.store) << "the store changed";
    EXPECT_EQ(after.pub, before.pub) << "the public tree changed";
  }
};

TEST_F(Include, RecordsAPackage)
{
  const auto deb = make_deb("hello", "1.0-1");
  const auto sums = util::checksum_file(deb);
  const auto result = include_only({deb});
  EXPECT_EQ(result.added, 1u);
  EXPECT_EQ(result.replaced, 0u);
  EXPECT_EQ(result.unchanged, 0u);
  EXPECT_EQ(result.generation, 1u);

  const auto listed = list();
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].name, "hello");
  EXPECT_EQ(listed[0].version, "1.0-1");
  EXPECT_EQ(listed[0].architecture, "amd64");
  EXPECT_EQ(listed[0].component, "main");
  EXPECT_EQ(listed[0].type, repo::RecordType::binary);

  // The bytes are in the store, read-only, and recorded.
  ASSERT_TRUE(fs::exists(object_path(sums.sha256)));
  EXPECT_EQ(util::checksum_file(object_path(sums.sha256)), sums);
  EXPECT_EQ(fs::status(object_path(sums.sha256)).permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::group_read | fs::perms::others_read);
  auto session = open_session();
  repo::DbTxn txn(session->db(), util::lmdb::Txn::Mode::read);
  auto id =
      txn.slot("dev", "skaro", repo::slot_key("main", repo::RecordType::binary, "hello", "amd64"));
  ASSERT_TRUE(id);
  auto record = txn.record(*id);
  ASSERT_TRUE(record);
  EXPECT_EQ(record->id(), *id);
  ASSERT_EQ(record->files.size(), 1u);
  EXPECT_EQ(record->files[0].pool_path, "pool/skaro/main/h/hello/hello_1.0-1_amd64.deb");
  EXPECT_EQ(record->files[0].sha256, sums.sha256);
  EXPECT_EQ(record->files[0].size, sums.size);
  EXPECT_TRUE(contains(record->stanza, "Package: hello\n"));
  auto object = txn.object(sums.sha256);
  ASSERT_TRUE(object);
  EXPECT_EQ(object->refcount, 1u);
  EXPECT_EQ(object->sha256, sums.sha256);
  EXPECT_EQ(object->size, sums.size);
  auto gen = txn.generation("dev", 1);
  ASSERT_TRUE(gen);
  EXPECT_EQ(gen->command, "test include");
  EXPECT_EQ(txn.farm_state("dev").publish_wanted, 0u) << "publish = false";
}

TEST_F(Include, IdenticalReIncludeIsANoOp)
{
  const auto deb = make_deb("hello", "1.0-1");
  include({deb});
  const auto before = everything();
  const auto state = farm_state();

  auto result = include({deb});
  EXPECT_EQ(result.unchanged, 1u);
  EXPECT_EQ(result.added + result.replaced, 0u);
  EXPECT_EQ(result.generation, 0u);
  EXPECT_EQ(farm_state().current, state.current);
  expect_unchanged(before);

  // A copy of the same bytes under another name is the same package.
  const auto copy = work() / "copy" / "renamed.deb";
  fs::create_directories(copy.parent_path());
  fs::copy_file(deb, copy);
  result = include_only({copy});
  EXPECT_EQ(result.unchanged, 1u);
  EXPECT_EQ(result.generation, 0u);
  expect_unchanged(before);
}

TEST_F(Include, ClashIsRefusedNamingBothHashesAndNothingChanges)
{
  const auto original = make_deb("hello", "1.0-1");
  include({original});
  // Same name, version and architecture, other bytes.
  const auto rebuilt = make_deb("hello", "1.0-1", "amd64", "X-Rebuilt: yes\n", "rebuilt");
  const auto old_sha = util::checksum_file(original).sha256;
  const auto new_sha = util::checksum_file(rebuilt).sha256;
  ASSERT_NE(old_sha, new_sha);
  const auto before = everything();

  for (bool publish : {false, true}) {
    repo::IncludeOptions options;
    options.publish = publish;
    const auto message = error_of([&] { include({rebuilt}, options); });
    EXPECT_TRUE(contains(message, old_sha)) << message;
    EXPECT_TRUE(contains(message, new_sha)) << message;
    EXPECT_TRUE(contains(message, rebuilt.string())) << message;
    EXPECT_TRUE(contains(message, "pool/skaro/main/h/hello/hello_1.0-1_amd64.deb")) << message;
    EXPECT_TRUE(contains(message, "--replace")) << message;
    expect_unchanged(before);
  }
  EXPECT_FALSE(fs::exists(object_path(new_sha))) << "refused bytes were stored";
}

TEST_F(Include, AFileNameMeansOneByteStringAcrossComponents)
{
  // hello_1.0-1_amd64.deb in main, then other bytes under that name into
  // contrib: apt would list two different hello 1.0-1.
  const auto original = make_deb("hello", "1.0-1");
  include({original});
  const auto rebuilt = make_deb("hello", "1.0-1", "amd64", "X-Rebuilt: yes\n", "rebuilt");
  const auto before = everything();
  repo::IncludeOptions options;
  options.component = "contrib";
  for (bool replace : {false, true}) {
    options.replace = replace;
    const auto message = error_of([&] { include({rebuilt}, options); });
    EXPECT_TRUE(contains(message, "pool/skaro/main/h/hello/hello_1.0-1_amd64.deb")) << message;
    EXPECT_TRUE(contains(message, util::checksum_file(original).sha256)) << message;
    EXPECT_TRUE(contains(message, util::checksum_file(rebuilt).sha256)) << message;
    EXPECT_TRUE(contains(message, "remove the other first")) << message;
    expect_unchanged(before);
  }
  // The same bytes in a second component are the same file: accepted.
  options.replace = false;
  EXPECT_EQ(include({original}, options).added, 1u);
}

TEST_F(Include, ClashWithinOneBatchIsRefused)
{
  const auto a = make_deb("hello", "1.0-1", "amd64", "", "a");
  const auto b = make_deb("hello", "1.0-1", "amd64", "X-Other: yes\n", "b");
  const auto before = everything();
  const auto message = error_of([&] { include({a, b}); });
  EXPECT_TRUE(contains(message, util::checksum_file(a).sha256)) << message;
  EXPECT_TRUE(contains(message, util::checksum_file(b).sha256)) << message;
  expect_unchanged(before);
}

TEST_F(Include, KeepGoingStoresNothingForARefusedPackage)
{
  include({make_deb("hello", "1.0-1")});
  const auto good = make_deb("world", "1.0-1");
  const auto rebuilt = make_deb("hello", "1.0-1", "amd64", "X-Rebuilt: yes\n", "rebuilt");
  repo::IncludeOptions options;
  options.keep_going = true;
  const auto result = include({good, rebuilt}, options);
  EXPECT_EQ(result.added, 1u);
  ASSERT_EQ(result.failures.size(), 1u);
  EXPECT_EQ(result.failures.front().input, rebuilt.string());
  // Read (and written) before it was refused; gone once the change committed.
  EXPECT_FALSE(fs::exists(object_path(util::checksum_file(rebuilt).sha256)));
  EXPECT_TRUE(fs::exists(object_path(util::checksum_file(good).sha256)));
}

TEST_F(Include, ReplaceTakesTheNewBytes)
{
  const auto original = make_deb("hello", "1.0-1");
  include({original});
  const auto rebuilt = make_deb("hello", "1.0-1", "amd64", "X-Rebuilt: yes\n", "rebuilt");
  repo::IncludeOptions options;
  options.replace = true;
  const auto result = include({rebuilt}, options);
  EXPECT_EQ(result.replaced, 1u);
  EXPECT_EQ(result.generation, 2u);
  const auto pool_file = farm_dir() / "pool/skaro/main/h/hello/hello_1.0-1_amd64.deb";
  EXPECT_EQ(util::checksum_file(pool_file), util::checksum_file(rebuilt));
  const auto packages = util::read_file(top() / "main/binary-amd64/Packages");
  EXPECT_TRUE(contains(packages, "SHA256: " + util::checksum_file(rebuilt).sha256)) << packages;
  EXPECT_TRUE(contains(packages, "X-Rebuilt: yes")) << packages;
}

TEST_F(Include, NewerVersionReplacesOlderIsRefusedWithoutAllowDowngrade)
{
  include({make_deb("hello", "2.0-1")});
  const auto before = everything();
  const auto message = error_of([&] { include({make_deb("hello", "1.0-1")}); });
  EXPECT_TRUE(contains(message, "older")) << message;
  EXPECT_TRUE(contains(message, "--allow-downgrade")) << message;
  expect_unchanged(before);

  repo::IncludeOptions options;
  options.allow_downgrade = true;
  const auto result = include({make_deb("hello", "1.0-1")}, options);
  EXPECT_EQ(result.replaced, 1u);
  ASSERT_EQ(list().size(), 1u);
  EXPECT_EQ(list()[0].version, "1.0-1");

  // Upgrades need no option.
  EXPECT_EQ(include({make_deb("hello", "3.0-1")}).replaced, 1u);
  EXPECT_EQ(list()[0].version, "3.0-1");
}

TEST_F(Include, ComponentFromSectionOrOption)
{
  include_only({make_deb("tool", "1.0", "amd64", "", "x")}); // Section: devel -> first component
  const auto contrib = make_deb("extra", "1.0", "all", "", "y");
  repo::IncludeOptions options;
  options.component = "contrib";
  include_only({contrib}, options);
  const auto listed = list();
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0].name, "extra");
  EXPECT_EQ(listed[0].component, "contrib");
  EXPECT_EQ(listed[1].name, "tool");
  EXPECT_EQ(listed[1].component, "main");

  options.component = "non-free";
  const auto message = error_of([&] { include_only({contrib}, options); });
  EXPECT_TRUE(contains(message, "non-free")) << message;
  EXPECT_TRUE(contains(message, "main, contrib")) << message;
}

TEST_F(Include, RefusedInputsChangeNothing)
{
  include({make_deb("hello", "1.0-1")});
  const auto good = make_deb("world", "1.0-1");
  const auto wrong_arch = make_deb("armonly", "1.0", "arm64");
  const auto not_a_package = work() / "notes.txt";
  write_text(not_a_package, "hello\n");
  const auto fake_deb = work() / "fake_1.0_amd64.deb";
  write_text(fake_deb, "not an ar archive\n");
  const auto before = everything();

  auto message = error_of([&] { include({good, wrong_arch}); });
  EXPECT_TRUE(contains(message, "arm64")) << message;
  EXPECT_TRUE(contains(message, "amd64")) << message;
  message = error_of([&] { include({good, not_a_package}); });
  EXPECT_TRUE(contains(message, not_a_package.string())) << message;
  message = error_of([&] { include({good, fake_deb}); });
  EXPECT_TRUE(contains(message, fake_deb.string())) << message;
  message = error_of([&] { include({good, work() / "missing.deb"}); });
  EXPECT_TRUE(contains(message, "missing.deb")) << message;
  expect_unchanged(before);
}

TEST_F(Include, UnknownDistributionNamesTheKnownOnes)
{
  const auto deb = make_deb("hello", "1.0-1");
  const auto message = error_of([&] { include({deb}, {}, "dev/tardis"); });
  EXPECT_TRUE(contains(message, "dev/tardis")) << message;
  EXPECT_TRUE(contains(message, "skaro")) << message;
}

TEST_F(Include, RemoveOfAnUnknownNameThrowsAndChangesNothing)
{
  include({make_deb("hello", "1.0-1"), make_deb("world", "1.0-1")});
  const auto before = everything();
  for (const std::vector<std::string>& names :
       {std::vector<std::string>{"nosuch"}, std::vector<std::string>{"hello", "nosuch"}}) {
    auto session = open_session();
    const auto message = error_of([&] { repo::remove_packages(*session, "dev/skaro", names, {}); });
    EXPECT_TRUE(contains(message, "nosuch")) << message;
    session.reset();
    expect_unchanged(before);
  }
  EXPECT_EQ(list().size(), 2u);
}

TEST_F(Include, RemoveClearsEverySlotOfTheName)
{
  include({make_deb("hello", "1.0-1", "amd64"), make_deb("hello", "1.0-1", "all", "", "all"),
           make_deb("world", "1.0-1")});
  ASSERT_EQ(list("hello").size(), 2u);
  {
    auto session = open_session();
    repo::RemoveOptions options;
    options.publish = false;
    const auto result = repo::remove_packages(*session, "dev/skaro", {"hello"}, options);
    EXPECT_EQ(result.removed, 2u);
    EXPECT_EQ(result.generation, 2u);
  }
  const auto listed = list();
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].name, "world");
}

TEST_F(Include, SourcePackage)
{
  if (!have_tool("dpkg-source")) {
    GTEST_SKIP() << "dpkg-source is not installed";
  }
  const auto src_dir = work() / "src";
  fs::create_directories(src_dir);
  const auto dsc = build_source(src_dir, "gamma", "1.0", "1");
  const auto result = include({dsc});
  EXPECT_EQ(result.added, 1u);
  const auto listed = list();
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].type, repo::RecordType::source);
  EXPECT_EQ(listed[0].architecture, "source");
  const auto sources = util::read_file(top() / "main/source/Sources");
  EXPECT_TRUE(contains(sources, "Package: gamma\n")) << sources;
  EXPECT_TRUE(contains(sources, "Directory: pool/skaro/main/g/gamma\n")) << sources;
  for (const auto* name : {"gamma_1.0-1.dsc", "gamma_1.0.orig.tar.gz"}) {
    const auto pool_file = farm_dir() / "pool/skaro/main/g/gamma" / name;
    ASSERT_TRUE(fs::exists(pool_file)) << name;
    EXPECT_EQ(util::checksum_file(pool_file), util::checksum_file(src_dir / name));
  }
}

TEST_F(Include, ASecondRevisionFindsItsOrigTarballInTheStore)
{
  // dpkg-buildpackage leaves the orig tarball out of every upload after
  // the first revision: the archive has it. include takes it from the
  // store, by the .dsc's SHA256, after checking every listed sum.
  if (!have_tool("dpkg-source")) {
    GTEST_SKIP() << "dpkg-source is not installed";
  }
  const auto first = work() / "first";
  const auto second = work() / "second";
  const auto upload = work() / "upload";
  fs::create_directories(first);
  fs::create_directories(second);
  fs::create_directories(upload);
  include({build_source(first, "gamma", "1.0", "1")});
  // Revision 2 over the same orig tarball, as a maintainer makes it.
  const auto q = [](const fs::path& p) { return shell_quote(p.string()); };
  fs::copy_file(first / "gamma_1.0.orig.tar.gz", second / "gamma_1.0.orig.tar.gz");
  run_or_throw("cd " + q(second) + " && dpkg-source -x " + q(first / "gamma_1.0-1.dsc") +
               " gamma-1.0 >/dev/null 2>&1");
  const auto changelog = second / "gamma-1.0/debian/changelog";
  write_text(changelog, "gamma (1.0-2) unstable; urgency=medium\n\n  * Second.\n\n"
                        " -- Jane Doe <jane@example.com>  Tue, 02 Jan 2024 00:00:00 +0000\n\n" +
                            util::read_file(changelog));
  run_or_throw("cd " + q(second) + " && dpkg-source -b gamma-1.0 >/dev/null 2>&1");
  for (const auto* name : {"gamma_1.0-2.dsc", "gamma_1.0-2.debian.tar.xz"}) {
    fs::copy_file(second / name, upload / name);
  }

  const auto result = include({upload / "gamma_1.0-2.dsc"});
  EXPECT_EQ(result.replaced, 1u);
  const auto sources = util::read_file(top() / "main/source/Sources");
  EXPECT_TRUE(contains(sources, "Version: 1.0-2\n")) << sources;
  EXPECT_TRUE(contains(sources, util::checksum_file(first / "gamma_1.0.orig.tar.gz").sha256 + " " +
                                    std::to_string(fs::file_size(first / "gamma_1.0.orig.tar.gz")) +
                                    " gamma_1.0.orig.tar.gz"))
      << sources;
  EXPECT_TRUE(fs::exists(farm_dir() / "pool/skaro/main/g/gamma/gamma_1.0.orig.tar.gz"));
  expect_healthy("a second revision without its orig");

  // A tarball the store does not hold is still missing, named with where
  // it was looked for.
  fs::remove(upload / "gamma_1.0-2.dsc");
  write_text(second / "gamma-1.0/debian/changelog",
             "gamma (1.1-1) unstable; urgency=medium\n\n  * New upstream.\n\n"
             " -- Jane Doe <jane@example.com>  Wed, 03 Jan 2024 00:00:00 +0000\n\n" +
                 util::read_file(changelog));
  run_or_throw("cd " + q(second) +
               " && mv gamma-1.0 gamma-1.1 && tar czf gamma_1.1.orig.tar.gz "
               "--exclude=debian gamma-1.1 && dpkg-source -b gamma-1.1 >/dev/null 2>&1");
  fs::copy_file(second / "gamma_1.1-1.dsc", upload / "gamma_1.1-1.dsc");
  const auto message = error_of([&] { include({upload / "gamma_1.1-1.dsc"}); });
  EXPECT_TRUE(contains(message, "gamma_1.1.orig.tar.gz: missing (expected at")) << message;
  EXPECT_TRUE(contains(message, "and not in the archive")) << message;
}

TEST_F(Include, ADscIsPooledUnderItsCanonicalName)
{
  // Under any other name, a changed .dsc of the same version would sit
  // beside the first one and replace it silently.
  if (!have_tool("dpkg-source")) {
    GTEST_SKIP() << "dpkg-source is not installed";
  }
  const auto src = work() / "src";
  const auto renamed = work() / "renamed";
  fs::create_directories(src);
  fs::create_directories(renamed);
  const auto dsc = build_source(src, "nat", "2.0", "");
  fs::copy_file(dsc, renamed / "other.dsc");
  fs::copy_file(src / "nat_2.0.tar.xz", renamed / "nat_2.0.tar.xz");
  include({renamed / "other.dsc"});
  const auto pool = farm_dir() / "pool/skaro/main/n/nat";
  EXPECT_TRUE(fs::exists(pool / "nat_2.0.dsc"));
  EXPECT_FALSE(fs::exists(pool / "other.dsc"));
  const auto sources = util::read_file(top() / "main/source/Sources");
  EXPECT_TRUE(contains(sources, " nat_2.0.dsc\n")) << sources;
  EXPECT_FALSE(contains(sources, "other.dsc")) << sources;
  // The same bytes under the usual name: nothing to do.
  EXPECT_EQ(include({dsc}).unchanged, 1u);

  auto text = util::read_file(dsc);
  text.replace(text.find("Standards-Version: 4.6.2"), 24, "Standards-Version: 4.7.0");
  write_text(renamed / "other.dsc", text);
  const auto message = error_of([&] { include({renamed / "other.dsc"}); });
  EXPECT_TRUE(contains(message, "pool/skaro/main/n/nat/nat_2.0.dsc is already in the pool with "
                                "other bytes"))
      << message;
}

} // namespace
} // namespace prepo::test
