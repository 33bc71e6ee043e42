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

// A value written to conf/ by prepo: on one line, since a newline would let
// one value write another field (e.g. a Description carrying
// "SignWith: ..."). Values loaded or added passed single_line() already.
void append(std::string& out, std::string_view name, std::string_view value)
{
  if (value.find_first_of("\r\n") != std::string_view::npos) {
    throw util::Error("{}: value must be a single line: '{}'", name,
                      value.substr(0, value.find_first_of("\r\n")));
  }
  if (!value.empty()) {
    out += fmt::format("{}: {}\n", name, value);
  }
}

void put(Stanza& stanza, std::string_view name, std::string value)
{
  if (!value.empty()) {
    stanza.fields().push_back({std::string(name), std::move(value)});
  }
}

// An optional field whose value is one line: a continuation line would
// turn into a second line of a Release field, or of conf/ when prepo
// writes the value back.
std::string single_line(const Stanza& stanza, std::string_view name, std::string_view where)
{
  auto value = stanza.get(name);
  if (!value) {
    return {};
  }
  if (const auto nl = value->find_first_of("\r\n"); nl != std::string_view::npos) {
    throw util::Error("{}: {} must be a single line: '{}' continues on the next line", where, name,
                      printable_name(value->substr(0, nl)));
  }
  return std::string(*value);
}

void require_simple_name(std::string_view value, std::string_view what, std::string_view where)
{
  if (!is_valid_simple_name(value)) {
    throw util::Error("{}: invalid {} name '{}' (use lowercase letters, digits, '.', '_', '-')",
                      where, what, printable_name(value));
  }
}

void require_architecture_name(std::string_view value, std::string_view where)
{
  if (!is_valid_architecture_name(value)) {
    throw util::Error("{}: invalid architecture name '{}' (Debian architectures are lowercase "
                      "letters, digits and '-')",
                      where, printable_name(value));
  }
}

// A list field (Components, Architectures): present, not empty, no name
// twice. A repeated name would be published twice: two writers of one
// index path, and a publish that fails until conf/ is corrected.
std::vector<std::string> name_list(const Stanza& stanza, std::string_view name,
                                   std::string_view where)
{
  auto names = split_words(stanza.require(name, where));
  if (names.empty()) {
    throw util::Error("{}: {} is empty", where, name);
  }
  std::set<std::string_view> seen;
  for (const auto& item : names) {
    if (!seen.insert(item).second) {
      throw util::Error("{}: {} lists '{}' twice", where, name, printable_name(item));
    }
  }
  return names;
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
  require_known_fields(
      stanza,
      {"Farm", "Description", "Visibility", "Keep-Generations", "Children", "Remote", "Keyring"},
      source);
  Farm farm;
  farm.name = std::string(stanza.require("Farm", source));
  require_simple_name(farm.name, "farm", source);
  const auto where = fmt::format("{}: farm {}", source, farm.name);
  farm.description = single_line(stanza, "Description", where);
  const auto visibility = optional_field(stanza, "Visibility");
  if (visibility == "private") {
    farm.is_private = true;
  } else if (!visibility.empty() && visibility != "public") {
    throw util::Error("{}: Visibility must be public or private, not '{}'", where,
                      printable_name(visibility));
  }
  if (auto keep = stanza.get("Keep-Generations")) {
    unsigned n = 0;
    auto [end, ec] = std::from_chars(keep->data(), keep->data() + keep->size(), n);
    if (ec != std::errc() || end != keep->data() + keep->size() || n < 3) {
      throw util::Error("{}: Keep-Generations must be a number >= 3 (by-hash serves "
                        "the two publishes before the current one), not '{}'",
                        where, printable_name(*keep));
    }
    farm.keep_generations = n;
  }
  farm.children = split_words(optional_field(stanza, "Children"));
  farm.remote = single_line(stanza, "Remote", where);
  farm.keyrings = split_words(optional_field(stanza, "Keyring"));
  if (!farm.remote.empty() && farm.keyrings.empty()) {
    throw util::Error("{}: a Remote farm needs a Keyring to verify it with", where);
  }
  return farm;
}

// Every check a distribution gets, whether it comes from conf/ or from
// `prepo dist add` (through dist_stanza): `source` names the file and,
// when loading, the stanza.
Distribution parse_distribution(const Stanza& stanza, const std::string& source)
{
  require_known_fields(stanza,
                       {"Farm", "Codename", "Suite", "Version", "Origin", "Label", "Description",
                        "Components", "Architectures", "SignWith", "Valid-For"},
                       source);
  Distribution dist;
  dist.farm = std::string(stanza.require("Farm", source));
  dist.codename = std::string(stanza.require("Codename", source));
  const auto where = fmt::format("{}: {}", source, printable_name(dist.full_name()));
  require_simple_name(dist.farm, "farm", where);
  require_simple_name(dist.codename, "distribution", where);
  dist.suite = single_line(stanza, "Suite", where);
  if (!dist.suite.empty() && !is_valid_suite_name(dist.suite)) {
    throw util::Error("{}: invalid Suite '{}' (one word of letters, digits, '.', '_', '~', '+', "
                      "'-', starting with a letter or digit)",
                      where, printable_name(dist.suite));
  }
  dist.version = single_line(stanza, "Version", where);
  dist.origin = single_line(stanza, "Origin", where);
  dist.label = single_line(stanza, "Label", where);
  dist.description = single_line(stanza, "Description", where);
  dist.sign_with = single_line(stanza, "SignWith", where);
  dist.valid_for = single_line(stanza, "Valid-For", where);
  parse_duration(dist.valid_for, where);
  dist.components = name_list(stanza, "Components", where);
  for (const auto& c : dist.components) {
    require_simple_name(c, "component", where);
  }
  for (auto& arch : name_list(stanza, "Architectures", where)) {
    require_architecture_name(arch, where);
    if (arch == "source") {
      dist.has_source = true;
    } else {
      dist.architectures.push_back(std::move(arch));
    }
  }
  return dist;
}

// The fields of a Distribution or a Farm as their conf/ stanza, for
// to_text and for the checks of parse_*: what add_* accepts loads back.
// List items are written one word each; one holding a blank or nothing is
// refused here, as joining it would make other words.
Stanza dist_stanza(const Distribution& d, std::string_view where)
{
  auto list = [&](std::string_view field, std::vector<std::string> items) {
    for (const auto& item : items) {
      if (item.empty() || item.find_first_of(" \t\r\n") != std::string::npos) {
        throw util::Error("{}: {}: invalid name '{}' in {}", where, d.full_name(),
                          printable_name(item), field);
      }
    }
    return join(items);
  };
  Stanza s;
  put(s, "Farm", d.farm);
  put(s, "Codename", d.codename);
  put(s, "Suite", d.suite);
  put(s, "Version", d.version);
  put(s, "Origin", d.origin);
  put(s, "Label", d.label);
  put(s, "Description", d.description);
  put(s, "Components", list("Components", d.components));
  auto arches = d.architectures;
  if (d.has_source) {
    arches.emplace_back("source");
  }
  put(s, "Architectures", list("Architectures", arches));
  put(s, "SignWith", d.sign_with);
  put(s, "Valid-For", d.valid_for);
  return s;
}

Stanza farm_stanza(const Farm& f)
{
  Stanza s;
  put(s, "Farm", f.name);
  put(s, "Description", f.description);
  put(s, "Visibility", f.is_private ? "private" : "public");
  if (f.keep_generations != 10) {
    put(s, "Keep-Generations", std::to_string(f.keep_generations));
  }
  put(s, "Children", join(f.children));
  put(s, "Remote", f.remote);
  put(s, "Keyring", join(f.keyrings));
  return s;
}

// The stanza's text, every value on one line.
std::string stanza_text(const Stanza& stanza)
{
  std::string out;
  for (const auto& field : stanza.fields()) {
    append(out, field.name, field.value);
  }
  return out;
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
  return stanza_text(dist_stanza(*this, "conf/distributions"));
}

std::string Farm::to_text() const
{
  return stanza_text(farm_stanza(*this));
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
    auto line =
        text.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos);
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
  config.farms_source_ = root.farms_file().string();
  config.farms_text_ = util::read_file(root.farms_file(), 16 << 20);
  auto farm_stanzas = parse_deb822(config.farms_text_, config.farms_source_, true);
  for (std::size_t i = 0; i < farm_stanzas.size(); ++i) {
    const auto where = stanza_source(config.farms_source_, i);
    config.insert_farm(parse_farm(farm_stanzas[i], where), where);
  }
  config.dists_source_ = root.distributions_file().string();
  config.dists_text_ = util::read_file(root.distributions_file(), 16 << 20);
  auto dist_stanzas = parse_deb822(config.dists_text_, config.dists_source_, true);
  for (std::size_t i = 0; i < dist_stanzas.size(); ++i) {
    const auto where = stanza_source(config.dists_source_, i);
    config.insert_distribution(parse_distribution(dist_stanzas[i], where), where);
  }
  config.check_children(config.farms_source_);
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
  // Through the parser, so that conf/ never holds what loading would refuse:
  // first for its messages, then as load() will read the text back.
  const auto stanza = farm_stanza(farm);
  parse_farm(stanza, farms_source_);
  insert_farm(parse_farm(parse_single_stanza(stanza_text(stanza), farms_source_), farms_source_),
              farms_source_);
}

void Config::insert_farm(Farm farm, const std::string& where)
{
  if (find_farm(farm.name)) {
    throw util::Error("{}: farm '{}' already exists", where, farm.name);
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
  // As add_farm: checked with messages naming the file, then read back.
  const auto stanza = dist_stanza(dist, dists_source_);
  parse_distribution(stanza, dists_source_);
  insert_distribution(
      parse_distribution(parse_single_stanza(stanza_text(stanza), dists_source_), dists_source_),
      dists_source_);
}

void Config::insert_distribution(Distribution dist, const std::string& where)
{
  if (!find_farm(dist.farm)) {
    throw util::Error("{}: distribution {} names unknown farm '{}'", where, dist.full_name(),
                      dist.farm);
  }
  for (const auto& existing : distributions_) {
    if (existing.farm == dist.farm && existing.codename == dist.codename) {
      throw util::Error("{}: distribution '{}' already exists", where, dist.full_name());
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
