// One request in, one response plan out, with no I/O beyond opening and
// fstat-ing the file: which status, which header fields, which bytes of
// which file. The connection (serve/connection.cpp) sends the plan. Keeping
// the decisions here makes every rule testable without a socket.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "serve/path_resolver.hpp"
#include "serve/site.hpp"
#include "util/fd.hpp"

namespace prepo::serve {

enum class Method { get, head, other };

// The parts of a request head the server uses; filled by RequestParser.
// Members keep their capacity between requests of a connection.
struct RequestHead {
  Method method = Method::other;
  std::string method_text;
  std::string target;
  unsigned version = 11; // 10 or 11
  bool keep_alive = true;
  std::string host, authorization, range, if_range, if_match, if_unmodified_since, if_none_match,
      if_modified_since, user_agent, referer;

  void clear();
};

// A piece of the body: bytes of Response::text or of Response::file.
struct BodyPart {
  bool from_file = false;
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
};

struct Response {
  unsigned status = 0;
  std::string header; // status line and fields, through the empty line
  std::string text;   // in-memory body bytes: error pages, listings, multipart delimiters
  util::Fd file;
  std::vector<BodyPart> parts; // what to send after the header; empty for HEAD and 304
  std::uint64_t body_length = 0;
  bool close = false;         // close the connection after this response
  bool keep_alive_10 = false; // an HTTP/1.0 client asked for keep-alive: say yes
  std::string user;           // the token that opened the request, for the access log
  std::string_view reason;    // for error pages, one line

  void clear();
};

struct HandlerOptions {
  bool tls = false;
  bool allow_plain_auth = false;
  std::string local_host; // "127.0.0.1:8080", when the request has no usable Host
};

class RequestHandler {
public:
  // `options` outlives the handler (one per listener, shared by its connections).
  explicit RequestHandler(const HandlerOptions& options) : options_(options) {}

  // `close` asks for "Connection: close" (the server is stopping).
  void handle(const RequestHead& request, const SiteState& site, bool close, Response& out);
  // A response for a request that could not be parsed (400, 431, ...);
  // always closes the connection.
  void error(unsigned status, Response& out);

private:
  void serve_file(const RequestHead& request, const ServedFarm& farm, int dir_fd, Response& out);
  void page(unsigned status, std::string_view content_type, std::string body,
            const RequestHead& request, Response& out);
  void start_header(unsigned status, const RequestHead* request, Response& out);
  void finish_header(Response& out);
  std::string host(const RequestHead& request) const;

  const HandlerOptions& options_;
  Target target_; // reused between requests
};

std::string_view status_reason(unsigned status);

} // namespace prepo::serve
