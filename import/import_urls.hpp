// prepo import: dget-style. A .dsc with every file it names, a .changes
// with its files, or a single .deb, fetched from http(s):// or file:// and
// included as if given locally (and recorded as imported from its URL).
#pragma once

#include <string>
#include <vector>

#include "repo/include.hpp"
#include "repo/session.hpp"

namespace prepo::import {

struct ImportUrlsOptions {
  std::vector<std::string> keyrings; // a signed .dsc/.changes must verify against these
  bool allow_unsigned = false;       // accept a .dsc/.changes nobody's signature vouches for
  unsigned parallel = 4;
  long stall_timeout_seconds = 60; // a transfer that receives nothing this long is retried
  std::string ca_file;             // CAs for https; empty: the system's (or $PREPO_CA_CERT)
  repo::IncludeOptions include;
};

repo::IncludeResult import_urls(repo::Session& session, const std::string& dist_name,
                                const std::vector<std::string>& urls,
                                const ImportUrlsOptions& options);

} // namespace prepo::import
