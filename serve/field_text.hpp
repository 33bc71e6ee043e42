// Small helpers for header field values (RFC 9110 5.5/5.6), shared by the
// parsers of Range, dates, entity tags and credentials.
#pragma once

#include <string_view>

namespace prepo::serve {

// Without the optional whitespace (spaces and tabs) around it.
inline std::string_view trim_ows(std::string_view s)
{
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

// `s` starts with `lower_prefix`, ASCII letters compared case-insensitively.
inline bool starts_with_nocase(std::string_view s, std::string_view lower_prefix)
{
  if (s.size() < lower_prefix.size()) {
    return false;
  }
  for (std::size_t i = 0; i < lower_prefix.size(); ++i) {
    if ((s[i] | 0x20) != lower_prefix[i]) {
      return false;
    }
  }
  return true;
}

} // namespace prepo::serve
