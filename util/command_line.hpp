// A command line as people read it: arguments joined by spaces, cut after
// about `limit` bytes with a count of the rest. An include of 10,000 files
// has a 600 KB command line; a generation records it (cut at 2 KB) and the
// lock-wait message shows the holder's (cut to fit one line).
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

namespace prepo::util {

// The first argument (the program) is always kept; an argument that would
// pass `limit` and all after it become " ... (N more arguments)".
std::string cut_command_line(std::span<const std::string_view> args, std::size_t limit);

} // namespace prepo::util
