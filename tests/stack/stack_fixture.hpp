// Two stacked farms in a real root: "dev" (the child, from ArchiveTest) and
// "prod" (its parent), each with a distribution "skaro" of the same shape,
// real .debs built by dpkg-deb in parallel, and the commands of the stack
// layer run the way the CLI runs them (one session each).
#pragma once

#include <deque>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "repo/archive_fixture.hpp"
#include "repo/check.hpp"
#include "repo/farm_update.hpp"
#include "repo/packages.hpp"
#include "repo/retention.hpp"
#include "stack/delta.hpp"
#include "stack/history.hpp"
#include "stack/promote.hpp"
#include "stack/rollback.hpp"
#include "util/error.hpp"

namespace prepo::test {

// One binary package to build. `payload` changes the bytes (not the name,
// version or architecture): two specs differing only in it are a rebuild.
struct DebSpec {
  DebSpec(std::string name_, std::string version_, std::string arch_ = "amd64",
          std::string extra_fields_ = "", std::string payload_ = "")
      : name(std::move(name_)), version(std::move(version_)), arch(std::move(arch_)),
        extra_fields(std::move(extra_fields_)), payload(std::move(payload_))
  {
  }
  std::string name;
  std::string version;
  std::string arch;
  std::string extra_fields; // "Source: x\n" and the like
  std::string payload;
};

using SlotMap = std::map<std::string, std::string>; // slot key -> record id

inline std::string joined_lines(const std::vector<std::string>& lines)
{
  std::string out;
  for (const auto& line : lines) {
    out += line + "\n";
  }
  return out;
}

// The message of the util::Error `fn` throws, or "" (a test failure) if it
// throws nothing.
template <class Fn> std::string error_of(Fn&& fn)
{
  try {
    fn();
  } catch (const util::Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected a prepo::util::Error";
  return "";
}

inline std::string slot_name(const std::string& key)
{
  return repo::parse_slot_key(key).name;
}

class StackTest : public ArchiveTest {
protected:
  void SetUp() override
  {
    ArchiveTest::SetUp();
    if (IsSkipped()) {
      return;
    }
    configure([](repo::Config& config) {
      repo::Farm prod;
      prod.name = "prod";
      prod.keep_generations = 3;
      prod.children = {"dev"};
      config.add_farm(prod);
      config.add_distribution(make_dist("prod", "skaro"));
    });
  }

  static repo::Distribution make_dist(const std::string& farm, const std::string& codename,
                                      std::vector<std::string> components = {"main", "contrib"},
                                      std::vector<std::string> architectures = {"amd64", "all"})
  {
    repo::Distribution dist;
    dist.farm = farm;
    dist.codename = codename;
    dist.origin = "Test";
    dist.label = "Test";
    dist.suite = "unstable";
    dist.components = std::move(components);
    dist.architectures = std::move(architectures);
    dist.has_source = true;
    return dist;
  }

  void set_keep(const std::string& farm, unsigned keep)
  {
    // Keep-Generations is not editable in place: rewrite conf/farms whole.
    auto config = repo::Config::load(root());
    std::string text;
    for (auto f : config.farms()) {
      if (f.name == farm) {
        f.keep_generations = keep;
      }
      text += (text.empty() ? "" : "\n") + f.to_text();
    }
    write_text(root().farms_file(), text);
  }

  // Builds every spec not built yet (dpkg-deb, 8 at a time); returns the
  // .deb of each, in order. The same spec always gives the same file.
  std::vector<fs::path> build(const std::vector<DebSpec>& specs)
  {
    std::vector<fs::path> out;
    std::string list;
    for (const auto& s : specs) {
      const auto key =
          s.name + "|" + s.version + "|" + s.arch + "|" + s.extra_fields + "|" + s.payload;
      auto it = built_.find(key);
      if (it == built_.end()) {
        const auto dir = work() / "b" / std::to_string(built_.size());
        const auto tree = dir / "tree";
        write_text(tree / "DEBIAN" / "control",
                   "Package: " + s.name + "\nVersion: " + s.version + "\nArchitecture: " + s.arch +
                       "\nMaintainer: Jane Doe <jane@example.com>\nSection: devel\n"
                       "Priority: optional\n" +
                       s.extra_fields + "Description: test package " + s.name +
                       "\n A test package.\n");
        write_text(tree / "usr" / "share" / "doc" / s.name / "README",
                   s.name + " " + s.version + " " + s.payload + "\n");
        const auto deb = dir / (s.name + "_" + s.version + "_" + s.arch + ".deb");
        list += tree.string() + "\n" + deb.string() + "\n";
        it = built_.emplace(key, deb).first;
      }
      out.push_back(it->second);
    }
    if (!list.empty()) {
      const auto list_file = work() / "b" / "list";
      write_text(list_file, list);
      run_or_throw("xargs -d '\\n' -n 2 -P 8 sh -c 'dpkg-deb --root-owner-group -Zgzip --build "
                   "\"$0\" \"$1\" >/dev/null 2>&1' < " +
                   shell_quote(list_file.string()));
    }
    for (const auto& p : out) {
      if (!fs::exists(p)) {
        throw std::runtime_error("dpkg-deb did not build " + p.string());
      }
    }
    return out;
  }
  fs::path build1(const DebSpec& spec) { return build({spec}).front(); }

  // Every command below runs prepo check once it succeeded (a refused
  // command is compared with what was there before, by the test).
  bool check_each_ = true;
  void after(const std::string& what)
  {
    if (check_each_) {
      expect_healthy(what);
    }
  }

  repo::IncludeResult put(const std::string& dist, const std::vector<fs::path>& debs,
                          bool publish = true, repo::IncludeOptions options = {})
  {
    options.publish = publish;
    auto result = include(debs, options, dist);
    after("include into " + dist);
    return result;
  }

  repo::RemoveResult remove(const std::string& dist, const std::vector<std::string>& names,
                            bool publish = true)
  {
    repo::RemoveResult result;
    {
      auto session = open_session();
      repo::RemoveOptions options;
      options.publish = publish;
      options.command = "test remove";
      result = repo::remove_packages(*session, dist, names, options);
    }
    after("remove from " + dist);
    return result;
  }

  void publish_farm(const std::string& farm)
  {
    {
      auto session = open_session();
      repo::publish_farm(*session, farm, {});
    }
    after("publish " + farm);
  }

  stack::PromoteResult promote(const std::string& child, const std::string& parent,
                               stack::PromoteOptions options = {})
  {
    stack::PromoteResult result;
    {
      auto session = open_session();
      if (options.command.empty()) {
        options.command = "test promote " + child + " " + parent;
      }
      result = stack::promote(*session, child, parent, options);
    }
    after("promote " + child + " " + parent);
    return result;
  }

  stack::PromotePlan plan(const std::string& child, const std::string& parent,
                          const stack::PromoteOptions& options = {})
  {
    repo::Reader reader(root());
    repo::DbTxn txn(reader.db, util::lmdb::Txn::Mode::read);
    return stack::plan_promote(reader.config, txn, child, parent, options);
  }

  stack::RollbackResult rollback(const std::string& farm, stack::RollbackOptions options = {})
  {
    stack::RollbackResult result;
    {
      auto session = open_session();
      if (options.command.empty()) {
        options.command = "test rollback " + farm;
      }
      result = stack::rollback(*session, farm, options);
    }
    after("rollback " + farm);
    return result;
  }

  stack::GcResult gc(const std::vector<std::string>& farms,
                     std::optional<std::uint64_t> keep = std::nullopt)
  {
    stack::GcResult result;
    {
      auto session = open_session();
      result = stack::collect_garbage(*session, farms, keep);
    }
    after("gc");
    return result;
  }

  std::vector<stack::GenerationSummary> generations(const std::string& farm)
  {
    repo::Reader reader(root());
    return stack::list_generations(reader, farm);
  }

  std::vector<stack::SlotChange> gen_delta(const std::string& farm, std::uint64_t from,
                                           std::uint64_t to)
  {
    repo::Reader reader(root());
    repo::DbTxn txn(reader.db, util::lmdb::Txn::Mode::read);
    return stack::generation_delta(txn, farm, from, to);
  }

  std::vector<stack::SlotChange> farm_changes(const std::string& child, const std::string& parent,
                                              const std::string& dist = "skaro")
  {
    repo::Reader reader(root());
    repo::DbTxn txn(reader.db, util::lmdb::Txn::Mode::read);
    return stack::farm_delta(txn, child, parent, dist);
  }

  repo::FarmState state_of(const std::string& farm)
  {
    repo::Reader reader(root());
    repo::DbTxn txn(reader.db, util::lmdb::Txn::Mode::read);
    return txn.farm_state(farm);
  }

  std::optional<repo::Generation> generation_of(const std::string& farm, std::uint64_t number)
  {
    repo::Reader reader(root());
    repo::DbTxn txn(reader.db, util::lmdb::Txn::Mode::read);
    return txn.generation(farm, number);
  }

  std::optional<repo::Record> record_of(const std::string& id)
  {
    repo::Reader reader(root());
    repo::DbTxn txn(reader.db, util::lmdb::Txn::Mode::read);
    return txn.record(id);
  }

  SlotMap slots(const std::string& farm, const std::string& dist = "skaro")
  {
    repo::Reader reader(root());
    repo::DbTxn txn(reader.db, util::lmdb::Txn::Mode::read);
    SlotMap out;
    txn.for_each_slot(farm, dist, "", [&](std::string_view key, std::string_view id) {
      out.emplace(std::string(key), std::string(id));
      return true;
    });
    return out;
  }

  // "name version arch component type" per package, as prepo list shows them.
  std::vector<std::string> listing(const std::string& dist)
  {
    repo::Reader reader(root());
    std::vector<std::string> out;
    for (const auto& p : repo::list_packages(reader, dist, "")) {
      out.push_back(p.name + " " + p.version + " " + p.architecture + " " + p.component + " " +
                    static_cast<char>(p.type));
    }
    return out;
  }

  fs::path published_dir(const std::string& farm, const std::string& dist = "skaro") const
  {
    return root().farm_dir(farm) / "dists" / dist;
  }

  // A published index, read through the dists/<dist> symlink.
  std::string index_text(const std::string& farm, const std::string& dist = "skaro",
                         const std::string& path = "main/binary-amd64/Packages")
  {
    const auto file = published_dir(farm, dist) / path;
    EXPECT_TRUE(fs::exists(file)) << file;
    return read_text(file);
  }

  // Every Packages/Sources index of a published dist (plain and
  // compressed), by path relative to the dist directory.
  std::map<std::string, std::string> indexes(const std::string& farm,
                                             const std::string& dist = "skaro")
  {
    std::map<std::string, std::string> out;
    const auto top = fs::canonical(published_dir(farm, dist));
    for (auto it = fs::recursive_directory_iterator(top); it != fs::recursive_directory_iterator();
         ++it) {
      const auto rel = fs::relative(it->path(), top).string();
      const auto name = it->path().filename().string();
      if (it->is_regular_file() && rel.find("by-hash") == std::string::npos &&
          (name.starts_with("Packages") || name.starts_with("Sources"))) {
        out.emplace(rel, read_text(it->path()));
      }
    }
    return out;
  }

  // public/ and store/ as snapshot_tree sees them (the database is compared
  // by dump(): LMDB's lock file changes under every reader).
  std::map<std::string, TreeEntry> files_snapshot()
  {
    auto out = snapshot_tree(root().public_dir());
    for (auto& [path, entry] : snapshot_tree(root().store_dir())) {
      out.emplace("store/" + path, entry);
    }
    for (auto& [path, entry] : snapshot_tree(root().conf_dir())) {
      out.emplace("conf/" + path, entry);
    }
    return out;
  }

  // The database and the files, to prove a refused command changed nothing.
  struct Frozen {
    DbDump db;
    std::map<std::string, TreeEntry> files;
  };
  Frozen freeze() { return {dump(), files_snapshot()}; }

  void expect_unchanged(const Frozen& before, const std::string& what)
  {
    const auto db = dump();
    for (const auto& [table, rows] : before.db) {
      EXPECT_TRUE(db.at(table) == rows) << what << ": table " << table << " changed";
    }
    const auto files = files_snapshot();
    std::string differences;
    std::size_t shown = 0;
    auto note = [&](const std::string& path, const std::string& how) {
      if (++shown <= 20) {
        differences += "  " + path + ": " + how + "\n";
      }
    };
    for (const auto& [path, entry] : before.files) {
      auto it = files.find(path);
      if (it == files.end()) {
        note(path, "removed");
      } else if (!(it->second == entry)) {
        note(path, "changed");
      }
    }
    for (const auto& [path, entry] : files) {
      if (!before.files.contains(path)) {
        note(path, "added");
      }
    }
    EXPECT_EQ(shown, 0u) << what << ": files changed:\n" << differences;
  }

  fs::path object_file(const std::string& sha) const
  {
    return root().store_dir() / sha.substr(0, 2) / sha;
  }

  // Makes `parent`'s `dist` what `changes` say, through FarmUpdate alone.
  std::uint64_t apply(const std::string& parent, const std::vector<stack::SlotChange>& changes)
  {
    auto session = open_session();
    std::uint64_t generation = 0;
    {
      repo::DbTxn txn(session->db(), util::lmdb::Txn::Mode::write);
      repo::FarmUpdate update(txn, session->config().farm(parent), "test apply");
      std::deque<repo::Record> records;
      for (const auto& change : changes) {
        if (change.new_id.empty()) {
          update.clear(change.dist, change.slot);
        } else {
          records.push_back(*txn.record(change.new_id));
          update.set(change.dist, change.slot, records.back(), records.back().id());
        }
      }
      generation = update.finish(true).generation;
      txn.commit();
    }
    session->run_pending_unlinks();
    if (generation) {
      repo::complete_change(*session, parent, generation, true);
    }
    session.reset();
    after("apply to " + parent);
    return generation;
  }

  std::map<std::string, fs::path> built_;
};

// a -> b as slot changes, computed by brute force from two full slot maps.
inline std::vector<stack::SlotChange> diff_maps(const std::string& dist, const SlotMap& a,
                                                const SlotMap& b)
{
  std::set<std::string> keys;
  for (const auto& [k, v] : a) {
    keys.insert(k);
  }
  for (const auto& [k, v] : b) {
    keys.insert(k);
  }
  std::vector<stack::SlotChange> out;
  for (const auto& k : keys) {
    auto ia = a.find(k);
    auto ib = b.find(k);
    const std::string va = ia == a.end() ? "" : ia->second;
    const std::string vb = ib == b.end() ? "" : ib->second;
    if (va != vb) {
      out.push_back({dist, k, va, vb});
    }
  }
  return out;
}

// Comparable and printable form of slot changes.
inline std::vector<std::string> show(std::vector<stack::SlotChange> changes)
{
  std::vector<std::string> out;
  for (const auto& c : changes) {
    auto key = repo::parse_slot_key(c.slot);
    out.push_back(c.dist + ":" + key.component + "/" + static_cast<char>(key.type) + "/" +
                  key.name + "/" + key.architecture + " " +
                  (c.old_id.empty() ? "-" : c.old_id.substr(0, 12)) + " -> " +
                  (c.new_id.empty() ? "-" : c.new_id.substr(0, 12)));
  }
  std::sort(out.begin(), out.end());
  return out;
}

} // namespace prepo::test
