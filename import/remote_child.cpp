#include "import/remote_child.hpp"

#include <fmt/format.h>

#include "import/import_mirror.hpp"
#include "repo/names.hpp"
#include "util/error.hpp"

namespace prepo::import {

void refresh_remote_child(repo::Session& session, const repo::Farm& child,
                          const std::vector<std::string>& dists, const std::string& command,
                          const RemoteFetch& fetch)
{
  ImportMirrorOptions options;
  options.farm = child.name;
  options.mirror_url = child.remote;
  for (const auto& d : dists) {
    options.dists.push_back({d, d});
  }
  options.trust.keyrings = child.keyrings;
  options.exact = true;
  options.prefer_mirror = true; // the copy holds nothing but what the remote published
  options.publish = false;      // a copy, never published itself
  options.command = command;
  options.parallel = fetch.parallel;
  options.stall_timeout_seconds = fetch.stall_timeout_seconds;
  session.progress().note(
      fmt::format("fetching the current state of {} ({})", child.name, child.remote));
  auto report = import_mirror(session, options);
  if (!report.failures.empty()) {
    throw util::Error("remote child {} ({}): {} package(s) could not be fetched, first: {}",
                      child.name, child.remote, report.failures.size(), report.failures.front());
  }
  session.progress().note(fmt::format("{}: {} new, {} removed, {} unchanged", child.name,
                                      report.imported, report.removed, report.present));
}

std::string remote_farm_name(const std::string& url)
{
  auto end = url.find_last_not_of('/');
  auto start = url.rfind('/', end);
  auto name = url.substr(start + 1, end - start);
  if (url.find("://") == std::string::npos || !repo::is_valid_simple_name(name)) {
    throw util::Error("--from {}: cannot name the remote farm after '{}'; give --child-name", url,
                      name);
  }
  return name;
}

} // namespace prepo::import
