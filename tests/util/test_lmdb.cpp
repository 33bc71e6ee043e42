#include "util/lmdb.hpp"

#include <algorithm>
#include <fstream>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "support/temp_dir.hpp"
#include "util/error.hpp"

namespace lmdb = prepo::util::lmdb;
using prepo::util::Error;

namespace {

lmdb::Env::Options small()
{
  lmdb::Env::Options options;
  options.map_size = std::uint64_t{16} << 20;
  return options;
}

class Lmdb : public prepo::test::TempDirTest {};

} // namespace

TEST_F(Lmdb, PutGetDelete)
{
  lmdb::Env env(dir(), small());
  lmdb::Txn txn(env, lmdb::Txn::Mode::write);
  lmdb::Dbi db = txn.open_db("packages");
  EXPECT_FALSE(txn.get(db, "a").has_value());
  txn.put(db, "a", "1");
  txn.put(db, "b", std::string("with\0nul", 8));
  EXPECT_EQ(txn.get(db, "a"), "1");
  EXPECT_EQ(txn.get(db, "b"), std::string_view("with\0nul", 8));
  txn.put(db, "a", "2"); // overwrite
  EXPECT_EQ(txn.get(db, "a"), "2");
  EXPECT_TRUE(txn.del(db, "a"));
  EXPECT_FALSE(txn.del(db, "a"));
  EXPECT_FALSE(txn.get(db, "a").has_value());
  txn.commit();
}

TEST_F(Lmdb, CommitKeepsAndDestructionAborts)
{
  lmdb::Env env(dir(), small());
  {
    lmdb::Txn txn(env, lmdb::Txn::Mode::write);
    txn.put(txn.open_db("d"), "kept", "yes");
    txn.commit();
  }
  {
    lmdb::Txn txn(env, lmdb::Txn::Mode::write);
    txn.put(txn.open_db("d"), "dropped", "yes");
    // no commit: the destructor aborts
  }
  {
    lmdb::Txn txn(env, lmdb::Txn::Mode::write);
    txn.put(txn.open_db("d"), "aborted", "yes");
    txn.abort();
    txn.abort(); // idempotent
  }
  lmdb::Txn read(env, lmdb::Txn::Mode::read);
  lmdb::Dbi db = read.open_db("d");
  EXPECT_EQ(read.get(db, "kept"), "yes");
  EXPECT_FALSE(read.get(db, "dropped").has_value());
  EXPECT_FALSE(read.get(db, "aborted").has_value());
}

TEST_F(Lmdb, MovedTransactionCommitsOnce)
{
  lmdb::Env env(dir(), small());
  lmdb::Txn first(env, lmdb::Txn::Mode::write);
  first.put(first.open_db("d"), "k", "v");
  lmdb::Txn second(std::move(first));
  second.commit();
  EXPECT_THROW(second.commit(), Error);
  lmdb::Txn read(env, lmdb::Txn::Mode::read);
  EXPECT_EQ(read.get(read.open_db("d"), "k"), "v");
}

TEST_F(Lmdb, CursorVisitsKeysInOrder)
{
  lmdb::Env env(dir(), small());
  lmdb::Txn txn(env, lmdb::Txn::Mode::write);
  lmdb::Dbi db = txn.open_db("d");
  for (const char* key : {"m", "c", "x", "a", "ca"}) {
    txn.put(db, key, std::string("v") + key);
  }
  lmdb::Cursor cursor(txn, db);
  std::vector<std::string> keys;
  for (bool ok = cursor.first(); ok; ok = cursor.next()) {
    keys.emplace_back(cursor.key());
    EXPECT_EQ(cursor.value(), "v" + std::string(cursor.key()));
  }
  EXPECT_EQ(keys, (std::vector<std::string>{"a", "c", "ca", "m", "x"}));
  ASSERT_TRUE(cursor.seek("b"));
  EXPECT_EQ(cursor.key(), "c");
  ASSERT_TRUE(cursor.seek("ca"));
  EXPECT_EQ(cursor.key(), "ca");
  EXPECT_FALSE(cursor.seek("y"));
  ASSERT_TRUE(cursor.last());
  EXPECT_EQ(cursor.key(), "x");
  EXPECT_FALSE(cursor.next());
}

TEST_F(Lmdb, ForEachPrefix)
{
  lmdb::Env env(dir(), small());
  lmdb::Txn txn(env, lmdb::Txn::Mode::write);
  lmdb::Dbi db = txn.open_db("d");
  for (const char* key : {"pkg/a", "pkg/b", "pkg/c", "pkh", "pk", "src/a"}) {
    txn.put(db, key, key);
  }
  std::vector<std::string> seen;
  lmdb::for_each_prefix(txn, db, "pkg/", [&](std::string_view key, std::string_view value) {
    EXPECT_EQ(key, value);
    seen.emplace_back(key);
    return true;
  });
  EXPECT_EQ(seen, (std::vector<std::string>{"pkg/a", "pkg/b", "pkg/c"}));

  seen.clear();
  lmdb::for_each_prefix(txn, db, "pkg/", [&](std::string_view key, std::string_view) {
    seen.emplace_back(key);
    return seen.size() < 2; // stop early
  });
  EXPECT_EQ(seen.size(), 2u);

  seen.clear();
  lmdb::for_each_prefix(txn, db, "", [&](std::string_view key, std::string_view) {
    seen.emplace_back(key);
    return true;
  });
  EXPECT_EQ(seen.size(), 6u);

  seen.clear();
  lmdb::for_each_prefix(txn, db, "zzz", [&](std::string_view key, std::string_view) {
    seen.emplace_back(key);
    return true;
  });
  EXPECT_TRUE(seen.empty());
}

TEST_F(Lmdb, ReopenPersists)
{
  {
    lmdb::Env env(dir(), small());
    lmdb::Txn txn(env, lmdb::Txn::Mode::write);
    txn.put(txn.open_db("one"), "k", "v1");
    txn.put(txn.open_db("two"), "k", "v2");
    txn.commit();
  }
  lmdb::Env::Options options = small();
  options.read_only = true;
  lmdb::Env env(dir(), options);
  lmdb::Txn txn(env, lmdb::Txn::Mode::read);
  EXPECT_EQ(txn.get(txn.open_db("one"), "k"), "v1");
  EXPECT_EQ(txn.get(txn.open_db("two"), "k"), "v2");
}

TEST_F(Lmdb, MissingDatabaseInReadTransactionIsEmpty)
{
  lmdb::Env env(dir(), small());
  lmdb::Txn txn(env, lmdb::Txn::Mode::read);
  lmdb::Dbi db = txn.open_db("absent");
  EXPECT_FALSE(txn.get(db, "k").has_value());
  lmdb::Cursor cursor(txn, db);
  EXPECT_FALSE(cursor.first());
  EXPECT_FALSE(cursor.seek("a"));
  EXPECT_FALSE(cursor.last());
  bool called = false;
  lmdb::for_each_prefix(txn, db, "", [&](std::string_view, std::string_view) {
    called = true;
    return true;
  });
  EXPECT_FALSE(called);
  EXPECT_THROW(txn.put(db, "k", "v"), Error);
}

TEST_F(Lmdb, ErrorsNameTheDirectory)
{
  lmdb::Env::Options options = small();
  options.read_only = true;
  try {
    lmdb::Env env(dir() / "does-not-exist", options);
    FAIL() << "opened a missing read-only environment";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find((dir() / "does-not-exist").string() + ": lmdb env_open: "),
              std::string::npos)
        << e.what();
  }

  lmdb::Env env(dir(), small());
  lmdb::Txn txn(env, lmdb::Txn::Mode::write);
  lmdb::Dbi db = txn.open_db("d");
  try {
    txn.put(db, std::string(1000, 'k'), "v"); // longer than LMDB's key limit
    FAIL() << "accepted an oversized key";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()).rfind(dir().string() + ": lmdb put: ", 0), 0u) << e.what();
  }
}

TEST_F(Lmdb, ReadTransactionUsableFromAnotherThread)
{
  lmdb::Env env(dir(), small());
  {
    lmdb::Txn txn(env, lmdb::Txn::Mode::write);
    txn.put(txn.open_db("d"), "k", "v");
    txn.commit();
  }
  lmdb::Txn read(env, lmdb::Txn::Mode::read);
  lmdb::Dbi db = read.open_db("d");
  std::optional<std::string> value;
  std::thread worker([&] { value = std::string(*read.get(db, "k")); });
  worker.join();
  EXPECT_EQ(value, "v");
}

namespace {

// The process's resident pages of mapped files, in KiB.
long resident_file_kib()
{
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.starts_with("RssFile:")) {
      return std::stol(line.substr(8));
    }
  }
  return -1;
}

} // namespace

TEST_F(Lmdb, ReleasedPagesLeaveViewsValidAndTheProcess)
{
  lmdb::Env env(dir(), small());
  const std::string value(4000, 'x');
  {
    lmdb::Txn txn(env, lmdb::Txn::Mode::write);
    auto db = txn.open_db("d");
    for (int i = 0; i < 2000; ++i) { // about 8 MiB
      txn.put(db, std::to_string(1000000 + i), value + std::to_string(i));
    }
    txn.commit();
  }
  lmdb::Txn read(env, lmdb::Txn::Mode::read);
  auto db = read.open_db("d");
  env.release_mapped_pages(); // its own code is mapped once, not counted below
  std::vector<std::string_view> views;
  std::size_t read_bytes = 0;
  for (int i = 0; i < 2000; ++i) {
    views.push_back(*read.get(db, std::to_string(1000000 + i)));
    read_bytes +=
        static_cast<std::size_t>(std::count(views.back().begin(), views.back().end(), 'x'));
  }
  ASSERT_EQ(read_bytes, 2000 * value.size());
  const auto before = resident_file_kib();
  env.release_mapped_pages();
  const auto after = resident_file_kib();
  EXPECT_LT(after, before - 4096) << "the pages read are no longer resident in this process";
  for (int i = 0; i < 2000; ++i) {
    ASSERT_EQ(views[i], value + std::to_string(i)) << "a view reads the page again";
  }
}
