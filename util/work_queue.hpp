// Indices 0..n-1 claimed in order by whichever threads call run(), each
// handed to one function; the first failure is kept, and after it no new
// index is started. parallel_for is built on it; a caller that joins in
// part-way (pool/pool_linker.hpp) uses it directly.
#pragma once

#include <atomic>
#include <cstddef>
#include <exception>
#include <functional>
#include <mutex>

namespace prepo::util {

class WorkQueue {
public:
  // `fn` must outlive the queue.
  WorkQueue(std::size_t n, const std::function<void(std::size_t)>& fn) : n_(n), fn_(fn) {}
  WorkQueue(const WorkQueue&) = delete;
  WorkQueue& operator=(const WorkQueue&) = delete;

  // Claims and runs indices until none is left or something failed.
  void run() noexcept;
  // Keeps `error` unless an earlier one is kept; stops the queue.
  void record(std::exception_ptr error) noexcept;
  bool failed() const { return failed_.load(std::memory_order_relaxed); }
  // Rethrows the kept failure, if any.
  void rethrow_failure();

private:
  const std::size_t n_;
  const std::function<void(std::size_t)>& fn_;
  std::atomic<std::size_t> next_{0};
  std::atomic<bool> failed_{false};
  std::mutex mutex_;
  std::exception_ptr error_;
};

} // namespace prepo::util
