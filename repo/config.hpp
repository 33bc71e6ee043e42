// Farms and distributions as configured in conf/farms and
// conf/distributions (deb822, comments allowed), the way reprepro users keep
// conf/distributions. The files are the truth: the database holds packages,
// never configuration.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "repo/root.hpp"

namespace prepo::repo {

struct Distribution {
  std::string farm;
  std::string codename;
  std::string suite;
  std::string version;
  std::string origin;
  std::string label;
  std::string description;
  std::vector<std::string> components;
  std::vector<std::string> architectures; // binary architectures, "all" included if listed
  bool has_source = false;
  std::string sign_with; // key id or fingerprint; empty: unsigned
  std::string valid_for; // e.g. "7d": Valid-Until = Date + this; empty: none

  std::string full_name() const { return farm + "/" + codename; }
  bool has_component(std::string_view c) const;
  bool has_architecture(std::string_view a) const;
  // Binary architectures other than "all".
  std::vector<std::string> concrete_architectures() const;
  // The stanza as written to conf/distributions (used to detect changes).
  std::string to_text() const;
};

struct Farm {
  std::string name{};
  std::string description{};
  bool is_private = false;
  unsigned keep_generations = 10;
  std::vector<std::string> children{}; // farms this one may copy from
  // A local copy of a farm on another host: promote from it first fetches
  // the remote farm's current state, verified against `keyrings`.
  std::string remote{}; // URL of the remote farm's published root; empty: a local farm
  std::vector<std::string> keyrings{};
  std::string to_text() const;
};

class Config {
public:
  static Config load(const Root& root);
  // Both files, atomically each. Stanzas loaded from them are kept as the
  // user wrote them (comments included); added ones are appended.
  void save(const Root& root) const;
  // What save() writes to conf/distributions.
  std::string distributions_text() const;

  const std::vector<Farm>& farms() const { return farms_; }
  const std::vector<Distribution>& distributions() const { return distributions_; }

  const Farm* find_farm(std::string_view name) const;
  // Error "unknown farm 'x' (farms: a, b)".
  const Farm& farm(std::string_view name) const;
  // "farm/dist"; Error naming what is unknown and what exists.
  const Distribution& distribution(std::string_view farm_slash_dist) const;
  std::vector<const Distribution*> distributions_of(std::string_view farm) const;

  void add_farm(Farm farm);
  // Replaces a farm's children. save() then rewrites that farm's Children
  // line in place and leaves the rest of the file as written.
  void set_children(const std::string& farm, std::vector<std::string> children);
  // `dist.architectures` may hold "source" as typed (`dist add
  // --architectures amd64,source`): it becomes has_source, and a name
  // given twice is refused like a repeated name in conf/distributions.
  void add_distribution(Distribution dist);

private:
  // `where` names the file (and stanza) for the error a duplicate makes.
  void insert_farm(Farm farm, const std::string& where);
  void insert_distribution(Distribution dist, const std::string& where);
  void check_children(const std::string& source) const;
  // For messages; a Config not loaded from a root (tests) says "conf/...".
  std::string farms_source_ = "conf/farms", dists_source_ = "conf/distributions";
  std::vector<Farm> farms_;
  std::vector<Distribution> distributions_;
  std::string farms_text_, dists_text_; // as loaded
  std::size_t loaded_farms_ = 0, loaded_dists_ = 0;
  std::vector<std::string> edited_farms_; // loaded farms whose Children changed
};

// Seconds in "7d", "12h" or "30m" (0 for ""); Error naming `what` otherwise.
std::int64_t parse_duration(std::string_view text, std::string_view what);

// "dev/skaro" → {"dev", "skaro"}; Error if malformed.
std::pair<std::string, std::string> split_dist_name(std::string_view text);

} // namespace prepo::repo
