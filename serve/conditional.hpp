// Validators and conditional requests (RFC 9110 sections 8.8 and 13): the
// ETag and Last-Modified of a published file, and what If-Match,
// If-Unmodified-Since, If-None-Match, If-Modified-Since and If-Range ask.
// Published files never change in place (a publish writes new files), so
// an ETag made from inode, size and mtime is a strong validator.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace prepo::serve {

// "\"<inode>-<size>-<mtime ns>\"" in hex.
std::string make_etag(std::uint64_t inode, std::uint64_t size, std::int64_t mtime_ns);

// IMF-fixdate, "Sun, 06 Nov 1994 08:49:37 GMT": 29 characters.
std::string format_http_date(std::int64_t unix_seconds);
// The three formats RFC 9110 5.6.7 requires recipients to accept
// (IMF-fixdate, RFC 850, asctime); nullopt for anything else.
std::optional<std::int64_t> parse_http_date(std::string_view text);

// An If-None-Match / If-Match list ("*" or comma-separated entity tags)
// contains `etag`. Weak comparison ignores "W/"; strong comparison needs
// both tags strong.
bool etag_list_matches(std::string_view list, std::string_view etag, bool strong);

struct RequestConditions {
  std::string_view if_match = {};
  std::string_view if_unmodified_since = {};
  std::string_view if_none_match = {};
  std::string_view if_modified_since = {};
};

enum class Precondition { proceed, not_modified, failed };

// RFC 9110 13.2.2 steps 1 to 4 for a GET or HEAD of a file with these
// validators: 412 (failed), 304 (not_modified) or go on.
Precondition evaluate_preconditions(const RequestConditions& request, std::string_view etag,
                                    std::int64_t mtime_seconds);

// If-Range (13.1.5): true if the Range header is to be honoured. An entity
// tag must match strongly; a date must equal Last-Modified exactly.
bool if_range_holds(std::string_view if_range, std::string_view etag, std::int64_t mtime_seconds);

} // namespace prepo::serve
