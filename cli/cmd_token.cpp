#include <fmt/format.h>

#include "cli/context.hpp"
#include "serve/tokens.hpp"
#include "util/error.hpp"

namespace prepo::cli {

void add_token_command(CLI::App& app, Context& ctx)
{
  auto* token = app.add_subcommand("token", "Manage access tokens for private farms (prepo serve)");
  token->require_subcommand(1);

  struct AddArgs {
    std::string name;
    std::vector<std::string> farms;
  };
  auto add_args = std::make_shared<AddArgs>();
  auto* add = token->add_subcommand("add", "Add a token and print its secret (shown once)");
  add->add_option("name", add_args->name, "Token name: the user name in HTTP Basic auth")
      ->required();
  add->add_option("--farm", add_args->farms, "A farm the token opens (repeatable)")->required();
  add->callback([&ctx, add_args] {
    ctx.run = [&ctx, add_args] {
      auto session = ctx.open_session(); // the root lock: one writer of conf/ at a time
      for (const auto& farm : add_args->farms) {
        session.config().farm(farm); // unknown farms are refused by name
      }
      auto tokens = serve::TokenFile::load(session.root());
      const auto secret = tokens.add(add_args->name, add_args->farms);
      tokens.save(session.root());
      // The secret is the requested output: printed even with -q.
      fmt::print("{}\n", secret);
      ctx.progress().note(fmt::format(
          "token {} added for {}; the secret above is not stored, keep it "
          "(apt: 'machine HOST/FARM login {} password SECRET' in auth.conf)",
          add_args->name, fmt::join(tokens.tokens().back().farms, ", "), add_args->name));
      return 0;
    };
  });

  auto* list = token->add_subcommand("list", "List tokens and the farms they open (never secrets)");
  list->callback([&ctx] {
    ctx.run = [&ctx] {
      const auto tokens = serve::TokenFile::load(repo::Root::locate(ctx.root));
      for (const auto& t : tokens.tokens()) {
        fmt::print("{} {}{}{}\n", t.name, fmt::join(t.farms, ","), t.created.empty() ? "" : " ",
                   t.created);
      }
      return 0;
    };
  });

  auto revoke_name = std::make_shared<std::string>();
  auto* revoke = token->add_subcommand(
      "revoke", "Remove a token; a running prepo serve stops accepting it at once");
  revoke->add_option("name", *revoke_name, "Token name")->required();
  revoke->callback([&ctx, revoke_name] {
    ctx.run = [&ctx, revoke_name] {
      auto session = ctx.open_session();
      auto tokens = serve::TokenFile::load(session.root());
      if (!tokens.revoke(*revoke_name)) {
        throw util::Error("{}: no token named '{}'", session.root().tokens_file().string(),
                          *revoke_name);
      }
      tokens.save(session.root());
      ctx.progress().note(fmt::format("token {} revoked", *revoke_name));
      return 0;
    };
  });
}

} // namespace prepo::cli
