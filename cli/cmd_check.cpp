#include <fmt/format.h>

#include "cli/context.hpp"
#include "repo/check.hpp"

namespace prepo::cli {

void add_check_command(CLI::App& app, Context& ctx)
{
  auto quick = std::make_shared<bool>(false);
  auto* cmd = app.add_subcommand("check", "Verify database, store, pools and published trees");
  cmd->add_flag("--quick", *quick, "Compare stored file sizes only, not their hashes");
  cmd->footer("Exit status 0 when consistent, 1 with one line per problem otherwise.");
  cmd->callback([&ctx, quick] {
    ctx.run = [&ctx, quick] {
      auto reader = ctx.open_reader();
      auto report = repo::check_root(reader, {!*quick}, ctx.progress());
      for (const auto& note : report.notes) {
        ctx.progress().note("note: " + note);
      }
      for (const auto& problem : report.problems) {
        fmt::print(stderr, "prepo: check: {}\n", problem);
      }
      if (!report.ok()) {
        return 1;
      }
      ctx.progress().note(fmt::format("ok: {} stored files and {} published files verified",
                                      report.objects_checked, report.published_files_checked));
      return 0;
    };
  });
}

} // namespace prepo::cli
