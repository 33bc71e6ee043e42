// prepo generations and prepo gc: what the list shows, and that garbage
// collection drops old generations and their files but never what a kept
// generation, the published one, another distribution or another farm
// still needs; store objects nothing knows are removed.
#include "stack/history.hpp"

#include <algorithm>
#include <ctime>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "stack/stack_fixture.hpp"
#include "util/hash.hpp"

namespace prepo::test {
namespace {

class History : public StackTest {
protected:
  std::string path_in(const std::string& farm, const std::string& name, const std::string& version,
                      const std::string& dist = "skaro")
  {
    return (root().farm_dir(farm) / "pool" / dist / "main" / name.substr(0, 1) / name /
            (name + "_" + version + "_amd64.deb"))
        .string();
  }

  // dev (Keep-Generations 10) gains a distribution gallifrey, published at
  // generations 1 and 2: dists/gallifrey@1 is its older retained
  // directory, and shows generation 1.
  void publish_gallifrey_twice()
  {
    set_keep("dev", 10);
    configure([](repo::Config& config) { config.add_distribution(make_dist("dev", "gallifrey")); });
    put("dev/gallifrey", {build1({"stable", "1.0"})}); // 1
    put("dev/gallifrey", {build1({"stable", "1.1"})}); // 2
  }

  // Every file under public/*/pool and store/.
  std::set<std::string> pool_and_store_files()
  {
    std::set<std::string> out;
    for (const auto& top : {root().public_dir(), root().store_dir()}) {
      for (auto it = fs::recursive_directory_iterator(top);
           it != fs::recursive_directory_iterator(); ++it) {
        const auto path = it->path().string();
        if (it->is_regular_file() &&
            (top == root().store_dir() || path.find("/pool/") != std::string::npos)) {
          out.insert(path);
        }
      }
    }
    return out;
  }
};

TEST_F(History, ListsKeptGenerationsWithCountsAndThePublishedOne)
{
  EXPECT_TRUE(generations("dev").empty()) << "generation 0 has no entry";
  const auto debs =
      build({{"one", "1.0"}, {"two", "1.0"}, {"three", "1.0"}, {"one", "1.1"}, {"four", "1.0"}});
  const auto t0 = std::time(nullptr);
  put("dev/skaro", {debs[0], debs[1], debs[2]}); // 1: 3 added, published
  put("dev/skaro", {debs[3], debs[4]}, false);   // 2: 1 replaced, 1 added
  remove("dev/skaro", {"two", "three"}, false);  // 3: 2 removed
  auto list = generations("dev");
  ASSERT_EQ(list.size(), 3u);
  for (std::size_t i = 0; i < list.size(); ++i) {
    EXPECT_EQ(list[i].number, i + 1);
    EXPECT_GE(list[i].time, t0);
    EXPECT_LE(list[i].time, std::time(nullptr));
  }
  EXPECT_EQ(list[0].command, "test include");
  EXPECT_EQ(list[2].command, "test remove");
  EXPECT_EQ(list[0].added, 3u);
  EXPECT_EQ(list[0].replaced + list[0].removed, 0u);
  EXPECT_EQ(list[1].added, 1u);
  EXPECT_EQ(list[1].replaced, 1u);
  EXPECT_EQ(list[1].removed, 0u);
  EXPECT_EQ(list[2].removed, 2u);
  EXPECT_EQ(list[2].added + list[2].replaced, 0u);
  EXPECT_TRUE(list[0].published);
  EXPECT_FALSE(list[1].published);
  EXPECT_FALSE(list[2].published);

  publish_farm("dev");
  list = generations("dev");
  ASSERT_EQ(list.size(), 3u);
  EXPECT_FALSE(list[0].published);
  EXPECT_TRUE(list[2].published);
  EXPECT_TRUE(generations("prod").empty());

  // A farm that was never published marks nothing.
  stack::PromoteOptions unpublished;
  unpublished.publish = false;
  promote("dev", "prod", unpublished);
  list = generations("prod");
  ASSERT_EQ(list.size(), 1u);
  EXPECT_FALSE(list[0].published);
  EXPECT_EQ(list[0].added, 2u);
  EXPECT_EQ(list[0].command, "test promote dev prod");

  repo::Reader reader(root());
  const auto message = error_of([&] { stack::list_generations(reader, "nosuch"); });
  EXPECT_NE(message.find("unknown farm 'nosuch'"), std::string::npos) << message;
  expect_healthy("generations");
}

TEST_F(History, ListStartsAtTheOldestKeptGeneration)
{
  for (int i = 1; i <= 6; ++i) {
    put("dev/skaro", {build1({"churn", std::to_string(i) + ".0"})});
  }
  const auto state = state_of("dev");
  ASSERT_GT(state.oldest_kept, 1u);
  const auto list = generations("dev");
  ASSERT_FALSE(list.empty());
  EXPECT_EQ(list.front().number, state.oldest_kept);
  EXPECT_EQ(list.back().number, state.current);
  EXPECT_EQ(list.size(), state.current - state.oldest_kept + 1);
  EXPECT_TRUE(list.back().published);
  expect_healthy("retention");
}

TEST_F(History, GcKeepsWhatKeptGenerationsOtherDistsAndOtherFarmsNeed)
{
  set_keep("dev", 20);
  std::vector<fs::path> churn;
  for (int i = 1; i <= 8; ++i) {
    churn.push_back(build1({"churn", std::to_string(i) + ".0"}));
  }
  const auto stable = build1({"stable", "1.0"});
  put("dev/skaro", {churn[0], stable}); // 1
  for (int i = 1; i < 8; ++i) {
    put("dev/skaro", {churn[i]}); // 2..8
    if (i == 2) {
      stack::PromoteOptions skaro;
      skaro.dist = "skaro";
      promote("dev", "prod", skaro); // another farm holds churn 3.0
    }
  }
  // Another dist holds churn 2.0. (Configured only now: published empty at
  // generation 1 and again at 9, its older directory gallifrey@1 would
  // pin generation 1 for the whole farm.)
  configure([](repo::Config& config) { config.add_distribution(make_dist("dev", "gallifrey")); });
  put("dev/gallifrey", {churn[1]}); // 9
  const auto before = state_of("dev");
  ASSERT_EQ(before.current, 9u);
  ASSERT_EQ(before.oldest_kept, 0u);
  const auto files_before = pool_and_store_files();
  const auto listed_before = generations("dev").size();

  const auto result = gc({"dev"}, 3);
  const auto after = state_of("dev");
  // Generation 0, the empty farm, counts too (gc.md): it is not listed,
  // but it could be diffed and rolled back to, and now cannot.
  EXPECT_EQ(result.generations_dropped, listed_before - generations("dev").size() + 1);
  EXPECT_EQ(result.generations_dropped, 6u);
  // As many dropped as the rule allows: three kept, but never the
  // published one nor one a retained dists/ directory shows (skaro@6).
  EXPECT_EQ(after.oldest_kept, std::min({after.current - 2, after.published, after.oldest_shown}));
  EXPECT_EQ(after.oldest_kept, 6u);
  EXPECT_LE(after.oldest_kept, after.published);
  EXPECT_EQ(result.orphans_removed, 0u);

  // Every file the kept generations (and the others) use is still there.
  repo::Reader reader(root());
  {
    repo::DbTxn txn(reader.db, util::lmdb::Txn::Mode::read);
    std::set<std::string> needed_ids;
    for (const auto& farm : {"dev", "prod"}) {
      for (const auto& dist : {"skaro", "gallifrey"}) {
        txn.for_each_slot(farm, dist, "", [&](std::string_view, std::string_view id) {
          needed_ids.emplace(id);
          return true;
        });
      }
    }
    for (auto g = after.oldest_kept + 1; g <= after.current; ++g) {
      const auto generation = txn.generation("dev", g);
      ASSERT_TRUE(generation) << g;
      for (const auto& change : generation->changes) {
        if (!change.old_id.empty()) {
          needed_ids.insert(change.old_id);
        }
      }
    }
    for (const auto& id : needed_ids) {
      const auto record = txn.record(id);
      ASSERT_TRUE(record) << id;
      for (const auto& file : record->files) {
        EXPECT_TRUE(fs::exists(object_file(file.sha256))) << file.pool_path;
      }
    }
  }
  // By name: the churn versions of the kept generations in dev's pool,
  // 2.0 through gallifrey, 3.0 through prod; the others gone from dev/skaro.
  for (int i = 1; i <= 8; ++i) {
    const auto version = std::to_string(i) + ".0";
    // churn i.0 arrived in generation i; the oldest kept generation's
    // package set and everything after it stay.
    const bool kept = static_cast<std::uint64_t>(i) >= after.oldest_kept;
    EXPECT_EQ(fs::exists(path_in("dev", "churn", version)), kept) << version;
  }
  EXPECT_TRUE(fs::exists(path_in("dev", "stable", "1.0")));
  EXPECT_TRUE(fs::exists(path_in("dev", "churn", "2.0", "gallifrey")));
  EXPECT_TRUE(fs::exists(path_in("prod", "churn", "3.0")));
  EXPECT_TRUE(fs::exists(object_file(util::checksum_file(churn[1]).sha256)));
  EXPECT_TRUE(fs::exists(object_file(util::checksum_file(churn[2]).sha256)));
  EXPECT_FALSE(fs::exists(object_file(util::checksum_file(churn[0]).sha256)))
      << "churn 1.0: nothing holds it";

  // files_removed counts exactly the files that went.
  const auto files_after = pool_and_store_files();
  std::size_t gone = 0;
  for (const auto& f : files_before) {
    gone += !files_after.contains(f);
  }
  EXPECT_EQ(result.files_removed, gone);
  EXPECT_GT(gone, 0u);
  for (const auto& f : files_after) {
    EXPECT_TRUE(files_before.contains(f)) << "gc made " << f;
  }

  // The published generation and the ones after it can still be rolled
  // back to; the dropped ones cannot.
  EXPECT_EQ(listing("dev/skaro").size(), 2u);
  const auto message = error_of([&] { gen_delta("dev", after.oldest_kept - 1, after.current); });
  EXPECT_NE(message.find("was dropped"), std::string::npos) << message;
  expect_healthy("gc");

  // Again: nothing more to do.
  const auto again = gc({"dev", "prod"}, 3);
  EXPECT_EQ(again.generations_dropped, 0u);
  EXPECT_EQ(again.files_removed, 0u);
  expect_healthy("second gc");
}

TEST_F(History, GcNeverDropsThePublishedGeneration)
{
  set_keep("dev", 20);
  std::vector<fs::path> debs;
  for (int i = 1; i <= 8; ++i) {
    debs.push_back(build1({"churn", std::to_string(i) + ".0"}));
  }
  put("dev/skaro", {debs[0]});
  put("dev/skaro", {debs[1]}); // 2: the published one
  for (int i = 2; i < 8; ++i) {
    put("dev/skaro", {debs[i]}, false);
  }
  const auto published = state_of("dev").published;
  ASSERT_EQ(published, 2u);
  const auto published_packages = index_text("dev");
  gc({"dev"}, 3);
  const auto state = state_of("dev");
  EXPECT_LE(state.oldest_kept, published);
  EXPECT_EQ(state.published, published);
  const auto list = generations("dev");
  ASSERT_FALSE(list.empty());
  bool marked = false;
  for (const auto& g : list) {
    marked = marked || (g.published && g.number == published);
  }
  EXPECT_TRUE(marked) << "the published generation is listed and marked";
  // What the public tree shows is intact.
  EXPECT_EQ(index_text("dev"), published_packages);
  EXPECT_TRUE(fs::exists(path_in("dev", "churn", "2.0")));
  expect_healthy("gc with an old publish");

  // Two more publishes retire the directories that showed generations 1
  // and 2 (each keeps the two before it): gc can go further.
  publish_farm("dev");
  put("dev/skaro", {build1({"churn", "9.0"})});
  put("dev/skaro", {build1({"churn", "10.0"})});
  gc({"dev"}, 3);
  const auto later = state_of("dev");
  EXPECT_EQ(later.current, 10u);
  EXPECT_EQ(later.oldest_kept, 8u);
  EXPECT_TRUE(fs::exists(path_in("dev", "churn", "8.0")));
  EXPECT_TRUE(fs::exists(path_in("dev", "churn", "9.0")));
  EXPECT_FALSE(fs::exists(path_in("dev", "churn", "7.0")));
  EXPECT_FALSE(fs::exists(path_in("dev", "churn", "1.0")));
  expect_healthy("gc after publishing");
}

TEST_F(History, GcKeepsAtLeastThreeAndDefaultsToKeepGenerations)
{
  set_keep("dev", 5);
  for (int i = 1; i <= 4; ++i) {
    put("dev/skaro", {build1({"churn", std::to_string(i) + ".0"})});
  }
  // Keep-Generations 5: four generations and generation 0 are all kept.
  EXPECT_EQ(gc({"dev"}).generations_dropped, 0u);
  EXPECT_EQ(state_of("dev").oldest_kept, 0u);
  // Asked for one, it keeps three.
  gc({"dev"}, 1);
  const auto state = state_of("dev");
  EXPECT_EQ(state.current - state.oldest_kept + 1, 3u);
  expect_healthy("gc --keep 1");

  const auto message = error_of([&] { gc({"nosuch"}); });
  EXPECT_NE(message.find("unknown farm 'nosuch'"), std::string::npos) << message;
}

TEST_F(History, AnUnchangedDistributionDoesNotStopRetention)
{
  // A farm with a distribution that rarely changes (gallifrey, published
  // once) and one that changes every day (skaro), Keep-Generations 3.
  configure([](repo::Config& config) { config.add_distribution(make_dist("dev", "gallifrey")); });
  put("dev/gallifrey", {build1({"stable", "1.0"})}); // 1
  for (int i = 1; i <= 8; ++i) {
    put("dev/skaro", {build1({"churn", std::to_string(i) + ".0"})}); // 2..9
  }
  gc({"dev"});
  const auto state = state_of("dev");
  EXPECT_EQ(state.current, 9u);
  // gallifrey@1 is gallifrey's current directory: it shows what its slots
  // hold now and needs none of skaro's old generations. (prepo 0.1.0 took
  // the minimum "@N" over every retained directory, current ones included,
  // so one quiet distribution pinned the whole farm's retention forever.)
  EXPECT_GE(state.oldest_kept + 3, state.current)
      << "oldest kept " << state.oldest_kept << " of " << state.current;
  EXPECT_FALSE(fs::exists(path_in("dev", "churn", "1.0")))
      << "churn 1.0 was replaced 7 generations ago with Keep-Generations 3";
  EXPECT_TRUE(fs::exists(path_in("dev", "stable", "1.0", "gallifrey")));
  expect_healthy("two distributions");
}

TEST_F(History, AQuietDistributionPublishedTwiceDoesNotStopRetentionEither)
{
  // As above, but gallifrey was published twice and then stayed quiet:
  // dists/gallifrey@1, its older retained directory, showed generation 1.
  // (prepo 0.1.0 pinned generation 1 for the whole farm while it stayed,
  // that is until gallifrey was published twice more: skaro's old
  // generations and pool files were kept forever.)
  publish_gallifrey_twice();
  const auto dists = root().farm_dir("dev") / "dists";
  const auto older = dists / "gallifrey@1";
  ASSERT_TRUE(fs::is_directory(older));
  // What a client mid-update would fetch of it through dists/gallifrey.
  const auto by_hash = published_dir("dev", "gallifrey") / "main" / "binary-amd64" / "by-hash" /
                       "SHA256" /
                       util::checksum_file(older / "main" / "binary-amd64" / "Packages").sha256;
  ASSERT_TRUE(fs::exists(by_hash));
  for (int i = 1; i <= 8; ++i) {
    put("dev/skaro", {build1({"churn", std::to_string(i) + ".0"})}); // 3..10
  }
  // Keep-Generations 10 keeps all of it, gallifrey@1 included.
  ASSERT_TRUE(fs::is_directory(older));

  const auto result = gc({"dev"}, 3);
  const auto state = state_of("dev");
  EXPECT_EQ(state.current, 10u);
  EXPECT_EQ(state.oldest_kept, 8u) << "three states: 8, 9, 10";
  EXPECT_EQ(result.generations_dropped, 7u) << "1 to 7 (0 went with Keep-Generations 10)";
  // gallifrey@1 went first, and with it its indexes from gallifrey@2's
  // by-hash: nothing published names the files dropped with it.
  EXPECT_FALSE(fs::exists(older));
  EXPECT_FALSE(fs::exists(by_hash));
  EXPECT_TRUE(fs::is_directory(dists / "gallifrey@2"));
  EXPECT_EQ(fs::read_symlink(dists / "gallifrey"), "gallifrey@2");
  EXPECT_FALSE(fs::exists(path_in("dev", "stable", "1.0", "gallifrey")));
  EXPECT_TRUE(fs::exists(path_in("dev", "stable", "1.1", "gallifrey")));
  for (int i = 1; i <= 8; ++i) {
    const auto version = std::to_string(i) + ".0";
    // churn i.0 arrived in generation i + 2.
    EXPECT_EQ(fs::exists(path_in("dev", "churn", version)), i + 2 >= 8) << version;
  }
  // prepo check reads every index a client can still reach, the retained
  // directories and the current one's by-hash included.
  expect_healthy("gc with a quiet distribution published twice");
  EXPECT_NE(index_text("dev", "gallifrey").find("stable_1.1_amd64.deb"), std::string::npos);
}

TEST_F(History, AnOlderDirectoryStaysWhileThePublishThatReplacedItIsKept)
{
  // A stretch of --no-publish changes: skaro@1 was current until the
  // publish of generation 6 replaced it a moment ago. Clients mid-update
  // may be reading it, however old the generation it shows.
  put("dev/skaro", {build1({"churn", "1.0"})}); // 1, published
  for (int i = 2; i <= 6; ++i) {
    put("dev/skaro", {build1({"churn", std::to_string(i) + ".0"})}, false);
  }
  publish_farm("dev");
  const auto dists = root().farm_dir("dev") / "dists";
  ASSERT_TRUE(fs::is_directory(dists / "skaro@1"));
  gc({"dev"}, 3);
  EXPECT_TRUE(fs::is_directory(dists / "skaro@1"));
  EXPECT_EQ(state_of("dev").oldest_kept, 1u);
  EXPECT_TRUE(fs::exists(path_in("dev", "churn", "1.0")));
  expect_healthy("gc after a --no-publish stretch");

  // Three more, published at once: skaro@9 replaces skaro@6, and skaro@1
  // (replaced by the publish of 6, now older than the window 7..9) expires.
  for (int i = 7; i <= 9; ++i) {
    put("dev/skaro", {build1({"churn", std::to_string(i) + ".0"})}, false);
  }
  publish_farm("dev");
  ASSERT_TRUE(fs::is_directory(dists / "skaro@1"));
  gc({"dev"}, 3);
  EXPECT_FALSE(fs::exists(dists / "skaro@1"));
  EXPECT_TRUE(fs::is_directory(dists / "skaro@6")) << "replaced a moment ago";
  EXPECT_EQ(state_of("dev").oldest_kept, 6u);
  for (int i = 1; i <= 9; ++i) {
    const auto version = std::to_string(i) + ".0";
    EXPECT_EQ(fs::exists(path_in("dev", "churn", version)), i >= 6) << version;
  }
  expect_healthy("gc once the window passed");
}

TEST_F(History, AnExpiryKilledBeforeItsCommitIsTakenInItsStride)
{
  publish_gallifrey_twice();
  for (int i = 1; i <= 4; ++i) {
    put("dev/skaro", {build1({"churn", std::to_string(i) + ".0"})}); // 3..6
  }
  // Retention removes an expired directory before its transaction
  // commits: killed in between, the directory is gone but still listed.
  fs::remove_all(root().farm_dir("dev") / "dists" / "gallifrey@1");
  expect_healthy("an expired directory still listed");
  put("dev/gallifrey", {build1({"stable", "1.2"})}); // 7: a publish with it listed
  expect_healthy("a publish after the killed expiry");
  gc({"dev"}, 3);
  expect_healthy("gc after the killed expiry");
  repo::Reader reader(root());
  repo::DbTxn txn(reader.db, util::lmdb::Txn::Mode::read);
  const auto info = txn.published("dev", "gallifrey");
  ASSERT_TRUE(info);
  EXPECT_EQ(info->directories, (std::vector<std::string>{"gallifrey@7", "gallifrey@2"}))
      << "the next retention finished the expiry";
}

TEST_F(History, RetentionAfterAChangeTakesEffectInTheSameCommand)
{
  // Keep-Generations 3 (prod): the 4th promote leaves generations 2 to 4,
  // and the file only generation 1 used is gone, without a gc. (prepo 0.1.0
  // dropped before publishing, while dists/skaro@1 still pinned 1.)
  for (int i = 1; i <= 4; ++i) {
    put("dev/skaro", {build1({"churn", std::to_string(i) + ".0"})});
    promote("dev", "prod");
  }
  const auto list = generations("prod");
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(list.front().number, 2u);
  EXPECT_EQ(list.back().number, 4u);
  EXPECT_FALSE(fs::exists(path_in("prod", "churn", "1.0")));
  EXPECT_TRUE(fs::exists(path_in("prod", "churn", "2.0")));
  // And gc finds nothing left to do.
  EXPECT_EQ(gc({"prod"}).generations_dropped, 0u);
}

TEST_F(History, APoolNameKeepsItsBytesAfterGcDroppedIt)
{
  // The brief's first invariant: a name a mirror or an apt client once
  // fetched never comes back with other bytes, even once no kept
  // generation holds it and gc unlinked it.
  const auto first = build1({"gone", "1.0", "amd64", "", "first bytes"});
  const auto rebuilt = build1({"gone", "1.0", "amd64", "", "rebuilt"});
  const auto first_sha = util::checksum_file(first).sha256;
  const auto rebuilt_sha = util::checksum_file(rebuilt).sha256;
  put("dev/skaro", {first});
  remove("dev/skaro", {"gone"});
  for (int i = 1; i <= 4; ++i) {
    put("dev/skaro", {build1({"churn", std::to_string(i) + ".0"})});
  }
  gc({"dev"}, 3);
  ASSERT_FALSE(fs::exists(path_in("dev", "gone", "1.0"))) << "gc should have unlinked it";

  auto before = freeze();
  const auto message = error_of([&] { include({rebuilt}, {}, "dev/skaro"); });
  EXPECT_NE(message.find("was published before"), std::string::npos) << message;
  EXPECT_NE(message.find(first_sha), std::string::npos) << message;
  EXPECT_NE(message.find(rebuilt_sha), std::string::npos) << message;
  expect_unchanged(before, "a rebuild of a retired name");

  // The very same bytes come back without a word; the name is held again.
  put("dev/skaro", {first});
  remove("dev/skaro", {"gone"});
  for (int i = 5; i <= 8; ++i) {
    put("dev/skaro", {build1({"churn", std::to_string(i) + ".0"})});
  }
  gc({"dev"}, 3);
  // An explicit --replace is the way to other bytes.
  repo::IncludeOptions replace;
  replace.replace = true;
  put("dev/skaro", {rebuilt}, true, replace);
  EXPECT_EQ(util::checksum_file(path_in("dev", "gone", "1.0")).sha256, rebuilt_sha);
}

TEST_F(History, GcRemovesOrphanStoreObjects)
{
  const auto deb = build1({"kept", "1.0"});
  put("dev/skaro", {deb});
  const auto known = object_file(util::checksum_file(deb).sha256);
  // Objects a killed include stored but never recorded: one under
  // store/ab/, one beside a known object.
  const auto orphan = root().store_dir() / "ab" / ("ab" + std::string(62, '0'));
  write_text(orphan, "nobody records me\n");
  const auto fake =
      known.parent_path() / (known.parent_path().filename().string() + std::string(62, 'a'));
  write_text(fake, "not even its own hash\n");
  // A name that is no object is not gc's to judge.
  const auto stray = root().store_dir() / "ab" / "not-an-object";
  write_text(stray, "x");
  const auto result = gc({"dev"});
  EXPECT_EQ(result.orphans_removed, 2u);
  EXPECT_FALSE(fs::exists(orphan));
  EXPECT_FALSE(fs::exists(fake));
  EXPECT_TRUE(fs::exists(known));
  EXPECT_TRUE(fs::exists(stray));
  fs::remove(stray);
  EXPECT_TRUE(fs::exists(path_in("dev", "kept", "1.0")));
  expect_healthy("orphans");
}

} // namespace
} // namespace prepo::test
