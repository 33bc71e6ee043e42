#include <cstdio>
#include <unistd.h>

#include <fmt/format.h>

#include "cli/context.hpp"
#include "cli/render_changes.hpp"
#include "cli/transfer_options.hpp"
#include "import/remote_child.hpp"
#include "stack/promote.hpp"
#include "util/error.hpp"

namespace prepo::cli {

namespace {

// A remote child's local copy is brought up to date before it is read, for
// the parent's distributions (or the one --dist names).
template <typename Args>
void refresh_if_remote(repo::Session& session, const Args& args, const std::string& command)
{
  const auto& child = session.config().farm(args.child);
  const auto& parent = session.config().farm(args.parent);
  if (child.remote.empty() || std::find(parent.children.begin(), parent.children.end(),
                                        child.name) == parent.children.end()) {
    return; // a local child, or one promote will refuse anyway
  }
  std::vector<std::string> dists;
  for (const auto* d : session.config().distributions_of(parent.name)) {
    if (args.dist.empty() || d->codename == args.dist) {
      dists.push_back(d->codename);
    }
  }
  import::refresh_remote_child(session, child, dists, command, args.fetch);
}

struct PromoteArgs {
  std::string child, parent;
  std::string dist;
  stack::PromoteOptions options;
  import::RemoteFetch fetch; // a remote child only
  bool yes = false;
};

// On a terminal, ask; elsewhere, refuse: a script must say --yes.
bool confirm_destructive(const stack::PromotePlan& plan, bool yes)
{
  if (yes) {
    return true;
  }
  const auto c = plan.counts();
  if (::isatty(STDIN_FILENO) != 1) {
    throw util::Error("promote {} {} would remove {} and downgrade {} packages: pass --yes to "
                      "confirm (nothing changed)",
                      plan.child, plan.parent, c.removed, c.downgraded);
  }
  fmt::print("This removes {} and downgrades {} packages in {}. Proceed? [y/N] ", c.removed,
             c.downgraded, plan.parent);
  std::fflush(stdout);
  char answer[16] = {};
  return std::fgets(answer, sizeof answer, stdin) && (answer[0] == 'y' || answer[0] == 'Y');
}

} // namespace

void add_promote_command(CLI::App& app, Context& ctx)
{
  auto args = std::make_shared<PromoteArgs>();
  auto* cmd = app.add_subcommand(
      "promote", "Copy a child farm's packages into its parent, atomically, as one generation");
  cmd->add_option("child", args->child, "The farm to copy from, e.g. rc")->required();
  cmd->add_option("parent", args->parent, "The farm that changes, e.g. production")->required();
  cmd->add_option("--dist", args->dist, "Only this distribution (default: all of the child's)");
  cmd->add_flag("--merge", args->options.merge,
                "Only add packages and upgrade to newer versions; never remove or downgrade");
  cmd->add_option("--only", args->options.only,
                  "Only packages whose source or binary name matches this regular expression");
  cmd->add_flag("--dry-run", args->options.dry_run, "Print what would change; change nothing");
  cmd->add_flag("-y,--yes", args->yes, "Do not ask before removing or downgrading packages");
  cmd->add_flag(
      "--no-publish", [args](std::int64_t) { args->options.publish = false; },
      "Record only; publish later");
  add_jobs_option(cmd, args->fetch.parallel);
  add_timeout_option(cmd, args->fetch.stall_timeout_seconds);
  cmd->footer("By default each distribution of the parent becomes equal to the child's. The\n"
              "child's exact bytes are copied (hard links), each checked against its SHA256.\n"
              "The previous state stays one 'prepo rollback PARENT' away. A remote child\n"
              "(farm add --from URL) is fetched first, verified, with -j and --timeout.");
  cmd->callback([&ctx, args] {
    ctx.run = [&ctx, args] {
      auto session = ctx.open_session();
      if (!args->dist.empty()) {
        args->options.dist = args->dist;
      }
      args->options.command = ctx.command_line;
      const bool yes = args->yes;
      args->options.confirm = [yes](const stack::PromotePlan& plan) {
        return confirm_destructive(plan, yes);
      };
      // The summary comes before anything happens.
      const bool dry_run = args->options.dry_run;
      if (!ctx.quiet) {
        args->options.on_plan = [dry_run](const stack::PromotePlan& plan) {
          print_plan(plan, dry_run);
        };
      }
      refresh_if_remote(session, *args, ctx.command_line);
      auto result = stack::promote(session, args->child, args->parent, args->options);
      if (result.generation) {
        ctx.progress().note(fmt::format("{}: promoted from {} as generation {}", args->parent,
                                        args->child, result.generation));
      }
      return 0;
    };
  });
}

} // namespace prepo::cli
