#include "util/read_ahead.hpp"

#include <algorithm>

#include <fcntl.h>
#include <unistd.h>

#include "util/fd.hpp"

namespace prepo::util {

ReadAhead::ReadAhead(std::vector<std::string> paths, std::size_t window, std::size_t bytes_per_file)
    : paths_(std::move(paths)), window_(std::max<std::size_t>(window, 1)),
      bytes_per_file_(bytes_per_file), thread_([this](const std::stop_token& stop) { run(stop); })
{
}

ReadAhead::~ReadAhead()
{
  thread_.request_stop();
  moved_.notify_all();
  // jthread joins on destruction.
}

void ReadAhead::reached(std::size_t index)
{
  // Only forward: readers on several threads report out of order.
  std::size_t seen = reached_.load(std::memory_order_relaxed);
  while (index > seen && !reached_.compare_exchange_weak(seen, index, std::memory_order_relaxed)) {
  }
  // The read-ahead thread waits a whole window ahead; waking it each half
  // window is enough. The empty critical section orders this update before
  // its check of the condition, so the wake-up cannot fall between its check
  // and its sleep.
  if (index + window_ / 2 >= requested_.load(std::memory_order_relaxed)) {
    {
      const std::lock_guard lock(mutex_);
    }
    moved_.notify_one();
  }
}

void ReadAhead::run(const std::stop_token& stop)
{
  std::size_t i = 0;
  while (i < paths_.size() && !stop.stop_requested()) {
    const std::size_t reached = reached_.load(std::memory_order_relaxed);
    if (i < reached) {
      i = reached; // the readers are past these already: asking would only cost
      continue;
    }
    if (i >= reached + window_) {
      std::unique_lock lock(mutex_);
      moved_.wait(lock, stop,
                  [&] { return i < reached_.load(std::memory_order_relaxed) + window_; });
      continue;
    }
    // A file that cannot be opened is left for its reader to report.
    const Fd fd(::open(paths_[i].c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
    if (fd) {
      (void)::posix_fadvise(fd.get(), 0, static_cast<off_t>(bytes_per_file_), POSIX_FADV_WILLNEED);
    }
    requested_.store(++i, std::memory_order_relaxed);
  }
}

} // namespace prepo::util
