#include "serve/basic_auth.hpp"

#include <cstdint>

#include "serve/field_text.hpp"

namespace prepo::serve {

namespace {

int base64_value(char c)
{
  if (c >= 'A' && c <= 'Z') {
    return c - 'A';
  }
  if (c >= 'a' && c <= 'z') {
    return c - 'a' + 26;
  }
  if (c >= '0' && c <= '9') {
    return c - '0' + 52;
  }
  if (c == '+') {
    return 62;
  }
  if (c == '/') {
    return 63;
  }
  return -1;
}

} // namespace

std::optional<std::string> base64_decode(std::string_view text)
{
  if (text.size() % 4 != 0) {
    return std::nullopt;
  }
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (std::size_t i = 0; i < text.size(); i += 4) {
    std::uint32_t v = 0;
    int pad = 0;
    for (std::size_t k = 0; k < 4; ++k) {
      const char c = text[i + k];
      if (c == '=' && i + 4 == text.size() && k >= 2) {
        ++pad;
        v <<= 6;
        continue;
      }
      const int d = base64_value(c);
      if (d < 0 || pad > 0) {
        return std::nullopt;
      }
      v = (v << 6) | static_cast<std::uint32_t>(d);
    }
    out.push_back(static_cast<char>(v >> 16));
    if (pad < 2) {
      out.push_back(static_cast<char>((v >> 8) & 0xFF));
    }
    if (pad < 1) {
      out.push_back(static_cast<char>(v & 0xFF));
    }
  }
  return out;
}

std::optional<Credentials> parse_basic_auth(std::string_view header)
{
  header = trim_ows(header);
  if (!starts_with_nocase(header, "basic ")) { // the scheme is case-insensitive
    return std::nullopt;
  }
  const auto token = trim_ows(header.substr(6));
  auto decoded = base64_decode(token);
  if (!decoded) {
    return std::nullopt;
  }
  for (char c : *decoded) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) {
      return std::nullopt;
    }
  }
  const auto colon = decoded->find(':');
  if (colon == std::string::npos) {
    return std::nullopt;
  }
  return Credentials{decoded->substr(0, colon), decoded->substr(colon + 1)};
}

} // namespace prepo::serve
