#include <fmt/format.h>

#include "cli/context.hpp"
#include "repo/packages.hpp"
#include "repo/release_file.hpp"

namespace prepo::cli {

void add_list_command(CLI::App& app, Context& ctx)
{
  struct Args {
    std::string dist, pattern;
    bool json = false;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("list", "List the packages of a distribution");
  cmd->add_option("dist", args->dist, "FARM/DIST")->required();
  cmd->add_option("pattern", args->pattern, "Shell pattern on the package name, e.g. 'lib*'");
  cmd->add_flag("--json", args->json, "Print a JSON array");
  cmd->footer("Output: name version architecture component, one package a line.");
  cmd->callback([&ctx, args] {
    ctx.run = [&ctx, args] {
      auto reader = ctx.open_reader();
      auto packages = repo::list_packages(reader, args->dist, args->pattern);
      std::string out;
      if (args->json) {
        out = "[";
        for (std::size_t i = 0; i < packages.size(); ++i) {
          const auto& p = packages[i];
          out += fmt::format("{}{{\"name\":{},\"version\":{},\"architecture\":{},"
                             "\"component\":{},\"type\":\"{}\"{}}}",
                             i ? "," : "", json_quote(p.name), json_quote(p.version),
                             json_quote(p.architecture), json_quote(p.component),
                             p.type == repo::RecordType::source ? "source"
                             : p.type == repo::RecordType::udeb ? "udeb"
                                                                : "binary",
                             p.origin ? fmt::format(",\"imported_from\":{},\"imported_at\":{}",
                                                    json_quote(p.origin->url), p.origin->time)
                                      : std::string());
        }
        out += "]\n";
      } else {
        for (const auto& p : packages) {
          out += fmt::format("{} {} {} {}", p.name, p.version, p.architecture, p.component);
          if (p.origin) {
            out += fmt::format("  (imported from {} at {})", p.origin->url,
                               repo::format_release_date(static_cast<std::time_t>(p.origin->time)));
          }
          out += '\n';
        }
      }
      fmt::print("{}", out);
      return 0;
    };
  });
}

} // namespace prepo::cli
