#include "stack/rollback.hpp"

#include <fmt/format.h>

#include "repo/farm_update.hpp"
#include "repo/retention.hpp"
#include "stack/delta.hpp"
#include "util/error.hpp"

namespace prepo::stack {

RollbackResult rollback(repo::Session& session, const std::string& farm_name,
                        const RollbackOptions& options)
{
  const auto& farm = session.config().farm(farm_name);
  RollbackResult result;
  {
    repo::DbTxn txn(session.db(), util::lmdb::Txn::Mode::write);
    const auto state = txn.farm_state(farm_name);
    if (state.current == 0) {
      throw util::Error("farm {} has no generation to roll back from", farm_name);
    }
    result.target = options.to.value_or(state.current - 1);
    auto delta = generation_delta(txn, farm_name, state.current, result.target);
    result.changes = describe(txn, delta);
    if (delta.empty()) {
      session.progress().note(fmt::format("nothing to roll back: farm {} at generation {} already "
                                          "holds what generation {} held",
                                          farm_name, state.current, result.target));
      return result;
    }
    repo::FarmUpdate update(txn, farm, options.command);
    for (const auto& change : delta) {
      if (change.new_id.empty()) {
        update.clear(change.dist, change.slot);
        continue;
      }
      auto record = txn.record(change.new_id);
      if (!record) {
        throw util::Error("database: record {} is missing", change.new_id);
      }
      // A pool name whose bytes were replaced (--replace) since cannot give
      // back what generation N published.
      for (const auto& file : record->files) {
        if (auto held = update.pool_object(file.pool_path); held && *held != file.sha256) {
          throw util::Error("farm {}: cannot roll back to generation {}: {} was replaced since "
                            "(it held SHA256 {}, now {}); nothing changed",
                            farm_name, result.target, file.pool_path, file.sha256, *held);
        }
      }
      update.set_existing(change.dist, change.slot, change.new_id);
    }
    result.generation = update.finish(options.publish).generation;
    txn.commit();
  }
  session.run_pending_unlinks();
  if (result.generation) {
    repo::complete_change(session, farm_name, result.generation, options.publish);
  }
  return result;
}

} // namespace prepo::stack
