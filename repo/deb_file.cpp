#include "repo/deb_file.hpp"

#include <array>

#include "repo/names.hpp"
#include "repo/version.hpp"
#include "util/archive.hpp"
#include "util/error.hpp"
#include "util/file.hpp"

namespace prepo::repo {

namespace {

// Limits against hostile input: a .deb is read whole, its control member and
// control file are small in every real package.
constexpr std::uint64_t max_deb_size = std::uint64_t{4} << 30;
constexpr std::uint64_t max_control_tar_size = std::uint64_t{256} << 20;
constexpr std::uint64_t max_control_file_size = std::uint64_t{1} << 20;

// dpkg-deb's member names; the compression of a tar member is detected from
// its bytes by libarchive, the suffix only has to be one dpkg knows.
bool is_tar_member(std::string_view member, std::string_view base)
{
  if (!member.starts_with(base)) {
    return false;
  }
  constexpr std::array suffixes{"", ".gz", ".xz", ".zst", ".bz2", ".lzma"};
  const std::string_view suffix = member.substr(base.size());
  for (std::string_view s : suffixes) {
    if (suffix == s) {
      return true;
    }
  }
  return false;
}

BinaryKind kind_of(const std::filesystem::path& path)
{
  const std::string ext = path.extension().string();
  if (ext == ".deb") {
    return BinaryKind::deb;
  }
  if (ext == ".udeb") {
    return BinaryKind::udeb;
  }
  if (ext == ".ddeb") {
    return BinaryKind::ddeb;
  }
  throw util::Error("{}: not a .deb, .udeb or .ddeb file", path.string());
}

// The next ar member, skipping the '_'-prefixed members dpkg reserves for
// future extensions.
std::optional<util::ArchiveReader::Entry> next_member(util::ArchiveReader& ar)
{
  while (auto entry = ar.next()) {
    // Some ar writers end member names with '/'.
    while (entry->path.ends_with('/')) {
      entry->path.pop_back();
    }
    if (!entry->path.starts_with('_')) {
      return entry;
    }
    ar.skip_data();
  }
  return std::nullopt;
}

void check_format_version(std::string_view content, const std::string& name)
{
  // "2.0\n"; dpkg accepts any 2.x.
  const auto dot = content.find('.');
  const std::string_view major = content.substr(0, dot);
  if (dot == std::string_view::npos || major != "2" || !content.ends_with('\n')) {
    std::string shown(content.substr(0, 16));
    while (!shown.empty() && (shown.back() == '\n' || shown.back() == '\r')) {
      shown.pop_back();
    }
    throw util::Error("{}: unsupported package format version '{}' in debian-binary", name,
                      printable_name(shown));
  }
}

std::string read_control_file(std::string_view control_tar, const std::string& name,
                              const std::string& member)
{
  util::ArchiveReader tar(control_tar, util::ArchiveReader::Format::tar_any_compression,
                          name + ": " + member);
  while (auto entry = tar.next()) {
    if (entry->path == "./control" || entry->path == "control") {
      if (!entry->is_regular) {
        throw util::Error("{}: control in {} is not a regular file", name, member);
      }
      return tar.read_data(max_control_file_size);
    }
    tar.skip_data();
  }
  throw util::Error("{}: {} has no control file", name, member);
}

// "name" or "name (version)".
struct SourceRef {
  std::string_view name;
  std::string_view version;
};

SourceRef split_source(std::string_view value)
{
  SourceRef ref{value, {}};
  if (const auto paren = value.find('('); paren != std::string_view::npos) {
    ref.name = value.substr(0, paren);
    while (!ref.name.empty() && (ref.name.back() == ' ' || ref.name.back() == '\t')) {
      ref.name.remove_suffix(1);
    }
    std::string_view rest = value.substr(paren + 1);
    const auto close = rest.find(')');
    ref.version = rest.substr(0, close);
    while (!ref.version.empty() && ref.version.front() == ' ') {
      ref.version.remove_prefix(1);
    }
    while (!ref.version.empty() && ref.version.back() == ' ') {
      ref.version.remove_suffix(1);
    }
  }
  return ref;
}

void validate_control(const Stanza& control, const std::string& name)
{
  const std::string source = name + ": control";
  const std::string_view package = control.require("Package", source);
  const std::string_view version = control.require("Version", source);
  const std::string_view arch = control.require("Architecture", source);
  if (!is_valid_package_name(package)) {
    throw util::Error("{}: invalid package name '{}'", name, printable_name(package));
  }
  parse_version(version, name);
  if (!is_valid_architecture_name(arch)) {
    throw util::Error("{}: invalid architecture '{}'", name, printable_name(arch));
  }
  if (const auto src = control.get("Source")) {
    const SourceRef ref = split_source(*src);
    const bool closed = src->find('(') == std::string_view::npos || src->ends_with(')');
    if (!closed || !is_valid_package_name(ref.name) ||
        (src->find('(') != std::string_view::npos && !is_valid_version(ref.version))) {
      throw util::Error("{}: invalid Source field '{}'", name, printable_name(*src));
    }
  }
}

} // namespace

std::string_view extension(BinaryKind kind)
{
  switch (kind) {
  case BinaryKind::deb:
    return "deb";
  case BinaryKind::udeb:
    return "udeb";
  case BinaryKind::ddeb:
    return "ddeb";
  }
  return "deb";
}

std::string BinaryPackage::name() const
{
  return std::string(control.get("Package").value_or(""));
}

std::string BinaryPackage::version() const
{
  return std::string(control.get("Version").value_or(""));
}

std::string BinaryPackage::architecture() const
{
  return std::string(control.get("Architecture").value_or(""));
}

std::string BinaryPackage::source_name() const
{
  if (const auto src = control.get("Source")) {
    return std::string(split_source(*src).name);
  }
  return name();
}

std::string BinaryPackage::source_version() const
{
  if (const auto src = control.get("Source")) {
    const SourceRef ref = split_source(*src);
    if (!ref.version.empty()) {
      return std::string(ref.version);
    }
  }
  return version();
}

std::string BinaryPackage::pool_file_name() const
{
  return fmt::format("{}_{}_{}.{}", name(), version_without_epoch(version()), architecture(),
                     extension(kind));
}

void read_binary_package_bytes(const std::filesystem::path& path, std::string& out,
                               const std::filesystem::path& name)
{
  kind_of(name.empty() ? path : name); // reject other files before reading them
  util::read_file_into(path, out, max_deb_size);
}

BinaryPackage read_binary_package(const std::filesystem::path& path)
{
  std::string bytes;
  read_binary_package_bytes(path, bytes);
  return read_binary_package(bytes, path);
}

BinaryPackage read_binary_package(std::string_view bytes, const std::filesystem::path& path)
{
  const std::string name = path.string();
  BinaryPackage package;
  package.path = path;
  package.kind = kind_of(path);

  util::ArchiveReader ar(bytes, util::ArchiveReader::Format::ar, name);
  auto member = next_member(ar);
  if (!member || member->path != "debian-binary") {
    throw util::Error("{}: not a Debian binary package (first member is not debian-binary)", name);
  }
  check_format_version(ar.read_data(64), name);

  member = next_member(ar);
  if (!member || !is_tar_member(member->path, "control.tar")) {
    throw util::Error("{}: second member is not control.tar", name);
  }
  const std::string control_member = member->path;
  const std::string control_tar = ar.read_data(max_control_tar_size);

  member = next_member(ar);
  if (!member || !is_tar_member(member->path, "data.tar")) {
    throw util::Error("{}: third member is not data.tar", name);
  }
  // data.tar is not decompressed, but walking past it catches a truncated
  // download, which would otherwise go unnoticed until installation.
  ar.skip_data();
  while (next_member(ar)) {
    ar.skip_data();
  }

  const std::string control_text = read_control_file(control_tar, name, control_member);
  package.control = parse_single_stanza(control_text, name + ": control");
  validate_control(package.control, name);
  package.checksums = util::checksum_bytes(bytes);
  return package;
}

} // namespace prepo::repo
