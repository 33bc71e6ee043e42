#include "serve/content_type.hpp"

#include <array>
#include <utility>

namespace prepo::serve {

std::string_view content_type_for(std::string_view file_name)
{
  const auto slash = file_name.rfind('/');
  const auto base = slash == std::string_view::npos ? file_name : file_name.substr(slash + 1);
  // Index files by exact name (also their by-hash copies have no name, see below).
  static constexpr std::array<std::string_view, 5> text_names{"Release", "InRelease", "Packages",
                                                              "Sources", "Index"};
  for (auto n : text_names) {
    if (base == n) {
      return "text/plain; charset=utf-8";
    }
  }
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 9> by_suffix{{
      {".gz", "application/gzip"},
      {".xz", "application/x-xz"},
      {".bz2", "application/x-bzip2"},
      {".zst", "application/zstd"},
      {".deb", "application/vnd.debian.binary-package"},
      {".udeb", "application/vnd.debian.binary-package"},
      {".ddeb", "application/vnd.debian.binary-package"},
      {".dsc", "text/prs.lines.tag"},
      {".gpg", "application/pgp-signature"},
  }};
  for (const auto& [suffix, type] : by_suffix) {
    if (base.ends_with(suffix)) {
      return type;
    }
  }
  if (base.ends_with(".changes") || base.ends_with(".buildinfo") || base.ends_with(".txt")) {
    return "text/plain; charset=utf-8";
  }
  return "application/octet-stream";
}

} // namespace prepo::serve
