// A prepo root on disk:
//   conf/farms, conf/distributions   deb822 text people read and edit
//   conf/tokens                      prepo serve's access tokens (hashes only, mode 0600)
//   conf/distributions.pending       conf/distributions as it is to be once a
//                                    database change commits (pending_distributions.hpp)
//   db/                              LMDB: packages, generations, references
//   store/                           content-addressed bytes (pool/store.hpp)
//   public/<farm>/                   the published archives (dists/, pool/)
//   tmp/                             scratch space, emptied by every writer
//   downloads/                       verified or partial downloads an import has
//                                    not recorded yet; the next import resumes them
//   lock                             held by the one writer at a time
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace prepo::repo {

namespace fs = std::filesystem;

class Root {
public:
  explicit Root(fs::path dir) : dir_(std::move(dir)) {}

  // --root, else $PREPO_ROOT, else the current directory; Error if it is not
  // a prepo root.
  static Root locate(const std::optional<std::string>& option);
  // Create the layout in `dir` (which may exist and be empty).
  static Root create(const fs::path& dir);

  const fs::path& dir() const { return dir_; }
  fs::path conf_dir() const { return dir_ / "conf"; }
  fs::path farms_file() const { return conf_dir() / "farms"; }
  fs::path distributions_file() const { return conf_dir() / "distributions"; }
  fs::path tokens_file() const { return conf_dir() / "tokens"; }
  fs::path pending_distributions_file() const { return conf_dir() / "distributions.pending"; }
  fs::path db_dir() const { return dir_ / "db"; }
  fs::path store_dir() const { return dir_ / "store"; }
  fs::path public_dir() const { return dir_ / "public"; }
  fs::path farm_dir(std::string_view farm) const { return public_dir() / std::string(farm); }
  fs::path tmp_dir() const { return dir_ / "tmp"; }
  fs::path downloads_dir() const { return dir_ / "downloads"; }
  fs::path lock_file() const { return dir_ / "lock"; }

private:
  fs::path dir_;
};

} // namespace prepo::repo
