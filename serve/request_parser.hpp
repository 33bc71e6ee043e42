// Beast's incremental HTTP/1.1 request parser, keeping only the fields the
// server uses (no per-field allocation) and enforcing the limits hostile
// clients meet: the head's size (Beast's header_limit), the number of
// fields, one Host/Range/Authorization each, and no request body.
#pragma once

#include <boost/beast/http/basic_parser.hpp>

#include "serve/request_handler.hpp"

namespace prepo::serve {

struct ParserLimits {
  std::uint32_t header_bytes = 16 * 1024;
  unsigned header_fields = 100;
};

class RequestParser : public boost::beast::http::basic_parser<true> {
public:
  // Fills `head` (cleared first). Construct one parser per request: Beast's
  // parsers are not reusable.
  RequestParser(RequestHead& head, const ParserLimits& limits);

  // The status to answer a parse error with: 431 for too large or too many
  // fields, 400 for the rest.
  static unsigned status_for(const boost::beast::error_code& ec);

private:
  using error_code = boost::beast::error_code;
  using string_view = boost::beast::string_view;

  void on_request_impl(boost::beast::http::verb method, string_view method_str, string_view target,
                       int version, error_code& ec) override;
  void on_response_impl(int, string_view, int, error_code& ec) override;
  void on_field_impl(boost::beast::http::field name, string_view name_string, string_view value,
                     error_code& ec) override;
  void on_header_impl(error_code& ec) override;
  void on_body_init_impl(const boost::optional<std::uint64_t>& content_length,
                         error_code& ec) override;
  std::size_t on_body_impl(string_view body, error_code& ec) override;
  void on_chunk_header_impl(std::uint64_t size, string_view extensions, error_code& ec) override;
  std::size_t on_chunk_body_impl(std::uint64_t remain, string_view body, error_code& ec) override;
  void on_finish_impl(error_code& ec) override;

  RequestHead& head_;
  unsigned fields_left_;
};

} // namespace prepo::serve
