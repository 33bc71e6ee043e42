#include <fmt/format.h>

#include "cli/context.hpp"
#include "repo/packages.hpp"

namespace prepo::cli {

void add_remove_command(CLI::App& app, Context& ctx)
{
  struct Args {
    std::string dist;
    std::vector<std::string> names;
    bool no_publish = false;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("remove", "Remove packages (binary and source) by name");
  cmd->add_option("dist", args->dist, "FARM/DIST")->required();
  cmd->add_option("names", args->names, "Package names")->required();
  cmd->add_flag("--no-publish", args->no_publish, "Record only; publish later");
  cmd->footer("Removed files stay in the pool while a kept generation refers to them.");
  cmd->callback([&ctx, args] {
    ctx.run = [&ctx, args] {
      auto session = ctx.open_session();
      auto result = repo::remove_packages(session, args->dist, args->names,
                                          {!args->no_publish, ctx.command_line});
      ctx.progress().note(fmt::format("{}: {} removed (generation {})", args->dist, result.removed,
                                      result.generation));
      return 0;
    };
  });
}

} // namespace prepo::cli
