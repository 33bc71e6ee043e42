#include "import/source_url.hpp"

#include <algorithm>
#include <cctype>
#include <string>

#include "util/error.hpp"

namespace prepo::import {

namespace {

std::string lower(std::string_view s)
{
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

} // namespace

void check_source_url(std::string_view url, std::string_view what)
{
  const auto prefix = what.empty() ? std::string() : std::string(what) + " ";
  const auto colon = url.find("://");
  if (colon == std::string_view::npos || colon == 0) {
    throw util::Error("{}{}: not a URL (expected http://, https:// or file://)", prefix, url);
  }
  const auto scheme = lower(url.substr(0, colon));
  if (scheme != "http" && scheme != "https" && scheme != "file") {
    throw util::Error("{}{}: unsupported scheme {} (only http, https and file are read)", prefix,
                      url, scheme);
  }
  const auto start = colon + 3;
  const auto authority = url.substr(start, url.find_first_of("/?#", start) - start);
  const auto at = authority.rfind('@');
  if (at == std::string_view::npos) {
    return;
  }
  const auto userinfo = authority.substr(0, at);
  const auto password = userinfo.find(':');
  if (password == std::string_view::npos) {
    return;
  }
  const auto user = userinfo.substr(0, password);
  const auto host = authority.substr(at + 1);
  const auto shown = std::string(url.substr(0, start)) + std::string(user) + ":***@" +
                     std::string(url.substr(start + authority.size() - host.size()));
  // The host alone, without a port: what a netrc "machine" line names.
  const auto machine =
      host.starts_with('[') ? host.substr(0, host.find(']') + 1) : host.substr(0, host.find(':'));
  throw util::Error("{}{}: a password in the URL would be recorded in conf/, the generations and "
                    "each package's origin; put it in ~/.netrc (or the file $PREPO_NETRC names) "
                    "instead: machine {} login {} password ...",
                    prefix, shown, machine, user.empty() ? "USER" : user);
}

} // namespace prepo::import
