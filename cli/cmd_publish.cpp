#include <fmt/format.h>

#include "cli/context.hpp"
#include "repo/publish.hpp"

namespace prepo::cli {

void add_publish_command(CLI::App& app, Context& ctx)
{
  struct Args {
    std::vector<std::string> farms;
    bool force = false;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("publish", "Export indexes and sign (dists/, by-hash, InRelease)");
  cmd->add_option("farms", args->farms, "Farms to publish (default: all)");
  cmd->add_flag("--force", args->force, "Rewrite every index even if nothing changed");
  cmd->footer("A publish with nothing changed writes nothing and says so.");
  cmd->callback([&ctx, args] {
    ctx.run = [&ctx, args] {
      auto session = ctx.open_session();
      auto farms = args->farms;
      if (farms.empty()) {
        for (const auto& f : session.config().farms()) {
          farms.push_back(f.name);
        }
      }
      for (const auto& farm : farms) {
        auto result = repo::publish_farm(session, farm, {args->force});
        for (const auto& name : result.published) {
          ctx.progress().note(fmt::format("published {}", name));
        }
      }
      return 0;
    };
  });
}

} // namespace prepo::cli
