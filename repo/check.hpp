// prepo check: the database against itself (reference counts recomputed
// from the slots and kept generations), against the store (every object
// present, right size, right SHA256), and against the published tree
// (every file a Release lists matches it; every pool file an index lists
// matches the index; a signed distribution's InRelease and Release.gpg
// verify with its SignWith key and sign Release). Problems fail the check;
// notes (a publish not yet done, leftovers a killed command left) do not.
#pragma once

#include <string>
#include <vector>

#include "repo/session.hpp"

namespace prepo::repo {

struct CheckOptions {
  bool verify_hashes = true; // hash every stored object, not just its size
};

struct CheckReport {
  std::vector<std::string> problems;
  std::vector<std::string> notes;
  std::size_t objects_checked = 0;
  std::size_t published_files_checked = 0;
  bool ok() const { return problems.empty(); }
};

CheckReport check_root(Reader& reader, const CheckOptions& options, util::Progress& progress);

} // namespace prepo::repo
