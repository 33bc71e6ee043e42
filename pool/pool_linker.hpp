// Hard-links store objects into a farm's pool, on a thread of its own, while
// the publish compresses its indexes.
#pragma once

#include <filesystem>
#include <functional>
#include <future>
#include <string>
#include <utility>
#include <vector>

#include "pool/store.hpp"
#include "util/work_queue.hpp"

namespace prepo::pool {

// A pool link to make: the store object (by SHA256) and its path under the
// farm directory.
using PoolLink = std::pair<std::string, std::string>;

// Starts on construction. The thread first makes the pool directories, one
// after another: each new directory locks its parent, and the pool's
// directories share few parents, so more threads would only wait on those
// locks (spinning, in the CPU time compression needs). Then it makes the
// links, which go into distinct directories and do run in parallel: wait()
// joins in with the calling thread, so the part left when the caller runs
// out of other work finishes on two cores.
//
// Once its links exist, the thread starts the file system's writeback
// (syncfs): the publish's own syncfs, which must find the pool durable
// before the switch, then has little left to write instead of 10,000 new
// directories. wait() does not wait for this early writeback.
class PoolLinker {
public:
  PoolLinker(const ContentStore& store, std::filesystem::path farm_dir,
             std::vector<PoolLink> links);
  PoolLinker(const PoolLinker&) = delete;
  PoolLinker& operator=(const PoolLinker&) = delete;
  ~PoolLinker(); // an early exit of the caller must not leave the thread running

  // Returns when every link exists; rethrows the first failure.
  void wait();

private:
  void run();
  void make_directories();

  const ContentStore& store_;
  const std::filesystem::path farm_dir_;
  const std::vector<PoolLink> links_;
  const std::function<void(std::size_t)> link_one_;
  util::WorkQueue queue_; // the links; a failure making directories stops it too
  std::promise<void> directories_made_;
  std::promise<void> thread_linked_;
  std::future<void> directories_made_future_;
  std::future<void> thread_linked_future_;
  std::future<void> thread_;
};

} // namespace prepo::pool
