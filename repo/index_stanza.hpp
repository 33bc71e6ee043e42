// The stanzas of Packages and Sources indexes, with the same fields, values
// and order that apt-ftparchive writes for the same files (apt's
// tagfile-order.c gives the canonical order).
#pragma once

#include <span>
#include <string_view>

#include "repo/deb822.hpp"
#include "repo/deb_file.hpp"
#include "repo/source_control.hpp"

namespace prepo::repo {

// Fields of `stanza` reordered: known fields in canonical order first, the
// rest after them in their original order.
Stanza order_packages_fields(const Stanza& stanza);
Stanza order_sources_fields(const Stanza& stanza);

// A Packages stanza: the control fields plus Filename (`pool_path`, relative
// to the archive root), Size, MD5sum, SHA1, SHA256, SHA512.
Stanza packages_stanza(const BinaryPackage& package, std::string_view pool_path);

// A Sources stanza: the .dsc's fields with "Source" renamed "Package", plus
// Directory and the Files/Checksums-* lists that include the .dsc itself.
// `dsc_name` is the .dsc's file name in the pool.
Stanza sources_stanza(const SourceControl& dsc, std::string_view dsc_name,
                      std::string_view directory);
// Same, given the listed files' actual checksums (verify_listed_files's
// result, in dsc.files order): like apt-ftparchive, a Checksums-* list the
// .dsc lacks (typically Checksums-Sha512) is then added, computed from the
// files. Without them (the overload above) such a list is left out.
Stanza sources_stanza(const SourceControl& dsc, std::string_view dsc_name,
                      std::string_view directory, std::span<const util::Checksums> file_checksums);

} // namespace prepo::repo
