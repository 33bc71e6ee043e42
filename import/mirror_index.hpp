// The indexes of a verified remote distribution: which there are, each
// fetched in the best form the Release lists (.xz, .gz or plain; by-hash
// when offered), checked against the Release before it is decompressed
// (with a cap) and parsed, and read into the packages it lists.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "import/mirror_release.hpp"
#include "repo/record.hpp"

namespace prepo::import {

// The farm's name for a component of the mirror: its last segment.
// Debian's security archive calls its components "updates/main" and so
// on; prepo's component names have no '/', and apt users say "main".
std::string local_component(std::string_view remote);

// One index of a Release, without the compression suffix.
struct IndexRef {
  std::string path;         // "main/binary-amd64/Packages", "updates/main/source/Sources"
  std::string component;    // the local name: "main"
  std::string architecture; // "amd64"; "source" for Sources
  repo::RecordType type = repo::RecordType::binary; // udeb for debian-installer
};

// The Packages and Sources indexes the Release lists.
std::vector<IndexRef> list_indexes(const MirrorRelease& release);

// The verified, decompressed text of `index`; nullopt if the Release lists
// no form of it this build can read. Errors name the URL and the problem
// (a hash that differs from the Release is never retried in another form).
std::string fetch_index(util::http::Fetcher& fetcher, const MirrorRelease& release,
                        const IndexRef& index, std::uint64_t max_plain_size);

// A file of a remote package, relative to the mirror's root URL.
struct RemoteFile {
  std::string path; // "pool/main/h/hello/hello_1.0_amd64.deb"
  std::string name; // "hello_1.0_amd64.deb"
  std::uint64_t size = 0;
  std::string sha256;
};

struct RemotePackage {
  repo::RecordType type = repo::RecordType::binary;
  std::string name, version, architecture, component;
  std::string source;            // the source package's name (a source package: its own)
  std::vector<RemoteFile> files; // binaries: the package; sources: the .dsc first
};

struct IndexEntries {
  std::vector<RemotePackage> packages;
  std::vector<std::string> problems; // stanzas refused: "URL: stanza N (name): why"
};

// Which packages of an index to read, by binary and source name.
using NameKeep = std::function<bool(std::string_view name, std::string_view source)>;

// The packages of an index text that fetch_index verified, those `keep`
// accepts (all when it is empty). A stanza with an unsafe path or without
// SHA256 is refused (listed in problems), the others are kept. Stanzas are
// read one at a time: what is not kept costs no memory.
IndexEntries read_index_entries(std::string_view text, const IndexRef& index,
                                const std::string& source, const NameKeep& keep = {});

} // namespace prepo::import
