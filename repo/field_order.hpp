// The canonical field orders of Packages and Sources stanzas, as
// apt-ftparchive (apt 2.6) writes them, and the reordering itself.
#pragma once

#include <span>
#include <string_view>

#include "repo/deb822.hpp"

namespace prepo::repo {

std::span<const std::string_view> packages_field_order();
std::span<const std::string_view> sources_field_order();

// Known fields first, in `order` and with its spelling (apt writes "Depends"
// even for a control file's "depends"); unknown fields after them in their
// original order and spelling.
Stanza order_fields(const Stanza& stanza, std::span<const std::string_view> order);

} // namespace prepo::repo
