// The content-addressed store: every file prepo publishes is kept once, at
// store/<2 hex>/<sha256>, read-only, and hard-linked into the per-
// distribution pools. Bytes are stored once and never regenerated; a pool
// file is always the very inode the store holds.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

#include "util/hash.hpp"

namespace prepo::pool {

namespace fs = std::filesystem;

class ContentStore {
public:
  explicit ContentStore(fs::path dir) : dir_(std::move(dir)) {}

  const fs::path& dir() const { return dir_; }
  fs::path object_path(std::string_view sha256) const;
  // The object's path inside the store: <2 hex>/<sha256>.
  static std::string object_name(std::string_view sha256);
  // Objects live in 256 shard directories, store/00 ... store/ff: the
  // number of the one `sha256` goes into.
  static std::size_t shard_index(std::string_view sha256);
  bool contains(std::string_view sha256) const;
  // Contains it with this size. Whoever is about to trust an object it did
  // not write asks this: after a power loss, an object renamed into place
  // but not yet flushed can be there under its name with none of its
  // bytes (ext4 makes the name durable before the data of a new file).
  // Such an object is replaced by the next add or adopt, never reused.
  bool holds(std::string_view sha256, std::uint64_t size) const;

  // Put a file's bytes into the store (temp name, then rename). Nothing is
  // flushed here: callers write many objects, then flush the file system
  // once (util::sync_filesystem) before the transaction that references
  // them commits. An existing object is replaced, so a partial object left
  // by a crash never survives a re-add.
  void add_file(const fs::path& source, std::string_view sha256) const;
  void add_bytes(std::string_view bytes, std::string_view sha256) const;
  // Take over a file the caller gives up (include --move): hard-link it in
  // (no copy) and check its bytes again, since they are now ours. Falls
  // back to a copy across file systems. Error if the bytes differ.
  void adopt_file(const fs::path& source, std::string_view sha256, std::uint64_t size) const;

  // Move a file already written under the same root (include stages the
  // bytes it has read) into the store: one rename, no copy.
  void adopt_staged(const fs::path& staged, std::string_view sha256) const;

  void remove(std::string_view sha256) const;

  // Hard-link the object to `destination`, whose directory exists (the
  // pool linker makes the directories first: see pool_linker.hpp).
  void link_into(std::string_view sha256, const fs::path& destination) const;

  // Calls fn(sha256) for each object file present, in no order (temporary
  // files of an add in progress are skipped).
  void for_each_object(const std::function<void(const std::string& sha256)>& fn) const;

private:
  fs::path dir_;
};

// The ways out of a clash that clash_message names, as include offers them
// (import-mirror offers its own and puts them in their place).
inline constexpr std::string_view clash_advice =
    "give it a new version, add a version flavor, or include it with --replace";

// The error for a second, different file under a name the pool already
// holds, or held before gc dropped it (`retired`): names the file, both
// SHA256 sums and the ways out.
std::string clash_message(std::string_view input, std::string_view pool_path,
                          std::string_view pool_sha256, std::string_view new_sha256,
                          bool retired = false);
// The same name in another component of the distribution (`other_path`)
// with other bytes: --replace cannot help, the other copy would stay.
std::string sibling_clash_message(std::string_view input, std::string_view other_path,
                                  std::string_view other_sha256, std::string_view new_sha256);

} // namespace prepo::pool
