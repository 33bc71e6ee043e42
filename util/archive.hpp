// RAII over a libarchive reader for ar and tar containers held in memory.
// Entries are read without touching the disk.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

struct archive;

namespace prepo::util {

class ArchiveReader {
public:
  enum class Format { ar, tar_any_compression };
  // `name` is used in error messages; `bytes` must outlive the reader.
  ArchiveReader(std::string_view bytes, Format format, std::string name);
  ~ArchiveReader();
  ArchiveReader(const ArchiveReader&) = delete;
  ArchiveReader& operator=(const ArchiveReader&) = delete;

  struct Entry {
    std::string path;
    std::int64_t size = -1; // -1 if unknown
    bool is_regular = false;
  };
  // The next entry's header, or nullopt at the end. Error on corruption.
  std::optional<Entry> next();
  // The current entry's data; Error if it exceeds max_size or is corrupt.
  std::string read_data(std::uint64_t max_size);
  // Skip the current entry's data.
  void skip_data();

private:
  archive* a_ = nullptr;
  std::string name_;
  std::string entry_path_; // the current entry, for error messages
};

} // namespace prepo::util
