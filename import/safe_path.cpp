#include "import/safe_path.hpp"

#include "util/error.hpp"

namespace prepo::import {

namespace {

bool allowed(char c)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '+' || c == '~' || c == '-' || c == '/';
}

} // namespace

void check_safe_relative_path(std::string_view path, std::string_view source)
{
  auto refuse = [&](std::string_view why) {
    std::string shown;
    for (char c : path.substr(0, 200)) {
      shown += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? '?' : c;
    }
    throw util::Error("{}: unsafe path '{}': {}", source, shown, why);
  };
  if (path.empty()) {
    refuse("empty");
  }
  if (path.front() == '/') {
    refuse("absolute");
  }
  for (char c : path) {
    if (!allowed(c)) {
      refuse("characters other than letters, digits and . _ + ~ - /");
    }
  }
  std::size_t start = 0;
  while (start <= path.size()) {
    auto end = path.find('/', start);
    if (end == std::string_view::npos) {
      end = path.size();
    }
    const auto segment = path.substr(start, end - start);
    if (segment.empty() || segment == "." || segment == "..") {
      refuse("empty, '.' or '..' segment");
    }
    start = end + 1;
  }
}

} // namespace prepo::import
