#include <cstdio>

#include <fmt/format.h>

#include "cli/context.hpp"
#include "serve/http_server.hpp"

namespace prepo::cli {

void add_serve_command(CLI::App& app, Context& ctx)
{
  struct Args {
    serve::ServeOptions options;
    std::string tls_cert, tls_key, access_log;
    double header_timeout = 10, idle_timeout = 30;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand(
      "serve", "Serve the farms over HTTP(S): public ones to all, private ones to token holders");
  cmd->add_option(
      "--listen", args->options.listen,
      "ADDRESS:PORT to listen on, repeatable; [::1]:8080 for IPv6; port 0 picks a free one");
  cmd->add_option("--tls-cert", args->tls_cert,
                  "PEM certificate (chain allowed): every listener speaks HTTPS");
  cmd->add_option("--tls-key", args->tls_key, "PEM private key of --tls-cert");
  cmd->add_option("--access-log", args->access_log,
                  "Append one combined-format line per response to FILE");
  cmd->add_flag(
      "--allow-plain-auth", args->options.allow_plain_auth,
      "Accept credentials and serve private farms over plain HTTP (loopback testing only)");
  cmd->add_option("--max-connections", args->options.max_connections,
                  "Open connections at most; more are closed at once")
      ->check(CLI::Range(1u, 1000000u));
  cmd->add_option("--threads", args->options.threads, "Worker threads (0: one per core)");
  cmd->add_option("--header-timeout", args->header_timeout,
                  "Seconds a client has to send a whole request head")
      ->check(CLI::Range(0.1, 3600.0));
  cmd->add_option("--idle-timeout", args->idle_timeout,
                  "Seconds an idle keep-alive connection stays open")
      ->check(CLI::Range(0.1, 3600.0));
  cmd->footer("Farms are served at http(s)://HOST:PORT/FARM/; GET / lists the public ones.\n"
              "SIGHUP reloads the configuration, tokens, certificate and access log;\n"
              "SIGTERM stops after the responses in flight. See docs/serving.md.");
  cmd->callback([&ctx, args] {
    ctx.run = [&ctx, args] {
      auto root = repo::Root::locate(ctx.root);
      auto& o = args->options;
      if (!args->tls_cert.empty()) {
        o.tls_cert = args->tls_cert;
      }
      if (!args->tls_key.empty()) {
        o.tls_key = args->tls_key;
      }
      if (!args->access_log.empty()) {
        o.access_log = args->access_log;
      }
      o.header_timeout = std::chrono::milliseconds(static_cast<long>(args->header_timeout * 1000));
      o.idle_timeout = std::chrono::milliseconds(static_cast<long>(args->idle_timeout * 1000));
      serve::ServeEvents events;
      // Lines go out at once: scripts wait for "listening on".
      events.note = [&ctx](const std::string& line) {
        if (!ctx.quiet) {
          fmt::print("prepo serve: {}\n", line);
          std::fflush(stdout);
        }
      };
      events.warn = [](const std::string& line) { fmt::print(stderr, "prepo serve: {}\n", line); };
      serve::serve(root, o, events);
      return 0;
    };
  });
}

} // namespace prepo::cli
