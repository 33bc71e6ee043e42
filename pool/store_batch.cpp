#include "pool/store_batch.hpp"

#include <algorithm>
#include <cerrno>

#include <sys/stat.h>
#include <unistd.h>

#include "util/file.hpp"

namespace prepo::pool {

StoreBatch::~StoreBatch()
{
  if (committed_) {
    return;
  }
  for (const auto& sha256 : written_) {
    ::unlink(store_.object_path(sha256).c_str());
  }
  for (const auto& shard : shard_made_) {
    if (!shard.empty()) {
      ::rmdir(shard.c_str()); // left if something else is in it
    }
  }
}

void StoreBatch::make_shard(std::size_t index, const fs::path& dir)
{
  if (::mkdir(dir.c_str(), 0755) == 0) {
    shard_made_[index] = dir;
    return;
  }
  if (errno == EEXIST) {
    auto& names = shard_names_[index];
    for (const auto& entry : fs::directory_iterator(dir)) {
      auto name = entry.path().filename().string();
      if (name.size() == 64) {
        names.push_back(std::move(name));
      }
    }
    std::ranges::sort(names);
    return;
  }
  util::make_dirs(dir); // the store directory itself is missing: an error names it
  shard_made_[index] = dir;
}

bool StoreBatch::write(std::string_view bytes, const std::string& sha256)
{
  const auto path = store_.object_path(sha256);
  const auto index = ContentStore::shard_index(sha256);
  std::call_once(shard_seen_[index], [&] { make_shard(index, path.parent_path()); });
  if (std::ranges::binary_search(shard_names_[index], sha256) ||
      !util::create_file_atomic(path, bytes, 0444)) {
    return false;
  }
  const std::lock_guard lock(mutex_);
  written_.push_back(sha256);
  return true;
}

void StoreBatch::drop_unless(const std::function<bool(const std::string&)>& keep)
{
  std::erase_if(written_, [&](const std::string& sha256) {
    if (keep(sha256)) {
      return false;
    }
    util::remove_file_if_exists(store_.object_path(sha256));
    return true;
  });
}

} // namespace prepo::pool
