// Debian version numbers: [epoch:]upstream[-revision], ordered exactly as
// dpkg orders them (deb-version(7)).
#pragma once

#include <string>
#include <string_view>

namespace prepo::repo {

struct Version {
  unsigned long epoch = 0;
  std::string upstream;
  std::string revision;
};

// Error "<what>: invalid version '<text>': <reason>" on malformed input.
Version parse_version(std::string_view text, std::string_view what);
bool is_valid_version(std::string_view text);

// <0, 0, >0 like dpkg --compare-versions. Both must be valid versions.
int compare_versions(std::string_view a, std::string_view b);

// The version without its epoch, as used in file names.
std::string_view version_without_epoch(std::string_view version);

} // namespace prepo::repo
