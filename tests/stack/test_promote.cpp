// prepo promote on real roots: the parent's distribution becomes the
// child's (byte for byte, down to the published indexes and the very pool
// inodes), --merge/--only/--dist narrow it, and every refusal leaves the
// database and the files exactly as they were.
#include "stack/promote.hpp"

#include <string>
#include <sys/stat.h>
#include <vector>

#include <gtest/gtest.h>

#include "stack/stack_fixture.hpp"

namespace prepo::test {
namespace {

using stack::ChangeKind;

class Promote : public StackTest {
protected:
  std::string pool_path_of(const std::string& farm, const std::string& name,
                           const std::string& dist = "skaro")
  {
    for (const auto& [slot, id] : slots(farm, dist)) {
      if (slot_name(slot) == name) {
        return record_of(id)->files.front().pool_path;
      }
    }
    ADD_FAILURE() << name << " is not in " << farm << "/" << dist;
    return "";
  }

  std::string sha_of(const std::string& farm, const std::string& name)
  {
    for (const auto& [slot, id] : slots(farm)) {
      if (slot_name(slot) == name) {
        return record_of(id)->files.front().sha256;
      }
    }
    ADD_FAILURE() << name << " is not in " << farm;
    return "";
  }

  static ino_t inode(const fs::path& path)
  {
    struct stat st {};
    EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
    return st.st_ino;
  }

  // A child with a bit of everything, and a parent that differs from it
  // in every way: an older version, a newer one, one only it has.
  void fill_both()
  {
    const auto debs = build({{"hello", "1.0-1"},
                             {"hello", "2.0-1"},
                             {"hello-doc", "2.0-1", "all", "Source: hello\n"},
                             {"tool", "3.0"},
                             {"tool", "2.5"},
                             {"legacy", "0.1"},
                             {"extra", "1.0"}});
    const auto src = build_source(work() / "src", "hello", "2.0", "1");
    repo::IncludeOptions contrib;
    contrib.component = "contrib";
    put("dev/skaro", {debs[1], debs[2], debs[4], src});
    put("dev/skaro", {debs[6]}, true, contrib);
    put("prod/skaro", {debs[0], debs[3], debs[5]});
  }
};

TEST_F(Promote, MakesTheParentEqualToTheChildDownToThePublishedIndexes)
{
  fill_both();
  const auto before = state_of("prod").current;
  const auto result = promote("dev", "prod", [] {
    stack::PromoteOptions o;
    o.confirm = [](const stack::PromotePlan&) { return true; };
    return o;
  }());
  ASSERT_NE(result.generation, 0u);
  EXPECT_EQ(result.generation, before + 1);
  const auto c = result.counts;
  // hello upgraded, hello-doc + source + extra added, tool downgraded,
  // legacy removed.
  EXPECT_EQ(c.upgraded, 1u);
  EXPECT_EQ(c.added, 3u);
  EXPECT_EQ(c.downgraded, 1u);
  EXPECT_EQ(c.removed, 1u);
  ASSERT_EQ(result.dists.size(), 1u);
  EXPECT_EQ(result.dists[0], "skaro");

  EXPECT_EQ(listing("prod/skaro"), listing("dev/skaro"));
  EXPECT_EQ(slots("prod"), slots("dev"));
  EXPECT_TRUE(farm_changes("dev", "prod").empty());
  EXPECT_EQ(generation_of("prod", result.generation)->changes.size(), c.total());
  EXPECT_EQ(generation_of("prod", result.generation)->command, "test promote dev prod");

  // Pool paths are per distribution, so the indexes are the same bytes.
  const auto parent = indexes("prod");
  const auto child = indexes("dev");
  EXPECT_EQ(parent, child);
  EXPECT_TRUE(parent.contains("main/binary-amd64/Packages"));
  EXPECT_TRUE(parent.contains("main/source/Sources"));
  EXPECT_TRUE(parent.contains("contrib/binary-amd64/Packages"));
  EXPECT_NE(index_text("prod").find("Package: hello\n"), std::string::npos);
  EXPECT_EQ(index_text("prod").find("Package: legacy"), std::string::npos);
  EXPECT_EQ(state_of("prod").published, result.generation);
  expect_healthy("promote");
}

TEST_F(Promote, ParentPoolFilesAreTheChildsInodes)
{
  fill_both();
  promote("dev", "prod");
  for (const auto& [slot, id] : slots("dev")) {
    const auto record = record_of(id);
    for (const auto& file : record->files) {
      const auto in_child = root().farm_dir("dev") / file.pool_path;
      const auto in_parent = root().farm_dir("prod") / file.pool_path;
      ASSERT_TRUE(fs::exists(in_parent)) << file.pool_path;
      EXPECT_EQ(inode(in_parent), inode(in_child)) << file.pool_path;
      EXPECT_EQ(inode(in_parent), inode(object_file(file.sha256))) << file.pool_path;
      EXPECT_GE(fs::hard_link_count(in_parent), 3u) << file.pool_path;
    }
  }
  // The package the parent dropped stays in its pool while a kept
  // generation can bring it back.
  const auto legacy = "pool/skaro/main/l/legacy/legacy_0.1_amd64.deb";
  EXPECT_TRUE(fs::exists(root().farm_dir("prod") / legacy));
  EXPECT_FALSE(fs::exists(root().farm_dir("dev") / legacy));
  expect_healthy("promote");
}

TEST_F(Promote, MergeOnlyAddsAndUpgrades)
{
  fill_both();
  bool asked = false;
  stack::PromoteOptions options;
  options.merge = true;
  options.confirm = [&](const stack::PromotePlan&) { return asked = true; };
  const auto result = promote("dev", "prod", options);
  EXPECT_FALSE(asked) << "a merge neither removes nor downgrades";
  const auto c = result.counts;
  EXPECT_EQ(c.upgraded, 1u);
  EXPECT_EQ(c.added, 3u);
  EXPECT_EQ(c.downgraded + c.removed + c.rebuilt, 0u);
  const auto prod = listing("prod/skaro");
  const std::vector<std::string> expected = {
      "extra 1.0 amd64 contrib b",  "hello 2.0-1 amd64 main b", "hello 2.0-1 source main s",
      "hello-doc 2.0-1 all main b", "legacy 0.1 amd64 main b",  "tool 3.0 amd64 main b",
  };
  EXPECT_EQ(prod, expected);
  // What is left is what a merge never does.
  const auto left = plan("dev", "prod").counts();
  EXPECT_EQ(left.downgraded, 1u);
  EXPECT_EQ(left.removed, 1u);
  EXPECT_EQ(left.total(), 2u);
  // And a second merge has nothing to do.
  options.confirm = nullptr;
  const auto again = promote("dev", "prod", options);
  EXPECT_EQ(again.generation, 0u);
  EXPECT_TRUE(again.empty());
  expect_healthy("merge");
}

TEST_F(Promote, OnlyMatchesBinaryOrSourceNames)
{
  const auto debs = build({{"libfoo1", "1.0-1", "amd64", "Source: foo (1.0-1)\n"},
                           {"foo-utils", "1.0-1", "amd64", "Source: foo\n"},
                           {"bar", "2.0"},
                           {"foobar", "1.0"},
                           {"baz", "1.0"}});
  put("dev/skaro", {debs[0], debs[1], debs[2], debs[3]});
  put("prod/skaro", {debs[4]});

  stack::PromoteOptions options;
  options.only = "^foo$"; // the source name: both of foo's binaries, not foobar
  auto result = promote("dev", "prod", options);
  EXPECT_EQ(listing("prod/skaro"),
            (std::vector<std::string>{"baz 1.0 amd64 main b", "foo-utils 1.0-1 amd64 main b",
                                      "libfoo1 1.0-1 amd64 main b"}));
  EXPECT_EQ(result.counts.total(), 2u);

  options.only = "^ba"; // binary names: bar is added, baz (only in prod) removed
  result = promote("dev", "prod", options);
  EXPECT_EQ(result.counts.added, 1u);
  EXPECT_EQ(result.counts.removed, 1u);
  EXPECT_EQ(listing("prod/skaro"),
            (std::vector<std::string>{"bar 2.0 amd64 main b", "foo-utils 1.0-1 amd64 main b",
                                      "libfoo1 1.0-1 amd64 main b"}));
  options.only = "nothing-matches-this";
  result = promote("dev", "prod", options);
  EXPECT_EQ(result.generation, 0u);
  EXPECT_TRUE(result.empty());

  const auto before = freeze();
  options.only = "foo(";
  const auto message = error_of([&] { promote("dev", "prod", options); });
  EXPECT_NE(message.find("--only 'foo('"), std::string::npos) << message;
  EXPECT_NE(message.find("invalid regular expression"), std::string::npos) << message;
  expect_unchanged(before, "an invalid --only");

  promote("dev", "prod");
  EXPECT_EQ(listing("prod/skaro"), listing("dev/skaro"));
  expect_healthy("--only");
}

TEST_F(Promote, DistLimitsToOneDistribution)
{
  configure([](repo::Config& config) {
    config.add_distribution(make_dist("dev", "gallifrey"));
    config.add_distribution(make_dist("prod", "gallifrey"));
  });
  const auto debs = build({{"one", "1.0"}, {"two", "1.0"}});
  put("dev/skaro", {debs[0]});
  put("dev/gallifrey", {debs[1]});

  stack::PromoteOptions options;
  options.dist = "gallifrey";
  const auto result = promote("dev", "prod", options);
  ASSERT_EQ(result.dists.size(), 1u);
  EXPECT_EQ(result.dists[0], "gallifrey");
  EXPECT_TRUE(listing("prod/skaro").empty());
  EXPECT_EQ(listing("prod/gallifrey"), listing("dev/gallifrey"));
  EXPECT_EQ(indexes("prod", "gallifrey"), indexes("dev", "gallifrey"));

  const auto before = freeze();
  options.dist = "tardis";
  const auto message = error_of([&] { promote("dev", "prod", options); });
  EXPECT_NE(message.find("dev/tardis"), std::string::npos) << message;
  expect_unchanged(before, "an unknown --dist");

  // Without --dist, every distribution of the child, in configuration order.
  const auto all = promote("dev", "prod");
  ASSERT_EQ(all.dists.size(), 2u);
  EXPECT_EQ(all.dists[0], "skaro");
  EXPECT_EQ(all.dists[1], "gallifrey");
  EXPECT_EQ(all.counts.total(), 1u);
  EXPECT_EQ(listing("prod/skaro"), listing("dev/skaro"));
  EXPECT_EQ(indexes("prod", "skaro"), indexes("dev", "skaro"));
  expect_healthy("--dist");
}

TEST_F(Promote, DryRunChangesNothing)
{
  fill_both();
  const auto before = freeze();
  bool asked = false;
  stack::PromoteOptions options;
  options.dry_run = true;
  options.confirm = [&](const stack::PromotePlan&) { return asked = true; };
  const auto result = promote("dev", "prod", options);
  EXPECT_EQ(result.generation, 0u);
  EXPECT_EQ(result.counts.total(), 6u);
  EXPECT_FALSE(asked) << "a dry run asks nothing";
  expect_unchanged(before, "a dry run");
  expect_healthy("dry run");
}

TEST_F(Promote, RefusesWhatIsNotAChild)
{
  fill_both();
  configure([](repo::Config& config) {
    repo::Farm other;
    other.name = "other";
    config.add_farm(other);
    config.add_distribution(make_dist("other", "skaro"));
  });
  put("other/skaro", {build1({"elsewhere", "1.0"})});
  const auto before = freeze();

  auto message = error_of([&] { promote("other", "prod"); });
  EXPECT_NE(message.find("farm prod does not copy from other"), std::string::npos) << message;
  EXPECT_NE(message.find("prepo farm add-child prod other"), std::string::npos) << message;
  // The relation has a direction.
  message = error_of([&] { promote("prod", "dev"); });
  EXPECT_NE(message.find("farm dev does not copy from prod"), std::string::npos) << message;
  message = error_of([&] { promote("dev", "dev"); });
  EXPECT_NE(message.find("cannot promote farm dev into itself"), std::string::npos) << message;
  message = error_of([&] { promote("prod", "prod"); });
  EXPECT_NE(message.find("into itself"), std::string::npos) << message;
  message = error_of([&] { promote("nosuch", "prod"); });
  EXPECT_NE(message.find("unknown farm 'nosuch'"), std::string::npos) << message;
  message = error_of([&] { promote("dev", "nosuch"); });
  EXPECT_NE(message.find("unknown farm 'nosuch'"), std::string::npos) << message;
  expect_unchanged(before, "refused promotes");
  expect_healthy("refusals");
}

TEST_F(Promote, RefusesADistributionTheParentLacks)
{
  fill_both();
  configure([](repo::Config& config) { config.add_distribution(make_dist("dev", "tardis")); });
  put("dev/tardis", {build1({"boxed", "1.0"})});
  const auto before = freeze();
  auto message = error_of([&] { promote("dev", "prod"); });
  EXPECT_NE(message.find("dev/tardis has no counterpart in farm prod"), std::string::npos)
      << message;
  EXPECT_NE(message.find("prepo dist add prod/tardis"), std::string::npos) << message;
  stack::PromoteOptions options;
  options.dist = "tardis";
  message = error_of([&] { promote("dev", "prod", options); });
  EXPECT_NE(message.find("prepo dist add prod/tardis"), std::string::npos) << message;
  expect_unchanged(before, "a missing counterpart");

  // The other distribution alone still goes.
  options.dist = "skaro";
  EXPECT_NE(promote("dev", "prod", options).generation, 0u);
  EXPECT_EQ(listing("prod/skaro"), listing("dev/skaro"));
  expect_healthy("--dist skaro");
}

TEST_F(Promote, RefusesWhatTheParentCannotPublish)
{
  configure([](repo::Config& config) {
    config.add_distribution(make_dist("dev", "gallifrey", {"main", "contrib"}, {"amd64", "arm64"}));
    config.add_distribution(make_dist("prod", "gallifrey", {"main"}, {"amd64"}));
  });
  repo::IncludeOptions contrib;
  contrib.component = "contrib";
  put("dev/gallifrey", {build1({"incontrib", "1.0"})}, true, contrib);
  stack::PromoteOptions options;
  options.dist = "gallifrey";
  auto before = freeze();
  auto message = error_of([&] { promote("dev", "prod", options); });
  EXPECT_NE(message.find("component contrib is not in prod/gallifrey"), std::string::npos)
      << message;
  EXPECT_NE(message.find("incontrib"), std::string::npos) << message;
  expect_unchanged(before, "a component the parent lacks");

  remove("dev/gallifrey", {"incontrib"});
  put("dev/gallifrey", {build1({"armonly", "1.0", "arm64"})});
  before = freeze();
  message = error_of([&] { promote("dev", "prod", options); });
  EXPECT_NE(message.find("architecture arm64 is not in prod/gallifrey"), std::string::npos)
      << message;
  expect_unchanged(before, "an architecture the parent lacks");
  expect_healthy("refused");
}

TEST_F(Promote, RefusesAnArchAllPackageForASourceOnlyParent)
{
  // include refuses binaries for a distribution that publishes none
  // ("takes no binary packages"); promote must not slip one in, where no
  // index would ever show it.
  configure([](repo::Config& config) {
    config.add_distribution(make_dist("dev", "gallifrey", {"main"}, {"amd64", "all"}));
    config.add_distribution(make_dist("prod", "gallifrey", {"main"}, {}));
  });
  const auto doc = build1({"docs-only", "1.0", "all"});
  const auto refused = error_of([&] { put("prod/gallifrey", {doc}); });
  EXPECT_NE(refused.find("takes no binary packages"), std::string::npos) << refused;
  put("dev/gallifrey", {doc});
  stack::PromoteOptions options;
  options.dist = "gallifrey";
  const auto before = freeze();
  std::string message;
  try {
    promote("dev", "prod", options);
  } catch (const util::Error& e) {
    message = e.what();
  }
  // BUG (stack/promote.cpp, refusal(): the architecture test skips
  // "all"): an arch:all binary is let through whatever the parent's
  // architectures are, so promote puts it into a source-only distribution
  // that publishes no binary index: the package is in the parent's slots
  // (prepo list shows it) but no client ever sees it, and prepo check says
  // nothing. include refuses the same package for the same distribution.
  EXPECT_NE(message.find("prod/gallifrey"), std::string::npos)
      << "promote took an arch:all binary into a source-only distribution";
  if (!message.empty()) {
    expect_unchanged(before, "an arch:all binary for a source-only parent");
  } else {
    // What it leaves: listed, published nowhere.
    EXPECT_EQ(listing("prod/gallifrey"), std::vector<std::string>{"docs-only 1.0 all main b"});
    for (const auto& [path, text] : indexes("prod", "gallifrey")) {
      EXPECT_EQ(text.find("docs-only"), std::string::npos) << path;
    }
  }
}

TEST_F(Promote, RefusesAPoolClashAndNamesBothSums)
{
  // The same name_version_arch built twice with other bytes: one in each farm.
  const auto in_dev = build1({"clash", "1.0", "amd64", "", "child bytes"});
  const auto in_prod = build1({"clash", "1.0", "amd64", "", "parent bytes"});
  put("dev/skaro", {in_dev, build1({"fine", "1.0"})});
  put("prod/skaro", {in_prod});
  const auto dev_sha = util::checksum_file(in_dev).sha256;
  const auto prod_sha = util::checksum_file(in_prod).sha256;
  ASSERT_NE(dev_sha, prod_sha);
  EXPECT_EQ(plan("dev", "prod").counts().rebuilt, 1u);

  auto before = freeze();
  auto message = error_of([&] { promote("dev", "prod"); });
  EXPECT_NE(message.find(pool_path_of("dev", "clash")), std::string::npos) << message;
  EXPECT_NE(message.find("already in prod's pool with other bytes"), std::string::npos) << message;
  EXPECT_NE(message.find(dev_sha), std::string::npos) << message;
  EXPECT_NE(message.find(prod_sha), std::string::npos) << message;
  EXPECT_NE(message.find("nothing changed"), std::string::npos) << message;
  expect_unchanged(before, "a clash");

  // Removed from prod's slots, the path is still held by a kept generation
  // (rollback could bring it back): still a clash.
  remove("prod/skaro", {"clash"});
  before = freeze();
  message = error_of([&] { promote("dev", "prod"); });
  EXPECT_NE(message.find("already in prod's pool with other bytes"), std::string::npos) << message;
  expect_unchanged(before, "a clash with a kept generation");
  // --only around it works.
  stack::PromoteOptions options;
  options.only = "^fine$";
  EXPECT_NE(promote("dev", "prod", options).generation, 0u);
  expect_healthy("clash");

  // Once gc dropped every generation that held it, the name still stands
  // for prod's bytes: a mirror of prod may have fetched them.
  for (int i = 1; i <= 4; ++i) {
    put("prod/skaro", {build1({"churn", std::to_string(i) + ".0"})});
  }
  gc({"prod"}, 3);
  before = freeze();
  message = error_of([&] { promote("dev", "prod"); });
  EXPECT_NE(message.find("was published in prod before with other bytes"), std::string::npos)
      << message;
  EXPECT_NE(message.find(prod_sha), std::string::npos) << message;
  expect_unchanged(before, "a clash with a retired name");
}

TEST_F(Promote, RefusesTheSameFileNameWithOtherBytesInAnotherComponent)
{
  const auto in_dev = build1({"moved", "1.0", "amd64", "", "child bytes"});
  const auto in_prod = build1({"moved", "1.0", "amd64", "", "parent bytes"});
  repo::IncludeOptions contrib;
  contrib.component = "contrib";
  put("dev/skaro", {in_dev}, true, contrib);
  put("prod/skaro", {in_prod});
  const auto before = freeze();
  const auto message = error_of([&] { promote("dev", "prod"); });
  EXPECT_NE(message.find("as pool/skaro/main/m/moved/moved_1.0_amd64.deb"), std::string::npos)
      << message;
  EXPECT_NE(message.find(util::checksum_file(in_prod).sha256), std::string::npos) << message;
  expect_unchanged(before, "a clash across components");
}

TEST_F(Promote, PlanCarriesEveryRefusalAndDryRunShowsThem)
{
  // Two clashes and one package the parent cannot publish.
  configure([](repo::Config& config) {
    config.add_distribution(make_dist("dev", "gallifrey", {"main"}, {"amd64", "arm64"}));
    config.add_distribution(make_dist("prod", "gallifrey", {"main"}, {"amd64"}));
  });
  put("dev/skaro", {build1({"clash-one", "1.0", "amd64", "", "child"}),
                    build1({"clash-two", "1.0", "amd64", "", "child"}), build1({"fine", "1.0"})});
  put("prod/skaro", {build1({"clash-one", "1.0", "amd64", "", "parent"}),
                     build1({"clash-two", "1.0", "amd64", "", "parent"})});
  put("dev/gallifrey", {build1({"armonly", "1.0", "arm64"})});

  const auto planned = plan("dev", "prod");
  ASSERT_EQ(planned.problems.size(), 3u) << joined_lines(planned.problems);
  const auto all = joined_lines(planned.problems);
  EXPECT_NE(all.find(pool_path_of("dev", "clash-one")), std::string::npos) << all;
  EXPECT_NE(all.find(pool_path_of("dev", "clash-two")), std::string::npos) << all;
  EXPECT_NE(all.find("architecture arm64 is not in prod/gallifrey"), std::string::npos) << all;
  EXPECT_EQ(planned.counts().total(), 4u) << "the refused changes are still in the plan";

  const auto before = freeze();
  int shown = 0;
  stack::PromoteOptions options;
  options.dry_run = true;
  options.on_plan = [&](const stack::PromotePlan& p) {
    ++shown;
    EXPECT_EQ(p.problems.size(), 3u);
  };
  const auto message = error_of([&] { promote("dev", "prod", options); });
  EXPECT_EQ(shown, 1) << "the plan is shown before the refusal";
  EXPECT_NE(message.find("already in prod's pool with other bytes"), std::string::npos) << message;
  EXPECT_NE(message.find("promote refused, nothing changed"), std::string::npos) << message;
  options.dry_run = false;
  error_of([&] { promote("dev", "prod", options); });
  EXPECT_EQ(shown, 2);
  expect_unchanged(before, "refused promotes");

  // Narrowed to what has no problem, it goes.
  options.only = "^fine$";
  options.on_plan = nullptr;
  options.dist = "skaro";
  EXPECT_TRUE(plan("dev", "prod", options).problems.empty());
  EXPECT_NE(promote("dev", "prod", options).generation, 0u);
}

TEST_F(Promote, NothingToPromoteSaysWhetherFiltersLeftSomething)
{
  const auto debs = build({{"pkg", "1.0"}, {"pkg", "2.0"}});
  put("dev/skaro", {debs[0]});
  put("prod/skaro", {debs[1]});
  int shown = 0;
  stack::PromoteOptions options;
  options.merge = true; // the only difference is a downgrade
  options.on_plan = [&](const stack::PromotePlan&) { ++shown; };
  auto result = promote("dev", "prod", options);
  EXPECT_TRUE(result.empty());
  EXPECT_TRUE(result.filtered_out);
  EXPECT_EQ(result.generation, 0u);
  EXPECT_EQ(shown, 0) << "an empty plan is not shown";
  options.merge = false;
  options.only = "^other$";
  EXPECT_TRUE(promote("dev", "prod", options).filtered_out);

  options.only.clear();
  options.confirm = [](const stack::PromotePlan&) { return true; };
  EXPECT_NE(promote("dev", "prod", options).generation, 0u);
  EXPECT_EQ(shown, 1);
  result = promote("dev", "prod", options);
  EXPECT_TRUE(result.empty());
  EXPECT_FALSE(result.filtered_out) << "nothing differs at all";
}

TEST_F(Promote, RefusesACorruptStoreObjectNamingIt)
{
  fill_both();
  const auto sha = sha_of("dev", "hello");
  const auto object = object_file(sha);
  const auto size = fs::file_size(object);
  fs::permissions(object, fs::perms::owner_write, fs::perm_options::add);
  {
    std::ofstream out(object, std::ios::binary | std::ios::app);
    out << 'X';
  }
  const auto before = freeze();
  const auto message = error_of([&] { promote("dev", "prod"); });
  EXPECT_NE(message.find(object.string()), std::string::npos) << message;
  EXPECT_NE(message.find(pool_path_of("dev", "hello")), std::string::npos) << message;
  EXPECT_NE(message.find("differ from their recorded SHA256"), std::string::npos) << message;
  EXPECT_NE(message.find("nothing changed"), std::string::npos) << message;
  expect_unchanged(before, "a corrupt object");

  // Mended, it goes through.
  fs::resize_file(object, size);
  fs::permissions(object, fs::perms::owner_write, fs::perm_options::remove);
  EXPECT_NE(promote("dev", "prod").generation, 0u);
  EXPECT_EQ(listing("prod/skaro"), listing("dev/skaro"));
  expect_healthy("mended object");
}

TEST_F(Promote, DryRunVerifiesStoredBytesLikeThePromote)
{
  // prepo 0.1.0's dry run stopped before reading the arriving files: it
  // said yes to a promote that then failed.
  fill_both();
  const auto object = object_file(sha_of("dev", "hello"));
  fs::permissions(object, fs::perms::owner_write, fs::perm_options::add);
  {
    std::ofstream out(object, std::ios::binary | std::ios::app);
    out << 'X';
  }
  const auto before = freeze();
  stack::PromoteOptions dry;
  dry.dry_run = true;
  const auto dry_message = error_of([&] { promote("dev", "prod", dry); });
  EXPECT_NE(dry_message.find("differ from their recorded SHA256"), std::string::npos)
      << dry_message;
  expect_unchanged(before, "a dry run over a corrupt object");
  EXPECT_EQ(dry_message, error_of([&] { promote("dev", "prod"); }))
      << "the dry run reports what the promote would";
  expect_unchanged(before, "a promote over a corrupt object");
}

TEST_F(Promote, SameContentAgainIsANoOp)
{
  fill_both();
  const auto first = promote("dev", "prod");
  ASSERT_NE(first.generation, 0u);
  const auto before = freeze();
  const auto again = promote("dev", "prod");
  EXPECT_EQ(again.generation, 0u);
  EXPECT_TRUE(again.empty());
  EXPECT_EQ(state_of("prod").current, first.generation);
  expect_unchanged(before, "a second promote");
  expect_healthy("no-op");
}

TEST_F(Promote, AsksOnlyWhenRemovingOrDowngrading)
{
  const auto debs = build({{"up", "1.0"}, {"up", "2.0"}, {"down", "1.0"}, {"down", "1:0.1"}});
  put("dev/skaro", {debs[0]});
  put("prod/skaro", {debs[0]});
  put("dev/skaro", {debs[1]});
  int asked = 0;
  stack::PromoteOptions options;
  options.confirm = [&](const stack::PromotePlan&) {
    ++asked;
    return false;
  };
  // An upgrade alone: not asked.
  EXPECT_NE(promote("dev", "prod", options).generation, 0u);
  EXPECT_EQ(asked, 0);

  // A downgrade: asked; "no" cancels with nothing changed.
  put("prod/skaro", {debs[3]});
  put("dev/skaro", {debs[2]});
  auto before = freeze();
  stack::PromotePlan seen;
  options.confirm = [&](const stack::PromotePlan& p) {
    ++asked;
    seen = p;
    return false;
  };
  auto message = error_of([&] { promote("dev", "prod", options); });
  EXPECT_EQ(asked, 1);
  EXPECT_EQ(seen.counts().downgraded, 1u);
  EXPECT_TRUE(seen.is_destructive());
  EXPECT_NE(message.find("cancelled"), std::string::npos) << message;
  EXPECT_NE(message.find("nothing changed"), std::string::npos) << message;
  expect_unchanged(before, "a cancelled downgrade");

  // A removal: asked too.
  remove("dev/skaro", {"down"});
  before = freeze();
  message = error_of([&] { promote("dev", "prod", options); });
  EXPECT_EQ(asked, 2);
  EXPECT_EQ(seen.counts().removed, 1u);
  expect_unchanged(before, "a cancelled removal");

  // "yes" goes on.
  options.confirm = [&](const stack::PromotePlan&) {
    ++asked;
    return true;
  };
  EXPECT_NE(promote("dev", "prod", options).generation, 0u);
  EXPECT_EQ(asked, 3);
  EXPECT_EQ(listing("prod/skaro"), listing("dev/skaro"));
  expect_healthy("confirmed");
}

TEST_F(Promote, CostGrowsWithTheChange)
{
  set_keep("prod", 5);
  put("dev/skaro", make_many_debs("pkg", 0, 300));
  const auto first = promote("dev", "prod");
  ASSERT_NE(first.generation, 0u);
  EXPECT_EQ(generation_of("prod", first.generation)->changes.size(), 300u);
  EXPECT_EQ(listing("prod/skaro").size(), 300u);

  put("dev/skaro", make_many_debs("pkg", 123, 1, "2.0"));
  const auto second = promote("dev", "prod");
  ASSERT_EQ(second.generation, first.generation + 1);
  const auto generation = generation_of("prod", second.generation);
  ASSERT_EQ(generation->changes.size(), 1u);
  EXPECT_EQ(slot_name(generation->changes[0].slot), "pkg0123");
  EXPECT_EQ(second.counts.upgraded, 1u);
  EXPECT_EQ(second.counts.total(), 1u);
  EXPECT_EQ(indexes("prod"), indexes("dev"));
  expect_healthy("300 packages");
}

} // namespace
} // namespace prepo::test
