// The generations of a farm as people read them (prepo generations) and
// garbage collection of old generations and unreferenced stored files
// (prepo gc).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "repo/session.hpp"

namespace prepo::stack {

struct GenerationSummary {
  std::uint64_t number = 0;
  std::int64_t time = 0;
  std::string command;
  std::size_t added = 0, replaced = 0, removed = 0;
  bool published = false; // the generation the public tree shows
};

// Kept generations, oldest first.
std::vector<GenerationSummary> list_generations(repo::Reader& reader, const std::string& farm);

struct GcResult {
  std::size_t generations_dropped = 0;
  std::size_t files_removed = 0;   // pool links and stored objects
  std::size_t orphans_removed = 0; // stored objects no record knew (a killed include's)
};

// Applies each farm's retention with `keep` (default: its
// Keep-Generations; repo/retention.hpp), and removes store objects the
// database does not know.
GcResult collect_garbage(repo::Session& session, const std::vector<std::string>& farms,
                         std::optional<std::uint64_t> keep);

} // namespace prepo::stack
