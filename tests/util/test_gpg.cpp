#include "util/gpg.hpp"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support/gpg_home.hpp"
#include "support/temp_dir.hpp"
#include "util/error.hpp"

using prepo::util::Error;
using prepo::util::TempDir;
namespace gpg = prepo::util::gpg;
namespace fs = std::filesystem;

namespace {

std::string slurp(const fs::path& path)
{
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void spit(const fs::path& path, std::string_view text)
{
  std::ofstream(path, std::ios::binary) << text;
}

int shell(const std::string& command)
{
  return std::system(command.c_str());
}

using Home = prepo::test::GpgHome;

const std::string release = "Origin: Test\nSuite: stable\n-dash line\nFrom here\n\nSHA256:\n";

class Gpg : public prepo::test::TempDirTest {
protected:
  static void SetUpTestSuite()
  {
    root = std::make_unique<TempDir>(fs::temp_directory_path(), "prepo-gpg-test-");
    a = std::make_unique<Home>(root->path(), "a",
                               std::vector<std::string>{"Alice <a@example.org>"});
    b = std::make_unique<Home>(root->path(), "b", std::vector<std::string>{"Bob <b@example.org>"});
  }
  static void TearDownTestSuite()
  {
    a.reset();
    b.reset();
    root.reset();
  }
  static std::unique_ptr<TempDir> root;
  static std::unique_ptr<Home> a;
  static std::unique_ptr<Home> b;
};

std::unique_ptr<TempDir> Gpg::root;
std::unique_ptr<Home> Gpg::a;
std::unique_ptr<Home> Gpg::b;

} // namespace

TEST_F(Gpg, ResolvesSigningKey)
{
  ASSERT_EQ(a->fingerprint.size(), 40u);
  EXPECT_EQ(gpg::resolve_signing_key(a->options()), a->fingerprint);
  EXPECT_EQ(gpg::resolve_signing_key(a->options("a@example.org")), a->fingerprint);
  EXPECT_EQ(gpg::resolve_signing_key(a->options(a->fingerprint)), a->fingerprint);
  try {
    gpg::resolve_signing_key(a->options("nobody@example.org"));
    FAIL() << "found a key that does not exist";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()).rfind("signing key 'nobody@example.org': not found", 0), 0u)
        << e.what();
  }
}

TEST_F(Gpg, AmbiguousOrMissingDefaultKeyIsAnError)
{
  Home dup(dir(), "dup", {"One <dup@example.org>", "Two <dup@example.org>"});
  try {
    gpg::resolve_signing_key(dup.options("dup@example.org"));
    FAIL() << "picked one of two matching keys";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()).rfind("signing key 'dup@example.org': matches 2 keys", 0), 0u)
        << e.what();
  }

  Home empty(dir(), "empty", {});
  try {
    gpg::clearsign(release, empty.options());
    FAIL() << "signed without a key";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()),
              "no secret key available for signing (GNUPGHOME=" + empty.dir.string() + ")");
  }
}

TEST_F(Gpg, ClearsignedVerifiesWithArmoredAndBinaryKeyrings)
{
  std::string document = gpg::clearsign(release, a->options());
  EXPECT_EQ(document.rfind("-----BEGIN PGP SIGNED MESSAGE-----\n", 0), 0u) << document;
  for (const std::string& keyring : {a->pub_asc(), a->pub_gpg()}) {
    SCOPED_TRACE(keyring);
    gpg::VerifyResult result = gpg::verify_clearsigned(document, {keyring});
    EXPECT_TRUE(result.any_valid());
    EXPECT_EQ(result.signed_text, release);
    ASSERT_EQ(result.signatures.size(), 1u);
    EXPECT_TRUE(result.signatures[0].valid);
    EXPECT_EQ(result.signatures[0].fingerprint, a->fingerprint);
    EXPECT_EQ(result.signatures[0].problem, "");
  }
  // Any of several keyrings may hold the key.
  EXPECT_TRUE(gpg::verify_clearsigned(document, {b->pub_asc(), a->pub_gpg()}).any_valid());
}

// prepo check verifies a distribution's signatures with the public key
// SignWith names in the signer's own home, and only with that key.
TEST_F(Gpg, ExportedPublicKeyVerifiesTheSignersSignaturesOnly)
{
  const std::string key = gpg::export_public_key(a->options("a@example.org"));
  EXPECT_FALSE(key.empty());
  const std::string document = gpg::clearsign(release, a->options());
  gpg::VerifyResult clear = gpg::verify_clearsigned_by_key(document, key);
  EXPECT_TRUE(clear.any_valid()) << clear.describe();
  EXPECT_EQ(clear.signed_text, release);
  const std::string signature = gpg::detach_sign(release, a->options());
  EXPECT_TRUE(gpg::verify_detached_by_key(release, signature, key).any_valid());
  EXPECT_FALSE(gpg::verify_detached_by_key(release + "x", signature, key).any_valid());

  const std::string other = gpg::export_public_key(b->options(b->fingerprint));
  gpg::VerifyResult by_b = gpg::verify_clearsigned_by_key(document, other);
  EXPECT_FALSE(by_b.any_valid());
  EXPECT_EQ(by_b.signatures.at(0).problem, "key not in keyring");

  try {
    gpg::export_public_key(a->options("nobody@example.org"));
    FAIL() << "exported a key that does not exist";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()).rfind("public key 'nobody@example.org': not found", 0), 0u)
        << e.what();
  }
}

TEST_F(Gpg, TamperedClearsignedIsInvalid)
{
  std::string document = gpg::clearsign(release, a->options());
  std::size_t at = document.find("Suite: stable");
  ASSERT_NE(at, std::string::npos);
  document.replace(at, 13, "Suite: evil!!");
  gpg::VerifyResult result = gpg::verify_clearsigned(document, {a->pub_asc()});
  EXPECT_FALSE(result.any_valid());
  ASSERT_EQ(result.signatures.size(), 1u);
  EXPECT_EQ(result.signatures[0].problem, "bad signature");
}

TEST_F(Gpg, OtherKeyringDoesNotValidate)
{
  std::string document = gpg::clearsign(release, a->options());
  gpg::VerifyResult result = gpg::verify_clearsigned(document, {b->pub_asc()});
  EXPECT_FALSE(result.any_valid());
  ASSERT_EQ(result.signatures.size(), 1u);
  EXPECT_FALSE(result.signatures[0].valid);
  EXPECT_EQ(result.signatures[0].problem, "key not in keyring");

  // No keyring at all: the user's own keyring must not be consulted.
  EXPECT_FALSE(gpg::verify_clearsigned(document, {}).any_valid());
}

TEST_F(Gpg, DetachedSignatureVerifies)
{
  std::string signature = gpg::detach_sign(release, a->options("a@example.org"));
  EXPECT_EQ(signature.rfind("-----BEGIN PGP SIGNATURE-----\n", 0), 0u) << signature;

  gpg::VerifyResult good = gpg::verify_detached(release, signature, {a->pub_asc()});
  EXPECT_TRUE(good.any_valid());
  EXPECT_EQ(good.signed_text, release);
  ASSERT_EQ(good.signatures.size(), 1u);
  EXPECT_EQ(good.signatures[0].fingerprint, a->fingerprint);

  gpg::VerifyResult tampered = gpg::verify_detached(release + "x", signature, {a->pub_asc()});
  EXPECT_FALSE(tampered.any_valid());
  EXPECT_EQ(tampered.signatures.at(0).problem, "bad signature");

  gpg::VerifyResult other = gpg::verify_detached(release, signature, {b->pub_gpg()});
  EXPECT_FALSE(other.any_valid());
  EXPECT_EQ(other.signatures.at(0).problem, "key not in keyring");
}

TEST_F(Gpg, RealGpgAcceptsDetachedSignature)
{
  spit(dir() / "Release", release);
  spit(dir() / "Release.gpg", gpg::detach_sign(release, a->options()));
  EXPECT_EQ(shell("GNUPGHOME=" + a->dir.string() + " gpg --batch --quiet --verify " +
                  (dir() / "Release.gpg").string() + " " + (dir() / "Release").string() +
                  " 2>/dev/null"),
            0);
}

TEST_F(Gpg, RealGpgvAcceptsClearsigned)
{
  spit(dir() / "InRelease", gpg::clearsign(release, a->options()));
  EXPECT_EQ(shell("gpgv --keyring " + a->pub_gpg() + " " + (dir() / "InRelease").string() +
                  " 2>/dev/null"),
            0);
  EXPECT_NE(shell("gpgv --keyring " + b->pub_gpg() + " " + (dir() / "InRelease").string() +
                  " 2>/dev/null"),
            0);
}

// gpg itself refuses MD5 (as "General error"); either way the digest is
// the reason named.
TEST_F(Gpg, WeakDigestSignaturesAreRefused)
{
  spit(dir() / "Release", release);
  for (const std::string digest : {"SHA1", "MD5"}) {
    a->gpg("--yes --digest-algo " + digest + " --clearsign -o " + (dir() / "InRelease").string() +
           " " + (dir() / "Release").string());
    gpg::VerifyResult result = gpg::verify_clearsigned(slurp(dir() / "InRelease"), {a->pub_asc()});
    EXPECT_FALSE(result.any_valid());
    ASSERT_EQ(result.signatures.size(), 1u);
    EXPECT_EQ(result.signatures[0].problem, "weak digest " + digest);
  }
}

TEST_F(Gpg, ClearsignedWithOutsideTextIsRefused)
{
  std::string document = gpg::clearsign(release, a->options());
  EXPECT_THROW(gpg::verify_clearsigned("Injected: yes\n" + document, {a->pub_asc()}), Error);
  EXPECT_THROW(gpg::verify_clearsigned(document + "Injected: yes\n", {a->pub_asc()}), Error);
  EXPECT_THROW(gpg::verify_clearsigned(document + document, {a->pub_asc()}), Error);
  EXPECT_THROW(gpg::verify_clearsigned("Origin: Test\n", {a->pub_asc()}), Error);
  // Trailing blank lines are harmless.
  EXPECT_TRUE(gpg::verify_clearsigned(document + "\n\n", {a->pub_asc()}).any_valid());
}

TEST_F(Gpg, BadKeyringIsAnError)
{
  std::string document = gpg::clearsign(release, a->options());
  spit(dir() / "junk.gpg", "this is not a key\n");
  EXPECT_THROW(gpg::verify_clearsigned(document, {(dir() / "junk.gpg").string()}), Error);
  EXPECT_THROW(gpg::verify_clearsigned(document, {(dir() / "missing.gpg").string()}), Error);
}

TEST_F(Gpg, VerifyLeavesNothingBehind)
{
  std::string document = gpg::clearsign(release, a->options());
  const char* old = std::getenv("TMPDIR");
  std::string saved = old != nullptr ? old : "";
  fs::create_directories(dir() / "tmp");
  ::setenv("TMPDIR", (dir() / "tmp").c_str(), 1);
  bool valid = gpg::verify_clearsigned(document, {a->pub_asc()}).any_valid();
  bool detached_valid =
      gpg::verify_detached(release, gpg::detach_sign(release, a->options()), {a->pub_asc()})
          .any_valid();
  if (old != nullptr) {
    ::setenv("TMPDIR", saved.c_str(), 1);
  } else {
    ::unsetenv("TMPDIR");
  }
  EXPECT_TRUE(valid);
  EXPECT_TRUE(detached_valid);
  EXPECT_TRUE(fs::is_empty(dir() / "tmp"));
  // No agent was started for the throwaway homes (the bracket keeps pgrep
  // from matching its own shell).
  EXPECT_NE(shell("pgrep -f 'gpg-agen[t].*" + (dir() / "tmp").string() + "' >/dev/null"), 0);
}
