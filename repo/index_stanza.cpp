#include "repo/index_stanza.hpp"

#include <array>

#include <fmt/format.h>

#include "repo/field_order.hpp"
#include "util/error.hpp"

namespace prepo::repo {

namespace {

std::string_view trim_left(std::string_view s)
{
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\n')) {
    s.remove_prefix(1);
  }
  return s;
}

struct DscList {
  std::string_view field;
  util::HashKind kind;
};
constexpr std::array dsc_lists{
    DscList{"Files", util::HashKind::md5},
    DscList{"Checksums-Sha1", util::HashKind::sha1},
    DscList{"Checksums-Sha256", util::HashKind::sha256},
    DscList{"Checksums-Sha512", util::HashKind::sha512},
};

} // namespace

Stanza order_packages_fields(const Stanza& stanza)
{
  return order_fields(stanza, packages_field_order());
}

Stanza order_sources_fields(const Stanza& stanza)
{
  return order_fields(stanza, sources_field_order());
}

Stanza packages_stanza(const BinaryPackage& package, std::string_view pool_path)
{
  Stanza stanza = package.control;
  // apt-ftparchive drops the installed state and rewrites Priority and
  // Section through its override logic, which drops them when empty.
  stanza.erase("Status");
  for (std::string_view name : {"Priority", "Section"}) {
    if (const auto value = stanza.get(name); value && value->empty()) {
      stanza.erase(name);
    }
  }
  const util::Checksums& sums = package.checksums;
  stanza.set("Filename", std::string(pool_path));
  stanza.set("Size", std::to_string(sums.size));
  stanza.set("MD5sum", sums.md5);
  stanza.set("SHA1", sums.sha1);
  stanza.set("SHA256", sums.sha256);
  stanza.set("SHA512", sums.sha512);
  return order_packages_fields(stanza);
}

Stanza sources_stanza(const SourceControl& dsc, std::string_view dsc_name,
                      std::string_view directory)
{
  return sources_stanza(dsc, dsc_name, directory, {});
}

Stanza sources_stanza(const SourceControl& dsc, std::string_view dsc_name,
                      std::string_view directory, std::span<const util::Checksums> file_checksums)
{
  if (!file_checksums.empty() && file_checksums.size() != dsc.files.size()) {
    throw util::Error("{}: {} checksums given for {} listed files", dsc.path.string(),
                      file_checksums.size(), dsc.files.size());
  }
  Stanza stanza = dsc.stanza;
  const std::string package(stanza.require("Source", dsc.path.string()));
  stanza.erase("Source");
  stanza.set("Package", package);
  // Without an override file apt-ftparchive writes no Priority at all (its
  // "best priority" of the binaries is empty), and never the Status.
  stanza.erase("Priority");
  stanza.erase("Status");
  if (directory.empty() || directory == "." || directory == "./") {
    stanza.erase("Directory");
  } else {
    std::string dir(directory);
    while (dir.size() > 1 && dir.ends_with('/')) {
      dir.pop_back();
    }
    stanza.set("Directory", std::move(dir));
  }

  // Each list gains the .dsc itself as its first line; the .dsc's own lines
  // follow as written.
  for (const DscList& list : dsc_lists) {
    std::string value =
        fmt::format("\n {} {} {}", dsc.checksums.get(list.kind), dsc.checksums.size, dsc_name);
    if (const auto listed = stanza.get(list.field)) {
      value += "\n ";
      value += trim_left(*listed);
    } else if (!file_checksums.empty()) {
      for (std::size_t i = 0; i < dsc.files.size(); ++i) {
        value += fmt::format("\n {} {} {}", file_checksums[i].get(list.kind),
                             file_checksums[i].size, dsc.files[i].name);
      }
    } else {
      continue;
    }
    stanza.set(list.field, std::move(value));
  }
  return order_sources_fields(stanza);
}

} // namespace prepo::repo
