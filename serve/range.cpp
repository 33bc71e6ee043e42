#include "serve/range.hpp"

#include "serve/field_text.hpp"

#include <algorithm>
#include <limits>
#include <optional>

namespace prepo::serve {

namespace {

// Digits only; values too large to represent are clamped, which keeps
// "bytes=99999999999999999999999-" unsatisfiable rather than a syntax error.
std::optional<std::uint64_t> parse_number(std::string_view s)
{
  if (s.empty()) {
    return std::nullopt;
  }
  std::uint64_t v = 0;
  constexpr auto max = std::numeric_limits<std::uint64_t>::max();
  for (char c : s) {
    if (c < '0' || c > '9') {
      return std::nullopt;
    }
    const auto d = static_cast<std::uint64_t>(c - '0');
    v = v > (max - d) / 10 ? max : v * 10 + d;
  }
  return v;
}

} // namespace

RangeSet parse_range(std::string_view header, std::uint64_t size)
{
  RangeSet full;
  header = trim_ows(header);
  if (!starts_with_nocase(header, "bytes=")) {
    return full;
  }
  std::string_view specs = header.substr(6);
  RangeSet out;
  out.kind = RangeSet::partial;
  std::size_t seen = 0;
  while (true) {
    const auto comma = specs.find(',');
    const auto spec = trim_ows(specs.substr(0, comma));
    if (!spec.empty()) { // empty list elements are allowed and ignored (RFC 9110 5.6.1)
      if (++seen > max_ranges) {
        return full;
      }
      const auto dash = spec.find('-');
      if (dash == std::string_view::npos) {
        return full;
      }
      const auto first_text = spec.substr(0, dash);
      const auto last_text = spec.substr(dash + 1);
      ByteRange r;
      bool satisfiable = false;
      if (first_text.empty()) { // suffix-range: the last N bytes
        const auto n = parse_number(last_text);
        if (!n) {
          return full;
        }
        satisfiable = *n > 0 && size > 0;
        r.length = std::min(*n, size);
        r.first = size - r.length;
      } else {
        const auto first = parse_number(first_text);
        if (!first) {
          return full;
        }
        std::uint64_t last = size == 0 ? 0 : size - 1;
        if (!last_text.empty()) {
          const auto l = parse_number(last_text);
          if (!l || *l < *first) {
            return full; // last < first makes the whole header invalid
          }
          last = std::min(last, *l);
        }
        satisfiable = *first < size;
        r.first = *first;
        r.length = satisfiable ? last - *first + 1 : 0;
      }
      if (satisfiable) {
        out.ranges[out.count++] = r;
      }
    }
    if (comma == std::string_view::npos) {
      break;
    }
    specs.remove_prefix(comma + 1);
  }
  if (seen == 0) {
    return full; // "bytes=" with nothing in it
  }
  if (out.count == 0) {
    out.kind = RangeSet::unsatisfiable;
  }
  return out;
}

} // namespace prepo::serve
