#include "repo/names.hpp"

#include <fmt/format.h>

namespace prepo::repo {

namespace {

constexpr std::size_t max_file_name = 255;

bool is_lower_alnum(char c)
{
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}
bool is_alnum(char c)
{
  return is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}
bool is_safe_char(char c)
{
  return is_alnum(c) || c == '_' || c == '.' || c == '~' || c == '+' || c == '-';
}

} // namespace

std::string printable_name(std::string_view name)
{
  std::string out;
  for (char c : name) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7f || c == '\\') {
      out += fmt::format("\\x{:02x}", u);
    } else {
      out += c;
    }
  }
  return out;
}

bool is_safe_file_name(std::string_view name)
{
  if (name.empty() || name.size() > max_file_name || !is_alnum(name.front())) {
    return false;
  }
  for (char c : name) {
    if (!is_safe_char(c)) {
      return false;
    }
  }
  return name.find("..") == std::string_view::npos;
}

bool is_valid_package_name(std::string_view name)
{
  if (name.size() < 2 || !is_lower_alnum(name.front())) {
    return false;
  }
  for (char c : name) {
    if (!is_lower_alnum(c) && c != '+' && c != '.' && c != '-') {
      return false;
    }
  }
  return true;
}

bool is_valid_simple_name(std::string_view name)
{
  if (name.empty() || !is_lower_alnum(name.front())) {
    return false;
  }
  for (char c : name) {
    if (!is_lower_alnum(c) && c != '.' && c != '_' && c != '-') {
      return false;
    }
  }
  return true;
}

bool is_valid_architecture_name(std::string_view name)
{
  if (name.empty() || !is_lower_alnum(name.front())) {
    return false;
  }
  for (char c : name) {
    if (!is_lower_alnum(c) && c != '-') {
      return false;
    }
  }
  return true;
}

bool is_valid_suite_name(std::string_view name)
{
  return is_safe_file_name(name);
}

std::string pool_prefix(std::string_view source)
{
  // Debian splits the many lib* sources one level further (pool/main/libf/).
  if (source.size() > 3 && source.starts_with("lib")) {
    return std::string(source.substr(0, 4));
  }
  return std::string(source.substr(0, 1));
}

std::string describe_unsafe_name(std::string_view name)
{
  const std::string shown = "'" + printable_name(name) + "'";
  if (name.empty()) {
    return "the name is empty";
  }
  if (name.size() > max_file_name) {
    return fmt::format("{} is longer than {} bytes", shown, max_file_name);
  }
  for (char c : name) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      return fmt::format("{} contains control character \\x{:02x}", shown, u);
    }
  }
  if (name.find('/') != std::string_view::npos) {
    return shown + " contains '/'";
  }
  if (name.find("..") != std::string_view::npos) {
    return shown + " contains '..'";
  }
  if (!is_alnum(name.front())) {
    return fmt::format("{} starts with '{}'", shown, printable_name(name.substr(0, 1)));
  }
  for (char c : name) {
    if (!is_safe_char(c)) {
      return fmt::format("{} contains '{}'", shown, printable_name(std::string_view(&c, 1)));
    }
  }
  return shown + " is a safe name";
}

} // namespace prepo::repo
