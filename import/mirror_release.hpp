// A remote distribution's Release file, fetched and verified: InRelease (or
// Release with Release.gpg) checked with gpgme against the given keyrings,
// signature by signature, and Valid-Until honoured. Only the signed text is
// parsed, and everything after it (indexes, packages) is trusted only
// through the hashes it lists.
#pragma once

#include <cstdint>
#include <ctime>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "repo/deb822.hpp"
#include "util/http_fetch.hpp"
#include "util/progress.hpp"

namespace prepo::import {

struct TrustOptions {
  std::vector<std::string> keyrings; // files of public keys (binary or armored)
  bool allow_unsigned = false;
  std::time_t now = 0; // 0: the current time
};

// What the Release says of one file below dists/<dist>/.
struct ListedFile {
  std::uint64_t size = 0;
  std::string sha256; // lowercase hex; empty if only SHA512 is listed
  std::string sha512;
};

struct MirrorRelease {
  std::string dist_url; // MIRROR/dists/<dist>
  repo::Stanza fields;
  std::map<std::string, ListedFile> files; // path relative to dists/<dist>/
  std::vector<std::string> components;
  std::vector<std::string> architectures;
  bool acquire_by_hash = false;
  std::string signed_by; // fingerprint of the valid signature; empty when unsigned
  std::string text;      // the verified Release text
};

// Caps: a Release this large is broken or hostile.
inline constexpr std::uint64_t max_release_size = 64ull << 20;
// How far a Release's Date may be ahead of this host's clock: apt's
// Acquire::Max-FutureTime default. A Release from further in the future
// is "not valid yet" to apt, so the farm would publish what no client takes.
inline constexpr std::int64_t max_future_seconds = 10;

MirrorRelease fetch_release(util::http::Fetcher& fetcher, const std::string& mirror_url,
                            const std::string& dist, const TrustOptions& trust,
                            util::Progress& progress);

// Parse and check an already verified Release text (exposed for tests):
// hashes, Valid-Until and Date against `now`.
MirrorRelease parse_release(std::string text, const std::string& dist_url, std::time_t now);

// The Release must be the distribution asked for (`dist`, the mirror's
// dists/<dist>): a signed Release of another suite served under this name
// would otherwise fill the farm with it. Accepted as apt accepts it: its
// Codename or its Suite equals `dist`, or the part of `dist` before its
// last '/' ("buster/updates": Codename buster). Error naming the URL, what
// was asked and what the Release says.
void check_distribution_name(const MirrorRelease& release, std::string_view dist);

} // namespace prepo::import
