#include "pool/pool_linker.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "support/temp_dir.hpp"
#include "util/error.hpp"
#include "util/file.hpp"
#include "util/hash.hpp"

namespace fs = std::filesystem;
using prepo::pool::ContentStore;
using prepo::pool::PoolLink;
using prepo::pool::PoolLinker;
using prepo::util::sha256_hex;

namespace {

using PoolLinkerTest = prepo::test::TempDirTest;

ino_t inode_of(const fs::path& path)
{
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_ino;
}

// `count` objects in a fresh store, each with the pool path a package of
// its own would have.
std::vector<PoolLink> stored_packages(const ContentStore& store, int count)
{
  fs::create_directories(store.dir());
  std::vector<PoolLink> links;
  for (int i = 0; i < count; ++i) {
    const auto name = "pkg" + std::to_string(i);
    const auto bytes = "bytes of " + name;
    const auto sha = sha256_hex(bytes);
    store.add_bytes(bytes, sha);
    links.emplace_back(sha, "pool/skaro/main/p/" + name + "/" + name + "_1_all.deb");
  }
  return links;
}

} // namespace

TEST_F(PoolLinkerTest, LinksEveryObjectIntoTheDirectoriesItMakes)
{
  ContentStore store(dir() / "store");
  const auto links = stored_packages(store, 200);
  const auto farm = dir() / "public" / "dev";
  PoolLinker linker(store, farm, links);
  linker.wait();
  for (const auto& [sha, path] : links) {
    ASSERT_TRUE(fs::is_regular_file(farm / path)) << path;
    EXPECT_EQ(inode_of(farm / path), inode_of(store.object_path(sha))) << path;
  }
}

TEST_F(PoolLinkerTest, LinksThatExistAlreadyStay)
{
  ContentStore store(dir() / "store");
  const auto links = stored_packages(store, 5);
  const auto farm = dir() / "public" / "dev";
  PoolLinker(store, farm, links).wait();
  PoolLinker again(store, farm, links);
  EXPECT_NO_THROW(again.wait());
  EXPECT_EQ(inode_of(farm / links[0].second), inode_of(store.object_path(links[0].first)));
}

TEST_F(PoolLinkerTest, AMissingObjectFailsTheWait)
{
  ContentStore store(dir() / "store");
  auto links = stored_packages(store, 50);
  links.insert(links.begin() + 25,
               PoolLink{std::string(64, 'c'), "pool/skaro/main/g/gone/gone.deb"});
  PoolLinker linker(store, dir() / "public" / "dev", links);
  EXPECT_THROW(linker.wait(), prepo::util::Error);
  EXPECT_FALSE(fs::exists(dir() / "public" / "dev" / "pool/skaro/main/g/gone/gone.deb"));
}

TEST_F(PoolLinkerTest, NothingToLinkReturnsAtOnce)
{
  ContentStore store(dir() / "store");
  PoolLinker linker(store, dir() / "public" / "dev", {});
  EXPECT_NO_THROW(linker.wait());
}
