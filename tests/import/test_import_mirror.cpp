// import-mirror from a mirror built by hand on disk (file:// URLs, no
// signature): what a rerun against an unchanged Release leaves, how every
// listed package is accounted for, and when a distribution made from the
// Release joins conf/distributions.
#include "import/import_mirror.hpp"

#include <algorithm>
#include <set>

#include <gtest/gtest.h>

#include "repo/archive_fixture.hpp"
#include "repo/packages.hpp"
#include "util/error.hpp"
#include "util/file.hpp"
#include "util/hash.hpp"

namespace prepo::test {
namespace {

// Notes kept, to check what the user is told.
class Notes final : public util::Progress {
public:
  void start(std::string_view, std::uint64_t) override {}
  void advance(std::uint64_t) override {}
  void finish() override {}
  void note(std::string_view line) override { lines.emplace_back(line); }
  bool any(std::string_view part) const
  {
    return std::any_of(lines.begin(), lines.end(),
                       [&](const std::string& l) { return l.find(part) != std::string::npos; });
  }
  std::vector<std::string> lines;
};

// One stanza of the mirror's Packages index.
struct Listed {
  std::string name, version, architecture;
  fs::path file;        // the .deb the stanza's Filename, Size and SHA256 describe
  std::string filename; // empty: pool/main/<file name>
};

class ImportMirror : public ArchiveTest {
protected:
  fs::path mirror() const { return dir() / "mirror"; }
  std::string url() const { return "file://" + mirror().string(); }

  // Writes pool/, dists/skaro/main/binary-amd64/Packages and a Release
  // (Codename skaro) listing it.
  void write_mirror(const std::vector<Listed>& listed)
  {
    fs::remove_all(mirror());
    std::string packages;
    for (const auto& l : listed) {
      const auto filename =
          l.filename.empty() ? "pool/main/" + l.file.filename().string() : l.filename;
      if (l.filename.empty()) {
        fs::create_directories(mirror() / "pool/main");
        fs::copy_file(l.file, mirror() / filename, fs::copy_options::overwrite_existing);
      }
      const auto sums = util::checksum_file(l.file);
      packages += "Package: " + l.name + "\nVersion: " + l.version +
                  "\nArchitecture: " + l.architecture + "\nFilename: " + filename +
                  "\nSize: " + std::to_string(sums.size) + "\nSHA256: " + sums.sha256 + "\n\n";
    }
    const auto index = mirror() / "dists/skaro/main/binary-amd64/Packages";
    fs::create_directories(index.parent_path());
    util::write_file_atomic(index, packages);
    const auto sums = util::checksum_bytes(packages);
    util::write_file_atomic(mirror() / "dists/skaro/Release",
                            "Codename: skaro\nSuite: unstable\nComponents: main\n"
                            "Architectures: amd64\nSHA256:\n " +
                                sums.sha256 + " " + std::to_string(sums.size) +
                                " main/binary-amd64/Packages\n");
  }

  import::ImportReport import(const std::string& local, bool exact = false) {
    import::ImportMirrorOptions o;
  o.farm = "dev";
  o.mirror_url = url();
  o.dists = {{"skaro", local}};
  o.trust.allow_unsigned = true;
  o.exact = exact;
  o.publish = false;
  o.command = "import-mirror test";
  repo::Session::Options options;
  options.lock_timeout = std::chrono::milliseconds(2000);
  repo::Session session(root(), options, notes);
  return import::import_mirror(session, o);
}

std::set<std::string>
names(const std::string& dist)
{
  repo::Reader reader(root());
  std::set<std::string> out;
  for (const auto& p : repo::list_packages(reader, dist, "")) {
    out.insert(p.name);
  }
  return out;
}

static void expect_accounted(const import::ImportReport& r)
{
  EXPECT_EQ(r.listed, r.present + r.kept + r.imported + r.failures.size())
      << r.listed << " listed, " << r.present << " present, " << r.kept << " kept, " << r.imported
      << " imported, " << r.failures.size() << " failed";
}

Notes notes;
}; // namespace

// A rerun against the Release last imported stops early with no package
// list; with `exact` (a remote child's copy) that must not read as "the
// mirror lists nothing" and empty the distribution.
TEST_F(ImportMirror, AnUnchangedMirrorLeavesAnExactCopyAsItIs)
{
  write_mirror({{"alpha", "1.0", "amd64", make_deb("alpha", "1.0"), ""},
                {"beta", "1.0", "amd64", make_deb("beta", "1.0"), ""}});
  auto first = import("copy", true);
  EXPECT_EQ(first.imported, 2u);
  EXPECT_EQ(first.removed, 0u);
  for (int run = 0; run < 2; ++run) {
    notes.lines.clear();
    auto again = import("copy", true);
    EXPECT_TRUE(notes.any("nothing to do"));
    EXPECT_EQ(again.removed, 0u);
    EXPECT_EQ(again.present, 2u);
    EXPECT_EQ(again.listed, 2u);
    EXPECT_TRUE(again.failures.empty());
    EXPECT_EQ(names("dev/copy"), (std::set<std::string>{"alpha", "beta"}));
  }
  // What the mirror no longer lists does go.
  write_mirror({{"alpha", "1.0", "amd64", work() / "debs/alpha_1.0_amd64.deb", ""}});
  auto fewer = import("copy", true);
  EXPECT_EQ(fewer.removed, 1u);
  EXPECT_EQ(names("dev/copy"), (std::set<std::string>{"alpha"}));
}

TEST_F(ImportMirror, AStanzaPointingAtAnotherPackagesFileFails)
{
  const auto beta = make_deb("beta", "1.0");
  write_mirror({{"alpha", "1.0", "amd64", beta, ""},
                {"beta", "1.0", "amd64", beta, ""},
                {"gamma", "1.0", "amd64", make_deb("gamma", "1.0"), ""}});
  auto r = import("skaro");
  EXPECT_EQ(r.listed, 3u);
  EXPECT_EQ(r.imported, 2u);
  ASSERT_EQ(r.failures.size(), 1u);
  EXPECT_EQ(r.failures[0].rfind("skaro: alpha 1.0 (amd64): " + url() +
                                    "/pool/main/beta_1.0_amd64.deb: is beta 1.0 (amd64), not the "
                                    "package its Packages stanza lists",
                                0),
            0u)
      << r.failures[0];
  expect_accounted(r);
  EXPECT_EQ(names("dev/skaro"), (std::set<std::string>{"beta", "gamma"}));

  // Another version of the same package is no better.
  write_mirror({{"delta", "2.0", "amd64", make_deb("delta", "1.0"), ""}});
  r = import("skaro");
  ASSERT_EQ(r.failures.size(), 1u);
  EXPECT_NE(r.failures[0].find("is delta 1.0 (amd64), not the package"), std::string::npos)
      << r.failures[0];
  expect_accounted(r);
}

TEST_F(ImportMirror, RefusedStanzasAreListedAndFailed)
{
  write_mirror({{"alpha", "1.0", "amd64", make_deb("alpha", "1.0"), "../../etc/alpha.deb"},
                {"beta", "1.0", "amd64", make_deb("beta", "1.0"), ""},
                {"gamma", "1.0", "amd64", make_deb("gamma", "1.0"), "pool//gamma.deb"}});
  auto r = import("skaro");
  EXPECT_EQ(r.listed, 3u);
  EXPECT_EQ(r.imported, 1u);
  EXPECT_EQ(r.failures.size(), 2u);
  expect_accounted(r);
}

// Made from the Release, the distribution joins conf/ with the commit that
// fills it: not when the import stops, not when nothing could be recorded.
TEST_F(ImportMirror, ADistributionMadeFromTheReleaseComesWithItsPackages)
{
  const auto before = util::read_file(root().distributions_file());
  write_mirror({{"alpha", "1.0", "amd64", make_deb("alpha", "1.0"), ""}});
  // The index does not match the Release: the run stops.
  util::write_file_atomic(mirror() / "dists/skaro/main/binary-amd64/Packages", "Package: x\n");
  EXPECT_THROW(import("copy"), util::Error);
  EXPECT_EQ(util::read_file(root().distributions_file()), before);
  EXPECT_FALSE(notes.any("added"));

  // Every package fails (its file is gone): nothing recorded, no distribution.
  write_mirror({{"alpha", "1.0", "amd64", work() / "debs/alpha_1.0_amd64.deb", ""}});
  fs::remove(mirror() / "pool/main/alpha_1.0_amd64.deb");
  auto r = import("copy");
  EXPECT_EQ(r.failures.size(), 1u);
  EXPECT_EQ(util::read_file(root().distributions_file()), before);
  EXPECT_FALSE(notes.any("added"));
  EXPECT_FALSE(fs::exists(root().pending_distributions_file()));

  write_mirror({{"alpha", "1.0", "amd64", work() / "debs/alpha_1.0_amd64.deb", ""}});
  r = import("copy");
  EXPECT_TRUE(r.failures.empty());
  EXPECT_TRUE(notes.any("distribution dev/copy added with components main and architectures "
                        "amd64 from the mirror's Release"));
  EXPECT_EQ(names("dev/copy"), (std::set<std::string>{"alpha"}));
  EXPECT_FALSE(fs::exists(root().pending_distributions_file()));
}

} // namespace prepo::test
} // namespace prepo::test
