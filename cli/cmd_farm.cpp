#include <fmt/format.h>

#include "cli/context.hpp"
#include "repo/names.hpp"
#include "util/error.hpp"

namespace prepo::cli {

namespace {

struct FarmAddArgs {
  std::string name;
  std::string description;
  bool is_private = false;
  unsigned keep = 10;
};

} // namespace

void add_farm_command(CLI::App& app, Context& ctx)
{
  auto* farm = app.add_subcommand("farm", "Manage farms (layered archives)");
  farm->require_subcommand(1);

  auto args = std::make_shared<FarmAddArgs>();
  auto* add = farm->add_subcommand("add", "Add a farm, published under public/NAME/");
  add->add_option("name", args->name, "Farm name (lowercase letters, digits, . _ -)")->required();
  add->add_option("--description", args->description, "What the farm is for");
  add->add_flag("--private", args->is_private,
                "Serve only to token holders (see prepo serve)");
  add->add_option("--keep-generations", args->keep,
                  "Generations kept for rollback (at least 3)")
    ->check(CLI::Range(3u, 100000u));
  add->callback([&ctx, args] {
    ctx.run = [&ctx, args] {
      if (!repo::is_valid_simple_name(args->name)) {
        throw util::Error("invalid farm name '{}' (use lowercase letters, digits, '.', '_', '-')",
                          args->name);
      }
      auto session = ctx.open_session();
      repo::Farm farm;
      farm.name = args->name;
      farm.description = args->description;
      farm.is_private = args->is_private;
      farm.keep_generations = args->keep;
      session.config().add_farm(farm);
      session.config().save(session.root());
      ctx.progress().note(fmt::format("farm {} added; publishes to {}", farm.name,
                                      session.root().farm_dir(farm.name).string()));
      return 0;
    };
  });

  auto* list = farm->add_subcommand("list", "List farms and their distributions");
  auto json = std::make_shared<bool>(false);
  list->add_flag("--json", *json, "Print JSON");
  list->callback([&ctx, json] {
    ctx.run = [&ctx, json] {
      auto reader = ctx.open_reader();
      repo::DbTxn txn(reader.db, util::lmdb::Txn::Mode::read);
      std::string out = *json ? "[" : "";
      bool first = true;
      for (const auto& f : reader.config.farms()) {
        auto state = txn.farm_state(f.name);
        std::vector<std::string> dists;
        for (const auto* d : reader.config.distributions_of(f.name)) {
          dists.push_back(d->codename);
        }
        if (*json) {
          std::string names;
          for (const auto& d : dists) {
            names += (names.empty() ? "" : ",") + json_quote(d);
          }
          out += fmt::format("{}{{\"name\":{},\"visibility\":\"{}\",\"distributions\":[{}],"
                             "\"generation\":{},\"published\":{}}}",
                             first ? "" : ",", json_quote(f.name),
                             f.is_private ? "private" : "public", names, state.current,
                             state.published);
        } else {
          out += fmt::format("{} ({}) generation {}, published {}: {}\n", f.name,
                             f.is_private ? "private" : "public", state.current, state.published,
                             dists.empty() ? "no distributions" : fmt::format("{}", fmt::join(dists, " ")));
        }
        first = false;
      }
      fmt::print("{}{}", out, *json ? "]\n" : "");
      return 0;
    };
  });
}

} // namespace prepo::cli
