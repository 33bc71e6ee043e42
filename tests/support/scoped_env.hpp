// An environment variable set for a test's duration and restored (or
// unset) afterwards, so that one test's GNUPGHOME or SOURCE_DATE_EPOCH does
// not leak into the next.
#pragma once

#include <cstdlib>
#include <optional>
#include <string>

namespace prepo::test {

class ScopedEnv {
public:
  ScopedEnv(std::string name, const std::string& value) : name_(std::move(name))
  {
    if (const char* old = std::getenv(name_.c_str())) {
      saved_ = old;
    }
    ::setenv(name_.c_str(), value.c_str(), 1);
  }
  ~ScopedEnv()
  {
    if (saved_) {
      ::setenv(name_.c_str(), saved_->c_str(), 1);
    } else {
      ::unsetenv(name_.c_str());
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

private:
  std::string name_;
  std::optional<std::string> saved_;
};

} // namespace prepo::test
