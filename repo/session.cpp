#include "repo/session.hpp"

#include <fmt/format.h>

#include "repo/pending_distributions.hpp"
#include "repo/publish.hpp"
#include "util/error.hpp"
#include "util/file.hpp"

namespace prepo::repo {

Session::Session(Root root, const Options& options, util::Progress& progress)
    : root_(std::move(root)), db_(std::make_unique<Database>(root_, false)),
      lock_(root_.lock_file(), options.lock_timeout, options.on_wait), config_(Config::load(root_)),
      store_(root_.store_dir()), progress_(progress)
{
  // A distribution a killed import added: it comes with its packages or not at all.
  if (finish_pending_distributions(root_, *db_)) {
    config_ = Config::load(root_);
  }
  // Scratch space of a killed writer: nobody else writes here while we hold the lock.
  std::error_code ec;
  fs::remove_all(root_.tmp_dir(), ec);
  util::make_dirs(root_.tmp_dir());
  run_pending_unlinks();
}

void Session::reopen_database()
{
  db_.reset();
  db_ = std::make_unique<Database>(root_, false);
}

void Session::run_pending_unlinks()
{
  std::vector<std::string> paths;
  {
    DbTxn txn(*db_, util::lmdb::Txn::Mode::read);
    paths = txn.pending_unlinks();
  }
  if (paths.empty()) {
    return;
  }
  for (const auto& path : paths) {
    const auto file = root_.dir() / path;
    util::remove_file_if_exists(file);
    // Pool directories that held only this file go too (a pool mirrors
    // what is published); the walk stops at the first non-empty one.
    std::error_code ec;
    for (auto dir = file.parent_path(); dir != root_.dir() && fs::is_empty(dir, ec) && !ec;
         dir = dir.parent_path()) {
      if (dir.filename() == "pool" || dir.filename() == "store" || !fs::remove(dir, ec)) {
        break;
      }
    }
  }
  DbTxn txn(*db_, util::lmdb::Txn::Mode::write);
  for (const auto& path : paths) {
    txn.clear_pending_unlink(path);
  }
  txn.commit();
}

void Session::finish_interrupted_publishes()
{
  std::vector<std::string> farms;
  {
    DbTxn txn(*db_, util::lmdb::Txn::Mode::read);
    for (const auto& farm : config_.farms()) {
      auto state = txn.farm_state(farm.name);
      if (state.publish_wanted > state.published) {
        farms.push_back(farm.name);
      }
    }
  }
  for (const auto& farm : farms) {
    progress_.note(fmt::format("finishing the interrupted publish of farm {}", farm));
    // A publish that cannot succeed (a key gone, a bad hand edit) must not
    // stop the commands that would fix it: say so and go on.
    try {
      publish_farm(*this, farm, PublishOptions{});
    } catch (const util::Error& e) {
      progress_.note(fmt::format("could not publish farm {} yet: {}", farm, e.what()));
    }
  }
}

Reader::Reader(Root r) : root(std::move(r)), config(Config::load(root)), db(root, true) {}

} // namespace prepo::repo
