#include "util/archive.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <utility>

#include <archive.h>
#include <archive_entry.h>

#include "util/error.hpp"
#include "util/xz_decoder.hpp"

namespace prepo::util {

namespace {

std::string error_text(archive* a)
{
  const char* text = archive_error_string(a);
  return text != nullptr ? text : "unknown libarchive error";
}

// A tar block; the first read covers the first header, later ones double up
// to the size libarchive's own filters use.
constexpr std::size_t first_decoded_block = 512;
constexpr std::size_t max_decoded_block = 64 * 1024;

} // namespace

struct ArchiveReader::Callbacks {
  static la_ssize_t read(archive* a, void* client, const void** buffer)
  {
    auto* self = static_cast<ArchiveReader*>(client);
    // An exception must not cross libarchive's C frames: it is kept and
    // rethrown once libarchive has returned the failure.
    try {
      self->decoded_.resize(self->next_block_);
      const std::size_t n = self->xz_->read(self->decoded_.data(), self->decoded_.size());
      self->next_block_ = std::min(self->next_block_ * 2, max_decoded_block);
      *buffer = self->decoded_.data();
      return static_cast<la_ssize_t>(n);
    } catch (...) {
      self->callback_failure_ = std::current_exception();
      archive_set_error(a, EIO, "xz decoding failed");
      return -1;
    }
  }
};

ArchiveReader::ArchiveReader(std::string_view bytes, Format format, std::string name)
    : name_(std::move(name))
{
  a_ = archive_read_new();
  if (a_ == nullptr) {
    throw Error("{}: cannot allocate an archive reader", name_);
  }
  // The destructor does not run when a constructor throws.
  try {
    if (format == Format::ar) {
      // A .deb is an uncompressed ar archive; nothing else is accepted.
      if (archive_read_support_format_ar(a_) != ARCHIVE_OK ||
          archive_read_support_filter_none(a_) != ARCHIVE_OK ||
          archive_read_open_memory(a_, bytes.data(), bytes.size()) != ARCHIVE_OK) {
        fail_with_archive_error("");
      }
    } else if (is_xz(bytes)) {
      open_xz_tar(bytes);
    } else {
      open_compressed_tar(bytes);
    }
  } catch (...) {
    archive_read_free(a_);
    a_ = nullptr;
    throw;
  }
}

void ArchiveReader::open_compressed_tar(std::string_view bytes)
{
  // The compressions dpkg-deb and dpkg-source produce, listed one by one
  // rather than support_filter_all, which would also hand hostile input to
  // external programs (lrzip, lzop, grzip ...). ARCHIVE_WARN means the
  // filter runs through the external zstd/bzip2 program when libarchive was
  // built without the library: acceptable for these well-known tools.
  if (archive_read_support_format_tar(a_) != ARCHIVE_OK ||
      archive_read_support_format_gnutar(a_) != ARCHIVE_OK) {
    fail_with_archive_error("");
  }
  for (auto* add : {archive_read_support_filter_none, archive_read_support_filter_gzip,
                    archive_read_support_filter_xz, archive_read_support_filter_lzma,
                    archive_read_support_filter_zstd, archive_read_support_filter_bzip2}) {
    int rc = add(a_);
    if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) {
      fail_with_archive_error("");
    }
  }
  if (archive_read_open_memory(a_, bytes.data(), bytes.size()) != ARCHIVE_OK) {
    fail_with_archive_error("");
  }
}

void ArchiveReader::open_xz_tar(std::string_view bytes)
{
  xz_ = std::make_unique<XzDecoder>(bytes, name_);
  next_block_ = first_decoded_block;
  if (archive_read_support_format_tar(a_) != ARCHIVE_OK ||
      archive_read_support_format_gnutar(a_) != ARCHIVE_OK ||
      archive_read_support_filter_none(a_) != ARCHIVE_OK ||
      archive_read_open(a_, this, nullptr, &Callbacks::read, nullptr) != ARCHIVE_OK) {
    fail_with_archive_error("");
  }
}

void ArchiveReader::fail_with_archive_error(std::string_view context)
{
  if (callback_failure_) {
    std::rethrow_exception(std::exchange(callback_failure_, nullptr));
  }
  throw Error("{}: {}{}", name_, context, error_text(a_));
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
    // tar stops at its end-of-archive blocks; what follows them (padding to
    // the record size) and the xz check are read here, so that a tar read to
    // its end was checked whole.
    if (xz_) {
      decoded_.resize(max_decoded_block);
      while (xz_->read(decoded_.data(), decoded_.size()) != 0) {
      }
    }
    return std::nullopt;
  }
  // ARCHIVE_WARN is a header that was read but is odd (e.g. a path name that
  // does not convert to the locale): the entry is still usable.
  if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) {
    fail_with_archive_error("");
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
      fail_with_archive_error(fmt::format("entry {}: ", entry_path_));
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
    fail_with_archive_error(fmt::format("entry {}: ", entry_path_));
  }
}

} // namespace prepo::util
