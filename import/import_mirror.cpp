#include "import/import_mirror.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <unistd.h>

#include <fmt/format.h>

#include "import/fetch_plan.hpp"
#include "import/mirror_index.hpp"
#include "import/source_url.hpp"
#include "pool/store.hpp"
#include "repo/farm_update.hpp"
#include "repo/include.hpp"
#include "repo/pending_distributions.hpp"
#include "repo/publish.hpp"
#include "repo/retention.hpp"
#include "repo/version.hpp"
#include "stack/name_filter.hpp"
#include "util/error.hpp"
#include "util/file.hpp"
#include "util/hash.hpp"

namespace prepo::import {

namespace {

// Everything one remote distribution lists, verified, before a byte of a
// package is fetched.
struct DistPlan {
  MirrorDist dist;
  MirrorRelease release;
  std::vector<RemotePackage> packages;
  repo::ImportMark mark; // what a complete import of it records
  // The mark matches: nothing to read or do, and `packages` is empty (not
  // a list of what the mirror holds: nothing may be removed for it).
  bool unchanged = false;
  std::size_t held = 0;    // when unchanged: the packages the farm holds from it
  std::size_t refused = 0; // listings refused before any fetch (failures, counted as listed)
  // A distribution the farm lacks, made from the Release. It joins
  // conf/distributions with this import's commit, not before.
  std::optional<repo::Distribution> created;
};

// What a rerun must match to skip a distribution: the same mirror and
// distribution, the same local configuration and options, the same
// verified Release bytes.
repo::ImportMark mark_for(const ImportMirrorOptions& options, const MirrorDist& md,
                          const repo::Distribution& dist, const MirrorRelease& release)
{
  repo::ImportMark m;
  m.source = fmt::format("{}\n{}\n{}\n{}{}{}{}\n{}\n{}\n{}", options.mirror_url, md.remote,
                         util::sha256_hex(dist.to_text()), options.only_missing ? 'm' : '-',
                         options.prefer_mirror ? 'p' : '-', options.exact ? 'x' : '-',
                         options.udebs ? 'u' : '-', options.only,
                         fmt::join(options.components, ","), fmt::join(options.architectures, ","));
  m.release_sha256 = util::sha256_hex(release.text);
  return m;
}

bool wanted(const std::vector<std::string>& only, const std::string& item)
{
  return only.empty() || std::find(only.begin(), only.end(), item) != only.end();
}

// --components / --architectures name what the mirror's Release offers.
void check_narrowing(const ImportMirrorOptions& options, const MirrorRelease& release)
{
  auto offered = [&](const std::vector<std::string>& listed, const std::vector<std::string>& asked,
                     std::string_view what) {
    for (const auto& item : asked) {
      if (std::find(listed.begin(), listed.end(), item) == listed.end()) {
        throw util::Error("{}/Release: no {} '{}' (it lists: {})", release.dist_url, what, item,
                          fmt::join(listed, ", "));
      }
    }
  };
  std::vector<std::string> components;
  for (const auto& c : release.components) {
    components.push_back(local_component(c));
  }
  offered(components, options.components, "component");
  auto architectures = release.architectures;
  // Not every Release lists "source" among its architectures when it has Sources.
  architectures.push_back("source");
  offered(architectures, options.architectures, "architecture");
}

std::uint64_t count_slots(const repo::DbTxn& txn, const std::string& farm, const std::string& dist)
{
  std::uint64_t n = 0;
  txn.for_each_slot(farm, dist, "", [&](std::string_view, std::string_view) {
    ++n;
    return true;
  });
  return n;
}

// A distribution the farm does not have yet is made from the mirror's
// Release: the same components, architectures and descriptive fields,
// narrowed by --components and --architectures. Returned as `config`
// would hold it (checked as loading conf/ checks it), but not added.
repo::Distribution make_distribution(const repo::Config& config, const ImportMirrorOptions& options,
                                     const std::string& local, const MirrorRelease& release,
                                     const std::vector<IndexRef>& indexes)
{
  repo::Distribution d;
  d.farm = options.farm;
  d.codename = local;
  d.origin = std::string(release.fields.get("Origin").value_or(""));
  d.label = std::string(release.fields.get("Label").value_or(""));
  d.suite = std::string(release.fields.get("Suite").value_or(""));
  d.version = std::string(release.fields.get("Version").value_or(""));
  d.description = std::string(release.fields.get("Description").value_or(""));
  for (const auto& remote : release.components) {
    const auto component = local_component(remote);
    if (wanted(options.components, component) &&
        std::find(d.components.begin(), d.components.end(), component) == d.components.end()) {
      d.components.push_back(component);
    }
  }
  for (const auto& arch : release.architectures) {
    if (arch == "source") {
      d.has_source = wanted(options.architectures, arch);
    } else if (wanted(options.architectures, arch) &&
               std::find(d.architectures.begin(), d.architectures.end(), arch) ==
                   d.architectures.end()) {
      d.architectures.push_back(arch);
    }
  }
  for (const auto& index : indexes) {
    d.has_source = d.has_source || (index.type == repo::RecordType::source &&
                                    wanted(options.architectures, "source"));
  }
  if (d.components.empty()) {
    throw util::Error("{}/Release: no Components field, so {}/{} cannot be made from it",
                      release.dist_url, options.farm, local);
  }
  auto probe = config;
  probe.add_distribution(d);
  return probe.distribution(d.full_name());
}

std::string added_note(const repo::Distribution& d)
{
  auto architectures = d.architectures;
  if (d.has_source) {
    architectures.push_back("source");
  }
  return fmt::format("distribution {} added with components {} and architectures {} from the "
                     "mirror's Release",
                     d.full_name(), fmt::join(d.components, ", "), fmt::join(architectures, ", "));
}

// The indexes of the Release that the local distribution can hold and
// the options ask for. What is skipped is said in one line, not one per
// index: a Debian Release lists over a hundred.
std::vector<IndexRef> wanted_indexes(const repo::Distribution& dist,
                                     const ImportMirrorOptions& options,
                                     const std::vector<IndexRef>& all, util::Progress& progress)
{
  std::vector<IndexRef> out;
  std::set<std::string> skipped_components, skipped_architectures;
  bool skipped_udebs = false;
  for (const auto& index : all) {
    const bool source = index.type == repo::RecordType::source;
    if (!options.udebs && index.type == repo::RecordType::udeb) {
      skipped_udebs = true;
    } else if (!dist.has_component(index.component) ||
               !wanted(options.components, index.component)) {
      skipped_components.insert(index.component);
    } else if (!(source ? dist.has_source : dist.has_architecture(index.architecture)) ||
               !wanted(options.architectures, index.architecture)) {
      skipped_architectures.insert(index.architecture);
    } else {
      out.push_back(index);
    }
  }
  if (out.size() < all.size()) {
    std::vector<std::string> what;
    if (!skipped_components.empty()) {
      what.push_back(fmt::format("components {}", fmt::join(skipped_components, ", ")));
    }
    if (!skipped_architectures.empty()) {
      what.push_back(fmt::format("architectures {}", fmt::join(skipped_architectures, ", ")));
    }
    if (skipped_udebs) {
      what.push_back("debian-installer (udebs)");
    }
    progress.note(fmt::format("{}: reading {} of the mirror's {} indexes; not {}", dist.full_name(),
                              out.size(), all.size(), fmt::join(what, "; ")));
  }
  return out;
}

DistPlan read_remote_dist(repo::Session& session, util::http::Fetcher& fetcher,
                          const ImportMirrorOptions& options, const MirrorDist& md,
                          std::vector<std::string>& failures)
{
  auto& progress = session.progress();
  DistPlan plan{
      md,    fetch_release(fetcher, options.mirror_url, md.remote, options.trust, progress),
      {},    {},
      false, 0,
      0,     std::nullopt};
  check_narrowing(options, plan.release);
  const auto all = list_indexes(plan.release);
  const auto full_name = options.farm + "/" + md.local;
  const auto* existing = [&]() -> const repo::Distribution* {
    for (const auto* d : session.config().distributions_of(options.farm)) {
      if (d->codename == md.local) {
        return d;
      }
    }
    return nullptr;
  }();
  if (!existing) {
    plan.created = make_distribution(session.config(), options, md.local, plan.release, all);
  }
  const auto& dist = plan.created ? *plan.created : *existing;
  plan.mark = mark_for(options, md, dist, plan.release);
  {
    repo::DbTxn txn(session.db(), util::lmdb::Txn::Mode::read);
    const auto held = txn.import_mark(options.farm, md.local);
    if (held && held->source == plan.mark.source &&
        held->release_sha256 == plan.mark.release_sha256 &&
        held->generation == txn.farm_state(options.farm).current) {
      plan.unchanged = true;
      // The mirror lists exactly what the last import recorded.
      plan.held = held->slots ? *held->slots : count_slots(txn, options.farm, md.local);
      progress.note(fmt::format("{}: the mirror's Release is the one last imported and {} has "
                                "not changed since: nothing to do",
                                full_name, options.farm));
      return plan;
    }
  }
  // An arch:all package is listed in every binary index; one copy is
  // enough. A distribution holds one version of a package per slot: where
  // an index lists several (some dak-style archives do), the newest wins.
  std::map<std::string, std::size_t> by_slot;
  const stack::NameFilter only(options.only);
  NameKeep keep;
  if (only.active()) {
    keep = [&only](std::string_view name, std::string_view source) {
      return only.matches(name, source);
    };
  }
  for (const auto& index : wanted_indexes(dist, options, all, progress)) {
    auto entries =
        read_index_entries(fetch_index(fetcher, plan.release, index, options.max_index_size), index,
                           plan.release.dist_url + "/" + index.path, keep);
    plan.refused += entries.problems.size();
    for (auto& problem : entries.problems) {
      failures.push_back(std::move(problem));
    }
    for (auto& p : entries.packages) {
      const auto slot = repo::slot_key(p.component, p.type, p.name, p.architecture);
      auto [it, fresh] = by_slot.try_emplace(slot, plan.packages.size());
      if (fresh) {
        plan.packages.push_back(std::move(p));
        continue;
      }
      auto& held = plan.packages[it->second];
      if (held.version == p.version) {
        if (held.files.front().sha256 != p.files.front().sha256) {
          ++plan.refused;
          failures.push_back(fmt::format("{}: {} {} ({}) is listed twice with other bytes ({} "
                                         "and {}); the first is imported",
                                         plan.release.dist_url, p.name, p.version, p.architecture,
                                         held.files.front().sha256, p.files.front().sha256));
        }
        continue; // the same package again: arch:all is in every binary index
      }
      const bool newer = repo::compare_versions(p.version, held.version) > 0;
      progress.note(fmt::format("{} lists {} ({}) as {} and {}; importing {}",
                                plan.release.dist_url, p.name, p.architecture, held.version,
                                p.version, newer ? p.version : held.version));
      if (newer) {
        held = std::move(p);
      }
    }
  }
  return plan;
}

std::string describe(const RemotePackage& p)
{
  return fmt::format("{} {} ({})", p.name, p.version, p.architecture);
}

// include's advice for a clash names its own option; here the way out is
// to take the mirror's bytes.
std::string with_mirror_advice(std::string message)
{
  if (const auto at = message.rfind(pool::clash_advice); at != std::string::npos) {
    message.replace(at, pool::clash_advice.size(),
                    "to take the mirror's bytes instead, import with --prefer-mirror");
  }
  return message;
}

// With `exact`: the slots of the distribution the mirror does not list
// are cleared, as one more generation.
std::size_t remove_unlisted(repo::Session& session, const ImportMirrorOptions& options,
                            const DistPlan& plan)
{
  if (plan.unchanged) {
    return 0; // the mirror lists what the last import recorded; `packages` was never read
  }
  std::set<std::string> listed;
  for (const auto& p : plan.packages) {
    listed.insert(repo::slot_key(p.component, p.type, p.name, p.architecture));
  }
  repo::DbTxn txn(session.db(), util::lmdb::Txn::Mode::write);
  std::vector<std::string> gone;
  txn.for_each_slot(options.farm, plan.dist.local, "", [&](std::string_view key, std::string_view) {
    if (!listed.contains(std::string(key))) {
      gone.emplace_back(key);
    }
    return true;
  });
  if (gone.empty()) {
    return 0;
  }
  repo::FarmUpdate update(txn, session.config().farm(options.farm), options.command);
  for (const auto& slot : gone) {
    update.clear(plan.dist.local, slot);
  }
  update.finish(options.publish);
  txn.commit();
  session.run_pending_unlinks();
  repo::apply_retention(session, {options.farm});
  return gone.size();
}

} // namespace

ImportReport import_mirror(repo::Session& session, const ImportMirrorOptions& given)
{
  auto options = given;
  for (auto& component : options.components) {
    component = local_component(component); // "updates/main" or "main": the same
  }
  auto& progress = session.progress();
  session.config().farm(options.farm);
  check_source_url(options.mirror_url, "");
  if (options.dists.empty()) {
    throw util::Error("{}: no --dist given (a mirror has no list of its distributions)",
                      options.mirror_url);
  }
  for (std::size_t i = 0; i < options.dists.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (options.dists[i].local == options.dists[j].local) {
        throw util::Error("--dist {} and --dist {} both fill {}/{}: one distribution of the "
                          "farm holds one of the mirror's",
                          options.dists[j].remote, options.dists[i].remote, options.farm,
                          options.dists[i].local);
      }
    }
  }
  util::http::FetchOptions fetch_options;
  fetch_options.parallel = options.parallel;
  fetch_options.ca_file = options.ca_file;
  fetch_options.stall_timeout_seconds = options.stall_timeout_seconds;
  fetch_options.on_retry = [&progress](const std::string& line) { progress.note(line); };
  util::http::Fetcher fetcher(fetch_options);
  ImportReport report;

  // 1. Trust and metadata of every distribution, before any package.
  progress.start("reading the mirror's indexes", options.dists.size());
  std::vector<DistPlan> plans;
  for (const auto& md : options.dists) {
    plans.push_back(read_remote_dist(session, fetcher, options, md, report.failures));
    progress.advance();
  }
  progress.finish();

  // 2. What is missing, fetched in one parallel batch for all distributions.
  FetchPlan fetch(session, options.mirror_url);
  std::vector<std::vector<const RemotePackage*>> to_import(plans.size());
  {
    repo::DbTxn txn(session.db(), util::lmdb::Txn::Mode::read);
    for (std::size_t d = 0; d < plans.size(); ++d) {
      report.listed += plans[d].held + plans[d].refused;
      report.present += plans[d].held;
      for (const auto& p : plans[d].packages) {
        ++report.listed;
        const auto slot = repo::slot_key(p.component, p.type, p.name, p.architecture);
        const auto held = txn.slot(options.farm, plans[d].dist.local, slot);
        std::optional<repo::Record> record;
        if (held) {
          record = txn.record(*held);
        }
        if (record && same_files(*record, p)) {
          ++report.present;
          continue;
        }
        if (record && options.only_missing && record->version != p.version) {
          ++report.kept;
          continue;
        }
        to_import[d].push_back(&p);
        fetch.want(txn, p);
      }
    }
  }
  fetch.run(fetcher, progress, report);

  // 3. Record each distribution's verified packages through include.
  std::uint64_t last_generation = 0;
  for (std::size_t d = 0; d < plans.size(); ++d) {
    const auto& plan = plans[d];
    std::size_t failed = plan.refused;
    // A distribution made from the Release is written to conf/ with the
    // commit that fills it (repo/pending_distributions.hpp).
    std::optional<repo::PendingDistributions> pending;
    if (plan.created) {
      session.config().add_distribution(*plan.created);
      pending.emplace(session.root(), session.db(), session.config(), options.farm);
    }
    std::vector<repo::IncludeInput> inputs;
    std::map<std::string, const RemotePackage*> by_input;
    progress.start("staging files", to_import[d].size());
    for (const auto* p : to_import[d]) {
      progress.advance();
      if (auto failure = fetch.failure_of(*p); !failure.empty()) {
        ++failed;
        report.failures.push_back(
            fmt::format("{}: {}: {}", plan.dist.local, describe(*p), failure));
        continue;
      }
      auto input = fetch.stage(*p);
      by_input[input] = p;
      inputs.push_back(
          {input, p->component, util::http::join_url(options.mirror_url, p->files.front().path)});
    }
    progress.finish();
    std::uint64_t generation = 0;
    if (!inputs.empty()) {
      repo::IncludeOptions include;
      include.keep_going = true;
      include.move = true;
      include.private_inputs = true;
      include.replace = options.prefer_mirror;
      include.allow_downgrade = !options.only_missing; // the mirror is the truth
      include.publish = false;
      include.command = options.command;
      // The file must be the package its stanza lists: a stanza pointing at
      // another package's file would otherwise record that one (or nothing)
      // in its place, unnoticed.
      include.check_read = [&](const std::string& input, const repo::Record& r) -> std::string {
        const auto it = by_input.find(input);
        if (it == by_input.end()) {
          return {};
        }
        const auto& p = *it->second;
        if (r.name == p.name && r.version == p.version && r.architecture == p.architecture) {
          return {};
        }
        return fmt::format("{}: is {} {} ({}), not the package its {} stanza lists",
                           util::http::join_url(options.mirror_url, p.files.front().path), r.name,
                           r.version, r.architecture,
                           p.type == repo::RecordType::source ? "Sources" : "Packages");
      };
      auto result =
          repo::include_inputs(session, options.farm + "/" + plan.dist.local, inputs, include);
      for (const auto& f : result.failures) {
        const auto* p = by_input.at(f.input);
        report.failures.push_back(fmt::format("{}: {}: {}", plan.dist.local, describe(*p),
                                              with_mirror_advice(f.message)));
      }
      failed += result.failures.size();
      report.imported += result.added + result.replaced;
      report.present += result.unchanged;
      generation = result.generation;
      if (generation) {
        last_generation = generation;
      }
      session.reopen_database();
      session.run_pending_unlinks();
    }
    if (pending) {
      // Made, unless nothing of it could be recorded: then, as before the
      // run, the farm has no such distribution (a rerun makes it).
      if (generation || failed == 0) {
        pending->install();
        progress.note(added_note(*plan.created));
      } else {
        pending.reset();
        session.config() = repo::Config::load(session.root());
      }
    }
  }
  fetch.clean_up();
  if (options.exact && report.failures.empty()) {
    for (const auto& plan : plans) {
      report.removed += remove_unlisted(session, options, plan);
    }
  }

  // A complete import is remembered, so that a rerun against the same
  // Release stops after verifying it.
  if (report.failures.empty() &&
      !std::all_of(plans.begin(), plans.end(), [](const auto& p) { return p.unchanged; })) {
    repo::DbTxn txn(session.db(), util::lmdb::Txn::Mode::write);
    const auto current = txn.farm_state(options.farm).current;
    for (auto& plan : plans) {
      plan.mark.generation = current;
      plan.mark.slots = count_slots(txn, options.farm, plan.dist.local);
      txn.put_import_mark(options.farm, plan.dist.local, plan.mark);
    }
    txn.commit();
  }
  if (options.publish && last_generation) {
    repo::complete_change(session, options.farm, last_generation, true);
  }
  return report;
}

} // namespace prepo::import
