#include "util/read_ahead.hpp"

#include <chrono>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "support/temp_dir.hpp"

namespace prepo::util {
namespace {

using ReadAheadTest = test::TempDirTest;
using namespace std::chrono_literals;

std::vector<std::string> make_files(const std::filesystem::path& dir, int n)
{
  std::vector<std::string> paths;
  for (int i = 0; i < n; ++i) {
    paths.push_back((dir / ("f" + std::to_string(i))).string());
    std::ofstream(paths.back()) << std::string(1000, 'x');
  }
  return paths;
}

// Waits (up to 10 s) until the read-ahead has asked for `count` files; the
// count it ended at.
std::size_t wait_for(const ReadAhead& ahead, std::size_t count)
{
  for (int i = 0; i < 1000 && ahead.requested() < count; ++i) {
    std::this_thread::sleep_for(10ms);
  }
  return ahead.requested();
}

// Whether the first page of `path` is in the page cache.
bool cached(const std::string& path)
{
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  void* map = ::mmap(nullptr, 4096, PROT_READ, MAP_SHARED, fd, 0);
  unsigned char resident = 0;
  const bool ok = map != MAP_FAILED && ::mincore(map, 4096, &resident) == 0;
  if (map != MAP_FAILED) {
    ::munmap(map, 4096);
  }
  ::close(fd);
  return ok && (resident & 1) != 0;
}

TEST_F(ReadAheadTest, StaysAWindowAheadOfTheReaders)
{
  ReadAhead ahead(make_files(dir(), 100), 10);
  EXPECT_EQ(wait_for(ahead, 10), 10u);
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(ahead.requested(), 10u) << "ran past its window";
  ahead.reached(50);
  EXPECT_EQ(wait_for(ahead, 60), 60u);
  ahead.reached(40); // a slower reader reporting late moves nothing back
  ahead.reached(95);
  EXPECT_EQ(wait_for(ahead, 100), 100u);
}

TEST_F(ReadAheadTest, CatchesUpWithReadersThatWentAhead)
{
  ReadAhead ahead(make_files(dir(), 50), 5);
  EXPECT_EQ(wait_for(ahead, 5), 5u);
  ahead.reached(30); // the readers went on without it: it goes on from 30
  EXPECT_EQ(wait_for(ahead, 35), 35u);
}

TEST_F(ReadAheadTest, MissingFilesAreLeftToTheirReaders)
{
  auto paths = make_files(dir(), 3);
  paths.insert(paths.begin() + 1, (dir() / "missing").string());
  ReadAhead ahead(paths);
  EXPECT_EQ(wait_for(ahead, paths.size()), paths.size());
}

TEST_F(ReadAheadTest, StopsAtOnceWhenDestroyedWhileWaiting)
{
  const auto start = std::chrono::steady_clock::now();
  {
    ReadAhead ahead(make_files(dir(), 20), 2);
    EXPECT_EQ(wait_for(ahead, 2), 2u);
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
}

TEST_F(ReadAheadTest, BringsFilesIntoThePageCache)
{
  auto paths = make_files(dir(), 20);
  ::sync();
  for (const auto& path : paths) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    ::close(fd);
  }
  if (cached(paths[0])) {
    GTEST_SKIP() << "this file system keeps its files cached (tmpfs?)";
  }
  ReadAhead ahead(paths);
  EXPECT_EQ(wait_for(ahead, paths.size()), paths.size());
  for (int i = 0; i < 500 && !cached(paths.back()); ++i) {
    std::this_thread::sleep_for(10ms);
  }
  for (const auto& path : paths) {
    EXPECT_TRUE(cached(path)) << path;
  }
}

} // namespace
} // namespace prepo::util
