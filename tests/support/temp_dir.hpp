// A fixture giving each test a fresh directory that is removed afterwards,
// so tests never see each other's files and leave nothing behind.
#pragma once

#include <filesystem>
#include <optional>

#include <gtest/gtest.h>

#include "util/file.hpp"

namespace prepo::test {

class TempDirTest : public ::testing::Test {
protected:
  void SetUp() override { dir_.emplace(std::filesystem::temp_directory_path(), "prepo-test-"); }
  void TearDown() override { dir_.reset(); }

  const std::filesystem::path& dir() const { return dir_->path(); }

private:
  std::optional<util::TempDir> dir_;
};

} // namespace prepo::test
