#include "import/fetch_plan.hpp"

#include <algorithm>
#include <chrono>
#include <unistd.h>

#include <fmt/format.h>

#include "util/error.hpp"

namespace prepo::import {

namespace {

std::string base_name(std::string_view path)
{
  return std::string(path.substr(path.rfind('/') + 1));
}

} // namespace

bool same_files(const repo::Record& record, const RemotePackage& package)
{
  if (record.version != package.version || record.files.size() != package.files.size()) {
    return false;
  }
  std::vector<std::pair<std::string, std::string>> held, listed;
  for (const auto& f : record.files) {
    held.emplace_back(base_name(f.pool_path), f.sha256);
  }
  for (const auto& f : package.files) {
    listed.emplace_back(f.name, f.sha256);
  }
  std::sort(held.begin(), held.end());
  std::sort(listed.begin(), listed.end());
  return held == listed;
}

FetchPlan::FetchPlan(repo::Session& session, std::string mirror_url)
    : session_(session), mirror_url_(std::move(mirror_url)),
      staging_(session.root().tmp_dir(), "import-")
{
  util::make_dirs(session_.root().downloads_dir());
}

// downloads/<2 hex>/<sha256>, as in the store: files created in parallel
// land in different directories, whose updates the file system does not
// serialize against each other.
std::string FetchPlan::download_path(const std::string& sha256) const
{
  return (session_.root().downloads_dir() / sha256.substr(0, 2) / sha256).string();
}

std::string FetchPlan::source_of(const RemoteFile& file) const
{
  if (session_.store().holds(file.sha256, file.size)) {
    return session_.store().object_path(file.sha256).string();
  }
  return download_path(file.sha256);
}

void FetchPlan::want(const repo::DbTxn& txn, const RemotePackage& package)
{
  for (const auto& file : package.files) {
    if (txn.object(file.sha256) || queued_.contains(file.sha256)) {
      continue;
    }
    const std::filesystem::path path = download_path(file.sha256);
    downloads_[file.sha256] = path.string();
    std::error_code ec;
    if (std::filesystem::file_size(path, ec) == file.size && !ec) {
      continue; // verified by an earlier run that did not get to record it
    }
    // Of another size: what a power loss left of a verified file whose
    // bytes were not flushed yet. Fetched again.
    util::remove_file_if_exists(path);
    queued_.insert(file.sha256);
    if (made_dirs_.insert(file.sha256.substr(0, 2)).second) {
      util::make_dirs(path.parent_path());
    }
    jobs_.push_back({util::http::join_url(mirror_url_, file.path),
                     path.string(),
                     file.size,
                     file.sha256,
                     false,
                     {}});
  }
}

void FetchPlan::run(util::http::Fetcher& fetcher, util::Progress& progress, ImportReport& report)
{
  if (jobs_.empty()) {
    return;
  }
  std::uint64_t total = 0, done_bytes = 0;
  for (const auto& job : jobs_) {
    total += job.size;
  }
  progress.start("fetching files", jobs_.size());
  progress.bytes(0, total);
  fetcher.download(
      jobs_,
      [&](const util::http::DownloadJob& job) {
        progress.advance();
        if (job.ok) {
          ++report.files_fetched;
        } else {
          failed_[job.sha256] = fmt::format("{}: {}", job.url, job.error);
        }
      },
      [&](std::uint64_t n) {
        done_bytes += n;
        progress.bytes(done_bytes, total);
      });
  progress.finish();
  report.bytes_fetched += done_bytes;
  std::vector<util::http::DownloadJob>().swap(jobs_); // what is left is in failed_ and downloads_
}

std::string FetchPlan::failure_of(const RemotePackage& package) const
{
  for (const auto& file : package.files) {
    if (auto it = failed_.find(file.sha256); it != failed_.end()) {
      return it->second;
    }
  }
  return {};
}

std::string FetchPlan::stage(const RemotePackage& package)
{
  const auto& first = package.files.front();
  // A downloaded binary is read where it is: include needs no name for it
  // (its pool name comes from its control data, its kind from its URL).
  // Unless another package's stanza names the same file: each input path
  // stands for one package, so the second gets a link of its own.
  if (package.type != repo::RecordType::source &&
      !session_.store().holds(first.sha256, first.size) &&
      handed_out_.insert(first.sha256).second) {
    return source_of(first);
  }
  std::filesystem::path dir = staging_.path() / "files";
  // Binaries share one directory (one mkdir for thousands); a name met
  // twice, and every source package, gets a directory of its own.
  if (package.type == repo::RecordType::source || !staged_names_.insert(first.name).second) {
    dir = staging_.path() / fmt::format("{}", next_dir_++);
  }
  util::make_dirs(dir);
  for (const auto& file : package.files) {
    const auto target = dir / file.name;
    if (::link(source_of(file).c_str(), target.c_str()) != 0 && errno != EEXIST) {
      util::throw_errno("link", target.string());
    }
  }
  return (dir / first.name).string();
}

void FetchPlan::clean_up()
{
  for (const auto& [sha256, path] : downloads_) {
    if (session_.store().contains(sha256)) {
      util::remove_file_if_exists(path);
    }
  }
}

} // namespace prepo::import
