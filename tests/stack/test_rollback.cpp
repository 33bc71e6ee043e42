// prepo rollback on real roots: the package set, the published indexes
// (byte for byte) and the pool bytes become those of generation N; what
// cannot be given back is refused with nothing changed.
#include "stack/rollback.hpp"

#include <map>
#include <string>
#include <sys/stat.h>
#include <vector>

#include <gtest/gtest.h>

#include "stack/stack_fixture.hpp"

namespace prepo::test {
namespace {

class Rollback : public StackTest {
protected:
  static stack::RollbackOptions to(std::uint64_t generation)
  {
    stack::RollbackOptions options;
    options.to = generation;
    return options;
  }

  struct Saved {
    std::vector<std::string> packages;
    std::map<std::string, std::string> indexes;
    SlotMap slots;
  };
  // What generation `g` of dev looked like when it was published.
  std::map<std::uint64_t, Saved> saved_;

  void save(std::uint64_t generation, const std::string& farm = "dev")
  {
    ASSERT_NE(generation, 0u);
    ASSERT_EQ(state_of(farm).published, generation);
    saved_[generation] = {listing(farm + "/skaro"), indexes(farm), slots(farm)};
  }

  void expect_state_of(std::uint64_t generation, const std::string& farm = "dev")
  {
    const auto& s = saved_.at(generation);
    const auto current = state_of(farm).current;
    EXPECT_TRUE(gen_delta(farm, current, generation).empty())
        << "generation " << current << " differs from " << generation;
    EXPECT_EQ(listing(farm + "/skaro"), s.packages);
    EXPECT_EQ(slots(farm), s.slots);
    EXPECT_EQ(indexes(farm), s.indexes) << "the published indexes of generation " << generation;
  }

  // Generations of dev (Keep-Generations 10, so none is dropped):
  // 1 pkg-a 1.0, pkg-b (not published); 2 pkg-c in contrib (published);
  // 3 pkg-a 1.1 (published); 4 pkg-b removed (not published); 5 pkg-d
  // added (published).
  void five_generations()
  {
    set_keep("dev", 10);
    const auto debs = build({{"pkg-a", "1.0"},
                             {"pkg-a", "1.1"},
                             {"pkg-b", "1.0", "all"},
                             {"pkg-c", "1.0"},
                             {"pkg-d", "0.1"}});
    repo::IncludeOptions contrib;
    contrib.component = "contrib";
    put("dev/skaro", {debs[0], debs[2]}, false);
    save(put("dev/skaro", {debs[3]}, true, contrib).generation);
    save(put("dev/skaro", {debs[1]}).generation);
    remove("dev/skaro", {"pkg-b"}, false);
    save(put("dev/skaro", {debs[4]}).generation);
    ASSERT_EQ(state_of("dev").current, 5u);
    ASSERT_EQ(state_of("dev").oldest_kept, 0u);
  }
};

TEST_F(Rollback, ToThePreviousGeneration)
{
  five_generations();
  const auto result = rollback("dev");
  EXPECT_EQ(result.target, 4u);
  EXPECT_EQ(result.generation, 6u);
  ASSERT_EQ(result.changes.size(), 1u);
  EXPECT_EQ(result.changes[0].name, "pkg-d");
  EXPECT_EQ(result.changes[0].kind, stack::ChangeKind::removed);
  // Generation 4 was never published by itself: it is 3 without pkg-b.
  EXPECT_TRUE(gen_delta("dev", 6, 4).empty());
  EXPECT_EQ(state_of("dev").published, 6u);
  EXPECT_EQ(generation_of("dev", 6)->command, "test rollback dev");
  std::vector<std::string> expected = saved_.at(3).packages;
  std::erase_if(expected, [](const std::string& p) { return p.starts_with("pkg-b "); });
  EXPECT_EQ(listing("dev/skaro"), expected);
  expect_healthy("rollback");

  // Rolling back a rollback is going forward again.
  const auto again = rollback("dev");
  EXPECT_EQ(again.target, 5u);
  expect_state_of(5);
  expect_healthy("second rollback");
}

TEST_F(Rollback, ToAGivenGenerationPublishesItsVeryIndexes)
{
  five_generations();
  for (std::uint64_t target : {2u, 5u, 3u, 2u}) {
    const auto result = rollback("dev", to(target));
    EXPECT_EQ(result.target, target);
    EXPECT_NE(result.generation, 0u);
    expect_state_of(target);
    expect_healthy("rollback to " + std::to_string(target));
  }
  const auto to_five = rollback("dev", to(5));
  bool saw_d = false;
  for (const auto& c : to_five.changes) {
    saw_d = saw_d || (c.name == "pkg-d" && c.kind == stack::ChangeKind::added);
    EXPECT_NE(c.kind, stack::ChangeKind::rebuilt);
  }
  EXPECT_TRUE(saw_d);
  const auto result = rollback("dev", to(2));
  bool saw_b = false;
  for (const auto& c : result.changes) {
    saw_b = saw_b || (c.name == "pkg-b" && c.kind == stack::ChangeKind::added);
  }
  EXPECT_TRUE(saw_b);
  expect_state_of(2);
}

TEST_F(Rollback, PoolBytesAreThoseTheGenerationPublished)
{
  five_generations();
  rollback("dev", to(2));
  expect_state_of(2);
  for (const auto& [slot, id] : slots("dev")) {
    const auto record = record_of(id);
    ASSERT_TRUE(record);
    for (const auto& file : record->files) {
      const auto pool = root().farm_dir("dev") / file.pool_path;
      ASSERT_TRUE(fs::exists(pool)) << file.pool_path;
      EXPECT_EQ(util::checksum_file(pool).sha256, file.sha256) << file.pool_path;
      struct stat a {
      }, b{};
      ASSERT_EQ(::stat(pool.c_str(), &a), 0);
      ASSERT_EQ(::stat(object_file(file.sha256).c_str(), &b), 0);
      EXPECT_EQ(a.st_ino, b.st_ino) << file.pool_path << " is not the stored object";
    }
  }
}

TEST_F(Rollback, OfAPromotedParent)
{
  const auto debs = build({{"app", "1.0"}, {"app", "2.0"}, {"lib", "1.0", "all"}});
  put("dev/skaro", {debs[0], debs[2]});
  promote("dev", "prod");
  save(state_of("prod").current, "prod");
  put("dev/skaro", {debs[1]});
  remove("dev/skaro", {"lib"});
  stack::PromoteOptions yes;
  yes.confirm = [](const stack::PromotePlan&) { return true; };
  promote("dev", "prod", yes);
  EXPECT_EQ(listing("prod/skaro"), listing("dev/skaro"));
  const auto result = rollback("prod");
  EXPECT_EQ(result.changes.size(), 2u);
  expect_state_of(1, "prod");
  // The child is untouched, and now differs.
  EXPECT_EQ(farm_changes("dev", "prod").size(), 2u);
  expect_healthy("rollback of a parent");
}

TEST_F(Rollback, AlreadyEqualIsANoOp)
{
  five_generations();
  auto before = freeze();
  auto result = rollback("dev", to(5));
  EXPECT_EQ(result.generation, 0u);
  EXPECT_TRUE(result.changes.empty());
  expect_unchanged(before, "rollback to the current generation");

  ASSERT_NE(rollback("dev", to(3)).generation, 0u);
  before = freeze();
  // Generation 6 holds what 3 held: rolling back to 3 again does nothing.
  result = rollback("dev", to(3));
  EXPECT_EQ(result.target, 3u);
  EXPECT_EQ(result.generation, 0u);
  expect_unchanged(before, "a second rollback to the same generation");
  expect_healthy("no-op rollbacks");
}

TEST_F(Rollback, RefusesADroppedGenerationOrOneThatNeverWas)
{
  std::vector<fs::path> debs;
  for (int i = 1; i <= 7; ++i) {
    debs.push_back(build1({"pkg-a", std::to_string(i) + ".0"}));
  }
  for (const auto& deb : debs) {
    put("dev/skaro", {deb});
  }
  const auto state = state_of("dev");
  ASSERT_GT(state.oldest_kept, 1u);
  const auto before = freeze();
  auto message = error_of([&] { rollback("dev", to(state.oldest_kept - 1)); });
  EXPECT_NE(message.find("generation " + std::to_string(state.oldest_kept - 1) + " was dropped"),
            std::string::npos)
      << message;
  message = error_of([&] { rollback("dev", to(0)); });
  EXPECT_NE(message.find("generation 0 was dropped"), std::string::npos) << message;
  message = error_of([&] { rollback("dev", to(state.current + 1)); });
  EXPECT_NE(message.find("no generation " + std::to_string(state.current + 1)), std::string::npos)
      << message;
  message = error_of([&] { rollback("prod"); });
  EXPECT_NE(message.find("farm prod has no generation to roll back from"), std::string::npos)
      << message;
  message = error_of([&] { rollback("nosuch"); });
  EXPECT_NE(message.find("unknown farm 'nosuch'"), std::string::npos) << message;
  expect_unchanged(before, "refused rollbacks");

  // The oldest kept one is still reachable (generation k holds pkg-a k.0).
  EXPECT_NE(rollback("dev", to(state.oldest_kept)).generation, 0u);
  EXPECT_EQ(
      listing("dev/skaro"),
      std::vector<std::string>{"pkg-a " + std::to_string(state.oldest_kept) + ".0 amd64 main b"});
  expect_healthy("rollback to the oldest kept generation");
}

TEST_F(Rollback, RefusesWhenAPoolFileWasReplacedSince)
{
  const auto first = build1({"pkg-r", "1.0", "amd64", "", "first build"});
  const auto second = build1({"pkg-r", "1.0", "amd64", "", "second build"});
  const auto other = build1({"pkg-o", "1.0"});
  put("dev/skaro", {first}); // 1
  put("dev/skaro", {other}); // 2
  repo::IncludeOptions replace;
  replace.replace = true;
  ASSERT_NE(put("dev/skaro", {second}, true, replace).generation, 0u); // 3
  const auto path = "pool/skaro/main/p/pkg-r/pkg-r_1.0_amd64.deb";
  ASSERT_EQ(util::checksum_file(root().farm_dir("dev") / path).sha256,
            util::checksum_file(second).sha256);

  const auto before = freeze();
  for (std::uint64_t target : {1u, 2u}) {
    const auto message = error_of([&] { rollback("dev", to(target)); });
    EXPECT_NE(message.find(path), std::string::npos) << message;
    EXPECT_NE(message.find("was replaced since"), std::string::npos) << message;
    EXPECT_NE(message.find(util::checksum_file(first).sha256), std::string::npos) << message;
    EXPECT_NE(message.find("nothing changed"), std::string::npos) << message;
  }
  expect_unchanged(before, "a rollback across --replace");
  expect_healthy("refused rollback");
}

} // namespace
} // namespace prepo::test
