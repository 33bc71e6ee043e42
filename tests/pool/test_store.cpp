#include "pool/store.hpp"

#include <fstream>
#include <string>
#include <sys/stat.h>

#include <gtest/gtest.h>

#include "support/temp_dir.hpp"
#include "util/error.hpp"
#include "util/file.hpp"
#include "util/hash.hpp"

namespace fs = std::filesystem;
using prepo::pool::clash_message;
using prepo::pool::ContentStore;
using prepo::util::checksum_bytes;
using prepo::util::Error;

namespace {

class Store : public prepo::test::TempDirTest {
protected:
  fs::path write(const std::string& name, const std::string& text)
  {
    const auto path = dir() / name;
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }
};

struct stat stat_of(const fs::path& path)
{
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st;
}

} // namespace

TEST_F(Store, ObjectPathIsTwoHexDirectoryThenHash)
{
  ContentStore store(dir() / "store");
  const std::string sha(64, 'a');
  EXPECT_EQ(store.object_path(sha), dir() / "store" / "aa" / sha);
  const auto sums = checksum_bytes("hello");
  EXPECT_EQ(store.object_path(sums.sha256),
            dir() / "store" / sums.sha256.substr(0, 2) / sums.sha256);
  EXPECT_EQ(store.dir(), dir() / "store");
}

TEST_F(Store, ObjectPathRefusesWhatIsNotAHash)
{
  ContentStore store(dir() / "store");
  EXPECT_THROW(store.object_path(""), Error);
  EXPECT_THROW(store.object_path("abc"), Error);
  EXPECT_THROW(store.object_path(std::string(63, 'a')), Error);
  EXPECT_THROW(store.object_path(std::string(65, 'a')), Error);
}

TEST_F(Store, AddFileStoresReadOnlyCopy)
{
  ContentStore store(dir() / "store");
  const auto source = write("pkg.deb", "package bytes");
  const auto sums = prepo::util::checksum_file(source);
  EXPECT_FALSE(store.contains(sums.sha256));
  store.add_file(source, sums.sha256);
  EXPECT_TRUE(store.contains(sums.sha256));
  const auto object = store.object_path(sums.sha256);
  EXPECT_EQ(prepo::util::read_file(object), "package bytes");
  EXPECT_EQ(stat_of(object).st_mode & 0777, 0444u);
  // A copy, not a link to the caller's file: the input may be deleted.
  EXPECT_NE(stat_of(object).st_ino, stat_of(source).st_ino);
  fs::remove(source);
  EXPECT_EQ(prepo::util::read_file(object), "package bytes");
}

TEST_F(Store, AddBytesStoresReadOnlyObject)
{
  ContentStore store(dir() / "store");
  const auto sums = checksum_bytes("index bytes");
  store.add_bytes("index bytes", sums.sha256);
  EXPECT_TRUE(store.contains(sums.sha256));
  EXPECT_EQ(prepo::util::read_file(store.object_path(sums.sha256)), "index bytes");
  EXPECT_EQ(stat_of(store.object_path(sums.sha256)).st_mode & 0777, 0444u);
}

TEST_F(Store, ReAddReplacesAPartialObject)
{
  ContentStore store(dir() / "store");
  const auto sums = checksum_bytes("complete bytes");
  // What a crash could leave: a truncated object under the right name.
  const auto object = store.object_path(sums.sha256);
  fs::create_directories(object.parent_path());
  std::ofstream(object, std::ios::binary) << "compl";
  fs::permissions(object, fs::perms::owner_read | fs::perms::group_read | fs::perms::others_read);
  store.add_bytes("complete bytes", sums.sha256);
  EXPECT_EQ(prepo::util::read_file(object), "complete bytes");

  const auto source = write("again", "complete bytes");
  store.add_file(source, sums.sha256);
  EXPECT_EQ(prepo::util::read_file(object), "complete bytes");
}

TEST_F(Store, HoldsOnlyAnObjectOfTheExpectedSize)
{
  ContentStore store(dir() / "store");
  const auto sums = checksum_bytes("complete bytes");
  EXPECT_FALSE(store.holds(sums.sha256, sums.size));
  // What a power loss can leave: the name, none of the bytes.
  const auto object = store.object_path(sums.sha256);
  fs::create_directories(object.parent_path());
  std::ofstream(object, std::ios::binary).flush();
  EXPECT_TRUE(store.contains(sums.sha256));
  EXPECT_FALSE(store.holds(sums.sha256, sums.size));
  store.add_bytes("complete bytes", sums.sha256);
  EXPECT_TRUE(store.holds(sums.sha256, sums.size));
}

TEST_F(Store, ContainsIsFalseForAbsentObjectAndThrowsForBadName)
{
  ContentStore store(dir() / "missing-store");
  EXPECT_FALSE(store.contains(std::string(64, '0')));
  EXPECT_THROW(store.contains("not-a-hash"), Error);
}

TEST_F(Store, RemoveDeletesAndToleratesAbsence)
{
  ContentStore store(dir() / "store");
  const auto sums = checksum_bytes("to be removed");
  store.add_bytes("to be removed", sums.sha256);
  ASSERT_TRUE(store.contains(sums.sha256));
  store.remove(sums.sha256);
  EXPECT_FALSE(store.contains(sums.sha256));
  EXPECT_FALSE(fs::exists(store.object_path(sums.sha256)));
  EXPECT_NO_THROW(store.remove(sums.sha256));
  EXPECT_NO_THROW(store.remove(std::string(64, 'f')));
}

TEST_F(Store, RemoveKeepsOtherObjects)
{
  ContentStore store(dir() / "store");
  const auto a = checksum_bytes("a");
  const auto b = checksum_bytes("b");
  store.add_bytes("a", a.sha256);
  store.add_bytes("b", b.sha256);
  store.remove(a.sha256);
  EXPECT_FALSE(store.contains(a.sha256));
  EXPECT_TRUE(store.contains(b.sha256));
}

TEST_F(Store, LinkIntoSharesTheInode)
{
  ContentStore store(dir() / "store");
  const auto sums = checksum_bytes("deb contents");
  store.add_bytes("deb contents", sums.sha256);
  const auto destination =
      dir() / "public" / "dev" / "pool" / "skaro" / "main" / "h" / "hello" / "hello_1_all.deb";
  fs::create_directories(destination.parent_path());
  store.link_into(sums.sha256, destination);
  ASSERT_TRUE(fs::exists(destination));
  const auto object_st = stat_of(store.object_path(sums.sha256));
  const auto link_st = stat_of(destination);
  EXPECT_EQ(link_st.st_ino, object_st.st_ino);
  EXPECT_EQ(link_st.st_dev, object_st.st_dev);
  EXPECT_EQ(object_st.st_nlink, 2u);
  EXPECT_EQ(prepo::util::read_file(destination), "deb contents");

  // Linking again to the same place is fine and changes nothing.
  store.link_into(sums.sha256, destination);
  EXPECT_EQ(stat_of(destination).st_ino, object_st.st_ino);
  EXPECT_EQ(stat_of(store.object_path(sums.sha256)).st_nlink, 2u);

  // A second pool (another farm) gets the very same inode too.
  const auto other = dir() / "public" / "stable" / "pool" / "x.deb";
  fs::create_directories(other.parent_path());
  store.link_into(sums.sha256, other);
  EXPECT_EQ(stat_of(other).st_ino, object_st.st_ino);
  EXPECT_EQ(stat_of(store.object_path(sums.sha256)).st_nlink, 3u);
}

TEST_F(Store, LinkIntoReplacesOtherBytesAtTheDestination)
{
  ContentStore store(dir() / "store");
  const auto old_sums = checksum_bytes("old");
  const auto new_sums = checksum_bytes("new");
  store.add_bytes("old", old_sums.sha256);
  store.add_bytes("new", new_sums.sha256);
  const auto destination = dir() / "pool" / "p.deb";
  fs::create_directories(destination.parent_path());
  store.link_into(old_sums.sha256, destination);
  store.link_into(new_sums.sha256, destination);
  EXPECT_EQ(prepo::util::read_file(destination), "new");
  EXPECT_EQ(stat_of(destination).st_ino, stat_of(store.object_path(new_sums.sha256)).st_ino);
  // The old object is untouched.
  EXPECT_EQ(prepo::util::read_file(store.object_path(old_sums.sha256)), "old");
}

TEST_F(Store, LinkIntoAMissingObjectThrows)
{
  ContentStore store(dir() / "store");
  fs::create_directories(dir() / "pool");
  EXPECT_THROW(store.link_into(std::string(64, 'c'), dir() / "pool" / "x.deb"), Error);
  EXPECT_FALSE(fs::exists(dir() / "pool" / "x.deb"));
}

TEST(StoreClash, MessageNamesFileBothHashesAndReplace)
{
  const std::string pool_sha(64, 'a');
  const std::string new_sha(64, 'b');
  const auto message = clash_message("/tmp/in/hello_1_all.deb",
                                     "pool/skaro/main/h/hello/hello_1_all.deb", pool_sha, new_sha);
  EXPECT_NE(message.find("/tmp/in/hello_1_all.deb"), std::string::npos) << message;
  EXPECT_NE(message.find("pool/skaro/main/h/hello/hello_1_all.deb"), std::string::npos) << message;
  EXPECT_NE(message.find(pool_sha), std::string::npos) << message;
  EXPECT_NE(message.find(new_sha), std::string::npos) << message;
  EXPECT_NE(message.find("--replace"), std::string::npos) << message;
  // Which hash is which must be clear: the pool's comes first.
  EXPECT_LT(message.find(pool_sha), message.find(new_sha)) << message;
  EXPECT_EQ(message.find('\n'), std::string::npos) << "one line: " << message;
}
