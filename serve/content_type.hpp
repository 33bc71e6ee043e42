// The Content-Type of a published file, from its name. apt ignores it, but
// browsers, curl users and caches in front of the server do not.
#pragma once

#include <string_view>

namespace prepo::serve {

std::string_view content_type_for(std::string_view file_name);

} // namespace prepo::serve
