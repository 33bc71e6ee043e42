// prepo rollback FARM [--to N]: the farm's package set becomes what it was
// at generation N (default: the one before the newest), recorded as a new
// generation and published with a new Date and signature; the pool bytes
// are the very ones generation N published.
#pragma once

#include <optional>
#include <string>

#include "repo/session.hpp"
#include "stack/changes.hpp"

namespace prepo::stack {

struct RollbackOptions {
  std::optional<std::uint64_t> to;
  bool publish = true;
  std::string command;
};

struct RollbackResult {
  std::uint64_t target = 0;
  std::uint64_t generation = 0; // 0: already in that state
  std::vector<PackageChange> changes;
};

RollbackResult rollback(repo::Session& session, const std::string& farm,
                        const RollbackOptions& options);

} // namespace prepo::stack
