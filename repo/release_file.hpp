// Release files: the top-level dists/<dist>/Release that lists every index
// with its size and MD5Sum/SHA1/SHA256/SHA512, and the small per-index-
// directory Release files (dists/<dist>/<comp>/binary-<arch>/Release).
#pragma once

#include <ctime>
#include <optional>
#include <string>
#include <vector>

#include "util/hash.hpp"

namespace prepo::repo {

struct ReleaseFields {
  std::string origin;
  std::string label;
  std::string suite;
  std::string codename;
  std::string version; // optional
  std::time_t date = 0;
  std::optional<std::time_t> valid_until;
  std::vector<std::string> architectures; // without "source"
  std::vector<std::string> components;
  std::string description;
  bool acquire_by_hash = true;
  bool not_automatic = false;
  bool but_automatic_upgrades = false;
};

struct ReleaseEntry {
  std::string path; // relative to dists/<dist>/, e.g. "main/binary-amd64/Packages.xz"
  util::Checksums checksums;
};

// "Sat, 21 Nov 2026 14:22:00 UTC" as apt expects (RFC 2822, UTC).
std::string format_release_date(std::time_t t);
// The inverse, for Release files others wrote: "Sat, 21 Nov 2026 14:22:00
// UTC" (also GMT, Z or a +hhmm offset; the weekday is optional). nullopt if
// it is not such a date.
std::optional<std::time_t> parse_release_date(std::string_view text);

// Release text: fields in the conventional order, then MD5Sum, SHA1, SHA256
// and SHA512 sections, entries sorted by path, sizes right-aligned as
// apt-ftparchive does.
std::string make_release(const ReleaseFields& fields, const std::vector<ReleaseEntry>& entries);

// dists/<dist>/<component>/binary-<arch>/Release (or source/Release).
std::string make_index_release(const ReleaseFields& fields, std::string_view component,
                               std::string_view architecture);

} // namespace prepo::repo
