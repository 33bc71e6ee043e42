#include "util/hash.hpp"

#include <random>

#include <gtest/gtest.h>

#include "support/temp_dir.hpp"
#include "util/error.hpp"
#include "util/file.hpp"

namespace prepo::util {
namespace {

using HashTest = test::TempDirTest;

Checksums expected_empty()
{
  Checksums c;
  c.size = 0;
  c.md5 = "d41d8cd98f00b204e9800998ecf8427e";
  c.sha1 = "da39a3ee5e6b4b0d3255bfef95601890afd80709";
  c.sha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
  c.sha512 = "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce"
             "47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e";
  return c;
}

Checksums expected_abc()
{
  Checksums c;
  c.size = 3;
  c.md5 = "900150983cd24fb0d6963f7d28e17f72";
  c.sha1 = "a9993e364706816aba3e25717850c26c9cd0d89d";
  c.sha256 = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
  c.sha512 = "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
             "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f";
  return c;
}

std::string random_bytes(std::size_t n, unsigned seed)
{
  std::mt19937 engine(seed);
  std::string s(n, '\0');
  for (char& c : s) {
    c = static_cast<char>(engine() & 0xff);
  }
  return s;
}

TEST(Hash, KnownVectorsForEmptyInput)
{
  EXPECT_EQ(checksum_bytes(""), expected_empty());
}

TEST(Hash, KnownVectorsForAbc)
{
  EXPECT_EQ(checksum_bytes("abc"), expected_abc());
}

TEST(Hash, DigestLengthsMatchHexLength)
{
  const Checksums c = checksum_bytes("abc");
  for (const HashKind kind : all_hash_kinds) {
    EXPECT_EQ(c.get(kind).size(), hex_length(kind)) << release_field_name(kind);
  }
}

TEST(Hash, ReleaseFieldNames)
{
  EXPECT_EQ(release_field_name(HashKind::md5), "MD5Sum");
  EXPECT_EQ(release_field_name(HashKind::sha1), "SHA1");
  EXPECT_EQ(release_field_name(HashKind::sha256), "SHA256");
  EXPECT_EQ(release_field_name(HashKind::sha512), "SHA512");
}

TEST(Hash, MutableGetWritesTheField)
{
  Checksums c;
  c.get(HashKind::sha256) = "x";
  EXPECT_EQ(c.sha256, "x");
}

TEST(Hash, IncrementalUpdatesEqualOneShot)
{
  const std::string data = random_bytes(100000, 1);
  MultiHasher hasher;
  for (std::size_t pos = 0; pos < data.size(); pos += 777) {
    hasher.update(std::string_view(data).substr(pos, 777));
  }
  EXPECT_EQ(hasher.finish(), checksum_bytes(data));
}

TEST(Hash, FinishResetsTheHasher)
{
  MultiHasher hasher;
  hasher.update("something else");
  (void)hasher.finish();
  hasher.update("abc");
  EXPECT_EQ(hasher.finish(), expected_abc());
  EXPECT_EQ(hasher.finish(), expected_empty());
}

TEST(Hash, MovedHasherKeepsState)
{
  MultiHasher a;
  a.update("a");
  MultiHasher b(std::move(a));
  b.update("bc");
  EXPECT_EQ(b.finish(), expected_abc());
}

TEST_F(HashTest, FileChecksumEqualsBytesChecksum)
{
  // Larger than the read buffer, and not a multiple of it.
  const std::string data = random_bytes(3 * 256 * 1024 + 12345, 2);
  const auto path = dir() / "blob";
  write_file_atomic(path, data, Durability::no_flush);
  EXPECT_EQ(checksum_file(path), checksum_bytes(data));
}

TEST_F(HashTest, EmptyFileChecksum)
{
  const auto path = dir() / "empty";
  write_file_atomic(path, "", Durability::no_flush);
  EXPECT_EQ(checksum_file(path), expected_empty());
}

TEST_F(HashTest, MissingFileNamesThePath)
{
  const auto path = dir() / "missing";
  try {
    (void)checksum_file(path);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), path.string() + ": cannot open: No such file or directory");
  }
}

TEST(Hash, Sha256Hex)
{
  EXPECT_EQ(sha256_hex("abc"), expected_abc().sha256);
  EXPECT_EQ(sha256_hex(""), expected_empty().sha256);
}

TEST(Hash, HexEncode)
{
  EXPECT_EQ(hex_encode(""), "");
  EXPECT_EQ(hex_encode(std::string_view("\x00\x0f\xa0\xff", 4)), "000fa0ff");
}

TEST(Hash, ConstantTimeEqual)
{
  EXPECT_TRUE(constant_time_equal("", ""));
  EXPECT_TRUE(constant_time_equal("secret", "secret"));
  EXPECT_FALSE(constant_time_equal("secret", "secreT"));
  EXPECT_FALSE(constant_time_equal("secret", "secret2"));
  EXPECT_FALSE(constant_time_equal("", "a"));
  EXPECT_TRUE(constant_time_equal(std::string_view("a\0b", 3), std::string_view("a\0b", 3)));
  EXPECT_FALSE(constant_time_equal(std::string_view("a\0b", 3), std::string_view("a\0c", 3)));
}

} // namespace
} // namespace prepo::util
