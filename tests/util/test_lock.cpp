#include "util/lock.hpp"

#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

#include <csignal>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support/temp_dir.hpp"
#include "util/error.hpp"

using namespace std::chrono_literals;
using prepo::util::Error;
using prepo::util::FileLock;
using prepo::util::lock_holder;

namespace {

// A child process that takes the lock, reports through a pipe that it has
// it, and keeps it until told to go (or for `hold` when it is not zero).
class Holder {
public:
  Holder(const std::filesystem::path& path, std::chrono::milliseconds hold = 0ms)
  {
    int ready[2];
    int go[2];
    if (::pipe(ready) != 0 || ::pipe(go) != 0) {
      throw std::runtime_error("pipe");
    }
    pid_ = ::fork();
    if (pid_ == 0) {
      ::close(ready[0]);
      ::close(go[1]);
      int status = 0;
      try {
        FileLock lock(path, 0ms, nullptr);
        char c = 'x';
        (void)!::write(ready[1], &c, 1);
        if (hold > 0ms) {
          ::usleep(static_cast<useconds_t>(hold.count() * 1000));
        } else {
          (void)!::read(go[0], &c, 1);
        }
      } catch (...) {
        status = 1;
      }
      ::_exit(status);
    }
    ::close(ready[1]);
    ::close(go[0]);
    go_ = go[1];
    char c = 0;
    if (::read(ready[0], &c, 1) != 1) {
      throw std::runtime_error("child did not take the lock");
    }
    ::close(ready[0]);
  }
  ~Holder() { release(); }
  pid_t pid() const { return pid_; }
  // Lets the child exit and reaps it; returns its exit status.
  int release()
  {
    if (go_ >= 0) {
      ::close(go_);
      go_ = -1;
    }
    int status = -1;
    if (pid_ > 0) {
      ::waitpid(pid_, &status, 0);
      pid_ = -1;
    }
    return status;
  }

private:
  pid_t pid_ = -1;
  int go_ = -1;
};

class Lock : public prepo::test::TempDirTest {};

} // namespace

TEST_F(Lock, FreeLockIsTakenAtOnce)
{
  auto path = dir() / "lock";
  EXPECT_EQ(lock_holder(path), ""); // not even created yet
  int notices = 0;
  {
    FileLock lock(path, 0ms, [&](const std::string&) { ++notices; });
  }
  EXPECT_EQ(notices, 0);
  EXPECT_TRUE(std::filesystem::exists(path));
  EXPECT_EQ(std::filesystem::file_size(path), 0u); // content never written
  EXPECT_EQ(lock_holder(path), "");
}

TEST_F(Lock, BusyLockTimesOutNamingTheHolder)
{
  auto path = dir() / "lock";
  Holder holder(path);
  std::string pid = "pid " + std::to_string(holder.pid());

  std::string held_by = lock_holder(path);
  EXPECT_EQ(held_by.rfind(pid + " (", 0), 0u) << held_by;
  EXPECT_NE(held_by.find("test_util"), std::string::npos) << held_by; // from /proc/<pid>/cmdline

  std::vector<std::string> notices;
  auto start = std::chrono::steady_clock::now();
  try {
    FileLock lock(path, 300ms, [&](const std::string& h) { notices.push_back(h); });
    FAIL() << "took a lock held by another process";
  } catch (const Error& e) {
    std::string message = e.what();
    EXPECT_EQ(message.rfind(path.string() + ": locked by " + pid + " (", 0), 0u) << message;
    EXPECT_NE(message.find("; gave up after 0.3 s"), std::string::npos) << message;
  }
  auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_GE(waited, 300ms);
  EXPECT_LT(waited, 2s);
  ASSERT_EQ(notices.size(), 1u);
  EXPECT_EQ(notices[0].rfind(pid, 0), 0u) << notices[0];

  EXPECT_EQ(holder.release(), 0);
  EXPECT_EQ(lock_holder(path), "");
  FileLock lock(path, 0ms, nullptr);
}

TEST_F(Lock, WaitsUntilTheHolderLetsGo)
{
  auto path = dir() / "lock";
  Holder holder(path, 400ms);
  int notices = 0;
  auto start = std::chrono::steady_clock::now();
  FileLock lock(path, 10s, [&](const std::string&) { ++notices; });
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  EXPECT_EQ(notices, 1);
  EXPECT_EQ(holder.release(), 0);
}

TEST_F(Lock, ZeroTimeoutFailsWithoutNotice)
{
  auto path = dir() / "lock";
  Holder holder(path);
  int notices = 0;
  EXPECT_THROW(FileLock(path, 0ms, [&](const std::string&) { ++notices; }), Error);
  EXPECT_EQ(notices, 0);
}

TEST_F(Lock, UnopenableLockFileIsAnError)
{
  try {
    FileLock lock(dir() / "missing-dir" / "lock", 0ms, nullptr);
    FAIL() << "locked a file in a missing directory";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()).rfind((dir() / "missing-dir" / "lock").string() + ": ", 0), 0u)
        << e.what();
  }
}

// An include of thousands of files holds the lock with a command line of
// hundreds of KB: a waiter shows its start and a count, on one line.
TEST_F(Lock, LongHolderCommandLineIsCut)
{
  auto path = dir() / "lock";
  // A loop, so that the shell stays (a lone command could replace it).
  std::vector<std::string> words{"sh", "-c", "while :; do sleep 1; done", "sh"};
  for (int i = 0; i < 2000; ++i) {
    words.push_back("package-" + std::to_string(i) + "_1.0_amd64.deb");
  }
  std::vector<char*> argv;
  for (auto& word : words) {
    argv.push_back(word.data());
  }
  argv.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid == 0) {
    // Take the lock on a descriptor that survives exec, then become a
    // process with 2,000 arguments that keeps it.
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT, 0644);
    struct flock lock {};
    lock.l_type = F_WRLCK;
    lock.l_whence = SEEK_SET;
    if (fd < 0 || ::fcntl(fd, F_SETLK, &lock) != 0) {
      ::_exit(1);
    }
    ::execv("/bin/sh", argv.data());
    ::_exit(1);
  }
  std::string held_by;
  for (int i = 0; i < 500 && held_by.find("package-") == std::string::npos; ++i) {
    ::usleep(10000);
    held_by = lock_holder(path);
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
  const std::string start = "pid " + std::to_string(pid) +
                            " (sh -c while :; do sleep 1; done sh package-0_1.0_amd64.deb ";
  EXPECT_EQ(held_by.rfind(start, 0), 0u) << held_by;
  EXPECT_LT(held_by.size(), 260u) << held_by;
  EXPECT_TRUE(held_by.ends_with(" more arguments))")) << held_by;
}
