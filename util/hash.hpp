// Checksums through OpenSSL's EVP interface. Debian archives carry MD5, SHA1,
// SHA256 and SHA512 of every file; they are always computed in one pass.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

namespace prepo::util {

enum class HashKind { md5, sha1, sha256, sha512 };
inline constexpr std::array all_hash_kinds{HashKind::md5, HashKind::sha1, HashKind::sha256,
                                           HashKind::sha512};

// Name as used in Release files ("MD5Sum", "SHA1", "SHA256", "SHA512").
std::string_view release_field_name(HashKind kind);
// Hex digest length for a kind (32, 40, 64, 128).
std::size_t hex_length(HashKind kind);
// `text` is a digest of this kind as written here: lowercase hex, full length.
bool is_hex_digest(std::string_view text, HashKind kind);

// Size plus lowercase hex digests of one byte string.
struct Checksums {
  std::uint64_t size = 0;
  std::string md5;
  std::string sha1;
  std::string sha256;
  std::string sha512;

  const std::string& get(HashKind kind) const;
  std::string& get(HashKind kind);
  bool operator==(const Checksums&) const = default;
};

// Incremental hashing of all four digests at once.
class MultiHasher {
public:
  MultiHasher();
  ~MultiHasher();
  MultiHasher(MultiHasher&&) noexcept;
  MultiHasher& operator=(MultiHasher&&) noexcept;
  void update(std::string_view bytes);
  Checksums finish(); // the hasher is reset afterwards

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Incremental SHA256 alone (a download checked as it arrives).
class Sha256Hasher {
public:
  Sha256Hasher();
  ~Sha256Hasher();
  Sha256Hasher(Sha256Hasher&&) noexcept;
  Sha256Hasher& operator=(Sha256Hasher&&) noexcept;
  void update(std::string_view bytes);
  std::string finish(); // lowercase hex; the hasher is reset afterwards

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

Checksums checksum_bytes(std::string_view bytes);
Checksums checksum_file(const std::filesystem::path& path);

// One digest only (e.g. SHA256 of a chunk used as a cache key).
std::string sha256_hex(std::string_view bytes);
std::string hex_encode(std::string_view raw);

// Constant-time comparison (for secrets, tokens).
bool constant_time_equal(std::string_view a, std::string_view b);

} // namespace prepo::util
