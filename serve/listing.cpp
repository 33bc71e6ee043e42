#include "serve/listing.hpp"

#include <fmt/format.h>

namespace prepo::serve {

namespace {

void append_farm(std::string& out, const ServedFarm& farm, std::string_view base_url)
{
  out += fmt::format("{}  {}/{}/{}{}\n", farm.name, base_url, farm.name,
                     farm.description.empty() ? "" : "  ", farm.description);
  if (farm.dists.empty()) {
    out += "  (no distributions yet)\n";
  }
  for (const auto& dist : farm.dists) {
    // The key for signed-by is the public half of the distribution's SignWith key.
    const auto options = dist.is_signed
                             ? fmt::format("[signed-by=/etc/apt/keyrings/{}.gpg]", farm.name)
                             : std::string("[trusted=yes]");
    out += fmt::format("  deb {} {}/{} {} {}\n", options, base_url, farm.name, dist.codename,
                       dist.components);
    if (dist.has_source) {
      out += fmt::format("  deb-src {} {}/{} {} {}\n", options, base_url, farm.name, dist.codename,
                         dist.components);
    }
  }
}

constexpr std::string_view key_note =
    "\nsigned-by= names the public half of the distribution's signing key (SignWith):\n"
    "get it from the repository's owner (gpg --export KEY > FILE on its host).\n"
    "[trusted=yes] marks an unsigned distribution.\n";

} // namespace

std::string root_page(const SiteState& site, std::string_view base_url)
{
  std::string out = "prepo: the public farms of this server, as apt sources lines.\n\n";
  bool any = false;
  for (const auto& farm : site.farms) {
    if (!farm.is_private) {
      append_farm(out, farm, base_url);
      any = true;
    }
  }
  if (!any) {
    out += "(no public farms)\n";
  }
  out += key_note;
  return out;
}

std::string farm_page(const ServedFarm& farm, std::string_view base_url)
{
  std::string out;
  append_farm(out, farm, base_url);
  out += key_note;
  return out;
}

} // namespace prepo::serve
