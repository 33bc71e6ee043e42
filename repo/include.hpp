// prepo include: binary packages, source packages and .changes into one
// distribution. Every input is read and verified before anything is written;
// then one transaction records them as one generation.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "repo/session.hpp"

namespace prepo::repo {

struct IncludeOptions {
  std::string component; // empty: from the Section's "component/" prefix, else the first
  bool replace = false;  // allow other bytes under a pool name already taken
  bool allow_downgrade = false;
  bool move = false; // take the input files over: link instead of copy, remove them after
  // With move: the inputs are the caller's own files (import's downloads),
  // which nobody else writes, so the bytes hashed while reading them are the
  // bytes stored, and they are renamed into the store without a second read.
  bool private_inputs = false;
  bool publish = true;
  std::string command; // recorded in the generation
  // Report an input that fails (unreadable, a clash, a downgrade) in
  // IncludeResult::failures and record the others, instead of refusing all.
  bool keep_going = false;
  // Called (from reading threads) with each package as read: the input as
  // given and its record. A message refuses it, "" accepts it. import uses
  // it to refuse a file that is not the package its index describes.
  std::function<std::string(const std::string& input, const Record& record)> check_read;
};

// One input with what the caller already knows of it (import knows the
// component a mirror published it in, and where it came from).
struct IncludeInput {
  std::string path;      // where the bytes are; also what messages name
  std::string component; // empty: as IncludeOptions::component
  std::string origin;    // URL it was imported from; empty: built or given here
};

struct IncludeFailure {
  std::string input;
  std::string message; // the one-line error
};

struct IncludeResult {
  std::size_t added = 0, replaced = 0, unchanged = 0;
  std::uint64_t generation = 0;
  std::vector<IncludeFailure> failures; // only with keep_going
};

// `inputs` are file names as the user gave them (plain strings: a batch of
// 10,000 fs::path objects would cost megabytes of parsed components).
IncludeResult include_files(Session& session, const std::string& dist_name,
                            const std::vector<std::string>& inputs, const IncludeOptions& options);
IncludeResult include_inputs(Session& session, const std::string& dist_name,
                             const std::vector<IncludeInput>& inputs,
                             const IncludeOptions& options);

} // namespace prepo::repo
