#include "repo/include.hpp"

#include <atomic>
#include <future>
#include <map>
#include <memory>
#include <set>

#include <fmt/format.h>

#include "pool/store.hpp"
#include "pool/store_batch.hpp"
#include "repo/deb_file.hpp"
#include "repo/farm_update.hpp"
#include "repo/index_plan.hpp"
#include "repo/index_stanza.hpp"
#include "repo/names.hpp"
#include "repo/pool_names.hpp"
#include "repo/publish.hpp"
#include "repo/retention.hpp"
#include "repo/source_control.hpp"
#include "repo/version.hpp"
#include "util/error.hpp"
#include "util/file.hpp"
#include "util/memory.hpp"
#include "util/parallel.hpp"
#include "util/read_ahead.hpp"

namespace prepo::repo {

namespace {

// One package ready to be recorded: its record and, per record file (same
// order), where its verified bytes are on disk now.
struct Prepared {
  Record record;
  std::string id; // record.id(), hashed by the reading thread
  std::string slot;
  std::vector<std::string> sources; // plain strings: fs::path keeps a parsed copy of every part
  const std::string& input() const { return sources.front(); } // the file read
  // As messages name it: the URL an import fetched it from, else the file.
  const std::string& shown() const { return origin.empty() ? sources.front() : origin; }
  bool staged = false; // this run wrote the binary's bytes into the store (Staging)
  std::string origin;
};

// While packages are read (in parallel), a binary's bytes, which are in
// memory anyway, go straight into the store (pool::StoreBatch): a failure
// before the commit takes them out again, so nothing is written.
struct Staging {
  const pool::ContentStore& store;
  pool::StoreBatch& batch;
  bool enabled = true; // --move links the inputs instead

  bool stage(std::string_view bytes, const std::string& sha256) const
  {
    if (!enabled) {
      return false;
    }
    // False when the store has a file of that name already (recorded, or
    // rewritten when the change is stored) or the same bytes come twice.
    return batch.write(bytes, sha256);
  }
};

// What to read: a file, with the section a .changes gave it.
struct Task {
  std::string path; // as named to the user
  std::string section;
  std::string component; // given by the caller; wins over the section
  std::string origin;
};

std::string lower_extension(const fs::path& path)
{
  auto ext = path.extension().string();
  for (auto& c : ext) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return ext;
}

bool is_binary(const fs::path& p)
{
  const auto ext = lower_extension(p);
  return ext == ".deb" || ext == ".udeb" || ext == ".ddeb";
}

std::string choose_component(const Distribution& dist, const IncludeOptions& options,
                             std::string_view section, const Task& task)
{
  const std::string_view input = task.path;
  if (!task.component.empty()) {
    if (!dist.has_component(task.component)) {
      throw util::Error("{}: component '{}' is not in {} (components: {})", input, task.component,
                        dist.full_name(), fmt::join(dist.components, ", "));
    }
    return task.component;
  }
  if (!options.component.empty()) {
    if (!dist.has_component(options.component)) {
      throw util::Error("{}: component '{}' is not in {} (components: {})", input,
                        options.component, dist.full_name(), fmt::join(dist.components, ", "));
    }
    return options.component;
  }
  if (auto slash = section.find('/'); slash != std::string_view::npos) {
    if (auto prefix = section.substr(0, slash); dist.has_component(prefix)) {
      return std::string(prefix);
    }
  }
  return dist.components.front();
}

std::string pool_directory(const Distribution& dist, std::string_view component,
                           std::string_view source)
{
  return fmt::format("pool/{}/{}/{}/{}", dist.codename, component, pool_prefix(source), source);
}

Prepared prepare_binary(const Task& task, const Distribution& dist, const IncludeOptions& options,
                        const Staging& staging)
{
  // One buffer per reading thread, reused: no per-package allocation to
  // fragment the heap between the records kept.
  thread_local std::string bytes;
  read_binary_package_bytes(task.path, bytes, task.origin);
  // Named by its URL when imported (its kind is in that name, not in a
  // downloads/<sha256> file name).
  auto package = read_binary_package(bytes, task.origin.empty() ? task.path : task.origin);
  const auto arch = package.architecture();
  if (arch != "all" && !dist.has_architecture(arch)) {
    throw util::Error("{}: architecture {} is not in {} (architectures: {})", task.path, arch,
                      dist.full_name(), fmt::join(dist.architectures, ", "));
  }
  if (dist.concrete_architectures().empty() && !dist.has_architecture("all")) {
    throw util::Error("{}: {} takes no binary packages", task.path, dist.full_name());
  }
  auto section = task.section.empty() ? std::string(package.control.get("Section").value_or(""))
                                      : task.section;
  Prepared p;
  auto& rec = p.record;
  rec.type = package.kind == BinaryKind::udeb ? RecordType::udeb : RecordType::binary;
  rec.name = package.name();
  rec.version = package.version();
  rec.architecture = arch;
  rec.component = choose_component(dist, options, section, task);
  const auto pool_path =
      pool_directory(dist, rec.component, package.source_name()) + "/" + package.pool_file_name();
  rec.stanza = packages_stanza(package, pool_path).to_string();
  rec.files.push_back({pool_path, package.checksums.sha256, package.checksums.size});
  p.sources.push_back(task.path);
  p.slot = slot_key(rec.component, rec.type, rec.name, rec.architecture);
  p.staged = staging.stage(bytes, package.checksums.sha256);
  p.origin = task.origin;
  return p;
}

Prepared prepare_source(const Task& task, const Distribution& dist, const IncludeOptions& options,
                        const pool::ContentStore& store)
{
  if (!dist.has_source) {
    throw util::Error("{}: {} takes no source packages (add 'source' to its Architectures)",
                      task.path, dist.full_name());
  }
  auto dsc = read_dsc(task.path);
  const fs::path dsc_path(task.path);
  // The pool names a .dsc as dpkg-source does, whatever the input was
  // called: a renamed copy with other bytes is then the clash it is, not
  // a second .dsc of the same version.
  const auto version = dsc.stanza.require("Version", task.path);
  const auto dsc_name = fmt::format("{}_{}.dsc", dsc.stanza.require("Source", task.path),
                                    version.substr(version.find(':') + 1));
  if (!is_safe_file_name(dsc_name)) {
    throw util::Error("{}: unsafe file name: {}", task.path, describe_unsafe_name(dsc_name));
  }
  // A file the upload left out may be in the store already, by its
  // listed SHA256 (the orig tarball of a second revision): its bytes are
  // checked against every listed sum like any other.
  auto found = find_listed_files(dsc, dsc_path.parent_path(),
                                 [&](const ListedFile& file) -> std::optional<fs::path> {
                                   const auto& sha = file.checksums.sha256;
                                   if (sha.size() == 64 && store.holds(sha, file.checksums.size)) {
                                     return store.object_path(sha);
                                   }
                                   return std::nullopt;
                                 });
  std::vector<util::Checksums> listed;
  for (const auto& f : found) {
    listed.push_back(f.checksums);
  }
  Prepared p;
  auto& rec = p.record;
  rec.type = RecordType::source;
  rec.name = std::string(dsc.stanza.require("Source", task.path));
  rec.version = std::string(dsc.stanza.require("Version", task.path));
  rec.architecture = "source";
  auto section =
      task.section.empty() ? std::string(dsc.stanza.get("Section").value_or("")) : task.section;
  rec.component = choose_component(dist, options, section, task);
  const auto directory = pool_directory(dist, rec.component, rec.name);
  rec.stanza = sources_stanza(dsc, dsc_name, directory, listed).to_string();
  rec.files.push_back({directory + "/" + dsc_name, dsc.checksums.sha256, dsc.checksums.size});
  p.sources.push_back(task.path);
  for (std::size_t i = 0; i < dsc.files.size(); ++i) {
    rec.files.push_back({directory + "/" + dsc.files[i].name, listed[i].sha256, listed[i].size});
    p.sources.push_back(found[i].path.string());
  }
  p.slot = slot_key(rec.component, rec.type, rec.name, rec.architecture);
  p.origin = task.origin;
  return p;
}

// An error about an imported input names where it came from, not the
// staging directory it was read from (its files sit there under their
// remote names, so the directory is all that differs).
std::string shown_in(std::string message, const Task& task)
{
  if (task.origin.empty()) {
    return message;
  }
  const auto local = task.path.substr(0, task.path.rfind('/') + 1);
  const auto remote = task.origin.substr(0, task.origin.rfind('/') + 1);
  for (auto at = message.find(local); at != std::string::npos;
       at = message.find(local, at + remote.size())) {
    message.replace(at, local.size(), remote);
  }
  return message;
}

// Expand inputs into tasks: a .changes contributes the packages it lists,
// after every file it lists has been verified.
std::vector<Task> plan_tasks(const std::vector<IncludeInput>& given)
{
  std::vector<Task> tasks;
  for (const auto& [input, component, origin] : given) {
    // An imported file may sit under its SHA256: its URL says what it is.
    const auto ext = lower_extension(origin.empty() ? input : origin);
    if (is_binary(origin.empty() ? input : origin) || ext == ".dsc") {
      tasks.push_back({input, "", component, origin});
    } else if (ext == ".changes") {
      auto changes = read_changes(input);
      verify_listed_files(changes, fs::path(input).parent_path());
      bool any = false;
      // An imported .changes's files were fetched from beside it: each is
      // named by its own URL (its kind is read from that name).
      const auto base = origin.substr(0, origin.rfind('/') + 1);
      for (const auto& file : changes.files) {
        const fs::path path = fs::path(input).parent_path() / file.name;
        if (is_binary(path) || lower_extension(path) == ".dsc") {
          tasks.push_back(
              {path.string(), file.section, component, origin.empty() ? "" : base + file.name});
          any = true;
        }
      }
      if (!any) {
        throw util::Error("{}: lists no package (.deb, .udeb, .ddeb or .dsc)", input);
      }
    } else {
      throw util::Error("{}: not a package file (expected .deb, .udeb, .ddeb, .dsc or .changes)",
                        input);
    }
  }
  return tasks;
}

std::vector<Prepared> prepare_all(const std::vector<Task>& tasks, const Distribution& dist,
                                  const IncludeOptions& options, const Staging& staging,
                                  util::Progress& progress, std::vector<IncludeFailure>& failures)
{
  std::vector<std::optional<Prepared>> slots(tasks.size());
  std::vector<std::string> errors(tasks.size());
  progress.start("reading packages", tasks.size());
  std::atomic<std::size_t> done{0};
  std::vector<std::string> paths;
  paths.reserve(tasks.size());
  for (const auto& task : tasks) {
    paths.push_back(task.path);
  }
  util::ReadAhead read_ahead(std::move(paths));
  // Reading also writes (staging), so it runs as file-system work does.
  util::parallel_for(tasks.size(), util::io_threads(), [&](std::size_t i) {
    read_ahead.reached(i);
    try {
      const auto& task = tasks[i];
      slots[i] = lower_extension(task.origin.empty() ? task.path : task.origin) == ".dsc"
                     ? prepare_source(task, dist, options, staging.store)
                     : prepare_binary(task, dist, options, staging);
      slots[i]->id = slots[i]->record.id();
      if (auto why = options.check_read ? options.check_read(task.path, slots[i]->record) : "";
          !why.empty()) {
        slots[i].reset();
        throw util::Error("{}", why);
      }
    } catch (const util::Error& e) {
      errors[i] = shown_in(e.what(), tasks[i]);
    }
    ++done;
  });
  progress.advance(done);
  progress.finish();
  // Report the first failing input in the order given, whatever thread saw it first.
  for (std::size_t i = 0; i < errors.size(); ++i) {
    if (!errors[i].empty()) {
      if (!options.keep_going) {
        throw util::Error(errors[i]);
      }
      failures.push_back({tasks[i].path, errors[i]});
    }
  }
  std::vector<Prepared> out;
  out.reserve(tasks.size());
  for (auto& p : slots) {
    if (p) {
      out.push_back(std::move(*p));
    }
  }
  return out;
}

} // namespace

namespace {

// Everything up to the commit; its working set (every package read) is
// freed before publishing starts, so the two peaks never add up.
IncludeResult record_inputs(Session& session, const std::string& dist_name,
                            const std::vector<IncludeInput>& inputs, const IncludeOptions& options,
                            std::unique_ptr<IndexHeadStart>& head_start)
{
  auto& progress = session.progress();
  const auto& dist = session.config().distribution(dist_name);
  const auto& farm = session.config().farm(dist.farm);
  if (!options.component.empty() && !dist.has_component(options.component)) {
    throw util::Error("component '{}' is not in {} (components: {})", options.component,
                      dist.full_name(), fmt::join(dist.components, ", "));
  }
  pool::StoreBatch batch(session.store());
  Staging staging{session.store(), batch, !options.move};
  IncludeResult result;
  auto prepared =
      prepare_all(plan_tasks(inputs), dist, options, staging, progress, result.failures);
  util::release_free_memory(); // the readers' buffers

  DbTxn txn(session.db(), util::lmdb::Txn::Mode::write);
  FarmUpdate update(txn, farm, options.command);

  // Pass 1: decide, and refuse, before anything is written.
  std::vector<bool> wanted(prepared.size(), false);
  // path -> sha, input; views into `prepared`, which outlives the map
  std::map<std::string_view, std::pair<std::string_view, std::string_view>> batch_paths;
  std::vector<std::pair<std::string, std::string>> replacements; // path, new sha
  std::map<std::string, const Prepared*> batch_slots;
  // One package's decision; throws to refuse it (with keep_going: just it).
  auto decide = [&](std::size_t i) {
    auto& p = prepared[i];
    const auto& id = p.id;
    if (auto it = batch_slots.find(p.slot); it != batch_slots.end()) {
      if (it->second->id == id) {
        return; // the same package named twice
      }
      // Two versions of one package: which one was meant is not ours to
      // guess. (The same version with other bytes is a clash, reported
      // below with both sums.)
      if (it->second->record.version != p.record.version) {
        throw util::Error("{}: {} {} ({}) is also given as {} by {}; include one of them",
                          p.shown(), p.record.name, p.record.version, p.record.architecture,
                          it->second->record.version, it->second->shown());
      }
    }
    auto existing = update.current(dist.codename, p.slot);
    if (existing && *existing == id) {
      if (!options.keep_going) {
        progress.note(fmt::format("{}: already in {} with the same bytes, nothing to do", p.shown(),
                                  dist.full_name()));
      }
      ++result.unchanged;
      batch_slots.emplace(p.slot, &p);
      return;
    }
    if (existing && !options.allow_downgrade) {
      if (auto old = txn.record(*existing);
          old && compare_versions(p.record.version, old->version) < 0) {
        throw util::Error("{}: {} {} is older than {} in {} (use --allow-downgrade)", p.shown(),
                          p.record.name, p.record.version, old->version, dist.full_name());
      }
    }
    std::vector<std::pair<std::string, std::string>> replacing;
    for (const auto& file : p.record.files) {
      if (auto it = batch_paths.find(file.pool_path);
          it != batch_paths.end() && it->second.first != file.sha256) {
        throw util::Error("{}: {} is also given by {} with other bytes (SHA256 {} and {})",
                          p.shown(), file.pool_path, it->second.second, file.sha256,
                          it->second.first);
      }
      if (auto clash = find_pool_name_clash(txn, dist, p.record.component, file)) {
        if (!clash->same_path) {
          throw util::Error(
              pool::sibling_clash_message(p.shown(), clash->path, clash->held.sha256, file.sha256));
        }
        if (!options.replace) {
          throw util::Error(pool::clash_message(p.shown(), file.pool_path, clash->held.sha256,
                                                file.sha256, clash->held.retired));
        }
        replacing.emplace_back(file.pool_path, file.sha256);
      }
    }
    // Accepted: only now does it claim its slot and pool names in the batch.
    batch_slots.emplace(p.slot, &p);
    for (const auto& file : p.record.files) {
      batch_paths.try_emplace(file.pool_path, file.sha256, p.shown());
    }
    replacements.insert(replacements.end(), replacing.begin(), replacing.end());
    wanted[i] = true;
  };
  for (std::size_t i = 0; i < prepared.size(); ++i) {
    try {
      decide(i);
    } catch (const util::Error& e) {
      if (!options.keep_going) {
        throw;
      }
      result.failures.push_back({prepared[i].input(), e.what()});
    }
  }

  // Pass 2: bytes into the store, flushed once, before the transaction
  // that references them commits. The flush runs while the change is
  // recorded, which touches only the database's memory until the commit.
  progress.start("storing files", 0);
  std::set<std::string> new_objects;
  for (std::size_t i = 0; i < prepared.size(); ++i) {
    if (!wanted[i]) {
      continue;
    }
    const auto& files = prepared[i].record.files;
    for (std::size_t f = 0; f < files.size(); ++f) {
      const auto& sha = files[f].sha256;
      if (!txn.object(sha) && new_objects.insert(sha).second) {
        if (fs::path(prepared[i].sources[f]) == session.store().object_path(sha)) {
          // Found in the store by its SHA256 (and checked), though nothing
          // records it: a killed include's object, now claimed.
        } else if (options.move && options.private_inputs) {
          session.store().adopt_staged(prepared[i].sources[f], sha);
        } else if (options.move) {
          session.store().adopt_file(prepared[i].sources[f], sha, files[f].size);
        } else if (f == 0 && prepared[i].staged) {
          // Written into the store while it was read.
        } else {
          session.store().add_file(prepared[i].sources[f], sha);
        }
        txn.put_object({sha, files[f].size, 0});
      }
    }
  }
  progress.finish();
  std::future<void> flushed;
  if (!new_objects.empty()) {
    flushed = std::async(std::launch::async,
                         [&session] { util::sync_filesystem(session.store().dir()); });
  }

  // Pass 3: the change itself.
  progress.start("recording the change", 0);
  for (const auto& [path, sha] : replacements) {
    update.replace_pool_object(path, sha);
    progress.note(fmt::format("replacing {} in farm {} (--replace)", path, farm.name));
  }
  for (std::size_t i = 0; i < prepared.size(); ++i) {
    if (wanted[i]) {
      update.set(dist.codename, prepared[i].slot, prepared[i].record, prepared[i].id);
      if (!prepared[i].origin.empty()) {
        txn.put_origin(prepared[i].id, {prepared[i].origin, std::time(nullptr)});
      }
    }
  }
  auto change = update.finish(options.publish);
  // An object stored for a package that a later one in the same batch
  // replaced has no reference: drop it now rather than leave it behind.
  for (const auto& sha : new_objects) {
    if (auto object = txn.object(sha); object && object->refcount == 0) {
      txn.delete_object(sha);
    }
  }
  // What the batch wrote for a package refused on the way is not recorded.
  batch.drop_unless([&txn](const std::string& sha) { return txn.object(sha).has_value(); });

  // With --move, the inputs given up once the change is committed; a
  // refused one stays where it was.
  std::vector<std::string> given_up;
  if (options.move) {
    std::set<std::string_view> refused;
    for (const auto& f : result.failures) {
      refused.insert(f.input);
    }
    const auto store_dir = session.store().dir().string() + "/";
    for (const auto& p : prepared) {
      if (!refused.contains(p.input())) {
        for (const auto& source : p.sources) {
          if (!source.starts_with(store_dir)) { // not a file found in the store
            given_up.push_back(source);
          }
        }
      }
    }
    for (const auto& input : inputs) {
      if (!refused.contains(input.path)) {
        given_up.push_back(input.path); // a .changes itself
      }
    }
  }
  // The packages read are recorded: their memory goes to the indexes, which
  // are planned and compressed while the store is flushed and the change
  // commits.
  batch_paths.clear();
  batch_slots.clear();
  prepared = {};
  util::release_free_memory();
  if (options.publish && change.generation != 0) {
    head_start =
        std::make_unique<IndexHeadStart>(txn, session.config(), farm.name, change.generation);
  }

  if (flushed.valid()) {
    progress.start("flushing the store", 0);
    flushed.get();
  }
  txn.commit();
  batch.commit();
  progress.finish();
  for (const auto& path : given_up) {
    util::remove_file_if_exists(path);
  }
  result.added = change.added;
  result.replaced = change.replaced;
  result.generation = change.generation;
  return result;
}

} // namespace

IncludeResult include_files(Session& session, const std::string& dist_name,
                            const std::vector<std::string>& inputs, const IncludeOptions& options)
{
  std::vector<IncludeInput> given;
  given.reserve(inputs.size());
  for (const auto& input : inputs) {
    given.push_back({input, {}, {}});
  }
  return include_inputs(session, dist_name, given, options);
}

IncludeResult include_inputs(Session& session, const std::string& dist_name,
                             const std::vector<IncludeInput>& inputs, const IncludeOptions& options)
{
  std::unique_ptr<IndexHeadStart> head_start;
  auto result = record_inputs(session, dist_name, inputs, options, head_start);
  session.reopen_database();
  util::release_free_memory();
  session.run_pending_unlinks();
  if (result.generation) {
    complete_change(session, session.config().distribution(dist_name).farm, result.generation,
                    options.publish, head_start.get());
  }
  return result;
}

} // namespace prepo::repo
