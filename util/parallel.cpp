#include "util/parallel.hpp"

#include <algorithm>
#include <cerrno>
#include <system_error>
#include <thread>
#include <vector>

#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

#include "util/work_queue.hpp"

namespace prepo::util {

unsigned default_threads()
{
  // The affinity mask, not the machine, is what a container or taskset
  // actually lets us use.
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof(set), &set) == 0) {
    const int count = CPU_COUNT(&set);
    if (count > 0) {
      return static_cast<unsigned>(count);
    }
  }
  return std::max(1U, std::thread::hardware_concurrency());
}

unsigned io_threads()
{
  return std::max(4u, default_threads());
}

void yield_priority_to_waited_work()
{
  // On Linux a thread id names one thread for setpriority (POSIX would
  // change the whole process).
  const auto self = static_cast<id_t>(::gettid());
  errno = 0;
  const int nice = ::getpriority(PRIO_PROCESS, self);
  if (errno == 0) {
    ::setpriority(PRIO_PROCESS, self, std::min(nice + 5, 19));
  }
}

void parallel_for(std::size_t n, unsigned threads, const std::function<void(std::size_t)>& fn)
{
  if (n == 0) {
    return;
  }
  const std::size_t workers = std::clamp<std::size_t>(threads, 1, n);
  if (workers == 1) {
    // No thread, no queue: exceptions propagate directly and stack traces
    // stay readable.
    for (std::size_t i = 0; i < n; ++i) {
      fn(i);
    }
    return;
  }
  WorkQueue queue(n, fn);
  {
    std::vector<std::jthread> helpers;
    helpers.reserve(workers - 1);
    for (std::size_t t = 1; t < workers; ++t) {
      try {
        helpers.emplace_back([&queue] { queue.run(); });
      } catch (const std::system_error&) {
        // Out of threads: the ones already started, and this one, still
        // finish the work.
        break;
      }
    }
    queue.run();
  } // jthreads join here
  queue.rethrow_failure();
}

} // namespace prepo::util
