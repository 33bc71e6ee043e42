// Text renderings of package changes, shared by promote, diff and rollback.
#pragma once

#include <string>
#include <vector>

#include "stack/changes.hpp"
#include "stack/promote.hpp"

namespace prepo::cli {

using ChangesPerDist = std::vector<std::pair<std::string, std::vector<stack::PackageChange>>>;

// Changes grouped by distribution, the distributions by name.
ChangesPerDist by_distribution(std::vector<stack::PackageChange> changes);

// "+ name 1.0-1 (amd64, main)" lines per distribution, then counts.
// At most `limit` package lines (0: all), then how many more there are.
void print_changes(const std::string& heading, const std::vector<stack::PackageChange>& changes,
                   std::size_t limit = 0);
// Each distribution's changes under its name, then a "total:" line; with a
// heading, the distributions are indented under it. diff, promote and
// rollback print their changes this way.
void print_per_dist(const std::string& heading, const ChangesPerDist& per_dist,
                    std::size_t limit = 0);
void print_plan(const stack::PromotePlan& plan, bool dry_run);
std::string counts_line(const stack::ChangeCounts& c);
std::string changes_json(const std::string& dist, const std::vector<stack::PackageChange>& changes);

} // namespace prepo::cli
