// Running the real Debian tools from tests: a shell command's exit status and
// standard output, and whether a tool is installed at all (tests skip
// rather than fail when it is not).
#pragma once

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <sys/wait.h>

namespace prepo::test {

struct CommandResult {
  int status = -1; // exit status, or -1 if the command did not exit normally
  std::string output;
};

// Runs `command` with /bin/sh; stdout is captured, stderr passes through.
inline CommandResult run_command(const std::string& command)
{
  CommandResult result;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) {
    return result;
  }
  std::array<char, 65536> buffer;
  std::size_t n = 0;
  while ((n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0) {
    result.output.append(buffer.data(), n);
  }
  const int raw = ::pclose(pipe);
  result.status = (raw != -1 && WIFEXITED(raw)) ? WEXITSTATUS(raw) : -1;
  return result;
}

inline bool have_tool(const std::string& name)
{
  return run_command("command -v '" + name + "' >/dev/null 2>&1").status == 0;
}

// Single-quoted for /bin/sh.
inline std::string shell_quote(const std::string& text)
{
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

inline void write_text(const std::filesystem::path& path, const std::string& text)
{
  std::filesystem::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

inline std::string read_text(const std::filesystem::path& path)
{
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

} // namespace prepo::test
