#include "util/lock.hpp"

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <iterator>
#include <string_view>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

#include "util/command_line.hpp"
#include "util/error.hpp"

namespace prepo::util {

namespace {

// The whole file, so every prepo process contends for the same range.
struct flock whole_file(short type)
{
  struct flock lock {};
  lock.l_type = type;
  lock.l_whence = SEEK_SET;
  lock.l_start = 0;
  lock.l_len = 0;
  return lock;
}

// true: taken; false: held by another process.
bool try_lock(int fd, const std::filesystem::path& path)
{
  for (;;) {
    struct flock lock = whole_file(F_WRLCK);
    if (::fcntl(fd, F_SETLK, &lock) == 0) {
      return true;
    }
    if (errno == EAGAIN || errno == EACCES) {
      return false;
    }
    if (errno != EINTR) {
      throw_errno("lock", path.string());
    }
  }
}

// The holder's command line, cut to fit the one-line message: an include
// of thousands of files would otherwise print every file name.
std::string command_line(pid_t pid)
{
  constexpr std::size_t shown = 200;
  std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline", std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (char& c : text) {
    if (c == '\n') {
      c = ' ';
    }
  }
  // Arguments are NUL-terminated; the last NUL is not a separator.
  while (!text.empty() && text.back() == '\0') {
    text.pop_back();
  }
  std::vector<std::string_view> args;
  for (std::size_t pos = 0; !text.empty() && pos <= text.size();) {
    const auto end = std::min(text.find('\0', pos), text.size());
    args.emplace_back(std::string_view(text).substr(pos, end - pos));
    pos = end + 1;
  }
  return cut_command_line(args, shown);
}

// "pid 1234 (prepo include ...)", or "" if nobody holds a conflicting lock.
std::string describe_holder(int fd, const std::filesystem::path& path)
{
  struct flock lock = whole_file(F_WRLCK);
  if (::fcntl(fd, F_GETLK, &lock) != 0) {
    throw_errno("query lock", path.string());
  }
  if (lock.l_type == F_UNLCK) {
    return "";
  }
  std::string cmdline = command_line(lock.l_pid);
  if (cmdline.empty()) {
    // Gone meanwhile, a kernel thread, or another pid namespace.
    return fmt::format("pid {}", lock.l_pid);
  }
  return fmt::format("pid {} ({})", lock.l_pid, cmdline);
}

} // namespace

FileLock::FileLock(const std::filesystem::path& path, std::chrono::milliseconds timeout,
                   const WaitNotice& notice)
    : fd_(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644))
{
  if (!fd_) {
    throw_errno("open lock file", path.string());
  }
  if (try_lock(fd_.get(), path)) {
    return;
  }
  using clock = std::chrono::steady_clock;
  const auto deadline = clock::now() + timeout;
  bool notified = false;
  std::string holder;
  for (;;) {
    holder = describe_holder(fd_.get(), path);
    // An empty holder means it was released between our two calls: retry now.
    if (!holder.empty()) {
      if (clock::now() >= deadline) {
        break;
      }
      if (!notified && notice) {
        notice(holder);
      }
      notified = true;
      std::this_thread::sleep_for(
          std::min<clock::duration>(std::chrono::milliseconds(100), deadline - clock::now()));
    }
    if (try_lock(fd_.get(), path)) {
      return;
    }
  }
  throw Error("{}: locked by {}; gave up after {:g} s", path.string(), holder,
              std::chrono::duration<double>(timeout).count());
}

FileLock::~FileLock() = default;

std::string lock_holder(const std::filesystem::path& path)
{
  // Read-only is enough for F_GETLK, and a missing file cannot be locked.
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    if (errno == ENOENT) {
      return "";
    }
    throw_errno("open lock file", path.string());
  }
  return describe_holder(fd.get(), path);
}

} // namespace prepo::util
