// The fetcher against file:// URLs: the same transfer machinery as HTTP
// (multi handle, resume, size and hash checks) without a server.
#include "util/http_fetch.hpp"

#include <gtest/gtest.h>

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
  http::Fetcher(two_at_once).download(
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
  http::Fetcher().download(jobs, [](const http::DownloadJob&) {},
                           [&](std::uint64_t n) { bytes += n; });
  ASSERT_TRUE(jobs[0].ok) << jobs[0].error;
  EXPECT_EQ(bytes, 30000u); // only the rest was transferred
  EXPECT_EQ(read_file(dir() / "out"), content);
}

TEST(HttpJoinUrl, OneSlashBetween)
{
  EXPECT_EQ(http::join_url("http://h/a/", "/b/c"), "http://h/a/b/c");
  EXPECT_EQ(http::join_url("http://h/a", "b"), "http://h/a/b");
}
