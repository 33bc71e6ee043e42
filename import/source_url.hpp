// The URLs an import reads from (a mirror's root, a package, a remote
// child farm) are checked before anything is fetched or recorded: only
// the schemes the fetcher follows, and no password, because the URL is
// written down (conf/farms, every generation's command line, each
// package's origin) and printed by `prepo list`.
#pragma once

#include <string_view>

namespace prepo::import {

// Error "<what> <url>: ..." unless `url` is http://, https:// or file://
// and carries no password ("http://user:secret@host/"). A user name alone
// is allowed: it picks the netrc entry to use. The password is not shown
// in the message.
void check_source_url(std::string_view url, std::string_view what);

} // namespace prepo::import
