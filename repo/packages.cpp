#include "repo/packages.hpp"

#include <algorithm>
#include <fnmatch.h>
#include <set>
#include <tuple>

#include "repo/farm_update.hpp"
#include "repo/retention.hpp"
#include "util/error.hpp"

namespace prepo::repo {

std::vector<ListedPackage> list_packages(Reader& reader, const std::string& dist_name,
                                         const std::string& pattern)
{
  const auto& dist = reader.config.distribution(dist_name);
  DbTxn txn(reader.db, util::lmdb::Txn::Mode::read);
  std::vector<ListedPackage> out;
  txn.for_each_slot(dist.farm, dist.codename, "", [&](std::string_view key, std::string_view id) {
    auto slot = parse_slot_key(key);
    if (!pattern.empty() && fnmatch(pattern.c_str(), slot.name.c_str(), 0) != 0) {
      return true;
    }
    auto record = txn.record(id);
    if (!record) {
      throw util::Error("database: {}: record {} is missing", dist_name, id);
    }
    out.push_back(
        {slot.name, record->version, slot.architecture, slot.component, slot.type, txn.origin(id)});
    return true;
  });
  std::sort(out.begin(), out.end(), [](const ListedPackage& a, const ListedPackage& b) {
    return std::tie(a.name, a.architecture, a.component) <
           std::tie(b.name, b.architecture, b.component);
  });
  return out;
}

RemoveResult remove_packages(Session& session, const std::string& dist_name,
                             const std::vector<std::string>& names, const RemoveOptions& options)
{
  const auto& dist = session.config().distribution(dist_name);
  const auto& farm = session.config().farm(dist.farm);
  const std::set<std::string> wanted(names.begin(), names.end());
  DbTxn txn(session.db(), util::lmdb::Txn::Mode::write);
  std::vector<std::string> slots;
  std::set<std::string> found;
  txn.for_each_slot(dist.farm, dist.codename, "", [&](std::string_view key, std::string_view) {
    auto slot = parse_slot_key(key);
    if (wanted.contains(slot.name)) {
      slots.emplace_back(key);
      found.insert(slot.name);
    }
    return true;
  });
  for (const auto& name : names) {
    if (!found.contains(name)) {
      throw util::Error("{}: no package named '{}'", dist_name, name);
    }
  }
  FarmUpdate update(txn, farm, options.command);
  for (const auto& slot : slots) {
    update.clear(dist.codename, slot);
  }
  auto change = update.finish(options.publish);
  txn.commit();
  session.run_pending_unlinks();
  if (change.generation) {
    complete_change(session, farm.name, change.generation, options.publish);
  }
  return {change.removed, change.generation};
}

} // namespace prepo::repo
