// A whole prepo root in a temporary directory, for include/publish/check
// tests: farm "dev" with distribution "dev/skaro", real .debs built by
// dpkg-deb, sessions opened the way the CLI opens them, and snapshots of
// the database and of the published tree to prove what did not change.
#pragma once

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <sys/stat.h>
#include <vector>

#include <gtest/gtest.h>

#include "repo/check.hpp"
#include "repo/config.hpp"
#include "repo/database.hpp"
#include "repo/include.hpp"
#include "repo/package_builder.hpp"
#include "repo/publish.hpp"
#include "repo/root.hpp"
#include "repo/session.hpp"
#include "support/scoped_env.hpp"
#include "support/shell.hpp"
#include "support/temp_dir.hpp"
#include "util/hash.hpp"
#include "util/lmdb.hpp"
#include "util/progress.hpp"

namespace prepo::test {

namespace fs = std::filesystem;

// Every table of the database, key by key.
using DbDump = std::map<std::string, std::map<std::string, std::string>>;

inline DbDump dump_database(repo::Database& db)
{
  DbDump out;
  util::lmdb::Txn txn(db.env(), util::lmdb::Txn::Mode::read);
  for (const char* table : {"records", "slots", "farms", "generations", "poolrefs", "objects",
                            "pending", "published", "chunks", "meta"}) {
    auto dbi = txn.open_db(table);
    auto& rows = out[table];
    util::lmdb::for_each_prefix(txn, dbi, "", [&](std::string_view key, std::string_view value) {
      rows.emplace(std::string(key), std::string(value));
      return true;
    });
  }
  return out;
}

// One file system entry as a snapshot sees it: any rewrite changes the inode
// (prepo writes to a temporary name and renames) or the modification time.
struct TreeEntry {
  char type = '?'; // f, d, l
  ino_t inode = 0;
  std::int64_t mtime_ns = 0;
  std::uintmax_t size = 0;
  std::string link_target;
  bool operator==(const TreeEntry&) const = default;
};

inline std::ostream& operator<<(std::ostream& os, const TreeEntry& e)
{
  return os << e.type << " ino " << e.inode << " mtime " << e.mtime_ns << " size " << e.size
            << (e.link_target.empty() ? "" : " -> " + e.link_target);
}

inline std::map<std::string, TreeEntry> snapshot_tree(const fs::path& top)
{
  std::map<std::string, TreeEntry> out;
  if (!fs::exists(top)) {
    return out;
  }
  for (auto it = fs::recursive_directory_iterator(top); it != fs::recursive_directory_iterator();
       ++it) {
    struct stat st {};
    if (::lstat(it->path().c_str(), &st) != 0) {
      continue;
    }
    TreeEntry e;
    e.inode = st.st_ino;
    e.mtime_ns = std::int64_t{st.st_mtim.tv_sec} * 1000000000 + st.st_mtim.tv_nsec;
    if (S_ISLNK(st.st_mode)) {
      e.type = 'l';
      e.link_target = fs::read_symlink(it->path()).string();
    } else if (S_ISDIR(st.st_mode)) {
      e.type = 'd';
    } else {
      e.type = 'f';
      e.size = static_cast<std::uintmax_t>(st.st_size);
    }
    out.emplace(fs::relative(it->path(), top).string(), e);
  }
  return out;
}

inline std::vector<std::string> split_lines(const std::string& text)
{
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    out.push_back(line);
  }
  return out;
}

// One "<hash> <size> <path>" line of a Release hash section.
struct ReleaseLine {
  std::string hash;
  std::uint64_t size = 0;
  std::string path;
};

// The entries of one hash section ("SHA256") of a Release text.
inline std::vector<ReleaseLine> release_section(const std::string& release, const std::string& name)
{
  std::vector<ReleaseLine> out;
  bool inside = false;
  for (const auto& line : split_lines(release)) {
    if (!line.empty() && line[0] != ' ') {
      inside = line == name + ":";
      continue;
    }
    if (inside) {
      std::istringstream fields(line);
      ReleaseLine entry;
      fields >> entry.hash >> entry.size >> entry.path;
      out.push_back(entry);
    }
  }
  return out;
}

// A top-level field of a Release or control text.
inline std::optional<std::string> field_of(const std::string& text, const std::string& name)
{
  for (const auto& line : split_lines(text)) {
    if (line.starts_with(name + ": ")) {
      return line.substr(name.size() + 2);
    }
  }
  return std::nullopt;
}

class ArchiveTest : public TempDirTest {
protected:
  void SetUp() override
  {
    TempDirTest::SetUp();
    if (!have_tool("dpkg-deb")) {
      GTEST_SKIP() << "dpkg-deb is not installed";
    }
    // Reproducible .debs: the same control text always gives the same bytes.
    epoch_.emplace("SOURCE_DATE_EPOCH", "1700000000");
    root_.emplace(repo::Root::create(dir() / "root"));
    repo::Database::create(*root_);
    fs::create_directories(work());
    configure([](repo::Config& config) {
      repo::Farm farm;
      farm.name = "dev";
      farm.keep_generations = 3;
      config.add_farm(farm);
      repo::Distribution dist;
      dist.farm = "dev";
      dist.codename = "skaro";
      dist.origin = "Test";
      dist.label = "Test";
      dist.suite = "unstable";
      dist.components = {"main", "contrib"};
      dist.architectures = {"amd64", "all"};
      dist.has_source = true;
      config.add_distribution(dist);
    });
  }

  void TearDown() override
  {
    epoch_.reset();
    TempDirTest::TearDown();
  }

  const repo::Root& root() const { return *root_; }
  fs::path work() const { return dir() / "work"; }
  fs::path farm_dir() const { return root_->farm_dir("dev"); }
  fs::path dists_dir() const { return farm_dir() / "dists"; }
  fs::path top() const { return dists_dir() / "skaro"; }

  // Change conf/ (no session may be open).
  void configure(const std::function<void(repo::Config&)>& change)
  {
    auto config = repo::Config::load(*root_);
    change(config);
    config.save(*root_);
  }

  std::unique_ptr<repo::Session> open_session()
  {
    repo::Session::Options options;
    options.lock_timeout = std::chrono::milliseconds(2000);
    return std::make_unique<repo::Session>(*root_, options, progress_);
  }

  // prepo check after an operation: no problem, whatever the notes.
  void expect_healthy(const std::string& where, bool verify_hashes = true)
  {
    repo::Reader reader(root());
    repo::CheckOptions options;
    options.verify_hashes = verify_hashes;
    const auto report = repo::check_root(reader, options, progress_);
    std::string problems;
    for (const auto& problem : report.problems) {
      problems += problem + "\n";
    }
    EXPECT_TRUE(report.ok()) << "prepo check after " << where << ":\n" << problems;
  }

  // A binary package built by dpkg-deb into work()/<subdir>/.
  fs::path make_deb(const std::string& name, const std::string& version,
                    const std::string& arch = "amd64", const std::string& extra_fields = "",
                    const std::string& subdir = "debs")
  {
    const auto out_dir = work() / subdir;
    fs::create_directories(out_dir);
    const std::string control =
        "Package: " + name + "\nVersion: " + version + "\nArchitecture: " + arch +
        "\nMaintainer: Jane Doe <jane@example.com>\nSection: devel\n"
        "Priority: optional\n" +
        extra_fields + "Description: test package " + name + "\n A test package.\n";
    return build_deb(out_dir, control, "xz", name + "_" + version + "_" + arch + ".deb");
  }

  // Many small packages at once (dpkg-deb in parallel): name<i> for i in [first, first+count).
  std::vector<fs::path> make_many_debs(const std::string& prefix, int first, int count,
                                       const std::string& version = "1.0")
  {
    const auto out_dir = work() / ("many-" + prefix);
    std::vector<fs::path> out;
    std::string list;
    for (int i = first; i < first + count; ++i) {
      char name[64];
      std::snprintf(name, sizeof name, "%s%04d", prefix.c_str(), i);
      const auto tree = out_dir / name;
      write_text(tree / "DEBIAN" / "control",
                 std::string("Package: ") + name + "\nVersion: " + version +
                     "\nArchitecture: amd64\nMaintainer: Jane Doe <jane@example.com>\n"
                     "Section: devel\nPriority: optional\nDescription: filler " +
                     name + "\n A filler package.\n");
      write_text(tree / "usr" / "share" / "doc" / name / "README", std::string(name) + "\n");
      list += tree.string() + "\n";
      out.push_back(out_dir / (std::string(name) + "_" + version + "_amd64.deb"));
    }
    write_text(out_dir / "list", list);
    run_or_throw("cd " + shell_quote(out_dir.string()) +
                 " && xargs -P 8 -I{} sh -c 'dpkg-deb --root-owner-group -Zgzip --build \"$1\" "
                 "\"$1_" +
                 version + "_amd64.deb\" >/dev/null 2>&1' sh {} < list");
    for (const auto& p : out) {
      if (!fs::exists(p)) {
        throw std::runtime_error("dpkg-deb did not build " + p.string());
      }
    }
    return out;
  }

  repo::IncludeResult include(const std::vector<fs::path>& inputs,
                              repo::IncludeOptions options = {},
                              const std::string& dist = "dev/skaro")
  {
    auto session = open_session();
    options.command = options.command.empty() ? "test include" : options.command;
    const std::vector<std::string> names(inputs.begin(), inputs.end());
    return repo::include_files(*session, dist, names, options);
  }

  // Include without publishing (the generation is recorded, not shown).
  repo::IncludeResult include_only(const std::vector<fs::path>& inputs,
                                   repo::IncludeOptions options = {})
  {
    options.publish = false;
    return include(inputs, options);
  }

  repo::PublishResult publish(bool force = false)
  {
    auto session = open_session();
    return repo::publish_farm(*session, "dev", repo::PublishOptions{force});
  }

  DbDump dump()
  {
    auto session = open_session();
    return dump_database(session->db());
  }

  repo::FarmState farm_state()
  {
    auto session = open_session();
    repo::DbTxn txn(session->db(), util::lmdb::Txn::Mode::read);
    return txn.farm_state("dev");
  }

  std::optional<repo::PublishedDist> published(const std::string& dist = "skaro")
  {
    auto session = open_session();
    repo::DbTxn txn(session->db(), util::lmdb::Txn::Mode::read);
    return txn.published("dev", dist);
  }

  util::SilentProgress progress_;
  std::optional<repo::Root> root_;
  std::optional<ScopedEnv> epoch_;
};

} // namespace prepo::test
