#include "repo/publish.hpp"

#include <algorithm>
#include <charconv>
#include <ctime>
#include <future>
#include <map>
#include <set>

#include <fmt/format.h>

#include "pool/pool_linker.hpp"
#include "repo/index_plan.hpp"
#include "repo/release_file.hpp"
#include "repo/retention.hpp"
#include "util/error.hpp"
#include "util/file.hpp"
#include "util/gpg.hpp"
#include "util/parallel.hpp"

namespace prepo::repo {

namespace {

using util::Compression;

// Whether the published Release of `dist` still stands: same configuration,
// and, with Valid-For, less than half of its validity gone (so a publish
// run from cron keeps Valid-Until ahead of clients).
bool still_current(const Distribution& dist, const PublishedDist& published)
{
  if (published.config_digest != config_digest(dist)) {
    return false;
  }
  const auto valid = parse_duration(dist.valid_for, dist.full_name());
  return valid == 0 || std::time(nullptr) < published.date + valid / 2;
}

// Makes dists/<dist> point at `name`: one rename, so clients see the old
// or the new index set.
void switch_to(const fs::path& dists_dir, const std::string& codename, const std::string& name)
{
  const auto link_tmp = dists_dir / (".link-" + codename);
  util::remove_file_if_exists(link_tmp);
  fs::create_symlink(name, link_tmp);
  fs::rename(link_tmp, dists_dir / codename);
}

// Removes what a failed or killed publish left in dists/: directories of
// this farm's distributions that are neither retained nor current.
void sweep_dists(const fs::path& dists_dir, const std::set<std::string>& keep)
{
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dists_dir, ec)) {
    const auto name = entry.path().filename().string();
    const bool ours = name.starts_with(".tmp-") || name.starts_with(".link-") ||
                      name.find('@') != std::string::npos;
    if (ours && !keep.contains(name) && !entry.is_symlink()) {
      fs::remove_all(entry.path(), ec);
    } else if (ours && name.starts_with(".link-")) {
      fs::remove(entry.path(), ec);
    }
  }
}

// dists/<dist>@<generation>; another publish of the same generation (a
// forced one, a changed configuration, a Valid-For refresh) gets
// @<generation>-<n>, n above the current directory's. Counting from the
// current name, never from what is on disk, keeps a name retention pruned
// from coming back with other bytes.
std::string unique_directory_name(const fs::path& dists, const std::string& dist,
                                  std::uint64_t generation, const std::string& current)
{
  const auto plain = fmt::format("{}@{}", dist, generation);
  std::uint64_t n = 1;
  if (const auto shown = parse_directory_name(current);
      current.starts_with(dist + "@") && shown.generation == generation) {
    n = shown.serial + 1;
  }
  auto name = n == 1 ? plain : fmt::format("{}-{}", plain, n);
  std::error_code ec;
  while (fs::exists(dists / name, ec)) { // left by something else: not ours to reuse
    name = fmt::format("{}-{}", plain, ++n);
  }
  return name;
}

void link_by_hash(const fs::path& dir, const std::string& entry_path, const util::Checksums& sums,
                  const fs::path& source)
{
  for (auto kind : util::all_hash_kinds) {
    const auto target = by_hash_path(dir, entry_path, kind, sums.get(kind));
    std::error_code ec;
    if (fs::exists(target, ec)) {
      continue;
    }
    util::make_dirs(target.parent_path());
    util::link_or_copy(source, target);
  }
}

class DistPublisher {
public:
  DistPublisher(Session& session, const Distribution& dist, DbTxn& txn, std::uint64_t generation)
      : session_(session), dist_(dist), txn_(txn), generation_(generation),
        dists_dir_(session.root().farm_dir(dist.farm) / "dists")
  {
  }

  // Returns the new PublishedDist (not yet stored).
  PublishedDist write(std::vector<IndexPlan>& plans, const std::optional<PublishedDist>& previous,
                      const CompressedChunks& compressed)
  {
    util::make_dirs(dists_dir_);
    const auto name = unique_directory_name(
        dists_dir_, dist_.codename, generation_,
        previous && !previous->directories.empty() ? previous->directories.front() : "");
    const auto tmp = dists_dir_ / (".tmp-" + name);
    fs::remove_all(tmp);
    util::make_dirs(tmp);
    const auto previous_dir =
        previous && !previous->directories.empty()
            ? std::optional<fs::path>(dists_dir_ / previous->directories.front())
            : std::nullopt;

    ReleaseFields fields = release_fields();
    PublishedDist info;
    info.generation = generation_;
    info.config_digest = config_digest(dist_);
    info.date = fields.date;
    std::vector<ReleaseEntry> entries;
    for (auto& plan : plans) {
      PublishedIndex index;
      index.path = plan.path;
      index.content_key = plan.content_key;
      for (const auto& chunk : plan.chunks) {
        index.chunk_keys.push_back(chunk.key);
      }
      const auto base = tmp / plan.path;
      util::make_dirs(base.parent_path());
      if (!plan.changed() && previous_dir && reuse(*previous_dir / plan.path, base)) {
        index.plain = plan.previous->plain;
        index.gz = plan.previous->gz;
        index.xz = plan.previous->xz;
      } else {
        // The three files at once: hashing 6 MB of plain text four ways
        // is the longest of them, and a publish waits for all three.
        auto write_compressed = [&](Compression format) {
          auto data = join_index(format, plan, compressed);
          util::write_file_atomic(base.string() + std::string(util::extension(format)), data,
                                  util::Durability::no_flush);
          return util::checksum_bytes(data);
        };
        auto gz = std::async(std::launch::async, write_compressed, Compression::gzip);
        auto xz = std::async(std::launch::async, write_compressed, Compression::xz);
        index.plain = write_chunks(base, plan.chunks);
        index.gz = gz.get();
        index.xz = xz.get();
      }
      entries.push_back({plan.path, index.plain});
      entries.push_back({plan.path + ".gz", index.gz});
      entries.push_back({plan.path + ".xz", index.xz});
      const auto release_path = plan.directory() + "/Release";
      const auto release_text = make_index_release(fields, plan.component, plan.architecture);
      util::write_file_atomic(tmp / release_path, release_text, util::Durability::no_flush);
      entries.push_back({release_path, util::checksum_bytes(release_text)});
      info.indexes.push_back(std::move(index));
    }

    // by-hash: this publish's files, then those of the two before it.
    for (const auto& entry : entries) {
      link_by_hash(tmp, entry.path, entry.checksums, tmp / entry.path);
    }
    if (previous && previous_dir) {
      for (std::size_t i = 0; i < previous->recent.size() && i < 2; ++i) {
        for (const auto& entry : previous->recent[i]) {
          const auto old = by_hash_path(*previous_dir, entry.path, util::HashKind::sha256,
                                        entry.checksums.sha256);
          std::error_code ec;
          if (fs::exists(old, ec)) {
            link_by_hash(tmp, entry.path, entry.checksums, old);
          }
        }
      }
    }

    const auto release = make_release(fields, entries);
    util::write_file_atomic(tmp / "Release", release, util::Durability::no_flush);
    if (!dist_.sign_with.empty()) {
      util::gpg::SignOptions sign{dist_.sign_with, ""};
      std::string detached, inline_signed;
      try {
        detached = util::gpg::detach_sign(release, sign);
        inline_signed = util::gpg::clearsign(release, sign);
      } catch (const util::Error& e) {
        throw util::Error("{}: cannot sign Release: {} (prepo signs without a terminal: the key "
                          "needs no passphrase, or gpg-agent must have it cached)",
                          dist_.full_name(), e.what());
      }
      util::write_file_atomic(tmp / "Release.gpg", detached, util::Durability::no_flush);
      // InRelease last: it is what apt reads first.
      util::write_file_atomic(tmp / "InRelease", inline_signed, util::Durability::no_flush);
    } else {
      session_.progress().note(
          fmt::format("{}: published unsigned (no SignWith): apt needs [trusted=yes] for it",
                      dist_.full_name()));
    }

    // Durable and complete under its final name; not current until
    // switch_to() renames the symlink.
    util::sync_filesystem(tmp);
    fs::rename(tmp, dists_dir_ / name);

    info.recent.push_back(std::move(entries));
    info.directories.push_back(name);
    if (previous) {
      for (std::size_t i = 0; i < previous->recent.size() && info.recent.size() < 3; ++i) {
        info.recent.push_back(previous->recent[i]);
      }
      for (const auto& dir : previous->directories) {
        info.directories.push_back(dir);
      }
    }
    return info;
  }

private:
  ReleaseFields release_fields() const
  {
    ReleaseFields f;
    f.origin = dist_.origin;
    f.label = dist_.label;
    f.suite = dist_.suite;
    f.codename = dist_.codename;
    f.version = dist_.version;
    f.description = dist_.description;
    f.date = std::time(nullptr);
    if (auto valid = parse_duration(dist_.valid_for, dist_.full_name())) {
      f.valid_until = f.date + valid;
    }
    f.architectures = dist_.architectures;
    f.components = dist_.components;
    return f;
  }

  static bool reuse(const fs::path& old_base, const fs::path& new_base)
  {
    std::error_code ec;
    for (std::string ext : {"", ".gz", ".xz"}) {
      if (!fs::exists(old_base.string() + ext, ec)) {
        return false;
      }
    }
    for (std::string ext : {"", ".gz", ".xz"}) {
      util::link_or_copy(old_base.string() + ext, new_base.string() + ext);
    }
    return true;
  }

  Session& session_;
  const Distribution& dist_;
  DbTxn& txn_;
  std::uint64_t generation_;
  fs::path dists_dir_;
};

// Pool links for everything the generations since the last publish added
// (every file, with `all`). Only collected here: the transaction is not
// shared across threads, and the linking runs beside index compression.
std::vector<pool::PoolLink> new_pool_links(const DbTxn& txn, const std::string& farm,
                                           Session& session, const FarmState& state, bool all)
{
  std::vector<pool::PoolLink> links;
  auto link_record = [&](std::string_view id) {
    auto record = txn.record(id);
    if (!record) {
      throw util::Error("database: farm {}: record {} is missing", farm, id);
    }
    for (auto& file : record->files) {
      links.emplace_back(std::move(file.sha256), std::move(file.pool_path));
    }
  };
  if (all) {
    for (const auto* dist : session.config().distributions_of(farm)) {
      txn.for_each_slot(farm, dist->codename, "", [&](std::string_view, std::string_view id) {
        link_record(id);
        return true;
      });
    }
    return links;
  }
  for (auto g = std::max(state.published, state.oldest_kept) + 1; g <= state.current; ++g) {
    auto generation = txn.generation(farm, g);
    if (!generation) {
      continue;
    }
    for (const auto& change : generation->changes) {
      if (!change.new_id.empty()) {
        link_record(change.new_id);
      }
    }
  }
  return links;
}

} // namespace

fs::path by_hash_path(const fs::path& dir, std::string_view entry_path, util::HashKind kind,
                      std::string_view digest)
{
  return dir / fs::path(entry_path).parent_path() / "by-hash" /
         std::string(util::release_field_name(kind)) / std::string(digest);
}

DirectoryName parse_directory_name(std::string_view name)
{
  DirectoryName out;
  const auto at = name.rfind('@');
  if (at == std::string_view::npos) {
    return out;
  }
  const auto* end = name.data() + name.size();
  const auto [after, ec] = std::from_chars(name.data() + at + 1, end, out.generation);
  if (ec != std::errc{}) {
    out.generation = 0;
    return out;
  }
  if (after != end && *after == '-') {
    std::uint64_t serial = 0;
    if (std::from_chars(after + 1, end, serial).ec == std::errc{}) {
      out.serial = serial;
    }
  }
  return out;
}

std::string config_digest(const Distribution& dist)
{
  return util::sha256_hex(dist.to_text());
}

void publish_after_change(Session& session, const std::string& farm, std::uint64_t generation,
                          IndexHeadStart* head_start)
{
  try {
    publish_farm(session, farm, PublishOptions{.head_start = head_start});
  } catch (const util::Error& e) {
    throw util::Error("farm {}: generation {} is recorded but not published: {} (fix it, then "
                      "run 'prepo publish {}')",
                      farm, generation, e.what(), farm);
  }
}

PublishResult publish_farm(Session& session, const std::string& farm_name,
                           const PublishOptions& options)
{
  auto& progress = session.progress();
  session.config().farm(farm_name); // an unknown farm is an error naming the known ones
  const auto dists = session.config().distributions_of(farm_name);
  PublishResult result;
  DbTxn txn(session.db(), util::lmdb::Txn::Mode::write);
  auto state = txn.farm_state(farm_name);

  if (!options.force && state.ever_published && state.published == state.current) {
    bool same = true;
    for (const auto* dist : dists) {
      auto published = txn.published(farm_name, dist->codename);
      same = same && published && still_current(*dist, *published);
    }
    if (same) {
      progress.note(fmt::format("nothing to publish: farm {} is published at generation {} and "
                                "nothing changed since",
                                farm_name, state.current));
      result.nothing_to_do = true;
      return result;
    }
  }
  if (dists.empty()) {
    progress.note(fmt::format("farm {} has no distributions: nothing to publish", farm_name));
    result.nothing_to_do = true;
    return result;
  }

  progress.start("listing new pool files", 0);
  pool::PoolLinker linker(
      session.store(), session.root().farm_dir(farm_name),
      new_pool_links(txn, farm_name, session, state, options.force || !state.ever_published));
  // The records read for the list need not stay mapped while a head start
  // still holds its plans and chunks.
  session.db().env().release_mapped_pages();
  progress.finish();
  std::optional<IndexHeadStart::Prepared> early;
  if (options.head_start != nullptr && options.head_start->serves(farm_name, state.current)) {
    progress.start("compressing indexes (begun before the change committed)", 0);
    early = options.head_start->take(farm_name, state.current);
    progress.finish();
  }

  progress.start("planning indexes", 0);

  auto plans_of = [&](const Distribution& dist) {
    if (early) {
      if (auto it = early->plans.find(dist.codename); it != early->plans.end()) {
        return std::move(it->second);
      }
    }
    return plan_indexes(txn, dist);
  };
  struct DistWork {
    const Distribution* dist;
    std::optional<PublishedDist> previous;
    std::vector<IndexPlan> plans;
  };
  std::vector<DistWork> work;
  std::vector<IndexPlan*> changed;
  for (const auto* dist : dists) {
    DistWork w{dist, txn.published(farm_name, dist->codename), plans_of(*dist)};
    bool differs = options.force || !w.previous || !still_current(*dist, *w.previous) ||
                   w.previous->indexes.size() != w.plans.size();
    for (auto& plan : w.plans) {
      if (w.previous) {
        for (const auto& index : w.previous->indexes) {
          if (index.path == plan.path) {
            plan.previous = &index;
          }
        }
      }
      differs = differs || plan.changed();
    }
    if (differs) {
      work.push_back(std::move(w));
    }
  }
  // Pointers into `work` are taken only once it no longer grows.
  for (auto& w : work) {
    for (auto& plan : w.plans) {
      if (plan.changed() || options.force) {
        changed.push_back(&plan);
      }
    }
  }
  // The plans hold their text: the records read for it need not stay mapped
  // while the indexes are compressed and written.
  session.db().env().release_mapped_pages();
  progress.finish();
  auto compressed = compress_chunks(txn, changed, progress,
                                    early ? std::move(early->compressed) : CompressedChunks{});
  early.reset();
  // Every pool file exists before any index that lists it is written.
  progress.start("linking pool files", 0);
  linker.wait();
  progress.finish();

  // Write every distribution's new directory first; switch the symlinks
  // only when all of them exist, then commit. A failure before the switch
  // leaves the published tree as it was (the sweep removes the new
  // directories); a kill after it leaves a tree the next publish redoes.
  const auto dists_dir = session.root().farm_dir(farm_name) / "dists";
  std::vector<PublishedDist> infos;
  try {
    for (auto& w : work) {
      progress.start(fmt::format("publishing {}", w.dist->full_name()), 0);
      DistPublisher publisher(session, *w.dist, txn, state.current);
      infos.push_back(publisher.write(w.plans, w.previous, compressed));
      while (infos.back().directories.size() > 3) {
        infos.back().directories.pop_back();
      }
      progress.finish();
    }
  } catch (...) {
    std::error_code ec;
    for (const auto& info : infos) {
      fs::remove_all(dists_dir / info.directories.front(), ec);
    }
    throw;
  }
  for (std::size_t i = 0; i < work.size(); ++i) {
    switch_to(dists_dir, work[i].dist->codename, infos[i].directories.front());
  }
  if (!work.empty()) {
    util::fsync_dir(dists_dir);
  }
  for (std::size_t i = 0; i < work.size(); ++i) {
    const auto& info = infos[i];
    // References first, releases second: a chunk shared by the old and the
    // new index must never drop to zero in between.
    for (const auto& index : info.indexes) {
      for (const auto& key : index.chunk_keys) {
        for (auto format : {Compression::gzip, Compression::xz}) {
          auto it = compressed.find({format, key});
          txn.ref_chunk(format, key, it == compressed.end() ? nullptr : &it->second, +1);
        }
      }
    }
    if (work[i].previous) {
      for (const auto& index : work[i].previous->indexes) {
        for (const auto& key : index.chunk_keys) {
          for (auto format : {Compression::gzip, Compression::xz}) {
            txn.ref_chunk(format, key, nullptr, -1);
          }
        }
      }
    }
    txn.put_published(farm_name, work[i].dist->codename, info);
    result.published.push_back(farm_name + "/" + info.directories.front());
  }
  // What the older retained directories show (by-hash keeps them for
  // clients mid-update) pins generations until retention expires them
  // (repo/retention.hpp).
  std::set<std::string> retained;
  for (const auto* dist : dists) {
    if (auto info = txn.published(farm_name, dist->codename)) {
      retained.insert(info->directories.begin(), info->directories.end());
    }
  }
  state.oldest_shown = oldest_shown(txn, farm_name, dists, state.current);
  state.published = state.current;
  state.ever_published = true;
  txn.put_farm_state(farm_name, state);
  progress.start("committing", 0);
  txn.commit();
  progress.finish();

  sweep_dists(dists_dir, retained);
  if (result.published.empty()) {
    progress.note(fmt::format("nothing to publish: farm {} indexes are unchanged", farm_name));
    result.nothing_to_do = true;
  }
  return result;
}

} // namespace prepo::repo
