#include "util/error.hpp"

#include <cerrno>
#include <system_error>

namespace prepo::util {

void throw_errno(std::string_view what, std::string_view path)
{
  // Captured first: formatting below may allocate and clobber errno.
  const int saved = errno;
  // std::system_category().message is thread-safe, unlike strerror.
  throw Error("{}: {}: {}", path, what, std::system_category().message(saved));
}

} // namespace prepo::util
