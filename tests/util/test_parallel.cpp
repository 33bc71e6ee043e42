#include "util/parallel.hpp"

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace prepo::util {
namespace {

TEST(Parallel, DefaultThreadsIsAtLeastOne)
{
  EXPECT_GE(default_threads(), 1U);
}

TEST(Parallel, EveryIndexRunsExactlyOnce)
{
  for (const unsigned threads : {0U, 1U, 2U, 3U, 8U, 64U}) {
    for (const std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{2}, std::size_t{997}}) {
      std::vector<std::atomic<int>> runs(n);
      parallel_for(n, threads, [&](std::size_t i) { runs[i].fetch_add(1); });
      for (std::size_t i = 0; i < n; ++i) {
        ASSERT_EQ(runs[i].load(), 1) << "index " << i << " threads " << threads << " n " << n;
      }
    }
  }
}

TEST(Parallel, RunsConcurrently)
{
  // Each call waits for the other to start; this only finishes in time if
  // the two calls overlap.
  std::atomic<int> started{0};
  std::atomic<int> saw_both{0};
  parallel_for(2, 2, [&](std::size_t) {
    started.fetch_add(1);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (started.load() < 2 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::yield();
    }
    if (started.load() == 2) {
      saw_both.fetch_add(1);
    }
  });
  EXPECT_EQ(saw_both.load(), 2);
}

TEST(Parallel, ExceptionIsRethrownInCaller)
{
  for (const unsigned threads : {1U, 4U}) {
    std::atomic<int> finished{0};
    try {
      parallel_for(100, threads, [&](std::size_t i) {
        if (i == 42) {
          throw std::runtime_error("index 42 failed");
        }
        finished.fetch_add(1);
      });
      FAIL() << "no exception with " << threads << " threads";
    } catch (const std::runtime_error& e) {
      EXPECT_STREQ(e.what(), "index 42 failed");
    }
    EXPECT_LT(finished.load(), 100);
  }
}

TEST(Parallel, FirstFailureStopsNewWork)
{
  std::atomic<std::size_t> calls{0};
  EXPECT_THROW(parallel_for(1'000'000, 4,
                            [&](std::size_t) {
                              calls.fetch_add(1);
                              throw std::logic_error("stop");
                            }),
               std::logic_error);
  // Each worker stops after its first failure.
  EXPECT_LE(calls.load(), 4U);
}

TEST(Parallel, AllThreadsFinishBeforeRethrow)
{
  std::atomic<bool> slow_started{false};
  std::atomic<bool> slow_done{false};
  EXPECT_THROW(parallel_for(2, 2,
                            [&](std::size_t i) {
                              if (i == 1) {
                                slow_started = true;
                                std::this_thread::sleep_for(std::chrono::milliseconds(100));
                                slow_done = true;
                                return;
                              }
                              const auto deadline =
                                  std::chrono::steady_clock::now() + std::chrono::seconds(10);
                              while (!slow_started && std::chrono::steady_clock::now() < deadline) {
                                std::this_thread::yield();
                              }
                              throw std::runtime_error("fast failure");
                            }),
               std::runtime_error);
  EXPECT_TRUE(slow_done.load());
}

} // namespace
} // namespace prepo::util
