// .dsc and .changes files: deb822, clear-signed or not, listing files with
// sizes and checksums ("Files", "Checksums-Sha1", "Checksums-Sha256",
// "Checksums-Sha512"). Listed names obey is_safe_file_name.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "repo/deb822.hpp"
#include "util/hash.hpp"

namespace prepo::repo {

struct ListedFile {
  std::string name;
  util::Checksums checksums; // fields not listed in the control file stay empty
  // .changes only: "section priority" columns of the Files field
  std::string section;
  std::string priority;
};

struct SourceControl {
  std::filesystem::path path;
  std::string raw; // the file's exact bytes
  Stanza stanza;   // the signed body, parsed
  bool was_signed = false;
  util::Checksums checksums; // of the file itself
  std::vector<ListedFile> files;
};

// Parse a .dsc: requires Source, Version, Files (Format, Binary, Maintainer
// as dpkg-source writes them). Errors "<path>: <problem>".
SourceControl read_dsc(const std::filesystem::path& path);
// Parse a .changes: requires Source, Version, Architecture, Files.
SourceControl read_changes(const std::filesystem::path& path);
// Shared parsing from bytes (for imports): kind is "dsc" or "changes".
SourceControl parse_source_control(std::string raw, const std::filesystem::path& path,
                                   std::string_view kind);

// Check that every listed file exists in `dir` with the listed size and every
// listed checksum; the first mismatch is an Error naming the listed file,
// the control file and what differs. Returns the files' full checksums.
std::vector<util::Checksums> verify_listed_files(const SourceControl& control,
                                                 const std::filesystem::path& dir);

// The same, where a file missing from `dir` may be found `elsewhere` (which
// returns a path to try, or nothing): an upload of a second Debian revision
// leaves out the orig tarball the archive has (dpkg-genchanges without -sa).
struct FoundFile {
  std::filesystem::path path;
  util::Checksums checksums;
};
using FileLocator = std::function<std::optional<std::filesystem::path>(const ListedFile&)>;
std::vector<FoundFile> find_listed_files(const SourceControl& control,
                                         const std::filesystem::path& dir,
                                         const FileLocator& elsewhere);

} // namespace prepo::repo
