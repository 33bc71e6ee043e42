// Golden files for generated text: compare with tests/data/golden/<name>;
// run with PREPO_TEST_ACCEPT=1 to write the current output as the new
// golden file (then review the diff before committing it).
#pragma once

#include <cstdlib>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "util/file.hpp"

namespace prepo::test {

inline void expect_golden(const std::string& name, const std::string& actual)
{
  const auto path = std::filesystem::path(PREPO_TEST_DATA) / "golden" / name;
  if (const char* accept = std::getenv("PREPO_TEST_ACCEPT"); accept && *accept == '1') {
    util::write_file_atomic(path, actual);
    GTEST_SKIP() << "wrote " << path;
  }
  auto expected = util::read_file_if_exists(path);
  ASSERT_TRUE(expected) << path << " is missing: run with PREPO_TEST_ACCEPT=1 to create it";
  EXPECT_EQ(*expected, actual) << "differs from " << path
                               << " (PREPO_TEST_ACCEPT=1 regenerates it after review)";
}

} // namespace prepo::test
