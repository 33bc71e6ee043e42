// Run fn(i) for i in [0, n) on up to `threads` threads. The first exception
// thrown by any call is rethrown in the caller after all threads stop.
#pragma once

#include <cstddef>
#include <functional>

namespace prepo::util {

unsigned default_threads(); // hardware concurrency, at least 1
// For latency-bound file-system work (creating files and directories):
// more operations in flight than cores finish sooner, so at least 4.
unsigned io_threads();
void parallel_for(std::size_t n, unsigned threads, const std::function<void(std::size_t)>& fn);

// Lowers the calling thread's scheduling priority (Linux: its nice value,
// +5), which the threads it starts inherit. For work done ahead of time
// beside the work the command waits for: when both want the cores, the
// waited-for work runs first. Best effort: a refusal changes nothing else.
void yield_priority_to_waited_work();

} // namespace prepo::util
