// prepo import-mirror: bring back every file a mirror publishes for some
// distributions, verified and byte-exact, as if it had been built here.
// The chain of trust is Release signature -> index hashes -> file hashes;
// the files then go through include, so an imported package is recorded
// exactly as a local one (plus where it came from).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "import/mirror_release.hpp"
#include "repo/session.hpp"

namespace prepo::import {

struct MirrorDist {
  std::string remote; // the mirror's dists/<remote>
  std::string local;  // the farm's distribution it fills
};

struct ImportMirrorOptions {
  std::string farm;
  std::string mirror_url;
  std::vector<MirrorDist> dists;
  TrustOptions trust;
  bool only_missing = false;  // keep what the farm has; add only what it lacks
  bool prefer_mirror = false; // a file the farm has with other bytes takes the mirror's
  std::string only;           // ECMAScript regex searched in source and binary names; "": all
  // Only these of the mirror's components and architectures ("source" for
  // Sources); empty: all it lists. They narrow both a distribution made
  // from the Release and the indexes read into an existing one.
  std::vector<std::string> components, architectures;
  bool udebs = true;  // read the debian-installer indexes too
  bool exact = false; // also remove what the mirror no longer lists (a remote child's copy)
  unsigned parallel = 4;
  long stall_timeout_seconds = 60; // a transfer that receives nothing this long is retried
  std::string ca_file;             // CAs for https; empty: the system's (or $PREPO_CA_CERT)
  std::uint64_t max_index_size = 1ull << 30; // decompressed, when the Release gives no size
  bool publish = true;
  std::string command;
};

// listed = present + kept + imported + failures.size(): every package the
// mirror lists (and --only accepts) ends up in exactly one of them.
struct ImportReport {
  std::size_t listed = 0;   // packages the mirror lists, refused stanzas included
  std::size_t present = 0;  // already in the farm with the same bytes
  std::size_t kept = 0;     // --only-missing: the farm's other version kept
  std::size_t imported = 0; // recorded by this run
  std::size_t removed = 0;  // with exact: no longer listed by the mirror
  std::uint64_t files_fetched = 0, bytes_fetched = 0;
  std::vector<std::string> failures; // one line per package: what failed and why
};

// Imports what it can; everything verified is committed even when some
// packages fail (they are listed in the report, and the caller exits
// non-zero). Errors that stop the whole run (bad signature, expired
// Release, an index that does not match) throw before anything is written.
ImportReport import_mirror(repo::Session& session, const ImportMirrorOptions& options);

} // namespace prepo::import
