#include "repo/source_control.hpp"

#include <array>
#include <charconv>
#include <system_error>
#include <unordered_map>

#include "repo/names.hpp"
#include "repo/version.hpp"
#include "util/error.hpp"
#include "util/file.hpp"

namespace prepo::repo {

namespace {

// .dsc and .changes files are a few kilobytes; anything huge is hostile.
constexpr std::uint64_t max_control_size = std::uint64_t{16} << 20;

struct ChecksumList {
  std::string_view field;
  util::HashKind kind;
};
constexpr std::array checksum_lists{
    ChecksumList{"Checksums-Sha1", util::HashKind::sha1},
    ChecksumList{"Checksums-Sha256", util::HashKind::sha256},
    ChecksumList{"Checksums-Sha512", util::HashKind::sha512},
};

std::string_view hash_label(util::HashKind kind)
{
  switch (kind) {
  case util::HashKind::md5:
    return "MD5";
  case util::HashKind::sha1:
    return "SHA1";
  case util::HashKind::sha256:
    return "SHA256";
  case util::HashKind::sha512:
    return "SHA512";
  }
  return "?";
}

class ListParser {
public:
  ListParser(const std::filesystem::path& path) : source_(path.string()) {}

  // Lowercase hex of the expected length, or an Error.
  std::string hex(std::string_view text, util::HashKind kind, std::string_view field) const
  {
    std::string out(text);
    bool ok = text.size() == util::hex_length(kind);
    for (char& c : out) {
      if (c >= 'A' && c <= 'F') {
        c = static_cast<char>(c + 32);
      }
      ok = ok && ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
    }
    if (!ok) {
      throw util::Error("{}: malformed {} checksum '{}' in {}", source_, hash_label(kind),
                        printable_name(text), field);
    }
    return out;
  }

  std::uint64_t size(std::string_view text, std::string_view field) const
  {
    std::uint64_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size()) {
      throw util::Error("{}: malformed size '{}' in {}", source_, printable_name(text), field);
    }
    return value;
  }

  std::string_view name(std::string_view text, std::string_view field) const
  {
    if (!is_safe_file_name(text)) {
      throw util::Error("{}: unsafe file name '{}' in {}", source_, printable_name(text), field);
    }
    return text;
  }

  // The lines of a list field; a value on the "Name:" line itself is malformed.
  std::vector<std::string_view> lines(std::string_view value, std::string_view field) const
  {
    if (!value.empty() && value.front() != '\n') {
      throw util::Error("{}: malformed {} field (entries must be on continuation lines)", source_,
                        field);
    }
    return value_lines(value);
  }

  [[noreturn]] void bad_line(std::string_view field, std::string_view line) const
  {
    throw util::Error("{}: malformed {} line '{}'", source_, field, printable_name(line));
  }

  const std::string& source() const { return source_; }

private:
  std::string source_;
};

std::vector<ListedFile> parse_files(const Stanza& stanza, const std::filesystem::path& path,
                                    bool is_changes)
{
  const ListParser parser(path);
  std::vector<ListedFile> files;
  std::unordered_map<std::string_view, std::size_t> index;
  const std::string_view files_value = stanza.require("Files", parser.source());
  const std::size_t columns = is_changes ? 5 : 3;
  for (std::string_view line : parser.lines(files_value, "Files")) {
    const std::vector<std::string_view> w = words(line);
    if (w.size() != columns) {
      parser.bad_line("Files", line);
    }
    ListedFile file;
    file.name = parser.name(w.back(), "Files");
    file.checksums.md5 = parser.hex(w[0], util::HashKind::md5, "Files");
    file.checksums.size = parser.size(w[1], "Files");
    if (is_changes) {
      file.section = w[2];
      file.priority = w[3];
    }
    files.push_back(std::move(file));
  }
  if (files.empty()) {
    throw util::Error("{}: Files lists no file", parser.source());
  }
  for (std::size_t i = 0; i < files.size(); ++i) {
    if (!index.emplace(files[i].name, i).second) {
      throw util::Error("{}: {} listed twice in Files", parser.source(), files[i].name);
    }
  }

  // Every checksum list must describe exactly the files of "Files".
  for (const ChecksumList& list : checksum_lists) {
    const auto value = stanza.get(list.field);
    if (!value) {
      continue;
    }
    std::vector<bool> seen(files.size(), false);
    for (std::string_view line : parser.lines(*value, list.field)) {
      const std::vector<std::string_view> w = words(line);
      if (w.size() != 3) {
        parser.bad_line(list.field, line);
      }
      const std::string_view name = parser.name(w[2], list.field);
      const auto it = index.find(name);
      if (it == index.end()) {
        throw util::Error("{}: {} listed in {} but not in Files", parser.source(), name,
                          list.field);
      }
      if (seen[it->second]) {
        throw util::Error("{}: {} listed twice in {}", parser.source(), name, list.field);
      }
      seen[it->second] = true;
      ListedFile& file = files[it->second];
      const std::uint64_t size = parser.size(w[1], list.field);
      if (size != file.checksums.size) {
        throw util::Error("{}: inconsistent sizes for {} ({} in Files, {} in {})", parser.source(),
                          name, file.checksums.size, size, list.field);
      }
      file.checksums.get(list.kind) = parser.hex(w[0], list.kind, list.field);
    }
    for (std::size_t i = 0; i < files.size(); ++i) {
      if (!seen[i]) {
        throw util::Error("{}: {} listed in Files but not in {}", parser.source(), files[i].name,
                          list.field);
      }
    }
  }
  return files;
}

void validate_fields(const Stanza& stanza, const std::string& source, bool is_changes)
{
  const std::string_view name = stanza.require("Source", source);
  const std::string_view version = stanza.require("Version", source);
  if (is_changes) {
    stanza.require("Architecture", source);
  } else {
    stanza.require("Format", source);
    stanza.require("Maintainer", source);
  }
  // A .changes may say "Source: name (version)" when binaries carry another version.
  const std::string_view bare = name.substr(0, is_changes ? name.find(' ') : name.npos);
  if (!is_valid_package_name(bare)) {
    throw util::Error("{}: invalid source package name '{}'", source, printable_name(name));
  }
  parse_version(version, source);
}

} // namespace

SourceControl parse_source_control(std::string raw, const std::filesystem::path& path,
                                   std::string_view kind)
{
  if (kind != "dsc" && kind != "changes") {
    throw util::Error("{}: unknown source control kind '{}'", path.string(), kind);
  }
  const bool is_changes = kind == "changes";
  const std::string source = path.string();
  SourceControl control;
  control.path = path;
  Unwrapped unwrapped = strip_clearsign(raw, source);
  control.stanza = parse_single_stanza(unwrapped.body, source);
  control.was_signed = unwrapped.was_signed;
  validate_fields(control.stanza, source, is_changes);
  control.files = parse_files(control.stanza, path, is_changes);
  control.checksums = util::checksum_bytes(raw);
  control.raw = std::move(raw);
  return control;
}

SourceControl read_dsc(const std::filesystem::path& path)
{
  return parse_source_control(util::read_file(path, max_control_size), path, "dsc");
}

SourceControl read_changes(const std::filesystem::path& path)
{
  return parse_source_control(util::read_file(path, max_control_size), path, "changes");
}

std::vector<FoundFile> find_listed_files(const SourceControl& control,
                                         const std::filesystem::path& dir,
                                         const FileLocator& elsewhere)
{
  const std::string source = control.path.string();
  std::vector<FoundFile> out;
  out.reserve(control.files.size());
  for (const ListedFile& file : control.files) {
    std::filesystem::path path = dir / file.name;
    std::error_code ec;
    auto status = std::filesystem::status(path, ec);
    if (!std::filesystem::exists(status) && elsewhere) {
      if (auto other = elsewhere(file)) {
        path = std::move(*other);
        status = std::filesystem::status(path, ec);
      }
    }
    if (!std::filesystem::exists(status)) {
      throw util::Error("{}: {}: missing (expected at {}{})", source, file.name,
                        (dir / file.name).string(), elsewhere ? ", and not in the archive" : "");
    }
    if (!std::filesystem::is_regular_file(status)) {
      throw util::Error("{}: {}: not a regular file ({})", source, file.name, path.string());
    }
    util::Checksums actual = util::checksum_file(path);
    if (actual.size != file.checksums.size) {
      throw util::Error("{}: {}: size mismatch (listed {}, file has {})", source, file.name,
                        file.checksums.size, actual.size);
    }
    // Strongest first: a weak hash that matches proves little.
    for (util::HashKind kind : {util::HashKind::sha512, util::HashKind::sha256,
                                util::HashKind::sha1, util::HashKind::md5}) {
      const std::string& listed = file.checksums.get(kind);
      if (!listed.empty() && listed != actual.get(kind)) {
        throw util::Error("{}: {}: {} mismatch (listed {}, file has {})", source, file.name,
                          hash_label(kind), listed, actual.get(kind));
      }
    }
    out.push_back({std::move(path), std::move(actual)});
  }
  return out;
}

std::vector<util::Checksums> verify_listed_files(const SourceControl& control,
                                                 const std::filesystem::path& dir)
{
  std::vector<util::Checksums> out;
  for (auto& found : find_listed_files(control, dir, {})) {
    out.push_back(std::move(found.checksums));
  }
  return out;
}

} // namespace prepo::repo
