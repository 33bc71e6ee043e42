#include "serve/request_handler.hpp"

#include <cerrno>
#include <chrono>
#include <fcntl.h>
#include <sys/stat.h>

#include <fmt/format.h>

#include "serve/basic_auth.hpp"
#include "serve/conditional.hpp"
#include "serve/content_type.hpp"
#include "serve/listing.hpp"
#include "serve/range.hpp"

namespace prepo::serve {

namespace {

// The Date field, formatted once per second per thread.
std::string_view http_date_now()
{
  thread_local std::int64_t second = -1;
  thread_local std::string text;
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  if (now != second) {
    second = now;
    text = format_http_date(now);
  }
  return text;
}

template <typename... Args>
void append(std::string& out, fmt::format_string<Args...> format, Args&&... args)
{
  fmt::format_to(std::back_inserter(out), format, std::forward<Args>(args)...);
}

// A Host header is echoed into pages; anything but a plain host[:port] is
// replaced by the address the connection arrived on.
bool is_plain_host(std::string_view host)
{
  if (host.empty() || host.size() > 255) {
    return false;
  }
  for (char c : host) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '-' || c == ':' || c == '[' || c == ']';
    if (!ok) {
      return false;
    }
  }
  return true;
}

} // namespace

void RequestHead::clear()
{
  method = Method::other;
  method_text.clear();
  target.clear();
  version = 11;
  keep_alive = true;
  for (auto* s : {&host, &authorization, &range, &if_range, &if_match, &if_unmodified_since,
                  &if_none_match, &if_modified_since, &user_agent, &referer}) {
    s->clear();
  }
}

void Response::clear()
{
  status = 0;
  header.clear();
  text.clear();
  file.reset();
  parts.clear();
  body_length = 0;
  close = false;
  keep_alive_10 = false;
  user.clear();
  reason = {};
}

std::string_view status_reason(unsigned status)
{
  switch (status) {
  case 200:
    return "OK";
  case 206:
    return "Partial Content";
  case 301:
    return "Moved Permanently";
  case 304:
    return "Not Modified";
  case 400:
    return "Bad Request";
  case 401:
    return "Unauthorized";
  case 403:
    return "Forbidden";
  case 404:
    return "Not Found";
  case 405:
    return "Method Not Allowed";
  case 408:
    return "Request Timeout";
  case 412:
    return "Precondition Failed";
  case 414:
    return "URI Too Long";
  case 416:
    return "Range Not Satisfiable";
  case 431:
    return "Request Header Fields Too Large";
  case 500:
    return "Internal Server Error";
  case 503:
    return "Service Unavailable";
  default:
    return "Unknown";
  }
}

void RequestHandler::start_header(unsigned status, const RequestHead* request, Response& out)
{
  out.status = status;
  append(out.header, "HTTP/1.1 {} {}\r\nServer: prepo\r\nDate: {}\r\n", status,
         status_reason(status), http_date_now());
  if (request && !out.close && !request->keep_alive) {
    out.close = true;
  }
  out.keep_alive_10 = request && request->version == 10 && !out.close;
}

void RequestHandler::finish_header(Response& out)
{
  if (out.close) {
    out.header += "Connection: close\r\n";
  } else if (out.keep_alive_10) {
    out.header += "Connection: keep-alive\r\n"; // HTTP/1.0 persists only when told so
  }
  out.header += "\r\n";
}

void RequestHandler::page(unsigned status, std::string_view content_type, std::string body,
                          const RequestHead& request, Response& out)
{
  start_header(status, &request, out);
  append(out.header, "Content-Type: {}\r\nContent-Length: {}\r\n", content_type, body.size());
  out.text = std::move(body);
  if (request.method != Method::head && !out.text.empty()) { // HEAD: the fields only
    out.parts.push_back({false, 0, out.text.size()});
    out.body_length = out.text.size();
  }
}

void RequestHandler::error(unsigned status, Response& out)
{
  out.clear();
  out.close = true;
  start_header(status, nullptr, out);
  out.text = fmt::format("{} {}\n", status, status_reason(status));
  append(out.header, "Content-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\n",
         out.text.size());
  out.parts.push_back({false, 0, out.text.size()});
  out.body_length = out.text.size();
  finish_header(out);
}

std::string RequestHandler::host(const RequestHead& request) const
{
  return fmt::format("{}://{}", options_.tls ? "https" : "http",
                     is_plain_host(request.host) ? std::string_view(request.host)
                                                 : std::string_view(options_.local_host));
}

void RequestHandler::handle(const RequestHead& request, const SiteState& site, bool close,
                            Response& out)
{
  out.clear();
  out.close = close;
  // An error page: status line, a one-line text body, and maybe one more field.
  auto fail = [&](unsigned status, std::string_view extra_field = {}, std::string_view line = {}) {
    out.clear();
    out.close = close;
    auto body = line.empty() ? fmt::format("{} {}\n", status, status_reason(status))
                             : fmt::format("{} {}: {}\n", status, status_reason(status), line);
    page(status, "text/plain; charset=utf-8", std::move(body), request, out);
    out.header += extra_field;
    finish_header(out);
  };

  if (request.method == Method::other) {
    return fail(405, "Allow: GET, HEAD\r\n");
  }
  switch (check_target(request.target, target_)) {
  case TargetCheck::bad_request:
    return fail(400);
  case TargetCheck::not_found:
    return fail(404);
  case TargetCheck::ok:
    break;
  }
  if (!request.authorization.empty() && !options_.tls && !options_.allow_plain_auth) {
    // The secret has already crossed the network in clear; refusing it
    // makes the mistake visible instead of quietly working.
    return fail(403, {}, "credentials are refused over plain HTTP (use https)");
  }
  if (target_.farm.empty()) {
    page(200, "text/plain; charset=utf-8", root_page(site, host(request)), request, out);
    return finish_header(out);
  }
  const ServedFarm* farm = site.find(target_.farm);
  if (!farm) {
    return fail(404);
  }
  if (farm->is_private) {
    if (!options_.tls && !options_.allow_plain_auth) {
      return fail(404); // not served over plain HTTP: as if it did not exist
    }
    const Token* token = nullptr;
    if (auto credentials = parse_basic_auth(request.authorization)) {
      token = site.tokens.verify(credentials->user, credentials->password);
    }
    if (!token) {
      // The realm names the server, never the farm.
      return fail(401, "WWW-Authenticate: Basic realm=\"prepo\", charset=\"UTF-8\"\r\n");
    }
    if (!token->grants(farm->name)) {
      return fail(404);
    }
    out.user = token->name;
  }
  int dir_fd = farm->dir.get();
  util::Fd late_dir; // a farm first published after the snapshot was made
  if (dir_fd < 0) {
    late_dir = util::Fd(::openat(site.public_dir.get(), farm->name.c_str(),
                                 O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!late_dir) {
      return fail(404);
    }
    dir_fd = late_dir.get();
  }
  if (target_.path.empty()) {
    if (!target_.trailing_slash) {
      fail(301, {}, "see the farm's page with a trailing slash");
      out.header.insert(out.header.size() - 2, fmt::format("Location: /{}/\r\n", farm->name));
      return;
    }
    auto user = std::move(out.user);
    page(200, "text/plain; charset=utf-8", farm_page(*farm, host(request)), request, out);
    out.user = std::move(user);
    if (farm->is_private) {
      out.header += "Cache-Control: private\r\n";
    }
    return finish_header(out);
  }
  serve_file(request, *farm, dir_fd, out);
}

void RequestHandler::serve_file(const RequestHead& request, const ServedFarm& farm, int dir_fd,
                                Response& out)
{
  auto fail = [&](unsigned status) {
    const auto user = std::move(out.user);
    out.clear();
    out.user = user;
    auto body = fmt::format("{} {}\n", status, status_reason(status));
    page(status, "text/plain; charset=utf-8", std::move(body), request, out);
    finish_header(out);
  };
  out.file = open_beneath(dir_fd, target_.path);
  if (!out.file) {
    return fail(errno == EMFILE || errno == ENFILE ? 503 : 404);
  }
  struct stat st {};
  if (::fstat(out.file.get(), &st) != 0 || !S_ISREG(st.st_mode) || target_.trailing_slash) {
    return fail(404); // directories have no listing (apt never asks for one)
  }
  const auto size = static_cast<std::uint64_t>(st.st_size);
  const std::int64_t mtime = st.st_mtim.tv_sec;
  const auto etag =
      make_etag(st.st_ino, size, st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec);
  const auto type = content_type_for(target_.path);
  const auto last_modified = format_http_date(mtime);

  auto validators = [&] {
    append(out.header, "Last-Modified: {}\r\nETag: {}\r\n", last_modified, etag);
    if (farm.is_private) {
      out.header += "Cache-Control: private\r\n";
    }
  };

  const RequestConditions conditions{request.if_match, request.if_unmodified_since,
                                     request.if_none_match, request.if_modified_since};
  switch (evaluate_preconditions(conditions, etag, mtime)) {
  case Precondition::failed:
    return fail(412);
  case Precondition::not_modified:
    out.file.reset();
    start_header(304, &request, out);
    validators();
    return finish_header(out);
  case Precondition::proceed:
    break;
  }

  RangeSet ranges;
  if (request.method == Method::get && !request.range.empty() &&
      if_range_holds(request.if_range, etag, mtime)) {
    ranges = parse_range(request.range, size);
  }
  const bool with_body = request.method == Method::get;
  if (ranges.kind == RangeSet::unsatisfiable) {
    out.file.reset();
    start_header(416, &request, out);
    append(out.header, "Content-Range: bytes */{}\r\nContent-Length: 0\r\n", size);
    validators();
    return finish_header(out);
  }
  if (ranges.kind == RangeSet::full) {
    start_header(200, &request, out);
    append(out.header, "Content-Type: {}\r\nContent-Length: {}\r\nAccept-Ranges: bytes\r\n", type,
           size);
    validators();
    if (with_body && size > 0) {
      out.parts.push_back({true, 0, size});
      out.body_length = size;
    }
    return finish_header(out);
  }
  start_header(206, &request, out);
  if (ranges.count == 1) {
    const auto& r = ranges.ranges[0];
    append(out.header,
           "Content-Type: {}\r\nContent-Range: bytes {}-{}/{}\r\nContent-Length: {}\r\n", type,
           r.first, r.first + r.length - 1, size, r.length);
    out.parts.push_back({true, r.first, r.length});
    out.body_length = r.length;
  } else {
    // multipart/byteranges (RFC 9110 14.6): delimiter, part fields, bytes.
    const auto boundary =
        fmt::format("prepo-{:x}-{:x}", st.st_ino, static_cast<std::uint64_t>(mtime));
    for (std::size_t i = 0; i < ranges.count; ++i) {
      const auto& r = ranges.ranges[i];
      const auto start = out.text.size();
      append(out.text, "{}--{}\r\nContent-Type: {}\r\nContent-Range: bytes {}-{}/{}\r\n\r\n",
             i == 0 ? "" : "\r\n", boundary, type, r.first, r.first + r.length - 1, size);
      out.parts.push_back({false, start, out.text.size() - start});
      out.parts.push_back({true, r.first, r.length});
      out.body_length += out.text.size() - start + r.length;
    }
    const auto start = out.text.size();
    append(out.text, "\r\n--{}--\r\n", boundary);
    out.parts.push_back({false, start, out.text.size() - start});
    out.body_length += out.text.size() - start;
    append(out.header, "Content-Type: multipart/byteranges; boundary={}\r\nContent-Length: {}\r\n",
           boundary, out.body_length);
  }
  out.header += "Accept-Ranges: bytes\r\n";
  validators();
  finish_header(out);
}

} // namespace prepo::serve
