#include "import/mirror_release.hpp"

#include <charconv>

#include <fmt/format.h>

#include "import/safe_path.hpp"
#include "repo/release_file.hpp"
#include "util/error.hpp"
#include "util/gpg.hpp"
#include "util/hash.hpp"

namespace prepo::import {

namespace {

void read_hash_list(const repo::Stanza& fields, util::HashKind kind,
                    std::map<std::string, ListedFile>& files, const std::string& source)
{
  const auto field = util::release_field_name(kind);
  auto value = fields.get(field);
  if (!value) {
    return;
  }
  for (auto line : repo::value_lines(*value)) {
    auto w = repo::words(line);
    if (w.size() != 3 || !util::is_hex_digest(w[0], kind)) {
      throw util::Error("{}: malformed {} line: {}", source, field, line);
    }
    const std::string path(w[2]);
    check_safe_relative_path(path, source);
    std::uint64_t size = 0;
    const auto [end, ec] = std::from_chars(w[1].data(), w[1].data() + w[1].size(), size);
    if (ec != std::errc() || end != w[1].data() + w[1].size()) {
      throw util::Error("{}: malformed size in {} line: {}", source, field, line);
    }
    auto& entry = files[path];
    if (entry.size != 0 && entry.size != size) {
      throw util::Error("{}: {} is listed with two sizes ({} and {})", source, path, entry.size,
                        size);
    }
    entry.size = size;
    (kind == util::HashKind::sha256 ? entry.sha256 : entry.sha512) = std::string(w[0]);
  }
}

// A malformed signed document is an Error from gpg; it names the URL here.
template <typename Verify>
util::gpg::VerifyResult verify_or_name(const std::string& url, Verify verify)
{
  try {
    return verify();
  } catch (const util::Error& e) {
    throw util::Error("{}: {}", url, e.what());
  }
}

} // namespace

MirrorRelease parse_release(std::string text, const std::string& dist_url, std::time_t now)
{
  const auto source = dist_url + "/Release";
  MirrorRelease r;
  r.dist_url = dist_url;
  r.fields = repo::parse_single_stanza(text, source);
  r.text = std::move(text);
  // An unreadable Date is only a warning to apt; a readable one ahead of
  // the clock is refused by it, and so here.
  if (auto date = r.fields.get("Date")) {
    if (auto when = repo::parse_release_date(*date); when && *when > now + max_future_seconds) {
      throw util::Error("{}: not valid yet: Date {} is {} s ahead of this host's clock (apt "
                        "allows {} s; check the clocks here and on the mirror)",
                        source, *date, *when - now, max_future_seconds);
    }
  }
  if (auto valid_until = r.fields.get("Valid-Until")) {
    auto until = repo::parse_release_date(*valid_until);
    if (!until) {
      throw util::Error("{}: unreadable Valid-Until: {}", source, *valid_until);
    }
    if (now > *until) {
      throw util::Error("{}: expired: Valid-Until {} has passed (the mirror is stale or replayed)",
                        source, *valid_until);
    }
  }
  for (auto w : repo::words(r.fields.get("Components").value_or(""))) {
    r.components.emplace_back(w);
  }
  for (auto w : repo::words(r.fields.get("Architectures").value_or(""))) {
    r.architectures.emplace_back(w);
  }
  r.acquire_by_hash = repo::iequals(r.fields.get("Acquire-By-Hash").value_or("no"), "yes");
  read_hash_list(r.fields, util::HashKind::sha256, r.files, source);
  read_hash_list(r.fields, util::HashKind::sha512, r.files, source);
  if (r.files.empty()) {
    throw util::Error("{}: lists no SHA256 or SHA512 hashes (MD5Sum and SHA1 alone are too weak "
                      "to trust)",
                      source);
  }
  return r;
}

void check_distribution_name(const MirrorRelease& release, std::string_view dist)
{
  const auto codename = release.fields.get("Codename").value_or("");
  const auto suite = release.fields.get("Suite").value_or("");
  auto names = [&](std::string_view name) {
    return !name.empty() && (name == codename || name == suite);
  };
  const auto slash = dist.rfind('/');
  if (names(dist) || (slash != std::string_view::npos && names(dist.substr(0, slash)))) {
    return;
  }
  auto shown = [](std::string_view value) {
    return value.empty() ? std::string("(none)") : std::string(value);
  };
  throw util::Error("{}/Release: is not distribution '{}': it says Codename {}, Suite {} (a "
                    "Release of another distribution served under this name)",
                    release.dist_url, dist, shown(codename), shown(suite));
}

MirrorRelease fetch_release(util::http::Fetcher& fetcher, const std::string& mirror_url,
                            const std::string& dist, const TrustOptions& trust,
                            util::Progress& progress)
{
  const auto dist_url = util::http::join_url(mirror_url, "dists/" + dist);
  const auto now = trust.now ? trust.now : std::time(nullptr);
  if (trust.keyrings.empty() && !trust.allow_unsigned) {
    throw util::Error("{}: no --keyring to verify it with (give the mirror's public key, or "
                      "--allow-unsigned to trust it blindly)",
                      dist_url);
  }
  std::string text;
  std::string signer;
  if (auto inrelease = fetcher.get(dist_url + "/InRelease", max_release_size, true)) {
    if (trust.keyrings.empty()) {
      text = repo::strip_clearsign(*inrelease, dist_url + "/InRelease").body;
    } else {
      auto result = verify_or_name(dist_url + "/InRelease", [&] {
        return util::gpg::verify_clearsigned(*inrelease, trust.keyrings);
      });
      if (!result.any_valid()) {
        throw util::Error("{}/InRelease: no valid signature by a key in the keyring ({})", dist_url,
                          result.describe());
      }
      text = std::move(result.signed_text);
      signer = result.valid_fingerprint();
    }
  } else {
    auto release = fetcher.get(dist_url + "/Release", max_release_size, true);
    if (!release) {
      throw util::Error("{}: no InRelease and no Release: not a distribution of this mirror",
                        dist_url);
    }
    if (!trust.keyrings.empty()) {
      auto signature = fetcher.get(dist_url + "/Release.gpg", 1 << 20, true);
      if (!signature) {
        throw util::Error("{}/Release: unsigned (no InRelease, no Release.gpg); use "
                          "--allow-unsigned without --keyring to accept it",
                          dist_url);
      }
      auto result = verify_or_name(dist_url + "/Release.gpg", [&] {
        return util::gpg::verify_detached(*release, *signature, trust.keyrings);
      });
      if (!result.any_valid()) {
        throw util::Error("{}/Release.gpg: no valid signature by a key in the keyring ({})",
                          dist_url, result.describe());
      }
      signer = result.valid_fingerprint();
    }
    text = std::move(*release);
  }
  if (signer.empty()) {
    progress.note(fmt::format("WARNING: {} is trusted WITHOUT a signature check "
                              "(--allow-unsigned): anyone between here and the mirror can "
                              "change what is imported",
                              dist_url));
  }
  auto r = parse_release(std::move(text), dist_url, now);
  check_distribution_name(r, dist);
  r.signed_by = signer;
  return r;
}

} // namespace prepo::import
