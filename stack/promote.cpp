#include "stack/promote.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "pool/store.hpp"
#include "repo/farm_update.hpp"
#include "repo/pool_names.hpp"
#include "repo/publish.hpp"
#include "repo/retention.hpp"
#include "stack/name_filter.hpp"
#include "util/error.hpp"
#include "util/memory.hpp"
#include "util/parallel.hpp"

namespace prepo::stack {

namespace {

bool wanted(const PromoteOptions& options, const NameFilter& only, const PackageChange& change)
{
  if (options.merge && change.kind != ChangeKind::added && change.kind != ChangeKind::upgraded) {
    return false;
  }
  return only.matches(change.name, change.source);
}

// Why the parent cannot take this change, or "" if it can: its
// distribution must publish the component and architecture, and its pool
// must not hold other bytes under the same names.
std::string refusal(const repo::DbTxn& txn, const repo::Distribution& target,
                    const PackageChange& change, const std::string& child)
{
  if (change.kind == ChangeKind::removed) {
    return {};
  }
  const auto what = fmt::format("{}/{}: {} {} ({})", child, target.codename, change.name,
                                change.new_version, change.architecture);
  if (!target.has_component(change.component)) {
    return fmt::format("{}: component {} is not in {}", what, change.component, target.full_name());
  }
  // As include decides: arch:all goes anywhere that publishes binaries.
  const bool takes_binaries = !target.architectures.empty();
  if (change.type == repo::RecordType::source
          ? !target.has_source
          : (change.architecture == "all" ? !takes_binaries
                                          : !target.has_architecture(change.architecture))) {
    return fmt::format("{}: architecture {} is not in {}", what, change.architecture,
                       target.full_name());
  }
  auto record = txn.record(change.slot.new_id);
  if (!record) {
    throw util::Error("database: record {} is missing", change.slot.new_id);
  }
  for (const auto& file : record->files) {
    if (auto clash = repo::find_pool_name_clash(txn, target, change.component, file)) {
      const auto& held = clash->held;
      return fmt::format(
          "{}/{}: {} {} with other bytes (SHA256 {} in {}, {} in {})", child, target.codename,
          file.pool_path,
          !clash->same_path ? fmt::format("is already in {}'s pool as {}", target.farm, clash->path)
          : held.retired    ? fmt::format("was published in {} before", target.farm)
                            : fmt::format("is already in {}'s pool", target.farm),
          held.sha256, target.farm, file.sha256, child);
    }
  }
  return {};
}

// Checks every file that arrives in the parent's pool (one it does not
// hold yet under that name) against its recorded SHA256 and size: the
// parent publishes the store's bytes, so they must still be the ones the
// child recorded. Returns how many were checked. Its working set (every
// arriving file's name and digest) is gone before the change is recorded.
std::size_t verify_arriving(repo::Session& session, const repo::DbTxn& txn, const PromotePlan& plan)
{
  auto& progress = session.progress();
  // Lookups first (a transaction is not shared across threads), then the
  // bytes of everything that arrives, hashed in parallel.
  std::vector<repo::RecordFile> arriving;
  for (const auto& [dist, changes] : plan.dists) {
    for (const auto& change : changes) {
      if (change.slot.new_id.empty()) {
        continue;
      }
      auto record = txn.record(change.slot.new_id);
      if (!record) {
        throw util::Error("database: record {} is missing", change.slot.new_id);
      }
      for (auto& file : record->files) {
        if (!txn.pool_ref(plan.parent, file.pool_path)) {
          arriving.push_back(std::move(file));
        }
      }
    }
  }
  progress.start("verifying files", arriving.size());
  std::vector<std::string> problems(arriving.size());
  util::parallel_for(arriving.size(), util::default_threads(), [&](std::size_t i) {
    const auto object = session.store().object_path(arriving[i].sha256);
    const auto sums = util::checksum_file(object);
    if (sums.sha256 != arriving[i].sha256 || sums.size != arriving[i].size) {
      problems[i] = fmt::format("{}: stored bytes of {} differ from their recorded SHA256 {} "
                                "(run prepo check); promote refused, nothing changed",
                                object.string(), arriving[i].pool_path, arriving[i].sha256);
    }
  });
  progress.advance(arriving.size());
  progress.finish();
  for (const auto& problem : problems) {
    if (!problem.empty()) {
      throw util::Error(problem);
    }
  }
  return arriving.size();
}

} // namespace

ChangeCounts PromotePlan::counts() const
{
  ChangeCounts total;
  for (const auto& [dist, changes] : dists) {
    total += count(changes);
  }
  return total;
}

bool PromotePlan::is_destructive() const
{
  const auto c = counts();
  return c.removed > 0 || c.downgraded > 0;
}

PromotePlan plan_promote(const repo::Config& config, const repo::DbTxn& txn,
                         const std::string& child, const std::string& parent,
                         const PromoteOptions& options)
{
  const auto& parent_farm = config.farm(parent);
  config.farm(child);
  if (child == parent) {
    throw util::Error("cannot promote farm {} into itself", child);
  }
  if (std::find(parent_farm.children.begin(), parent_farm.children.end(), child) ==
      parent_farm.children.end()) {
    throw util::Error("farm {} does not copy from {} (make it a child first: prepo farm "
                      "add-child {} {})",
                      parent, child, parent, child);
  }
  const NameFilter only(options.only);
  std::vector<const repo::Distribution*> sources;
  if (options.dist) {
    sources.push_back(&config.distribution(child + "/" + *options.dist));
  } else {
    sources = config.distributions_of(child);
    if (sources.empty()) {
      throw util::Error("farm {} has no distributions to promote", child);
    }
  }
  PromotePlan plan;
  plan.child = child;
  plan.parent = parent;
  for (const auto* source : sources) {
    const repo::Distribution* target = nullptr;
    for (const auto* d : config.distributions_of(parent)) {
      if (d->codename == source->codename) {
        target = d;
      }
    }
    if (!target) {
      throw util::Error("{} has no counterpart in farm {}: create it first (prepo dist add {}/{} "
                        "--components ... --architectures ...)",
                        source->full_name(), parent, parent, source->codename);
    }
    // Filtered in place: the plan lives until promote returns, and a second
    // vector grown by push_back would hold up to twice what it keeps.
    auto changes = describe(txn, farm_delta(txn, child, parent, source->codename), only.active());
    std::size_t kept = 0;
    for (auto& change : changes) {
      if (wanted(options, only, change)) {
        if (auto why = refusal(txn, *target, change, child); !why.empty()) {
          plan.problems.push_back(std::move(why));
        }
        if (&change != &changes[kept]) {
          changes[kept] = std::move(change);
        }
        ++kept;
      }
    }
    plan.filtered_out = plan.filtered_out || (kept == 0 && !changes.empty());
    changes.erase(changes.begin() + static_cast<std::ptrdiff_t>(kept), changes.end());
    changes.shrink_to_fit();
    plan.dists.emplace_back(source->codename, std::move(changes));
  }
  return plan;
}

PromoteResult promote(repo::Session& session, const std::string& child, const std::string& parent,
                      const PromoteOptions& options)
{
  auto& progress = session.progress();
  PromoteResult result;
  std::uint64_t generation = 0;
  {
    repo::DbTxn txn(session.db(), util::lmdb::Txn::Mode::write);
    auto plan = plan_promote(session.config(), txn, child, parent, options);
    result.counts = plan.counts();
    result.filtered_out = plan.filtered_out;
    for (const auto& [dist, changes] : plan.dists) {
      result.dists.push_back(dist);
    }
    if (plan.empty()) {
      progress.note(plan.filtered_out
                        ? fmt::format("nothing to promote: {} and {} differ, but not in what "
                                      "--merge/--only let through (prepo diff {} {} shows it all)",
                                      child, parent, child, parent)
                        : fmt::format("nothing to promote: {} already holds what {} has{}", parent,
                                      child, options.dist ? " for " + *options.dist : ""));
      return result;
    }
    if (options.on_plan) {
      options.on_plan(plan);
    }
    if (!plan.problems.empty()) {
      throw util::Error("{}; promote refused, nothing changed", plan.problems.front());
    }
    if (options.dry_run) {
      // It reads what the promote would read (and writes nothing), so a
      // damaged store object fails it with the promote's very error.
      verify_arriving(session, txn, plan);
      return result;
    }
    if (plan.is_destructive() && options.confirm && !options.confirm(plan)) {
      throw util::Error("promote {} {} cancelled: nothing changed", child, parent);
    }

    const auto verified = verify_arriving(session, txn, plan);
    const auto& parent_farm = session.config().farm(parent);
    repo::FarmUpdate update(txn, parent_farm, options.command);
    for (const auto& [dist, changes] : plan.dists) {
      for (const auto& change : changes) {
        if (change.slot.new_id.empty()) {
          update.clear(dist, change.slot.slot);
        } else {
          update.set_existing(dist, change.slot.slot, change.slot.new_id);
        }
      }
    }
    // The update holds what recording needs; the descriptions would only
    // sit beside the transaction's dirty pages, the peak of a promote.
    plan = {};
    auto change = update.finish(options.publish);
    txn.commit();
    generation = change.generation;
    progress.note(fmt::format("{} files verified", verified));
  }
  result.generation = generation;
  session.reopen_database();
  util::release_free_memory();
  session.run_pending_unlinks();
  if (generation) {
    repo::complete_change(session, parent, generation, options.publish);
  }
  return result;
}

} // namespace prepo::stack
