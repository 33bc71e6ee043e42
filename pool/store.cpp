#include "pool/store.hpp"

#include <charconv>

#include <fmt/format.h>

#include "util/error.hpp"
#include "util/file.hpp"

namespace prepo::pool {

std::string ContentStore::object_name(std::string_view sha256)
{
  if (sha256.size() != 64) {
    throw util::Error("invalid object name '{}'", sha256);
  }
  return fmt::format("{}/{}", sha256.substr(0, 2), sha256);
}

fs::path ContentStore::object_path(std::string_view sha256) const
{
  return dir_ / object_name(sha256);
}

std::size_t ContentStore::shard_index(std::string_view sha256)
{
  std::size_t index = 0;
  const auto* first = sha256.data();
  if (sha256.size() != 64 || std::from_chars(first, first + 2, index, 16).ptr != first + 2) {
    throw util::Error("invalid object name '{}'", sha256);
  }
  return index;
}

bool ContentStore::contains(std::string_view sha256) const
{
  std::error_code ec;
  return fs::exists(object_path(sha256), ec);
}

bool ContentStore::holds(std::string_view sha256, std::uint64_t size) const
{
  std::error_code ec;
  const auto actual = fs::file_size(object_path(sha256), ec);
  return !ec && actual == size;
}

void ContentStore::add_file(const fs::path& source, std::string_view sha256) const
{
  const auto target = object_path(sha256);
  util::make_dirs(target.parent_path());
  util::copy_file_atomic(source, target, 0444);
}

void ContentStore::add_bytes(std::string_view bytes, std::string_view sha256) const
{
  const auto target = object_path(sha256);
  util::make_dirs(target.parent_path());
  util::write_file_atomic(target, bytes, util::Durability::no_flush, 0444);
}

void ContentStore::adopt_file(const fs::path& source, std::string_view sha256,
                              std::uint64_t size) const
{
  const auto target = object_path(sha256);
  util::make_dirs(target.parent_path());
  util::remove_file_if_exists(target); // a partial object a crash left
  util::link_or_copy(source, target);
  const auto sums = util::checksum_file(target);
  if (sums.sha256 != sha256 || sums.size != size) {
    util::remove_file_if_exists(target);
    throw util::Error("{}: changed while being included (SHA256 now {}, read as {})",
                      source.string(), sums.sha256, sha256);
  }
}

void ContentStore::adopt_staged(const fs::path& staged, std::string_view sha256) const
{
  const auto target = object_path(sha256);
  // The shard directory exists but for the first few objects: no mkdir
  // and stat per object to learn that.
  std::error_code ec;
  fs::rename(staged, target, ec);
  if (ec == std::errc::no_such_file_or_directory && fs::exists(staged)) {
    util::make_dirs(target.parent_path());
    ec.clear();
    fs::rename(staged, target, ec);
  }
  if (ec) {
    throw util::Error("{}: cannot move into the store as {}: {}", staged.string(), target.string(),
                      ec.message());
  }
}

void ContentStore::remove(std::string_view sha256) const
{
  util::remove_file_if_exists(object_path(sha256));
}

void ContentStore::link_into(std::string_view sha256, const fs::path& destination) const
{
  util::link_or_copy(object_path(sha256), destination);
}

void ContentStore::for_each_object(const std::function<void(const std::string&)>& fn) const
{
  std::error_code ec;
  for (const auto& shard : fs::directory_iterator(dir_, ec)) {
    std::error_code inner;
    for (const auto& entry : fs::directory_iterator(shard.path(), inner)) {
      auto name = entry.path().filename().string();
      if (name.size() == 64) {
        fn(name);
      }
    }
  }
}

std::string clash_message(std::string_view input, std::string_view pool_path,
                          std::string_view pool_sha256, std::string_view new_sha256, bool retired)
{
  return fmt::format(
      "{}: {} {} with other bytes (pool SHA256 {}, this file SHA256 {}); {}", input, pool_path,
      retired ? "was published before (a name keeps its bytes after gc)" : "is already in the pool",
      pool_sha256, new_sha256, clash_advice);
}

std::string sibling_clash_message(std::string_view input, std::string_view other_path,
                                  std::string_view other_sha256, std::string_view new_sha256)
{
  return fmt::format("{}: the distribution already has this file name as {} with other bytes "
                     "(pool SHA256 {}, this file SHA256 {}); a file name means one byte string "
                     "in a whole distribution: give it a new version, or remove the other first",
                     input, other_path, other_sha256, new_sha256);
}

} // namespace prepo::pool
