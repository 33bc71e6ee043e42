#include "repo/retention.hpp"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "repo/farm_update.hpp"
#include "repo/publish.hpp"
#include "util/error.hpp"
#include "util/file.hpp"

namespace prepo::repo {

namespace {

// The oldest state retention aims to keep: the last `keep` (at least three;
// by-hash serves the two publishes before the current one), but never past
// the published generation (a publish still to come walks the changes after
// it).
std::uint64_t window_start(const FarmState& state, std::uint64_t keep)
{
  keep = std::max<std::uint64_t>(keep, 3);
  const auto start = state.current + 1 > keep ? state.current + 1 - keep : 0;
  return std::min(start, state.published);
}

// How many of a distribution's retained directories (newest first) stay:
// the current one, and each older one while the publish that replaced it
// (the directory before it) is inside the window. Measured from the
// replacement, not from what the directory shows: a directory that was
// current until a moment ago serves clients mid-update however old its
// packages are, and a --no-publish stretch must not expire it.
std::size_t directories_staying(const PublishedDist& info, std::uint64_t start)
{
  std::size_t n = info.directories.empty() ? 0 : 1;
  while (n < info.directories.size() &&
         parse_directory_name(info.directories[n - 1]).generation >= start) {
    ++n;
  }
  return n;
}

void remove_tree(const fs::path& path)
{
  std::error_code ec;
  fs::remove_all(path, ec);
  if (ec) {
    throw util::Error("cannot remove {}: {}", path.string(), ec.message());
  }
}

// Takes the publishes of `info` past the first `staying` out of the tree:
// their files leave the by-hash of the directories that stay (unless a
// staying publish lists the same bytes there), then their directories go.
void expire(const fs::path& dists_dir, const PublishedDist& info, std::size_t staying)
{
  auto key = [](const ReleaseEntry& entry) {
    return std::pair(fs::path(entry.path).parent_path().string(), entry.checksums.sha256);
  };
  std::set<std::pair<std::string, std::string>> served;
  for (std::size_t i = 0; i < staying && i < info.recent.size(); ++i) {
    for (const auto& entry : info.recent[i]) {
      served.insert(key(entry));
    }
  }
  for (std::size_t i = staying; i < info.recent.size(); ++i) {
    for (const auto& entry : info.recent[i]) {
      if (served.contains(key(entry))) {
        continue;
      }
      for (std::size_t d = 0; d < staying; ++d) {
        for (auto kind : util::all_hash_kinds) {
          util::remove_file_if_exists(by_hash_path(dists_dir / info.directories[d], entry.path,
                                                   kind, entry.checksums.get(kind)));
        }
      }
    }
  }
  for (std::size_t i = staying; i < info.directories.size(); ++i) {
    remove_tree(dists_dir / info.directories[i]);
  }
}

// Expires the older directories of `farm` that are outside the window and
// returns how many; the database learns it in `txn`, the tree before.
std::size_t expire_directories(Session& session, DbTxn& txn, const std::string& farm,
                               FarmState& state, std::uint64_t keep)
{
  const auto start = window_start(state, keep);
  const auto dists = session.config().distributions_of(farm);
  const auto dists_dir = session.root().farm_dir(farm) / "dists";
  std::size_t expired = 0;
  for (const auto* dist : dists) {
    auto info = txn.published(farm, dist->codename);
    if (!info) {
      continue;
    }
    const auto staying = directories_staying(*info, start);
    if (staying == info->directories.size()) {
      continue;
    }
    expire(dists_dir, *info, staying);
    expired += info->directories.size() - staying;
    info->directories.resize(staying);
    info->recent.resize(std::min(info->recent.size(), staying));
    txn.put_published(farm, dist->codename, *info);
  }
  if (expired > 0) {
    // Durably gone before any file they list can be unlinked.
    util::sync_filesystem(dists_dir);
    state.oldest_shown = oldest_shown(txn, farm, dists, state.current);
    txn.put_farm_state(farm, state);
  }
  return expired;
}

} // namespace

std::uint64_t oldest_shown(const DbTxn& txn, const std::string& farm,
                           const std::vector<const Distribution*>& dists, std::uint64_t current)
{
  std::uint64_t oldest = current;
  for (const auto* dist : dists) {
    if (auto info = txn.published(farm, dist->codename)) {
      for (std::size_t i = 1; i < info->directories.size(); ++i) {
        oldest = std::min(oldest, parse_directory_name(info->directories[i]).generation);
      }
    }
  }
  return oldest;
}

RetentionResult apply_retention(Session& session, const std::vector<std::string>& farms,
                                std::optional<std::uint64_t> keep)
{
  for (const auto& name : farms) {
    session.config().farm(name); // an unknown farm is an error before anything changes
  }
  RetentionResult result;
  {
    DbTxn txn(session.db(), util::lmdb::Txn::Mode::write);
    const auto pending_before = txn.pending_unlinks().size();
    for (const auto& name : farms) {
      const auto& farm = session.config().farm(name);
      const auto wanted = keep.value_or(farm.keep_generations);
      auto state = txn.farm_state(name);
      result.directories_expired += expire_directories(session, txn, name, state, wanted);
      FarmUpdate update(txn, farm, "");
      result.generations_dropped += update.drop_generations(wanted);
    }
    result.files_unlinked = txn.pending_unlinks().size() - pending_before;
    // Most commands have nothing to drop: no commit (and no flush) then.
    if (result.generations_dropped > 0 || result.directories_expired > 0) {
      txn.commit();
    }
  }
  session.run_pending_unlinks();
  return result;
}

void complete_change(Session& session, const std::string& farm, std::uint64_t generation,
                     bool publish, IndexHeadStart* head_start)
{
  if (publish) {
    try {
      publish_after_change(session, farm, generation, head_start);
    } catch (const util::Error&) {
      // The tree still shows what it showed, which retention protects:
      // old generations go all the same. The publish error is the one to
      // report.
      try {
        apply_retention(session, {farm});
      } catch (const util::Error&) {
      }
      throw;
    }
  }
  try {
    apply_retention(session, {farm});
  } catch (const util::Error& e) {
    throw util::Error("farm {}: generation {} is recorded{}, but old generations were not "
                      "dropped: {} ('prepo gc {}' drops them)",
                      farm, generation, publish ? " and published" : "", e.what(), farm);
  }
}

} // namespace prepo::repo
