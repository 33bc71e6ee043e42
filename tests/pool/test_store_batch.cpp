#include "pool/store_batch.hpp"

#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "support/temp_dir.hpp"
#include "util/file.hpp"
#include "util/hash.hpp"

namespace fs = std::filesystem;
using prepo::pool::ContentStore;
using prepo::pool::StoreBatch;
using prepo::util::sha256_hex;

namespace {

using StoreBatchTest = prepo::test::TempDirTest;

std::set<std::string> entries(const fs::path& dir)
{
  std::set<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    out.insert(fs::relative(e.path(), dir).string());
  }
  return out;
}

} // namespace

TEST_F(StoreBatchTest, WithoutFinishTheStoreIsAsItWas)
{
  ContentStore store(dir() / "store");
  fs::create_directories(store.dir());
  const std::string old_bytes = "already stored";
  store.add_bytes(old_bytes, sha256_hex(old_bytes));
  const auto before = entries(store.dir());
  {
    StoreBatch batch(store);
    for (int i = 0; i < 50; ++i) {
      const auto bytes = "object " + std::to_string(i);
      EXPECT_TRUE(batch.write(bytes, sha256_hex(bytes)));
    }
    // A name the store has is not the batch's to write, or to remove.
    EXPECT_FALSE(batch.write(old_bytes, sha256_hex(old_bytes)));
    EXPECT_GT(entries(store.dir()).size(), before.size());
  } // a failure: destroyed without commit
  EXPECT_EQ(entries(store.dir()), before) << "objects or shard directories were left";
}

TEST_F(StoreBatchTest, AnObjectAddedAfterItsShardWasListedIsNotOverwritten)
{
  ContentStore store(dir() / "store");
  fs::create_directories(store.dir());
  // Two byte strings whose objects share a shard.
  const std::string first = "first";
  std::string second;
  for (int i = 0; second.empty(); ++i) {
    const auto candidate = "second " + std::to_string(i);
    if (ContentStore::shard_index(sha256_hex(candidate)) ==
        ContentStore::shard_index(sha256_hex(first))) {
      second = candidate;
    }
  }
  fs::create_directories(store.object_path(sha256_hex(first)).parent_path()); // listed, empty
  StoreBatch batch(store);
  EXPECT_TRUE(batch.write(first, sha256_hex(first))); // the shard is listed here
  // Another writer's object, after the listing: the file's name still wins.
  prepo::util::write_file_atomic(store.object_path(sha256_hex(second)), "other writer");
  EXPECT_FALSE(batch.write(second, sha256_hex(second)));
  EXPECT_EQ(prepo::util::read_file(store.object_path(sha256_hex(second))), "other writer");
  batch.commit();
}

TEST_F(StoreBatchTest, DropUnlessThenCommitKeepsWhatTheChangeReferences)
{
  ContentStore store(dir() / "store");
  fs::create_directories(store.dir());
  const std::string kept = "kept", dropped = "refused on the way";
  {
    StoreBatch batch(store);
    ASSERT_TRUE(batch.write(kept, sha256_hex(kept)));
    ASSERT_TRUE(batch.write(dropped, sha256_hex(dropped)));
    batch.drop_unless([&](const std::string& sha) { return sha == sha256_hex(kept); });
    EXPECT_FALSE(store.contains(sha256_hex(dropped)));
    batch.commit();
  }
  EXPECT_TRUE(store.holds(sha256_hex(kept), kept.size()));
  EXPECT_EQ(prepo::util::read_file(store.object_path(sha256_hex(kept))), kept);
  EXPECT_FALSE(store.contains(sha256_hex(dropped)));
}

TEST_F(StoreBatchTest, ManyWritersOneShard)
{
  // Objects whose SHA256 starts alike share one shard directory, created
  // once, whichever thread comes first.
  ContentStore store(dir() / "store");
  fs::create_directories(store.dir());
  std::vector<std::string> same_shard;
  for (int i = 0; same_shard.size() < 16; ++i) {
    auto bytes = "candidate " + std::to_string(i);
    if (sha256_hex(bytes).starts_with("ab")) {
      same_shard.push_back(std::move(bytes));
    }
  }
  StoreBatch batch(store);
  std::vector<std::jthread> writers;
  for (const auto& bytes : same_shard) {
    writers.emplace_back([&batch, &bytes] { batch.write(bytes, sha256_hex(bytes)); });
  }
  writers.clear();
  for (const auto& bytes : same_shard) {
    EXPECT_TRUE(store.holds(sha256_hex(bytes), bytes.size()));
  }
  batch.commit();
}
