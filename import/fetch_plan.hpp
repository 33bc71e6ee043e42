// The package files an import still needs, fetched in one parallel batch
// into ROOT/downloads/<2 hex>/<sha256> (verified there; a later run resumes what a
// broken one left), then laid out under tmp/ with their real names for
// include to read.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "import/import_mirror.hpp"
#include "import/mirror_index.hpp"
#include "repo/database.hpp"
#include "util/file.hpp"
#include "util/http_fetch.hpp"

namespace prepo::import {

// True when `record` holds exactly the files `package` lists (names and SHA256).
bool same_files(const repo::Record& record, const RemotePackage& package);

class FetchPlan {
public:
  FetchPlan(repo::Session& session, std::string mirror_url);

  // Queue what `package` needs that is neither in the store nor downloaded.
  void want(const repo::DbTxn& txn, const RemotePackage& package);
  void run(util::http::Fetcher& fetcher, util::Progress& progress, ImportReport& report);

  // Why `package` cannot be imported ("" if all its files are here).
  std::string failure_of(const RemotePackage& package) const;
  // The path include is to read: a downloaded binary where it is; a source
  // package's files (a .dsc beside the files it lists) and files the store
  // holds, linked under their real names in a staging directory.
  std::string stage(const RemotePackage& package);
  // Drop downloads the store now holds.
  void clean_up();

private:
  std::string source_of(const RemoteFile& file) const;
  std::string download_path(const std::string& sha256) const;

  repo::Session& session_;
  std::string mirror_url_;
  std::vector<util::http::DownloadJob> jobs_;
  std::set<std::string> queued_;                 // sha256 of every job
  std::map<std::string, std::string> downloads_; // sha256 -> its file in downloads/
  std::map<std::string, std::string> failed_;    // sha256 -> why
  std::set<std::string> staged_names_;           // binaries staged flat, by name
  std::set<std::string> handed_out_;             // sha256 of downloads given as they are
  util::TempDir staging_;
  std::size_t next_dir_ = 0;
  std::set<std::string> made_dirs_; // downloads/<2 hex> known to exist
};

} // namespace prepo::import
