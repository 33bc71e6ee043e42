// Access tokens for private farms, kept in ROOT/conf/tokens (deb822, mode
// 0600). A token is a name, the farms it opens, and the SHA-256 of its
// secret: the secret itself is printed once by `prepo token add` and never
// stored. The secret is 32 random bytes, so a fast hash is enough: there
// is no low-entropy password to protect against guessing.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "repo/root.hpp"

namespace prepo::serve {

struct Token {
  std::string name;
  std::vector<std::string> farms;
  std::string secret_sha256; // lowercase hex
  std::string created;       // UTC, ISO 8601

  bool grants(std::string_view farm) const;
};

class TokenFile {
public:
  // A missing file is an empty token list; a malformed one is an Error
  // naming the file.
  static TokenFile load(const repo::Root& root);
  static TokenFile parse(std::string_view text, std::string_view source);
  std::string to_text() const;
  // Atomically, mode 0600.
  void save(const repo::Root& root) const;

  // Adds a token and returns its secret. Error if the name is invalid or taken.
  std::string add(const std::string& name, std::vector<std::string> farms);
  // False if there was no such token.
  bool revoke(std::string_view name);

  const std::vector<Token>& tokens() const { return tokens_; }
  // The token if `secret` is its secret. The digests are compared in
  // constant time, and an unknown name costs the same hash and compare.
  const Token* verify(std::string_view name, std::string_view secret) const;

private:
  std::vector<Token> tokens_;
};

// 32 bytes from OpenSSL's RAND_bytes, base64url without padding (43 characters).
std::string new_secret();

} // namespace prepo::serve
