// The plain-text pages for "/" (the public farms) and "/<farm>/": what a
// person needs to point apt at a farm. Private farms are never listed on
// "/"; their page is behind the same token check as their files.
#pragma once

#include <string>
#include <string_view>

#include "serve/site.hpp"

namespace prepo::serve {

// base_url: "http://host:port" (no trailing slash).
std::string root_page(const SiteState& site, std::string_view base_url);
std::string farm_page(const ServedFarm& farm, std::string_view base_url);

} // namespace prepo::serve
