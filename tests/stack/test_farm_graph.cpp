// The child relation between farms: no cycles (the cycle is printed), no
// farm its own child, no child twice; and farm_tree's order and depths.
#include "stack/farm_graph.hpp"

#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "repo/config.hpp"
#include "repo/root.hpp"
#include "stack/stack_fixture.hpp"
#include "support/shell.hpp"
#include "support/temp_dir.hpp"
#include "util/error.hpp"

namespace prepo::test {
namespace {

using Tree = std::vector<std::pair<std::string, int>>;

repo::Config config_of(const std::vector<std::pair<std::string, std::vector<std::string>>>& farms)
{
  repo::Config config;
  for (const auto& [name, children] : farms) {
    repo::Farm farm;
    farm.name = name;
    config.add_farm(farm);
  }
  for (const auto& [name, children] : farms) {
    config.set_children(name, children);
  }
  return config;
}

TEST(FarmGraph, RefusesACycleAndPrintsIt)
{
  // production <- rc <- dev <- feature
  const auto config =
      config_of({{"production", {"rc"}}, {"rc", {"dev"}}, {"dev", {"feature"}}, {"feature", {}}});
  auto message = error_of([&] { stack::check_new_child(config, "feature", "production"); });
  EXPECT_NE(message.find("making production a child of feature would close a cycle"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("feature -> production -> rc -> dev -> feature"), std::string::npos)
      << message;
  message = error_of([&] { stack::check_new_child(config, "rc", "production"); });
  EXPECT_NE(message.find("rc -> production -> rc"), std::string::npos) << message;
  message = error_of([&] { stack::check_new_child(config, "dev", "rc"); });
  EXPECT_NE(message.find("dev -> rc -> dev"), std::string::npos) << message;
}

TEST(FarmGraph, RefusesSelfAndDuplicateChildrenAndUnknownFarms)
{
  const auto config = config_of({{"production", {"rc"}}, {"rc", {}}});
  auto message = error_of([&] { stack::check_new_child(config, "rc", "rc"); });
  EXPECT_NE(message.find("farm rc cannot be its own child"), std::string::npos) << message;
  message = error_of([&] { stack::check_new_child(config, "production", "rc"); });
  EXPECT_NE(message.find("farm production already has rc as a child"), std::string::npos)
      << message;
  message = error_of([&] { stack::check_new_child(config, "production", "nosuch"); });
  EXPECT_NE(message.find("unknown farm 'nosuch'"), std::string::npos) << message;
  message = error_of([&] { stack::check_new_child(config, "nosuch", "rc"); });
  EXPECT_NE(message.find("unknown farm 'nosuch'"), std::string::npos) << message;
}

TEST(FarmGraph, AcceptsWhatIsNoCycle)
{
  const auto config = config_of(
      {{"production", {"rc"}}, {"rc", {"dev"}}, {"dev", {}}, {"hotfix", {}}, {"other", {}}});
  // A second path to the same farm (production -> dev directly) is no cycle.
  EXPECT_NO_THROW(stack::check_new_child(config, "production", "dev"));
  EXPECT_NO_THROW(stack::check_new_child(config, "rc", "hotfix"));
  EXPECT_NO_THROW(stack::check_new_child(config, "hotfix", "other"));
  EXPECT_NO_THROW(stack::check_new_child(config, "other", "production"));
  // Two parents may share a child.
  auto shared = config_of({{"a1", {"c"}}, {"b1", {}}, {"c", {}}});
  EXPECT_NO_THROW(stack::check_new_child(shared, "b1", "c"));
}

TEST(FarmGraph, TreeListsRootsInConfigurationOrderEachFollowedByItsChildren)
{
  // Declared out of order: a child before its parent, a lone farm between.
  const auto config = config_of({{"dev", {"feature-x", "feature-y"}},
                                 {"lone", {}},
                                 {"feature-x", {}},
                                 {"production", {"rc", "hotfix"}},
                                 {"rc", {"dev"}},
                                 {"feature-y", {}},
                                 {"hotfix", {}}});
  const Tree expected = {{"lone", 0},      {"production", 0}, {"rc", 1},    {"dev", 2},
                         {"feature-x", 3}, {"feature-y", 3},  {"hotfix", 1}};
  EXPECT_EQ(stack::farm_tree(config), expected);
  EXPECT_TRUE(stack::farm_tree(repo::Config{}).empty());
}

TEST(FarmGraph, TreeShowsASharedChildUnderEachParent)
{
  const auto config =
      config_of({{"stable", {"testing", "security"}}, {"testing", {"security"}}, {"security", {}}});
  const Tree expected = {{"stable", 0}, {"testing", 1}, {"security", 2}, {"security", 1}};
  EXPECT_EQ(stack::farm_tree(config), expected);
}

class FarmGraphOnDisk : public TempDirTest {};

TEST_F(FarmGraphOnDisk, ChildrenEditedInPlaceFeedTheTree)
{
  const auto root = repo::Root::create(dir() / "root");
  write_text(root.farms_file(), "# our farms\n"
                                "Farm: production\n"
                                "Description: what customers get\n"
                                "\n"
                                "# staging area\n"
                                "Farm: rc\n"
                                "Keep-Generations: 5\n"
                                "\n"
                                "Farm: dev\n");
  write_text(root.distributions_file(), "");
  auto config = repo::Config::load(root);
  stack::check_new_child(config, "production", "rc");
  config.set_children("production", {"rc"});
  stack::check_new_child(config, "rc", "dev");
  config.set_children("rc", {"dev"});
  config.save(root);

  const auto text = read_text(root.farms_file());
  EXPECT_NE(text.find("# our farms\n"), std::string::npos) << text;
  EXPECT_NE(text.find("# staging area\n"), std::string::npos) << text;
  EXPECT_NE(text.find("Children: rc\n"), std::string::npos) << text;
  EXPECT_NE(text.find("Children: dev\n"), std::string::npos) << text;

  auto reloaded = repo::Config::load(root);
  EXPECT_EQ(stack::farm_tree(reloaded), (Tree{{"production", 0}, {"rc", 1}, {"dev", 2}}));
  const auto message = error_of([&] { stack::check_new_child(reloaded, "dev", "production"); });
  EXPECT_NE(message.find("dev -> production -> rc -> dev"), std::string::npos) << message;
  EXPECT_EQ(reloaded.farm("rc").keep_generations, 5u);

  // Removing a child rewrites the line again; the tree follows.
  reloaded.set_children("production", {});
  reloaded.save(root);
  const auto again = repo::Config::load(root);
  EXPECT_EQ(stack::farm_tree(again), (Tree{{"production", 0}, {"rc", 0}, {"dev", 1}}));
  EXPECT_EQ(read_text(root.farms_file()).find("Children: rc"), std::string::npos);
}

TEST_F(FarmGraphOnDisk, HandEditedChildrenAreCheckedWhenLoaded)
{
  // conf/farms is edited by hand: what check_new_child refuses must not get
  // in that way either (farm_tree starts only from farms without a parent,
  // so the farms of a cycle would silently vanish from `prepo farm list`).
  const auto root = repo::Root::create(dir() / "root");
  write_text(root.distributions_file(), "");
  auto load_error = [&](const std::string& farms) {
    write_text(root.farms_file(), farms);
    return error_of([&] { repo::Config::load(root); });
  };
  auto message = load_error("Farm: a\nChildren: b\n\nFarm: b\nChildren: c\n\nFarm: c\n"
                            "Children: a\n\nFarm: d\n");
  EXPECT_NE(message.find("cycle"), std::string::npos) << message;
  EXPECT_NE(message.find("a -> b -> c -> a"), std::string::npos) << message;
  EXPECT_NE(message.find(root.farms_file().string()), std::string::npos) << message;
  message = load_error("Farm: a\nChildren: a\n");
  EXPECT_NE(message.find("farm a lists itself as a child"), std::string::npos) << message;
  message = load_error("Farm: a\nChildren: b b\n\nFarm: b\n");
  EXPECT_NE(message.find("lists child b twice"), std::string::npos) << message;
  message = load_error("Farm: a\nChildren: ghost\n");
  EXPECT_NE(message.find("unknown child farm 'ghost'"), std::string::npos) << message;

  // A diamond is no cycle.
  write_text(root.farms_file(), "Farm: a\nChildren: b c\n\nFarm: b\nChildren: c\n\nFarm: c\n");
  const auto config = repo::Config::load(root);
  EXPECT_EQ(stack::farm_tree(config), (Tree{{"a", 0}, {"b", 1}, {"c", 2}, {"c", 1}}));
}

} // namespace
} // namespace prepo::test
