#include "stack/delta.hpp"

#include <map>

#include "util/error.hpp"

namespace prepo::stack {

std::vector<SlotChange> generation_delta(const repo::DbTxn& txn, std::string_view farm,
                                         std::uint64_t from, std::uint64_t to)
{
  const auto state = txn.farm_state(farm);
  for (auto g : {from, to}) {
    if (g > state.current) {
      throw util::Error("farm {} has no generation {} (newest: {})", farm, g, state.current);
    }
    if (g < state.oldest_kept) {
      throw util::Error("farm {}: generation {} was dropped (oldest kept: {})", farm, g,
                        state.oldest_kept);
    }
  }
  const bool forward = from <= to;
  const auto low = forward ? from : to;
  const auto high = forward ? to : from;
  // Per slot: the value at `low` (old of the first change after it) and at
  // `high` (new of the last change up to it).
  std::map<std::pair<std::string, std::string>, std::pair<std::string, std::string>> net;
  for (auto g = low + 1; g <= high; ++g) {
    auto generation = txn.generation(farm, g);
    if (!generation) {
      throw util::Error("farm {}: generation {} is missing from the database", farm, g);
    }
    for (auto& change : generation->changes) {
      auto [it, fresh] = net.try_emplace({change.dist, change.slot}, change.old_id, "");
      it->second.second = std::move(change.new_id);
    }
  }
  std::vector<SlotChange> out;
  for (auto& [key, values] : net) {
    auto& [at_low, at_high] = values;
    if (at_low == at_high) {
      continue;
    }
    out.push_back(forward ? SlotChange{key.first, key.second, at_low, at_high}
                          : SlotChange{key.first, key.second, at_high, at_low});
  }
  return out;
}

std::vector<SlotChange> farm_delta(const repo::DbTxn& txn, std::string_view child,
                                   std::string_view parent, std::string_view dist)
{
  // Both ranges are sorted by slot key; collecting the smaller side's
  // differences in one pass keeps this linear and allocation-light.
  std::vector<std::pair<std::string, std::string>> theirs;
  txn.for_each_slot(child, dist, "", [&](std::string_view slot, std::string_view id) {
    theirs.emplace_back(slot, id);
    return true;
  });
  std::vector<SlotChange> out;
  std::size_t i = 0;
  txn.for_each_slot(parent, dist, "", [&](std::string_view slot, std::string_view id) {
    while (i < theirs.size() && theirs[i].first < slot) {
      out.push_back({std::string(dist), theirs[i].first, "", theirs[i].second});
      ++i;
    }
    if (i < theirs.size() && theirs[i].first == slot) {
      if (theirs[i].second != id) {
        out.push_back({std::string(dist), std::string(slot), std::string(id), theirs[i].second});
      }
      ++i;
    } else {
      out.push_back({std::string(dist), std::string(slot), std::string(id), ""});
    }
    return true;
  });
  for (; i < theirs.size(); ++i) {
    out.push_back({std::string(dist), theirs[i].first, "", theirs[i].second});
  }
  return out;
}

} // namespace prepo::stack
