// What the server serves, as of the configuration files: the farms with
// their visibility and an open directory per published farm, the
// distributions (for the apt lines of the pages) and the tokens. A snapshot
// is immutable and shared by the requests using it. Site makes a new one
// when conf/farms, conf/distributions or conf/tokens change, so that
// `prepo token revoke` takes effect on a running server: inotify on conf/
// says when to look (the server waits on change_fd()), a stat check every
// second covers file systems without inotify, and reload() (SIGHUP) forces
// it. A configuration that no longer loads is reported and the previous
// snapshot kept.
#pragma once

#include <array>
#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "repo/root.hpp"
#include "serve/tokens.hpp"
#include "util/fd.hpp"

namespace prepo::serve {

struct ServedFarm {
  std::string name;
  std::string description;
  bool is_private = false;
  util::Fd dir; // O_PATH of public/<name>; invalid until the farm is first published
  struct Dist {
    std::string codename;
    std::string components; // space-separated
    bool has_source = false;
    bool is_signed = false;
  };
  std::vector<Dist> dists;
};

struct SiteState {
  std::vector<ServedFarm> farms;
  TokenFile tokens;
  util::Fd public_dir; // O_PATH of ROOT/public, to open farms published after the snapshot

  const ServedFarm* find(std::string_view name) const;
};

class Site {
public:
  using Report = std::function<void(const std::string&)>;
  // Loads the first snapshot; an Error here stops the server before it listens.
  Site(repo::Root root, Report report);

  // The current snapshot, valid until this thread calls current() again.
  // No system call and no lock unless the snapshot changed (or a second
  // passed since the last stat check).
  const SiteState& current();
  // An inotify descriptor that becomes readable when conf/ changes, or -1.
  int change_fd() const { return inotify_.get(); }
  // Drain change_fd() and load again if a configuration file changed.
  void check();
  // Load again now (SIGHUP), even if nothing seems to have changed.
  void reload();

private:
  struct Stamp {
    long long ino = 0, size = 0, mtime_ns = 0, ctime_ns = 0;
    bool operator==(const Stamp&) const = default;
  };
  using Stamps = std::array<Stamp, 3>;
  Stamps stamps() const;
  std::shared_ptr<const SiteState> load() const;
  void load_locked(bool report_success);

  repo::Root root_;
  Report report_;
  util::Fd inotify_;
  std::mutex mutex_;
  Stamps stamps_;
  std::shared_ptr<const SiteState> state_;
  std::atomic<std::uint64_t> generation_{0};
  std::atomic<std::int64_t> next_check_ms_{0};
};

} // namespace prepo::serve
