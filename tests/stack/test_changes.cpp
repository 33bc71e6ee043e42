// describe() and count(): every kind of change, classified with Debian
// version ordering (epochs, tildes, revisions, numeric parts), on real
// packages in two farms.
#include "stack/changes.hpp"

#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "repo/deb822.hpp"
#include "stack/stack_fixture.hpp"

namespace prepo::test {
namespace {

using stack::ChangeKind;

class Changes : public StackTest {
protected:
  std::vector<stack::PackageChange> described(const std::vector<stack::SlotChange>& changes)
  {
    repo::Reader reader(root());
    repo::DbTxn txn(reader.db, util::lmdb::Txn::Mode::read);
    return stack::describe(txn, changes);
  }

  static std::map<std::string, stack::PackageChange>
  by_name(const std::vector<stack::PackageChange>& changes)
  {
    std::map<std::string, stack::PackageChange> out;
    for (const auto& c : changes) {
      const auto key = c.name + (c.type == repo::RecordType::source ? ":source" : "");
      EXPECT_TRUE(out.emplace(key, c).second) << "twice: " << key;
    }
    return out;
  }
};

TEST_F(Changes, ClassifiesWithDebianVersionOrder)
{
  // name, version in prod (the parent, "old"), version in dev (the child, "new").
  struct Case {
    std::string name, old_version, new_version;
    ChangeKind kind;
  };
  const std::vector<Case> cases = {
      {"up-epoch", "2.0", "1:1.0", ChangeKind::upgraded},       // an epoch beats any upstream
      {"down-epoch", "1:0.1", "9.9", ChangeKind::downgraded},   //
      {"down-tilde", "1.0", "1.0~rc1", ChangeKind::downgraded}, // ~ sorts before nothing
      {"up-tilde", "1.0~~", "1.0~", ChangeKind::upgraded},      //
      {"up-revision", "1.0-1", "1.0-1+b1", ChangeKind::upgraded},
      {"up-numeric", "1.9", "1.10", ChangeKind::upgraded}, // numbers, not text
      {"down-revision", "1.0-10", "1.0-9", ChangeKind::downgraded},
      {"up-letters", "1.0a", "1.0b", ChangeKind::upgraded},
      {"down-plus", "1.0+dfsg", "1.0", ChangeKind::downgraded},
  };
  std::vector<DebSpec> specs;
  for (const auto& c : cases) {
    specs.emplace_back(c.name, c.old_version);
    specs.emplace_back(c.name, c.new_version);
  }
  specs.emplace_back("rebuilt", "1.0", "amd64", "", "prod bytes");
  specs.emplace_back("rebuilt", "1.0", "amd64", "", "dev bytes");
  specs.emplace_back("gone", "3.0", "all");
  specs.emplace_back("fresh", "0.1", "all", "Source: fresh-src (0.1-1)\n");
  specs.emplace_back("same", "1.0");
  const auto debs = build(specs);
  std::vector<fs::path> old_side, new_side;
  for (std::size_t i = 0; i < cases.size(); ++i) {
    old_side.push_back(debs[2 * i]);
    new_side.push_back(debs[2 * i + 1]);
  }
  const auto n = 2 * cases.size();
  old_side.push_back(debs[n]);
  new_side.push_back(debs[n + 1]);
  old_side.push_back(debs[n + 2]);
  new_side.push_back(debs[n + 3]);
  old_side.push_back(debs[n + 4]);
  new_side.push_back(debs[n + 4]);
  new_side.push_back(build_source(work() / "src", "hello", "2.0", "1"));
  put("prod/skaro", old_side);
  put("dev/skaro", new_side);

  const auto changes = described(farm_changes("dev", "prod"));
  const auto named = by_name(changes);
  ASSERT_EQ(changes.size(), cases.size() + 4) << "'same' is no change";
  for (const auto& c : cases) {
    ASSERT_TRUE(named.contains(c.name)) << c.name;
    const auto& pc = named.at(c.name);
    EXPECT_EQ(pc.kind, c.kind) << c.name << ": " << c.old_version << " -> " << c.new_version;
    EXPECT_EQ(pc.old_version, c.old_version);
    EXPECT_EQ(pc.new_version, c.new_version);
    EXPECT_EQ(pc.architecture, "amd64");
    EXPECT_EQ(pc.component, "main");
    EXPECT_EQ(pc.type, repo::RecordType::binary);
    EXPECT_FALSE(pc.slot.old_id.empty());
    EXPECT_FALSE(pc.slot.new_id.empty());
  }
  EXPECT_EQ(named.at("rebuilt").kind, ChangeKind::rebuilt);
  EXPECT_EQ(named.at("rebuilt").old_version, "1.0");
  EXPECT_EQ(named.at("rebuilt").new_version, "1.0");
  EXPECT_NE(named.at("rebuilt").slot.old_id, named.at("rebuilt").slot.new_id);

  EXPECT_EQ(named.at("gone").kind, ChangeKind::removed);
  EXPECT_EQ(named.at("gone").old_version, "3.0");
  EXPECT_EQ(named.at("gone").new_version, "");
  EXPECT_EQ(named.at("gone").architecture, "all");
  EXPECT_TRUE(named.at("gone").slot.new_id.empty());

  EXPECT_EQ(named.at("fresh").kind, ChangeKind::added);
  EXPECT_EQ(named.at("fresh").old_version, "");
  EXPECT_EQ(named.at("fresh").new_version, "0.1");

  ASSERT_TRUE(named.contains("hello:source"));
  const auto& src = named.at("hello:source");
  EXPECT_EQ(src.kind, ChangeKind::added);
  EXPECT_EQ(src.type, repo::RecordType::source);
  EXPECT_EQ(src.architecture, "source");
  EXPECT_EQ(src.source, "hello");

  // Source names (what --only also searches), as promote's plan reads them.
  stack::PromoteOptions all;
  all.only = ".";
  const auto planned = plan("dev", "prod", all);
  ASSERT_EQ(planned.dists.size(), 1u);
  const auto with_sources = by_name(planned.dists[0].second);
  ASSERT_EQ(with_sources.size(), changes.size());
  EXPECT_EQ(with_sources.at("fresh").source, "fresh-src")
      << "the Source field, without its version";
  EXPECT_EQ(with_sources.at("up-epoch").source, "up-epoch") << "no Source field: its own name";
  EXPECT_EQ(with_sources.at("gone").source, "gone");
  EXPECT_EQ(with_sources.at("hello:source").source, "hello");
  EXPECT_EQ(src.new_version, "2.0-1");

  const auto counts = stack::count(changes);
  EXPECT_EQ(counts.added, 2u);
  EXPECT_EQ(counts.removed, 1u);
  EXPECT_EQ(counts.rebuilt, 1u);
  EXPECT_EQ(counts.upgraded, 5u);
  EXPECT_EQ(counts.downgraded, 4u);
  EXPECT_EQ(counts.total(), changes.size());

  // The other way round every kind turns into its opposite.
  const auto back = by_name(described(farm_changes("prod", "dev")));
  for (const auto& c : cases) {
    EXPECT_EQ(back.at(c.name).kind,
              c.kind == ChangeKind::upgraded ? ChangeKind::downgraded : ChangeKind::upgraded)
        << c.name;
  }
  EXPECT_EQ(back.at("gone").kind, ChangeKind::added);
  EXPECT_EQ(back.at("fresh").kind, ChangeKind::removed);
  EXPECT_EQ(back.at("rebuilt").kind, ChangeKind::rebuilt);

  // The plan promote shows is the same classification.
  const auto plan_counts = plan("dev", "prod").counts();
  EXPECT_EQ(plan_counts.upgraded, counts.upgraded);
  EXPECT_EQ(plan_counts.downgraded, counts.downgraded);
  EXPECT_EQ(plan_counts.total(), counts.total());
  EXPECT_TRUE(plan("dev", "prod").is_destructive());

  // A removal is named by the record that goes.
  stack::PromoteOptions fresh;
  fresh.only = "^fresh$";
  promote("dev", "prod", fresh);
  remove("dev/skaro", {"fresh"});
  const auto removal = plan("dev", "prod", fresh);
  ASSERT_EQ(removal.dists[0].second.size(), 1u);
  EXPECT_EQ(removal.dists[0].second[0].kind, ChangeKind::removed);
  EXPECT_EQ(removal.dists[0].second[0].source, "fresh-src");
  EXPECT_TRUE(removal.is_destructive());
  expect_healthy("promote and remove");
}

TEST_F(Changes, GenerationChangesAreDescribedToo)
{
  const auto debs = build({{"tool", "1.0-1"}, {"tool", "1:0.5-1"}, {"lib", "2.0", "all"}});
  put("dev/skaro", {debs[0], debs[2]});
  put("dev/skaro", {debs[1]});
  remove("dev/skaro", {"lib"});
  const auto forward = by_name(described(gen_delta("dev", 1, 3)));
  ASSERT_EQ(forward.size(), 2u);
  EXPECT_EQ(forward.at("tool").kind, ChangeKind::upgraded);
  EXPECT_EQ(forward.at("tool").old_version, "1.0-1");
  EXPECT_EQ(forward.at("tool").new_version, "1:0.5-1");
  EXPECT_EQ(forward.at("lib").kind, ChangeKind::removed);
  const auto backward = by_name(described(gen_delta("dev", 3, 1)));
  EXPECT_EQ(backward.at("tool").kind, ChangeKind::downgraded);
  EXPECT_EQ(backward.at("lib").kind, ChangeKind::added);
  EXPECT_EQ(backward.at("lib").architecture, "all");

  // A record the database does not hold is an error naming it.
  const std::string bogus(64, 'f');
  auto message = error_of([&] {
    described(
        {{"skaro", repo::slot_key("main", repo::RecordType::binary, "tool", "amd64"), "", bogus}});
  });
  EXPECT_NE(message.find(bogus), std::string::npos) << message;
}

TEST(ChangeCounts, CountsEachKindAndTotals)
{
  std::vector<stack::PackageChange> changes(9);
  const ChangeKind kinds[] = {ChangeKind::added,   ChangeKind::added,      ChangeKind::upgraded,
                              ChangeKind::removed, ChangeKind::downgraded, ChangeKind::rebuilt,
                              ChangeKind::rebuilt, ChangeKind::rebuilt,    ChangeKind::removed};
  for (std::size_t i = 0; i < changes.size(); ++i) {
    changes[i].kind = kinds[i];
  }
  const auto c = stack::count(changes);
  EXPECT_EQ(c.added, 2u);
  EXPECT_EQ(c.upgraded, 1u);
  EXPECT_EQ(c.downgraded, 1u);
  EXPECT_EQ(c.rebuilt, 3u);
  EXPECT_EQ(c.removed, 2u);
  EXPECT_EQ(c.total(), 9u);
  EXPECT_EQ(stack::count({}).total(), 0u);
}

TEST(ChangeKinds, HaveStableNames)
{
  EXPECT_EQ(stack::to_string(ChangeKind::added), "added");
  EXPECT_EQ(stack::to_string(ChangeKind::upgraded), "upgraded");
  EXPECT_EQ(stack::to_string(ChangeKind::downgraded), "downgraded");
  EXPECT_EQ(stack::to_string(ChangeKind::rebuilt), "rebuilt");
  EXPECT_EQ(stack::to_string(ChangeKind::removed), "removed");
}

TEST(SourceName, FromTheSourceFieldWithoutVersionElseTheName)
{
  repo::Record binary;
  binary.type = repo::RecordType::binary;
  binary.name = "libfoo1";
  binary.stanza = "Package: libfoo1\nSource: foo (1.2-3)\nVersion: 1.2-3+b1\n";
  EXPECT_EQ(stack::source_name_of(binary), "foo");
  binary.stanza = "Package: libfoo1\nSource: foo\nVersion: 1.2-3\n";
  EXPECT_EQ(stack::source_name_of(binary), "foo");
  binary.stanza = "Package: libfoo1\nVersion: 1.2-3\n";
  EXPECT_EQ(stack::source_name_of(binary), "libfoo1");
  repo::Record udeb = binary;
  udeb.type = repo::RecordType::udeb;
  udeb.stanza = "Package: libfoo1\nSource: foo-installer\n";
  EXPECT_EQ(stack::source_name_of(udeb), "foo-installer");
  repo::Record source;
  source.type = repo::RecordType::source;
  source.name = "foo";
  source.stanza = "Package: foo\nBinary: libfoo1, foo-doc\nVersion: 1.2-3\n";
  EXPECT_EQ(stack::source_name_of(source), "foo");
}

} // namespace
} // namespace prepo::test
