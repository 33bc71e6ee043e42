// The fetcher against file:// URLs: the same transfer machinery as HTTP
// (multi handle, resume, size and hash checks) without a server.
#include "util/http_fetch.hpp"

#include <chrono>

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "support/temp_dir.hpp"
#include "util/error.hpp"
#include "util/file.hpp"
#include "util/hash.hpp"

using namespace prepo::util;

namespace {

class HttpFetch : public prepo::test::TempDirTest {
protected:
  std::string url(const std::string& name) { return "file://" + (dir() / name).string(); }
  std::string put(const std::string& name, const std::string& bytes)
  {
    write_file_atomic(dir() / name, bytes);
    return checksum_bytes(bytes).sha256;
  }
};

} // namespace

TEST_F(HttpFetch, GetsDocumentsWithinTheCap)
{
  put("doc", "hello");
  http::Fetcher f;
  EXPECT_EQ(f.get(url("doc"), 5), "hello");
  EXPECT_THROW(f.get(url("doc"), 4), Error);
  EXPECT_FALSE(f.get(url("missing"), 100, true));
  EXPECT_THROW(f.get(url("missing"), 100), Error);
}

TEST_F(HttpFetch, DownloadsVerifiesAndReportsEachJob)
{
  const auto good = put("good", std::string(100000, 'g'));
  put("bad", "not what the index says");
  std::vector<http::DownloadJob> jobs{
      {url("good"), (dir() / "out-good").string(), 100000, good, false, {}},
      {url("bad"), (dir() / "out-bad").string(), 23, good, false, {}},
      {url("missing"), (dir() / "out-missing").string(), 1, good, false, {}},
      {url("good"), (dir() / "out-long").string(), 10, good, false, {}}};
  std::size_t done = 0;
  std::uint64_t bytes = 0;
  http::FetchOptions two_at_once;
  two_at_once.parallel = 2;
  http::Fetcher(two_at_once)
      .download(
          jobs, [&](const http::DownloadJob&) { ++done; }, [&](std::uint64_t n) { bytes += n; });
  EXPECT_EQ(done, 4u);
  EXPECT_TRUE(jobs[0].ok) << jobs[0].error;
  EXPECT_EQ(read_file(dir() / "out-good"), std::string(100000, 'g'));
  EXPECT_FALSE(jobs[1].ok);
  EXPECT_NE(jobs[1].error.find("SHA256 is"), std::string::npos) << jobs[1].error;
  EXPECT_FALSE(std::filesystem::exists(dir() / "out-bad"));
  EXPECT_FALSE(std::filesystem::exists(dir() / "out-bad.part"));
  EXPECT_FALSE(jobs[2].ok);
  EXPECT_FALSE(jobs[3].ok);
  EXPECT_NE(jobs[3].error.find("larger than the 10 bytes"), std::string::npos) << jobs[3].error;
  EXPECT_GE(bytes, 100000u);
}

TEST_F(HttpFetch, ResumesAPartialFile)
{
  const std::string content(50000, 'r');
  const auto sha = put("file", content);
  write_file_atomic(dir() / "out.part", content.substr(0, 20000));
  std::uint64_t bytes = 0;
  std::vector<http::DownloadJob> jobs{
      {url("file"), (dir() / "out").string(), content.size(), sha, false, {}}};
  http::Fetcher().download(
      jobs, [](const http::DownloadJob&) {}, [&](std::uint64_t n) { bytes += n; });
  ASSERT_TRUE(jobs[0].ok) << jobs[0].error;
  EXPECT_EQ(bytes, 30000u); // only the rest was transferred
  EXPECT_EQ(read_file(dir() / "out"), content);
}

namespace {

// A server that takes connections and never answers: a listening socket
// nobody accepts from (the kernel completes the handshakes).
struct SilentServer {
  int fd = -1;
  int port = 0;
  SilentServer()
  {
    fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
        ::listen(fd, 16) != 0 || ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      throw std::runtime_error("no listening socket");
    }
    port = ntohs(addr.sin_port);
  }
  ~SilentServer() { ::close(fd); }
  std::string url(const std::string& path) const
  {
    return "http://127.0.0.1:" + std::to_string(port) + path;
  }
};

} // namespace

// A server that never answers is given up after the stall timeout on each
// attempt, and every retry is told in one line, not minutes of silence.
TEST_F(HttpFetch, AServerThatNeverAnswersIsRetriedAloud)
{
  SilentServer server;
  std::vector<std::string> notes;
  http::FetchOptions options;
  options.stall_timeout_seconds = 1;
  options.retries = 2;
  options.backoff = std::chrono::milliseconds(10);
  options.on_retry = [&](const std::string& line) { notes.push_back(line); };
  http::Fetcher fetcher(options);
  const auto start = std::chrono::steady_clock::now();
  try {
    fetcher.get(server.url("/dists/skaro/InRelease"), 1000);
    ADD_FAILURE() << "no Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(server.url("/dists/skaro/InRelease") + ": "),
              std::string::npos)
        << e.what();
  }
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_LT(took, std::chrono::seconds(8));
  ASSERT_EQ(notes.size(), 2u);
  EXPECT_EQ(notes[0].rfind(server.url("/dists/skaro/InRelease") + ": ", 0), 0u) << notes[0];
  EXPECT_NE(notes[0].find("; retrying in 10 ms (attempt 2 of 3)"), std::string::npos) << notes[0];
  EXPECT_NE(notes[1].find("(attempt 3 of 3)"), std::string::npos) << notes[1];

  // The same for files fetched in parallel.
  notes.clear();
  std::vector<http::DownloadJob> jobs{
      {server.url("/pool/a.deb"), (dir() / "a.deb").string(), 10, std::string(64, 'a'), false, {}}};
  fetcher.download(
      jobs, [](const http::DownloadJob&) {}, [](std::uint64_t) {});
  EXPECT_FALSE(jobs[0].ok);
  ASSERT_EQ(notes.size(), 2u);
  EXPECT_EQ(notes[0].rfind(server.url("/pool/a.deb") + ": ", 0), 0u) << notes[0];
}

TEST_F(HttpFetch, MismatchesNameWhatListedTheFile)
{
  const auto sha = put("good", "the bytes");
  put("bad", "other!!!!");
  std::vector<http::DownloadJob> jobs{
      {url("bad"), (dir() / "out-bad").string(), 9, sha, false, {}, "hello_1.0-1.dsc"},
      {url("good"), (dir() / "out-long").string(), 3, sha, false, {}, "hello_1.0-1.dsc"}};
  http::Fetcher().download(
      jobs, [](const http::DownloadJob&) {}, [](std::uint64_t) {});
  EXPECT_NE(jobs[0].error.find("SHA256 is "), std::string::npos) << jobs[0].error;
  EXPECT_NE(jobs[0].error.find(", hello_1.0-1.dsc says " + sha), std::string::npos)
      << jobs[0].error;
  EXPECT_EQ(jobs[1].error, "larger than the 3 bytes hello_1.0-1.dsc says");
}

TEST(HttpJoinUrl, OneSlashBetween)
{
  EXPECT_EQ(http::join_url("http://h/a/", "/b/c"), "http://h/a/b/c");
  EXPECT_EQ(http::join_url("http://h/a", "b"), "http://h/a/b");
}
