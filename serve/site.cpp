#include "serve/site.hpp"

#include <chrono>
#include <fcntl.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include "repo/config.hpp"
#include "util/error.hpp"

namespace prepo::serve {

namespace {

// Generations are unique across Site objects, so a thread's cached
// snapshot can never be taken for a later Site's at the same address.
std::atomic<std::uint64_t> next_generation{1};

std::int64_t now_ms()
{
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

} // namespace

const ServedFarm* SiteState::find(std::string_view name) const
{
  for (const auto& farm : farms) {
    if (farm.name == name) {
      return &farm;
    }
  }
  return nullptr;
}

Site::Site(repo::Root root, Report report) : root_(std::move(root)), report_(std::move(report))
{
  inotify_ = util::Fd(inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
  if (inotify_ &&
      inotify_add_watch(inotify_.get(), root_.conf_dir().c_str(),
                        IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_DELETE | IN_ATTRIB) < 0) {
    inotify_.reset(); // the once-a-second stat check still works
  }
  stamps_ = stamps();
  state_ = load();
  generation_ = next_generation.fetch_add(1);
  next_check_ms_ = now_ms() + 1000;
}

Site::Stamps Site::stamps() const
{
  Stamps out;
  const std::array<std::filesystem::path, 3> files{root_.farms_file(), root_.distributions_file(),
                                                   root_.tokens_file()};
  for (std::size_t i = 0; i < files.size(); ++i) {
    struct stat st {};
    if (::stat(files[i].c_str(), &st) == 0) {
      out[i] = {static_cast<long long>(st.st_ino), static_cast<long long>(st.st_size),
                st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec,
                st.st_ctim.tv_sec * 1000000000LL + st.st_ctim.tv_nsec};
    }
  }
  return out;
}

std::shared_ptr<const SiteState> Site::load() const
{
  auto state = std::make_shared<SiteState>();
  const auto config = repo::Config::load(root_);
  state->tokens = TokenFile::load(root_);
  state->public_dir =
      util::Fd(::open(root_.public_dir().c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!state->public_dir) {
    util::throw_errno("cannot open", root_.public_dir().string());
  }
  for (const auto& farm : config.farms()) {
    ServedFarm served;
    served.name = farm.name;
    served.description = farm.description;
    served.is_private = farm.is_private;
    served.dir = util::Fd(::openat(state->public_dir.get(), farm.name.c_str(),
                                   O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    for (const auto* dist : config.distributions_of(farm.name)) {
      served.dists.push_back({dist->codename, fmt::format("{}", fmt::join(dist->components, " ")),
                              dist->has_source, !dist->sign_with.empty()});
    }
    state->farms.push_back(std::move(served));
  }
  return state;
}

void Site::load_locked(bool report_success)
{
  try {
    state_ = load();
    generation_.store(next_generation.fetch_add(1), std::memory_order_release);
    if (report_success) {
      report_("configuration changed: reloaded conf/farms, conf/distributions and conf/tokens");
    }
  } catch (const std::exception& e) {
    report_(
        fmt::format("configuration not reloaded, still serving the previous one: {}", e.what()));
  }
}

void Site::check()
{
  if (inotify_) {
    alignas(inotify_event) char events[4096];
    while (::read(inotify_.get(), events, sizeof events) > 0) {
    }
  }
  const auto now = stamps();
  std::lock_guard lock(mutex_);
  next_check_ms_ = now_ms() + 1000;
  if (now != stamps_) {
    stamps_ = now;
    load_locked(true);
  }
}

void Site::reload()
{
  std::lock_guard lock(mutex_);
  stamps_ = stamps();
  load_locked(false);
}

const SiteState& Site::current()
{
  if (now_ms() >= next_check_ms_.load(std::memory_order_relaxed)) {
    check();
  }
  // Each thread keeps its own reference to the snapshot, so a request
  // touches no shared counter and takes no lock.
  struct Cache {
    const Site* owner = nullptr;
    std::uint64_t generation = 0;
    std::shared_ptr<const SiteState> state;
  };
  thread_local Cache cache;
  const auto generation = generation_.load(std::memory_order_acquire);
  if (cache.owner != this || cache.generation != generation) {
    std::lock_guard lock(mutex_);
    cache.owner = this;
    cache.generation = generation_.load(std::memory_order_relaxed);
    cache.state = state_;
  }
  return *cache.state;
}

} // namespace prepo::serve
