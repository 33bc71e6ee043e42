// The objects one command writes into the store before its change commits.
//
// Include writes a package's bytes while it reads them, straight into the
// store under their SHA256 (a name that appears only with every byte:
// util::create_file_atomic), so committing moves nothing. Until the change
// commits they belong to the batch: destroyed without commit(), it removes
// them and the shard directories it made, and the store is as it was. A
// kill leaves complete objects nothing records, which the next add of the
// same bytes rewrites and gc removes.
#pragma once

#include <array>
#include <functional>
#include <mutex>
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
  // false if the store has a file of that name already (not the batch's:
  // whether it holds these bytes is for the caller to find out).
  bool write(std::string_view bytes, const std::string& sha256);

  // Before the commit: removes the objects `keep` rejects (those of
  // packages refused on the way), so the commit leaves none unreferenced.
  void drop_unless(const std::function<bool(const std::string&)>& keep);
  // The change committed: what the batch wrote is the store's now.
  void commit() noexcept { committed_ = true; }

private:
  void make_shard(std::size_t index, const fs::path& dir);

  const ContentStore& store_;
  std::mutex mutex_;
  std::vector<std::string> written_;
  // Shards are looked at once each: creating a file locks its directory,
  // and a mkdir per object would queue the writers on the store's.
  std::array<std::once_flag, 256> shard_seen_{};
  // The shard directories the batch made: set under shard_seen_, read
  // once the writers are done.
  std::array<fs::path, 256> shard_made_{};
  // The object names each shard held when first looked at (sorted), set
  // under shard_seen_: an object not among them is new, and no stat per
  // object needs to find that out.
  std::array<std::vector<std::string>, 256> shard_names_{};
  bool committed_ = false;
};

} // namespace prepo::pool
