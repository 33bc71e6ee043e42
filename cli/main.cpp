// prepo's front end: a table from command names to the files that define
// them. Parsing is CLI11's; the work is libprepo's.
#include <cstdio>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "cli/context.hpp"
#include "cli/terminal_progress.hpp"
#include "util/command_line.hpp"
#include "util/error.hpp"

namespace prepo::cli {

util::Progress& Context::progress()
{
  if (!progress_) {
    progress_ = std::make_unique<TerminalProgress>(quiet, verbose);
  }
  return *progress_;
}

repo::Session Context::open_session()
{
  repo::Session::Options options;
  options.lock_timeout = std::chrono::milliseconds(static_cast<long>(lock_timeout_seconds * 1000));
  options.on_wait = [](const std::string& holder) {
    fmt::print(stderr, "waiting for the prepo root lock, held by {}\n", holder);
  };
  repo::Session session(repo::Root::locate(root), options, progress());
  session.finish_interrupted_publishes();
  return session;
}

repo::Reader Context::open_reader()
{
  return repo::Reader(repo::Root::locate(root));
}

std::string json_quote(std::string_view s)
{
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
    case '"':
      out += "\\\"";
      break;
    case '\\':
      out += "\\\\";
      break;
    case '\n':
      out += "\\n";
      break;
    case '\t':
      out += "\\t";
      break;
    default:
      if (static_cast<unsigned char>(c) < 0x20) {
        out += fmt::format("\\u{:04x}", c);
      } else {
        out += c;
      }
    }
  }
  return out + "\"";
}

// The command line as generations record it: cut after about 2 KB. An
// include of 10,000 files would otherwise store 600 KB in every generation,
// and hold it several times at the include's memory peak; the generation's
// change lists every package anyway.
namespace {

std::string recorded_command(int argc, char** argv)
{
  std::vector<std::string_view> args{"prepo"};
  for (int i = 1; i < argc; ++i) {
    args.emplace_back(argv[i]);
  }
  return util::cut_command_line(args, 2048);
}

} // namespace

} // namespace prepo::cli

int main(int argc, char** argv)
{
  using namespace prepo;
  cli::Context ctx;
  ctx.command_line = cli::recorded_command(argc, argv);
  CLI::App app{"prepo: a Debian package repository manager built on farm stacking.\n"
               "Farms are layered archives with per-distribution pools; see 'prepo COMMAND "
               "--help' and docs/."};
  app.set_version_flag("--version", std::string(PREPO_VERSION));
  app.option_defaults()->always_capture_default();
  app.add_option("--root", ctx.root,
                 "The prepo root (default: $PREPO_ROOT, else the current directory)");
  app.add_option("--lock-timeout", ctx.lock_timeout_seconds,
                 "Seconds to wait for another writer to finish");
  app.add_flag("-q,--quiet", ctx.quiet, "Print only errors and requested output");
  app.add_flag("-v,--verbose", ctx.verbose, "Report every phase with its duration");
  app.require_subcommand(1);
  app.fallthrough();

  cli::add_init_command(app, ctx);
  cli::add_farm_command(app, ctx);
  cli::add_dist_command(app, ctx);
  cli::add_include_command(app, ctx);
  cli::add_list_command(app, ctx);
  cli::add_remove_command(app, ctx);
  cli::add_publish_command(app, ctx);
  cli::add_check_command(app, ctx);
  cli::add_promote_command(app, ctx);
  cli::add_generations_command(app, ctx);
  cli::add_diff_command(app, ctx);
  cli::add_rollback_command(app, ctx);
  cli::add_gc_command(app, ctx);
  cli::add_import_command(app, ctx);
  cli::add_import_mirror_command(app, ctx);
  cli::add_serve_command(app, ctx);
  cli::add_token_command(app, ctx);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  try {
    return ctx.run ? ctx.run() : 0;
  } catch (const util::Error& e) {
    std::fflush(stdout); // what was printed before the error comes before it
    fmt::print(stderr, "prepo: {}\n", e.what());
    return 1;
  } catch (const std::filesystem::filesystem_error& e) {
    fmt::print(stderr, "prepo: {}\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    fmt::print(stderr, "prepo: internal error: {}\n", e.what());
    return 2;
  }
}
