// A distribution that comes with a database change (import-mirror makes
// one from a mirror's Release and fills it in one transaction) joins
// conf/distributions with that change, not before it. conf/ and the
// database cannot commit together, so the database decides: before the
// transaction, the new conf/distributions is written and flushed as
// conf/distributions.pending, naming the farm and its current generation;
// after the commit it is installed. A command killed in between leaves
// the pending file, and the next writer installs it if the farm's
// generation has moved past the one named (the transaction committed) or
// drops it (it did not). Either way the distribution and its packages
// come, or neither does. Readers (list, serve) see the old
// conf/distributions until that next writer.
#pragma once

#include <cstdint>
#include <string>

#include "repo/config.hpp"
#include "repo/database.hpp"

namespace prepo::repo {

class PendingDistributions {
public:
  // Stages `config`'s distributions (one added to it, not yet saved) to be
  // installed once `farm`'s next transaction commits.
  PendingDistributions(const Root& root, Database& db, const Config& config,
                       const std::string& farm);
  ~PendingDistributions(); // not installed: dropped
  PendingDistributions(const PendingDistributions&) = delete;
  PendingDistributions& operator=(const PendingDistributions&) = delete;

  // After the commit (or when the change needs none: nothing to record).
  void install();

private:
  Root root_;
  std::string text_;
  bool done_ = false;
};

// At the start of every writer: installs or drops what a killed command
// left. True when conf/distributions changed (the caller reloads it).
bool finish_pending_distributions(const Root& root, Database& db);

} // namespace prepo::repo
