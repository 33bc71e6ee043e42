#include "util/file.hpp"

#include <cerrno>
#include <set>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "support/temp_dir.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"

namespace prepo::util {
namespace {

using FileTest = test::TempDirTest;

std::set<std::string> names_in(const fs::path& dir)
{
  std::set<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) {
    names.insert(entry.path().filename().string());
  }
  return names;
}

struct stat stat_of(const fs::path& path)
{
  struct stat st {};
  EXPECT_EQ(::lstat(path.c_str(), &st), 0) << path;
  return st;
}

// The message an Error carries for `fn`, or "" when nothing is thrown.
template <typename Fn> std::string error_of(Fn&& fn)
{
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(ErrorTest, ThrowErrnoNamesPathWhatAndReason)
{
  errno = ENOENT;
  EXPECT_EQ(error_of([] { throw_errno("cannot open", "/x/y"); }),
            "/x/y: cannot open: No such file or directory");
}

TEST(ErrorTest, FormatsArguments)
{
  EXPECT_STREQ(Error("{}: bad {}", "p", 3).what(), "p: bad 3");
  EXPECT_STREQ(Error(std::string("plain {text}")).what(), "plain {text}");
}

TEST(FdTest, ResetClosesTheDescriptor)
{
  const int raw = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(raw, 0);
  Fd fd(raw);
  EXPECT_TRUE(fd);
  fd.reset();
  EXPECT_FALSE(fd);
  EXPECT_EQ(::fcntl(raw, F_GETFD), -1);
  EXPECT_EQ(errno, EBADF);
}

TEST(FdTest, MoveTransfersOwnershipAndDestructorCloses)
{
  const int raw = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(raw, 0);
  {
    Fd a(raw);
    Fd b(std::move(a));
    EXPECT_FALSE(a); // NOLINT(bugprone-use-after-move): checking the moved-from state
    EXPECT_EQ(b.get(), raw);
    Fd c;
    c = std::move(b);
    EXPECT_EQ(c.get(), raw);
    EXPECT_GE(::fcntl(raw, F_GETFD), 0);
  }
  EXPECT_EQ(::fcntl(raw, F_GETFD), -1);
}

TEST(FdTest, ReleaseGivesUpOwnership)
{
  const int raw = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(raw, 0);
  {
    Fd fd(raw);
    EXPECT_EQ(fd.release(), raw);
  }
  EXPECT_GE(::fcntl(raw, F_GETFD), 0);
  ::close(raw);
}

TEST_F(FileTest, WriteThenReadRoundTrips)
{
  const auto path = dir() / "Release";
  const std::string data("binary\0data\n", 12);
  write_file_atomic(path, data);
  EXPECT_EQ(read_file(path), data);
  EXPECT_EQ(names_in(dir()), std::set<std::string>{"Release"});
}

TEST_F(FileTest, WriteAppliesModeRegardlessOfUmask)
{
  const auto a = dir() / "a";
  const auto b = dir() / "b";
  write_file_atomic(a, "x", Durability::no_flush, 0640);
  write_file_atomic(b, "x", Durability::flush);
  EXPECT_EQ(stat_of(a).st_mode & 07777, 0640U);
  EXPECT_EQ(stat_of(b).st_mode & 07777, 0644U);
}

TEST_F(FileTest, WriteReplacesExistingFile)
{
  const auto path = dir() / "f";
  write_file_atomic(path, "old contents that are longer");
  const ino_t old_inode = stat_of(path).st_ino;
  write_file_atomic(path, "new", Durability::no_flush);
  EXPECT_EQ(read_file(path), "new");
  EXPECT_NE(stat_of(path).st_ino, old_inode);
  EXPECT_EQ(names_in(dir()).size(), 1U);
}

TEST_F(FileTest, CreateAtomicWritesOnceWithModeAndLeavesNoTemporary)
{
  const auto path = dir() / "object";
  const std::string data("bytes\0of an object", 19);
  const mode_t old_umask = ::umask(077);
  const bool created = create_file_atomic(path, data, 0444);
  ::umask(old_umask);
  ASSERT_TRUE(created);
  EXPECT_EQ(read_file(path), data);
  EXPECT_EQ(stat_of(path).st_mode & 07777, 0444U); // whatever the umask
  // An existing name is left alone: the first bytes stay.
  EXPECT_FALSE(create_file_atomic(path, "other", 0444));
  EXPECT_EQ(read_file(path), data);
  EXPECT_EQ(names_in(dir()), std::set<std::string>{"object"});
}

TEST_F(FileTest, CreateAtomicInMissingDirectoryNamesThePath)
{
  const auto path = dir() / "missing" / "object";
  try {
    create_file_atomic(path, "x", 0444);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(path.string()), std::string::npos) << e.what();
  }
}

TEST_F(FileTest, WriteEmptyFile)
{
  const auto path = dir() / "empty";
  write_file_atomic(path, "");
  EXPECT_EQ(read_file(path), "");
}

TEST_F(FileTest, WriteIntoMissingDirectoryNamesThePath)
{
  const auto path = dir() / "missing" / "f";
  EXPECT_EQ(error_of([&] { write_file_atomic(path, "x"); }),
            path.string() + ": cannot create temporary file: No such file or directory");
}

TEST_F(FileTest, FailedRenameLeavesNoTemporaryFile)
{
  // A directory in the way makes the final rename fail after the data was
  // written to the temporary file.
  const auto path = dir() / "occupied";
  make_dirs(path / "child");
  const std::string message = error_of([&] { write_file_atomic(path, "x"); });
  EXPECT_TRUE(message.starts_with(path.string() + ": cannot rename into place: ")) << message;
  EXPECT_EQ(names_in(dir()), std::set<std::string>{"occupied"});
}

TEST_F(FileTest, ReadMissingFileNamesThePath)
{
  const auto path = dir() / "nope";
  EXPECT_EQ(error_of([&] { (void)read_file(path); }),
            path.string() + ": cannot open: No such file or directory");
}

TEST_F(FileTest, ReadRespectsMaxSize)
{
  const auto path = dir() / "f";
  write_file_atomic(path, std::string(100, 'x'), Durability::no_flush);
  EXPECT_EQ(read_file(path, 100).size(), 100U);
  EXPECT_EQ(error_of([&] { (void)read_file(path, 99); }),
            path.string() + ": file is larger than 99 bytes");
}

TEST_F(FileTest, ReadLargeFile)
{
  const auto path = dir() / "big";
  std::string data(3 * 1024 * 1024 + 7, '\0');
  for (std::size_t i = 0; i < data.size(); ++i) {
    data[i] = static_cast<char>(i * 31 % 251);
  }
  write_file_atomic(path, data, Durability::no_flush);
  EXPECT_EQ(read_file(path), data);
}

TEST_F(FileTest, ReadFileWithoutReportedSize)
{
  // procfs reports size 0; the content must still be read entirely.
  const std::string content = read_file("/proc/self/status");
  EXPECT_NE(content.find("Name:"), std::string::npos);
  EXPECT_THROW((void)read_file("/proc/self/status", 10), Error);
}

TEST_F(FileTest, ReadDirectoryIsAnError)
{
  const std::string message = error_of([&] { (void)read_file(dir()); });
  EXPECT_TRUE(message.starts_with(dir().string() + ": ")) << message;
}

TEST_F(FileTest, ReadIfExists)
{
  EXPECT_EQ(read_file_if_exists(dir() / "missing"), std::nullopt);
  write_file_atomic(dir() / "present", "data", Durability::no_flush);
  EXPECT_EQ(read_file_if_exists(dir() / "present"), "data");
  EXPECT_THROW((void)read_file_if_exists(dir()), Error);
}

TEST_F(FileTest, OpenReadNamesThePath)
{
  EXPECT_EQ(error_of([&] { (void)open_read(dir() / "x"); }),
            (dir() / "x").string() + ": cannot open: No such file or directory");
  write_file_atomic(dir() / "x", "1", Durability::no_flush);
  EXPECT_TRUE(open_read(dir() / "x"));
}

TEST_F(FileTest, SyncHelpers)
{
  write_file_atomic(dir() / "f", "1", Durability::no_flush);
  const Fd fd = open_read(dir() / "f");
  EXPECT_NO_THROW(fsync_fd(fd.get(), dir() / "f"));
  EXPECT_NO_THROW(fsync_dir(dir()));
  EXPECT_NO_THROW(sync_filesystem(dir()));
  EXPECT_NO_THROW(sync_filesystem(dir() / "f"));
  EXPECT_EQ(error_of([&] { sync_filesystem(dir() / "missing"); }),
            (dir() / "missing").string() + ": cannot open: No such file or directory");
  EXPECT_THROW(fsync_dir(dir() / "f"), Error);
}

TEST_F(FileTest, MakeDirsCreatesNestedAndAcceptsExisting)
{
  const auto nested = dir() / "a" / "b" / "c";
  make_dirs(nested, 0750);
  EXPECT_TRUE(fs::is_directory(nested));
  EXPECT_NO_THROW(make_dirs(nested));
  EXPECT_NO_THROW(make_dirs(dir() / "a" / "b" / "d" / ""));
  EXPECT_TRUE(fs::is_directory(dir() / "a" / "b" / "d"));
}

TEST_F(FileTest, MakeDirsOverAFileFails)
{
  write_file_atomic(dir() / "file", "", Durability::no_flush);
  EXPECT_EQ(error_of([&] { make_dirs(dir() / "file"); }),
            (dir() / "file").string() + ": cannot create directory: Not a directory");
  EXPECT_EQ(error_of([&] { make_dirs(dir() / "file" / "sub"); }),
            (dir() / "file" / "sub").string() + ": cannot create directory: Not a directory");
}

TEST_F(FileTest, LinkCreatesHardLink)
{
  const auto target = dir() / "target";
  const auto link = dir() / "link";
  write_file_atomic(target, "content", Durability::no_flush);
  link_or_copy(target, link);
  EXPECT_EQ(stat_of(link).st_ino, stat_of(target).st_ino);
  EXPECT_EQ(stat_of(target).st_nlink, 2U);
}

TEST_F(FileTest, LinkToSameInodeIsANoOp)
{
  const auto target = dir() / "target";
  const auto link = dir() / "link";
  write_file_atomic(target, "content", Durability::no_flush);
  link_or_copy(target, link);
  link_or_copy(target, link);
  EXPECT_EQ(stat_of(target).st_nlink, 2U);
  EXPECT_EQ(names_in(dir()), (std::set<std::string>{"link", "target"}));
}

TEST_F(FileTest, LinkReplacesDifferentFileAtomically)
{
  const auto target = dir() / "target";
  const auto link = dir() / "link";
  write_file_atomic(target, "new", Durability::no_flush);
  write_file_atomic(link, "old", Durability::no_flush);
  link_or_copy(target, link);
  EXPECT_EQ(stat_of(link).st_ino, stat_of(target).st_ino);
  EXPECT_EQ(read_file(link), "new");
  EXPECT_EQ(names_in(dir()), (std::set<std::string>{"link", "target"}));
}

TEST_F(FileTest, LinkMissingTargetNamesBothPaths)
{
  const auto target = dir() / "missing";
  const auto link = dir() / "link";
  EXPECT_EQ(error_of([&] { link_or_copy(target, link); }),
            link.string() + ": cannot link to " + target.string() + ": No such file or directory");
  EXPECT_TRUE(names_in(dir()).empty());
}

TEST_F(FileTest, LinkAcrossFileSystemsCopies)
{
  // /dev/shm is a tmpfs on most Linux systems; skip where it is not separate.
  const fs::path other_fs = "/dev/shm";
  struct stat shm {};
  if (::stat(other_fs.c_str(), &shm) != 0 || shm.st_dev == stat_of(dir()).st_dev ||
      ::access(other_fs.c_str(), W_OK) != 0) {
    GTEST_SKIP() << "no second writable file system";
  }
  const TempDir other(other_fs, "prepo-test-");
  const auto target = other.path() / "target";
  const auto link = dir() / "link";
  write_file_atomic(target, "across", Durability::no_flush, 0604);
  link_or_copy(target, link);
  EXPECT_EQ(read_file(link), "across");
  EXPECT_EQ(stat_of(link).st_mode & 07777, 0604U);
  write_file_atomic(link, "old", Durability::no_flush);
  link_or_copy(target, link);
  EXPECT_EQ(read_file(link), "across");
  EXPECT_EQ(names_in(dir()), std::set<std::string>{"link"});
}

TEST_F(FileTest, CopyFileAtomic)
{
  const auto from = dir() / "from";
  const auto to = dir() / "to";
  std::string data(700 * 1024, 'q');
  data += "tail";
  write_file_atomic(from, data, Durability::no_flush);
  copy_file_atomic(from, to);
  EXPECT_EQ(read_file(to), data);
  EXPECT_EQ(stat_of(to).st_mode & 07777, 0444U);
  EXPECT_NE(stat_of(to).st_ino, stat_of(from).st_ino);
  // Replacing a read-only destination works: rename does not need write
  // permission on the file.
  write_file_atomic(from, "second", Durability::no_flush);
  copy_file_atomic(from, to, 0600);
  EXPECT_EQ(read_file(to), "second");
  EXPECT_EQ(stat_of(to).st_mode & 07777, 0600U);
  EXPECT_EQ(names_in(dir()), (std::set<std::string>{"from", "to"}));
}

TEST_F(FileTest, CopyMissingSourceCreatesNothing)
{
  EXPECT_EQ(error_of([&] { copy_file_atomic(dir() / "missing", dir() / "to"); }),
            (dir() / "missing").string() + ": cannot open: No such file or directory");
  EXPECT_TRUE(names_in(dir()).empty());
}

TEST_F(FileTest, RemoveFileIfExists)
{
  write_file_atomic(dir() / "f", "", Durability::no_flush);
  remove_file_if_exists(dir() / "f");
  EXPECT_FALSE(fs::exists(dir() / "f"));
  EXPECT_NO_THROW(remove_file_if_exists(dir() / "f"));
  make_dirs(dir() / "d");
  EXPECT_THROW(remove_file_if_exists(dir() / "d"), Error);
}

TEST_F(FileTest, TempDirIsRemovedWithContents)
{
  fs::path inner;
  {
    const TempDir temp(dir(), "x-");
    inner = temp.path();
    EXPECT_TRUE(fs::is_directory(inner));
    EXPECT_TRUE(inner.filename().string().starts_with("x-"));
    make_dirs(inner / "a" / "b");
    write_file_atomic(inner / "a" / "b" / "f", "1", Durability::no_flush, 0444);
  }
  EXPECT_FALSE(fs::exists(inner));
}

TEST_F(FileTest, TempDirMoveTransfersOwnership)
{
  fs::path inner;
  {
    TempDir a(dir());
    inner = a.path();
    {
      const TempDir b(std::move(a));
      EXPECT_EQ(b.path(), inner);
    }
    EXPECT_FALSE(fs::exists(inner));
  }
  EXPECT_TRUE(names_in(dir()).empty());
}

TEST_F(FileTest, TempDirInMissingParentNamesIt)
{
  const auto parent = dir() / "missing";
  EXPECT_EQ(error_of([&] { const TempDir t(parent); }),
            parent.string() + ": cannot create temporary directory: No such file or directory");
}

} // namespace
} // namespace prepo::util
