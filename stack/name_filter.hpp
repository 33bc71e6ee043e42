// --only REGEX, as promote and import-mirror take it: an ECMAScript regular
// expression searched in a package's binary and source names.
#pragma once

#include <optional>
#include <regex>
#include <string>
#include <string_view>

namespace prepo::stack {

class NameFilter {
public:
  // "" matches every package; a malformed expression is an Error naming it.
  explicit NameFilter(const std::string& pattern);
  bool active() const { return regex_.has_value(); }
  bool matches(std::string_view name, std::string_view source) const;

private:
  std::optional<std::regex> regex_;
};

} // namespace prepo::stack
