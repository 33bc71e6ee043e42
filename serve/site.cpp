#include "serve/site.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <fmt/format.h>

#include "repo/config.hpp"
#include "util/error.hpp"

namespace prepo::serve {

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
  stamps_ = stamps();
  state_ = load();
}

Site::Stamps Site::stamps() const
{
  Stamps out;
  const std::array<std::filesystem::path, 3> files{root_.farms_file(), root_.distributions_file(), root_.tokens_file()};
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
  state->public_dir = util::Fd(::open(root_.public_dir().c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
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

std::shared_ptr<const SiteState> Site::current()
{
  const auto now = stamps(); // outside the lock: three stat(2) calls
  std::lock_guard lock(mutex_);
  if (now != stamps_) {
    stamps_ = now;
    try {
      state_ = load();
      report_("configuration changed: reloaded conf/farms, conf/distributions and conf/tokens");
    } catch (const std::exception& e) {
      report_(fmt::format("configuration not reloaded, still serving the previous one: {}", e.what()));
    }
  }
  return state_;
}

void Site::reload()
{
  std::lock_guard lock(mutex_);
  stamps_ = stamps();
  try {
    state_ = load();
  } catch (const std::exception& e) {
    report_(fmt::format("configuration not reloaded, still serving the previous one: {}", e.what()));
  }
}

} // namespace prepo::serve
