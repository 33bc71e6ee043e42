// prepo promote CHILD PARENT: the parent's distributions become what the
// child holds (or, with --merge, gain the child's additions and upgrades),
// as one generation of the parent, copying the child's exact bytes.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "repo/session.hpp"
#include "stack/changes.hpp"

namespace prepo::stack {

struct PromotePlan {
  std::string child, parent;
  // Per distribution, in configuration order.
  std::vector<std::pair<std::string, std::vector<PackageChange>>> dists;
  // Why the promote would be refused (a clash, a package the parent's
  // distribution cannot publish): promote fails on the first, dry runs and
  // diff show them all.
  std::vector<std::string> problems;
  // The child and parent differ, but --merge/--only left nothing.
  bool filtered_out = false;
  ChangeCounts counts() const;
  bool empty() const { return counts().total() == 0; }
  // Removing or downgrading packages asks for confirmation.
  bool is_destructive() const;
};

struct PromoteOptions {
  std::optional<std::string> dist;
  bool merge = false;
  std::string only; // ECMAScript regex searched in source and binary names
  bool dry_run = false;
  bool publish = true;
  std::string command;
  // Shown the plan before anything changes (not called when it is empty).
  std::function<void(const PromotePlan&)> on_plan;
  // Asked when the plan removes or downgrades; false cancels (an Error).
  std::function<bool(const PromotePlan&)> confirm;
};

// What promote found and did. The plan's per-package list goes to on_plan
// before anything changes and is not kept: promoting 10,000 packages would
// otherwise hold their descriptions (~5 MB) while recording and publishing.
struct PromoteResult {
  ChangeCounts counts;
  std::vector<std::string> dists; // the distributions compared, in configuration order
  bool filtered_out = false;      // see PromotePlan
  std::uint64_t generation = 0;   // 0: nothing done (dry run or nothing to promote)
  bool empty() const { return counts.total() == 0; }
};

PromoteResult promote(repo::Session& session, const std::string& child, const std::string& parent,
                      const PromoteOptions& options);

// The plan alone, from a read transaction (prepo diff CHILD PARENT).
PromotePlan plan_promote(const repo::Config& config, const repo::DbTxn& txn,
                         const std::string& child, const std::string& parent,
                         const PromoteOptions& options);

} // namespace prepo::stack
