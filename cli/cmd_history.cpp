// prepo generations, prepo diff, prepo rollback, prepo gc: a farm's history.
#include <charconv>
#include <ctime>
#include <limits>

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

// A generation number as typed: digits only, and no more than 64 bits
// hold. Parsed here rather than by CLI11, which takes "-1" as 2^64 - 1:
// a wrapped number would be reported as some other, absent generation.
// `input` is what the message names (the whole argument).
std::uint64_t parse_generation(std::string_view digits, std::string_view input)
{
  std::uint64_t n = 0;
  const auto* end = digits.data() + digits.size();
  const auto [stop, ec] = std::from_chars(digits.data(), end, n);
  if (digits.empty() || digits.find_first_not_of("0123456789") != std::string_view::npos ||
      ec != std::errc{} || stop != end) {
    throw util::Error("invalid generation '{}': expected a number from 0 to {}", input,
                      std::numeric_limits<std::uint64_t>::max());
  }
  return n;
}

// "production@12" -> {"production", 12}; "production" -> {"production", nullopt}
std::pair<std::string, std::optional<std::uint64_t>> parse_farm_ref(const std::string& text)
{
  auto at = text.find('@');
  if (at == std::string::npos) {
    return {text, std::nullopt};
  }
  const auto digits = std::string_view(text).substr(at + 1);
  if (digits.empty() || digits.find_first_not_of("0123456789") != std::string_view::npos) {
    throw util::Error("'{}': expected FARM or FARM@GENERATION, e.g. production@12", text);
  }
  return {text.substr(0, at), parse_generation(digits, text)};
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
    std::string dist;
    bool json = false;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("diff", "Compare two generations, or what a promote would do");
  cmd->add_option("from", args->a, "FARM@N, or a child FARM")->required();
  cmd->add_option("to", args->b, "FARM@M, or the parent FARM")->required();
  cmd->add_option("--dist", args->dist,
                  "Only this distribution (default: all of the farm's, or of the child's)");
  cmd->add_flag("--json", args->json, "Print JSON");
  cmd->footer("prepo diff production@12 production@13   what generation 13 changed\n"
              "prepo diff rc production                 what 'prepo promote rc production' "
              "would do\n"
              "prepo diff --dist skaro rc production    what 'prepo promote --dist skaro rc "
              "production' would do");
  cmd->callback([&ctx, args] {
    ctx.run = [&ctx, args] {
      auto reader = ctx.open_reader();
      auto [farm_a, gen_a] = parse_farm_ref(args->a);
      auto [farm_b, gen_b] = parse_farm_ref(args->b);
      repo::DbTxn txn(reader.db, util::lmdb::Txn::Mode::read);
      ChangesPerDist per_dist;
      std::vector<std::string> problems;
      if (gen_a || gen_b) {
        if (!gen_a || !gen_b || farm_a != farm_b) {
          throw util::Error("compare two generations of one farm (production@12 production@13), "
                            "or a child farm with its parent (rc production)");
        }
        reader.config.farm(farm_a);
        if (!args->dist.empty()) {
          reader.config.distribution(farm_a + "/" + args->dist); // an unknown one is an error
        }
        per_dist = by_distribution(
            stack::describe(txn, stack::generation_delta(txn, farm_a, *gen_a, *gen_b)));
        std::erase_if(per_dist, [&](const auto& dist) {
          return !args->dist.empty() && dist.first != args->dist;
        });
      } else {
        // promote's plan, with promote's --dist: what that promote would do.
        stack::PromoteOptions options;
        if (!args->dist.empty()) {
          options.dist = args->dist;
        }
        auto plan = stack::plan_promote(reader.config, txn, farm_a, farm_b, options);
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
      print_per_dist("", per_dist);
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
    std::string to;
    bool no_publish = false;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("rollback", "Make a farm hold what an earlier generation held");
  cmd->add_option("farm", args->farm, "Farm")->required();
  auto* to = cmd->add_option("--to", args->to, "Generation (default: the one before the newest)")
                 ->type_name("UINT");
  cmd->add_flag("--no-publish", args->no_publish, "Record only; publish later");
  cmd->footer("The rollback is itself a new generation: publishing it gives a new Date and\n"
              "signature over the very package set and pool bytes of the chosen generation.");
  cmd->callback([&ctx, args, to] {
    ctx.run = [&ctx, args, to] {
      stack::RollbackOptions options;
      if (to->count()) {
        options.to =
            parse_generation(args->to, args->to); // before the lock: a typo waits for nothing
      }
      auto session = ctx.open_session();
      options.publish = !args->no_publish;
      options.command = ctx.command_line;
      auto result = stack::rollback(session, args->farm, options);
      if (result.generation && !ctx.quiet) {
        print_per_dist(fmt::format("{} back to generation {}", args->farm, result.target),
                       by_distribution(std::move(result.changes)), 50);
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
