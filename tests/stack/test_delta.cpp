// generation_delta and farm_delta against brute force: every generation's
// full slot map is snapshotted when it is made (and checked against an
// independent model of the packages), and the delta between any two kept
// generations must be exactly the difference of the two snapshots.
#include "stack/delta.hpp"

#include <algorithm>
#include <map>
#include <optional>
#include <random>
#include <regex>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "stack/stack_fixture.hpp"

namespace prepo::test {
namespace {

class Delta : public StackTest {};

TEST_F(Delta, BetweenAnyTwoGenerationsIsTheDifferenceOfTheirPackageSets)
{
  configure([](repo::Config& config) { config.add_distribution(make_dist("dev", "gallifrey")); });
  const auto debs = build({{"aa", "1.0"},
                           {"aa", "2.0"},
                           {"bb", "1.0"},
                           {"cc", "1.0", "all"},
                           {"dd", "3.0"},
                           {"aa", "1.0~rc1"}});
  const auto &a1 = debs[0], &a2 = debs[1], &b1 = debs[2], &c1 = debs[3], &d3 = debs[4],
             &a0 = debs[5];
  // Per generation: the slots of both distributions, keyed by (dist, slot).
  std::vector<std::map<std::pair<std::string, std::string>, std::string>> snap(1);
  auto take = [&](std::uint64_t generation) {
    ASSERT_EQ(generation, snap.size());
    std::map<std::pair<std::string, std::string>, std::string> all;
    for (const std::string dist : {"skaro", "gallifrey"}) {
      for (const auto& [slot, id] : slots("dev", dist)) {
        all[{dist, slot}] = id;
      }
    }
    snap.push_back(all);
    expect_healthy("generation " + std::to_string(generation));
  };
  repo::IncludeOptions downgrade;
  downgrade.allow_downgrade = true;
  take(put("dev/skaro", {a1, b1}, false).generation);        // 1
  take(put("dev/skaro", {a2}, false).generation);            // 2: upgrade
  take(remove("dev/skaro", {"bb"}, false).generation);       // 3
  take(put("dev/skaro", {b1, c1}, false).generation);        // 4: b back, same record
  take(put("dev/gallifrey", {d3, a1}, false).generation);    // 5: the other dist
  take(put("dev/skaro", {a0}, false, downgrade).generation); // 6: downgrade (tilde)
  take(remove("dev/gallifrey", {"dd"}, false).generation);   // 7
  take(put("dev/skaro", {a2, d3}, false).generation);        // 8
  ASSERT_EQ(state_of("dev").current, 8u);
  ASSERT_EQ(state_of("dev").oldest_kept, 0u); // nothing published: nothing dropped

  auto brute = [&](std::uint64_t from, std::uint64_t to) {
    std::vector<stack::SlotChange> out;
    for (const std::string dist : {"skaro", "gallifrey"}) {
      SlotMap x, y;
      for (const auto& [key, id] : snap[from]) {
        if (key.first == dist) {
          x[key.second] = id;
        }
      }
      for (const auto& [key, id] : snap[to]) {
        if (key.first == dist) {
          y[key.second] = id;
        }
      }
      for (auto& c : diff_maps(dist, x, y)) {
        out.push_back(c);
      }
    }
    return show(out);
  };
  for (std::uint64_t from = 0; from < snap.size(); ++from) {
    for (std::uint64_t to = 0; to < snap.size(); ++to) {
      EXPECT_EQ(show(gen_delta("dev", from, to)), brute(from, to))
          << "delta(" << from << ", " << to << ")";
    }
  }
  // b left in 3 and came back with the same record in 4: no net change.
  for (const auto& c : gen_delta("dev", 2, 4)) {
    EXPECT_NE(slot_name(c.slot), "bb");
  }
  EXPECT_TRUE(gen_delta("dev", 5, 5).empty());
  // From the empty farm everything is an addition, and back a removal.
  for (const auto& c : gen_delta("dev", 0, 8)) {
    EXPECT_TRUE(c.old_id.empty());
  }
  for (const auto& c : gen_delta("dev", 8, 0)) {
    EXPECT_TRUE(c.new_id.empty());
  }
}

TEST_F(Delta, ErrorNamesADroppedGenerationOrOneBeyondTheNewest)
{
  std::vector<fs::path> debs;
  for (int i = 0; i < 7; ++i) {
    debs.push_back(build1({"aa", std::to_string(i + 1) + ".0"}));
  }
  for (const auto& deb : debs) {
    put("dev/skaro", {deb}); // published each time: old generations are dropped
  }
  const auto state = state_of("dev");
  ASSERT_EQ(state.current, 7u);
  ASSERT_GT(state.oldest_kept, 1u) << "retention (Keep-Generations 3) dropped nothing";
  const auto dropped = state.oldest_kept - 1;

  auto message = error_of([&] { gen_delta("dev", dropped, state.current); });
  EXPECT_NE(message.find("generation " + std::to_string(dropped) + " was dropped"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("dev"), std::string::npos) << message;
  message = error_of([&] { gen_delta("dev", state.current, dropped); });
  EXPECT_NE(message.find("generation " + std::to_string(dropped) + " was dropped"),
            std::string::npos)
      << message;
  message = error_of([&] { gen_delta("dev", 0, state.oldest_kept); });
  EXPECT_NE(message.find("generation 0 was dropped"), std::string::npos) << message;

  message = error_of([&] { gen_delta("dev", state.oldest_kept, state.current + 1); });
  EXPECT_NE(message.find("no generation " + std::to_string(state.current + 1)), std::string::npos)
      << message;
  EXPECT_NE(message.find("newest: " + std::to_string(state.current)), std::string::npos) << message;
  message = error_of([&] { gen_delta("dev", state.current + 5, state.current); });
  EXPECT_NE(message.find("no generation " + std::to_string(state.current + 5)), std::string::npos)
      << message;

  // The oldest kept one is still usable, both ways.
  EXPECT_EQ(gen_delta("dev", state.oldest_kept, state.current).size(), 1u);
  EXPECT_EQ(gen_delta("dev", state.current, state.oldest_kept).size(), 1u);
  // A farm that never changed has only generation 0.
  EXPECT_TRUE(gen_delta("prod", 0, 0).empty());
  message = error_of([&] { gen_delta("prod", 0, 1); });
  EXPECT_NE(message.find("prod has no generation 1"), std::string::npos) << message;
  expect_healthy("retention");
}

TEST_F(Delta, FarmDeltaMakesTheParentEqualToTheChild)
{
  // Binary, "all", contrib and source slots on both sides; some equal,
  // some only in one farm, some with other versions.
  const auto debs = build({{"same", "1.0"},
                           {"newer", "1.0"},
                           {"newer", "2.0"},
                           {"only-child", "1.0", "all"},
                           {"only-parent", "1.0"},
                           {"contribpkg", "1.0"},
                           {"older", "1:1.0"},
                           {"older", "1.5"}});
  const auto src = build_source(work() / "src", "hello", "1.0", "1");
  put("dev/skaro", {debs[0], debs[2], debs[3], debs[7], src});
  repo::IncludeOptions contrib;
  contrib.component = "contrib";
  put("dev/skaro", {debs[5]}, true, contrib);
  put("prod/skaro", {debs[0], debs[1], debs[4], debs[6]});

  const auto child = slots("dev");
  const auto parent = slots("prod");
  const auto delta = farm_changes("dev", "prod");
  EXPECT_EQ(show(delta), show(diff_maps("skaro", parent, child)));
  // newer (upgrade), older (downgrade), only-child, contribpkg, hello
  // source, only-parent (removal).
  EXPECT_EQ(delta.size(), 6u);
  // Ordered by slot key, as one walk over both ranges makes it.
  EXPECT_TRUE(std::is_sorted(delta.begin(), delta.end(),
                             [](const auto& x, const auto& y) { return x.slot < y.slot; }));

  // The other way round: the same slots, old and new swapped.
  auto swapped = delta;
  for (auto& c : swapped) {
    std::swap(c.old_id, c.new_id);
  }
  EXPECT_EQ(show(farm_changes("prod", "dev")), show(swapped));

  ASSERT_NE(apply("prod", delta), 0u);
  EXPECT_EQ(slots("prod"), child);
  EXPECT_TRUE(farm_changes("dev", "prod").empty());
  EXPECT_EQ(listing("prod/skaro"), listing("dev/skaro"));
  expect_healthy("apply");

  EXPECT_TRUE(farm_changes("prod", "dev").empty());
  // A distribution neither farm holds anything in: nothing.
  EXPECT_TRUE(farm_changes("dev", "prod", "nosuchdist").empty());
  // Against an empty parent: everything added; the other way, removed.
  remove("prod/skaro", {"same", "newer", "only-child", "older", "contribpkg", "hello"});
  EXPECT_TRUE(slots("prod").empty());
  const auto fill = farm_changes("dev", "prod");
  EXPECT_EQ(fill.size(), child.size());
  for (const auto& c : fill) {
    EXPECT_TRUE(c.old_id.empty());
  }
  const auto drain = farm_changes("prod", "dev");
  EXPECT_EQ(drain.size(), child.size());
  for (const auto& c : drain) {
    EXPECT_TRUE(c.new_id.empty());
  }
  apply("prod", fill);
  EXPECT_EQ(slots("prod"), child);
  expect_healthy("refill");
}

// ---------------------------------------------------------------------------
// A random walk: includes of new (and older) versions into both farms,
// removals, and promotes (plain, --merge, --only) from dev into prod.

struct Pkg {
  std::string name;
  std::string arch;
  std::string source;
  std::string component;
};

const std::vector<Pkg> kPackages = {
    {"alpha", "amd64", "alpha", "main"}, {"alpha-doc", "all", "alpha", "main"},
    {"beta", "amd64", "beta", "main"},   {"gamma", "amd64", "beta", "main"},
    {"delta", "all", "delta", "main"},   {"eps", "amd64", "eps", "contrib"},
};
// Ascending in Debian version order.
const std::vector<std::string> kVersions = {"0.9", "1.0~rc1", "1.0", "1.0-1", "1.0-1+b1", "1:0.1"};
const std::vector<std::string> kOnly = {"^alpha", "beta", "doc$", "^delta$", "^(eps|gamma)$"};

// name -> version index
using Model = std::map<std::string, int>;

class RandomDelta : public StackTest, public ::testing::WithParamInterface<unsigned> {
protected:
  DebSpec spec(const Pkg& p, int version) const
  {
    const std::string extra = p.source != p.name ? "Source: " + p.source + "\n" : "";
    return {p.name, kVersions[version], p.arch, extra, ""};
  }

  // The model, from the slot map prepo holds (read through the records).
  Model model_of(const SlotMap& map)
  {
    Model out;
    for (const auto& [slot, id] : map) {
      auto record = record_of(id);
      EXPECT_TRUE(record) << id;
      auto at = std::find(kVersions.begin(), kVersions.end(), record->version);
      EXPECT_NE(at, kVersions.end()) << record->version;
      out[record->name] = static_cast<int>(at - kVersions.begin());
      EXPECT_EQ(repo::parse_slot_key(slot).component, package(record->name).component);
    }
    return out;
  }

  static const Pkg& package(const std::string& name)
  {
    for (const auto& p : kPackages) {
      if (p.name == name) {
        return p;
      }
    }
    throw std::runtime_error("no package " + name);
  }
};

TEST_P(RandomDelta, DeltaBetweenRandomGenerationsMatchesReplay)
{
  const unsigned seed = GetParam();
  check_each_ = false; // checked below after every step, without rehashing
  std::mt19937 rng(seed);
  auto pick = [&](std::size_t n) { return static_cast<std::size_t>(rng() % n); };
  set_keep("prod", 12);
  set_keep("dev", 12);

  std::vector<DebSpec> specs;
  for (const auto& p : kPackages) {
    for (int v = 0; v < static_cast<int>(kVersions.size()); ++v) {
      specs.push_back(spec(p, v));
    }
  }
  build(specs);

  std::map<std::string, Model> model{{"dev", {}}, {"prod", {}}};
  // Per farm, per generation: the full slot map when it was made.
  std::map<std::string, std::vector<SlotMap>> snaps{{"dev", {SlotMap{}}}, {"prod", {SlotMap{}}}};

  auto after = [&](const std::string& farm, std::uint64_t generation, bool expect_change,
                   const std::string& what) {
    ASSERT_EQ(generation != 0, expect_change) << what;
    if (generation) {
      ASSERT_EQ(generation, snaps[farm].size()) << what;
      snaps[farm].push_back(slots(farm));
      ASSERT_EQ(model_of(snaps[farm].back()), model[farm]) << what;
    }
  };

  auto check_pairs = [&](const std::string& farm, int pairs) {
    const auto state = state_of(farm);
    ASSERT_EQ(state.current + 1, snaps[farm].size());
    for (int i = 0; i < pairs; ++i) {
      const auto a = pick(snaps[farm].size());
      const auto b = i == 0 ? state.current : pick(snaps[farm].size());
      if (a < state.oldest_kept || b < state.oldest_kept) {
        const auto gone = a < state.oldest_kept ? a : b;
        const auto message = error_of([&] { gen_delta(farm, a, b); });
        EXPECT_NE(message.find("generation " + std::to_string(gone) + " was dropped"),
                  std::string::npos)
            << message;
        continue;
      }
      EXPECT_EQ(show(gen_delta(farm, a, b)),
                show(diff_maps("skaro", snaps[farm][a], snaps[farm][b])))
          << farm << " delta(" << a << ", " << b << "), seed " << seed;
    }
  };

  // What the walk did, so that a seed that exercises nothing fails.
  int promotes_changed = 0, merges_changed = 0, onlys_changed = 0, downgrades = 0, removes = 0;
  const int steps = 150;
  for (int step = 0; step < steps; ++step) {
    const auto roll = pick(100);
    const std::string where = "seed " + std::to_string(seed) + " step " + std::to_string(step);
    if (roll < 55) {
      // A version (new, or an older one) into either farm.
      const std::string farm = roll < 30 ? "prod" : "dev";
      const auto& p = kPackages[pick(kPackages.size())];
      const int v = static_cast<int>(pick(kVersions.size()));
      repo::IncludeOptions options;
      options.allow_downgrade = true;
      options.component = p.component;
      auto it = model[farm].find(p.name);
      const bool changes = it == model[farm].end() || it->second != v;
      downgrades += it != model[farm].end() && v < it->second;
      model[farm][p.name] = v;
      const auto result = put(farm + "/skaro", {build1(spec(p, v))}, false, options);
      after(farm, result.generation, changes, where + " include " + p.name);
    } else if (roll < 75) {
      const std::string farm = roll < 68 ? "prod" : "dev";
      if (model[farm].empty()) {
        continue;
      }
      auto it = model[farm].begin();
      std::advance(it, pick(model[farm].size()));
      const auto name = it->first;
      model[farm].erase(it);
      ++removes;
      after(farm, remove(farm + "/skaro", {name}, false).generation, true, where + " remove");
    } else {
      stack::PromoteOptions options;
      options.publish = false;
      options.merge = pick(3) == 0;
      if (pick(3) == 0) {
        options.only = kOnly[pick(kOnly.size())];
      }
      const std::regex only(options.only.empty() ? "" : options.only);
      bool changes = false;
      std::set<std::string> names;
      for (const auto& [n, v] : model["dev"]) {
        names.insert(n);
      }
      for (const auto& [n, v] : model["prod"]) {
        names.insert(n);
      }
      for (const auto& name : names) {
        auto d = model["dev"].find(name);
        auto p = model["prod"].find(name);
        const bool in_dev = d != model["dev"].end(), in_prod = p != model["prod"].end();
        if (in_dev && in_prod && d->second == p->second) {
          continue;
        }
        const bool adds_or_upgrades = in_dev && (!in_prod || d->second > p->second);
        if (options.merge && !adds_or_upgrades) {
          continue;
        }
        if (!options.only.empty() && !std::regex_search(name, only) &&
            !std::regex_search(package(name).source, only)) {
          continue;
        }
        changes = true;
        if (in_dev) {
          model["prod"][name] = d->second;
        } else {
          model["prod"].erase(p);
        }
      }
      const auto result = promote("dev", "prod", options);
      promotes_changed += changes;
      merges_changed += changes && options.merge;
      onlys_changed += changes && !options.only.empty();
      EXPECT_EQ(result.empty(), !changes) << where;
      after("prod", result.generation, changes,
            where + " promote merge=" + std::to_string(options.merge) + " only=" + options.only);
      if (!options.merge && options.only.empty()) {
        EXPECT_EQ(slots("prod"), slots("dev")) << where;
        EXPECT_TRUE(farm_changes("dev", "prod").empty()) << where;
      }
    }
    if (HasFatalFailure()) {
      return;
    }
    if (step % 25 == 24) {
      // Publishing lets retention drop old generations.
      for (const std::string farm : {"dev", "prod"}) {
        publish_farm(farm);
      }
    }
    expect_healthy(where, false);
    if (step % 10 == 9) {
      check_pairs("prod", 12);
      check_pairs("dev", 6);
    }
  }
  check_pairs("prod", 40);
  check_pairs("dev", 20);
  // Every pair of kept generations, once.
  for (const std::string farm : {"dev", "prod"}) {
    const auto state = state_of(farm);
    for (auto a = state.oldest_kept; a <= state.current; ++a) {
      for (auto b = state.oldest_kept; b <= state.current; ++b) {
        ASSERT_EQ(show(gen_delta(farm, a, b)),
                  show(diff_maps("skaro", snaps[farm][a], snaps[farm][b])))
            << farm << " delta(" << a << ", " << b << ")";
      }
    }
  }
  EXPECT_GT(state_of("prod").oldest_kept, 0u) << "no generation was ever dropped";
  EXPECT_GE(promotes_changed, 8);
  EXPECT_GE(merges_changed, 1);
  EXPECT_GE(onlys_changed, 1);
  EXPECT_GE(downgrades, 5);
  EXPECT_GE(removes, 10);
  expect_healthy("the random walk");
}

INSTANTIATE_TEST_SUITE_P(Seeds, RandomDelta, ::testing::Values(1u, 7u, 42u, 2024u));

} // namespace
} // namespace prepo::test
