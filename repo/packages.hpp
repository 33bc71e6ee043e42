// Listing and removing the packages of one distribution.
#pragma once

#include <string>
#include <vector>

#include <optional>

#include "repo/database.hpp"
#include "repo/session.hpp"

namespace prepo::repo {

struct ListedPackage {
  std::string name;
  std::string version;
  std::string architecture;
  std::string component;
  RecordType type;
  std::optional<Origin> origin; // set when the package was imported
};

// Packages of `dist_name` whose name matches the shell pattern (fnmatch);
// an empty pattern matches all. Sorted by name, architecture, component.
std::vector<ListedPackage> list_packages(Reader& reader, const std::string& dist_name,
                                         const std::string& pattern);

struct RemoveOptions {
  bool publish = true;
  std::string command;
};

struct RemoveResult {
  std::size_t removed = 0;
  std::uint64_t generation = 0;
};

// Removes every slot (binary, udeb, source) whose package name is one of
// `names`; a name that matches nothing is an error and nothing is removed.
RemoveResult remove_packages(Session& session, const std::string& dist_name,
                             const std::vector<std::string>& names, const RemoveOptions& options);

} // namespace prepo::repo
