// What every command shares: global options, the progress renderer, and
// helpers to open a root for reading or writing. Only cli/ writes to the
// terminal.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "repo/include.hpp"
#include "repo/session.hpp"
#include "util/progress.hpp"

namespace prepo::cli {

struct Context {
  std::optional<std::string> root;
  double lock_timeout_seconds = 300;
  bool quiet = false;
  bool verbose = false;
  std::string command_line; // recorded in generations
  std::function<int()> run; // set by the chosen subcommand

  util::Progress& progress();
  repo::Session open_session();
  repo::Reader open_reader();

private:
  std::unique_ptr<util::Progress> progress_;
};

// Each command file adds its subcommand to the app.
void add_init_command(CLI::App& app, Context& ctx);
void add_farm_command(CLI::App& app, Context& ctx);
void add_dist_command(CLI::App& app, Context& ctx);
void add_include_command(CLI::App& app, Context& ctx);
void add_list_command(CLI::App& app, Context& ctx);
void add_remove_command(CLI::App& app, Context& ctx);
void add_publish_command(CLI::App& app, Context& ctx);
void add_check_command(CLI::App& app, Context& ctx);
void add_promote_command(CLI::App& app, Context& ctx);
void add_generations_command(CLI::App& app, Context& ctx);
void add_diff_command(CLI::App& app, Context& ctx);
void add_rollback_command(CLI::App& app, Context& ctx);
void add_gc_command(CLI::App& app, Context& ctx);
void add_import_command(CLI::App& app, Context& ctx);
void add_import_mirror_command(CLI::App& app, Context& ctx);
void add_serve_command(CLI::App& app, Context& ctx);
void add_token_command(CLI::App& app, Context& ctx);

// The summary line of include and import.
void print_include_result(Context& ctx, const std::string& dist, const repo::IncludeResult& result);

// A JSON string literal.
std::string json_quote(std::string_view s);

} // namespace prepo::cli
