// Renders library progress: a bar on a terminal, plain start/finish lines
// for long phases otherwise. Notes go to stdout, progress to stderr.
#pragma once

#include <chrono>
#include <string>

#include "util/progress.hpp"

namespace prepo::cli {

class TerminalProgress final : public util::Progress {
public:
  TerminalProgress(bool quiet, bool verbose);
  void start(std::string_view phase, std::uint64_t total) override;
  void advance(std::uint64_t units) override;
  void finish() override;
  void note(std::string_view line) override;

private:
  void draw(bool force);
  bool tty_;
  bool quiet_;
  bool verbose_;
  bool active_ = false;
  std::string phase_;
  std::uint64_t total_ = 0;
  std::uint64_t done_ = 0;
  std::chrono::steady_clock::time_point started_, drawn_;
};

} // namespace prepo::cli
