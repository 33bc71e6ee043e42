#include "serve/access_log.hpp"

#include <ctime>
#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

#include "util/error.hpp"

namespace prepo::serve {

namespace {

void append_escaped(std::string& out, std::string_view s)
{
  if (s.empty()) {
    out += '-';
    return;
  }
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u >= 0x7F) {
      fmt::format_to(std::back_inserter(out), "\\x{:02x}", u);
    } else {
      out += c;
    }
  }
}

constexpr std::string_view months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

util::Fd open_log(const std::filesystem::path& path)
{
  util::Fd fd(::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640));
  if (!fd) {
    util::throw_errno("cannot open the access log", path.string());
  }
  return fd;
}

} // namespace

void format_combined(const AccessEntry& e, std::string& out)
{
  std::tm tm{};
  const auto t = static_cast<std::time_t>(e.time);
  gmtime_r(&t, &tm);
  append_escaped(out, e.remote);
  out += " - ";
  append_escaped(out, e.user);
  fmt::format_to(std::back_inserter(out), " [{:02}/{}/{:04}:{:02}:{:02}:{:02} +0000] \"",
                 tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                 tm.tm_sec);
  if (e.method.empty()) {
    out += '-'; // nothing parsable arrived (a header too large, a timeout)
  } else {
    append_escaped(out, e.method);
    out += ' ';
    append_escaped(out, e.target);
    fmt::format_to(std::back_inserter(out), " HTTP/{}.{}", e.version / 10, e.version % 10);
  }
  fmt::format_to(std::back_inserter(out), "\" {} ", e.status);
  if (e.body_bytes == 0) {
    out += '-';
  } else {
    fmt::format_to(std::back_inserter(out), "{}", e.body_bytes);
  }
  out += " \"";
  append_escaped(out, e.referer);
  out += "\" \"";
  append_escaped(out, e.user_agent);
  out += "\"\n";
}

AccessLog::AccessLog(std::filesystem::path path) : path_(std::move(path)), fd_(open_log(path_)) {}

void AccessLog::reopen()
{
  auto fd = open_log(path_);
  std::lock_guard lock(mutex_);
  fd_ = std::move(fd);
}

void AccessLog::write(const AccessEntry& entry)
{
  thread_local std::string line;
  line.clear();
  format_combined(entry, line);
  std::lock_guard lock(mutex_);
  // A full disk must not stop serving: a failed log write is dropped.
  [[maybe_unused]] auto n = ::write(fd_.get(), line.data(), line.size());
}

} // namespace prepo::serve
