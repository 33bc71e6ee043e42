// One command's change to one farm. Slots are set or cleared; finish()
// records the net change as a new generation and counts references.
// drop_generations() is retention's step in the database
// (repo/retention.hpp runs it after the change is published).
//
// Reference counting rule: a pool path (and a record) is referenced once by
// every slot holding it now, and once by every kept generation whose change
// replaced it, except the oldest kept generation (whose predecessor is gone).
// A file thus stays in the pool while any kept generation can be rolled back
// to, and is unlinked exactly when the last of them is dropped.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "repo/config.hpp"
#include "repo/database.hpp"

namespace prepo::repo {

class FarmUpdate {
public:
  FarmUpdate(DbTxn& txn, const Farm& farm, std::string command);

  // The record id in a slot, seeing this update's own changes.
  std::optional<std::string> current(const std::string& dist, const std::string& slot) const;
  // `record` must outlive finish(): it is not copied (an include of
  // thousands of packages would hold every record twice). `id` is
  // record.id(), which the caller has (include hashes each record once,
  // while reading in parallel).
  void set(const std::string& dist, const std::string& slot, const Record& record, std::string id);
  // A record already in the database (promote, rollback): nothing to copy
  // or keep in memory.
  void set_existing(const std::string& dist, const std::string& slot, const std::string& id);
  void clear(const std::string& dist, const std::string& slot);
  bool empty() const;

  // Drops the oldest generations beyond `keep` (never fewer than three,
  // never the published one or one a retained directory shows). Returns how
  // many were dropped, generation 0 (the empty farm) included.
  std::size_t drop_generations(std::uint64_t keep);

  // --replace: `pool_path` now holds the object `sha256` (already in the
  // store and the objects table). Generations that held the old bytes keep
  // their records; the path is the one thing that changes.
  void replace_pool_object(const std::string& pool_path, const std::string& sha256);

  // The (sha256, size) a pool path holds in this farm, seeing this update's
  // own changes, or nullopt if it is free.
  std::optional<std::string> pool_object(std::string_view pool_path) const;

  struct Result {
    std::uint64_t generation = 0; // 0: nothing changed, no generation made
    std::size_t added = 0, replaced = 0, removed = 0;
  };
  // Writes the generation and the references; `publish` marks the farm as
  // wanting this generation published (an interrupted publish is finished
  // by the next command). The update's last use.
  Result finish(bool publish);

private:
  struct Pending {
    std::string old_id;
    std::string new_id;
  };
  void store_new_records();
  void add_record_refs(const std::string& id, const Record* record, std::int64_t delta);
  void unref_object(const std::string& sha256);

  DbTxn& txn_;
  const Farm& farm_;
  std::string command_;
  std::map<std::pair<std::string, std::string>, Pending> changes_;
  std::map<std::string, const Record*> new_records_;
  std::map<std::string, std::string> new_paths_; // pool path -> sha256 set by this update
};

} // namespace prepo::repo
