#include "stack/changes.hpp"

#include "repo/deb822.hpp"
#include "repo/version.hpp"
#include "util/error.hpp"

namespace prepo::stack {

std::string_view to_string(ChangeKind kind)
{
  switch (kind) {
  case ChangeKind::added:
    return "added";
  case ChangeKind::upgraded:
    return "upgraded";
  case ChangeKind::downgraded:
    return "downgraded";
  case ChangeKind::rebuilt:
    return "rebuilt";
  case ChangeKind::removed:
    return "removed";
  }
  return "?";
}

std::string source_name_of(const repo::Record& record)
{
  if (record.type == repo::RecordType::source) {
    return record.name;
  }
  auto stanza = repo::parse_single_stanza(record.stanza, record.name);
  if (auto source = stanza.get("Source")) {
    auto words = repo::words(*source);
    if (!words.empty()) {
      return std::string(words.front());
    }
  }
  return record.name;
}

std::vector<PackageChange> describe(const repo::DbTxn& txn, std::vector<SlotChange> changes,
                                    bool with_source_names)
{
  std::vector<PackageChange> out;
  out.reserve(changes.size());
  auto version_of = [&](const std::string& id) {
    auto bytes = txn.record_bytes(id);
    if (!bytes) {
      throw util::Error("database: record {} is missing", id);
    }
    return std::string(repo::view_record(*bytes).version);
  };
  for (auto& slot_change : changes) {
    PackageChange pc;
    // Moved, not copied: the slot keys and ids are most of a change's size.
    pc.slot = std::move(slot_change);
    const auto& change = pc.slot;
    auto key = repo::parse_slot_key(change.slot);
    pc.name = key.name;
    pc.architecture = key.architecture;
    pc.component = key.component;
    pc.type = key.type;
    if (!change.new_id.empty()) {
      pc.new_version = version_of(change.new_id);
    }
    if (!change.old_id.empty()) {
      pc.old_version = version_of(change.old_id);
    }
    pc.source = pc.name;
    if (with_source_names && pc.type != repo::RecordType::source) {
      auto record = txn.record(change.new_id.empty() ? change.old_id : change.new_id);
      pc.source = source_name_of(*record);
    }
    if (change.old_id.empty()) {
      pc.kind = ChangeKind::added;
    } else if (change.new_id.empty()) {
      pc.kind = ChangeKind::removed;
    } else {
      const int order = repo::compare_versions(pc.new_version, pc.old_version);
      pc.kind = order > 0   ? ChangeKind::upgraded
                : order < 0 ? ChangeKind::downgraded
                            : ChangeKind::rebuilt;
    }
    out.push_back(std::move(pc));
  }
  return out;
}

ChangeCounts count(const std::vector<PackageChange>& changes)
{
  ChangeCounts c;
  for (const auto& change : changes) {
    switch (change.kind) {
    case ChangeKind::added:
      ++c.added;
      break;
    case ChangeKind::upgraded:
      ++c.upgraded;
      break;
    case ChangeKind::downgraded:
      ++c.downgraded;
      break;
    case ChangeKind::rebuilt:
      ++c.rebuilt;
      break;
    case ChangeKind::removed:
      ++c.removed;
      break;
    }
  }
  return c;
}

} // namespace prepo::stack
