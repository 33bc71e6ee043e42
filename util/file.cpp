#include "util/file.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <system_error>

#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/error.hpp"

namespace prepo::util {

namespace {

constexpr std::size_t io_buffer_size = 256 * 1024;
// Random names collide only if something else creates the same names on
// purpose; a bounded retry turns that into an error instead of a hang.
constexpr int max_temp_attempts = 100;
// Keeps "." + name + suffix within NAME_MAX (255) for long file names.
constexpr std::size_t max_temp_stem = 200;

std::string random_suffix()
{
  std::array<unsigned char, 12> raw{};
  std::size_t filled = 0;
  while (filled < raw.size()) {
    const ssize_t n = ::getrandom(raw.data() + filled, raw.size() - filled, 0);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      throw_errno("cannot get random bytes", "getrandom");
    }
    filled += static_cast<std::size_t>(n);
  }
  static constexpr std::string_view alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::string suffix;
  for (const unsigned char byte : raw) {
    suffix += alphabet[byte % alphabet.size()];
  }
  return suffix;
}

fs::path parent_dir(const fs::path& path)
{
  const fs::path parent = path.parent_path();
  return parent.empty() ? fs::path(".") : parent;
}

// Hidden and in the same directory, so the final rename never crosses file
// systems and directory listings of published trees can skip leftovers.
fs::path temp_path_beside(const fs::path& path)
{
  const std::string stem = path.filename().native().substr(0, max_temp_stem);
  return parent_dir(path) / ("." + stem + "." + random_suffix() + ".tmp");
}

// Removes a temporary file unless the operation completed.
class TempFileGuard {
public:
  explicit TempFileGuard(fs::path path) : path_(std::move(path)) {}
  TempFileGuard(const TempFileGuard&) = delete;
  TempFileGuard& operator=(const TempFileGuard&) = delete;
  ~TempFileGuard()
  {
    if (!path_.empty()) {
      ::unlink(path_.c_str());
    }
  }
  void commit() { path_.clear(); }

private:
  fs::path path_;
};

struct TempFile {
  fs::path path;
  Fd fd;
};

// Errors name `target`, the file the user asked for, not the temp name.
TempFile create_temp_beside(const fs::path& target)
{
  for (int attempt = 0; attempt < max_temp_attempts; ++attempt) {
    fs::path candidate = temp_path_beside(target);
    const int fd = ::open(candidate.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0) {
      return {std::move(candidate), Fd(fd)};
    }
    if (errno != EEXIST) {
      throw_errno("cannot create temporary file", target.native());
    }
  }
  throw Error("{}: cannot create a unique temporary file", target.native());
}

void write_all(int fd, std::string_view data, const fs::path& path_for_errors)
{
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      throw_errno("cannot write", path_for_errors.native());
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
}

// close(2) can report delayed write errors (NFS, quotas); they must not be
// lost on the way to the rename that publishes the file.
void close_checked(Fd& fd, const fs::path& path_for_errors)
{
  if (::close(fd.release()) != 0 && errno != EINTR) {
    throw_errno("cannot close", path_for_errors.native());
  }
}

void set_mode(int fd, int mode, const fs::path& path_for_errors)
{
  // fchmod rather than open's mode argument: the umask must not change the
  // permissions of published files.
  if (::fchmod(fd, static_cast<mode_t>(mode)) != 0) {
    throw_errno("cannot set permissions", path_for_errors.native());
  }
}

void rename_into_place(const fs::path& temp, const fs::path& path)
{
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    throw_errno("cannot rename into place", path.native());
  }
}

struct stat stat_fd(int fd, const fs::path& path_for_errors)
{
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    throw_errno("cannot stat", path_for_errors.native());
  }
  return st;
}

} // namespace

std::size_t read_some(int fd, char* buffer, std::size_t size, const fs::path& path)
{
  for (;;) {
    const ssize_t n = ::read(fd, buffer, size);
    if (n >= 0) {
      return static_cast<std::size_t>(n);
    }
    if (errno != EINTR) {
      throw_errno("cannot read", path.native());
    }
  }
}

namespace {

std::string read_fd(int fd, const fs::path& path, std::uint64_t max_size)
{
  const struct stat st = stat_fd(fd, path);
  const auto reported = static_cast<std::uint64_t>(std::max<off_t>(st.st_size, 0));
  if (reported > max_size) {
    throw Error("{}: file is larger than {} bytes", path.native(), max_size);
  }
  // One byte more than the reported size lets a regular file be read without
  // reallocating; the extra read that returns 0 confirms the end.
  const std::uint64_t limit = max_size == UINT64_MAX ? max_size : max_size + 1;
  std::string out(std::min<std::uint64_t>(reported + 1, limit), '\0');
  std::size_t used = 0;
  for (;;) {
    if (used == out.size()) {
      const std::uint64_t grown = std::max<std::uint64_t>(out.size() * 2, io_buffer_size);
      out.resize(std::min(grown, limit));
    }
    const auto n = read_some(fd, out.data() + used, out.size() - used, path);
    if (n == 0) {
      break;
    }
    used += n;
    if (used > max_size) {
      throw Error("{}: file is larger than {} bytes", path.native(), max_size);
    }
  }
  out.resize(used);
  return out;
}

// Any failure just stops this fast path: the read/write loop that follows
// continues from the current offsets and reports real I/O errors itself.
void copy_with_copy_file_range(int in, int out, std::uint64_t size)
{
  std::uint64_t copied = 0;
  while (copied < size) {
    const ssize_t n = ::copy_file_range(in, nullptr, out, nullptr, size - copied, 0);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return;
    }
    copied += static_cast<std::uint64_t>(n);
  }
}

void copy_with_read_write(int in, int out, const fs::path& from, const fs::path& to)
{
  std::string buffer(io_buffer_size, '\0');
  while (const auto n = read_some(in, buffer.data(), buffer.size(), from)) {
    write_all(out, std::string_view(buffer.data(), n), to);
  }
}

void copy_fd(int in, int out, const fs::path& from, const fs::path& to)
{
  const struct stat st = stat_fd(in, from);
  // copy_file_range lets the file system share extents (reflinks) and avoids
  // the user-space round trip; read/write then picks up anything it left,
  // including files whose size stat does not report (procfs and the like).
  copy_with_copy_file_range(in, out, static_cast<std::uint64_t>(std::max<off_t>(st.st_size, 0)));
  copy_with_read_write(in, out, from, to);
}

bool is_existing_directory(const fs::path& path)
{
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// mkdir that treats an existing directory as success.
bool make_one_dir(const fs::path& dir, int mode)
{
  if (::mkdir(dir.c_str(), static_cast<mode_t>(mode)) == 0) {
    return true;
  }
  if (errno == EEXIST) {
    if (is_existing_directory(dir)) {
      return true;
    }
    errno = ENOTDIR;
  }
  return false;
}

struct stat lstat_or_throw(const fs::path& path)
{
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    throw_errno("cannot stat", path.native());
  }
  return st;
}

// link(2) does not follow a symlink given as the target, so both sides are
// compared with lstat.
bool same_inode(const fs::path& a, const fs::path& b)
{
  const struct stat sa = lstat_or_throw(a);
  const struct stat sb = lstat_or_throw(b);
  return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

int permission_bits(const fs::path& path)
{
  return static_cast<int>(lstat_or_throw(path).st_mode & 07777);
}

// Something else occupies link_path: link the target beside it and rename
// over it, so readers never see the name missing.
void replace_with_link(const fs::path& target, const fs::path& link_path)
{
  for (int attempt = 0; attempt < max_temp_attempts; ++attempt) {
    const fs::path temp = temp_path_beside(link_path);
    if (::link(target.c_str(), temp.c_str()) == 0) {
      TempFileGuard guard(temp);
      rename_into_place(temp, link_path);
      guard.commit();
      return;
    }
    if (errno == EXDEV) {
      copy_file_atomic(target, link_path, permission_bits(target));
      return;
    }
    if (errno != EEXIST) {
      throw_errno("cannot link to " + target.native(), link_path.native());
    }
  }
  throw Error("{}: cannot create a unique temporary file", link_path.native());
}

} // namespace

std::string read_file(const fs::path& path, std::uint64_t max_size)
{
  const Fd fd = open_read(path);
  return read_fd(fd.get(), path, max_size);
}

void read_file_into(const fs::path& path, std::string& out, std::uint64_t max_size)
{
  const Fd fd = open_read(path);
  out.clear();
  std::size_t used = 0;
  for (;;) {
    if (used == out.size()) {
      out.resize(std::max<std::size_t>(out.capacity(), std::max<std::size_t>(used * 2, 65536)));
    }
    const auto n = read_some(fd.get(), out.data() + used, out.size() - used, path);
    used += n;
    if (used > max_size) {
      throw Error("{}: file is larger than {} bytes", path.native(), max_size);
    }
    if (n == 0) {
      break;
    }
  }
  out.resize(used);
}

std::optional<std::string> read_file_if_exists(const fs::path& path)
{
  const Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    if (errno == ENOENT) {
      return std::nullopt;
    }
    throw_errno("cannot open", path.native());
  }
  return read_fd(fd.get(), path, UINT64_MAX);
}

void write_file_atomic(const fs::path& path, std::string_view data, Durability durability, int mode)
{
  TempFile temp = create_temp_beside(path);
  TempFileGuard guard(temp.path);
  write_all(temp.fd.get(), data, path);
  set_mode(temp.fd.get(), mode, path);
  if (durability == Durability::flush) {
    fsync_fd(temp.fd.get(), path);
  }
  close_checked(temp.fd, path);
  rename_into_place(temp.path, path);
  guard.commit();
  if (durability == Durability::flush) {
    // The rename itself is only durable once the directory is.
    fsync_dir(parent_dir(path));
  }
}

FileWriter::FileWriter(const fs::path& path)
    : path_(path), fd_(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644))
{
  if (!fd_) {
    throw_errno("cannot create", path.native());
  }
}

void FileWriter::write(std::string_view data)
{
  write_all(fd_.get(), data, path_);
}

void FileWriter::close()
{
  close_checked(fd_, path_);
}

Fd open_read(const fs::path& path)
{
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    throw_errno("cannot open", path.native());
  }
  return fd;
}

void fsync_fd(int fd, const fs::path& path_for_errors)
{
  if (::fsync(fd) != 0) {
    throw_errno("cannot fsync", path_for_errors.native());
  }
}

void fsync_dir(const fs::path& dir)
{
  const Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) {
    throw_errno("cannot open directory", dir.native());
  }
  fsync_fd(fd.get(), dir);
}

void sync_filesystem(const fs::path& path)
{
  // O_PATH descriptors are rejected by syncfs; a read-only open works for
  // files and directories alike.
  const Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    throw_errno("cannot open", path.native());
  }
  if (::syncfs(fd.get()) != 0) {
    throw_errno("cannot sync file system", path.native());
  }
}

void make_dirs(const fs::path& dir, int mode)
{
  if (dir.empty() || make_one_dir(dir, mode)) {
    return;
  }
  if (errno == ENOENT) {
    const fs::path parent = dir.parent_path();
    if (!parent.empty() && parent != dir) {
      make_dirs(parent, mode);
      if (make_one_dir(dir, mode)) {
        return;
      }
    }
  }
  throw_errno("cannot create directory", dir.native());
}

void link_or_copy(const fs::path& target, const fs::path& link_path)
{
  if (::link(target.c_str(), link_path.c_str()) == 0) {
    return;
  }
  switch (errno) {
  case EEXIST:
    if (!same_inode(target, link_path)) {
      replace_with_link(target, link_path);
    }
    return;
  case EXDEV:
    copy_file_atomic(target, link_path, permission_bits(target));
    return;
  default:
    throw_errno("cannot link to " + target.native(), link_path.native());
  }
}

bool create_file(const fs::path& path, std::string_view data, int mode)
{
  Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode));
  if (!fd) {
    if (errno == EEXIST) {
      return false;
    }
    throw_errno("cannot create", path.native());
  }
  write_all(fd.get(), data, path);
  close_checked(fd, path);
  return true;
}

namespace {

// Gives the open file `fd` the name `path`; false with errno set on failure.
// linkat(AT_EMPTY_PATH) names it directly; before Linux 6.10 that needs
// CAP_DAC_READ_SEARCH and fails with ENOENT otherwise, and the /proc link
// (a longer lookup, about 3 us a file) is used from then on.
bool link_open_file(int fd, const fs::path& path)
{
  static std::atomic<bool> empty_path_refused = false;
  const bool tried_empty_path = !empty_path_refused.load(std::memory_order_relaxed);
  if (tried_empty_path) {
    if (::linkat(fd, "", AT_FDCWD, path.c_str(), AT_EMPTY_PATH) == 0) {
      return true;
    }
    if (errno != ENOENT) {
      return false;
    }
  }
  const auto self = "/proc/self/fd/" + std::to_string(fd);
  if (::linkat(AT_FDCWD, self.c_str(), AT_FDCWD, path.c_str(), AT_SYMLINK_FOLLOW) != 0) {
    return false; // ENOENT here is the path's, not the kernel's refusal
  }
  if (tried_empty_path) {
    empty_path_refused.store(true, std::memory_order_relaxed);
  }
  return true;
}

} // namespace

bool create_file_atomic(const fs::path& path, std::string_view data, int mode)
{
  Fd fd(::open(parent_dir(path).c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, mode));
  if (!fd) {
    if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL) {
      throw_errno("cannot create", path.native());
    }
    // No O_TMPFILE here: a named temporary file, hard-linked to the name
    // (link, unlike rename, fails on an existing name).
    TempFile temp = create_temp_beside(path);
    TempFileGuard guard(temp.path); // removes the temporary name in every case
    write_all(temp.fd.get(), data, path);
    set_mode(temp.fd.get(), mode, path);
    close_checked(temp.fd, path);
    if (::link(temp.path.c_str(), path.c_str()) == 0) {
      return true;
    }
    if (errno == EEXIST) {
      return false;
    }
    throw_errno("cannot create", path.native());
  }
  write_all(fd.get(), data, path);
  set_mode(fd.get(), mode, path);
  if (link_open_file(fd.get(), path)) {
    return true;
  }
  if (errno == EEXIST) {
    return false;
  }
  throw_errno("cannot create", path.native());
}

void copy_file_atomic(const fs::path& from, const fs::path& to, int mode)
{
  const Fd in = open_read(from);
  TempFile temp = create_temp_beside(to);
  TempFileGuard guard(temp.path);
  copy_fd(in.get(), temp.fd.get(), from, to);
  set_mode(temp.fd.get(), mode, to);
  close_checked(temp.fd, to);
  rename_into_place(temp.path, to);
  guard.commit();
}

void remove_file_if_exists(const fs::path& path)
{
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    throw_errno("cannot remove", path.native());
  }
}

TempDir::TempDir(const fs::path& parent, std::string_view prefix)
{
  std::string pattern = (parent / (std::string(prefix) + "XXXXXX")).native();
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw_errno("cannot create temporary directory", parent.native());
  }
  path_ = std::move(pattern);
}

TempDir::TempDir(TempDir&& other) noexcept : path_(std::exchange(other.path_, {})) {}

TempDir::~TempDir()
{
  if (!path_.empty()) {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
}

} // namespace prepo::util
