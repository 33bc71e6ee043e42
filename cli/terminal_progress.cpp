#include "cli/terminal_progress.hpp"

#include <cstdio>
#include <unistd.h>

#include <fmt/format.h>

namespace prepo::cli {

namespace {

// Resident memory now and at its peak, in MiB, from /proc/self/status.
std::string memory_report()
{
  std::FILE* f = std::fopen("/proc/self/status", "r");
  if (!f) {
    return {};
  }
  char line[256];
  long rss = 0, hwm = 0;
  while (std::fgets(line, sizeof line, f)) {
    std::sscanf(line, "VmRSS: %ld", &rss);
    std::sscanf(line, "VmHWM: %ld", &hwm);
  }
  std::fclose(f);
  return fmt::format(", RSS {} MiB (peak {} MiB)", rss / 1024, hwm / 1024);
}

// Plain (non-terminal) output reports only phases this long, so that short
// commands and their one-line errors stay uncluttered.
constexpr std::uint64_t plain_threshold = 500;
} // namespace

TerminalProgress::TerminalProgress(bool quiet, bool verbose)
    : tty_(::isatty(STDERR_FILENO) == 1), quiet_(quiet), verbose_(verbose)
{
}

void TerminalProgress::start(std::string_view phase, std::uint64_t total)
{
  if (active_) {
    finish();
  }
  active_ = true;
  phase_ = phase;
  total_ = total;
  done_ = 0;
  bytes_done_ = bytes_total_ = 0;
  started_ = drawn_ = plain_line_ = std::chrono::steady_clock::now();
  if (quiet_) {
    return;
  }
  if (tty_) {
    draw(true);
  } else if (total_ >= plain_threshold) {
    fmt::print(stderr, "{}: {} to do\n", phase_, total_);
  }
}

void TerminalProgress::advance(std::uint64_t units)
{
  done_ += units;
  if (!quiet_ && tty_) {
    draw(false);
  }
}

void TerminalProgress::bytes(std::uint64_t done, std::uint64_t total)
{
  bytes_done_ = done;
  bytes_total_ = total;
  if (quiet_) {
    return;
  }
  if (tty_) {
    draw(false);
    return;
  }
  // Not a terminal: a plain line now and then, for logs.
  const auto now = std::chrono::steady_clock::now();
  if (now - plain_line_ >= std::chrono::seconds(10)) {
    plain_line_ = now;
    fmt::print(stderr, "{}: {}\n", phase_, transfer_status());
  }
}

std::string TerminalProgress::transfer_status() const
{
  constexpr double mib = 1024.0 * 1024.0;
  const auto seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  const double rate = seconds > 0 ? static_cast<double>(bytes_done_) / seconds : 0;
  std::string eta = "?";
  if (rate > 0 && bytes_total_ >= bytes_done_) {
    const auto left = static_cast<long>(static_cast<double>(bytes_total_ - bytes_done_) / rate);
    eta = fmt::format("{}:{:02}", left / 60, left % 60);
  }
  return fmt::format("{}/{} files, {:.1f}/{:.1f} MiB, {:.1f} MiB/s, ETA {}", done_, total_,
                     static_cast<double>(bytes_done_) / mib,
                     static_cast<double>(bytes_total_) / mib, rate / mib, eta);
}

void TerminalProgress::finish()
{
  if (!active_) {
    return;
  }
  active_ = false;
  if (quiet_) {
    return;
  }
  const auto seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  if (tty_) {
    fmt::print(stderr, "\r\033[K");
    if (seconds >= 1.0) {
      fmt::print(stderr, "{}: done in {:.1f} s\n", phase_, seconds);
    }
  } else if (total_ >= plain_threshold || verbose_) {
    fmt::print(stderr, "{}: {} done in {:.3f} s{}\n", phase_, done_, seconds,
               verbose_ ? memory_report() : std::string());
  }
}

void TerminalProgress::note(std::string_view line)
{
  if (tty_ && active_) {
    fmt::print(stderr, "\r\033[K");
  }
  if (!quiet_) {
    fmt::print("{}\n", line);
    std::fflush(stdout);
  }
  if (tty_ && active_ && !quiet_) {
    draw(true);
  }
}

void TerminalProgress::draw(bool force)
{
  const auto now = std::chrono::steady_clock::now();
  if (!force && now - drawn_ < std::chrono::milliseconds(100)) {
    return;
  }
  drawn_ = now;
  if (bytes_total_ > 0) {
    fmt::print(stderr, "\r\033[K{}: {}", phase_, transfer_status());
  } else if (total_ == 0) {
    fmt::print(stderr, "\r\033[K{} ...", phase_);
  } else {
    constexpr int width = 30;
    const auto filled = static_cast<int>(width * std::min(done_, total_) / total_);
    fmt::print(stderr, "\r\033[K{} [{}{}] {}/{}", phase_, std::string(filled, '#'),
               std::string(width - filled, ' '), done_, total_);
  }
  std::fflush(stderr);
}

} // namespace prepo::cli
