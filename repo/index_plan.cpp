#include "repo/index_plan.hpp"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "util/error.hpp"
#include "util/file.hpp"
#include "util/parallel.hpp"

namespace prepo::repo {

using util::Compression;

namespace {

// A chunk ends after a stanza whose record id starts with "00" or "01" (1
// in 128), so boundaries move with the packages, not with offsets. Past
// 64 KiB it also ends at an id starting with "0" (1 in 16): what a change
// recompresses stays near 64 KiB (the growing tail of an index, where new
// names often sort, would otherwise be one chunk of hundreds of KiB), and
// a boundary of the first kind puts every later one back in place. At
// 512 KiB a chunk ends whatever the id.
constexpr std::size_t soft_chunk_bytes = 64 * 1024;
constexpr std::size_t max_chunk_bytes = 512 * 1024;

bool ends_chunk(std::string_view record_id, std::size_t chunk_bytes)
{
  if (record_id.size() < 2 || record_id[0] != '0') {
    return false;
  }
  return record_id[1] == '0' || record_id[1] == '1' || chunk_bytes >= soft_chunk_bytes;
}

class IndexBuilder {
public:
  explicit IndexBuilder(std::string path, std::string component, std::string architecture)
  {
    plan_.path = std::move(path);
    plan_.component = std::move(component);
    plan_.architecture = std::move(architecture);
  }
  void add(std::string_view id, std::string_view stanza)
  {
    current_.text.append(stanza);
    current_.text.push_back('\n');
    ids_.append(id);
    if (ends_chunk(id, current_.text.size()) || current_.text.size() >= max_chunk_bytes) {
      close();
    }
  }
  IndexPlan finish()
  {
    close();
    std::string keys;
    for (const auto& chunk : plan_.chunks) {
      keys += chunk.key;
    }
    plan_.content_key = util::sha256_hex(keys);
    return std::move(plan_);
  }

private:
  void close()
  {
    if (current_.text.empty()) {
      return;
    }
    current_.key = util::sha256_hex(ids_);
    // Appending doubles the capacity as it goes: without this, the chunks
    // of a publish hold about 40% more than their text.
    current_.text.shrink_to_fit();
    plan_.chunks.push_back(std::move(current_));
    current_ = Chunk{};
    ids_.clear();
  }
  IndexPlan plan_;
  Chunk current_;
  std::string ids_;
};

// One index: the stanzas of one component and record type, in slot order
// (by name), filtered by architecture, streamed from the database.
IndexPlan build_index(const DbTxn& txn, const Distribution& dist, std::string path,
                      const std::string& component, RecordType type, const std::string& arch,
                      bool include_all)
{
  IndexBuilder builder(std::move(path), component, arch);
  const auto prefix = slot_key(component, type, "", "");
  txn.for_each_slot(
      dist.farm, dist.codename, prefix.substr(0, prefix.size() - 1),
      [&](std::string_view, std::string_view id) {
        auto bytes = txn.record_bytes(id);
        if (!bytes) {
          throw util::Error("database: {}: record {} is missing", dist.full_name(), id);
        }
        auto view = view_record(*bytes);
        if (view.architecture == arch || (include_all && view.architecture == "all")) {
          builder.add(id, view.stanza);
        }
        return true;
      });
  return builder.finish();
}

bool has_slots(const DbTxn& txn, const Distribution& dist, const std::string& component,
               RecordType type)
{
  const auto prefix = slot_key(component, type, "", "");
  bool any = false;
  txn.for_each_slot(dist.farm, dist.codename, prefix.substr(0, prefix.size() - 1),
                    [&](std::string_view, std::string_view) {
                      any = true;
                      return false;
                    });
  return any;
}

// The jobs for the chunks of `plans` that neither `have` nor the chunk cache
// holds, each (format, key) once; with `fetch_cached`, cached chunks are
// added to `have`.
std::vector<ChunkJob> uncompressed_chunks(const DbTxn& txn,
                                          const std::vector<const IndexPlan*>& plans,
                                          CompressedChunks& have, bool fetch_cached)
{
  std::vector<ChunkJob> jobs;
  std::set<std::pair<Compression, std::string>> queued;
  for (const auto* plan : plans) {
    for (const auto& chunk : plan->chunks) {
      for (auto format : {Compression::gzip, Compression::xz}) {
        auto key = std::make_pair(format, chunk.key);
        if (have.contains(key) || queued.contains(key)) {
          continue;
        }
        if (auto cached = txn.chunk(format, chunk.key)) {
          if (fetch_cached) {
            have.emplace(std::move(key), std::move(*cached));
          }
        } else {
          queued.insert(std::move(key));
          jobs.push_back({format, &chunk, {}});
        }
      }
    }
  }
  // xz jobs first: they are the slow ones, so every thread stays busy to the end.
  std::stable_sort(jobs.begin(), jobs.end(), [](const ChunkJob& a, const ChunkJob& b) {
    return a.format == Compression::xz && b.format != Compression::xz;
  });
  return jobs;
}

void run_jobs(std::vector<ChunkJob>& jobs)
{
  util::parallel_for(jobs.size(), util::default_threads(), [&](std::size_t i) {
    jobs[i].result = util::compress_chunk(jobs[i].format, jobs[i].chunk->text);
  });
}

void collect(std::vector<ChunkJob>& jobs, CompressedChunks& into)
{
  for (auto& job : jobs) {
    into.emplace(std::make_pair(job.format, job.chunk->key), std::move(job.result));
  }
  jobs.clear();
}

} // namespace

std::vector<IndexPlan> plan_indexes(const DbTxn& txn, const Distribution& dist)
{
  std::vector<IndexPlan> plans;
  for (const auto& comp : dist.components) {
    for (const auto& arch : dist.architectures) {
      plans.push_back(build_index(txn, dist, fmt::format("{}/binary-{}/Packages", comp, arch), comp,
                                  RecordType::binary, arch, arch != "all"));
    }
    if (has_slots(txn, dist, comp, RecordType::udeb)) {
      for (const auto& arch : dist.concrete_architectures()) {
        plans.push_back(build_index(
            txn, dist, fmt::format("{}/debian-installer/binary-{}/Packages", comp, arch), comp,
            RecordType::udeb, arch, true));
      }
    }
    if (dist.has_source) {
      plans.push_back(build_index(txn, dist, fmt::format("{}/source/Sources", comp), comp,
                                  RecordType::source, "source", false));
    }
  }
  return plans;
}

CompressedChunks compress_chunks(const DbTxn& txn, const std::vector<IndexPlan*>& plans,
                                 util::Progress& progress, CompressedChunks ready)
{
  const std::vector<const IndexPlan*> read_only(plans.begin(), plans.end());
  auto jobs = uncompressed_chunks(txn, read_only, ready, true);
  if (!jobs.empty()) {
    progress.start("compressing indexes", jobs.size());
    run_jobs(jobs);
    progress.advance(jobs.size());
    progress.finish();
    collect(jobs, ready);
  }
  return ready;
}

std::string join_index(Compression format, const IndexPlan& plan,
                       const CompressedChunks& compressed)
{
  std::vector<const util::CompressedChunk*> parts;
  parts.reserve(plan.chunks.size());
  for (const auto& chunk : plan.chunks) {
    parts.push_back(&compressed.at({format, chunk.key}));
  }
  return util::join_chunks(format, parts);
}

// Chunk by chunk: never the whole text in memory twice.
util::Checksums write_chunks(const std::filesystem::path& path, const std::vector<Chunk>& chunks)
{
  util::MultiHasher hasher;
  util::FileWriter out(path);
  for (const auto& chunk : chunks) {
    hasher.update(chunk.text);
    out.write(chunk.text);
  }
  out.close();
  return hasher.finish();
}

IndexHeadStart::IndexHeadStart(const DbTxn& txn, const Config& config, const std::string& farm,
                               std::uint64_t generation)
    : farm_(farm), generation_(generation), prepared_(Prepared{})
{
  std::vector<const IndexPlan*> all;
  for (const auto* dist : config.distributions_of(farm)) {
    auto& plans = prepared_->plans[dist->codename] = plan_indexes(txn, *dist);
    for (const auto& plan : plans) {
      all.push_back(&plan);
    }
  }
  // Cached chunks are left in the cache: fetched now, they would only add
  // to the memory the command holds until it commits.
  jobs_ = uncompressed_chunks(txn, all, prepared_->compressed, false);
  done_ = std::async(std::launch::async, [this] {
    // The command's own thread (recording, committing) and the pool linker
    // are what it waits for; compression fills the cores they leave.
    util::yield_priority_to_waited_work();
    run_jobs(jobs_);
  });
}

IndexHeadStart::~IndexHeadStart()
{
  if (done_.valid()) {
    done_.wait();
  }
}

std::optional<IndexHeadStart::Prepared> IndexHeadStart::take(const std::string& farm,
                                                             std::uint64_t generation)
{
  if (!serves(farm, generation)) {
    return std::nullopt;
  }
  done_.get();
  collect(jobs_, prepared_->compressed);
  auto out = std::move(prepared_);
  prepared_.reset();
  return out;
}

bool IndexHeadStart::serves(const std::string& farm, std::uint64_t generation) const
{
  return prepared_ && farm == farm_ && generation == generation_;
}

} // namespace prepo::repo
