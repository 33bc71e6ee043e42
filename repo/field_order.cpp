#include "repo/field_order.hpp"

#include <algorithm>
#include <array>

namespace prepo::repo {

namespace {

// apt-pkg's TFRewritePackageOrder as apt-ftparchive 2.6.2 applies it,
// established by running it on packages carrying every candidate field in
// reverse order: the fields it moved are known, the rest kept their order.
// "Status" is known too (apt-ftparchive drops it); obsolete dpkg nicknames
// (Class, Optional, Recommended, Revision) are not in 2.6's list.
constexpr std::array packages_order = std::to_array<std::string_view>({
    "Package",
    "Package-Type",
    "Architecture",
    "Subarchitecture",
    "Version",
    "Kernel-Version",
    "Built-Using",
    "Static-Built-Using",
    "Built-For-Profiles",
    "Auto-Built-Package",
    "Multi-Arch",
    "Status",
    "Priority",
    "Build-Essential",
    "Protected",
    "Important",
    "Essential",
    "Installer-Menu-Item",
    "Section",
    "Source",
    "Origin",
    "Phased-Update-Percentage",
    "Maintainer",
    "Original-Maintainer",
    "Bugs",
    "Config-Version",
    "Conffiles",
    "Triggers-Awaited",
    "Triggers-Pending",
    "Installed-Size",
    "Provides",
    "Pre-Depends",
    "Depends",
    "Recommends",
    "Suggests",
    "Conflicts",
    "Breaks",
    "Replaces",
    "Enhances",
    "Filename",
    "MSDOS-Filename",
    "Size",
    "MD5sum",
    "SHA1",
    "SHA256",
    "SHA512",
    "Homepage",
    "Description",
    "Description-md5",
    "Tag",
    "Task",
});

// apt-pkg's TFRewriteSourceOrder, established the same way with a .dsc
// (Priority's place from a run with an override file; "Class" is unknown).
constexpr std::array sources_order = std::to_array<std::string_view>({
    "Package",
    "Source",
    "Format",
    "Binary",
    "Architecture",
    "Version",
    "Priority",
    "Section",
    "Origin",
    "Maintainer",
    "Original-Maintainer",
    "Uploaders",
    "Dm-Upload-Allowed",
    "Standards-Version",
    "Build-Depends",
    "Build-Depends-Arch",
    "Build-Depends-Indep",
    "Build-Conflicts",
    "Build-Conflicts-Arch",
    "Build-Conflicts-Indep",
    "Testsuite",
    "Testsuite-Triggers",
    "Homepage",
    "Description",
    "Vcs-Browser",
    "Vcs-Browse",
    "Vcs-Arch",
    "Vcs-Bzr",
    "Vcs-Cvs",
    "Vcs-Darcs",
    "Vcs-Git",
    "Vcs-Hg",
    "Vcs-Mtn",
    "Vcs-Svn",
    "Directory",
    "Package-List",
    "Files",
    "Checksums-Md5",
    "Checksums-Sha1",
    "Checksums-Sha256",
    "Checksums-Sha512",
});

} // namespace

std::span<const std::string_view> packages_field_order()
{
  return packages_order;
}
std::span<const std::string_view> sources_field_order()
{
  return sources_order;
}

Stanza order_fields(const Stanza& stanza, std::span<const std::string_view> order)
{
  // A linear search per field: stanzas have a few dozen fields and the
  // length check rejects most candidates at once.
  struct Ranked {
    std::size_t rank;
    const Field* field;
  };
  std::vector<Ranked> ranked;
  ranked.reserve(stanza.fields().size());
  for (const Field& field : stanza.fields()) {
    const auto it = std::find_if(order.begin(), order.end(),
                                 [&](std::string_view name) { return iequals(name, field.name); });
    ranked.push_back({static_cast<std::size_t>(it - order.begin()), &field});
  }
  std::stable_sort(ranked.begin(), ranked.end(),
                   [](const Ranked& a, const Ranked& b) { return a.rank < b.rank; });
  std::vector<Field> fields;
  fields.reserve(ranked.size());
  for (const Ranked& r : ranked) {
    fields.push_back(
        {r.rank < order.size() ? std::string(order[r.rank]) : r.field->name, r.field->value});
  }
  return Stanza(std::move(fields));
}

} // namespace prepo::repo
