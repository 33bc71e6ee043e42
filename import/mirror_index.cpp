#include "import/mirror_index.hpp"

#include <algorithm>
#include <charconv>
#include <set>

#include <fmt/format.h>

#include "import/safe_path.hpp"
#include "repo/deb822.hpp"
#include "util/compress.hpp"
#include "util/error.hpp"
#include "util/hash.hpp"

namespace prepo::import {

namespace {

struct Form {
  std::string_view suffix;
  std::optional<util::Compression> compression; // nullopt: plain
};
// Best first: smallest transfer. .bz2 and .lzma are not read.
constexpr Form forms[] = {
    {".xz", util::Compression::xz}, {".gz", util::Compression::gzip}, {"", std::nullopt}};

std::string strip_compression(std::string_view path)
{
  for (std::string_view suffix : {".xz", ".gz", ".bz2", ".lzma", ".zst"}) {
    if (path.ends_with(suffix)) {
      return std::string(path.substr(0, path.size() - suffix.size()));
    }
  }
  return std::string(path);
}

// Checks bytes against a Release entry; the reason if they differ.
std::string mismatch(std::string_view bytes, const ListedFile& listed)
{
  if (bytes.size() != listed.size) {
    return fmt::format("size is {}, the Release says {}", bytes.size(), listed.size);
  }
  const auto sums = util::checksum_bytes(bytes);
  if (!listed.sha512.empty() && sums.sha512 != listed.sha512) {
    return fmt::format("SHA512 is {}, the Release says {}", sums.sha512, listed.sha512);
  }
  if (!listed.sha256.empty() && sums.sha256 != listed.sha256) {
    return fmt::format("SHA256 is {}, the Release says {}", sums.sha256, listed.sha256);
  }
  return {};
}

std::string parent_of(std::string_view path)
{
  auto slash = path.rfind('/');
  return slash == std::string_view::npos ? std::string() : std::string(path.substr(0, slash));
}

std::uint64_t parse_size(std::string_view text, std::string_view what)
{
  std::uint64_t size = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), size);
  if (ec != std::errc() || end != text.data() + text.size()) {
    throw util::Error("malformed {}: '{}'", what, text);
  }
  return size;
}

// "Source: name" or "Source: name (version)"; absent: the package's own name.
std::string_view source_of(const repo::Stanza& st, std::string_view name)
{
  const auto source = repo::words(st.get("Source").value_or(name));
  return source.empty() ? name : source.front();
}

RemotePackage read_binary(const repo::Stanza& st, const IndexRef& index)
{
  RemotePackage p;
  p.type = index.type;
  p.component = index.component;
  p.name = std::string(st.require("Package", "stanza"));
  p.version = std::string(st.require("Version", "stanza"));
  p.architecture = std::string(st.require("Architecture", "stanza"));
  p.source = std::string(source_of(st, p.name));
  RemoteFile f;
  f.path = std::string(st.require("Filename", "stanza"));
  check_safe_relative_path(f.path, "Filename");
  f.name = f.path.substr(f.path.rfind('/') + 1);
  f.size = parse_size(st.require("Size", "stanza"), "Size");
  auto sha = st.get("SHA256");
  if (!sha || !util::is_hex_digest(*sha, util::HashKind::sha256)) {
    throw util::Error("no valid SHA256 field (MD5sum and SHA1 alone are too weak to trust)");
  }
  f.sha256 = std::string(*sha);
  p.files.push_back(std::move(f));
  return p;
}

RemotePackage read_source(const repo::Stanza& st, const IndexRef& index)
{
  RemotePackage p;
  p.type = repo::RecordType::source;
  p.component = index.component;
  p.architecture = "source";
  p.name = std::string(st.require("Package", "stanza"));
  p.source = p.name;
  p.version = std::string(st.require("Version", "stanza"));
  const std::string directory(st.require("Directory", "stanza"));
  check_safe_relative_path(directory, "Directory");
  auto sums = st.get("Checksums-Sha256");
  if (!sums) {
    throw util::Error("no Checksums-Sha256 field (MD5 alone is too weak to trust)");
  }
  for (auto line : repo::value_lines(*sums)) {
    auto w = repo::words(line);
    if (w.size() != 3 || !util::is_hex_digest(w[0], util::HashKind::sha256)) {
      throw util::Error("malformed Checksums-Sha256 line: {}", line);
    }
    RemoteFile f;
    f.name = std::string(w[2]);
    check_safe_relative_path(f.name, "Checksums-Sha256");
    if (f.name.find('/') != std::string::npos) {
      throw util::Error("Checksums-Sha256 names a path, not a file: {}", f.name);
    }
    f.path = directory + "/" + f.name;
    f.size = parse_size(w[1], "size");
    f.sha256 = std::string(w[0]);
    if (f.name.ends_with(".dsc")) {
      p.files.insert(p.files.begin(), std::move(f));
    } else {
      p.files.push_back(std::move(f));
    }
  }
  if (p.files.empty() || !p.files.front().name.ends_with(".dsc")) {
    throw util::Error("lists no .dsc file");
  }
  return p;
}

} // namespace

std::string local_component(std::string_view remote)
{
  const auto slash = remote.rfind('/');
  return std::string(slash == std::string_view::npos ? remote : remote.substr(slash + 1));
}

std::vector<IndexRef> list_indexes(const MirrorRelease& release)
{
  std::set<std::string> seen;
  std::vector<IndexRef> out;
  for (const auto& [path, listed] : release.files) {
    auto base = strip_compression(path);
    if (!seen.insert(base).second) {
      continue;
    }
    for (const auto& component : release.components) {
      // Debian's security archive lists component "updates/main" and its
      // files as "main/binary-amd64/Packages": either prefix names it.
      const auto local = local_component(component);
      std::string prefix = component + "/";
      if (!base.starts_with(prefix)) {
        prefix = local + "/";
        if (local == component || !base.starts_with(prefix)) {
          continue;
        }
      }
      const std::string_view rest = std::string_view(base).substr(prefix.size());
      IndexRef ref{base, local, "", repo::RecordType::binary};
      if (rest == "source/Sources") {
        ref.architecture = "source";
        ref.type = repo::RecordType::source;
      } else if (rest.starts_with("binary-") && rest.ends_with("/Packages") &&
                 std::count(rest.begin(), rest.end(), '/') == 1) {
        ref.architecture = std::string(rest.substr(7, rest.size() - 7 - 9));
      } else if (rest.starts_with("debian-installer/binary-") && rest.ends_with("/Packages") &&
                 std::count(rest.begin(), rest.end(), '/') == 2) {
        ref.architecture = std::string(rest.substr(24, rest.size() - 24 - 9));
        ref.type = repo::RecordType::udeb;
      } else {
        continue;
      }
      out.push_back(std::move(ref));
      break;
    }
  }
  return out;
}

std::string fetch_index(util::http::Fetcher& fetcher, const MirrorRelease& release,
                        const IndexRef& index, std::uint64_t max_plain_size)
{
  const ListedFile* plain = nullptr;
  if (auto it = release.files.find(index.path); it != release.files.end()) {
    plain = &it->second;
  }
  std::string tried;
  for (const auto& form : forms) {
    const auto path = index.path + std::string(form.suffix);
    auto it = release.files.find(path);
    if (it == release.files.end()) {
      continue;
    }
    const auto& listed = it->second;
    // By-hash first when offered: that name never changes under us while
    // the mirror publishes anew.
    std::vector<std::string> urls;
    if (release.acquire_by_hash) {
      const auto dir = parent_of(path);
      if (!listed.sha256.empty()) {
        urls.push_back(
            util::http::join_url(release.dist_url, dir + "/by-hash/SHA256/" + listed.sha256));
      }
    }
    urls.push_back(util::http::join_url(release.dist_url, path));
    for (const auto& url : urls) {
      auto bytes = fetcher.get(url, listed.size, true);
      if (!bytes) {
        tried += (tried.empty() ? "" : ", ") + url + " (not found)";
        continue;
      }
      if (auto why = mismatch(*bytes, listed); !why.empty()) {
        throw util::Error("{}: {}", url, why);
      }
      if (!form.compression) {
        return std::move(*bytes);
      }
      const auto cap = plain ? plain->size : max_plain_size;
      auto text = util::decompress(*form.compression, *bytes, cap, url);
      if (plain) {
        if (auto why = mismatch(text, *plain); !why.empty()) {
          throw util::Error("{}: decompressed, {}", url, why);
        }
      }
      return text;
    }
  }
  throw util::Error("{}/{}: no form of this index could be fetched{}{}", release.dist_url,
                    index.path, tried.empty() ? "" : ": ", tried);
}

IndexEntries read_index_entries(std::string_view text, const IndexRef& index,
                                const std::string& source, const NameKeep& keep)
{
  IndexEntries out;
  std::size_t number = 0;
  const bool sources = index.type == repo::RecordType::source;
  repo::for_each_stanza(text, source, [&](repo::Stanza& st) {
    ++number;
    if (keep) {
      auto name = st.get("Package");
      if (name && !keep(*name, sources ? *name : source_of(st, *name))) {
        return;
      }
    }
    try {
      out.packages.push_back(sources ? read_source(st, index) : read_binary(st, index));
    } catch (const util::Error& e) {
      out.problems.push_back(fmt::format("{}: stanza {} ({}): {}", source, number,
                                         st.get("Package").value_or("?"), e.what()));
    }
  });
  return out;
}

} // namespace prepo::import
