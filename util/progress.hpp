// Progress of long operations. The library reports; only cli/ renders
// (a bar on a terminal, plain lines otherwise).
#pragma once

#include <cstdint>
#include <string_view>

namespace prepo::util {

class Progress {
public:
  virtual ~Progress() = default;
  // A new phase: "reading packages", total units (0: unknown).
  virtual void start(std::string_view phase, std::uint64_t total) = 0;
  virtual void advance(std::uint64_t units = 1) = 0;
  virtual void finish() = 0;
  // Bytes done and to do in the current phase, for transfers (rate, ETA).
  virtual void bytes(std::uint64_t /*done*/, std::uint64_t /*total*/) {}
  // A line of information for the user ("nothing to publish: ...").
  virtual void note(std::string_view line) = 0;
};

// Reports nothing; the default for library callers that do not care.
class SilentProgress final : public Progress {
public:
  void start(std::string_view, std::uint64_t) override {}
  void advance(std::uint64_t) override {}
  void finish() override {}
  void note(std::string_view) override {}
};

} // namespace prepo::util
