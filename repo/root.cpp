#include "repo/root.hpp"

#include <cstdlib>

#include "util/error.hpp"
#include "util/file.hpp"

namespace prepo::repo {

Root Root::locate(const std::optional<std::string>& option)
{
  fs::path dir;
  if (option && !option->empty()) {
    dir = *option;
  } else if (const char* env = std::getenv("PREPO_ROOT"); env && *env) {
    dir = env;
  } else {
    dir = fs::current_path();
  }
  std::error_code ec;
  dir = fs::absolute(dir, ec);
  Root root(dir);
  if (!fs::is_regular_file(root.farms_file(), ec) || !fs::is_directory(root.db_dir(), ec)) {
    throw util::Error("{}: not a prepo root (run 'prepo init' there, or pass --root)",
                      dir.string());
  }
  return root;
}

Root Root::create(const fs::path& dir)
{
  std::error_code ec;
  Root root(fs::absolute(dir, ec));
  if (fs::exists(root.farms_file(), ec)) {
    throw util::Error("{}: already a prepo root", root.dir().string());
  }
  for (const auto& sub : {root.conf_dir(), root.db_dir(), root.store_dir(), root.public_dir(),
                          root.tmp_dir(), root.downloads_dir()}) {
    util::make_dirs(sub);
  }
  util::write_file_atomic(root.lock_file(), "");
  util::write_file_atomic(root.distributions_file(),
                          "# Distributions, one stanza each (see docs/configuration.md).\n");
  // farms last: its presence is what makes the directory a root.
  util::write_file_atomic(root.farms_file(),
                          "# Farms, one stanza each (see docs/configuration.md).\n");
  return root;
}

} // namespace prepo::repo
