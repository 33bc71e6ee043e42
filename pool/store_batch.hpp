// The objects one command writes into the store before its change commits.
//
// Include writes a package's bytes while it reads them, straight into the
// store under their SHA256 (a name that appears only with every byte:
// util::create_file_atomic), so committing moves nothing. Until the change
// commits they belong to the batch: destroyed without finish(), it removes
// them and the shard directories it made, and the store is as it was;
// finish(kept) removes only those the change does not reference (packages
// refused on the way). A kill leaves complete objects nothing records,
// which the next add of the same bytes rewrites (ContentStore::holds).
#pragma once

#include <array>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "pool/store.hpp"

namespace prepo::pool {

class StoreBatch {
public:
  explicit StoreBatch(const ContentStore& store) : store_(store) {}
  StoreBatch(const StoreBatch&) = delete;
  StoreBatch& operator=(const StoreBatch&) = delete;
  ~StoreBatch();

  // Safe from several threads. True if this call created the object;
  // false if the store has a file of that name already (not the batch's).
  bool write(std::string_view bytes, const std::string& sha256);

  // The change committed: keep what it references, drop the rest.
  void finish(const std::set<std::string>& kept);

private:
  void make_shard(std::size_t index, const fs::path& dir);

  const ContentStore& store_;
  std::mutex mutex_;
  std::vector<std::string> written_;
  // Shards are looked at once each: creating a file locks its directory,
  // and a mkdir per object would queue the writers on the store's.
  std::array<std::once_flag, 256> shard_seen_{};
  std::array<bool, 256> shard_made_{}; // set under shard_seen_, read once writers are done
  bool finished_ = false;
};

} // namespace prepo::pool
