#include "util/gpg.hpp"

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <gpgme.h>

#include "util/error.hpp"
#include "util/file.hpp"

namespace prepo::util::gpg {

namespace {

// Keyrings are small; anything bigger is not a keyring.
constexpr std::uint64_t max_keyring_size = std::uint64_t{64} << 20;

void initialize()
{
  // gpgme requires gpgme_check_version before any other call; a failed
  // attempt (exception) leaves the flag unset so the next call retries.
  static std::once_flag once;
  std::call_once(once, [] {
    if (gpgme_check_version(GPGME_VERSION) == nullptr) {
      throw Error("gpgme: library older than the {} prepo was built with", GPGME_VERSION);
    }
    if (gpgme_error_t err = gpgme_engine_check_version(GPGME_PROTOCOL_OpenPGP); err != 0) {
      throw Error("gpgme: OpenPGP engine (gpg) unusable: {}", gpgme_strerror(err));
    }
  });
}

std::string home_description(const std::string& home_dir)
{
  if (!home_dir.empty()) {
    return home_dir;
  }
  const char* env = std::getenv("GNUPGHOME");
  return env != nullptr && *env != '\0' ? env : "~/.gnupg";
}

void check(gpgme_error_t err, std::string_view what)
{
  if (err != 0) {
    throw Error("{}: {}", what, gpgme_strerror(err));
  }
}

class Context {
public:
  // An empty home_dir keeps gpg's own choice ($GNUPGHOME or ~/.gnupg).
  explicit Context(const std::string& home_dir)
  {
    initialize();
    check(gpgme_new(&ctx_), "gpgme_new");
    try {
      std::string what = "gpg (GNUPGHOME=" + home_description(home_dir) + ")";
      check(gpgme_set_protocol(ctx_, GPGME_PROTOCOL_OpenPGP), what);
      gpgme_set_armor(ctx_, 1);
      // Never ask on a terminal: signing keys have no passphrase, and a
      // prompt in the middle of a publish would hang it.
      check(gpgme_set_pinentry_mode(ctx_, GPGME_PINENTRY_MODE_LOOPBACK), what);
      if (!home_dir.empty()) {
        check(gpgme_ctx_set_engine_info(ctx_, GPGME_PROTOCOL_OpenPGP, nullptr, home_dir.c_str()),
              what);
      }
    } catch (...) {
      gpgme_release(ctx_);
      throw;
    }
  }
  ~Context()
  {
    if (ctx_ != nullptr) {
      gpgme_release(ctx_);
    }
  }
  Context(Context&& other) noexcept : ctx_(std::exchange(other.ctx_, nullptr)) {}
  Context& operator=(Context&&) = delete;
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  gpgme_ctx_t get() const { return ctx_; }

private:
  gpgme_ctx_t ctx_ = nullptr;
};

class Data {
public:
  // An empty buffer gpgme writes into.
  Data() { check(gpgme_data_new(&data_), "gpgme_data_new"); }
  // A view of `bytes`, not a copy: `bytes` must outlive the Data.
  explicit Data(std::string_view bytes)
  {
    check(gpgme_data_new_from_mem(&data_, bytes.data(), bytes.size(), 0),
          "gpgme_data_new_from_mem");
  }
  ~Data()
  {
    if (data_ != nullptr) {
      gpgme_data_release(data_);
    }
  }
  Data(Data&& other) noexcept : data_(std::exchange(other.data_, nullptr)) {}
  Data& operator=(Data&&) = delete;
  Data(const Data&) = delete;
  Data& operator=(const Data&) = delete;

  gpgme_data_t get() const { return data_; }

  // What gpgme wrote; the Data is empty afterwards.
  std::string take()
  {
    std::size_t size = 0;
    char* bytes = gpgme_data_release_and_get_mem(std::exchange(data_, nullptr), &size);
    std::string result(bytes != nullptr ? bytes : "", bytes != nullptr ? size : 0);
    gpgme_free(bytes);
    return result;
  }

private:
  gpgme_data_t data_ = nullptr;
};

class Key {
public:
  Key() = default;
  ~Key()
  {
    if (key_ != nullptr) {
      gpgme_key_unref(key_);
    }
  }
  Key(Key&& other) noexcept : key_(std::exchange(other.key_, nullptr)) {}
  Key& operator=(Key&&) = delete;
  Key(const Key&) = delete;
  Key& operator=(const Key&) = delete;

  gpgme_key_t* out() { return &key_; }
  gpgme_key_t get() const { return key_; }

private:
  gpgme_key_t key_ = nullptr;
};

// Why a secret key cannot sign, or "" if it can.
std::string unusable_reason(gpgme_key_t key)
{
  if (key->revoked != 0) {
    return "revoked";
  }
  if (key->expired != 0) {
    return "expired";
  }
  if (key->disabled != 0) {
    return "disabled";
  }
  if (key->invalid != 0) {
    return "invalid";
  }
  if (key->can_sign == 0) {
    return "not capable of signing";
  }
  return "";
}

std::string sign(std::string_view text, const SignOptions& options, gpgme_sig_mode_t mode)
{
  // The signer is always named explicitly, so the key resolve_signing_key
  // reports is the key that signs.
  std::string fingerprint = resolve_signing_key(options);
  std::string what = fmt::format("signing with key {} (GNUPGHOME={})", fingerprint,
                                 home_description(options.home_dir));
  Context ctx(options.home_dir);
  {
    Key key;
    check(gpgme_get_key(ctx.get(), fingerprint.c_str(), key.out(), 1), what);
    check(gpgme_signers_add(ctx.get(), key.get()), what);
  }
  Data in(text);
  Data out;
  gpgme_error_t err = gpgme_op_sign(ctx.get(), in.get(), out.get(), mode);
  gpgme_sign_result_t result = gpgme_op_sign_result(ctx.get());
  if (result != nullptr && result->invalid_signers != nullptr) {
    throw Error("{}: unusable signer: {}", what, gpgme_strerror(result->invalid_signers->reason));
  }
  check(err, what);
  if (result == nullptr || result->signatures == nullptr) {
    throw Error("{}: gpg made no signature", what);
  }
  return out.take();
}

// A GNUPGHOME that exists for one verification: the keyrings given are
// imported into it, so they, and nothing from the user's own keyring, are
// the trust anchor (like apt's signed-by).
class ThrowawayHome {
public:
  ThrowawayHome()
  {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern =
        std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/prepo-gpg-XXXXXX";
    // mkdtemp creates it with mode 0700, which gpg insists on.
    if (::mkdtemp(pattern.data()) == nullptr) {
      throw_errno("create temporary GNUPGHOME", pattern);
    }
    path_ = pattern;
    // Verification needs neither gpg-agent nor dirmngr; without this gpg
    // would start an agent that outlives the directory.
    write_file_atomic(path_ / "gpg.conf", "no-autostart\n", Durability::no_flush, 0600);
  }
  ~ThrowawayHome()
  {
    // After a failed verification gpgme can return before the gpg it
    // started has exited, and that gpg's lock files then appear after the
    // removal, which leaves the directory behind (ENOTEMPTY). So: again,
    // for up to half a second, until it is gone.
    for (int attempt = 0; attempt < 50; ++attempt) {
      std::error_code ec;
      std::filesystem::remove_all(path_, ec);
      if (!std::filesystem::exists(path_, ec) && !ec) {
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  ThrowawayHome(const ThrowawayHome&) = delete;
  ThrowawayHome& operator=(const ThrowawayHome&) = delete;

  const std::filesystem::path& path() const { return path_; }

private:
  std::filesystem::path path_;
};

// Key material to trust, and what to call it in messages.
struct TrustedKeys {
  std::string name;
  std::string bytes;
};

std::vector<TrustedKeys> read_keyrings(const std::vector<std::string>& keyring_files)
{
  std::vector<TrustedKeys> out;
  for (const std::string& file : keyring_files) {
    out.push_back({file, read_file(file, max_keyring_size)});
  }
  return out;
}

void import_keys(const Context& ctx, const std::vector<TrustedKeys>& keys)
{
  for (const TrustedKeys& key : keys) {
    Data data(key.bytes);
    check(gpgme_op_import(ctx.get(), data.get()), key.name + ": import keyring");
    gpgme_import_result_t result = gpgme_op_import_result(ctx.get());
    // A keyring without keys is a configuration mistake worth naming, not
    // something to discover later as "key not in keyring".
    if (result == nullptr || result->considered == 0) {
      throw Error("{}: no OpenPGP keys found", key.name);
    }
  }
}

std::string weak_digest(gpgme_hash_algo_t algo)
{
  switch (algo) {
  case GPGME_MD_MD5:
  case GPGME_MD_SHA1:
  case GPGME_MD_RMD160: // refused by apt alongside SHA1
    return fmt::format("weak digest {}", gpgme_hash_algo_name(algo));
  default:
    return "";
  }
}

VerifiedSignature judge(gpgme_signature_t sig)
{
  VerifiedSignature result;
  result.fingerprint = sig->fpr != nullptr ? sig->fpr : "";
  gpgme_err_code_t status = gpgme_err_code(sig->status);
  gpgme_sigsum_t summary = sig->summary;
  if (status == GPG_ERR_NO_PUBKEY || (summary & GPGME_SIGSUM_KEY_MISSING) != 0) {
    result.problem = "key not in keyring";
  } else if (status == GPG_ERR_BAD_SIGNATURE || (summary & GPGME_SIGSUM_RED) != 0) {
    result.problem = "bad signature";
  } else if (status == GPG_ERR_CERT_REVOKED || (summary & GPGME_SIGSUM_KEY_REVOKED) != 0) {
    result.problem = "key revoked";
  } else if (status == GPG_ERR_KEY_EXPIRED || (summary & GPGME_SIGSUM_KEY_EXPIRED) != 0) {
    result.problem = "key expired";
  } else if (status == GPG_ERR_SIG_EXPIRED || (summary & GPGME_SIGSUM_SIG_EXPIRED) != 0) {
    result.problem = "signature expired";
  } else if (status != GPG_ERR_NO_ERROR && !weak_digest(sig->hash_algo).empty()) {
    // gpg refuses an MD5 signature itself, as "General error": the reason
    // worth naming is the digest, which gpgme still reports.
    result.problem = weak_digest(sig->hash_algo);
  } else if (status != GPG_ERR_NO_ERROR) {
    result.problem = gpgme_strerror(sig->status);
  } else if (sig->wrong_key_usage != 0) {
    result.problem = "key not allowed to sign";
  } else {
    result.problem = weak_digest(sig->hash_algo);
  }
  // gpg cannot call the key trusted (GPGME_SIGSUM_VALID): a fresh home has no
  // ownertrust. A good signature there (status GPG_ERR_NO_ERROR) can only be
  // by an imported key, and the imported keys are the trust anchor.
  result.valid = result.problem.empty();
  return result;
}

VerifyResult collect(const Context& ctx)
{
  VerifyResult result;
  gpgme_verify_result_t verify = gpgme_op_verify_result(ctx.get());
  if (verify != nullptr) {
    for (gpgme_signature_t sig = verify->signatures; sig != nullptr; sig = sig->next) {
      result.signatures.push_back(judge(sig));
    }
  }
  return result;
}

bool is_blank(std::string_view line)
{
  return line.find_first_not_of(" \t\r") == std::string_view::npos;
}

std::string_view trim_end(std::string_view line)
{
  std::size_t end = line.find_last_not_of(" \t\r");
  return end == std::string_view::npos ? std::string_view{} : line.substr(0, end + 1);
}

// gpg accepts text around and between clear-signed blocks and reports the
// signatures of all of them together. Only a document that is exactly one
// signed block, as apt requires, lets "some signature is valid" mean "the
// text is signed".
void check_single_signed_block(std::string_view document)
{
  enum { before, message, signature, after } state = before;
  std::size_t pos = 0;
  while (pos < document.size()) {
    std::size_t end = document.find('\n', pos);
    std::string_view line =
        document.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos);
    pos = end == std::string_view::npos ? document.size() : end + 1;
    std::string_view armor = trim_end(line);
    switch (state) {
    case before:
      if (armor == "-----BEGIN PGP SIGNED MESSAGE-----") {
        state = message;
      } else if (!is_blank(line)) {
        throw Error("clear-signed document: text before -----BEGIN PGP SIGNED MESSAGE-----");
      }
      break;
    case message:
      // Signed lines starting with '-' are dash-escaped, so any line starting
      // with five dashes is armor.
      if (armor == "-----BEGIN PGP SIGNATURE-----") {
        state = signature;
      } else if (line.starts_with("-----")) {
        throw Error("clear-signed document: unexpected armor line '{}'", armor);
      }
      break;
    case signature:
      if (armor == "-----END PGP SIGNATURE-----") {
        state = after;
      } else if (line.starts_with("-----")) {
        throw Error("clear-signed document: unexpected armor line '{}'", armor);
      }
      break;
    case after:
      if (!is_blank(line)) {
        throw Error("clear-signed document: unsigned text after the signature");
      }
      break;
    }
  }
  if (state != after) {
    throw Error("clear-signed document: not a complete clear-signed message");
  }
}

struct Candidate {
  std::string fingerprint;
  std::string unusable; // why it cannot sign; "" if it can
};

// The keys `options.key` selects in the home directory (every secret key
// for an empty key), secret ones or public ones.
std::vector<Candidate> list_keys(const SignOptions& options, bool secret)
{
  Context ctx(options.home_dir);
  const std::string home = home_description(options.home_dir);
  const std::string what =
      options.key.empty()
          ? fmt::format("listing {} keys (GNUPGHOME={})", secret ? "secret" : "public", home)
          : fmt::format("{} key '{}' (GNUPGHOME={})", secret ? "signing" : "public", options.key,
                        home);
  check(gpgme_op_keylist_start(ctx.get(), options.key.empty() ? nullptr : options.key.c_str(),
                               secret ? 1 : 0),
        what);
  std::vector<Candidate> matches;
  for (;;) {
    Key key;
    gpgme_error_t err = gpgme_op_keylist_next(ctx.get(), key.out());
    if (gpgme_err_code(err) == GPG_ERR_EOF) {
      break;
    }
    check(err, what);
    if (key.get()->fpr != nullptr) {
      matches.push_back({key.get()->fpr, unusable_reason(key.get())});
    }
  }
  gpgme_op_keylist_end(ctx.get());
  return matches;
}

// The one key `options.key` names; Error naming it if none or several.
const Candidate& only_match(const SignOptions& options, const std::vector<Candidate>& matches,
                            std::string_view what)
{
  const std::string home = home_description(options.home_dir);
  if (matches.empty()) {
    throw Error("{} '{}': not found (GNUPGHOME={})", what, options.key, home);
  }
  if (matches.size() > 1) {
    std::string list;
    for (const Candidate& candidate : matches) {
      list += (list.empty() ? "" : ", ") + candidate.fingerprint;
    }
    throw Error("{} '{}': matches {} keys ({}); give a fingerprint", what, options.key,
                matches.size(), list);
  }
  return matches.front();
}

} // namespace

bool VerifyResult::any_valid() const
{
  return !valid_fingerprint().empty();
}

std::string VerifyResult::valid_fingerprint() const
{
  for (const VerifiedSignature& sig : signatures) {
    if (sig.valid) {
      return sig.fingerprint.empty() ? "?" : sig.fingerprint;
    }
  }
  return {};
}

std::string VerifyResult::describe() const
{
  if (signatures.empty()) {
    return "no signature";
  }
  std::string out;
  for (const VerifiedSignature& sig : signatures) {
    out += fmt::format("{}{} {}", out.empty() ? "" : "; ",
                       sig.fingerprint.empty() ? "unknown key" : sig.fingerprint, sig.problem);
  }
  return out;
}

std::string resolve_signing_key(const SignOptions& options)
{
  const std::string home = home_description(options.home_dir);
  const auto matches = list_keys(options, true);
  if (options.key.empty()) {
    // gpg's default signer is the first usable secret key.
    for (const Candidate& candidate : matches) {
      if (candidate.unusable.empty()) {
        return candidate.fingerprint;
      }
    }
    throw Error("no secret key available for signing (GNUPGHOME={})", home);
  }
  const Candidate& match = only_match(options, matches, "signing key");
  if (!match.unusable.empty()) {
    throw Error("signing key '{}': {} is {}", options.key, match.fingerprint, match.unusable);
  }
  return match.fingerprint;
}

std::string export_public_key(const SignOptions& options)
{
  const std::string fingerprint =
      only_match(options, list_keys(options, false), "public key").fingerprint;
  Context ctx(options.home_dir);
  Data out;
  check(gpgme_op_export(ctx.get(), fingerprint.c_str(), 0, out.get()),
        fmt::format("exporting public key {} (GNUPGHOME={})", fingerprint,
                    home_description(options.home_dir)));
  return out.take();
}

std::string clearsign(std::string_view text, const SignOptions& options)
{
  return sign(text, options, GPGME_SIG_MODE_CLEAR);
}

std::string detach_sign(std::string_view text, const SignOptions& options)
{
  return sign(text, options, GPGME_SIG_MODE_DETACH);
}

namespace {

VerifyResult verify_clearsigned_against(std::string_view document,
                                        const std::vector<TrustedKeys>& keys)
{
  check_single_signed_block(document);
  ThrowawayHome home;
  Context ctx(home.path().string());
  gpgme_set_offline(ctx.get(), 1); // never fetch keys from the network
  import_keys(ctx, keys);
  Data signed_data(document);
  Data plain;
  check(gpgme_op_verify(ctx.get(), signed_data.get(), nullptr, plain.get()),
        "clear-signed document: verify");
  VerifyResult result = collect(ctx);
  if (result.signatures.empty()) {
    throw Error("clear-signed document: no OpenPGP signature found");
  }
  // The text gpg checked, never a re-parse of `document`.
  result.signed_text = plain.take();
  return result;
}

VerifyResult verify_detached_against(std::string_view text, std::string_view signature,
                                     const std::vector<TrustedKeys>& keys)
{
  ThrowawayHome home;
  Context ctx(home.path().string());
  gpgme_set_offline(ctx.get(), 1);
  import_keys(ctx, keys);
  Data signature_data(signature);
  Data text_data(text);
  check(gpgme_op_verify(ctx.get(), signature_data.get(), text_data.get(), nullptr),
        "detached signature: verify");
  VerifyResult result = collect(ctx);
  if (result.signatures.empty()) {
    throw Error("detached signature: no OpenPGP signature found");
  }
  result.signed_text = std::string(text);
  return result;
}

} // namespace

VerifyResult verify_clearsigned(std::string_view document,
                                const std::vector<std::string>& keyring_files)
{
  return verify_clearsigned_against(document, read_keyrings(keyring_files));
}

VerifyResult verify_detached(std::string_view text, std::string_view signature,
                             const std::vector<std::string>& keyring_files)
{
  return verify_detached_against(text, signature, read_keyrings(keyring_files));
}

VerifyResult verify_clearsigned_by_key(std::string_view document, std::string_view public_key)
{
  return verify_clearsigned_against(document, {{"public key", std::string(public_key)}});
}

VerifyResult verify_detached_by_key(std::string_view text, std::string_view signature,
                                    std::string_view public_key)
{
  return verify_detached_against(text, signature, {{"public key", std::string(public_key)}});
}

} // namespace prepo::util::gpg
