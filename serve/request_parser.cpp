#include "serve/request_parser.hpp"

#include <algorithm>

#include <boost/beast/http/error.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/verb.hpp>

namespace prepo::serve {

namespace http = boost::beast::http;

RequestParser::RequestParser(RequestHead& head, const ParserLimits& limits)
    : head_(head), fields_left_(limits.header_fields)
{
  head_.clear();
  header_limit(limits.header_bytes);
  body_limit(0); // GET and HEAD carry no body; one would only be a way to make us read
}

unsigned RequestParser::status_for(const boost::beast::error_code& ec)
{
  return ec == http::error::header_limit ? 431 : 400;
}

void RequestParser::on_request_impl(http::verb method, string_view method_str, string_view target,
                                    int version, error_code& ec)
{
  if (version != 10 && version != 11) {
    ec = http::error::bad_version;
    return;
  }
  head_.method = method == http::verb::get    ? Method::get
                 : method == http::verb::head ? Method::head
                                              : Method::other;
  head_.method_text.assign(method_str.data(), method_str.size());
  head_.target.assign(target.data(), target.size());
  head_.version = static_cast<unsigned>(version);
}

void RequestParser::on_response_impl(int, string_view, int, error_code& ec)
{
  ec = http::error::bad_method; // never called for a request parser
}

void RequestParser::on_field_impl(http::field name, string_view, string_view value, error_code& ec)
{
  if (fields_left_-- == 0) {
    ec = http::error::header_limit;
    return;
  }
  // A field that decides access or what is sent must not come twice
  // (two Hosts are a smuggling trick; two Ranges or credentials are ambiguous).
  auto single = [&](std::string& slot) {
    if (!slot.empty()) {
      ec = http::error::bad_field;
      return;
    }
    slot.assign(value.data(), value.size());
    if (slot.empty()) {
      slot = " "; // present but empty: still counts as present
    }
  };
  switch (name) {
  case http::field::host:
    return single(head_.host);
  case http::field::authorization:
    return single(head_.authorization);
  case http::field::range:
    return single(head_.range);
  case http::field::if_range:
    return single(head_.if_range);
  case http::field::if_match:
    return single(head_.if_match);
  case http::field::if_unmodified_since:
    return single(head_.if_unmodified_since);
  case http::field::if_none_match:
    return single(head_.if_none_match);
  case http::field::if_modified_since:
    return single(head_.if_modified_since);
  case http::field::user_agent:
    head_.user_agent.assign(value.data(), std::min<std::size_t>(value.size(), 512));
    return;
  case http::field::referer:
    head_.referer.assign(value.data(), std::min<std::size_t>(value.size(), 512));
    return;
  default:
    return;
  }
}

void RequestParser::on_header_impl(error_code& ec)
{
  if (head_.version == 11 && head_.host.empty()) {
    ec = http::error::bad_field; // RFC 9112 3.2: an HTTP/1.1 request without Host is a 400
    return;
  }
  head_.keep_alive = keep_alive();
  if (head_.host == " ") {
    head_.host.clear();
  }
}

void RequestParser::on_body_init_impl(const boost::optional<std::uint64_t>& content_length,
                                      error_code& ec)
{
  if (!content_length || *content_length != 0) {
    ec = http::error::body_limit;
  }
}

std::size_t RequestParser::on_body_impl(string_view, error_code& ec)
{
  ec = http::error::body_limit;
  return 0;
}

void RequestParser::on_chunk_header_impl(std::uint64_t, string_view, error_code& ec)
{
  ec = http::error::body_limit;
}

std::size_t RequestParser::on_chunk_body_impl(std::uint64_t, string_view, error_code& ec)
{
  ec = http::error::body_limit;
  return 0;
}

void RequestParser::on_finish_impl(error_code&) {}

} // namespace prepo::serve
