// HTTP Basic credentials (RFC 7617): "Authorization: Basic base64(user:password)".
// prepo uses the token name as the user and the token's secret as the password.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace prepo::serve {

struct Credentials {
  std::string user;
  std::string password;
};

// nullopt for another scheme, bad base64, no ':' or control bytes.
std::optional<Credentials> parse_basic_auth(std::string_view header);

// Strict base64 (standard alphabet, '=' padding required to a multiple of 4).
std::optional<std::string> base64_decode(std::string_view text);

} // namespace prepo::serve
