// A file name means one byte string in a whole distribution (the brief):
// the same name in two components of one distribution is one name, though
// the two pool paths differ (pool/<dist>/<component>/...).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "repo/config.hpp"
#include "repo/database.hpp"
#include "repo/record.hpp"

namespace prepo::repo {

struct PoolNameClash {
  std::string path;       // the pool path holding other bytes
  DbTxn::PoolName held;   // what it stands for
  bool same_path = false; // `file`'s own path (--replace may take it), not a sibling's
};

// The first pool name that would give `file` (a file of a record in
// `component` of `dist`) a second byte string: its own path, then the
// same name in every other component. Nothing when there is none.
std::optional<PoolNameClash> find_pool_name_clash(const DbTxn& txn, const Distribution& dist,
                                                  std::string_view component,
                                                  const RecordFile& file);

} // namespace prepo::repo
