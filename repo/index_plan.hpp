// A distribution's indexes as text, cut into chunks, and the compression of
// those chunks (used by publishing, repo/publish.hpp).
//
// Chunks are content-defined: a chunk ends after a stanza whose record id
// says so (about 1 in 128; past 64 KiB, 1 in 16), or at 512 KiB, so
// boundaries move with the packages, not with offsets. A chunk's key is the digest of the record
// ids it lists; record ids are digests of the records, so one key always means one text, and
// compressed chunks are cached in the database under it.
#pragma once

#include <filesystem>
#include <future>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "repo/config.hpp"
#include "repo/database.hpp"
#include "util/compress.hpp"
#include "util/hash.hpp"
#include "util/progress.hpp"

namespace prepo::repo {

struct Chunk {
  std::string key;
  std::string text;
};

struct IndexPlan {
  std::string path; // "main/binary-amd64/Packages"
  std::string component;
  std::string architecture; // "amd64", "all", "source"
  std::vector<Chunk> chunks;
  std::string content_key;
  const PublishedIndex* previous = nullptr; // set by the publish that uses the plan
  bool changed() const { return !previous || previous->content_key != content_key; }
  std::string directory() const { return path.substr(0, path.rfind('/')); }
};

// Every index of `dist` (Packages per component and architecture, udeb
// Packages where there are udebs, Sources), as `txn` shows the distribution.
std::vector<IndexPlan> plan_indexes(const DbTxn& txn, const Distribution& dist);

// Compressed chunks by (format, chunk key).
using CompressedChunks = std::map<std::pair<util::Compression, std::string>, util::CompressedChunk>;

// The gzip and xz chunks of `plans`: taken from `ready` (compressed ahead),
// else from the database's cache, else compressed now, in parallel.
CompressedChunks compress_chunks(const DbTxn& txn, const std::vector<IndexPlan*>& plans,
                                 util::Progress& progress, CompressedChunks ready = {});

// A whole .gz or .xz index, joined from its compressed chunks.
std::string join_index(util::Compression format, const IndexPlan& plan,
                       const CompressedChunks& compressed);

// The plain index, chunk by chunk, hashed on the way.
util::Checksums write_chunks(const std::filesystem::path& path, const std::vector<Chunk>& chunks);

// One chunk to compress into one format.
struct ChunkJob {
  util::Compression format;
  const Chunk* chunk;
  util::CompressedChunk result;
};

// A farm's indexes planned, and the chunks the cache lacks compressed, ahead
// of the publish that follows a change. The command starts it inside its
// own write transaction, once the change is recorded: compression then runs
// on other threads while the command waits for its files to be flushed and
// its transaction to commit, time in which the cores are otherwise idle.
// The publish of that generation takes the plans and chunks
// (PublishOptions::head_start) instead of making them again.
class IndexHeadStart {
public:
  IndexHeadStart(const DbTxn& txn, const Config& config, const std::string& farm,
                 std::uint64_t generation);
  IndexHeadStart(const IndexHeadStart&) = delete;
  IndexHeadStart& operator=(const IndexHeadStart&) = delete;
  ~IndexHeadStart(); // waits for the compression threads

  struct Prepared {
    std::map<std::string, std::vector<IndexPlan>> plans; // by codename
    CompressedChunks compressed;
  };
  // Waits for the compression (rethrowing its failure). Nothing unless the
  // head start is for this farm and generation, nor a second time.
  std::optional<Prepared> take(const std::string& farm, std::uint64_t generation);
  // Whether take would give something for this farm and generation.
  bool serves(const std::string& farm, std::uint64_t generation) const;

private:
  std::string farm_;
  std::uint64_t generation_;
  std::optional<Prepared> prepared_;
  std::vector<ChunkJob> jobs_;
  std::future<void> done_;
};

} // namespace prepo::repo
