// An exclusive lock on a file (POSIX fcntl record lock). The lock file's
// content is never written; a waiting process learns who holds the lock
// through F_GETLK and /proc/<pid>/cmdline.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <string>

#include "util/fd.hpp"

namespace prepo::util {

class FileLock {
public:
  // Called once if the lock is busy, with "pid 1234 (prepo include dev/skaro x.deb)"
  // (the command line cut after about 200 bytes).
  using WaitNotice = std::function<void(const std::string& holder)>;

  // Waits up to `timeout`; throws Error naming the file and the holder after it.
  FileLock(const std::filesystem::path& path, std::chrono::milliseconds timeout,
           const WaitNotice& notice);
  FileLock(FileLock&&) noexcept = default;
  FileLock& operator=(FileLock&&) noexcept = default;
  ~FileLock(); // released with the descriptor

private:
  Fd fd_;
};

// Description of the process holding a lock on `path`, or "" if none.
// Not for the process that holds the lock itself: fcntl locks belong to the
// process, and closing any descriptor of the file (as this call does) drops
// them. For the same reason one process takes a given FileLock only once.
std::string lock_holder(const std::filesystem::path& path);

} // namespace prepo::util
