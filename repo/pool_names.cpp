#include "repo/pool_names.hpp"

namespace prepo::repo {

std::optional<PoolNameClash> find_pool_name_clash(const DbTxn& txn, const Distribution& dist,
                                                  std::string_view component,
                                                  const RecordFile& file)
{
  if (auto held = txn.pool_name(dist.farm, file.pool_path); held && held->sha256 != file.sha256) {
    return PoolNameClash{file.pool_path, std::move(*held), true};
  }
  // pool/<codename>/<component>/<prefix>/<source>/<name>; a component may
  // hold a slash ("updates/main"), so the rest is cut by length.
  const auto head = "pool/" + dist.codename + "/" + std::string(component);
  if (!file.pool_path.starts_with(head + "/")) {
    return std::nullopt;
  }
  const auto rest = std::string_view(file.pool_path).substr(head.size());
  for (const auto& other : dist.components) {
    if (other == component) {
      continue;
    }
    auto path = "pool/" + dist.codename + "/" + other + std::string(rest);
    if (auto held = txn.pool_name(dist.farm, path); held && held->sha256 != file.sha256) {
      return PoolNameClash{std::move(path), std::move(*held), false};
    }
  }
  return std::nullopt;
}

} // namespace prepo::repo
