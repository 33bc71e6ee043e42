// The stacking rules: a farm copies only from farms listed as its children,
// and the child relation never forms a cycle.
#pragma once

#include <string>
#include <vector>

#include "repo/config.hpp"

namespace prepo::stack {

// Error if making `child` a child of `parent` would be invalid: unknown
// farms, the farm itself, a child already listed, or a cycle (naming it).
void check_new_child(const repo::Config& config, const std::string& parent,
                     const std::string& child);

// Farms with no parent first, each followed by its children, indented:
// ("production", 0), ("rc", 1), ("dev", 2), ...
std::vector<std::pair<std::string, int>> farm_tree(const repo::Config& config);

} // namespace prepo::stack
