#include "cli/render_changes.hpp"

#include <cstdio>
#include <map>

#include <fmt/format.h>

#include "cli/context.hpp"

namespace prepo::cli {

namespace {

std::string_view marker(stack::ChangeKind kind)
{
  switch (kind) {
  case stack::ChangeKind::added:
    return "+";
  case stack::ChangeKind::upgraded:
    return "^";
  case stack::ChangeKind::downgraded:
    return "v";
  case stack::ChangeKind::rebuilt:
    return "~";
  case stack::ChangeKind::removed:
    return "-";
  }
  return "?";
}

std::string describe(const stack::PackageChange& c)
{
  std::string versions = c.kind == stack::ChangeKind::added ? c.new_version
                         : c.kind == stack::ChangeKind::removed
                             ? c.old_version
                             : c.old_version + " -> " + c.new_version;
  return fmt::format("{} {} {} ({}, {}{})", marker(c.kind), c.name, versions, c.architecture,
                     c.component, c.kind == stack::ChangeKind::rebuilt ? ", other bytes" : "");
}

} // namespace

std::string counts_line(const stack::ChangeCounts& c)
{
  return fmt::format("{} added, {} upgraded, {} downgraded, {} rebuilt, {} removed", c.added,
                     c.upgraded, c.downgraded, c.rebuilt, c.removed);
}

void print_changes(const std::string& heading, const std::vector<stack::PackageChange>& changes,
                   std::size_t limit)
{
  std::string out = heading + ":\n";
  const auto shown = limit == 0 ? changes.size() : std::min(limit, changes.size());
  for (std::size_t i = 0; i < shown; ++i) {
    out += "  " + describe(changes[i]) + "\n";
  }
  if (shown < changes.size()) {
    out += fmt::format("  ... and {} more ('prepo diff' lists them all)\n", changes.size() - shown);
  }
  out += "  " + counts_line(stack::count(changes)) + "\n";
  fmt::print("{}", out);
}

ChangesPerDist by_distribution(std::vector<stack::PackageChange> changes)
{
  std::map<std::string, std::vector<stack::PackageChange>> grouped;
  for (auto& c : changes) {
    grouped[c.slot.dist].push_back(std::move(c));
  }
  ChangesPerDist out;
  for (auto& [dist, list] : grouped) {
    out.emplace_back(dist, std::move(list));
  }
  return out;
}

void print_per_dist(const std::string& heading, const ChangesPerDist& per_dist, std::size_t limit)
{
  if (!heading.empty()) {
    fmt::print("{}:\n", heading);
  }
  const std::string indent = heading.empty() ? "" : "  ";
  stack::ChangeCounts total;
  for (const auto& [dist, changes] : per_dist) {
    print_changes(indent + dist, changes, limit);
    total += stack::count(changes);
  }
  fmt::print("total: {}\n", counts_line(total));
}

void print_plan(const stack::PromotePlan& plan, bool dry_run)
{
  print_per_dist(
      fmt::format("{} {} -> {}", dry_run ? "would promote" : "promoting", plan.child, plan.parent),
      plan.dists, 50);
  for (const auto& problem : plan.problems) {
    fmt::print("would be refused: {}\n", problem);
  }
  std::fflush(stdout);
}

std::string changes_json(const std::string& dist, const std::vector<stack::PackageChange>& changes)
{
  std::string out = fmt::format("{{\"distribution\":{},\"changes\":[", json_quote(dist));
  for (std::size_t i = 0; i < changes.size(); ++i) {
    const auto& c = changes[i];
    out += fmt::format("{}{{\"kind\":\"{}\",\"name\":{},\"architecture\":{},\"component\":{},"
                       "\"old_version\":{},\"new_version\":{}}}",
                       i ? "," : "", stack::to_string(c.kind), json_quote(c.name),
                       json_quote(c.architecture), json_quote(c.component),
                       json_quote(c.old_version), json_quote(c.new_version));
  }
  return out + "]}";
}

} // namespace prepo::cli
