#include "pool/pool_linker.hpp"

#include <algorithm>
#include <string_view>

#include "util/error.hpp"
#include "util/file.hpp"

namespace prepo::pool {

PoolLinker::PoolLinker(const ContentStore& store, std::filesystem::path farm_dir,
                       std::vector<PoolLink> links)
    : store_(store), farm_dir_(std::move(farm_dir)), links_(std::move(links)),
      link_one_([this](std::size_t i) {
        store_.link_into(links_[i].first, farm_dir_ / links_[i].second);
      }),
      queue_(links_.size(), link_one_), directories_made_future_(directories_made_.get_future()),
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
    queue_.record(std::current_exception());
  }
  directories_made_.set_value();
  queue_.run();
  thread_linked_.set_value();
  if (links_.empty() || queue_.failed()) {
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
    if (queue_.failed()) {
      return;
    }
    util::make_dirs(farm_dir_ / dir);
  }
}

void PoolLinker::wait()
{
  directories_made_future_.wait();
  queue_.run();
  thread_linked_future_.wait();
  queue_.rethrow_failure();
}

} // namespace prepo::pool
