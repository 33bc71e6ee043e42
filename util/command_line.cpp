#include "util/command_line.hpp"

#include <fmt/format.h>

namespace prepo::util {

std::string cut_command_line(std::span<const std::string_view> args, std::size_t limit)
{
  std::string out;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (i > 0) {
      if (out.size() + 1 + args[i].size() > limit) {
        out += fmt::format(" ... ({} more arguments)", args.size() - i);
        break;
      }
      out += ' ';
    }
    out += args[i];
  }
  return out;
}

} // namespace prepo::util
