// Net changes between two package sets, as slot changes (old record id,
// new record id). Computed from what differs, never by materializing a
// whole archive: between two generations of a farm from the generation
// deltas in between; between a child and a parent farm by one ordered walk
// over both slot ranges.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "repo/database.hpp"

namespace prepo::stack {

struct SlotChange {
  std::string dist;
  std::string slot;
  std::string old_id; // "" when the slot is empty before
  std::string new_id; // "" when the slot is empty after
};

// What turns generation `from` of `farm` into generation `to` (either may
// be the larger). Error naming the generation if one was dropped.
std::vector<SlotChange> generation_delta(const repo::DbTxn& txn, std::string_view farm,
                                         std::uint64_t from, std::uint64_t to);

// What makes `parent`'s `dist` hold exactly what `child`'s holds.
std::vector<SlotChange> farm_delta(const repo::DbTxn& txn, std::string_view child,
                                   std::string_view parent, std::string_view dist);

} // namespace prepo::stack
