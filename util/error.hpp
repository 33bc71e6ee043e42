// The whole error model. An Error aborts the current operation and carries
// one line for the user, which always names the input and the problem.
// C error codes are converted to Error at the wrapper boundary (fd.cpp,
// lmdb.cpp, gpg.cpp, archive.cpp), never returned further up.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

#include <fmt/format.h>

namespace prepo::util {

class Error : public std::runtime_error {
public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}

  template <typename... Args>
  explicit Error(fmt::format_string<Args...> format, Args&&... args)
      : std::runtime_error(fmt::format(format, std::forward<Args>(args)...))
  {
  }
};

// "path: what failed: strerror(errno)" from the current errno.
[[noreturn]] void throw_errno(std::string_view what, std::string_view path);

} // namespace prepo::util
