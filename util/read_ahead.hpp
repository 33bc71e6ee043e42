// Reading ahead of the threads that read many files: a thread of its own
// asks the kernel (posix_fadvise WILLNEED) to bring each file's first bytes
// into the page cache, a bounded number of files ahead of the readers.
//
// Reading 10,000 small .debs that are not cached is otherwise one disk read
// at a time per reading thread, each thread idle until its read returns;
// with the reads asked for ahead, many are in flight at once and the readers
// mostly find their files cached. A file already cached costs an open and a
// close on this thread, which the readers do not wait for.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace prepo::util {

class ReadAhead {
public:
  // `paths` in the order the readers take them (roughly: they are claimed
  // in order by several threads). At most `window` files past the last one
  // reached are asked for, and of each only its first `bytes_per_file`: a
  // large file is read ahead by the kernel as it is read anyway.
  explicit ReadAhead(std::vector<std::string> paths, std::size_t window = 256,
                     std::size_t bytes_per_file = std::size_t{1} << 20);
  ~ReadAhead(); // stops asking and joins its thread
  ReadAhead(const ReadAhead&) = delete;
  ReadAhead& operator=(const ReadAhead&) = delete;

  // A reader has come to file `index`.
  void reached(std::size_t index);

  // How many files have been asked for so far (for tests).
  std::size_t requested() const { return requested_.load(std::memory_order_relaxed); }

private:
  void run(const std::stop_token& stop);

  const std::vector<std::string> paths_;
  const std::size_t window_;
  const std::size_t bytes_per_file_;
  std::atomic<std::size_t> reached_{0};
  std::atomic<std::size_t> requested_{0};
  std::mutex mutex_;
  std::condition_variable_any moved_;
  std::jthread thread_; // last: started once everything above is set
};

} // namespace prepo::util
