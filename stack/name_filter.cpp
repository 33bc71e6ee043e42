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

bool NameFilter::matches(const std::string& name, const std::string& source) const
{
  return !regex_ || std::regex_search(name, *regex_) || std::regex_search(source, *regex_);
}

} // namespace prepo::stack
