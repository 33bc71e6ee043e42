#include "repo/version.hpp"

#include <climits>

#include "repo/names.hpp"
#include "util/error.hpp"

namespace prepo::repo {

namespace {

bool is_digit(char c)
{
  return c >= '0' && c <= '9';
}
bool is_alpha(char c)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// The parts of a version as views into the text, so that comparing (which
// sorts thousands of versions) allocates nothing.
struct Parts {
  unsigned long epoch = 0;
  std::string_view upstream;
  std::string_view revision;
};

// dpkg's parseversion(), minus its leniency: dpkg only warns about invalid
// characters, but such a version cannot be published safely, so it is an
// error here. An upstream part not starting with a digit stays accepted
// (dpkg warns, and such versions exist in the wild). Returns the reason on
// failure, nullptr on success.
const char* split(std::string_view text, Parts& parts)
{
  if (text.empty()) {
    return "version string is empty";
  }
  for (char c : text) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f') {
      return "version string has embedded spaces";
    }
  }
  std::string_view rest = text;
  parts.epoch = 0;
  if (const auto colon = text.find(':'); colon != std::string_view::npos) {
    const std::string_view epoch = text.substr(0, colon);
    if (epoch.empty()) {
      return "epoch in version is empty";
    }
    unsigned long value = 0;
    for (char c : epoch) {
      if (!is_digit(c)) {
        return "epoch in version is not number";
      }
      value = value * 10 + static_cast<unsigned long>(c - '0');
      if (value > INT_MAX) {
        return "epoch in version is too big";
      }
    }
    rest = text.substr(colon + 1);
    if (rest.empty()) {
      return "nothing after colon in version number";
    }
    parts.epoch = value;
  }
  parts.revision = {};
  parts.upstream = rest;
  if (const auto hyphen = rest.rfind('-'); hyphen != std::string_view::npos) {
    parts.upstream = rest.substr(0, hyphen);
    parts.revision = rest.substr(hyphen + 1);
    if (parts.revision.empty()) {
      return "revision number is empty";
    }
  }
  if (parts.upstream.empty()) {
    return "version number is empty";
  }
  // The split above means a hyphen here implies a revision and a colon an
  // epoch, exactly dpkg's rule.
  for (char c : parts.upstream) {
    if (!is_digit(c) && !is_alpha(c) && c != '.' && c != '+' && c != '~' && c != '-' && c != ':') {
      return "invalid character in version number";
    }
  }
  for (char c : parts.revision) {
    if (!is_digit(c) && !is_alpha(c) && c != '.' && c != '+' && c != '~') {
      return "invalid character in revision number";
    }
  }
  return nullptr;
}

// dpkg's order(): '~' before everything (even the end), then the end and
// digits, then letters, then everything else.
int order(char c)
{
  if (is_digit(c)) {
    return 0;
  }
  if (is_alpha(c)) {
    return static_cast<unsigned char>(c);
  }
  if (c == '~') {
    return -1;
  }
  if (c != '\0') {
    return static_cast<unsigned char>(c) + 256;
  }
  return 0;
}

// dpkg's verrevcmp(): alternating non-digit and digit runs; digit runs
// compare numerically (leading zeros ignored, any length).
int verrevcmp(std::string_view a, std::string_view b)
{
  std::size_t i = 0;
  std::size_t j = 0;
  auto at = [](std::string_view s, std::size_t k) { return k < s.size() ? s[k] : '\0'; };
  while (i < a.size() || j < b.size()) {
    while ((i < a.size() && !is_digit(a[i])) || (j < b.size() && !is_digit(b[j]))) {
      const int ac = order(at(a, i));
      const int bc = order(at(b, j));
      if (ac != bc) {
        return ac - bc;
      }
      ++i;
      ++j;
    }
    while (at(a, i) == '0') {
      ++i;
    }
    while (at(b, j) == '0') {
      ++j;
    }
    int first_diff = 0;
    while (is_digit(at(a, i)) && is_digit(at(b, j))) {
      if (first_diff == 0) {
        first_diff = at(a, i) - at(b, j);
      }
      ++i;
      ++j;
    }
    if (is_digit(at(a, i))) {
      return 1;
    }
    if (is_digit(at(b, j))) {
      return -1;
    }
    if (first_diff != 0) {
      return first_diff;
    }
  }
  return 0;
}

Parts split_or_throw(std::string_view text, std::string_view what)
{
  Parts parts;
  if (const char* reason = split(text, parts)) {
    throw util::Error("{}: invalid version '{}': {}", what, printable_name(text), reason);
  }
  return parts;
}

} // namespace

Version parse_version(std::string_view text, std::string_view what)
{
  const Parts parts = split_or_throw(text, what);
  return {parts.epoch, std::string(parts.upstream), std::string(parts.revision)};
}

bool is_valid_version(std::string_view text)
{
  Parts parts;
  return split(text, parts) == nullptr;
}

int compare_versions(std::string_view a, std::string_view b)
{
  const Parts pa = split_or_throw(a, "comparing versions");
  const Parts pb = split_or_throw(b, "comparing versions");
  if (pa.epoch != pb.epoch) {
    return pa.epoch < pb.epoch ? -1 : 1;
  }
  if (int r = verrevcmp(pa.upstream, pb.upstream); r != 0) {
    return r;
  }
  return verrevcmp(pa.revision, pb.revision);
}

std::string_view version_without_epoch(std::string_view version)
{
  const auto colon = version.find(':');
  return colon == std::string_view::npos ? version : version.substr(colon + 1);
}

} // namespace prepo::repo
