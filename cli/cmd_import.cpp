// prepo import (dget-style, one package from URLs) and prepo import-mirror
// (everything a mirror publishes for some distributions).
#include <cstdio>

#include <fmt/format.h>

#include "cli/context.hpp"
#include "cli/transfer_options.hpp"
#include "import/import_mirror.hpp"
#include "import/import_urls.hpp"
#include "util/error.hpp"

namespace prepo::cli {

namespace {

struct ImportArgs {
  std::string dist;
  std::vector<std::string> urls;
  import::ImportUrlsOptions options;
  bool no_publish = false;
};

struct ImportMirrorArgs {
  std::vector<std::string> dists;
  import::ImportMirrorOptions options;
  bool no_publish = false;
};

// "skaro" or "skaro:localname".
import::MirrorDist parse_mirror_dist(const std::string& text){const auto colon = text.find(':');
import::MirrorDist d{text.substr(0, colon),
                     colon == std::string::npos ? text : text.substr(colon + 1)};
if (d.remote.empty() || d.local.empty() || d.local.find(':') != std::string::npos) {
  throw util::Error("--dist {}: expected DIST or DIST:LOCALNAME", text);
}
return d;
} // namespace

void add_trust_options(CLI::App* cmd, std::vector<std::string>& keyrings, bool& allow_unsigned,
                       std::string& ca_file)
{
  cmd->add_option("--ca-cert", ca_file,
                  "PEM file of the CAs to trust for https (default: the system's, or "
                  "$PREPO_CA_CERT)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--keyring", keyrings,
                  "Public keys (binary or armored) whose signature is required; repeatable")
      ->check(CLI::ExistingFile);
  cmd->add_flag("--allow-unsigned", allow_unsigned,
                "Accept what no key in a keyring vouches for (loudly)");
}

} // namespace prepo::cli

void add_import_command(CLI::App& app, Context& ctx)
{
  auto args = std::make_shared<ImportArgs>();
  auto* cmd = app.add_subcommand(
      "import",
      "Fetch packages by URL (a .dsc with its files, a .changes, a .deb) and include them");
  cmd->add_option("dist", args->dist, "FARM/DIST, e.g. dev/skaro")->required();
  cmd->add_option("urls", args->urls, "http://, https:// or file:// URLs")->required();
  add_trust_options(cmd, args->options.keyrings, args->options.allow_unsigned,
                    args->options.ca_file);
  cmd->add_option("--component", args->options.include.component, "Component (as for include)");
  cmd->add_flag("--replace", args->options.include.replace,
                "Allow other bytes under a pool file name already taken");
  cmd->add_flag("--allow-downgrade", args->options.include.allow_downgrade,
                "Allow replacing a package by an older version");
  add_jobs_option(cmd, args->options.parallel);
  add_timeout_option(cmd, args->options.stall_timeout_seconds);
  cmd->add_flag("--no-publish", args->no_publish, "Record only; publish later");
  cmd->footer("A .dsc or .changes must be signed by a key in --keyring (or --allow-unsigned);\n"
              "every file it lists is checked against its SHA256 and size. Imported packages\n"
              "keep their exact bytes and are listed with the URL they came from.");
  cmd->callback([&ctx, args] {
    ctx.run = [&ctx, args] {
      auto session = ctx.open_session();
      args->options.include.publish = !args->no_publish;
      args->options.include.command = ctx.command_line;
      auto result = import::import_urls(session, args->dist, args->urls, args->options);
      print_include_result(ctx, args->dist, result);
      return 0;
    };
  });
}

void add_import_mirror_command(CLI::App& app, Context& ctx)
{
  auto args = std::make_shared<ImportMirrorArgs>();
  auto& o = args->options;
  auto* cmd = app.add_subcommand(
      "import-mirror",
      "Bring back every file a mirror publishes, verified and byte-exact (recovery)");
  cmd->add_option("farm", o.farm, "The farm to fill")->required();
  cmd->add_option("url", o.mirror_url, "The mirror's root: http://, https:// or file://")
      ->required();
  cmd->add_option("--dist", args->dists,
                  "DIST[:LOCALNAME]: a distribution of the mirror, and the farm's distribution "
                  "it fills (made from the mirror's Release if missing); repeatable")
      ->required();
  add_trust_options(cmd, o.trust.keyrings, o.trust.allow_unsigned, o.ca_file);
  cmd->add_flag("--only-missing", o.only_missing,
                "Add only what the farm lacks; keep the versions it has");
  cmd->add_flag("--prefer-mirror", o.prefer_mirror,
                "Where the farm has a file with other bytes, take the mirror's");
  cmd->add_option("--only", o.only,
                  "Only packages whose source or binary name matches this regex (ECMAScript, "
                  "searched: anchor with ^ and $)");
  cmd->add_option("--components", o.components,
                  "Only these of the mirror's components, e.g. main,contrib (default: all)")
      ->delimiter(',');
  cmd->add_option("--architectures", o.architectures,
                  "Only these of the mirror's architectures, e.g. amd64,all,source (default: "
                  "all; 'source' reads Sources)")
      ->delimiter(',');
  cmd->add_flag("!--no-udebs", o.udebs, "Skip the debian-installer indexes (udebs)");
  add_jobs_option(cmd, o.parallel);
  add_timeout_option(cmd, o.stall_timeout_seconds);
  cmd->add_option("--max-index-size", o.max_index_size,
                  "Largest decompressed index accepted when the Release gives no size");
  cmd->add_flag("--no-publish", args->no_publish, "Record only; publish later");
  cmd->footer(
      "Trust: InRelease (or Release + Release.gpg) must carry a valid signature by a key in\n"
      "--keyring; every index is checked against the Release and every file against its\n"
      "index. A package that fails is reported and the rest is committed; the exit status\n"
      "is then 1. A rerun fetches only what is still missing.");
  cmd->callback([&ctx, args] {
    ctx.run = [&ctx, args] {
      auto& o = args->options;
      o.dists.clear();
      for (const auto& d : args->dists) {
        o.dists.push_back(parse_mirror_dist(d));
      }
      o.publish = !args->no_publish;
      o.command = ctx.command_line;
      auto session = ctx.open_session();
      auto report = import::import_mirror(session, o);
      ctx.progress().note(fmt::format(
          "{}: {} packages listed by the mirror: {} imported, {} already here, {}{} failed; "
          "{} files fetched ({:.1f} MiB)",
          o.farm, report.listed, report.imported, report.present,
          report.kept ? fmt::format("{} kept (--only-missing), ", report.kept) : "",
          report.failures.size(), report.files_fetched,
          static_cast<double>(report.bytes_fetched) / (1024.0 * 1024.0)));
      if (report.failures.empty()) {
        return 0;
      }
      std::fflush(stdout);
      for (const auto& f : report.failures) {
        fmt::print(stderr, "prepo: failed: {}\n", f);
      }
      return 1;
    };
  });
}

} // namespace prepo::cli
