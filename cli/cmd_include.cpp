#include <fmt/format.h>

#include "cli/context.hpp"
#include "repo/include.hpp"

namespace prepo::cli {

namespace {

struct IncludeArgs {
  std::string dist;
  std::vector<std::string> files;
  repo::IncludeOptions options;
  bool no_publish = false;
};

} // namespace

void print_include_result(Context& ctx, const std::string& dist, const repo::IncludeResult& result)
{
  if (result.generation) {
    ctx.progress().note(fmt::format("{}: {} added, {} replaced, {} unchanged (generation {})", dist,
                                    result.added, result.replaced, result.unchanged,
                                    result.generation));
  } else {
    ctx.progress().note(
        fmt::format("{}: nothing to do, all {} already included", dist, result.unchanged));
  }
}

void add_include_command(CLI::App& app, Context& ctx)
{
  auto args = std::make_shared<IncludeArgs>();
  auto* cmd = app.add_subcommand(
      "include", "Include .deb, .udeb, .ddeb, .dsc and .changes files into a distribution");
  cmd->add_option("dist", args->dist, "FARM/DIST, e.g. dev/skaro")->required();
  cmd->add_option("files", args->files, "Package files, any mix")->required();
  cmd->add_option("--component", args->options.component,
                  "Component (default: the Section's prefix if it names one, else the first)");
  cmd->add_flag("--replace", args->options.replace,
                "Allow other bytes under a pool file name already taken (rewrites history)");
  cmd->add_flag("--allow-downgrade", args->options.allow_downgrade,
                "Allow replacing a package by an older version");
  cmd->add_flag("--no-publish", args->no_publish, "Record only; publish later with prepo publish");
  cmd->add_flag("--move", args->options.move,
                "Take the files over: hard-link them into the store instead of copying, and "
                "remove them once included (an incoming queue)");
  cmd->footer("Every file is read and verified before anything is written. A byte-identical\n"
              "re-include is a no-op; a different file under a pool name already taken is\n"
              "refused, naming both SHA256 sums.");
  cmd->callback([&ctx, args] {
    ctx.run = [&ctx, args] {
      auto session = ctx.open_session();
      args->options.publish = !args->no_publish;
      args->options.command = ctx.command_line;
      auto result = repo::include_files(session, args->dist, args->files, args->options);
      print_include_result(ctx, args->dist, result);
      return 0;
    };
  });
}

} // namespace prepo::cli
