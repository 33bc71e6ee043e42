// RAII over a libarchive reader for ar and tar containers held in memory.
// Entries are read without touching the disk.
#pragma once

#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

struct archive;

namespace prepo::util {

class XzDecoder;

class ArchiveReader {
public:
  enum class Format { ar, tar_any_compression };
  // `name` is used in error messages; `bytes` must outlive the reader.
  //
  // An xz-compressed tar is decompressed only as far as the entries read
  // need (libarchive's own filter decodes 64 KiB at a time): a small
  // package's control.tar.xz is mostly tar padding, which liblzma 5.4 copies
  // a byte at a time, two thirds of the decoding when all of it is read.
  // The xz check at the end is verified when the tar is read to its end.
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
  struct Callbacks; // libarchive's read callback for the xz pull path
  void open_compressed_tar(std::string_view bytes);
  void open_xz_tar(std::string_view bytes);
  [[noreturn]] void fail_with_archive_error(std::string_view context);

  archive* a_ = nullptr;
  std::unique_ptr<XzDecoder> xz_;
  std::string decoded_;        // the block Callbacks::read last handed out
  std::size_t next_block_ = 0; // its size grows from one tar block on
  std::exception_ptr callback_failure_;
  std::string name_;
  std::string entry_path_; // the current entry, for error messages
};

} // namespace prepo::util
