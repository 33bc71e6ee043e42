// FarmUpdate against a real LMDB: generations, and the reference-count rule
// of farm_update.hpp checked against a brute-force recomputation from an
// independent model after every step.
#include "repo/farm_update.hpp"

#include <algorithm>
#include <map>
#include <optional>
#include <ostream>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "repo/database.hpp"
#include "repo/root.hpp"
#include "support/temp_dir.hpp"
#include "util/bytes.hpp"
#include "util/error.hpp"
#include "util/hash.hpp"

namespace fs = std::filesystem;
namespace util = prepo::util;
using prepo::repo::Change;
using prepo::repo::Database;
using prepo::repo::DbTxn;
using prepo::repo::Farm;
using prepo::repo::FarmState;
using prepo::repo::FarmUpdate;
using prepo::repo::Generation;
using prepo::repo::ObjectInfo;
using prepo::repo::Record;
using prepo::repo::RecordFile;
using prepo::repo::RecordType;
using prepo::repo::Root;
using prepo::repo::slot_key;
using Mode = util::lmdb::Txn::Mode;

namespace {

// ---------------------------------------------------------------------------
// Fake packages: pool paths and object hashes are functions of the package,
// so the same (name, version) always names the same bytes.

RecordFile fake_file(const std::string& path)
{
  return {path, util::sha256_hex("bytes of " + path), 1000 + path.size()};
}

std::string pool_dir(const std::string& name)
{
  return "pool/main/" + name.substr(0, 1) + "/" + name;
}

Record binary(const std::string& name, const std::string& version, const std::string& variant = "")
{
  Record r;
  r.type = RecordType::binary;
  r.name = name;
  r.version = version;
  r.architecture = "all";
  r.component = "main";
  const auto path = pool_dir(name) + "/" + name + "_" + version + "_all.deb";
  r.stanza = "Package: " + name + "\nVersion: " + version + "\nFilename: " + path + "\n";
  if (!variant.empty()) {
    r.stanza += "X-Variant: " + variant + "\n";
  }
  r.files.push_back(fake_file(path));
  return r;
}

// A source package: its .dsc and an orig tarball that the revisions of one
// upstream version share.
Record source(const std::string& name, const std::string& version, const std::string& variant = "")
{
  Record r;
  r.type = RecordType::source;
  r.name = name;
  r.version = version;
  r.architecture = "source";
  r.component = "main";
  const auto upstream = version.substr(0, version.find('-'));
  r.stanza = "Package: " + name + "\nVersion: " + version + "\n";
  if (!variant.empty()) {
    r.stanza += "X-Variant: " + variant + "\n";
  }
  r.files.push_back(fake_file(pool_dir(name) + "/" + name + "_" + version + ".dsc"));
  r.files.push_back(fake_file(pool_dir(name) + "/" + name + "_" + upstream + ".orig.tar.gz"));
  return r;
}

std::string slot_of(const Record& r)
{
  return slot_key(r.component, r.type, r.name, r.architecture);
}

std::string store_entry(const std::string& sha)
{
  return "store/" + sha.substr(0, 2) + "/" + sha;
}

std::string public_entry(const std::string& farm, const std::string& path)
{
  return "public/" + farm + "/" + path;
}

// The objects a record's files need, stored (refcount 0) as include does
// before it records the package. Returns the ones that were new.
std::vector<std::string> put_objects(DbTxn& txn, const Record& r)
{
  std::vector<std::string> fresh;
  for (const auto& f : r.files) {
    if (!txn.object(f.sha256)) {
      ObjectInfo info;
      info.sha256 = f.sha256;
      info.size = f.size;
      info.refcount = 0;
      txn.put_object(info);
      fresh.push_back(f.sha256);
    }
  }
  return fresh;
}

// What include does after finish(): objects stored for a package that a
// later one in the batch replaced have no reference and go.
void drop_unreferenced(DbTxn& txn, const std::vector<std::string>& fresh)
{
  for (const auto& sha : fresh) {
    if (auto object = txn.object(sha); object && object->refcount == 0) {
      txn.delete_object(sha);
    }
  }
}

struct Action {
  std::string dist;
  std::optional<Record> record; // set; nullopt: clear `slot`
  std::string slot;

  static Action set(std::string dist, Record r)
  {
    auto slot = slot_of(r);
    return {std::move(dist), std::move(r), std::move(slot)};
  }
  static Action clear(std::string dist, const Record& r)
  {
    return {std::move(dist), {}, slot_of(r)};
  }
};

// What the database holds, read back table by table.
struct Stored {
  std::map<std::string, std::uint64_t> records;                       // id -> refcount
  std::map<std::string, std::pair<std::string, std::uint64_t>> paths; // path -> sha, refcount
  std::map<std::string, std::uint64_t> objects;                       // sha -> refcount
  std::set<std::uint64_t> generations;
};

Stored read_stored(DbTxn& txn, const std::string& farm)
{
  Stored s;
  auto records = txn.raw().open_db("records");
  util::lmdb::for_each_prefix(txn.raw(), records, "", [&](std::string_view id, std::string_view) {
    s.records[std::string(id)] = txn.record_refcount(id);
    return true;
  });
  txn.for_each_pool_ref(farm, [&](std::string_view path, const DbTxn::PoolRef& ref) {
    s.paths[std::string(path)] = {ref.sha256, ref.refcount};
    return true;
  });
  txn.for_each_object([&](const ObjectInfo& info) {
    s.objects[info.sha256] = info.refcount;
    return true;
  });
  auto generations = txn.raw().open_db("generations");
  const std::string prefix = farm + '\0';
  util::lmdb::for_each_prefix(txn.raw(), generations, prefix,
                              [&](std::string_view key, std::string_view) {
                                s.generations.insert(util::from_be64(key.substr(prefix.size())));
                                return true;
                              });
  return s;
}

// An independent model of one farm: the slots, and the generations with
// the records their changes replaced, kept by the documented rule.
class Model {
public:
  using Key = std::pair<std::string, std::string>; // dist, slot
  struct ModelChange {
    std::optional<Record> old_record, new_record;
  };

  explicit Model(unsigned keep) : keep_(std::max(keep, 3u)) {}

  // Applies one update's actions; returns the expected result.
  FarmUpdate::Result apply(const std::vector<Action>& actions)
  {
    std::map<Key, ModelChange> changes;
    for (const auto& a : actions) {
      const Key key{a.dist, a.slot};
      auto [it, fresh] = changes.try_emplace(key);
      if (fresh) {
        if (auto s = slots_.find(key); s != slots_.end()) {
          it->second.old_record = s->second;
        }
      }
      it->second.new_record = a.record;
    }
    FarmUpdate::Result result;
    std::map<Key, ModelChange> net;
    for (auto& [key, change] : changes) {
      const auto old_id = change.old_record ? change.old_record->id() : "";
      const auto new_id = change.new_record ? change.new_record->id() : "";
      if (old_id == new_id) {
        continue;
      }
      if (!change.new_record) {
        ++result.removed;
        slots_.erase(key);
      } else {
        ++(change.old_record ? result.replaced : result.added);
        slots_[key] = *change.new_record;
      }
      net.emplace(key, change);
    }
    if (net.empty()) {
      return result;
    }
    result.generation = ++current_;
    generations_[current_] = std::move(net);
    while (current_ - oldest_ + 1 > keep_ && oldest_ < published_) {
      generations_.erase(oldest_);
      ++oldest_;
    }
    return result;
  }

  void publish() { published_ = current_; }

  std::uint64_t current() const { return current_; }
  std::uint64_t oldest() const { return oldest_; }
  std::uint64_t published() const { return published_; }
  const std::map<Key, Record>& slots() const { return slots_; }
  const std::map<std::uint64_t, std::map<Key, ModelChange>>& generations() const
  {
    return generations_;
  }

  // The reference counts, from scratch: one per slot holding a record, one
  // per kept generation (but the oldest) whose change replaced it; a pool
  // path counts the references of the records listing it; an object counts
  // the pool paths holding it.
  Stored expected(const std::string& farm) const
  {
    Stored s;
    std::map<std::string, std::pair<Record, std::uint64_t>> records;
    auto count = [&](const Record& r) {
      auto [it, fresh] = records.try_emplace(r.id(), r, 0);
      ++it->second.second;
    };
    for (const auto& [key, r] : slots_) {
      count(r);
    }
    for (const auto& [number, changes] : generations_) {
      if (number == oldest_) {
        continue;
      }
      for (const auto& [key, change] : changes) {
        if (change.old_record) {
          count(*change.old_record);
        }
      }
    }
    for (const auto& [id, entry] : records) {
      const auto& [record, n] = entry;
      s.records[id] = n;
      for (const auto& f : record.files) {
        auto& [sha, refs] = s.paths[f.pool_path];
        sha = f.sha256;
        refs += n;
      }
    }
    for (const auto& [path, entry] : s.paths) {
      s.objects[entry.first] += 1;
    }
    for (const auto& [number, changes] : generations_) {
      s.generations.insert(number);
    }
    (void)farm;
    return s;
  }

private:
  unsigned keep_;
  std::uint64_t current_ = 0, oldest_ = 0, published_ = 0;
  std::map<Key, Record> slots_;
  std::map<std::uint64_t, std::map<Key, ModelChange>> generations_;
};

class FarmUpdateTest : public prepo::test::TempDirTest {
protected:
  void SetUp() override
  {
    TempDirTest::SetUp();
    root_.emplace(Root::create(dir() / "root"));
    Database::create(*root_);
    db_.emplace(*root_, false);
    dev_.name = "dev";
    dev_.keep_generations = 3;
    stable_.name = "stable";
    stable_.keep_generations = 3;
  }
  void TearDown() override
  {
    db_.reset();
    TempDirTest::TearDown();
  }

  Database& db() { return *db_; }

  FarmUpdate::Result apply(const std::vector<Action>& actions, const Farm* farm = nullptr,
                           bool publish = false)
  {
    DbTxn txn(db(), Mode::write);
    FarmUpdate update(txn, farm ? *farm : dev_, "test");
    std::vector<std::string> fresh;
    for (const auto& a : actions) {
      if (a.record) {
        auto added = put_objects(txn, *a.record);
        fresh.insert(fresh.end(), added.begin(), added.end());
        update.set(a.dist, a.slot, *a.record, a.record->id());
      } else {
        update.clear(a.dist, a.slot);
      }
    }
    auto result = update.finish(publish);
    if (result.generation) {
      // Retention's step in the database (repo/retention.cpp runs it after
      // the publish, in a transaction of its own).
      update.drop_generations((farm ? *farm : dev_).keep_generations);
    }
    drop_unreferenced(txn, fresh);
    txn.commit();
    return result;
  }

  // What publishing does to the farm state.
  void mark_published(const std::string& farm = "dev")
  {
    DbTxn txn(db(), Mode::write);
    auto state = txn.farm_state(farm);
    state.published = state.current;
    state.ever_published = true;
    // As publish_farm records it when only the new directory is retained.
    state.oldest_shown = state.current;
    txn.put_farm_state(farm, state);
    txn.commit();
  }

  FarmState state(const std::string& farm = "dev")
  {
    DbTxn txn(db(), Mode::read);
    return txn.farm_state(farm);
  }

  std::set<std::string> pending()
  {
    DbTxn txn(db(), Mode::read);
    auto list = txn.pending_unlinks();
    return {list.begin(), list.end()};
  }

  // What Session::run_pending_unlinks does to the table.
  void clear_pending()
  {
    DbTxn txn(db(), Mode::write);
    for (const auto& p : txn.pending_unlinks()) {
      txn.clear_pending_unlink(p);
    }
    txn.commit();
  }

  Stored stored(const std::string& farm = "dev")
  {
    DbTxn txn(db(), Mode::read);
    return read_stored(txn, farm);
  }

  std::optional<std::string> slot(const std::string& dist, const Record& r,
                                  const std::string& farm = "dev")
  {
    DbTxn txn(db(), Mode::read);
    return txn.slot(farm, dist, slot_of(r));
  }

  std::uint64_t record_refs(const Record& r)
  {
    DbTxn txn(db(), Mode::read);
    return txn.record_refcount(r.id());
  }

  std::optional<DbTxn::PoolRef> pool_ref(const std::string& path, const std::string& farm = "dev")
  {
    DbTxn txn(db(), Mode::read);
    return txn.pool_ref(farm, path);
  }

  std::optional<ObjectInfo> object(const std::string& sha)
  {
    DbTxn txn(db(), Mode::read);
    return txn.object(sha);
  }

  std::optional<Generation> generation(std::uint64_t n, const std::string& farm = "dev")
  {
    DbTxn txn(db(), Mode::read);
    return txn.generation(farm, n);
  }

  // Every kept generation can be rolled back to: walking back from the
  // current slots through the kept changes, each state's records and their
  // pool files are still recorded.
  void expect_kept_generations_restorable(const std::string& farm,
                                          const std::vector<std::string>& dists)
  {
    DbTxn txn(db(), Mode::read);
    const auto st = txn.farm_state(farm);
    std::map<std::pair<std::string, std::string>, std::string> state;
    for (const auto& d : dists) {
      txn.for_each_slot(farm, d, "", [&](std::string_view key, std::string_view id) {
        state[{d, std::string(key)}] = std::string(id);
        return true;
      });
    }
    for (auto g = st.current;; --g) {
      for (const auto& [key, id] : state) {
        auto record = txn.record(id);
        ASSERT_TRUE(record) << "generation " << g << ": record " << id << " is gone";
        EXPECT_GT(txn.record_refcount(id), 0u);
        for (const auto& f : record->files) {
          auto ref = txn.pool_ref(farm, f.pool_path);
          EXPECT_TRUE(ref && ref->refcount > 0)
              << "generation " << g << " needs " << f.pool_path << " which is not counted";
        }
      }
      if (g == st.oldest_kept || g == 0) {
        break;
      }
      auto gen = txn.generation(farm, g);
      ASSERT_TRUE(gen) << "kept generation " << g << " is missing";
      EXPECT_EQ(gen->number, g);
      for (const auto& change : gen->changes) {
        const std::pair key(change.dist, change.slot);
        auto it = state.find(key);
        EXPECT_EQ(it == state.end() ? "" : it->second, change.new_id)
            << "generation " << g << " does not lead to the next state";
        if (change.old_id.empty()) {
          state.erase(key);
        } else {
          state[key] = change.old_id;
        }
      }
    }
  }

  std::optional<Root> root_;
  std::optional<Database> db_;
  Farm dev_;
  Farm stable_;
};

// ---------------------------------------------------------------------------

TEST_F(FarmUpdateTest, FirstSetMakesGenerationOneAndCountsOnce)
{
  const auto a1 = binary("alpha", "1");
  auto result = apply({Action::set("skaro", a1)}, nullptr, true);
  EXPECT_EQ(result.generation, 1u);
  EXPECT_EQ(result.added, 1u);
  EXPECT_EQ(result.replaced, 0u);
  EXPECT_EQ(result.removed, 0u);

  EXPECT_EQ(slot("skaro", a1), a1.id());
  EXPECT_EQ(record_refs(a1), 1u);
  auto ref = pool_ref(a1.files[0].pool_path);
  ASSERT_TRUE(ref);
  EXPECT_EQ(ref->sha256, a1.files[0].sha256);
  EXPECT_EQ(ref->refcount, 1u);
  EXPECT_EQ(object(a1.files[0].sha256)->refcount, 1u);

  const auto st = state();
  EXPECT_EQ(st.current, 1u);
  EXPECT_EQ(st.published, 0u);
  EXPECT_EQ(st.oldest_kept, 0u);
  EXPECT_EQ(st.publish_wanted, 1u) << "finish(true) asks for this generation to be published";

  auto gen = generation(1);
  ASSERT_TRUE(gen);
  EXPECT_EQ(gen->command, "test");
  EXPECT_GT(gen->time, 0);
  ASSERT_EQ(gen->changes.size(), 1u);
  EXPECT_EQ(gen->changes[0].dist, "skaro");
  EXPECT_EQ(gen->changes[0].slot, slot_of(a1));
  EXPECT_EQ(gen->changes[0].old_id, "");
  EXPECT_EQ(gen->changes[0].new_id, a1.id());
  EXPECT_TRUE(pending().empty());
}

TEST_F(FarmUpdateTest, FinishWithoutPublishLeavesPublishWanted)
{
  apply({Action::set("skaro", binary("alpha", "1"))}, nullptr, false);
  EXPECT_EQ(state().publish_wanted, 0u);
  apply({Action::set("skaro", binary("alpha", "2"))}, nullptr, true);
  EXPECT_EQ(state().publish_wanted, 2u);
}

TEST_F(FarmUpdateTest, ReplacingMovesTheOldReferenceToTheGeneration)
{
  const auto a1 = binary("alpha", "1");
  const auto a2 = binary("alpha", "2");
  apply({Action::set("skaro", a1)});
  auto result = apply({Action::set("skaro", a2)});
  EXPECT_EQ(result.generation, 2u);
  EXPECT_EQ(result.replaced, 1u);
  EXPECT_EQ(result.added, 0u);
  EXPECT_EQ(slot("skaro", a2), a2.id());
  EXPECT_EQ(record_refs(a2), 1u) << "the slot";
  EXPECT_EQ(record_refs(a1), 1u) << "generation 2, which replaced it";
  EXPECT_EQ(pool_ref(a1.files[0].pool_path)->refcount, 1u);
  EXPECT_EQ(pool_ref(a2.files[0].pool_path)->refcount, 1u);
  auto gen = generation(2);
  ASSERT_TRUE(gen);
  ASSERT_EQ(gen->changes.size(), 1u);
  EXPECT_EQ(gen->changes[0].old_id, a1.id());
  EXPECT_EQ(gen->changes[0].new_id, a2.id());
}

TEST_F(FarmUpdateTest, ClearingRemovesTheSlotButTheGenerationKeepsTheFiles)
{
  const auto a1 = binary("alpha", "1");
  apply({Action::set("skaro", a1)});
  auto result = apply({Action::clear("skaro", a1)});
  EXPECT_EQ(result.generation, 2u);
  EXPECT_EQ(result.removed, 1u);
  EXPECT_FALSE(slot("skaro", a1));
  EXPECT_EQ(record_refs(a1), 1u);
  EXPECT_EQ(pool_ref(a1.files[0].pool_path)->refcount, 1u);
  EXPECT_TRUE(pending().empty());
}

// An import mark keeps the distribution's slot count for a rerun to report;
// a mark written before it had one reads as "not known".
TEST_F(FarmUpdateTest, ImportMarkKeepsTheSlotCountAndReadsOldMarks)
{
  prepo::repo::ImportMark mark;
  mark.source = "http://mirror\nskaro";
  mark.release_sha256 = util::sha256_hex("Release");
  mark.generation = 7;
  mark.slots = 10000;
  {
    DbTxn txn(db(), Mode::write);
    txn.put_import_mark("dev", "skaro", mark);
    util::ByteWriter old;
    old.str(mark.source).str(mark.release_sha256).varint(mark.generation);
    txn.raw().put(txn.raw().open_db("imports"), std::string("dev\0gallifrey", 13), old.bytes());
    txn.commit();
  }
  DbTxn txn(db(), Mode::read);
  const auto now = txn.import_mark("dev", "skaro");
  ASSERT_TRUE(now);
  EXPECT_EQ(now->source, mark.source);
  EXPECT_EQ(now->release_sha256, mark.release_sha256);
  EXPECT_EQ(now->generation, 7u);
  EXPECT_EQ(now->slots, 10000u);
  const auto before = txn.import_mark("dev", "gallifrey");
  ASSERT_TRUE(before);
  EXPECT_EQ(before->generation, 7u);
  EXPECT_FALSE(before->slots);
}

TEST_F(FarmUpdateTest, NoOpSetMakesNoGeneration)
{
  const auto a1 = binary("alpha", "1");
  apply({Action::set("skaro", a1)}, nullptr, true);
  const auto before = state();
  const auto stored_before = stored();
  auto result = apply({Action::set("skaro", binary("alpha", "1"))}, nullptr, true);
  EXPECT_EQ(result.generation, 0u);
  EXPECT_EQ(result.added + result.replaced + result.removed, 0u);
  const auto after = state();
  EXPECT_EQ(after.current, before.current);
  EXPECT_EQ(after.publish_wanted, before.publish_wanted);
  EXPECT_FALSE(generation(2));
  EXPECT_EQ(stored().records, stored_before.records);
  EXPECT_EQ(stored().paths, stored_before.paths);
  EXPECT_EQ(stored().objects, stored_before.objects);
}

TEST_F(FarmUpdateTest, ClearingAnEmptySlotMakesNoGeneration)
{
  auto result = apply({Action::clear("skaro", binary("ghost", "1"))});
  EXPECT_EQ(result.generation, 0u);
  EXPECT_EQ(state().current, 0u);
}

TEST_F(FarmUpdateTest, TwoSetsOfOneSlotRecordOneNetChange)
{
  const auto a1 = binary("alpha", "1");
  const auto a2 = binary("alpha", "2");
  const auto a3 = binary("alpha", "3");
  apply({Action::set("skaro", a1)});
  auto result = apply({Action::set("skaro", a2), Action::set("skaro", a3)});
  EXPECT_EQ(result.generation, 2u);
  EXPECT_EQ(result.replaced, 1u);
  EXPECT_EQ(result.added, 0u);
  auto gen = generation(2);
  ASSERT_TRUE(gen);
  ASSERT_EQ(gen->changes.size(), 1u);
  EXPECT_EQ(gen->changes[0].old_id, a1.id());
  EXPECT_EQ(gen->changes[0].new_id, a3.id());
  EXPECT_EQ(slot("skaro", a3), a3.id());
  // The intermediate record was never recorded, nor its file counted.
  EXPECT_EQ(record_refs(a2), 0u);
  EXPECT_FALSE(pool_ref(a2.files[0].pool_path));
  EXPECT_FALSE(object(a2.files[0].sha256));
  EXPECT_EQ(record_refs(a1), 1u);
  EXPECT_EQ(record_refs(a3), 1u);
}

TEST_F(FarmUpdateTest, SetBackToTheOldRecordInOneUpdateIsNoChange)
{
  const auto a1 = binary("alpha", "1");
  apply({Action::set("skaro", a1)});
  auto result = apply({Action::set("skaro", binary("alpha", "2")), Action::set("skaro", a1)});
  EXPECT_EQ(result.generation, 0u);
  EXPECT_EQ(state().current, 1u);
  EXPECT_EQ(record_refs(a1), 1u);

  result = apply(
      {Action::set("skaro", binary("beta", "1")), Action::clear("skaro", binary("beta", "1"))});
  EXPECT_EQ(result.generation, 0u);
  EXPECT_FALSE(slot("skaro", binary("beta", "1")));
}

TEST_F(FarmUpdateTest, CurrentAndPoolObjectSeeTheUpdatesOwnChanges)
{
  const auto a1 = binary("alpha", "1");
  const auto a2 = binary("alpha", "2");
  apply({Action::set("skaro", a1)});
  DbTxn txn(db(), Mode::write);
  FarmUpdate update(txn, dev_, "test");
  EXPECT_TRUE(update.empty());
  EXPECT_EQ(update.current("skaro", slot_of(a1)), a1.id());
  EXPECT_FALSE(update.current("tardis", slot_of(a1)));
  EXPECT_EQ(update.pool_object(a1.files[0].pool_path), a1.files[0].sha256);
  EXPECT_FALSE(update.pool_object(a2.files[0].pool_path));

  put_objects(txn, a2);
  update.set("skaro", slot_of(a2), a2, a2.id());
  EXPECT_FALSE(update.empty());
  EXPECT_EQ(update.current("skaro", slot_of(a2)), a2.id());
  EXPECT_EQ(update.pool_object(a2.files[0].pool_path), a2.files[0].sha256);
  update.clear("skaro", slot_of(a2));
  EXPECT_FALSE(update.current("skaro", slot_of(a2)));
  EXPECT_FALSE(update.empty());
  update.set("skaro", slot_of(a1), a1, a1.id());
  EXPECT_TRUE(update.empty()) << "back where it started";
}

TEST_F(FarmUpdateTest, OneRecordInTwoDistributionsCountsTwice)
{
  const auto a1 = binary("alpha", "1");
  auto result = apply({Action::set("skaro", a1), Action::set("tardis", a1)});
  EXPECT_EQ(result.added, 2u);
  EXPECT_EQ(record_refs(a1), 2u);
  EXPECT_EQ(pool_ref(a1.files[0].pool_path)->refcount, 2u);
  EXPECT_EQ(object(a1.files[0].sha256)->refcount, 1u) << "one pool path holds it";
}

TEST_F(FarmUpdateTest, SharedOrigTarballIsCountedByEveryRevision)
{
  const auto s1 = source("gamma", "1.0-1");
  const auto s2 = source("gamma", "1.0-2");
  ASSERT_EQ(s1.files[1].pool_path, s2.files[1].pool_path);
  apply({Action::set("skaro", s1)});
  apply({Action::set("skaro", s2)});
  const auto orig = s1.files[1].pool_path;
  EXPECT_EQ(pool_ref(orig)->refcount, 2u) << "slot (1.0-2) and generation 2 (1.0-1)";
  EXPECT_EQ(pool_ref(s1.files[0].pool_path)->refcount, 1u);
  EXPECT_EQ(pool_ref(s2.files[0].pool_path)->refcount, 1u);
}

TEST_F(FarmUpdateTest, NothingIsDroppedBeforeTheFirstPublish)
{
  for (int v = 1; v <= 8; ++v) {
    apply({Action::set("skaro", binary("alpha", std::to_string(v)))});
  }
  const auto st = state();
  EXPECT_EQ(st.current, 8u);
  EXPECT_EQ(st.oldest_kept, 0u) << "unpublished generations are never dropped";
  for (int v = 1; v <= 8; ++v) {
    EXPECT_TRUE(generation(v)) << v;
    EXPECT_EQ(record_refs(binary("alpha", std::to_string(v))), 1u) << v;
  }
  EXPECT_TRUE(pending().empty());
}

TEST_F(FarmUpdateTest, DroppingPastRetentionUnlinksWhatNoKeptGenerationNeeds)
{
  const auto a1 = binary("alpha", "1");
  const auto a2 = binary("alpha", "2");
  const auto a3 = binary("alpha", "3");
  const auto b1 = binary("beta", "1");
  apply({Action::set("skaro", a1)}); // 1
  apply({Action::set("skaro", a2)}); // 2: replaced a1
  apply({Action::set("skaro", a3)}); // 3: replaced a2
  mark_published();                  // the public tree shows generation 3
  apply({Action::set("skaro", b1)}); // 4: keep 3 drops generations 0 and 1

  const auto st = state();
  EXPECT_EQ(st.current, 4u);
  EXPECT_EQ(st.oldest_kept, 2u);
  EXPECT_FALSE(generation(1));
  EXPECT_TRUE(generation(2));
  // Generation 2 is the oldest kept: what it replaced (a1) is no longer
  // needed; a2 is still needed to roll back to generation 2.
  EXPECT_EQ(record_refs(a1), 0u);
  EXPECT_FALSE(pool_ref(a1.files[0].pool_path));
  EXPECT_FALSE(object(a1.files[0].sha256));
  EXPECT_EQ(record_refs(a2), 1u);
  EXPECT_EQ(record_refs(a3), 1u);
  EXPECT_EQ(pending(), (std::set<std::string>{public_entry("dev", a1.files[0].pool_path),
                                              store_entry(a1.files[0].sha256)}));
  expect_kept_generations_restorable("dev", {"skaro"});
}

TEST_F(FarmUpdateTest, ThePublishedGenerationIsNeverDropped)
{
  apply({Action::set("skaro", binary("alpha", "1"))}); // 1
  apply({Action::set("skaro", binary("alpha", "2"))}); // 2
  mark_published();
  for (int v = 3; v <= 9; ++v) {
    apply({Action::set("skaro", binary("alpha", std::to_string(v)))});
  }
  auto st = state();
  EXPECT_EQ(st.current, 9u);
  EXPECT_EQ(st.oldest_kept, 2u) << "generation 2 is what clients see";
  // alpha 2 is in the published tree: its file must stay.
  EXPECT_TRUE(pool_ref(binary("alpha", "2").files[0].pool_path));
  expect_kept_generations_restorable("dev", {"skaro"});

  mark_published();
  apply({Action::set("skaro", binary("alpha", "10"))});
  st = state();
  EXPECT_EQ(st.oldest_kept, 8u);
  EXPECT_EQ(st.current - st.oldest_kept + 1, 3u);
  for (int v = 1; v <= 7; ++v) {
    EXPECT_FALSE(pool_ref(binary("alpha", std::to_string(v)).files[0].pool_path)) << v;
  }
  for (int v = 8; v <= 10; ++v) {
    EXPECT_TRUE(pool_ref(binary("alpha", std::to_string(v)).files[0].pool_path)) << v;
  }
  expect_kept_generations_restorable("dev", {"skaro"});
}

TEST_F(FarmUpdateTest, RetentionIsNeverBelowThree)
{
  Farm tiny;
  tiny.name = "dev";
  tiny.keep_generations = 1;
  for (int v = 1; v <= 6; ++v) {
    apply({Action::set("skaro", binary("alpha", std::to_string(v)))}, &tiny);
    mark_published();
  }
  const auto st = state();
  EXPECT_EQ(st.current - st.oldest_kept + 1, 3u);
  expect_kept_generations_restorable("dev", {"skaro"});
}

TEST_F(FarmUpdateTest, ReplacePoolObjectMovesThePathToOtherBytes)
{
  const auto a1 = binary("alpha", "1");
  apply({Action::set("skaro", a1)});
  const auto path = a1.files[0].pool_path;
  const auto old_sha = a1.files[0].sha256;
  // The rebuilt package: same name, version and pool path, other bytes.
  Record rebuilt = a1;
  rebuilt.files[0].sha256 = util::sha256_hex("rebuilt bytes");
  rebuilt.stanza += "SHA256: " + rebuilt.files[0].sha256 + "\n";
  const auto new_sha = rebuilt.files[0].sha256;

  {
    DbTxn txn(db(), Mode::write);
    FarmUpdate update(txn, dev_, "include --replace");
    auto fresh = put_objects(txn, rebuilt);
    ASSERT_EQ(fresh.size(), 1u);
    update.replace_pool_object(path, new_sha);
    EXPECT_EQ(update.pool_object(path), new_sha);
    update.set("skaro", slot_of(rebuilt), rebuilt, rebuilt.id());
    auto result = update.finish(false);
    EXPECT_EQ(result.generation, 2u);
    EXPECT_EQ(result.replaced, 1u);
    drop_unreferenced(txn, fresh);
    txn.commit();
  }
  auto ref = pool_ref(path);
  ASSERT_TRUE(ref);
  EXPECT_EQ(ref->sha256, new_sha);
  EXPECT_EQ(ref->refcount, 2u) << "the slot (rebuilt) and generation 2 (the original record)";
  EXPECT_EQ(object(new_sha)->refcount, 1u);
  EXPECT_FALSE(object(old_sha)) << "no pool path holds the old bytes any more";
  EXPECT_EQ(pending(), (std::set<std::string>{store_entry(old_sha)}));
  EXPECT_EQ(record_refs(a1), 1u) << "generation 2 keeps its record";
  EXPECT_EQ(record_refs(rebuilt), 1u);
  clear_pending();

  // Later generations drop the original record; the path stays for the slot.
  mark_published();
  apply({Action::set("skaro", binary("beta", "1"))});
  apply({Action::set("skaro", binary("beta", "2"))});
  EXPECT_EQ(record_refs(a1), 0u);
  ref = pool_ref(path);
  ASSERT_TRUE(ref);
  EXPECT_EQ(ref->refcount, 1u);
  EXPECT_EQ(ref->sha256, new_sha);
  EXPECT_EQ(object(new_sha)->refcount, 1u);
  EXPECT_EQ(pending().count(public_entry("dev", path)), 0u);
  EXPECT_EQ(pending().count(store_entry(new_sha)), 0u);
  clear_pending();

  // Removing the package and dropping its generations frees the new bytes.
  apply({Action::clear("skaro", rebuilt)});
  mark_published();
  for (int v = 3; v <= 6; ++v) {
    apply({Action::set("skaro", binary("beta", std::to_string(v)))});
    mark_published();
  }
  EXPECT_FALSE(pool_ref(path));
  EXPECT_FALSE(object(new_sha));
  const auto p = pending();
  EXPECT_EQ(p.count(public_entry("dev", path)), 1u);
  EXPECT_EQ(p.count(store_entry(new_sha)), 1u);
}

TEST_F(FarmUpdateTest, ReplacePoolObjectOfAFreeOrSamePathDoesNothing)
{
  const auto a1 = binary("alpha", "1");
  apply({Action::set("skaro", a1)});
  DbTxn txn(db(), Mode::write);
  FarmUpdate update(txn, dev_, "test");
  update.replace_pool_object("pool/main/n/nothing/nothing_1_all.deb", std::string(64, 'e'));
  EXPECT_FALSE(txn.pool_ref("dev", "pool/main/n/nothing/nothing_1_all.deb"));
  update.replace_pool_object(a1.files[0].pool_path, a1.files[0].sha256);
  EXPECT_EQ(txn.object(a1.files[0].sha256)->refcount, 1u);
  EXPECT_EQ(txn.pool_ref("dev", a1.files[0].pool_path)->refcount, 1u);
  EXPECT_TRUE(txn.pending_unlinks().empty());
}

TEST_F(FarmUpdateTest, ReplacePoolObjectWithAnUnknownObjectThrows)
{
  const auto a1 = binary("alpha", "1");
  apply({Action::set("skaro", a1)});
  DbTxn txn(db(), Mode::write);
  FarmUpdate update(txn, dev_, "test");
  EXPECT_THROW(update.replace_pool_object(a1.files[0].pool_path, std::string(64, 'e')),
               util::Error);
}

TEST_F(FarmUpdateTest, AMissingObjectIsAnError)
{
  const auto a1 = binary("alpha", "1");
  DbTxn txn(db(), Mode::write);
  FarmUpdate update(txn, dev_, "test");
  update.set("skaro", slot_of(a1), a1, a1.id()); // objects never stored
  try {
    update.finish(false);
    FAIL() << "finish accepted a record whose object is not stored";
  } catch (const util::Error& e) {
    EXPECT_NE(std::string(e.what()).find(a1.files[0].sha256), std::string::npos) << e.what();
  }
}

TEST_F(FarmUpdateTest, OtherBytesUnderAHeldPathAreRefused)
{
  const auto a1 = binary("alpha", "1");
  apply({Action::set("skaro", a1)});
  Record other = a1;
  other.files[0].sha256 = util::sha256_hex("other bytes");
  other.stanza += "X: y\n";
  DbTxn txn(db(), Mode::write);
  FarmUpdate update(txn, dev_, "test");
  put_objects(txn, other);
  update.set("tardis", slot_of(other), other, other.id());
  EXPECT_THROW(update.finish(false), util::Error);
}

TEST_F(FarmUpdateTest, FarmsShareObjectsButNotPoolPaths)
{
  const auto a1 = binary("alpha", "1");
  apply({Action::set("skaro", a1)}, &dev_);
  apply({Action::set("skaro", a1)}, &stable_);
  EXPECT_EQ(record_refs(a1), 2u) << "one record, held by a slot in each farm";
  EXPECT_EQ(pool_ref(a1.files[0].pool_path, "dev")->refcount, 1u);
  EXPECT_EQ(pool_ref(a1.files[0].pool_path, "stable")->refcount, 1u);
  EXPECT_EQ(object(a1.files[0].sha256)->refcount, 2u) << "a pool path in each farm";

  // dev drops alpha for good: its pool file goes, the stored bytes stay.
  apply({Action::clear("skaro", a1)}, &dev_);
  mark_published("dev");
  for (int v = 1; v <= 3; ++v) {
    apply({Action::set("skaro", binary("beta", std::to_string(v)))}, &dev_);
  }
  EXPECT_FALSE(pool_ref(a1.files[0].pool_path, "dev"));
  EXPECT_EQ(pool_ref(a1.files[0].pool_path, "stable")->refcount, 1u);
  EXPECT_EQ(object(a1.files[0].sha256)->refcount, 1u);
  EXPECT_EQ(record_refs(a1), 1u);
  const auto p = pending();
  EXPECT_EQ(p.count(public_entry("dev", a1.files[0].pool_path)), 1u);
  EXPECT_EQ(p.count(store_entry(a1.files[0].sha256)), 0u);
  EXPECT_EQ(state("stable").current, 1u) << "farms have their own generations";
}

// ---------------------------------------------------------------------------
// The randomized check: many updates over few packages, so that versions
// come back, records are shared between distributions and generations, and
// retention drops generations at random publish points. After every step
// the database must equal a from-scratch recomputation.

struct RandomParam {
  unsigned seed;
  unsigned keep;
  int steps;
};

void PrintTo(const RandomParam& p, std::ostream* os)
{
  *os << "seed " << p.seed << ", keep " << p.keep << ", " << p.steps << " steps";
}

class FarmUpdateRandom : public FarmUpdateTest,
                         public ::testing::WithParamInterface<RandomParam> {};

TEST_P(FarmUpdateRandom, ReferenceCountsEqualABruteForceRecount)
{
  const auto param = GetParam();
  Farm farm;
  farm.name = "dev";
  farm.keep_generations = param.keep;
  Model model(param.keep);
  std::mt19937 rng(param.seed);
  auto pick = [&rng](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  const std::vector<std::string> dists = {"skaro", "tardis"};
  const std::vector<std::string> versions = {"1.0-1", "1.0-2", "2.0-1"};

  auto make = [&](int name_index, int version_index, int variant) {
    const auto name = "pkg" + std::to_string(name_index);
    const auto variant_text = variant ? std::to_string(variant) : std::string();
    return name_index % 4 == 0 ? source(name, versions[version_index], variant_text)
                               : binary(name, versions[version_index], variant_text);
  };

  std::size_t generations_made = 0, drops_seen = 0, unlinks_seen = 0;
  for (int step = 0; step < param.steps; ++step) {
    SCOPED_TRACE("seed " + std::to_string(param.seed) + " step " + std::to_string(step));
    std::vector<Action> actions;
    const int count = 1 + pick(3);
    for (int i = 0; i < count; ++i) {
      const auto& dist = dists[pick(2)];
      const auto r = make(pick(20), pick(3), pick(8) == 0 ? 1 + pick(2) : 0);
      if (pick(4) == 0) {
        actions.push_back(Action::clear(dist, r));
      } else {
        actions.push_back(Action::set(dist, r));
      }
      if (pick(10) == 0) { // the same slot again in the same update
        actions.push_back(Action::set(dist, make(std::stoi(r.name.substr(3)), pick(3), 0)));
      }
    }

    const auto before = stored();
    const auto oldest_before = model.oldest();
    const auto expected_result = model.apply(actions);
    const auto result = apply(actions, &farm, pick(2) == 0);
    EXPECT_EQ(result.generation, expected_result.generation);
    EXPECT_EQ(result.added, expected_result.added);
    EXPECT_EQ(result.replaced, expected_result.replaced);
    EXPECT_EQ(result.removed, expected_result.removed);
    generations_made += result.generation != 0;

    // The farm state follows the rule.
    const auto st = state();
    EXPECT_EQ(st.current, model.current());
    EXPECT_EQ(st.oldest_kept, model.oldest());
    EXPECT_LE(st.oldest_kept, st.published);

    // Slots hold what the model holds.
    {
      DbTxn txn(db(), Mode::read);
      std::map<std::pair<std::string, std::string>, std::string> slots;
      for (const auto& d : dists) {
        txn.for_each_slot("dev", d, "", [&](std::string_view key, std::string_view id) {
          slots[{d, std::string(key)}] = std::string(id);
          return true;
        });
      }
      std::map<std::pair<std::string, std::string>, std::string> want;
      for (const auto& [key, r] : model.slots()) {
        want[key] = r.id();
      }
      EXPECT_EQ(slots, want);
      // Kept generations hold the model's changes.
      for (const auto& [number, changes] : model.generations()) {
        auto gen = txn.generation("dev", number);
        ASSERT_TRUE(gen) << "generation " << number;
        std::map<std::pair<std::string, std::string>, std::pair<std::string, std::string>> got,
            expect;
        for (const auto& c : gen->changes) {
          got[{c.dist, c.slot}] = {c.old_id, c.new_id};
        }
        for (const auto& [key, c] : changes) {
          expect[key] = {c.old_record ? c.old_record->id() : "",
                         c.new_record ? c.new_record->id() : ""};
        }
        EXPECT_EQ(got, expect) << "generation " << number;
      }
    }

    // The reference counts, recomputed from scratch.
    const auto after = stored();
    const auto want = model.expected("dev");
    EXPECT_EQ(after.records, want.records);
    EXPECT_EQ(after.paths, want.paths);
    EXPECT_EQ(after.objects, want.objects);
    EXPECT_EQ(after.generations, want.generations);
    for (const auto& [sha, refs] : after.objects) {
      EXPECT_GT(refs, 0u) << "object " << sha << " is recorded but unreferenced";
    }
    expect_kept_generations_restorable("dev", dists);

    // Whatever lost its last reference waits to be unlinked; nothing still
    // referenced does.
    const auto waiting = pending();
    for (const auto& [path, entry] : before.paths) {
      const auto unlink = public_entry("dev", path);
      if (!after.paths.contains(path)) {
        EXPECT_EQ(waiting.count(unlink), 1u) << path << " was dropped but is not unlinked";
        ++unlinks_seen;
      }
    }
    for (const auto& [sha, refs] : before.objects) {
      if (!after.objects.contains(sha)) {
        EXPECT_EQ(waiting.count(store_entry(sha)), 1u) << sha << " was dropped but is kept";
      }
    }
    for (const auto& entry : waiting) {
      if (entry.starts_with("public/dev/")) {
        const auto path = entry.substr(std::string("public/dev/").size());
        EXPECT_FALSE(after.paths.contains(path)) << entry << " is referenced but unlinked";
        EXPECT_TRUE(before.paths.contains(path)) << entry << " was never referenced";
      } else {
        ASSERT_TRUE(entry.starts_with("store/")) << entry;
        EXPECT_FALSE(after.objects.contains(entry.substr(entry.rfind('/') + 1)))
            << entry << " is referenced but unlinked";
      }
    }
    clear_pending();

    drops_seen += model.oldest() > oldest_before;
    if (pick(4) == 0) {
      mark_published();
      model.publish();
    }
    if (HasFailure()) {
      break; // the first divergence is the useful one
    }
  }
  if (HasFailure()) {
    return;
  }
  // The sequence exercised what it is meant to.
  EXPECT_GT(generations_made, static_cast<std::size_t>(param.steps / 2));
  EXPECT_GT(drops_seen, 0u);
  EXPECT_GT(unlinks_seen, 0u);
}

INSTANTIATE_TEST_SUITE_P(Seeds, FarmUpdateRandom,
                         ::testing::Values(RandomParam{1, 3, 200}, RandomParam{2, 3, 200},
                                           RandomParam{3, 5, 200}, RandomParam{4, 1, 200},
                                           RandomParam{5, 10, 200}),
                         [](const auto& info) {
                           return "seed" + std::to_string(info.param.seed) + "_keep" +
                                  std::to_string(info.param.keep);
                         });

} // namespace
