#include "serve/conditional.hpp"

#include <array>
#include <ctime>

#include <fmt/format.h>

#include "serve/field_text.hpp"

namespace prepo::serve {

namespace {

constexpr std::array<std::string_view, 7> day_names{"Sun", "Mon", "Tue", "Wed",
                                                    "Thu", "Fri", "Sat"};
constexpr std::array<std::string_view, 12> month_names{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

// A small cursor over a date string; every read checks what it reads.
struct Cursor {
  std::string_view s;
  bool ok = true;

  bool literal(std::string_view l)
  {
    if (!ok || s.substr(0, l.size()) != l) {
      return ok = false;
    }
    s.remove_prefix(l.size());
    return true;
  }
  int digits(std::size_t min, std::size_t max)
  {
    int v = 0;
    std::size_t n = 0;
    while (ok && n < max && n < s.size() && s[n] >= '0' && s[n] <= '9') {
      v = v * 10 + (s[n] - '0');
      ++n;
    }
    if (n < min) {
      ok = false;
    }
    s.remove_prefix(n);
    return v;
  }
  int month()
  {
    for (std::size_t m = 0; m < month_names.size(); ++m) {
      if (s.substr(0, 3) == month_names[m]) {
        s.remove_prefix(3);
        return static_cast<int>(m);
      }
    }
    ok = false;
    return 0;
  }
  void day_name_then(std::string_view separator)
  {
    const auto end = s.find(separator);
    if (end == std::string_view::npos || end < 3) {
      ok = false;
      return;
    }
    s.remove_prefix(end + separator.size());
  }
};

std::optional<std::int64_t> to_unix(int year, int month, int day, int h, int m, int sec)
{
  if (month < 0 || month > 11 || day < 1 || day > 31 || h > 23 || m > 59 || sec > 60) {
    return std::nullopt;
  }
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month;
  tm.tm_mday = day;
  tm.tm_hour = h;
  tm.tm_min = m;
  tm.tm_sec = sec;
  return static_cast<std::int64_t>(timegm(&tm));
}

} // namespace

std::string make_etag(std::uint64_t inode, std::uint64_t size, std::int64_t mtime_ns)
{
  return fmt::format("\"{:x}-{:x}-{:x}\"", inode, size, static_cast<std::uint64_t>(mtime_ns));
}

std::string format_http_date(std::int64_t unix_seconds)
{
  const auto t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return fmt::format("{}, {:02} {} {:04} {:02}:{:02}:{:02} GMT", day_names[tm.tm_wday], tm.tm_mday,
                     month_names[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

std::optional<std::int64_t> parse_http_date(std::string_view text)
{
  text = trim_ows(text);
  const auto comma = text.find(',');
  Cursor c{text};
  int year = 0, month = 0, day = 0, h = 0, m = 0, sec = 0;
  if (comma == 3) { // IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT
    c.day_name_then(", ");
    day = c.digits(2, 2);
    c.literal(" ");
    month = c.month();
    c.literal(" ");
    year = c.digits(4, 4);
    c.literal(" ");
  } else if (comma != std::string_view::npos) { // RFC 850: Sunday, 06-Nov-94 08:49:37 GMT
    c.day_name_then(", ");
    day = c.digits(2, 2);
    c.literal("-");
    month = c.month();
    c.literal("-");
    year = c.digits(2, 2);
    year += year < 70 ? 2000 : 1900; // RFC 9110: 50 years in the future are in the past
    c.literal(" ");
  } else { // asctime: Sun Nov  6 08:49:37 1994
    c.day_name_then(" ");
    month = c.month();
    c.literal(" ");
    if (!c.s.empty() && c.s.front() == ' ') {
      c.s.remove_prefix(1);
    }
    day = c.digits(1, 2);
    c.literal(" ");
  }
  h = c.digits(2, 2);
  c.literal(":");
  m = c.digits(2, 2);
  c.literal(":");
  sec = c.digits(2, 2);
  if (comma == std::string_view::npos) {
    c.literal(" ");
    year = c.digits(4, 4);
  } else {
    c.literal(" GMT");
  }
  if (!c.ok || !c.s.empty()) {
    return std::nullopt;
  }
  return to_unix(year, month, day, h, m, sec);
}

bool etag_list_matches(std::string_view list, std::string_view etag, bool strong)
{
  list = trim_ows(list);
  if (list == "*") {
    return true;
  }
  while (!list.empty()) {
    const auto comma = list.find(',');
    auto tag = trim_ows(list.substr(0, comma));
    const bool weak = tag.starts_with("W/");
    if (weak) {
      tag.remove_prefix(2);
    }
    if (tag == etag && !(strong && weak)) {
      return true;
    }
    if (comma == std::string_view::npos) {
      break;
    }
    list.remove_prefix(comma + 1);
  }
  return false;
}

Precondition evaluate_preconditions(const RequestConditions& request, std::string_view etag,
                                    std::int64_t mtime_seconds)
{
  if (!request.if_match.empty()) {
    if (!etag_list_matches(request.if_match, etag, true)) {
      return Precondition::failed;
    }
  } else if (!request.if_unmodified_since.empty()) {
    if (const auto date = parse_http_date(request.if_unmodified_since);
        date && mtime_seconds > *date) {
      return Precondition::failed;
    }
  }
  if (!request.if_none_match.empty()) {
    if (etag_list_matches(request.if_none_match, etag, false)) {
      return Precondition::not_modified;
    }
  } else if (!request.if_modified_since.empty()) {
    // An invalid date is ignored (RFC 9110 13.1.3).
    if (const auto date = parse_http_date(request.if_modified_since);
        date && mtime_seconds <= *date) {
      return Precondition::not_modified;
    }
  }
  return Precondition::proceed;
}

bool if_range_holds(std::string_view if_range, std::string_view etag, std::int64_t mtime_seconds)
{
  if_range = trim_ows(if_range);
  if (if_range.empty()) {
    return true;
  }
  if (if_range.front() == '"' || if_range.starts_with("W/")) {
    return if_range == etag; // strong comparison: a weak tag never matches
  }
  const auto date = parse_http_date(if_range);
  return date && *date == mtime_seconds;
}

} // namespace prepo::serve
