// prepo generations, prepo diff, prepo rollback, prepo gc: a farm's history.
#include <ctime>

#include <fmt/format.h>

#include "cli/context.hpp"
#include "cli/render_changes.hpp"
#include "repo/release_file.hpp"
#include "stack/delta.hpp"
#include "stack/history.hpp"
#include "stack/rollback.hpp"
#include "util/error.hpp"

namespace prepo::cli {

namespace {

// "production@12" -> {"production", 12}; "production" -> {"production", nullopt}
std::pair<std::string, std::optional<std::uint64_t>> parse_farm_ref(const std::string& text)
{
  auto at = text.find('@');
  if (at == std::string::npos) {
    return {text, std::nullopt};
  }
  std::uint64_t n = 0;
  const auto digits = text.substr(at + 1);
  if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos) {
    throw util::Error("'{}': expected FARM or FARM@GENERATION, e.g. production@12", text);
  }
  for (char c : digits) {
    n = n * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return {text.substr(0, at), n};
}

} // namespace

void add_generations_command(CLI::App& app, Context& ctx)
{
  struct Args {
    std::string farm;
    bool json = false;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("generations", "List a farm's kept generations");
  cmd->add_option("farm", args->farm, "Farm")->required();
  cmd->add_flag("--json", args->json, "Print a JSON array");
  cmd->footer("Each change to a farm (include, remove, promote, rollback) is a numbered,\n"
              "immutable generation; '*' marks the one the public tree shows.");
  cmd->callback([&ctx, args] {
    ctx.run = [&ctx, args] {
      auto reader = ctx.open_reader();
      auto list = stack::list_generations(reader, args->farm);
      std::string out = args->json ? "[" : "";
      for (std::size_t i = 0; i < list.size(); ++i) {
        const auto& g = list[i];
        const auto when = repo::format_release_date(static_cast<std::time_t>(g.time));
        if (args->json) {
          out += fmt::format("{}{{\"generation\":{},\"time\":{},\"command\":{},\"added\":{},"
                             "\"replaced\":{},\"removed\":{},\"published\":{}}}",
                             i ? "," : "", g.number, g.time, json_quote(g.command), g.added,
                             g.replaced, g.removed, g.published ? "true" : "false");
        } else {
          out += fmt::format("{}{:>5}  {}  +{} ~{} -{}  {}\n", g.published ? "*" : " ", g.number,
                             when, g.added, g.replaced, g.removed, g.command);
        }
      }
      fmt::print("{}{}", out, args->json ? "]\n" : "");
      return 0;
    };
  });
}

void add_diff_command(CLI::App& app, Context& ctx)
{
  struct Args {
    std::string a, b;
    bool json = false;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("diff", "Compare two generations, or what a promote would do");
  cmd->add_option("from", args->a, "FARM@N, or a child FARM")->required();
  cmd->add_option("to", args->b, "FARM@M, or the parent FARM")->required();
  cmd->add_flag("--json", args->json, "Print JSON");
  cmd->footer("prepo diff production@12 production@13   what generation 13 changed\n"
              "prepo diff rc production                 what 'prepo promote rc production' "
              "would do");
  cmd->callback([&ctx, args] {
    ctx.run = [&ctx, args] {
      auto reader = ctx.open_reader();
      auto [farm_a, gen_a] = parse_farm_ref(args->a);
      auto [farm_b, gen_b] = parse_farm_ref(args->b);
      repo::DbTxn txn(reader.db, util::lmdb::Txn::Mode::read);
      std::vector<std::pair<std::string, std::vector<stack::PackageChange>>> per_dist;
      std::vector<std::string> problems;
      if (gen_a || gen_b) {
        if (!gen_a || !gen_b || farm_a != farm_b) {
          throw util::Error("compare two generations of one farm (production@12 production@13), "
                            "or a child farm with its parent (rc production)");
        }
        reader.config.farm(farm_a);
        auto changes = stack::describe(txn, stack::generation_delta(txn, farm_a, *gen_a, *gen_b));
        std::map<std::string, std::vector<stack::PackageChange>> by_dist;
        for (auto& c : changes) {
          by_dist[c.slot.dist].push_back(std::move(c));
        }
        for (auto& [dist, list] : by_dist) {
          per_dist.emplace_back(dist, std::move(list));
        }
      } else {
        auto plan = stack::plan_promote(reader.config, txn, farm_a, farm_b, {});
        per_dist = std::move(plan.dists);
        problems = std::move(plan.problems);
      }
      if (args->json) {
        std::string out = "[";
        for (std::size_t i = 0; i < per_dist.size(); ++i) {
          out += (i ? "," : "") + changes_json(per_dist[i].first, per_dist[i].second);
        }
        fmt::print("{}]\n", out);
        return 0;
      }
      stack::ChangeCounts total;
      for (const auto& [dist, changes] : per_dist) {
        print_changes(dist, changes);
        auto c = stack::count(changes);
        total.added += c.added;
        total.upgraded += c.upgraded;
        total.downgraded += c.downgraded;
        total.rebuilt += c.rebuilt;
        total.removed += c.removed;
      }
      fmt::print("total: {}\n", counts_line(total));
      for (const auto& problem : problems) {
        fmt::print("would be refused: {}\n", problem);
      }
      return 0;
    };
  });
}

void add_rollback_command(CLI::App& app, Context& ctx)
{
  struct Args {
    std::string farm;
    std::uint64_t to = 0;
    bool no_publish = false;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("rollback", "Make a farm hold what an earlier generation held");
  cmd->add_option("farm", args->farm, "Farm")->required();
  auto* to = cmd->add_option("--to", args->to, "Generation (default: the one before the newest)");
  cmd->add_flag("--no-publish", args->no_publish, "Record only; publish later");
  cmd->footer("The rollback is itself a new generation: publishing it gives a new Date and\n"
              "signature over the very package set and pool bytes of the chosen generation.");
  cmd->callback([&ctx, args, to] {
    ctx.run = [&ctx, args, to] {
      auto session = ctx.open_session();
      stack::RollbackOptions options;
      if (to->count()) {
        options.to = args->to;
      }
      options.publish = !args->no_publish;
      options.command = ctx.command_line;
      auto result = stack::rollback(session, args->farm, options);
      if (result.generation && !ctx.quiet) {
        print_changes(fmt::format("{} back to generation {}", args->farm, result.target),
                      result.changes, 50);
        ctx.progress().note(fmt::format("{}: rolled back to generation {} as generation {}",
                                        args->farm, result.target, result.generation));
      }
      return 0;
    };
  });
}

void add_gc_command(CLI::App& app, Context& ctx)
{
  struct Args {
    std::vector<std::string> farms;
    std::uint64_t keep = 0;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand(
    "gc", "Drop old generations and the files only they referenced; clean the store");
  cmd->add_option("farms", args->farms, "Farms (default: all)");
  auto* keep = cmd->add_option("--keep", args->keep,
                               "Generations to keep (default: each farm's Keep-Generations)")
                 ->check(CLI::Range(3u, 1000000u));
  cmd->footer("Never drops the published generation, one a retained dists/<dist>@N shows, or\n"
              "a file another generation or distribution references.");
  cmd->callback([&ctx, args, keep] {
    ctx.run = [&ctx, args, keep] {
      auto session = ctx.open_session();
      auto farms = args->farms;
      if (farms.empty()) {
        for (const auto& f : session.config().farms()) {
          farms.push_back(f.name);
        }
      }
      auto result = stack::collect_garbage(
        session, farms, keep->count() ? std::optional(args->keep) : std::nullopt);
      ctx.progress().note(fmt::format("{} generations dropped, {} files unlinked, {} unreferenced "
                                      "stored files removed",
                                      result.generations_dropped, result.files_removed,
                                      result.orphans_removed));
      return 0;
    };
  });
}

} // namespace prepo::cli
