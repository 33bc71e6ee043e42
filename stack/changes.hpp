// Slot changes described as a release manager reads them: which package,
// from which version to which, and whether that is an addition, an upgrade,
// a downgrade, a rebuild (same version, other bytes) or a removal.
#pragma once

#include <string>
#include <vector>

#include "repo/database.hpp"
#include "stack/delta.hpp"

namespace prepo::stack {

enum class ChangeKind { added, upgraded, downgraded, rebuilt, removed };
std::string_view to_string(ChangeKind kind);

struct PackageChange {
  SlotChange slot;
  ChangeKind kind = ChangeKind::added;
  std::string name;
  std::string source; // the source package's name (its own name for sources)
  std::string architecture;
  std::string component;
  repo::RecordType type = repo::RecordType::binary;
  std::string old_version; // "" when added
  std::string new_version; // "" when removed
};

struct ChangeCounts {
  std::size_t added = 0, upgraded = 0, downgraded = 0, rebuilt = 0, removed = 0;
  std::size_t total() const { return added + upgraded + downgraded + rebuilt + removed; }
  ChangeCounts& operator+=(const ChangeCounts& other)
  {
    added += other.added;
    upgraded += other.upgraded;
    downgraded += other.downgraded;
    rebuilt += other.rebuilt;
    removed += other.removed;
    return *this;
  }
};

// Reads the records involved (and only those) to classify each change.
// Source names cost a stanza parse per binary: asked for only when needed.
std::vector<PackageChange> describe(const repo::DbTxn& txn, std::vector<SlotChange> changes,
                                    bool with_source_names = true);
ChangeCounts count(const std::vector<PackageChange>& changes);

// The source name a record belongs to: "Source:" of a binary stanza
// (without its version), else the record's own name.
std::string source_name_of(const repo::Record& record);

} // namespace prepo::stack
