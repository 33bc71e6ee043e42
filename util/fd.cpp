#include "util/fd.hpp"

#include <unistd.h>

namespace prepo::util {

void Fd::reset(int fd)
{
  if (fd_ >= 0 && fd_ != fd) {
    // The result is ignored on purpose: on Linux the descriptor is released
    // even when close fails, so retrying could close someone else's file.
    // Callers that need write errors fsync (or close explicitly) first.
    ::close(fd_);
  }
  fd_ = fd;
}

} // namespace prepo::util
