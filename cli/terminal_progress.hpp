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
  void bytes(std::uint64_t done, std::uint64_t total) override;

private:
  void draw(bool force);
  std::string transfer_status() const;
  bool tty_;
  bool quiet_;
  bool verbose_;
  bool active_ = false;
  std::string phase_;
  std::uint64_t total_ = 0;
  std::uint64_t done_ = 0;
  std::uint64_t bytes_done_ = 0, bytes_total_ = 0; // transfers only
  std::chrono::steady_clock::time_point started_, drawn_, plain_line_;
};

} // namespace prepo::cli
