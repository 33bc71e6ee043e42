// One strict rule for every name that comes from outside (dak's
// re_file_safe), plus Debian's rules for package names and pool prefixes.
#pragma once

#include <string>
#include <string_view>

namespace prepo::repo {

// A file name from a .dsc/.changes/index: [A-Za-z0-9][A-Za-z0-9_.~+-]*,
// no "/", no "..", no control characters, at most 255 bytes.
bool is_safe_file_name(std::string_view name);
// Package names: [a-z0-9][a-z0-9+.-]+ (policy 5.6.1).
bool is_valid_package_name(std::string_view name);
// Component, distribution (codename), farm names: [a-z0-9][a-z0-9._-]*.
bool is_valid_simple_name(std::string_view name);
// Debian architecture names: [a-z0-9][a-z0-9-]* (dpkg-architecture allows
// only alphanumerics and '-'; '_' separates the architecture in a .deb's
// file name). "all" and "source" pass.
bool is_valid_architecture_name(std::string_view name);
// A Release Suite (stable, bookworm-security, jammy-updates): one token
// clients may use as dists/<suite>, so a safe file name. Debian's are
// lowercase, digits, '-' and '_'; other repositories use capitals or dots,
// which apt takes.
bool is_valid_suite_name(std::string_view name);

// The pool's directory prefix for a source name: "libf" for "libfoo",
// otherwise the first letter.
std::string pool_prefix(std::string_view source);

// What a name may contain printed for error messages ("'a/b' contains '/'").
std::string describe_unsafe_name(std::string_view name);
// The name with control, non-ASCII and backslash bytes shown as \xNN, so a
// hostile name cannot break an error message's single line.
std::string printable_name(std::string_view name);

} // namespace prepo::repo
