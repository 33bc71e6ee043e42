// A remote child farm (conf/farms: Remote, Keyring) is kept as a local,
// unpublished copy. Before a promote reads it, the copy is made equal to
// what the remote farm publishes now, through the same verified fetch as
// import-mirror; files the store already holds are not fetched again.
#pragma once

#include <string>
#include <vector>

#include "repo/session.hpp"

namespace prepo::import {

// How the remote child is fetched (as import-mirror's -j and --timeout).
struct RemoteFetch {
  unsigned parallel = 4;
  long stall_timeout_seconds = 60;
};

// Brings `child`'s copy of each of `dists` up to date. Error if the remote
// cannot be verified or any package fails (a promote must not read a
// partial copy); what was verified stays for the next attempt.
void refresh_remote_child(repo::Session& session, const repo::Farm& child,
                          const std::vector<std::string>& dists, const std::string& command,
                          const RemoteFetch& fetch = {});

// The local name for a remote farm URL: its last path segment
// ("https://rc-host/rc" -> "rc"); Error if that is not a valid farm name.
std::string remote_farm_name(const std::string& url);

} // namespace prepo::import
