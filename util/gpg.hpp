// Signing and verification through gpgme, with no terminal and no global
// state: every call makes its own context (protocol OpenPGP, armor on, the
// GNUPGHOME of the environment or an explicit home directory).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace prepo::util::gpg {

struct SignOptions {
  std::string key;      // key id, fingerprint or user id; empty: gpg's default key
  std::string home_dir; // empty: $GNUPGHOME or ~/.gnupg
};

// The text of an InRelease file: `text` clear-signed.
std::string clearsign(std::string_view text, const SignOptions& options);
// The text of a Release.gpg file: an armored detached signature of `text`.
std::string detach_sign(std::string_view text, const SignOptions& options);

// The fingerprint of the secret key `options.key` would select; Error if none
// or several match, naming the key.
std::string resolve_signing_key(const SignOptions& options);

// The public key `options.key` names in the signer's home directory,
// exported: what verifying prepo's own signatures trusts (prepo check).
// Error if none or several match, naming the key.
std::string export_public_key(const SignOptions& options);

struct VerifiedSignature {
  std::string fingerprint;
  bool valid = false;
  std::string problem; // empty when valid, else a short reason
};

struct VerifyResult {
  std::string signed_text; // only this text may be trusted and parsed
  std::vector<VerifiedSignature> signatures;
  bool any_valid() const;
  // The first valid signature's fingerprint; "" if none.
  std::string valid_fingerprint() const;
  // Every signature and why it does not count: "FPR expired; unknown key
  // no public key", or "no signature" (for error messages).
  std::string describe() const;
};

// Verify a clear-signed document against the keys in `keyring_files`
// (imported into a throwaway home directory). Each signature is judged on
// its own: valid, key known, digest not weak (MD5/SHA1 refused).
VerifyResult verify_clearsigned(std::string_view document,
                                const std::vector<std::string>& keyring_files);
// Verify a detached signature over `text`.
VerifyResult verify_detached(std::string_view text, std::string_view signature,
                             const std::vector<std::string>& keyring_files);

// The same against key material in memory (export_public_key's) instead
// of keyring files.
VerifyResult verify_clearsigned_by_key(std::string_view document, std::string_view public_key);
VerifyResult verify_detached_by_key(std::string_view text, std::string_view signature,
                                    std::string_view public_key);

} // namespace prepo::util::gpg
