#include "serve/tokens.hpp"

#include <algorithm>
#include <chrono>

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <openssl/rand.h>

#include "repo/deb822.hpp"
#include "repo/names.hpp"
#include "util/error.hpp"
#include "util/file.hpp"
#include "util/hash.hpp"

namespace prepo::serve {

namespace {

constexpr std::string_view header =
    "# Access tokens for private farms, written by 'prepo token' (docs/commands/token.md).\n"
    "# Only SHA-256 digests of the secrets are stored here.\n";

bool is_sha256_hex(std::string_view s)
{
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

} // namespace

bool Token::grants(std::string_view farm) const
{
  return std::find(farms.begin(), farms.end(), farm) != farms.end();
}

TokenFile TokenFile::parse(std::string_view text, std::string_view source)
{
  TokenFile file;
  std::size_t index = 0;
  for (const auto& stanza : repo::parse_deb822(text, source, true)) {
    ++index;
    const auto where = fmt::format("{} (stanza {})", source, index);
    for (const auto& field : stanza.fields()) {
      if (!repo::iequals(field.name, "Token") && !repo::iequals(field.name, "Farms") &&
          !repo::iequals(field.name, "SHA256") && !repo::iequals(field.name, "Created")) {
        throw util::Error("{}: unknown field '{}' (known: Token, Farms, SHA256, Created)", where,
                          field.name);
      }
    }
    Token token;
    token.name = std::string(stanza.require("Token", where));
    if (!repo::is_valid_simple_name(token.name)) {
      throw util::Error("{}: invalid token name '{}'", where, repo::printable_name(token.name));
    }
    for (auto farm : repo::words(stanza.require("Farms", where))) {
      token.farms.emplace_back(farm);
    }
    token.secret_sha256 = std::string(stanza.require("SHA256", where));
    if (!is_sha256_hex(token.secret_sha256)) {
      throw util::Error("{}: token {}: SHA256 must be 64 lowercase hex digits", where, token.name);
    }
    token.created = std::string(stanza.get("Created").value_or(""));
    if (std::any_of(file.tokens_.begin(), file.tokens_.end(),
                    [&](const Token& t) { return t.name == token.name; })) {
      throw util::Error("{}: token '{}' is defined twice", where, token.name);
    }
    file.tokens_.push_back(std::move(token));
  }
  return file;
}

TokenFile TokenFile::load(const repo::Root& root)
{
  const auto path = root.tokens_file();
  const auto text = util::read_file_if_exists(path);
  return text ? parse(*text, path.string()) : TokenFile{};
}

std::string TokenFile::to_text() const
{
  std::string out(header);
  for (const auto& t : tokens_) {
    out += fmt::format("\nToken: {}\nFarms: {}\nSHA256: {}\n", t.name, fmt::join(t.farms, " "),
                       t.secret_sha256);
    if (!t.created.empty()) {
      out += fmt::format("Created: {}\n", t.created);
    }
  }
  return out;
}

void TokenFile::save(const repo::Root& root) const
{
  util::write_file_atomic(root.tokens_file(), to_text(), util::Durability::flush, 0600);
}

std::string TokenFile::add(const std::string& name, std::vector<std::string> farms)
{
  if (!repo::is_valid_simple_name(name)) {
    throw util::Error("invalid token name '{}' (use lowercase letters, digits, '.', '_', '-')",
                      repo::printable_name(name));
  }
  if (std::any_of(tokens_.begin(), tokens_.end(), [&](const Token& t) { return t.name == name; })) {
    throw util::Error("token '{}' already exists (revoke it first to issue a new secret)", name);
  }
  if (farms.empty()) {
    throw util::Error("token '{}': give at least one --farm", name);
  }
  std::sort(farms.begin(), farms.end());
  farms.erase(std::unique(farms.begin(), farms.end()), farms.end());
  auto secret = new_secret();
  Token token;
  token.name = name;
  token.farms = std::move(farms);
  token.secret_sha256 = util::sha256_hex(secret);
  token.created =
      fmt::format("{:%Y-%m-%dT%H:%M:%SZ}",
                  std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()));
  tokens_.push_back(std::move(token));
  return secret;
}

bool TokenFile::revoke(std::string_view name)
{
  const auto it =
      std::find_if(tokens_.begin(), tokens_.end(), [&](const Token& t) { return t.name == name; });
  if (it == tokens_.end()) {
    return false;
  }
  tokens_.erase(it);
  return true;
}

const Token* TokenFile::verify(std::string_view name, std::string_view secret) const
{
  static const std::string no_token(64, '0');
  const auto it =
      std::find_if(tokens_.begin(), tokens_.end(), [&](const Token& t) { return t.name == name; });
  const auto digest = util::sha256_hex(secret);
  const bool equal =
      util::constant_time_equal(digest, it == tokens_.end() ? no_token : it->secret_sha256);
  return equal && it != tokens_.end() ? &*it : nullptr;
}

std::string new_secret()
{
  unsigned char raw[32];
  if (RAND_bytes(raw, sizeof raw) != 1) {
    throw util::Error("OpenSSL RAND_bytes: no random bytes available for a token secret");
  }
  static constexpr char alphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  std::uint32_t bits = 0;
  int have = 0;
  for (unsigned char b : raw) {
    bits = (bits << 8) | b;
    have += 8;
    while (have >= 6) {
      have -= 6;
      out.push_back(alphabet[(bits >> have) & 0x3F]);
    }
  }
  if (have > 0) {
    out.push_back(alphabet[(bits << (6 - have)) & 0x3F]);
  }
  return out;
}

} // namespace prepo::serve
