// Index planning and chunk compression ahead of a publish (IndexHeadStart):
// what it compresses, when the publish may take it, and that a publish fed
// by it writes the bytes an independent compression of the same chunks
// gives.
#include "repo/index_plan.hpp"

#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "repo/archive_fixture.hpp"
#include "repo/publish.hpp"
#include "util/compress.hpp"
#include "util/file.hpp"

namespace prepo::test {
namespace {

using util::Compression;

const std::string amd64_packages = "main/binary-amd64/Packages";

class IndexHeadStartTest : public ArchiveTest {
protected:
  // Several content-defined chunks (one in ~128 stanzas ends a chunk),
  // recorded but not published.
  std::uint64_t record_many()
  {
    include_only(make_many_debs("fill", 0, 300));
    return farm_state().current;
  }

  // The .gz or .xz an independent compression of the plan's chunks gives.
  static std::string compressed_anew(Compression format, const repo::IndexPlan& plan)
  {
    std::vector<util::CompressedChunk> chunks;
    chunks.reserve(plan.chunks.size());
    for (const auto& chunk : plan.chunks) {
      chunks.push_back(util::compress_chunk(format, chunk.text));
    }
    std::vector<const util::CompressedChunk*> parts;
    for (const auto& chunk : chunks) {
      parts.push_back(&chunk);
    }
    return util::join_chunks(format, parts);
  }
};

TEST_F(IndexHeadStartTest, CompressesEveryChunkOfEveryIndexOnce)
{
  const auto generation = record_many();
  auto session = open_session();
  repo::DbTxn txn(session->db(), util::lmdb::Txn::Mode::read);
  repo::IndexHeadStart head_start(txn, session->config(), "dev", generation);

  EXPECT_FALSE(head_start.take("dev", generation + 1)) << "another generation";
  EXPECT_FALSE(head_start.take("other", generation)) << "another farm";
  auto prepared = head_start.take("dev", generation);
  ASSERT_TRUE(prepared);
  EXPECT_FALSE(head_start.take("dev", generation)) << "taken twice";

  ASSERT_EQ(prepared->plans.size(), 1u);
  const auto& plans = prepared->plans.at("skaro");
  std::size_t chunks = 0;
  for (const auto& plan : plans) {
    for (const auto& chunk : plan.chunks) {
      ++chunks;
      for (auto format : {Compression::gzip, Compression::xz}) {
        auto it = prepared->compressed.find({format, chunk.key});
        ASSERT_NE(it, prepared->compressed.end()) << plan.path << " " << chunk.key;
        const auto whole = util::join_chunks(format, {&it->second});
        EXPECT_EQ(util::decompress(format, whole, 1 << 26, "chunk"), chunk.text);
      }
    }
  }
  EXPECT_GE(chunks, 3u) << "the filler did not make several chunks";
  EXPECT_EQ(prepared->compressed.size(), 2 * chunks);
}

TEST_F(IndexHeadStartTest, LeavesChunksTheCacheHoldsToTheCache)
{
  const auto first = record_many();
  publish();                                           // caches every chunk
  include_only(make_many_debs("fill", 150, 1, "2.0")); // one stanza of one chunk changes
  const auto generation = farm_state().current;
  ASSERT_EQ(generation, first + 1);

  auto session = open_session();
  repo::DbTxn txn(session->db(), util::lmdb::Txn::Mode::read);
  repo::IndexHeadStart head_start(txn, session->config(), "dev", generation);
  auto prepared = head_start.take("dev", generation);
  ASSERT_TRUE(prepared);
  EXPECT_GE(prepared->compressed.size(), 2u);
  EXPECT_LE(prepared->compressed.size(), 4u) << "compressed what the cache holds";
}

TEST_F(IndexHeadStartTest, APublishFedByItWritesWhatAnIndependentCompressionGives)
{
  const auto generation = record_many();
  std::vector<repo::IndexPlan> plans;
  {
    auto session = open_session();
    repo::DbTxn txn(session->db(), util::lmdb::Txn::Mode::read);
    plans = repo::plan_indexes(txn, session->config().distribution("dev/skaro"));
    repo::IndexHeadStart head_start(txn, session->config(), "dev", generation);
    repo::publish_farm(*session, "dev", repo::PublishOptions{.head_start = &head_start});
  }
  const auto* plan = &plans.front();
  ASSERT_EQ(plan->path, amd64_packages);
  EXPECT_EQ(util::read_file(top() / (amd64_packages + ".xz")),
            compressed_anew(Compression::xz, *plan));
  EXPECT_EQ(util::read_file(top() / (amd64_packages + ".gz")),
            compressed_anew(Compression::gzip, *plan));
  std::string plain;
  for (const auto& chunk : plan->chunks) {
    plain += chunk.text;
  }
  EXPECT_EQ(util::read_file(top() / amd64_packages), plain);
  expect_healthy("after a publish fed by a head start");
}

TEST_F(IndexHeadStartTest, APublishOfAnotherGenerationPlansAnew)
{
  const auto generation = record_many();
  std::unique_ptr<repo::IndexHeadStart> stale;
  {
    auto session = open_session();
    repo::DbTxn txn(session->db(), util::lmdb::Txn::Mode::read);
    stale = std::make_unique<repo::IndexHeadStart>(txn, session->config(), "dev", generation);
  }
  include_only(make_many_debs("late", 0, 1)); // the farm moves on: its plans lack this one
  {
    auto session = open_session();
    repo::publish_farm(*session, "dev", repo::PublishOptions{.head_start = stale.get()});
  }
  const auto packages = util::read_file(top() / amd64_packages);
  EXPECT_NE(packages.find("Package: late0000\n"), std::string::npos);
  EXPECT_EQ(util::decompress(Compression::xz, util::read_file(top() / (amd64_packages + ".xz")),
                             1 << 26, "xz"),
            packages);
  expect_healthy("after a publish that ignored a stale head start");
}

} // namespace
} // namespace prepo::test
