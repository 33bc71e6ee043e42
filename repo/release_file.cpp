#include "repo/release_file.hpp"

#include <algorithm>

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
