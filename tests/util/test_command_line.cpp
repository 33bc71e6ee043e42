#include "util/command_line.hpp"

#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

using prepo::util::cut_command_line;

TEST(CommandLine, ShortLinesAreJoinedWhole)
{
  const std::vector<std::string_view> args{"prepo", "include", "dev/skaro", "a.deb"};
  EXPECT_EQ(cut_command_line(args, 2048), "prepo include dev/skaro a.deb");
  EXPECT_EQ(cut_command_line(args, 29), "prepo include dev/skaro a.deb"); // exactly the limit
  EXPECT_EQ(cut_command_line({}, 10), "");
}

TEST(CommandLine, LongLinesAreCutCountingTheRest)
{
  std::vector<std::string> files;
  for (int i = 0; i < 1000; ++i) {
    files.push_back("package-" + std::to_string(i) + "_1.0_amd64.deb");
  }
  std::vector<std::string_view> args{"prepo", "include", "dev/skaro"};
  args.insert(args.end(), files.begin(), files.end());
  const auto cut = cut_command_line(args, 200);
  EXPECT_TRUE(cut.starts_with("prepo include dev/skaro package-0_1.0_amd64.deb ")) << cut;
  EXPECT_LE(cut.size(), 200u + std::string_view(" ... (1000 more arguments)").size()) << cut;
  // The arguments kept end at an argument's end, and the rest are counted.
  const auto kept = cut.substr(0, cut.find(" ... ("));
  std::size_t words = 1;
  for (char c : kept) {
    words += c == ' ' ? 1 : 0;
  }
  EXPECT_EQ(cut.substr(kept.size()),
            " ... (" + std::to_string(args.size() - words) + " more arguments)");
}

TEST(CommandLine, TheProgramIsAlwaysKept)
{
  const std::vector<std::string_view> args{"/a/very/long/path/to/prepo", "publish", "dev"};
  EXPECT_EQ(cut_command_line(args, 5), "/a/very/long/path/to/prepo ... (2 more arguments)");
}
