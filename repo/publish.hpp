// Publishing a farm: the public tree under public/<farm>/ is made to show
// the farm's current generation.
//
// Each distribution's index set is written into a fresh directory
// dists/<dist>@<generation> and made current by renaming one symlink,
// dists/<dist> -> <dist>@<generation>: a client sees the old or the new
// InRelease, Release and indexes, never a mix. The previous two directories
// stay, and every directory's by-hash/ also holds the files of the two
// publishes before it, so a client that read an older InRelease still gets
// matching indexes.
//
// Indexes are cut into content-defined chunks (boundaries depend on the
// packages, not on offsets), compressed chunk by chunk, and the compressed
// chunks are cached in the database: including one package recompresses one
// chunk, not the whole Packages file.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "repo/session.hpp"
#include "util/hash.hpp"

namespace prepo::repo {

class IndexHeadStart;

struct PublishOptions {
  bool force = false; // rewrite every index even if nothing changed
  // Plans and compressed chunks the command made ahead (repo/index_plan.hpp).
  IndexHeadStart* head_start = nullptr;
};

struct PublishResult {
  std::vector<std::string> published; // "dev/skaro@7"
  bool nothing_to_do = false;
};

// What a published distribution remembers of the stanza it was published
// from (PublishedDist::config_digest): a publish after the stanza changed
// rewrites it, and check knows what the published tree was made with.
std::string config_digest(const Distribution& dist);

// A published directory's name, dists/<dist>@<generation>[-<serial>]: the
// farm generation it shows, and which publish of that generation it is (1,
// the first, has no suffix). A name without '@' shows generation 0.
struct DirectoryName {
  std::uint64_t generation = 0;
  std::uint64_t serial = 1;
};
DirectoryName parse_directory_name(std::string_view name);

// Where a published directory `dir` serves by hash the file Release lists
// as `entry_path`: <dir>/<entry's directory>/by-hash/<SHA256|...>/<digest>.
std::filesystem::path by_hash_path(const std::filesystem::path& dir, std::string_view entry_path,
                                   util::HashKind kind, std::string_view digest);

PublishResult publish_farm(Session& session, const std::string& farm,
                           const PublishOptions& options);

// For commands that committed a change and then publish it: a failure says
// that the change is recorded and how to publish it once fixed.
void publish_after_change(Session& session, const std::string& farm, std::uint64_t generation,
                          IndexHeadStart* head_start = nullptr);

} // namespace prepo::repo
