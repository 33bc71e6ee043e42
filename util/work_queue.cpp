#include "util/work_queue.hpp"

namespace prepo::util {

void WorkQueue::run() noexcept
{
  while (!failed()) {
    const std::size_t i = next_.fetch_add(1, std::memory_order_relaxed);
    if (i >= n_) {
      return;
    }
    try {
      fn_(i);
    } catch (...) {
      record(std::current_exception());
      return;
    }
  }
}

void WorkQueue::record(std::exception_ptr error) noexcept
{
  const std::lock_guard lock(mutex_);
  if (!error_) {
    error_ = std::move(error);
  }
  failed_.store(true, std::memory_order_relaxed);
}

void WorkQueue::rethrow_failure()
{
  const std::lock_guard lock(mutex_);
  if (error_) {
    std::rethrow_exception(error_);
  }
}

} // namespace prepo::util
