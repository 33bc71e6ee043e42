// Reading a binary package (.deb, .udeb, .ddeb) through libarchive: the ar
// container, then control.tar(.gz|.xz|.zst) in memory; nothing is extracted
// to disk and data.tar is not decompressed.
#pragma once

#include <filesystem>
#include <string>

#include "repo/deb822.hpp"
#include "util/hash.hpp"

namespace prepo::repo {

enum class BinaryKind { deb, udeb, ddeb };
std::string_view extension(BinaryKind kind); // "deb", "udeb", "ddeb"

struct BinaryPackage {
  std::filesystem::path path; // where it was read from
  BinaryKind kind = BinaryKind::deb;
  Stanza control;                   // DEBIAN/control as written
  util::Checksums checksums;        // of the whole file
  std::string name() const;         // Package
  std::string version() const;      // Version
  std::string architecture() const; // Architecture
  // Source name and version: from "Source: name (version)" or Package/Version.
  std::string source_name() const;
  std::string source_version() const;
  // The canonical pool file name: name_version-without-epoch_arch.kind
  std::string pool_file_name() const;
};

// The bytes of a binary package file (its name checked first), for callers
// that parse them and keep them (include stages them for the store).
// `name`, when given, is what the file is called (its kind is in it) when
// `path` is not, e.g. a download stored under its SHA256.
void read_binary_package_bytes(const std::filesystem::path& path, std::string& out,
                               const std::filesystem::path& name = {});

// Every problem is an Error "<path>: <problem>" (not an ar archive, no
// debian-binary, missing control.tar, control without Package, Version,
// Architecture, invalid version or name, ...).
BinaryPackage read_binary_package(const std::filesystem::path& path);
// Same from bytes already in memory (`name` for messages).
BinaryPackage read_binary_package(std::string_view bytes, const std::filesystem::path& name);

} // namespace prepo::repo
