// The Range header (RFC 9110 section 14.2), bytes unit only. A request may
// name at most a few ranges: more are answered with the whole file, which
// the RFC allows and which bounds what one request can make us send.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace prepo::serve {

struct ByteRange {
  std::uint64_t first = 0;
  std::uint64_t length = 0;
  bool operator==(const ByteRange&) const = default;
};

inline constexpr std::size_t max_ranges = 4;

struct RangeSet {
  enum Kind {
    full,          // no usable Range header: 200 with the whole file
    partial,       // 206 with ranges[0..count)
    unsatisfiable, // 416 with Content-Range: bytes */size
  };
  Kind kind = full;
  std::array<ByteRange, max_ranges> ranges{};
  std::size_t count = 0;
};

// An unknown unit, a syntax error or more than max_ranges specs: full.
// Specs that start past the end are dropped; none left: unsatisfiable.
RangeSet parse_range(std::string_view header, std::uint64_t size);

} // namespace prepo::serve
