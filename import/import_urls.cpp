#include "import/import_urls.hpp"

#include <set>

#include <fmt/format.h>

#include "import/safe_path.hpp"
#include "import/source_url.hpp"
#include "repo/deb822.hpp"
#include "repo/source_control.hpp"
#include "util/error.hpp"
#include "util/file.hpp"
#include "util/gpg.hpp"
#include "util/http_fetch.hpp"

namespace prepo::import {

namespace {

constexpr std::uint64_t max_control_size = 16ull << 20; // a .dsc or .changes
constexpr std::uint64_t max_package_size = 16ull << 30; // a .deb of unknown size

std::string lower(std::string s)
{
  for (auto& c : s) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return s;
}

// A .dsc or .changes may be read only if a key in a keyring vouches for it
// (or with allow_unsigned, loudly).
void check_trusted(const std::string& document, const std::string& url,
                   const ImportUrlsOptions& options, util::Progress& progress)
{
  if (!options.keyrings.empty()) {
    if (!repo::strip_clearsign(document, url).was_signed) {
      throw util::Error("{}: not signed, but --keyring asks for a signature", url);
    }
    auto result = util::gpg::verify_clearsigned(document, options.keyrings);
    if (!result.any_valid()) {
      throw util::Error("{}: no valid signature by a key in the keyring ({})", url,
                        result.describe());
    }
    return;
  }
  if (!options.allow_unsigned) {
    throw util::Error("{}: no --keyring to verify it with (or --allow-unsigned to trust the "
                      "server and the network)",
                      url);
  }
  progress.note(fmt::format("WARNING: {} is not verified (--allow-unsigned)", url));
}

} // namespace

repo::IncludeResult import_urls(repo::Session& session, const std::string& dist_name,
                                const std::vector<std::string>& urls,
                                const ImportUrlsOptions& options)
{
  session.config().distribution(dist_name); // an unknown distribution fails before any fetch
  for (const auto& url : urls) {
    check_source_url(url, "");
  }
  util::http::FetchOptions fetch_options;
  fetch_options.parallel = options.parallel;
  fetch_options.ca_file = options.ca_file;
  fetch_options.stall_timeout_seconds = options.stall_timeout_seconds;
  fetch_options.on_retry = [&session](const std::string& line) { session.progress().note(line); };
  util::http::Fetcher fetcher(fetch_options);
  util::TempDir staging(session.root().tmp_dir(), "import-");
  std::vector<util::http::DownloadJob> jobs;
  std::vector<repo::IncludeInput> inputs;
  // A .changes's .dsc may name files the .changes leaves out (the orig
  // tarball of a second revision): fetched in a second round, as dget does.
  struct ListedDsc {
    std::filesystem::path dir;
    std::string base_url;
    std::string name;
    std::set<std::string> beside; // what the .changes brings
  };
  std::vector<ListedDsc> listed_dscs;
  std::size_t n = 0;
  for (const auto& url : urls) {
    const auto slash = url.rfind('/');
    const auto name = slash == std::string::npos ? url : url.substr(slash + 1);
    if (name.empty()) {
      throw util::Error("{}: names a directory, not a package (expected a .dsc, .changes, .deb, "
                        ".udeb or .ddeb URL)",
                        url);
    }
    check_safe_relative_path(name, url);
    const auto dir = staging.path() / fmt::format("{}", n++);
    util::make_dirs(dir);
    const auto ext = lower(name.substr(std::min(name.size(), name.rfind('.'))));
    if (ext == ".deb" || ext == ".udeb" || ext == ".ddeb") {
      // Nothing vouches for a lone .deb but the server: include reads it
      // whole and records exactly those bytes.
      session.progress().note(fmt::format(
          "WARNING: {}: a lone package has no signature or checksum to verify; its bytes are "
          "trusted as the server sends them",
          url));
      jobs.push_back({url, (dir / name).string(), max_package_size, "", false, {}});
    } else if (ext == ".dsc" || ext == ".changes") {
      const auto document = *fetcher.get(url, max_control_size);
      check_trusted(document, url, options, session.progress());
      const auto control =
          repo::parse_source_control(document, url, ext == ".dsc" ? "dsc" : "changes");
      const auto base = url.substr(0, slash + 1);
      for (const auto& file : control.files) {
        if (file.checksums.sha256.empty()) {
          throw util::Error("{}: no Checksums-Sha256 for {} (MD5 alone is too weak to trust)", url,
                            file.name);
        }
        jobs.push_back({base + file.name,
                        (dir / file.name).string(),
                        file.checksums.size,
                        file.checksums.sha256,
                        false,
                        {},
                        name});
      }
      if (ext == ".changes") {
        ListedDsc changes_dscs{dir, base, "", {}};
        for (const auto& file : control.files) {
          changes_dscs.beside.insert(file.name);
        }
        for (const auto& file : control.files) {
          if (lower(file.name).ends_with(".dsc")) {
            changes_dscs.name = file.name;
            listed_dscs.push_back(changes_dscs);
          }
        }
      }
      // The very bytes fetched (and verified) are what include reads.
      util::create_file(dir / name, document, 0644);
    } else {
      throw util::Error("{}: not a package URL (expected .dsc, .changes, .deb, .udeb or .ddeb)",
                        url);
    }
    inputs.push_back({(dir / name).string(), options.include.component, url});
  }
  auto& progress = session.progress();
  auto fetch_all = [&](std::vector<util::http::DownloadJob>& round) {
    progress.start("fetching files", round.size());
    std::string failure;
    fetcher.download(
        round,
        [&](const util::http::DownloadJob& job) {
          progress.advance();
          if (!job.ok && failure.empty()) {
            failure = fmt::format("{}: {}", job.url, job.error);
          }
        },
        [](std::uint64_t) {});
    progress.finish();
    if (!failure.empty()) {
      throw util::Error(failure);
    }
  };
  fetch_all(jobs);
  std::vector<util::http::DownloadJob> dsc_jobs;
  for (const auto& dsc : listed_dscs) {
    // Its bytes were checked against the .changes's SHA256 as they arrived.
    const auto control = repo::parse_source_control(
        util::read_file(dsc.dir / dsc.name, max_control_size), dsc.base_url + dsc.name, "dsc");
    for (const auto& file : control.files) {
      const auto& sha = file.checksums.sha256;
      if (dsc.beside.contains(file.name) || session.store().holds(sha, file.checksums.size)) {
        continue; // include finds what the store has by its SHA256
      }
      if (sha.empty()) {
        throw util::Error("{}{}: no Checksums-Sha256 for {} (MD5 alone is too weak to trust)",
                          dsc.base_url, dsc.name, file.name);
      }
      dsc_jobs.push_back({dsc.base_url + file.name,
                          (dsc.dir / file.name).string(),
                          file.checksums.size,
                          sha,
                          false,
                          {}});
    }
  }
  if (!dsc_jobs.empty()) {
    fetch_all(dsc_jobs);
  }
  auto include = options.include;
  include.move = true; // the downloads are ours to hand over
  include.private_inputs = true;
  return repo::include_inputs(session, dist_name, inputs, include);
}

} // namespace prepo::import
