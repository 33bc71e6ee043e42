#include "repo/config.hpp"

#include <algorithm>
#include <charconv>
#include <functional>
#include <map>
#include <set>

#include <fmt/format.h>

#include "repo/deb822.hpp"
#include "repo/names.hpp"
#include "util/error.hpp"
#include "util/file.hpp"

namespace prepo::repo {

namespace {

std::string join(const std::vector<std::string>& items, std::string_view sep = " ")
{
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) {
      out += sep;
    }
    out += item;
  }
  return out;
}

std::vector<std::string> split_words(std::string_view value)
{
  std::vector<std::string> out;
  for (auto word : words(value)) {
    out.emplace_back(word);
  }
  return out;
}

void append(std::string& out, std::string_view name, std::string_view value)
{
  // A newline would let one value write another field (e.g. a Description
  // carrying "SignWith: ..."), so configuration values are single lines.
  if (value.find_first_of("\r\n") != std::string_view::npos) {
    throw util::Error("{}: value must be a single line: '{}'", name,
                      value.substr(0, value.find_first_of("\r\n")));
  }
  if (!value.empty()) {
    out += fmt::format("{}: {}\n", name, value);
  }
}

void require_simple_name(std::string_view value, std::string_view what, std::string_view source)
{
  if (!is_valid_simple_name(value)) {
    throw util::Error("{}: invalid {} name '{}' (use lowercase letters, digits, '.', '_', '-')",
                      source, what, value);
  }
}

std::string optional_field(const Stanza& stanza, std::string_view name)
{
  auto value = stanza.get(name);
  return value ? std::string(*value) : std::string();
}

// A typo in a field name must not silently change behaviour (a misspelt
// SignWith would publish unsigned), so unknown fields are errors.
void require_known_fields(const Stanza& stanza, std::initializer_list<std::string_view> known,
                          std::string_view source)
{
  for (const auto& field : stanza.fields()) {
    bool ok = false;
    for (auto name : known) {
      ok = ok || iequals(field.name, name);
    }
    if (!ok) {
      throw util::Error("{}: unknown field '{}' (known: {})", source, field.name,
                        fmt::join(known, ", "));
    }
  }
}

// "conf/distributions (stanza 2)": where a stanza is, for messages.
std::string stanza_source(const std::string& file, std::size_t index)
{
  return fmt::format("{} (stanza {})", file, index + 1);
}

Farm parse_farm(const Stanza& stanza, const std::string& source)
{
  require_known_fields(stanza, {"Farm", "Description", "Visibility", "Keep-Generations", "Children", "Remote",
                       "Keyring"},
                       source);
  Farm farm;
  farm.name = std::string(stanza.require("Farm", source));
  require_simple_name(farm.name, "farm", source);
  farm.description = optional_field(stanza, "Description");
  const auto visibility = optional_field(stanza, "Visibility");
  if (visibility == "private") {
    farm.is_private = true;
  } else if (!visibility.empty() && visibility != "public") {
    throw util::Error("{}: farm {}: Visibility must be public or private, not '{}'", source,
                      farm.name, visibility);
  }
  if (auto keep = stanza.get("Keep-Generations")) {
    unsigned n = 0;
    auto [end, ec] = std::from_chars(keep->data(), keep->data() + keep->size(), n);
    if (ec != std::errc() || end != keep->data() + keep->size() || n < 3) {
      throw util::Error("{}: farm {}: Keep-Generations must be a number >= 3 (by-hash serves "
                        "the two publishes before the current one), not '{}'",
                        source, farm.name, *keep);
    }
    farm.keep_generations = n;
  }
  farm.children = split_words(optional_field(stanza, "Children"));
  farm.remote = optional_field(stanza, "Remote");
  farm.keyrings = split_words(optional_field(stanza, "Keyring"));
  if (!farm.remote.empty() && farm.keyrings.empty()) {
    throw util::Error("{}: farm {}: a Remote farm needs a Keyring to verify it with", source,
                      farm.name);
  }
  return farm;
}

Distribution parse_distribution(const Stanza& stanza, const std::string& source)
{
  require_known_fields(stanza,
                       {"Farm", "Codename", "Suite", "Version", "Origin", "Label", "Description",
                        "Components", "Architectures", "SignWith", "Valid-For"},
                       source);
  Distribution dist;
  dist.farm = std::string(stanza.require("Farm", source));
  dist.codename = std::string(stanza.require("Codename", source));
  require_simple_name(dist.farm, "farm", source);
  require_simple_name(dist.codename, "distribution", source);
  dist.suite = optional_field(stanza, "Suite");
  dist.version = optional_field(stanza, "Version");
  dist.origin = optional_field(stanza, "Origin");
  dist.label = optional_field(stanza, "Label");
  dist.description = optional_field(stanza, "Description");
  dist.sign_with = optional_field(stanza, "SignWith");
  dist.valid_for = optional_field(stanza, "Valid-For");
  parse_duration(dist.valid_for, source + ": " + dist.full_name());
  dist.components = split_words(stanza.require("Components", source));
  for (const auto& c : dist.components) {
    require_simple_name(c, "component", source);
  }
  for (auto& arch : split_words(stanza.require("Architectures", source))) {
    require_simple_name(arch, "architecture", source);
    if (arch == "source") {
      dist.has_source = true;
    } else {
      dist.architectures.push_back(std::move(arch));
    }
  }
  if (dist.components.empty()) {
    throw util::Error("{}: {}: Components is empty", source, dist.full_name());
  }
  return dist;
}

} // namespace

std::int64_t parse_duration(std::string_view text, std::string_view what)
{
  if (text.empty()) {
    return 0;
  }
  std::int64_t n = 0;
  std::size_t i = 0;
  for (; i < text.size() && i < 9 && std::isdigit(static_cast<unsigned char>(text[i])); ++i) {
    n = n * 10 + (text[i] - '0');
  }
  const auto unit = text.substr(i);
  if (i == 0 || (unit != "d" && unit != "h" && unit != "m")) {
    throw util::Error("{}: Valid-For must be a number of days, hours or minutes (7d, 12h, 30m), "
                      "not '{}'",
                      what, text);
  }
  return n * (unit == "h" ? 3600 : unit == "m" ? 60 : 86400);
}

bool Distribution::has_component(std::string_view c) const
{
  return std::find(components.begin(), components.end(), c) != components.end();
}

bool Distribution::has_architecture(std::string_view a) const
{
  return std::find(architectures.begin(), architectures.end(), a) != architectures.end();
}

std::vector<std::string> Distribution::concrete_architectures() const
{
  std::vector<std::string> out;
  for (const auto& a : architectures) {
    if (a != "all") {
      out.push_back(a);
    }
  }
  return out;
}

std::string Distribution::to_text() const
{
  std::string out;
  append(out, "Farm", farm);
  append(out, "Codename", codename);
  append(out, "Suite", suite);
  append(out, "Version", version);
  append(out, "Origin", origin);
  append(out, "Label", label);
  append(out, "Description", description);
  append(out, "Components", join(components));
  auto arches = architectures;
  if (has_source) {
    arches.emplace_back("source");
  }
  append(out, "Architectures", join(arches));
  append(out, "SignWith", sign_with);
  append(out, "Valid-For", valid_for);
  return out;
}

std::string Farm::to_text() const
{
  std::string out;
  append(out, "Farm", name);
  append(out, "Description", description);
  append(out, "Visibility", is_private ? "private" : "public");
  if (keep_generations != 10) {
    append(out, "Keep-Generations", std::to_string(keep_generations));
  }
  append(out, "Children", join(children));
  append(out, "Remote", remote);
  append(out, "Keyring", join(keyrings));
  return out;
}

namespace {

// The farms file with one stanza's Children line replaced (or added after
// its Farm line, or removed), every other line kept as written.
std::string edit_children(std::string_view text, const std::string& farm,
                          const std::string& children_line)
{
  std::string out;
  bool in_target = false, skipping = false;
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto end = text.find('\n', pos);
    auto line = text.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos);
    pos = end == std::string_view::npos ? text.size() : end + 1;
    const bool continuation = !line.empty() && (line[0] == ' ' || line[0] == '\t');
    if (skipping && continuation) {
      continue;
    }
    skipping = false;
    if (line.empty() || line.find_first_not_of(" \t") == std::string_view::npos) {
      in_target = false;
    } else if (!continuation && line.starts_with("Farm:")) {
      auto value = line.substr(5);
      value.remove_prefix(std::min(value.find_first_not_of(" \t"), value.size()));
      in_target = value.substr(0, value.find_last_not_of(" \t") + 1) == farm;
      out.append(line).push_back('\n');
      if (in_target && !children_line.empty()) {
        out += children_line;
      }
      continue;
    } else if (in_target && !continuation && iequals(line.substr(0, line.find(':')), "Children")) {
      skipping = true; // the old line and its continuations
      continue;
    }
    out.append(line).push_back('\n');
  }
  return out;
}

} // namespace

Config Config::load(const Root& root)
{
  Config config;
  const auto farms_source = root.farms_file().string();
  config.farms_text_ = util::read_file(root.farms_file(), 16 << 20);
  auto farm_stanzas = parse_deb822(config.farms_text_, farms_source, true);
  for (std::size_t i = 0; i < farm_stanzas.size(); ++i) {
    config.add_farm(parse_farm(farm_stanzas[i], stanza_source(farms_source, i)));
  }
  const auto dists_source = root.distributions_file().string();
  config.dists_text_ = util::read_file(root.distributions_file(), 16 << 20);
  auto dist_stanzas = parse_deb822(config.dists_text_, dists_source, true);
  for (std::size_t i = 0; i < dist_stanzas.size(); ++i) {
    auto dist = parse_distribution(dist_stanzas[i], stanza_source(dists_source, i));
    if (!config.find_farm(dist.farm)) {
      throw util::Error("{}: distribution {} names unknown farm '{}'", dists_source,
                        dist.full_name(), dist.farm);
    }
    config.add_distribution(std::move(dist));
  }
  config.check_children(farms_source);
  config.loaded_farms_ = config.farms_.size();
  config.loaded_dists_ = config.distributions_.size();
  return config;
}

void Config::save(const Root& root) const
{
  // What was loaded stays as the user wrote it (comments, order, spelling);
  // what was added since is appended.
  std::string farms = farms_text_.empty()
                        ? std::string("# Farms, one stanza each (see docs/configuration.md).\n")
                        : farms_text_;
  for (const auto& name : edited_farms_) {
    const auto& children = find_farm(name)->children;
    farms = edit_children(farms, name,
                          children.empty() ? std::string()
                                           : fmt::format("Children: {}\n", join(children)));
  }
  for (auto i = loaded_farms_; i < farms_.size(); ++i) {
    farms += (farms.ends_with("\n") ? "\n" : "\n\n") + farms_[i].to_text();
  }
  // Distributions first: a farms file naming a farm whose distributions are
  // missing is valid; the reverse is not.
  util::write_file_atomic(root.distributions_file(), distributions_text());
  util::write_file_atomic(root.farms_file(), farms);
}

std::string Config::distributions_text() const
{
  std::string dists =
    dists_text_.empty()
      ? std::string("# Distributions, one stanza each (see docs/configuration.md).\n")
      : dists_text_;
  for (auto i = loaded_dists_; i < distributions_.size(); ++i) {
    dists += (dists.ends_with("\n") ? "\n" : "\n\n") + distributions_[i].to_text();
  }
  return dists;
}

void Config::check_children(const std::string& source) const
{
  for (const auto& farm : farms_) {
    std::set<std::string> seen;
    for (const auto& child : farm.children) {
      if (!find_farm(child)) {
        throw util::Error("{}: farm {}: unknown child farm '{}'", source, farm.name, child);
      }
      if (child == farm.name) {
        throw util::Error("{}: farm {} lists itself as a child", source, farm.name);
      }
      if (!seen.insert(child).second) {
        throw util::Error("{}: farm {} lists child {} twice", source, farm.name, child);
      }
    }
  }
  // A cycle would let a promote copy a farm into itself through others.
  std::map<std::string, int> state; // 1: on the current path, 2: done
  std::vector<std::string> path;
  std::function<void(const Farm&)> visit = [&](const Farm& farm) {
    state[farm.name] = 1;
    path.push_back(farm.name);
    for (const auto& child : farm.children) {
      if (state[child] == 1) {
        std::string cycle;
        for (auto it = std::find(path.begin(), path.end(), child); it != path.end(); ++it) {
          cycle += *it + " -> ";
        }
        throw util::Error("{}: the Children fields form a cycle: {}{}", source, cycle, child);
      }
      if (state[child] == 0) {
        visit(*find_farm(child));
      }
    }
    path.pop_back();
    state[farm.name] = 2;
  };
  for (const auto& farm : farms_) {
    if (state[farm.name] == 0) {
      visit(farm);
    }
  }
}

const Farm* Config::find_farm(std::string_view name) const
{
  for (const auto& farm : farms_) {
    if (farm.name == name) {
      return &farm;
    }
  }
  return nullptr;
}

const Farm& Config::farm(std::string_view name) const
{
  if (const auto* farm = find_farm(name)) {
    return *farm;
  }
  std::vector<std::string> names;
  for (const auto& farm : farms_) {
    names.push_back(farm.name);
  }
  throw util::Error("unknown farm '{}' ({})", name,
                    names.empty() ? "no farms yet: prepo farm add NAME"
                                  : "farms: " + join(names, ", "));
}

const Distribution& Config::distribution(std::string_view farm_slash_dist) const
{
  auto [farm_name, codename] = split_dist_name(farm_slash_dist);
  farm(farm_name);
  std::vector<std::string> names;
  for (const auto& dist : distributions_) {
    if (dist.farm == farm_name) {
      if (dist.codename == codename) {
        return dist;
      }
      names.push_back(dist.codename);
    }
  }
  throw util::Error("unknown distribution '{}' ({})", farm_slash_dist,
                    names.empty() ? fmt::format("farm {} has none yet: prepo dist add {}/NAME",
                                                farm_name, farm_name)
                                  : fmt::format("farm {} has: {}", farm_name, join(names, ", ")));
}

std::vector<const Distribution*> Config::distributions_of(std::string_view farm) const
{
  std::vector<const Distribution*> out;
  for (const auto& dist : distributions_) {
    if (dist.farm == farm) {
      out.push_back(&dist);
    }
  }
  return out;
}

void Config::add_farm(Farm farm)
{
  // Through the parser, so that conf/ never holds what loading would refuse.
  farm = parse_farm(parse_single_stanza(farm.to_text(), "farm " + farm.name), "farm " + farm.name);
  if (find_farm(farm.name)) {
    throw util::Error("farm '{}' already exists", farm.name);
  }
  farms_.push_back(std::move(farm));
}

void Config::set_children(const std::string& name, std::vector<std::string> children)
{
  for (std::size_t i = 0; i < farms_.size(); ++i) {
    if (farms_[i].name == name) {
      farms_[i].children = std::move(children);
      if (i < loaded_farms_) {
        edited_farms_.push_back(name);
      }
      return;
    }
  }
  throw util::Error("unknown farm '{}'", name);
}

void Config::add_distribution(Distribution dist)
{
  // Through the parser, so that conf/ never holds what loading would refuse.
  dist = parse_distribution(parse_single_stanza(dist.to_text(), dist.full_name()),
                            dist.full_name());
  for (const auto& existing : distributions_) {
    if (existing.farm == dist.farm && existing.codename == dist.codename) {
      throw util::Error("distribution '{}' already exists", dist.full_name());
    }
  }
  distributions_.push_back(std::move(dist));
}

std::pair<std::string, std::string> split_dist_name(std::string_view text)
{
  const auto slash = text.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == text.size() ||
      text.find('/', slash + 1) != std::string_view::npos) {
    throw util::Error("'{}': expected FARM/DISTRIBUTION, e.g. dev/skaro", text);
  }
  return {std::string(text.substr(0, slash)), std::string(text.substr(slash + 1))};
}

} // namespace prepo::repo
