#include "repo/farm_update.hpp"

#include <ctime>
#include <set>

#include "util/error.hpp"

namespace prepo::repo {

FarmUpdate::FarmUpdate(DbTxn& txn, const Farm& farm, std::string command)
    : txn_(txn), farm_(farm), command_(std::move(command))
{
}

std::optional<std::string> FarmUpdate::current(const std::string& dist,
                                               const std::string& slot) const
{
  if (auto it = changes_.find({dist, slot}); it != changes_.end()) {
    return it->second.new_id.empty() ? std::nullopt : std::optional(it->second.new_id);
  }
  return txn_.slot(farm_.name, dist, slot);
}

void FarmUpdate::set(const std::string& dist, const std::string& slot, const Record& record,
                     std::string id)
{
  auto [it, inserted] = changes_.try_emplace({dist, slot});
  if (inserted) {
    it->second.old_id = txn_.slot(farm_.name, dist, slot).value_or("");
  }
  it->second.new_id = id;
  for (const auto& file : record.files) {
    new_paths_[file.pool_path] = file.sha256;
  }
  new_records_.try_emplace(std::move(id), &record);
}

void FarmUpdate::set_existing(const std::string& dist, const std::string& slot,
                              const std::string& id)
{
  auto [it, inserted] = changes_.try_emplace({dist, slot});
  if (inserted) {
    it->second.old_id = txn_.slot(farm_.name, dist, slot).value_or("");
  }
  it->second.new_id = id;
}

void FarmUpdate::clear(const std::string& dist, const std::string& slot)
{
  auto [it, inserted] = changes_.try_emplace({dist, slot});
  if (inserted) {
    it->second.old_id = txn_.slot(farm_.name, dist, slot).value_or("");
  }
  it->second.new_id.clear();
}

bool FarmUpdate::empty() const
{
  for (const auto& [key, change] : changes_) {
    if (change.old_id != change.new_id) {
      return false;
    }
  }
  return true;
}

std::optional<std::string> FarmUpdate::pool_object(std::string_view pool_path) const
{
  if (auto it = new_paths_.find(std::string(pool_path)); it != new_paths_.end()) {
    return it->second;
  }
  if (auto ref = txn_.pool_ref(farm_.name, pool_path)) {
    return ref->sha256;
  }
  return std::nullopt;
}

void FarmUpdate::add_record_refs(const std::string& id, const Record* record, std::int64_t delta)
{
  std::optional<Record> stored;
  if (!record) {
    stored = txn_.record(id);
    if (!stored) {
      throw util::Error("database: farm {}: record {} is missing", farm_.name, id);
    }
    record = &*stored;
  }
  for (const auto& file : record->files) {
    auto ref = txn_.pool_ref(farm_.name, file.pool_path);
    if (!ref) {
      if (delta < 0) {
        throw util::Error("database: farm {}: {} is not referenced", farm_.name, file.pool_path);
      }
      ref = DbTxn::PoolRef{file.sha256, 0};
      txn_.revive_pool_name(farm_.name, file.pool_path);
      auto object = txn_.object(file.sha256);
      if (!object) {
        throw util::Error("database: object {} for {} is missing", file.sha256, file.pool_path);
      }
      object->refcount += 1;
      txn_.put_object(*object);
    } else if (ref->sha256 != file.sha256 && delta > 0) {
      throw util::Error("database: farm {}: {} holds {} but a record wants {}", farm_.name,
                        file.pool_path, ref->sha256, file.sha256);
    }
    const auto next = static_cast<std::int64_t>(ref->refcount) + delta;
    if (next > 0) {
      ref->refcount = static_cast<std::uint64_t>(next);
      txn_.put_pool_ref(farm_.name, file.pool_path, *ref);
      continue;
    }
    txn_.delete_pool_ref(farm_.name, file.pool_path);
    txn_.retire_pool_name(farm_.name, file.pool_path, ref->sha256);
    txn_.add_pending_unlink("public/" + farm_.name + "/" + file.pool_path);
    unref_object(ref->sha256);
  }
  txn_.ref_record(id, record, delta);
}

void FarmUpdate::unref_object(const std::string& sha256)
{
  auto object = txn_.object(sha256);
  if (object && object->refcount <= 1) {
    txn_.delete_object(sha256);
  } else if (object) {
    object->refcount -= 1;
    txn_.put_object(*object);
  }
}

void FarmUpdate::replace_pool_object(const std::string& pool_path, const std::string& sha256)
{
  auto ref = txn_.pool_ref(farm_.name, pool_path);
  if (!ref || ref->sha256 == sha256) {
    return;
  }
  auto object = txn_.object(sha256);
  if (!object) {
    throw util::Error("database: object {} for {} is missing", sha256, pool_path);
  }
  object->refcount += 1;
  txn_.put_object(*object);
  unref_object(ref->sha256);
  ref->sha256 = sha256;
  txn_.put_pool_ref(farm_.name, pool_path, *ref);
  new_paths_[pool_path] = sha256;
}

void FarmUpdate::store_new_records()
{
  std::set<std::string_view> wanted;
  for (const auto& [key, change] : changes_) {
    if (change.old_id != change.new_id && !change.new_id.empty()) {
      wanted.insert(change.new_id);
    }
  }
  std::vector<std::pair<std::string_view, const Record*>> by_id; // new_records_ is sorted
  for (const auto& [id, record] : new_records_) {
    if (wanted.contains(id)) {
      by_id.emplace_back(id, record);
    }
  }
  txn_.store_records(by_id);
}

FarmUpdate::Result FarmUpdate::finish(bool publish)
{
  Result result;
  auto state = txn_.farm_state(farm_.name);
  Generation generation;
  generation.number = state.current + 1;
  generation.time = static_cast<std::int64_t>(std::time(nullptr));
  generation.command = command_;
  store_new_records();
  // The changes move from the map into the generation, node by node:
  // finish() is the update's last use, and a change of thousands of slots
  // would otherwise hold every slot key and record id twice until the
  // commit.
  generation.changes.reserve(changes_.size());
  while (!changes_.empty()) {
    auto node = changes_.extract(changes_.begin());
    auto& [dist, slot] = node.key();
    auto& change = node.mapped();
    if (change.old_id == change.new_id) {
      continue;
    }
    if (change.new_id.empty()) {
      txn_.clear_slot(farm_.name, dist, slot);
      ++result.removed;
    } else {
      auto it = new_records_.find(change.new_id);
      // The new record gains the slot's reference. The old one keeps its
      // reference, now held by this generation instead of the slot.
      add_record_refs(change.new_id, it == new_records_.end() ? nullptr : it->second, +1);
      txn_.set_slot(farm_.name, dist, slot, change.new_id);
      ++(change.old_id.empty() ? result.added : result.replaced);
    }
    generation.changes.push_back(
        {std::move(dist), std::move(slot), std::move(change.old_id), std::move(change.new_id)});
  }
  // Nor is the rest needed after this: freed now, before the command's
  // next phase (an include compresses its indexes) takes memory.
  new_records_ = {};
  new_paths_ = {};
  if (generation.changes.empty()) {
    return result;
  }
  txn_.put_generation(farm_.name, generation);
  state.current = generation.number;
  if (publish) {
    state.publish_wanted = generation.number;
  }
  txn_.put_farm_state(farm_.name, state);
  result.generation = generation.number;
  return result;
}

std::size_t FarmUpdate::drop_generations(std::uint64_t keep_wanted)
{
  auto state = txn_.farm_state(farm_.name);
  std::size_t dropped = 0;
  // Keep the farm's retention, never less than three (by-hash serves the
  // two publishes before the current one), never drop the published
  // generation or anything after it (publishing walks those changes), nor
  // one a retained dists/<dist>@N directory still shows.
  const std::uint64_t keep = std::max<std::uint64_t>(keep_wanted, 3);
  const auto floor = std::min(state.published, state.oldest_shown);
  while (state.current - state.oldest_kept + 1 > keep && state.oldest_kept < floor) {
    const auto next_oldest = state.oldest_kept + 1;
    // Generation next_oldest becomes the oldest kept: the records its change
    // replaced no longer belong to any kept generation.
    if (auto gen = txn_.generation(farm_.name, next_oldest)) {
      for (const auto& change : gen->changes) {
        if (!change.old_id.empty()) {
          add_record_refs(change.old_id, nullptr, -1);
        }
      }
    }
    ++dropped; // generation 0, the empty farm, too: it could be diffed and rolled back to
    txn_.delete_generation(farm_.name, state.oldest_kept);
    state.oldest_kept = next_oldest;
  }
  txn_.put_farm_state(farm_.name, state);
  return dropped;
}

} // namespace prepo::repo
