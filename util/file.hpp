// File-system helpers with the durability rules prepo relies on: data is
// written to a temporary name, flushed, then renamed into place, so a reader
// (or a crash) only ever sees the old or the new file.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "util/fd.hpp"

namespace prepo::util {

namespace fs = std::filesystem;

// Whole-file read; throws Error naming the path. max_size guards against
// hostile input: a larger file is an error, not an allocation.
std::string read_file(const fs::path& path, std::uint64_t max_size = UINT64_MAX);
std::optional<std::string> read_file_if_exists(const fs::path& path);
// The same into a caller's buffer (its capacity is reused: reading
// thousands of files allocates nothing per file).
void read_file_into(const fs::path& path, std::string& out, std::uint64_t max_size = UINT64_MAX);

enum class Durability { flush, no_flush };

// Write `data` to `path` atomically (temp file in the same directory, then
// rename). With Durability::flush the file and its directory are fsynced.
void write_file_atomic(const fs::path& path, std::string_view data,
                       Durability durability = Durability::flush, int mode = 0644);

// Writes a new file piece by piece (created exclusively, mode 0644, no
// flush): for outputs too large to assemble in memory first.
class FileWriter {
public:
  explicit FileWriter(const fs::path& path);
  void write(std::string_view data);
  void close(); // errors on close are reported; the destructor only closes
  ~FileWriter() = default;

private:
  fs::path path_;
  Fd fd_;
};

// One read(2), retried on EINTR: the bytes read, 0 at the end of the file;
// errors throw naming `path`.
std::size_t read_some(int fd, char* buffer, std::size_t size, const fs::path& path);

// Open for reading; throws Error naming the path.
Fd open_read(const fs::path& path);

void fsync_fd(int fd, const fs::path& path_for_errors);
void fsync_dir(const fs::path& dir);
// Flush the whole file system holding `path` (one call instead of one fsync
// per file when thousands of files were written).
void sync_filesystem(const fs::path& path);

// mkdir -p that reports errors with the path.
void make_dirs(const fs::path& dir, int mode = 0755);

// Hard link `target` as `link_path`. An existing `link_path` that is the same
// inode is fine; anything else there is replaced atomically (link to a temp
// name, rename). Falls back to a copy across file systems.
void link_or_copy(const fs::path& target, const fs::path& link_path);

// Create `path` exclusively with `data` and `mode`, without flush; false
// (and nothing written) if it already exists.
bool create_file(const fs::path& path, std::string_view data, int mode);

// The same, but the name appears only with every byte written: an unnamed
// O_TMPFILE inode linked in by name, or where the file system has no
// O_TMPFILE, a temporary name linked over. For files whose name promises
// their content (the store's <sha256>), which a kill must never leave
// short under that name.
bool create_file_atomic(const fs::path& path, std::string_view data, int mode);

// Copy a file's bytes to a new path (temp + rename), without fsync.
void copy_file_atomic(const fs::path& from, const fs::path& to, int mode = 0444);

// Remove a file; a missing file is not an error.
void remove_file_if_exists(const fs::path& path);

// A unique temporary directory removed with everything in it on destruction.
class TempDir {
public:
  explicit TempDir(const fs::path& parent, std::string_view prefix = "prepo-");
  TempDir(TempDir&& other) noexcept;
  TempDir& operator=(TempDir&&) = delete;
  TempDir(const TempDir&) = delete;
  ~TempDir();
  const fs::path& path() const { return path_; }

private:
  fs::path path_;
};

} // namespace prepo::util
