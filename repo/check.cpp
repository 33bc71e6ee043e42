#include "repo/check.hpp"

#include <expected>
#include <map>
#include <set>
#include <sys/stat.h>

#include <fmt/format.h>

#include "pool/store.hpp"
#include "repo/deb822.hpp"
#include "repo/publish.hpp"
#include "util/error.hpp"
#include "util/file.hpp"
#include "util/gpg.hpp"

namespace prepo::repo {

namespace {

struct Checker {
  Reader& reader;
  const CheckOptions& options;
  util::Progress& progress;
  CheckReport report{};
  DbTxn txn{reader.db, util::lmdb::Txn::Mode::read};
  pool::ContentStore store{reader.root.store_dir()};
  std::map<std::string, std::expected<std::string, std::string>> public_keys{}; // by SignWith

  template <typename... Args> void problem(fmt::format_string<Args...> f, Args&&... args)
  {
    report.problems.push_back(fmt::format(f, std::forward<Args>(args)...));
  }

  std::optional<Record> load(const std::string& farm, std::string_view id)
  {
    auto record = txn.record(id);
    if (!record) {
      problem("farm {}: record {} is referenced but missing", farm, id);
    }
    return record;
  }

  void check_references()
  {
    std::map<std::string, std::uint64_t> record_refs;
    std::map<std::string, std::uint64_t> object_refs;
    for (const auto& farm : reader.config.farms()) {
      std::map<std::string, std::pair<std::string, std::uint64_t>> paths;
      auto count = [&](std::string_view id) {
        record_refs[std::string(id)] += 1;
        if (auto record = load(farm.name, id)) {
          for (const auto& file : record->files) {
            auto& [sha, n] = paths[file.pool_path];
            if (sha.empty()) {
              sha = file.sha256;
            }
            n += 1;
          }
        }
      };
      for (const auto* dist : reader.config.distributions_of(farm.name)) {
        txn.for_each_slot(farm.name, dist->codename, "",
                          [&](std::string_view, std::string_view id) {
                            count(id);
                            return true;
                          });
      }
      const auto state = txn.farm_state(farm.name);
      if (state.published > state.current || state.oldest_kept > state.current) {
        problem("farm {}: generation numbers out of order (current {}, published {}, oldest "
                "kept {})",
                farm.name, state.current, state.published, state.oldest_kept);
      }
      for (auto g = state.oldest_kept + 1; g <= state.current; ++g) {
        auto gen = txn.generation(farm.name, g);
        if (!gen) {
          problem("farm {}: generation {} is missing", farm.name, g);
          continue;
        }
        for (const auto& change : gen->changes) {
          if (!change.old_id.empty()) {
            count(change.old_id);
          }
        }
      }
      // A remote child's local copy is never published: nothing to note.
      if (farm.remote.empty() &&
          (state.publish_wanted > state.published || state.current > state.published)) {
        report.notes.push_back(fmt::format(
            "farm {}: generation {} is not published yet (published: {}); 'prepo publish {}' or "
            "the next command publishes it",
            farm.name, state.current, state.published, farm.name));
      }
      // Stored pool references must equal the recomputed ones.
      std::size_t stored = 0;
      txn.for_each_pool_ref(farm.name, [&](std::string_view path, const DbTxn::PoolRef& ref) {
        ++stored;
        auto it = paths.find(std::string(path));
        if (it == paths.end()) {
          problem("farm {}: {} is counted but no slot or kept generation holds it", farm.name,
                  path);
        } else if (it->second.second != ref.refcount) {
          problem("farm {}: {} has reference count {}, expected {}", farm.name, path, ref.refcount,
                  it->second.second);
        }
        object_refs[ref.sha256] += 1;
        check_pool_file(farm.name, path, ref.sha256);
        return true;
      });
      if (stored != paths.size()) {
        for (const auto& [path, entry] : paths) {
          if (!txn.pool_ref(farm.name, path)) {
            problem("farm {}: {} is held but not counted", farm.name, path);
          }
        }
      }
    }
    for (const auto& [id, n] : record_refs) {
      if (auto stored = txn.record_refcount(id); stored != n) {
        problem("record {}: reference count {}, expected {}", id, stored, n);
      }
    }
    check_objects(object_refs);
  }

  // A pool file, where present, must be the store's very bytes. It may be
  // absent while a publish is pending (links are made when publishing).
  void check_pool_file(const std::string& farm, std::string_view path, const std::string& sha)
  {
    const auto file = reader.root.farm_dir(farm) / std::string(path);
    struct stat pool_st {
    }, store_st{};
    if (::stat(file.c_str(), &pool_st) != 0) {
      return;
    }
    if (::stat(store.object_path(sha).c_str(), &store_st) != 0) {
      return; // reported by check_objects
    }
    if (pool_st.st_ino != store_st.st_ino || pool_st.st_dev != store_st.st_dev) {
      if (util::checksum_file(file).sha256 != sha) {
        problem("{}: bytes differ from the recorded SHA256 {}", file.string(), sha);
      }
    }
  }

  void check_objects(const std::map<std::string, std::uint64_t>& expected)
  {
    std::size_t total = 0;
    txn.for_each_object([&](const ObjectInfo&) {
      ++total;
      return true;
    });
    progress.start("checking stored files", total);
    txn.for_each_object([&](const ObjectInfo& info) {
      const auto& sha = info.sha256;
      auto it = expected.find(sha);
      const auto want = it == expected.end() ? 0 : it->second;
      if (info.refcount != want) {
        problem("object {}: reference count {}, expected {}", sha, info.refcount, want);
      }
      const auto path = store.object_path(sha);
      std::error_code ec;
      const auto size = fs::file_size(path, ec);
      if (ec) {
        problem("{}: missing from the store", path.string());
      } else if (size != info.size) {
        problem("{}: size {} but {} recorded", path.string(), size, info.size);
      } else if (options.verify_hashes && util::checksum_file(path).sha256 != sha) {
        problem("{}: bytes differ from their SHA256 name", path.string());
      }
      ++report.objects_checked;
      progress.advance();
      return true;
    });
    progress.finish();
    for (const auto& [sha, n] : expected) {
      if (!txn.object(sha)) {
        problem("object {}: referenced {} times but not recorded", sha, n);
      }
    }
  }

  void check_published()
  {
    for (const auto& farm : reader.config.farms()) {
      for (const auto* dist : reader.config.distributions_of(farm.name)) {
        auto info = txn.published(farm.name, dist->codename);
        if (!info) {
          continue;
        }
        const auto dists_dir = reader.root.farm_dir(farm.name) / "dists";
        const auto top = dists_dir / dist->codename;
        // The tree shows the stanza it was published from; after an edit
        // SignWith may not be what signed it.
        const bool stanza_current = info->config_digest == config_digest(*dist);
        if (!stanza_current) {
          report.notes.push_back(fmt::format(
              "{}: its stanza in {} changed since it was published{}; 'prepo publish {}' or the "
              "next command in farm {} publishes it",
              dist->full_name(), reader.root.distributions_file().string(),
              dist->sign_with.empty() ? "" : " (signatures not checked until then)", farm.name,
              farm.name));
        }
        check_release(farm.name, top, stanza_current ? dist->sign_with : std::string());
        check_mid_update_indexes(farm.name, dists_dir, *info);
      }
    }
  }

  // What a client that read an older InRelease fetches: the indexes of the
  // older retained directories, and those of the previous publishes in the
  // current directory's by-hash. Every pool file they name must still be
  // there (retention expires such a directory before it drops what it
  // needs). Only presence: `include --replace` rightly gives a name other
  // bytes than an old index says. A writer may expire them meanwhile (check
  // takes no lock): what vanishes on the way is not looked at.
  void check_mid_update_indexes(const std::string& farm, const fs::path& dists_dir,
                                const PublishedDist& info)
  {
    for (std::size_t i = 1; i < info.directories.size(); ++i) {
      // Also absent when a retention was killed before it committed.
      const auto dir = dists_dir / info.directories[i];
      std::error_code ec;
      for (auto it = fs::recursive_directory_iterator(dir, ec);
           !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        const auto name = it->path().filename().string();
        if (name == "by-hash") {
          it.disable_recursion_pending();
        } else if (name == "Packages" || name == "Sources") {
          if (auto text = util::read_file_if_exists(it->path())) {
            check_index_files(farm, it->path(), *text, name == "Sources", true);
          }
        }
      }
    }
    if (info.directories.empty()) {
      return;
    }
    const auto current = dists_dir / info.directories.front();
    for (std::size_t r = 1; r < info.recent.size(); ++r) {
      for (const auto& entry : info.recent[r]) {
        const auto path = fs::path(entry.path);
        const auto name = path.filename().string();
        if (name != "Packages" && name != "Sources") {
          continue;
        }
        const auto file =
            by_hash_path(current, entry.path, util::HashKind::sha256, entry.checksums.sha256);
        if (auto text = util::read_file_if_exists(file)) {
          check_index_files(farm, file, *text, name == "Sources", true);
        }
      }
    }
  }

  void check_release(const std::string& farm, const fs::path& top, const std::string& sign_with)
  {
    auto release_text = util::read_file_if_exists(top / "Release");
    if (!release_text) {
      problem("{}: missing", (top / "Release").string());
      return;
    }
    if (!sign_with.empty()) {
      check_signatures(top, *release_text, sign_with);
    } else if (auto inrelease = util::read_file_if_exists(top / "InRelease")) {
      auto body = strip_clearsign(*inrelease, (top / "InRelease").string());
      // The newline before the signature armor belongs to the armor (RFC 4880 7.1).
      if (body.body + "\n" != *release_text) {
        problem("{}: signed text differs from Release", (top / "InRelease").string());
      }
    }
    auto release = parse_single_stanza(*release_text, (top / "Release").string());
    auto sha256 = release.get("SHA256");
    if (!sha256) {
      problem("{}: no SHA256 list", (top / "Release").string());
      return;
    }
    for (auto line : value_lines(*sha256)) {
      auto parts = words(line);
      if (parts.size() != 3) {
        problem("{}: malformed SHA256 line '{}'", (top / "Release").string(), line);
        continue;
      }
      const auto path = top / std::string(parts[2]);
      ++report.published_files_checked;
      auto data = util::read_file_if_exists(path);
      if (!data) {
        problem("{}: listed in Release but missing", path.string());
        continue;
      }
      auto sums = util::checksum_bytes(*data);
      if (std::to_string(sums.size) != parts[1] || sums.sha256 != parts[0]) {
        problem("{}: does not match Release (size {}, SHA256 {})", path.string(), sums.size,
                sums.sha256);
        continue;
      }
      const auto name = path.filename().string();
      if (name == "Packages") {
        check_index_files(farm, path, *data, false);
      } else if (name == "Sources") {
        check_index_files(farm, path, *data, true);
      }
    }
  }

  // A signed distribution's InRelease and Release.gpg are there and verify
  // with the key SignWith names, as apt will verify them, and InRelease
  // signs Release's very text. The key is taken from the GNUPGHOME publish
  // signs with, and is the only key trusted.
  void check_signatures(const fs::path& top, const std::string& release_text,
                        const std::string& sign_with)
  {
    const auto inrelease_path = top / "InRelease";
    const auto detached_path = top / "Release.gpg";
    const auto inrelease = util::read_file_if_exists(inrelease_path);
    const auto detached = util::read_file_if_exists(detached_path);
    if (!inrelease) {
      problem("{}: missing (the distribution is signed: SignWith {})", inrelease_path.string(),
              sign_with);
    }
    if (!detached) {
      problem("{}: missing (the distribution is signed: SignWith {})", detached_path.string(),
              sign_with);
    }
    if (!inrelease && !detached) {
      return;
    }
    // Distributions often share a key: export it once.
    auto [it, added] = public_keys.try_emplace(sign_with);
    if (added) {
      try {
        it->second = util::gpg::export_public_key({sign_with, ""});
      } catch (const util::Error& e) {
        it->second = std::unexpected(std::string(e.what()));
      }
    }
    if (!it->second) {
      problem("{}: signatures not verified: {}", top.string(), it->second.error());
      return;
    }
    const std::string& key = *it->second;
    auto verify = [&](const fs::path& path, auto&& run) {
      try {
        const auto result = run();
        if (!result.any_valid()) {
          problem("{}: no valid signature by SignWith {} ({})", path.string(), sign_with,
                  result.describe());
        } else if (result.signed_text != release_text) {
          problem("{}: signed text differs from Release", path.string());
        }
      } catch (const util::Error& e) {
        problem("{}: does not verify: {}", path.string(), e.what());
      }
    };
    if (inrelease) {
      verify(inrelease_path, [&] { return util::gpg::verify_clearsigned_by_key(*inrelease, key); });
    }
    if (detached) {
      verify(detached_path,
             [&] { return util::gpg::verify_detached_by_key(release_text, *detached, key); });
    }
  }

  void check_index_files(const std::string& farm, const fs::path& index, std::string_view text,
                         bool sources, bool presence_only = false)
  {
    const auto farm_dir = reader.root.farm_dir(farm);
    for (const auto& stanza : parse_deb822(text, index.string())) {
      std::vector<std::tuple<std::string, std::string, std::string>> files; // path, size, sha256
      if (sources) {
        auto dir = std::string(stanza.get("Directory").value_or(""));
        for (auto line : value_lines(stanza.get("Checksums-Sha256").value_or(""))) {
          auto w = words(line);
          if (w.size() == 3) {
            files.emplace_back(dir + "/" + std::string(w[2]), std::string(w[1]), std::string(w[0]));
          }
        }
      } else {
        files.emplace_back(std::string(stanza.get("Filename").value_or("")),
                           std::string(stanza.get("Size").value_or("")),
                           std::string(stanza.get("SHA256").value_or("")));
      }
      for (const auto& [path, size, sha] : files) {
        const auto file = farm_dir / path;
        std::error_code ec;
        auto actual = fs::file_size(file, ec);
        if (ec) {
          // An index a writer expired meanwhile lists files it may unlink.
          if (!presence_only || fs::exists(index, ec)) {
            problem("{}: listed in {} but missing", file.string(), index.string());
          }
        } else if (presence_only) {
          continue;
        } else if (std::to_string(actual) != size) {
          problem("{}: size {} but {} lists {}", file.string(), actual, index.string(), size);
        } else if (!store.contains(sha)) {
          problem("{}: {} lists SHA256 {} which the store does not hold", file.string(),
                  index.string(), sha);
        }
      }
    }
  }

  void check_leftovers()
  {
    auto pending = txn.pending_unlinks();
    if (!pending.empty()) {
      report.notes.push_back(fmt::format(
          "{} unreferenced files wait to be unlinked by the next writing command", pending.size()));
    }
    // Objects no record knows: a command killed between storing files and
    // committing leaves them. Harmless, so a note; a writer running now
    // may also be about to record the ones it is storing.
    std::set<std::string> pending_objects;
    for (const auto& path : pending) {
      if (path.starts_with("store/")) {
        pending_objects.insert(fs::path(path).filename().string());
      }
    }
    std::size_t unrecorded = 0;
    store.for_each_object([&](const std::string& sha) {
      if (!pending_objects.contains(sha) && !txn.object(sha)) {
        ++unrecorded;
      }
    });
    if (unrecorded > 0) {
      report.notes.push_back(fmt::format(
          "{} files in {} are not recorded (left by a killed command, or being stored by a running "
          "one); prepo gc removes them",
          unrecorded, store.dir().string()));
    }
  }
};

} // namespace

CheckReport check_root(Reader& reader, const CheckOptions& options, util::Progress& progress)
{
  Checker checker{reader, options, progress};
  checker.check_references();
  checker.check_published();
  checker.check_leftovers();
  return std::move(checker.report);
}

} // namespace prepo::repo
