// Paths a remote index names (Filename, Directory, Files, Release entries)
// become URLs and local file names, so they are checked before any use: a
// mirror must not be able to name a file outside its own tree.
#pragma once

#include <string_view>

namespace prepo::import {

// Error "<source>: unsafe path 'x': <why>" unless `path` is relative, has no
// empty, "." or ".." segment, and uses only letters, digits and . _ + ~ - /.
void check_safe_relative_path(std::string_view path, std::string_view source);

} // namespace prepo::import
