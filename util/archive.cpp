#include "util/archive.hpp"

#include <array>

#include <archive.h>
#include <archive_entry.h>

#include "util/error.hpp"

namespace prepo::util {

namespace {

std::string error_text(archive* a)
{
  const char* text = archive_error_string(a);
  return text != nullptr ? text : "unknown libarchive error";
}

} // namespace

ArchiveReader::ArchiveReader(std::string_view bytes, Format format, std::string name)
    : name_(std::move(name))
{
  a_ = archive_read_new();
  if (a_ == nullptr) {
    throw Error("{}: cannot allocate an archive reader", name_);
  }
  // The destructor does not run when a constructor throws.
  auto fail = [this] {
    std::string message = fmt::format("{}: {}", name_, error_text(a_));
    archive_read_free(a_);
    a_ = nullptr;
    throw Error(message);
  };
  if (format == Format::ar) {
    // A .deb is an uncompressed ar archive; nothing else is accepted.
    if (archive_read_support_format_ar(a_) != ARCHIVE_OK ||
        archive_read_support_filter_none(a_) != ARCHIVE_OK) {
      fail();
    }
  } else {
    // The compressions dpkg-deb and dpkg-source produce, listed one by one
    // rather than support_filter_all, which would also hand hostile input to
    // external programs (lrzip, lzop, grzip ...). ARCHIVE_WARN means the
    // filter runs through the external zstd/bzip2 program when libarchive was
    // built without the library: acceptable for these well-known tools.
    if (archive_read_support_format_tar(a_) != ARCHIVE_OK ||
        archive_read_support_format_gnutar(a_) != ARCHIVE_OK) {
      fail();
    }
    for (auto* add : {archive_read_support_filter_none, archive_read_support_filter_gzip,
                      archive_read_support_filter_xz, archive_read_support_filter_lzma,
                      archive_read_support_filter_zstd, archive_read_support_filter_bzip2}) {
      int rc = add(a_);
      if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) {
        fail();
      }
    }
  }
  if (archive_read_open_memory(a_, bytes.data(), bytes.size()) != ARCHIVE_OK) {
    fail();
  }
}

ArchiveReader::~ArchiveReader()
{
  if (a_ != nullptr) {
    archive_read_free(a_);
  }
}

std::optional<ArchiveReader::Entry> ArchiveReader::next()
{
  archive_entry* entry = nullptr;
  int rc = archive_read_next_header(a_, &entry);
  if (rc == ARCHIVE_EOF) {
    entry_path_.clear();
    return std::nullopt;
  }
  // ARCHIVE_WARN is a header that was read but is odd (e.g. a path name that
  // does not convert to the locale): the entry is still usable.
  if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) {
    throw Error("{}: {}", name_, error_text(a_));
  }
  Entry result;
  const char* path = archive_entry_pathname(entry);
  if (path == nullptr) {
    path = archive_entry_pathname_utf8(entry);
  }
  result.path = path != nullptr ? path : "";
  result.size = archive_entry_size_is_set(entry) != 0 ? archive_entry_size(entry) : -1;
  // ar has no file types; `ar` in deterministic mode writes bare permission
  // bits ("644"), which libarchive reports as type 0. Such a member is a file.
  auto type = archive_entry_filetype(entry);
  result.is_regular = type == AE_IFREG || type == 0;
  entry_path_ = result.path;
  return result;
}

std::string ArchiveReader::read_data(std::uint64_t max_size)
{
  std::string data;
  std::array<char, 64 * 1024> buffer;
  for (;;) {
    la_ssize_t n = archive_read_data(a_, buffer.data(), buffer.size());
    if (n == 0) {
      return data;
    }
    if (n < 0) {
      throw Error("{}: entry {}: {}", name_, entry_path_, error_text(a_));
    }
    // Checked while reading, not from the header size, which a hostile or
    // compressed-stream entry may not state truthfully.
    if (static_cast<std::uint64_t>(n) > max_size - data.size()) {
      throw Error("{}: entry {} larger than {} bytes", name_, entry_path_, max_size);
    }
    data.append(buffer.data(), static_cast<std::size_t>(n));
  }
}

void ArchiveReader::skip_data()
{
  int rc = archive_read_data_skip(a_);
  if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) {
    throw Error("{}: entry {}: {}", name_, entry_path_, error_text(a_));
  }
}

} // namespace prepo::util
