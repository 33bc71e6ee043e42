// prepo serve: farms over HTTP/1.1 and HTTPS. One io_context per thread,
// connections spread over them by the accepting thread; each connection
// stays on its thread, so nothing per request is locked except the site
// snapshot check. SIGTERM/SIGINT stop gracefully, SIGHUP reloads the
// configuration, the TLS certificate and the access log file.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "repo/root.hpp"
#include "serve/request_parser.hpp"

namespace prepo::serve {

struct ServeOptions {
  std::vector<std::string> listen{"127.0.0.1:8080"}; // ADDR:PORT or [ADDR]:PORT; port 0 picks one
  std::optional<std::filesystem::path> tls_cert, tls_key; // both or neither: every listener is TLS
  std::optional<std::filesystem::path> access_log;
  bool allow_plain_auth = false;
  unsigned max_connections = 4096;
  unsigned threads = 0;                                               // 0: one per core
  std::chrono::milliseconds header_timeout{std::chrono::seconds(10)}; // the whole request head
  std::chrono::milliseconds idle_timeout{std::chrono::seconds(30)};   // keep-alive between requests
  std::chrono::milliseconds send_timeout{std::chrono::seconds(60)};   // without any progress
  std::chrono::milliseconds stop_timeout{std::chrono::seconds(10)};   // graceful stop
  ParserLimits limits;
};

struct ServeEvents {
  std::function<void(const std::string&)> note; // startup, reloads, stop
  std::function<void(const std::string&)> warn; // problems that do not stop the server
};

// Runs until SIGTERM or SIGINT, then lets responses in flight finish (up to
// stop_timeout). Errors before listening (bad address, port in use,
// certificate) are thrown as util::Error.
void serve(const repo::Root& root, const ServeOptions& options, const ServeEvents& events);

} // namespace prepo::serve
