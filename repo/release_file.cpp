#include "repo/release_file.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include <fmt/format.h>

namespace prepo::repo {

namespace {

std::string join(const std::vector<std::string>& items)
{
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) {
      out += ' ';
    }
    out += item;
  }
  return out;
}

void add_field(std::string& out, std::string_view name, std::string_view value)
{
  if (!value.empty()) {
    out += fmt::format("{}: {}\n", name, value);
  }
}

} // namespace

std::string format_release_date(std::time_t t)
{
  std::tm tm{};
  gmtime_r(&t, &tm);
  // strftime's %a/%b follow the locale; apt wants the C names, so spell them.
  static constexpr const char* days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  return fmt::format("{}, {:02} {} {} {:02}:{:02}:{:02} UTC", days[tm.tm_wday], tm.tm_mday,
                     months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

std::optional<std::time_t> parse_release_date(std::string_view text)
{
  static constexpr std::string_view months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::string s(text);
  if (auto comma = s.find(','); comma != std::string::npos) {
    s.erase(0, comma + 1); // the weekday says nothing the date does not
  }
  int day = 0, year = 0, hour = 0, minute = 0, second = 0;
  char month[4] = {}, zone[8] = {};
  if (std::sscanf(s.c_str(), " %d %3s %d %d:%d:%d %7s", &day, month, &year, &hour, &minute, &second,
                  zone) < 6) {
    return std::nullopt;
  }
  std::tm tm{};
  tm.tm_mon = -1;
  for (int i = 0; i < 12; ++i) {
    if (months[i] == month) {
      tm.tm_mon = i;
    }
  }
  const std::string_view z(zone);
  long offset = 0;
  if ((z.size() == 5) && (z[0] == '+' || z[0] == '-')) {
    const int hh = std::atoi(std::string(z.substr(1, 2)).c_str());
    const int mm = std::atoi(std::string(z.substr(3, 2)).c_str());
    offset = (z[0] == '-' ? -1 : 1) * (hh * 3600L + mm * 60L);
  } else if (!z.empty() && z != "UTC" && z != "GMT" && z != "Z" && z != "UT") {
    return std::nullopt;
  }
  if (tm.tm_mon < 0 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
    return std::nullopt;
  }
  tm.tm_mday = day;
  tm.tm_year = year - 1900;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  return timegm(&tm) - offset;
}

std::string make_release(const ReleaseFields& fields, const std::vector<ReleaseEntry>& entries)
{
  std::string out;
  add_field(out, "Origin", fields.origin);
  add_field(out, "Label", fields.label);
  add_field(out, "Suite", fields.suite);
  add_field(out, "Version", fields.version);
  add_field(out, "Codename", fields.codename);
  add_field(out, "Date", format_release_date(fields.date));
  if (fields.valid_until) {
    add_field(out, "Valid-Until", format_release_date(*fields.valid_until));
  }
  if (fields.not_automatic) {
    add_field(out, "NotAutomatic", "yes");
  }
  if (fields.but_automatic_upgrades) {
    add_field(out, "ButAutomaticUpgrades", "yes");
  }
  if (fields.acquire_by_hash) {
    add_field(out, "Acquire-By-Hash", "yes");
  }
  add_field(out, "Architectures", join(fields.architectures));
  add_field(out, "Components", join(fields.components));
  add_field(out, "Description", fields.description);

  std::vector<const ReleaseEntry*> sorted;
  sorted.reserve(entries.size());
  for (const auto& entry : entries) {
    sorted.push_back(&entry);
  }
  std::sort(sorted.begin(), sorted.end(),
            [](const ReleaseEntry* a, const ReleaseEntry* b) { return a->path < b->path; });
  for (auto kind : util::all_hash_kinds) {
    out += fmt::format("{}:\n", util::release_field_name(kind));
    for (const auto* entry : sorted) {
      out += fmt::format(" {} {:>16} {}\n", entry->checksums.get(kind), entry->checksums.size,
                         entry->path);
    }
  }
  return out;
}

std::string make_index_release(const ReleaseFields& fields, std::string_view component,
                               std::string_view architecture)
{
  std::string out;
  add_field(out, "Archive", fields.suite.empty() ? fields.codename : fields.suite);
  add_field(out, "Origin", fields.origin);
  add_field(out, "Label", fields.label);
  add_field(out, "Version", fields.version);
  add_field(out, "Component", component);
  add_field(out, "Architecture", architecture);
  if (fields.acquire_by_hash) {
    add_field(out, "Acquire-By-Hash", "yes");
  }
  return out;
}

} // namespace prepo::repo
