#include "repo/deb822.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "support/shell.hpp"
#include "support/temp_dir.hpp"
#include "util/error.hpp"

namespace prepo::repo {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

std::string error_of(auto&& f)
{
  try {
    f();
  } catch (const util::Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(Deb822, ParsesStanzasSeparatedByAnyNumberOfBlankLines)
{
  const auto stanzas =
      parse_deb822("\n\nPackage: a\nVersion: 1\n\n\n \t\nPackage: b\r\n\n\n", "test");
  ASSERT_EQ(stanzas.size(), 2u);
  EXPECT_EQ(stanzas[0].get("Package"), "a");
  EXPECT_EQ(stanzas[0].get("version"), "1");
  EXPECT_EQ(stanzas[1].get("Package"), "b");
  EXPECT_FALSE(stanzas[1].has("Version"));
}

TEST(Deb822, TrimsFirstLineAndKeepsContinuationLinesVerbatim)
{
  const Stanza s = parse_single_stanza(
      "Description:   short text  \n  indented more  \n .\n\tTabbed\nX:y\nEmpty:\n", "t");
  EXPECT_EQ(s.get("Description"), "short text\n  indented more\n .\n\tTabbed");
  EXPECT_EQ(s.get("X"), "y");
  EXPECT_EQ(s.get("Empty"), "");
  EXPECT_EQ(s.fields()[0].name, "Description");
}

TEST(Deb822, ValueStartingOnNextLineRoundTrips)
{
  const std::string text = "Source: x\nFiles:\n abc 1 x.tar\n def 2 y.tar\nEmpty:\n";
  const Stanza s = parse_single_stanza(text, "t");
  EXPECT_EQ(s.get("Files"), "\n abc 1 x.tar\n def 2 y.tar");
  EXPECT_EQ(s.to_string(), text);
}

TEST(Deb822, ToStringWritesNameColonSpaceValue)
{
  Stanza s;
  s.set("Package", "a");
  s.set("Description", "short\n long");
  EXPECT_EQ(s.to_string(), "Package: a\nDescription: short\n long\n");
}

TEST(Deb822, KeepsFieldOrderAndNameSpelling)
{
  const Stanza s = parse_single_stanza("b: 1\nA: 2\nc-D: 3\n", "t");
  ASSERT_EQ(s.fields().size(), 3u);
  EXPECT_EQ(s.fields()[0].name, "b");
  EXPECT_EQ(s.fields()[1].name, "A");
  EXPECT_EQ(s.fields()[2].name, "c-D");
  EXPECT_EQ(s.get("C-d"), "3");
}

TEST(Deb822, LineWithoutColonIsAnErrorWithLineNumber)
{
  EXPECT_THAT(error_of([] { parse_deb822("A: 1\n\nB: 2\nnot a field\n", "src.txt"); }),
              StartsWith("src.txt:4: "));
}

TEST(Deb822, ContinuationOutsideAFieldIsAnError)
{
  EXPECT_THAT(error_of([] { parse_deb822(" orphan\n", "f"); }), StartsWith("f:1: "));
  EXPECT_THAT(error_of([] { parse_deb822("A: 1\n\n orphan\n", "f"); }), StartsWith("f:3: "));
}

TEST(Deb822, DuplicateFieldIsAnError)
{
  EXPECT_THAT(error_of([] { parse_deb822("Package: a\nVersion: 1\npackage: b\n", "f"); }),
              AllOf(StartsWith("f:3: "), HasSubstr("duplicate")));
  // The same name in another stanza is fine.
  EXPECT_EQ(parse_deb822("Package: a\n\nPackage: b\n", "f").size(), 2u);
}

TEST(Deb822, DuplicateFieldIsFoundInLargeStanzas)
{
  std::string text;
  for (int i = 0; i < 100; ++i) {
    text += "Field" + std::to_string(i) + ": v\n";
  }
  EXPECT_EQ(parse_single_stanza(text, "f").fields().size(), 100u);
  EXPECT_THAT(error_of([&] { parse_deb822(text + "FIELD7: again\n", "f"); }),
              StartsWith("f:101: "));
}

TEST(Deb822, RejectsBadFieldNames)
{
  EXPECT_THAT(error_of([] { parse_deb822("-Bad: 1\n", "f"); }), StartsWith("f:1: "));
  EXPECT_THAT(error_of([] { parse_deb822("#Bad: 1\n", "f"); }), StartsWith("f:1: "));
  EXPECT_THAT(error_of([] { parse_deb822("Sp ace: 1\n", "f"); }), StartsWith("f:1: "));
  EXPECT_THAT(error_of([] { parse_deb822(": 1\n", "f"); }), StartsWith("f:1: "));
  EXPECT_THAT(error_of([] { parse_deb822("Na\x01me: 1\n", "f"); }), StartsWith("f:1: "));
  EXPECT_THAT(error_of([] { parse_deb822("N\xc3\xa4me: 1\n", "f"); }), StartsWith("f:1: "));
}

TEST(Deb822, CommentsOnlyWhenAllowed)
{
  const std::string text = "# leading\nA: 1\n# inside\n more\nB: 2\n";
  const auto stanzas = parse_deb822(text, "conf", true);
  ASSERT_EQ(stanzas.size(), 1u);
  EXPECT_EQ(stanzas[0].get("A"), "1\n more");
  EXPECT_THAT(error_of([&] { parse_deb822(text, "conf"); }), StartsWith("conf:1: "));
}

TEST(Deb822, EmptyTextHasNoStanzas)
{
  EXPECT_TRUE(parse_deb822("", "f").empty());
  EXPECT_TRUE(parse_deb822("\n\n", "f").empty());
}

TEST(Deb822, SingleStanzaRequiresExactlyOne)
{
  EXPECT_EQ(parse_single_stanza("A: 1\n\n\n", "f").get("A"), "1");
  EXPECT_THAT(error_of([] { parse_single_stanza("\n", "f"); }), StartsWith("f: "));
  EXPECT_THAT(error_of([] { parse_single_stanza("A: 1\n\nB: 2\n", "f"); }), StartsWith("f:3: "));
}

TEST(Deb822, ForEachStanzaSeesEachInOrderAndMayMoveIt)
{
  std::vector<Stanza> kept;
  for_each_stanza("A: 1\n\nA: 2\nB: x\n y\n\n\nA: 3", "t", [&](Stanza& s) {
    if (s.get("A") != "2") {
      kept.push_back(std::move(s));
    }
  });
  ASSERT_EQ(kept.size(), 2u);
  EXPECT_EQ(kept[0].get("A"), "1");
  EXPECT_EQ(kept[1].get("A"), "3");
  EXPECT_THROW(for_each_stanza("A: 1\n\nno colon\n", "t", [](Stanza&) {}), util::Error);
}

TEST(Deb822, LastLineWithoutNewline)
{
  EXPECT_EQ(parse_single_stanza("A: 1\nB: 2", "f").get("B"), "2");
}

TEST(Deb822, RequireNamesSourceAndField)
{
  const Stanza s = parse_single_stanza("A: 1\n", "x.dsc");
  EXPECT_EQ(s.require("a", "x.dsc"), "1");
  EXPECT_EQ(error_of([&] { s.require("Version", "x.dsc"); }), "x.dsc: missing field Version");
}

TEST(Deb822, SetReplacesInPlaceOrAppends)
{
  Stanza s = parse_single_stanza("A: 1\nB: 2\n", "f");
  s.set("a", "10");
  s.set("C", "3");
  EXPECT_EQ(s.to_string(), "A: 10\nB: 2\nC: 3\n");
  EXPECT_TRUE(s.erase("b"));
  EXPECT_FALSE(s.erase("B"));
  EXPECT_EQ(s.to_string(), "A: 10\nC: 3\n");
}

TEST(Deb822, ValueLinesAndWords)
{
  const auto lines = value_lines("ignored\n  a b c  \n\n \td e\n");
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], "a b c");
  EXPECT_EQ(lines[1], "d e");
  EXPECT_TRUE(value_lines("single").empty());
  const auto w = words("  a\tbb \n c ");
  ASSERT_EQ(w.size(), 3u);
  EXPECT_EQ(w[0], "a");
  EXPECT_EQ(w[1], "bb");
  EXPECT_EQ(w[2], "c");
  EXPECT_TRUE(words(" \t").empty());
}

TEST(Deb822, Iequals)
{
  EXPECT_TRUE(iequals("Checksums-SHA256", "checksums-sha256"));
  EXPECT_FALSE(iequals("abc", "abd"));
  EXPECT_FALSE(iequals("abc", "ab"));
}

const std::string signed_text = "-----BEGIN PGP SIGNED MESSAGE-----\n"
                                "Hash: SHA512\n"
                                "\n"
                                "Source: x\n"
                                "- -dashed\n"
                                "Version: 1\n"
                                "-----BEGIN PGP SIGNATURE-----\n"
                                "\n"
                                "iQIzBAEBCgAdFiEE\n"
                                "=abcd\n"
                                "-----END PGP SIGNATURE-----\n";

TEST(ClearSign, StripsArmorAndDashEscaping)
{
  const Unwrapped u = strip_clearsign("\n  " + signed_text + "\n", "x.dsc");
  EXPECT_TRUE(u.was_signed);
  // The newline before the signature belongs to the signature (RFC 4880).
  EXPECT_EQ(u.body, "Source: x\n-dashed\nVersion: 1");
}

TEST(ClearSign, UnsignedTextIsReturnedUnchanged)
{
  const Unwrapped u = strip_clearsign("Source: x\nVersion: 1\n", "x.dsc");
  EXPECT_FALSE(u.was_signed);
  EXPECT_EQ(u.body, "Source: x\nVersion: 1\n");
}

TEST(ClearSign, MalformedArmorIsAnError)
{
  auto fails = [](const std::string& text) {
    return error_of([&] { strip_clearsign(text, "x.dsc"); });
  };
  const auto expected = StartsWith("x.dsc: malformed OpenPGP signature armor");
  const std::string end = "-----END PGP SIGNATURE-----\n";
  const std::string without_end = signed_text.substr(0, signed_text.size() - end.size());
  EXPECT_THAT(fails(without_end), expected);
  EXPECT_THAT(fails(signed_text + "Version: 2\n"), expected);
  EXPECT_THAT(fails("Version: 2\n" + signed_text), expected);
  EXPECT_THAT(fails(signed_text + signed_text), expected);
  EXPECT_THAT(fails("-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\nSource: x\n"), expected);
  EXPECT_THAT(fails("-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\nSource: x\n"), expected);
  EXPECT_THAT(fails("-----BEGIN PGP SIGNED MESSAGE-----\n\nA: 1\n-bad\n"
                    "-----BEGIN PGP SIGNATURE-----\n-----END PGP SIGNATURE-----\n"),
              expected);
}

// A document really signed by gpg, so the armor handling matches the tool.
class ClearSignGpg : public test::TempDirTest {};

TEST_F(ClearSignGpg, StripsWhatGpgWrites)
{
  if (!test::have_tool("gpg")) {
    GTEST_SKIP() << "gpg not installed";
  }
  const auto home = dir() / "gnupg";
  std::filesystem::create_directories(home);
  std::filesystem::permissions(home, std::filesystem::perms::owner_all);
  const std::string gpg = "gpg --homedir " + test::shell_quote(home.string()) +
                          " --batch --quiet --pinentry-mode loopback --passphrase ''";
  ASSERT_EQ(test::run_command(gpg + " --quick-gen-key 'Test <t@example.com>' ed25519 sign never "
                                    ">/dev/null 2>&1")
                .status,
            0);
  const std::string body = "Source: x\nVersion: 1\n-----BEGIN not armor\n-- two\nFiles:\n a 1 b\n";
  test::write_text(dir() / "in.txt", body);
  const auto signed_path = dir() / "in.txt.asc";
  ASSERT_EQ(test::run_command(gpg + " --clearsign --output " +
                              test::shell_quote(signed_path.string()) + " " +
                              test::shell_quote((dir() / "in.txt").string()) + " 2>/dev/null")
                .status,
            0);
  const Unwrapped u = strip_clearsign(test::read_text(signed_path), "in.txt.asc");
  EXPECT_TRUE(u.was_signed);
  EXPECT_EQ(u.body, body.substr(0, body.size() - 1));
}

} // namespace
} // namespace prepo::repo
