#include "stack/name_filter.hpp"

#include "util/error.hpp"

namespace prepo::stack {

NameFilter::NameFilter(const std::string& pattern)
{
  if (pattern.empty()) {
    return;
  }
  try {
    regex_.emplace(pattern, std::regex::ECMAScript);
  } catch (const std::regex_error& e) {
    throw util::Error("--only '{}': invalid regular expression: {}", pattern, e.what());
  }
}

bool NameFilter::matches(std::string_view name, std::string_view source) const
{
  auto found = [this](std::string_view s) {
    return std::regex_search(s.begin(), s.end(), *regex_);
  };
  return !regex_ || found(name) || found(source);
}

} // namespace prepo::stack
