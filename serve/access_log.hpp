// The access log in the combined log format (Apache's and nginx's default),
// so the usual log tools read it:
//   127.0.0.1 - alice [21/Nov/2026:12:00:00 +0000] "GET /alice/dists/skaro/InRelease HTTP/1.1" 200
//   1234 "-" "Debian APT-HTTP/1.3 (2.6.1)"
// The user field is the token name when a token opened the request, else
// '-'; secrets and Authorization headers are never written. Bytes from the
// client are escaped (\xNN, \") so a request cannot forge log lines.
#pragma once

#include <cstdint>
#include <filesystem>
#include <mutex>
#include <string>
#include <string_view>

#include "util/fd.hpp"

namespace prepo::serve {

struct AccessEntry {
  std::string_view remote;
  std::string_view user; // "" for '-'
  std::int64_t time = 0; // unix seconds
  std::string_view method;
  std::string_view target;
  unsigned version = 11; // 10 or 11
  unsigned status = 0;
  std::uint64_t body_bytes = 0;
  std::string_view referer;
  std::string_view user_agent;
};

// One line, with its newline, appended to `out`.
void format_combined(const AccessEntry& entry, std::string& out);

class AccessLog {
public:
  // Opens (creates) the file for appending; Error naming it.
  explicit AccessLog(std::filesystem::path path);
  // Opens the path again (after logrotate moved the file), on SIGHUP.
  void reopen();
  // One write(2) per line, so lines from several threads never interleave.
  void write(const AccessEntry& entry);

private:
  std::filesystem::path path_;
  std::mutex mutex_;
  util::Fd fd_;
};

} // namespace prepo::serve
