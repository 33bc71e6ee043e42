// From a request-target to a file inside one farm's published tree, in two
// steps. check_target() decodes and checks the text without touching the
// file system; open_beneath() opens the rest with openat2(2) relative to
// the farm's directory, so the kernel (not string checks) guarantees that
// no symlink or ".." leads out of it while the farm's own relative
// symlinks (dists/<dist> -> <dist>@<gen>) keep working.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "util/fd.hpp"

namespace prepo::serve {

struct Target {
  std::string farm; // empty: the server's root page "/"
  std::string path; // decoded path inside the farm, "" for its top directory
  bool trailing_slash = false;

  void clear()
  {
    farm.clear();
    path.clear();
    trailing_slash = false;
  }
};

enum class TargetCheck { ok, bad_request, not_found };

// Decode `raw` (origin-form, query ignored) into `out`. Percent-decoding is
// done once: "%252e" becomes the literal "%2e", never "." . Refused with
// bad_request: no leading '/', '#', a bad or %2F escape, NUL and control
// bytes, backslashes, invalid or overlong UTF-8, empty segments inside the
// path, "." and ".." segments, anything longer than 4096 bytes. Refused with
// not_found: a segment starting with '.' (hidden files such as dists/.tmp-*)
// and a first segment that cannot be a farm name.
TargetCheck check_target(std::string_view raw, Target& out);

// True if `bytes` is well-formed UTF-8 (no overlong forms, no surrogates,
// nothing above U+10FFFF).
bool is_valid_utf8(std::string_view bytes);

// Open `path` (as check_target left it) for reading beneath the directory
// `dir_fd`. Returns an invalid Fd with errno set when it does not exist or
// would leave the directory (EXDEV, ELOOP).
util::Fd open_beneath(int dir_fd, const std::string& path);

} // namespace prepo::serve
