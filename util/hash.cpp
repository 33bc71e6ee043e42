#include "util/hash.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/file.hpp"

namespace prepo::util {

namespace {

// Large reads keep the per-call overhead negligible next to SHA512.
constexpr std::size_t read_buffer_size = 256 * 1024;

struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
using MdCtx = std::unique_ptr<EVP_MD_CTX, MdCtxDeleter>;

// OpenSSL's name for the digest.
const char* openssl_name(HashKind kind)
{
  switch (kind) {
  case HashKind::md5:
    return "MD5";
  case HashKind::sha1:
    return "SHA1";
  case HashKind::sha256:
    return "SHA256";
  case HashKind::sha512:
    return "SHA512";
  }
  throw Error("unknown hash kind {}", static_cast<int>(kind));
}

// Fetched once and kept for the life of the process. OpenSSL 3 looks a
// legacy EVP_sha256() up by name again on every EVP_DigestInit_ex, which
// costs about as much as hashing a small .deb.
const EVP_MD* digest_of(HashKind kind)
{
  static const auto fetched = [] {
    std::array<const EVP_MD*, all_hash_kinds.size()> digests{};
    for (std::size_t i = 0; i < digests.size(); ++i) {
      digests[i] = EVP_MD_fetch(nullptr, openssl_name(all_hash_kinds[i]), nullptr);
      if (digests[i] == nullptr) {
        throw Error("{}: OpenSSL offers no such digest", openssl_name(all_hash_kinds[i]));
      }
    }
    return digests;
  }();
  const auto at = std::ranges::find(all_hash_kinds, kind);
  if (at == all_hash_kinds.end()) {
    throw Error("unknown hash kind {}", static_cast<int>(kind));
  }
  return fetched[static_cast<std::size_t>(at - all_hash_kinds.begin())];
}

void init_digest(EVP_MD_CTX* ctx, HashKind kind)
{
  if (EVP_DigestInit_ex(ctx, digest_of(kind), nullptr) != 1) {
    throw Error("{}: cannot initialise OpenSSL digest", release_field_name(kind));
  }
}

MdCtx new_digest(HashKind kind)
{
  MdCtx ctx(EVP_MD_CTX_new());
  if (!ctx) {
    throw Error("{}: cannot allocate OpenSSL digest context", release_field_name(kind));
  }
  init_digest(ctx.get(), kind);
  return ctx;
}

std::string finish_digest(EVP_MD_CTX* ctx, HashKind kind)
{
  unsigned char raw[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_DigestFinal_ex(ctx, raw, &length) != 1) {
    throw Error("{}: OpenSSL digest failed", release_field_name(kind));
  }
  return hex_encode(std::string_view(reinterpret_cast<const char*>(raw), length));
}

} // namespace

std::string_view release_field_name(HashKind kind)
{
  switch (kind) {
  case HashKind::md5:
    return "MD5Sum";
  case HashKind::sha1:
    return "SHA1";
  case HashKind::sha256:
    return "SHA256";
  case HashKind::sha512:
    return "SHA512";
  }
  return "unknown";
}

std::size_t hex_length(HashKind kind)
{
  switch (kind) {
  case HashKind::md5:
    return 32;
  case HashKind::sha1:
    return 40;
  case HashKind::sha256:
    return 64;
  case HashKind::sha512:
    return 128;
  }
  return 0;
}

bool is_hex_digest(std::string_view text, HashKind kind)
{
  return text.size() == hex_length(kind) &&
         text.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

const std::string& Checksums::get(HashKind kind) const
{
  switch (kind) {
  case HashKind::md5:
    return md5;
  case HashKind::sha1:
    return sha1;
  case HashKind::sha256:
    return sha256;
  case HashKind::sha512:
    return sha512;
  }
  throw Error("unknown hash kind {}", static_cast<int>(kind));
}

std::string& Checksums::get(HashKind kind)
{
  return const_cast<std::string&>(std::as_const(*this).get(kind));
}

struct Sha256Hasher::Impl {
  MdCtx context = new_digest(HashKind::sha256);
};

Sha256Hasher::Sha256Hasher() : impl_(std::make_unique<Impl>()) {}
Sha256Hasher::~Sha256Hasher() = default;
Sha256Hasher::Sha256Hasher(Sha256Hasher&&) noexcept = default;
Sha256Hasher& Sha256Hasher::operator=(Sha256Hasher&&) noexcept = default;

void Sha256Hasher::update(std::string_view bytes)
{
  if (EVP_DigestUpdate(impl_->context.get(), bytes.data(), bytes.size()) != 1) {
    throw Error("SHA256: OpenSSL digest failed");
  }
}

std::string Sha256Hasher::finish()
{
  auto hex = finish_digest(impl_->context.get(), HashKind::sha256);
  init_digest(impl_->context.get(), HashKind::sha256);
  return hex;
}

struct MultiHasher::Impl {
  std::array<MdCtx, all_hash_kinds.size()> contexts;
  std::uint64_t size = 0;
};

MultiHasher::MultiHasher() : impl_(std::make_unique<Impl>())
{
  for (std::size_t i = 0; i < all_hash_kinds.size(); ++i) {
    impl_->contexts[i] = new_digest(all_hash_kinds[i]);
  }
}

MultiHasher::~MultiHasher() = default;
MultiHasher::MultiHasher(MultiHasher&&) noexcept = default;
MultiHasher& MultiHasher::operator=(MultiHasher&&) noexcept = default;

void MultiHasher::update(std::string_view bytes)
{
  for (std::size_t i = 0; i < all_hash_kinds.size(); ++i) {
    if (EVP_DigestUpdate(impl_->contexts[i].get(), bytes.data(), bytes.size()) != 1) {
      throw Error("{}: OpenSSL digest update failed", release_field_name(all_hash_kinds[i]));
    }
  }
  impl_->size += bytes.size();
}

Checksums MultiHasher::finish()
{
  Checksums result;
  result.size = impl_->size;
  for (std::size_t i = 0; i < all_hash_kinds.size(); ++i) {
    const HashKind kind = all_hash_kinds[i];
    result.get(kind) = finish_digest(impl_->contexts[i].get(), kind);
    init_digest(impl_->contexts[i].get(), kind);
  }
  impl_->size = 0;
  return result;
}

Checksums checksum_bytes(std::string_view bytes)
{
  MultiHasher hasher;
  hasher.update(bytes);
  return hasher.finish();
}

Checksums checksum_file(const std::filesystem::path& path)
{
  const Fd fd = open_read(path);
  MultiHasher hasher;
  std::string buffer(read_buffer_size, '\0');
  while (const auto n = read_some(fd.get(), buffer.data(), buffer.size(), path)) {
    hasher.update(std::string_view(buffer.data(), n));
  }
  return hasher.finish();
}

std::string sha256_hex(std::string_view bytes)
{
  unsigned char raw[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), raw, &length, digest_of(HashKind::sha256), nullptr) !=
      1) {
    throw Error("SHA256: OpenSSL digest failed");
  }
  return hex_encode(std::string_view(reinterpret_cast<const char*>(raw), length));
}

std::string hex_encode(std::string_view raw)
{
  static constexpr std::string_view digits = "0123456789abcdef";
  std::string hex;
  hex.reserve(raw.size() * 2);
  for (const char c : raw) {
    const auto byte = static_cast<unsigned char>(c);
    hex += digits[byte >> 4];
    hex += digits[byte & 0x0f];
  }
  return hex;
}

bool constant_time_equal(std::string_view a, std::string_view b)
{
  // The length is not secret (tokens have a fixed format); the content is.
  if (a.size() != b.size()) {
    return false;
  }
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

} // namespace prepo::util
