// prepo check on real roots: healthy after every kind of command, and a
// damaged store object is a problem that names the file.
#include "repo/check.hpp"

#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "repo/archive_fixture.hpp"
#include "repo/packages.hpp"
#include "support/gpg_home.hpp"
#include "support/scoped_env.hpp"
#include "util/file.hpp"
#include "util/gpg.hpp"
#include "util/hash.hpp"

namespace prepo::test {
namespace {

class Check : public ArchiveTest {
protected:
  repo::CheckReport check(bool verify_hashes = true)
  {
    repo::Reader reader(root());
    repo::CheckOptions options;
    options.verify_hashes = verify_hashes;
    return repo::check_root(reader, options, progress_);
  }

  static std::string joined(const std::vector<std::string>& lines)
  {
    std::string out;
    for (const auto& line : lines) {
      out += line + "\n";
    }
    return out;
  }

  static bool any_contains(const std::vector<std::string>& lines, const std::string& part)
  {
    for (const auto& line : lines) {
      if (line.find(part) != std::string::npos) {
        return true;
      }
    }
    return false;
  }

  fs::path object_path(const fs::path& deb) const
  {
    const auto sha = util::checksum_file(deb).sha256;
    return root().store_dir() / sha.substr(0, 2) / sha;
  }
};

TEST_F(Check, EmptyRootIsHealthy)
{
  const auto report = check();
  EXPECT_TRUE(report.ok()) << joined(report.problems);
  EXPECT_EQ(report.objects_checked, 0u);
}

TEST_F(Check, HealthyRootHasNoProblems)
{
  include({make_deb("hello", "1.0-1"), make_deb("hello-doc", "1.0-1", "all"),
           make_deb("world", "2.0")});
  const auto report = check();
  EXPECT_TRUE(report.ok()) << joined(report.problems);
  EXPECT_TRUE(report.problems.empty());
  EXPECT_EQ(report.objects_checked, 3u);
  EXPECT_GT(report.published_files_checked, 0u);
  EXPECT_TRUE(report.notes.empty()) << joined(report.notes);
}

TEST_F(Check, UnpublishedGenerationIsANoteNotAProblem)
{
  include({make_deb("hello", "1.0-1")});
  include_only({make_deb("hello", "2.0-1")});
  const auto report = check();
  EXPECT_TRUE(report.ok()) << joined(report.problems);
  EXPECT_TRUE(any_contains(report.notes, "not published")) << joined(report.notes);
}

TEST_F(Check, HealthyAfterReplaceRemoveAndRetention)
{
  include({make_deb("hello", "1.0-1"), make_deb("world", "1.0")});
  repo::IncludeOptions replace;
  replace.replace = true;
  include({make_deb("hello", "1.0-1", "amd64", "X-Rebuilt: yes\n", "rebuilt")}, replace);
  EXPECT_TRUE(check().ok()) << joined(check().problems);
  {
    auto session = open_session();
    repo::remove_packages(*session, "dev/skaro", {"world"}, {});
  }
  EXPECT_TRUE(check().ok()) << joined(check().problems);
  for (int i = 0; i < 5; ++i) {
    include({make_deb("pkg" + std::to_string(i), "1.0")});
    const auto report = check();
    EXPECT_TRUE(report.ok()) << "after pkg" << i << ":\n" << joined(report.problems);
  }
}

TEST_F(Check, CorruptStoreObjectIsAProblemNamingTheFile)
{
  const auto deb = make_deb("hello", "1.0-1");
  include({deb, make_deb("world", "1.0")});
  ASSERT_TRUE(check().ok());
  const auto object = object_path(deb);
  ASSERT_TRUE(fs::exists(object));
  fs::permissions(object, fs::perms::owner_write, fs::perm_options::add);
  {
    std::ofstream out(object, std::ios::binary | std::ios::app);
    out << 'x';
  }
  for (bool verify : {true, false}) {
    const auto report = check(verify);
    EXPECT_FALSE(report.ok());
    EXPECT_TRUE(any_contains(report.problems, object.string())) << joined(report.problems);
  }
}

TEST_F(Check, SameSizeCorruptionIsFoundByHashing)
{
  const auto deb = make_deb("hello", "1.0-1");
  include({deb});
  const auto object = object_path(deb);
  fs::permissions(object, fs::perms::owner_write, fs::perm_options::add);
  {
    std::fstream f(object, std::ios::binary | std::ios::in | std::ios::out);
    f.seekp(-1, std::ios::end);
    const char last = static_cast<char>(f.peek());
    f.seekp(-1, std::ios::end);
    f.put(static_cast<char>(last ^ 0x55));
  }
  const auto report = check(true);
  EXPECT_FALSE(report.ok());
  EXPECT_TRUE(any_contains(report.problems, object.string())) << joined(report.problems);
}

TEST_F(Check, MissingPoolFileIsAProblem)
{
  include({make_deb("hello", "1.0-1")});
  const auto pool_file = farm_dir() / "pool/skaro/main/h/hello/hello_1.0-1_amd64.deb";
  ASSERT_TRUE(fs::exists(pool_file));
  fs::remove(pool_file);
  const auto report = check();
  EXPECT_FALSE(report.ok());
  EXPECT_TRUE(any_contains(report.problems, pool_file.string())) << joined(report.problems);
}

TEST_F(Check, AFileThePreviousPublishListsMustStay)
{
  // A client that read the previous InRelease fetches its indexes, from the
  // retained dists/skaro@1 or by-hash through dists/skaro, then the pool
  // files they list. (Until retention expired such directories, check
  // looked only at the current indexes.)
  include({make_deb("hello", "1.0-1")});
  include({make_deb("hello", "1.1-1")});
  ASSERT_TRUE(check().ok()) << joined(check().problems);
  const auto pool_file = farm_dir() / "pool/skaro/main/h/hello/hello_1.0-1_amd64.deb";
  ASSERT_TRUE(fs::exists(pool_file)) << "generation 1 is kept";
  fs::remove(pool_file);
  const auto report = check();
  EXPECT_FALSE(report.ok());
  const auto listed = pool_file.string() + ": listed in ";
  EXPECT_TRUE(any_contains(report.problems, listed + (farm_dir() / "dists/skaro@1").string()))
      << joined(report.problems);
  EXPECT_TRUE(any_contains(report.problems, "/by-hash/SHA256/")) << joined(report.problems);
}

TEST_F(Check, ChangedIndexIsAProblem)
{
  include({make_deb("hello", "1.0-1")});
  const auto packages = top() / "main/binary-amd64/Packages";
  // Published files are hard links shared with by-hash: replace, not edit.
  const auto text = util::read_file(packages) + "\n";
  fs::remove(packages);
  util::write_file_atomic(packages, text);
  const auto report = check();
  EXPECT_FALSE(report.ok());
  EXPECT_TRUE(any_contains(report.problems, packages.string())) << joined(report.problems);
}

// A kill between storing files and committing leaves objects no record
// knows; gc removes them. A note, not a problem.
TEST_F(Check, UnrecordedStoreObjectsAreANote)
{
  include({make_deb("hello", "1.0-1")});
  for (const char* sha : {"ab00000000000000000000000000000000000000000000000000000000000000",
                          "cd00000000000000000000000000000000000000000000000000000000000000"}) {
    write_text(root().store_dir() / std::string(sha, 2) / sha, "left by a killed include\n");
  }
  const auto report = check();
  EXPECT_TRUE(report.ok()) << joined(report.problems);
  ASSERT_EQ(report.notes.size(), 1u) << joined(report.notes);
  EXPECT_EQ(report.notes[0], "2 files in " + root().store_dir().string() +
                                 " are not recorded (left by a killed command, or being stored by "
                                 "a running one); prepo gc removes them");
}

// dev/skaro signed with a throwaway key: GNUPGHOME is the signer's home,
// as for every command that publishes.
class SignedCheck : public Check {
protected:
  static void SetUpTestSuite()
  {
    if (!have_tool("gpg")) {
      return;
    }
    dir_ = std::make_unique<util::TempDir>(fs::temp_directory_path(), "prepo-check-gpg-");
    signer_ = std::make_unique<GpgHome>(dir_->path(), "signer",
                                        std::vector<std::string>{"Check <check@example.org>"});
    fingerprint_ = signer_->fingerprint;
  }
  static void TearDownTestSuite()
  {
    signer_.reset();
    dir_.reset();
  }

  void SetUp() override
  {
    Check::SetUp();
    if (IsSkipped()) {
      return;
    }
    if (fingerprint_.size() != 40) {
      GTEST_SKIP() << "gpg is not installed or made no key";
    }
    gnupghome_.emplace("GNUPGHOME", signer_->dir.string());
    // dev/skaro is the last stanza: its SignWith.
    auto text = util::read_file(root().distributions_file());
    util::write_file_atomic(root().distributions_file(), text + "SignWith: " + fingerprint_ + "\n");
  }

  void TearDown() override
  {
    gnupghome_.reset();
    Check::TearDown();
  }

  // Replaced, not edited: published files may be hard links.
  static void replace(const fs::path& path, const std::string& text)
  {
    fs::remove(path);
    util::write_file_atomic(path, text);
  }

  static std::unique_ptr<util::TempDir> dir_;
  static std::unique_ptr<GpgHome> signer_;
  static std::string fingerprint_;
  std::optional<ScopedEnv> gnupghome_;
};

std::unique_ptr<util::TempDir> SignedCheck::dir_;
std::unique_ptr<GpgHome> SignedCheck::signer_;
std::string SignedCheck::fingerprint_;

TEST_F(SignedCheck, SignedDistributionIsHealthy)
{
  include({make_deb("hello", "1.0-1")});
  ASSERT_TRUE(fs::exists(top() / "InRelease"));
  ASSERT_TRUE(fs::exists(top() / "Release.gpg"));
  const auto report = check();
  EXPECT_TRUE(report.ok()) << joined(report.problems);
  EXPECT_TRUE(report.notes.empty()) << joined(report.notes);
}

TEST_F(SignedCheck, MissingSignatureFilesAreProblems)
{
  include({make_deb("hello", "1.0-1")});
  fs::remove(top() / "Release.gpg");
  auto report = check();
  ASSERT_EQ(report.problems.size(), 1u) << joined(report.problems);
  EXPECT_EQ(report.problems[0], (top() / "Release.gpg").string() +
                                    ": missing (the distribution is signed: SignWith " +
                                    fingerprint_ + ")");
  fs::remove(top() / "InRelease");
  report = check();
  EXPECT_EQ(report.problems.size(), 2u) << joined(report.problems);
  EXPECT_TRUE(any_contains(report.problems, (top() / "InRelease").string() + ": missing"));
}

TEST_F(SignedCheck, DamagedSignaturesAreProblems)
{
  include({make_deb("hello", "1.0-1")});
  const auto inrelease = top() / "InRelease";
  auto text = util::read_file(inrelease);
  // A character of the signature's base64, past its first line.
  const auto at = text.find('\n', text.find("-----BEGIN PGP SIGNATURE-----") + 31) + 10;
  text[at] = text[at] == 'A' ? 'B' : 'A';
  replace(inrelease, text);
  auto detached = util::read_file(top() / "Release.gpg");
  const auto at2 = detached.find('\n', detached.find("-----BEGIN PGP SIGNATURE-----") + 31) + 10;
  detached[at2] = detached[at2] == 'A' ? 'B' : 'A';
  replace(top() / "Release.gpg", detached);
  const auto report = check();
  EXPECT_FALSE(report.ok());
  EXPECT_TRUE(any_contains(report.problems, inrelease.string() + ": ")) << joined(report.problems);
  EXPECT_TRUE(any_contains(report.problems, (top() / "Release.gpg").string() + ": "))
      << joined(report.problems);
}

TEST_F(SignedCheck, InReleaseSigningOtherTextIsAProblem)
{
  include({make_deb("hello", "1.0-1")});
  const auto release = util::read_file(top() / "Release");
  replace(top() / "InRelease",
          util::gpg::clearsign(release + "X-Injected: yes\n", {fingerprint_, ""}));
  const auto report = check();
  ASSERT_EQ(report.problems.size(), 1u) << joined(report.problems);
  EXPECT_EQ(report.problems[0],
            (top() / "InRelease").string() + ": signed text differs from Release");
}

TEST_F(SignedCheck, SignatureByAnotherKeyIsAProblem)
{
  include({make_deb("hello", "1.0-1")});
  // The same Release, signed by a key SignWith does not name.
  const GpgHome other(dir_->path(), "other", {"Other <other@example.org>"});
  const auto release = util::read_file(top() / "Release");
  replace(top() / "Release.gpg", util::gpg::detach_sign(release, other.options()));
  const auto report = check();
  ASSERT_EQ(report.problems.size(), 1u) << joined(report.problems);
  EXPECT_TRUE(report.problems[0].starts_with((top() / "Release.gpg").string() +
                                             ": no valid signature by SignWith " + fingerprint_))
      << report.problems[0];
}

// After SignWith (or any field) is edited, the tree still shows the old
// stanza until the next publish: a note, and no signature check meanwhile.
TEST_F(SignedCheck, EditedStanzaIsANoteUntilPublished)
{
  include({make_deb("hello", "1.0-1")});
  fs::remove(top() / "Release.gpg");
  auto text = util::read_file(root().distributions_file());
  util::write_file_atomic(root().distributions_file(), text + "Version: 2\n");
  const auto report = check();
  EXPECT_TRUE(report.ok()) << joined(report.problems);
  EXPECT_TRUE(any_contains(report.notes, "dev/skaro: its stanza in")) << joined(report.notes);
}

} // namespace
} // namespace prepo::test
