#include "pool/pool_linker.hpp"

#include <algorithm>
#include <string_view>

#include "util/error.hpp"
#include "util/file.hpp"

namespace prepo::pool {

PoolLinker::PoolLinker(const ContentStore& store, std::filesystem::path farm_dir,
                       std::vector<PoolLink> links)
    : store_(store), farm_dir_(std::move(farm_dir)), links_(std::move(links)),
      directories_made_future_(directories_made_.get_future()),
      thread_linked_future_(thread_linked_.get_future()),
      thread_(std::async(std::launch::async, [this] { run(); }))
{
}

PoolLinker::~PoolLinker()
{
  if (thread_.valid()) {
    thread_.wait();
  }
}

void PoolLinker::run()
{
  try {
    make_directories();
  } catch (...) {
    record(std::current_exception());
  }
  directories_made_.set_value();
  link_claimed();
  thread_linked_.set_value();
  if (links_.empty() || failed_.load()) {
    return;
  }
  try {
    util::sync_filesystem(farm_dir_);
  } catch (const util::Error&) {
    // Only a head start: the publish's own syncfs reports failures.
  }
}

void PoolLinker::make_directories()
{
  std::vector<std::string_view> dirs;
  dirs.reserve(links_.size());
  for (const auto& link : links_) {
    const std::string_view path = link.second;
    if (const auto slash = path.rfind('/'); slash != std::string_view::npos) {
      dirs.push_back(path.substr(0, slash));
    }
  }
  std::ranges::sort(dirs);
  const auto [first, last] = std::ranges::unique(dirs);
  dirs.erase(first, last);
  for (const auto dir : dirs) {
    if (failed_.load(std::memory_order_relaxed)) {
      return;
    }
    util::make_dirs(farm_dir_ / dir);
  }
}

void PoolLinker::link_claimed() noexcept
{
  while (!failed_.load(std::memory_order_relaxed)) {
    const auto i = next_.fetch_add(1, std::memory_order_relaxed);
    if (i >= links_.size()) {
      return;
    }
    try {
      store_.link_into(links_[i].first, farm_dir_ / links_[i].second);
    } catch (...) {
      record(std::current_exception());
      return;
    }
  }
}

void PoolLinker::record(std::exception_ptr error) noexcept
{
  const std::lock_guard lock(error_mutex_);
  if (!error_) {
    error_ = std::move(error);
  }
  failed_.store(true);
}

void PoolLinker::wait()
{
  directories_made_future_.wait();
  link_claimed();
  thread_linked_future_.wait();
  const std::lock_guard lock(error_mutex_);
  if (error_) {
    std::rethrow_exception(error_);
  }
}

} // namespace prepo::pool
