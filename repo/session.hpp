// A writer's session on a root: the root lock, the configuration, the
// database, and the recovery every writer runs first (finish unlinks and
// publishes that a killed command left behind), so that no command ever
// needs a manual step after a crash.
#pragma once

#include <chrono>
#include <memory>
#include <optional>

#include "pool/store.hpp"
#include "repo/config.hpp"
#include "repo/database.hpp"
#include "repo/root.hpp"
#include "util/lock.hpp"
#include "util/progress.hpp"

namespace prepo::repo {

class Session {
public:
  struct Options {
    std::chrono::milliseconds lock_timeout{std::chrono::seconds(300)};
    util::FileLock::WaitNotice on_wait;
  };
  // Takes the root lock and opens the database for writing.
  Session(Root root, const Options& options, util::Progress& progress);

  const Root& root() const { return root_; }
  Config& config() { return config_; }
  Database& db() { return *db_; }
  const pool::ContentStore& store() const { return store_; }
  util::Progress& progress() { return progress_; }

  // Close and reopen the database: LMDB keeps the page buffers of a large
  // write transaction on a free list until the environment closes, so a
  // command that publishes after a large change reopens in between.
  void reopen_database();

  // Unlink files whose last reference went away in a committed transaction.
  void run_pending_unlinks();
  // Finish publishes a killed command left undone.
  void finish_interrupted_publishes();

private:
  Root root_;
  // Opened before the lock is taken. Opening an LMDB environment holds
  // lock.mdb exclusively for a moment when no other process has it open,
  // and every reader's open waits for that: a writer stopped there (^Z, a
  // debugger) while holding the root lock would block even `prepo list`.
  // Once the environment is open, a stopped writer blocks only writers.
  std::unique_ptr<Database> db_;
  util::FileLock lock_;
  Config config_;
  pool::ContentStore store_;
  util::Progress& progress_;
};

// Read-only access for list, check and other readers: no lock is taken
// (LMDB readers see a consistent snapshot while a writer works).
struct Reader {
  explicit Reader(Root r);
  Root root;
  Config config;
  Database db;
};

} // namespace prepo::repo
