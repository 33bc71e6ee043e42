// Retention: how much of its past a farm keeps, and when the rest goes.
//
// A farm keeps its last Keep-Generations states (at least three), the
// published one and everything after it, and whatever an older retained
// dists/<dist>@N directory shows (apt clients mid-update read it: its
// InRelease, then indexes by-hash through dists/<dist>). Retention drops
// the generations before that and the files only they used.
//
// An older retained directory is bounded too: it stays while the publish
// that replaced it is inside the keep window, then it expires. Otherwise a
// distribution that stops changing after two publishes keeps its previous
// directory (and with it every generation since) for the farm's whole life.
// Expiring removes the directory, and its indexes from the by-hash of its
// distribution's remaining directories, before the generations and files
// it needed are dropped: no index reachable in the tree ever names a pool
// file that is gone. Pinning only the files that directory lists instead
// would need a second kind of reference count (every record of every
// retained publish, checked by prepo check) and would still keep, for as
// long as the distribution stays quiet, files for an index that no client
// mid-update has read since Keep-Generations changes ago.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "repo/session.hpp"

namespace prepo::repo {

class IndexHeadStart; // repo/index_plan.hpp

struct RetentionResult {
  std::size_t generations_dropped = 0; // the empty farm, generation 0, included
  std::size_t files_unlinked = 0;      // pool links and stored objects
  std::size_t directories_expired = 0; // older retained dists/<dist>@N
};

// Applies retention to each farm, keeping `keep` states (default: the
// farm's Keep-Generations) in one transaction, then unlinks what lost its
// last reference. Expired directories are removed (and flushed) before the
// transaction commits: a kill in between leaves them listed but absent,
// which the next retention or publish takes in its stride.
RetentionResult apply_retention(Session& session, const std::vector<std::string>& farms,
                                std::optional<std::uint64_t> keep = std::nullopt);

// The last step of a command that recorded generation `generation` of
// `farm`: publish it (when `publish`), then apply the farm's retention.
// Retention runs after the publish because the publish retires the oldest
// retained directory, which may be what held the oldest generation.
void complete_change(Session& session, const std::string& farm, std::uint64_t generation,
                     bool publish, IndexHeadStart* head_start = nullptr);

// The oldest generation an older retained directory (not a current one) of
// `farm`'s distributions shows, or `current` if none does. A current
// directory shows what its distribution's slots hold at the published
// generation, which retention keeps anyway.
std::uint64_t oldest_shown(const DbTxn& txn, const std::string& farm,
                           const std::vector<const Distribution*>& dists, std::uint64_t current);

} // namespace prepo::repo
