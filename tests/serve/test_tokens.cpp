#include "serve/tokens.hpp"

#include <sys/stat.h>

#include <gtest/gtest.h>

#include "support/temp_dir.hpp"
#include "util/error.hpp"
#include "util/file.hpp"
#include "util/hash.hpp"

namespace prepo::serve {
namespace {

using TokenFileTest = test::TempDirTest;

TEST_F(TokenFileTest, RoundTripStoresOnlyTheHash)
{
  util::make_dirs(dir() / "conf");
  repo::Root root(dir());
  auto tokens = TokenFile::load(root);
  EXPECT_TRUE(tokens.tokens().empty()); // no file yet
  const auto secret = tokens.add("alice", {"rc", "alice", "rc"});
  EXPECT_EQ(secret.size(), 43u); // 32 bytes, base64url without padding
  EXPECT_EQ(
      secret.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
      std::string::npos);
  tokens.add("bob", {"bob"});
  tokens.save(root);

  struct stat st {};
  ASSERT_EQ(::stat(root.tokens_file().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  const auto text = util::read_file(root.tokens_file());
  EXPECT_EQ(text.find(secret), std::string::npos);
  EXPECT_NE(text.find(util::sha256_hex(secret)), std::string::npos);

  const auto again = TokenFile::load(root);
  ASSERT_EQ(again.tokens().size(), 2u);
  EXPECT_EQ(again.tokens()[0].farms, (std::vector<std::string>{"alice", "rc"}));
  EXPECT_EQ(again.to_text(), tokens.to_text());
  const Token* t = again.verify("alice", secret);
  ASSERT_NE(t, nullptr);
  EXPECT_TRUE(t->grants("rc"));
  EXPECT_FALSE(t->grants("bob"));
  EXPECT_EQ(again.verify("bob", secret), nullptr);
  EXPECT_EQ(again.verify("alice", secret + "x"), nullptr);
  EXPECT_EQ(again.verify("alice", ""), nullptr);
  EXPECT_EQ(again.verify("nobody", secret), nullptr);
}

TEST_F(TokenFileTest, SecretsDiffer)
{
  EXPECT_NE(new_secret(), new_secret());
}

TEST_F(TokenFileTest, AddAndRevokeRefuseWhatTheyShould)
{
  TokenFile tokens;
  tokens.add("alice", {"alice"});
  EXPECT_THROW(tokens.add("alice", {"alice"}), util::Error);
  EXPECT_THROW(tokens.add("Bad:Name", {"alice"}), util::Error);
  EXPECT_THROW(tokens.add("carol", {}), util::Error);
  EXPECT_FALSE(tokens.revoke("nobody"));
  EXPECT_TRUE(tokens.revoke("alice"));
  EXPECT_TRUE(tokens.tokens().empty());
}

TEST_F(TokenFileTest, MalformedFilesNameTheProblem)
{
  const std::string hash(64, 'a');
  auto message = [](std::string_view text) {
    try {
      TokenFile::parse(text, "conf/tokens");
    } catch (const util::Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(
      message("Token: a\nFarms: x\nSHA256: " + hash + "\nSecret: x\n"),
      "conf/tokens (stanza 1): unknown field 'Secret' (known: Token, Farms, SHA256, Created)");
  EXPECT_EQ(message("Token: a\nFarms: x\nSHA256: abc\n"),
            "conf/tokens (stanza 1): token a: SHA256 must be 64 lowercase hex digits");
  EXPECT_EQ(message("Token: a\nFarms: x\nSHA256: " + hash +
                    "\n\nToken: a\nFarms: y\nSHA256: " + hash + "\n"),
            "conf/tokens (stanza 2): token 'a' is defined twice");
  EXPECT_EQ(message("Token: a\nSHA256: " + hash + "\n"),
            "conf/tokens (stanza 1): missing field Farms");
}

} // namespace
} // namespace prepo::serve
