// A distribution that comes with a database change joins conf/distributions
// with that change: installed after the commit, dropped without it, and
// finished by the next writer when a command was killed in between.
#include "repo/pending_distributions.hpp"

#include <gtest/gtest.h>

#include "repo/archive_fixture.hpp"
#include "util/error.hpp"
#include "util/file.hpp"

namespace prepo::test {
namespace {

class PendingDistributionsTest : public ArchiveTest {
protected:
  repo::Distribution gallifrey() const
  {
    repo::Distribution d;
    d.farm = "dev";
    d.codename = "gallifrey";
    d.components = {"main"};
    d.architectures = {"amd64"};
    return d;
  }

  bool configured(const std::string& name)
  {
    for (const auto* d : repo::Config::load(root()).distributions_of("dev")) {
      if (d->codename == name) {
        return true;
      }
    }
    return false;
  }

  fs::path pending_file() const { return root().pending_distributions_file(); }

  // What a command killed after staging leaves: the pending file, as
  // staged (the object's destructor never ran).
  void stage_and_die()
  {
    auto session = open_session();
    session->config().add_distribution(gallifrey());
    repo::PendingDistributions pending(root(), session->db(), session->config(), "dev");
    fs::copy_file(pending_file(), dir() / "left");
    // ~PendingDistributions drops it; the killed command never got there.
  }
  void restore_left() { fs::rename(dir() / "left", pending_file()); }
};

TEST_F(PendingDistributionsTest, InstalledAfterTheCommit)
{
  auto session = open_session();
  session->config().add_distribution(gallifrey());
  {
    repo::PendingDistributions pending(root(), session->db(), session->config(), "dev");
    EXPECT_TRUE(fs::exists(pending_file()));
    EXPECT_FALSE(configured("gallifrey")) << "conf/ changed before the commit";
    pending.install();
  }
  EXPECT_TRUE(configured("gallifrey"));
  EXPECT_TRUE(configured("skaro"));
  EXPECT_FALSE(fs::exists(pending_file()));
}

TEST_F(PendingDistributionsTest, DroppedWithoutInstall)
{
  const auto before = util::read_file(root().distributions_file());
  {
    auto session = open_session();
    session->config().add_distribution(gallifrey());
    repo::PendingDistributions pending(root(), session->db(), session->config(), "dev");
  }
  EXPECT_FALSE(fs::exists(pending_file()));
  EXPECT_EQ(util::read_file(root().distributions_file()), before);
}

// Killed before the transaction committed: the next writer drops it.
TEST_F(PendingDistributionsTest, NextWriterDropsWhatDidNotCommit)
{
  const auto before = util::read_file(root().distributions_file());
  stage_and_die();
  restore_left();
  {
    auto session = open_session();
    EXPECT_THROW(session->config().distribution("dev/gallifrey"), util::Error);
  }
  EXPECT_FALSE(fs::exists(pending_file()));
  EXPECT_EQ(util::read_file(root().distributions_file()), before);
}

// Killed after the commit, before conf/ was written: the next writer
// installs it, and sees it at once.
TEST_F(PendingDistributionsTest, NextWriterInstallsWhatCommitted)
{
  stage_and_die();
  include_only({make_deb("hello", "1.0-1")}); // the farm's generation moves on
  restore_left();
  {
    auto session = open_session();
    EXPECT_NO_THROW(session->config().distribution("dev/gallifrey"));
  }
  EXPECT_TRUE(configured("gallifrey"));
  EXPECT_FALSE(fs::exists(pending_file()));
}

TEST_F(PendingDistributionsTest, AnUnreadableFileIsDropped)
{
  const auto before = util::read_file(root().distributions_file());
  util::write_file_atomic(pending_file(), "garbage\nCodename: x\n");
  open_session();
  EXPECT_FALSE(fs::exists(pending_file()));
  EXPECT_EQ(util::read_file(root().distributions_file()), before);
}

} // namespace
} // namespace prepo::test
