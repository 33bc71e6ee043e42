#include "stack/farm_graph.hpp"

#include <algorithm>
#include <functional>
#include <set>

#include "util/error.hpp"

namespace prepo::stack {

namespace {

// The path from `from` down to `to` through children, or empty.
std::vector<std::string> find_path(const repo::Config& config, const std::string& from,
                                   const std::string& to, std::set<std::string>& seen)
{
  if (from == to) {
    return {to};
  }
  if (!seen.insert(from).second) {
    return {};
  }
  const auto* farm = config.find_farm(from);
  for (const auto& child : farm ? farm->children : std::vector<std::string>{}) {
    auto path = find_path(config, child, to, seen);
    if (!path.empty()) {
      path.insert(path.begin(), from);
      return path;
    }
  }
  return {};
}

} // namespace

void check_new_child(const repo::Config& config, const std::string& parent,
                     const std::string& child)
{
  const auto& p = config.farm(parent);
  config.farm(child);
  if (parent == child) {
    throw util::Error("farm {} cannot be its own child", parent);
  }
  if (std::find(p.children.begin(), p.children.end(), child) != p.children.end()) {
    throw util::Error("farm {} already has {} as a child", parent, child);
  }
  std::set<std::string> seen;
  auto path = find_path(config, child, parent, seen);
  if (!path.empty()) {
    std::string cycle = parent;
    for (const auto& farm : path) {
      cycle += " -> " + farm;
    }
    throw util::Error("making {} a child of {} would close a cycle: {}", child, parent, cycle);
  }
}

std::vector<std::pair<std::string, int>> farm_tree(const repo::Config& config)
{
  std::set<std::string> has_parent;
  for (const auto& farm : config.farms()) {
    has_parent.insert(farm.children.begin(), farm.children.end());
  }
  std::vector<std::pair<std::string, int>> out;
  std::function<void(const std::string&, int, std::set<std::string>&)> walk =
      [&](const std::string& name, int depth, std::set<std::string>& path) {
        out.emplace_back(name, depth);
        const auto* farm = config.find_farm(name);
        if (!farm || !path.insert(name).second) {
          return;
        }
        for (const auto& child : farm->children) {
          walk(child, depth + 1, path);
        }
        path.erase(name);
      };
  for (const auto& farm : config.farms()) {
    if (!has_parent.contains(farm.name)) {
      std::set<std::string> path;
      walk(farm.name, 0, path);
    }
  }
  return out;
}

} // namespace prepo::stack
