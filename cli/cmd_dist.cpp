#include <fmt/format.h>

#include "cli/context.hpp"
#include "util/error.hpp"
#include "util/gpg.hpp"

namespace prepo::cli {

namespace {

struct DistAddArgs {
  std::string name;
  std::vector<std::string> components{"main"};
  std::vector<std::string> architectures;
  std::string sign_with, origin, label, suite, version, description, valid_for;
};

} // namespace

void add_dist_command(CLI::App& app, Context& ctx)
{
  auto* dist = app.add_subcommand("dist", "Manage distributions of a farm");
  dist->require_subcommand(1);
  auto args = std::make_shared<DistAddArgs>();
  auto* add = dist->add_subcommand("add", "Add a distribution (suite/codename) to a farm");
  add->add_option("name", args->name, "FARM/CODENAME, e.g. dev/skaro")->required();
  add->add_option("--components", args->components, "Components, e.g. main,contrib")
      ->delimiter(',');
  add->add_option("--architectures", args->architectures,
                  "Architectures, e.g. amd64,i386,all,source ('source' takes source packages)")
      ->delimiter(',')
      ->required();
  add->add_option(
      "--sign-with", args->sign_with,
      "Key id or fingerprint in $GNUPGHOME that signs Release (InRelease, Release.gpg)");
  add->add_option("--origin", args->origin, "Release Origin");
  add->add_option("--label", args->label, "Release Label");
  add->add_option("--suite", args->suite, "Release Suite, e.g. unstable");
  add->add_option("--version", args->version, "Release Version");
  add->add_option("--description", args->description, "Release Description");
  add->add_option("--valid-for", args->valid_for, "Add Valid-Until = Date + this (7d, 12h, 30m)");
  add->callback([&ctx, args] {
    ctx.run = [&ctx, args] {
      auto [farm, codename] = repo::split_dist_name(args->name);
      auto session = ctx.open_session();
      session.config().farm(farm);
      repo::Distribution d;
      d.farm = farm;
      d.codename = codename;
      d.suite = args->suite;
      d.version = args->version;
      d.origin = args->origin;
      d.label = args->label;
      d.description = args->description;
      d.components = args->components;
      d.valid_for = args->valid_for;
      d.architectures = args->architectures; // "source" included: add_distribution sorts it out
      if (!args->sign_with.empty()) {
        // Resolve now: a typo should fail here, not at the first publish.
        util::gpg::resolve_signing_key({args->sign_with, ""});
        d.sign_with = args->sign_with;
      }
      session.config().add_distribution(d);
      session.config().save(session.root());
      ctx.progress().note(fmt::format("distribution {} added", d.full_name()));
      return 0;
    };
  });
}

} // namespace prepo::cli
