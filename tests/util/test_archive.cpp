#include "util/archive.hpp"

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support/temp_dir.hpp"
#include "util/error.hpp"

using prepo::util::ArchiveReader;
using prepo::util::Error;
namespace fs = std::filesystem;

namespace {

void run(const std::string& command)
{
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
}

std::string slurp(const fs::path& path)
{
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void spit(const fs::path& path, const std::string& text)
{
  std::ofstream(path, std::ios::binary) << text;
}

// path -> data of regular entries; directories map to "<dir>".
std::map<std::string, std::string> read_all(std::string_view bytes, ArchiveReader::Format format)
{
  ArchiveReader reader(bytes, format, "test.archive");
  std::map<std::string, std::string> entries;
  while (auto entry = reader.next()) {
    if (entry->is_regular) {
      std::string data = reader.read_data(1 << 20);
      EXPECT_EQ(static_cast<std::int64_t>(data.size()), entry->size) << entry->path;
      entries[entry->path] = data;
    } else {
      reader.skip_data();
      entries[entry->path] = "<dir>";
    }
  }
  return entries;
}

class Archive : public prepo::test::TempDirTest {
protected:
  void SetUp() override
  {
    TempDirTest::SetUp();
    fs::create_directories(dir() / "src/usr/share/doc");
    spit(dir() / "src/control", "Package: tiny\nVersion: 1.0\n");
    spit(dir() / "src/usr/share/doc/README", std::string(100000, 'x'));
  }
  std::string make_tar(const std::string& flag, const std::string& name)
  {
    run("tar " + flag + " -cf " + (dir() / name).string() + " -C " + (dir() / "src").string() +
        " .");
    return slurp(dir() / name);
  }
};

} // namespace

TEST_F(Archive, ReadsTarInEveryCompression)
{
  for (const auto& [flag, name] :
       std::vector<std::pair<std::string, std::string>>{{"", "t.tar"},
                                                        {"-z", "t.tar.gz"},
                                                        {"-J", "t.tar.xz"},
                                                        {"--zstd", "t.tar.zst"},
                                                        {"-j", "t.tar.bz2"}}) {
    SCOPED_TRACE(name);
    std::string bytes = make_tar(flag, name);
    auto entries = read_all(bytes, ArchiveReader::Format::tar_any_compression);
    EXPECT_EQ(entries["./control"], "Package: tiny\nVersion: 1.0\n");
    EXPECT_EQ(entries["./usr/share/doc/README"], std::string(100000, 'x'));
    EXPECT_EQ(entries["./usr/share/"], "<dir>");
  }
}

TEST_F(Archive, ReadsArMembersInOrder)
{
  spit(dir() / "debian-binary", "2.0\n");
  make_tar("-z", "control.tar.gz");
  make_tar("-J", "data.tar.xz");
  run("cd " + dir().string() + " && ar rc t.deb debian-binary control.tar.gz data.tar.xz");
  std::string bytes = slurp(dir() / "t.deb");

  ArchiveReader reader(bytes, ArchiveReader::Format::ar, "t.deb");
  std::vector<std::string> names;
  while (auto entry = reader.next()) {
    names.push_back(entry->path);
    EXPECT_TRUE(entry->is_regular);
    if (entry->path == "debian-binary") {
      EXPECT_EQ(entry->size, 4);
      EXPECT_EQ(reader.read_data(100), "2.0\n");
    } else if (entry->path == "control.tar.gz") {
      std::string inner = reader.read_data(1 << 20);
      EXPECT_EQ(inner, slurp(dir() / "control.tar.gz"));
      auto entries = read_all(inner, ArchiveReader::Format::tar_any_compression);
      EXPECT_EQ(entries["./control"], "Package: tiny\nVersion: 1.0\n");
    } else {
      reader.skip_data();
    }
  }
  EXPECT_EQ(names, (std::vector<std::string>{"debian-binary", "control.tar.gz", "data.tar.xz"}));
}

TEST_F(Archive, ReadsPackageBuiltByDpkgDeb)
{
  if (std::system("command -v dpkg-deb >/dev/null") != 0) {
    GTEST_SKIP() << "dpkg-deb not installed";
  }
  fs::create_directories(dir() / "pkg/DEBIAN");
  fs::create_directories(dir() / "pkg/usr/bin");
  spit(dir() / "pkg/DEBIAN/control", "Package: tiny\nVersion: 1.0\nArchitecture: all\n"
                                     "Maintainer: T <t@example.org>\nDescription: tiny\n");
  spit(dir() / "pkg/usr/bin/tiny", "#!/bin/sh\n");
  run("dpkg-deb --root-owner-group -Zxz --build " + (dir() / "pkg").string() + " " +
      (dir() / "tiny.deb").string() + " >/dev/null");
  std::string deb = slurp(dir() / "tiny.deb");

  ArchiveReader reader(deb, ArchiveReader::Format::ar, "tiny.deb");
  std::string control;
  while (auto entry = reader.next()) {
    if (entry->path.starts_with("control.tar")) {
      std::string tar = reader.read_data(1 << 20);
      ArchiveReader inner(tar, ArchiveReader::Format::tar_any_compression, entry->path);
      while (auto member = inner.next()) {
        if (member->path == "./control") {
          control = inner.read_data(1 << 16);
        } else {
          inner.skip_data();
        }
      }
    } else {
      reader.skip_data();
    }
  }
  EXPECT_NE(control.find("Package: tiny\n"), std::string::npos) << control;
}

TEST_F(Archive, EntryLargerThanLimitIsAnError)
{
  std::string bytes = make_tar("-z", "t.tar.gz");
  ArchiveReader reader(bytes, ArchiveReader::Format::tar_any_compression, "t.tar.gz");
  while (auto entry = reader.next()) {
    if (entry->path == "./usr/share/doc/README") {
      try {
        reader.read_data(1000);
        FAIL() << "read past the limit";
      } catch (const Error& e) {
        EXPECT_STREQ(e.what(), "t.tar.gz: entry ./usr/share/doc/README larger than 1000 bytes");
      }
      return;
    }
    reader.skip_data();
  }
  FAIL() << "README not found";
}

TEST_F(Archive, ExactLimitIsAccepted)
{
  std::string bytes = make_tar("", "t.tar");
  ArchiveReader reader(bytes, ArchiveReader::Format::tar_any_compression, "t.tar");
  while (auto entry = reader.next()) {
    if (entry->path == "./usr/share/doc/README") {
      EXPECT_EQ(reader.read_data(100000).size(), 100000u);
      return;
    }
    reader.skip_data();
  }
  FAIL() << "README not found";
}

TEST_F(Archive, GarbageIsAnError)
{
  std::string garbage(4096, '\0');
  for (std::size_t i = 0; i < garbage.size(); ++i) {
    garbage[i] = static_cast<char>((i * 7919 + 13) % 251);
  }
  for (auto format : {ArchiveReader::Format::ar, ArchiveReader::Format::tar_any_compression}) {
    try {
      read_all(garbage, format);
      FAIL() << "garbage accepted";
    } catch (const Error& e) {
      EXPECT_EQ(std::string(e.what()).rfind("test.archive: ", 0), 0u) << e.what();
    }
  }
}

TEST_F(Archive, TruncatedCompressedTarIsAnError)
{
  std::string bytes = make_tar("-z", "t.tar.gz");
  bytes.resize(bytes.size() / 2);
  EXPECT_THROW(read_all(bytes, ArchiveReader::Format::tar_any_compression), Error);
}

TEST_F(Archive, ArReaderRefusesTar)
{
  std::string bytes = make_tar("", "t.tar");
  EXPECT_THROW(read_all(bytes, ArchiveReader::Format::ar), Error);
}

// An xz tar is decoded only as far as the entries read need: a reader that
// stops after the first entries does not see damage further on, one that
// reads to the end does.
TEST_F(Archive, XzTarIsDecodedOnlyAsFarAsRead)
{
  std::string bytes = make_tar("-J --sort=name", "t.tar.xz"); // ./control before ./usr
  std::string damaged = bytes;
  damaged[damaged.size() - 40] ^= 0x55; // in the README's compressed data or the check

  ArchiveReader reader(damaged, ArchiveReader::Format::tar_any_compression, "t.tar.xz");
  bool found = false;
  while (auto entry = reader.next()) {
    if (entry->path == "./control") {
      EXPECT_EQ(reader.read_data(1000), "Package: tiny\nVersion: 1.0\n");
      found = true;
      break;
    }
    reader.skip_data();
  }
  EXPECT_TRUE(found);

  try {
    read_all(damaged, ArchiveReader::Format::tar_any_compression);
    FAIL() << "damage accepted";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "test.archive: truncated or corrupt xz data");
  }
}

TEST_F(Archive, TruncatedXzTarIsAnError)
{
  std::string bytes = make_tar("-J", "t.tar.xz");
  for (std::size_t keep : {bytes.size() - 1, bytes.size() / 2, std::size_t{30}}) {
    EXPECT_THROW(read_all(bytes.substr(0, keep), ArchiveReader::Format::tar_any_compression), Error)
        << keep;
  }
}
