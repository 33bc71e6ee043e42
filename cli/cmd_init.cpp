#include <fmt/format.h>

#include "cli/context.hpp"
#include "repo/database.hpp"

namespace prepo::cli {

void add_init_command(CLI::App& app, Context& ctx)
{
  auto* cmd = app.add_subcommand("init", "Make a prepo root (conf/, db/, store/, public/)");
  cmd->footer("The root is --root DIR, else $PREPO_ROOT, else the current directory.\n"
              "Next: prepo farm add NAME; prepo dist add NAME/DIST ...");
  cmd->callback([&ctx] {
    ctx.run = [&ctx] {
      std::filesystem::path dir = std::filesystem::current_path();
      if (ctx.root) {
        dir = *ctx.root;
      } else if (const char* env = std::getenv("PREPO_ROOT"); env && *env) {
        dir = env;
      }
      auto root = repo::Root::create(dir);
      repo::Database::create(root);
      ctx.progress().note(fmt::format("prepo root ready at {}", root.dir().string()));
      return 0;
    };
  });
}

} // namespace prepo::cli
