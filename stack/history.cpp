#include "stack/history.hpp"

#include <fmt/format.h>

#include "repo/farm_update.hpp"
#include "util/error.hpp"
#include "util/file.hpp"

namespace prepo::stack {

std::vector<GenerationSummary> list_generations(repo::Reader& reader, const std::string& farm)
{
  reader.config.farm(farm);
  repo::DbTxn txn(reader.db, util::lmdb::Txn::Mode::read);
  const auto state = txn.farm_state(farm);
  std::vector<GenerationSummary> out;
  for (auto g = state.oldest_kept; g <= state.current; ++g) {
    auto generation = txn.generation(farm, g);
    if (!generation) {
      continue; // generation 0, the empty farm, has no record
    }
    GenerationSummary s;
    s.number = g;
    s.time = generation->time;
    s.command = generation->command;
    for (const auto& change : generation->changes) {
      ++(change.old_id.empty() ? s.added : change.new_id.empty() ? s.removed : s.replaced);
    }
    s.published = state.ever_published && g == state.published;
    out.push_back(std::move(s));
  }
  return out;
}

GcResult collect_garbage(repo::Session& session, const std::vector<std::string>& farms,
                         std::optional<std::uint64_t> keep, const std::string& command)
{
  GcResult result;
  std::size_t pending_before = 0;
  {
    repo::DbTxn txn(session.db(), util::lmdb::Txn::Mode::write);
    pending_before = txn.pending_unlinks().size();
    for (const auto& name : farms) {
      const auto& farm = session.config().farm(name);
      repo::FarmUpdate update(txn, farm, command);
      result.generations_dropped += update.drop_generations(keep.value_or(farm.keep_generations));
    }
    result.files_removed = txn.pending_unlinks().size() - pending_before;
    txn.commit();
  }
  session.run_pending_unlinks();

  // Objects a killed command stored but never recorded: the store is
  // content-addressed, so "not in the database" means "nobody uses it".
  repo::DbTxn txn(session.db(), util::lmdb::Txn::Mode::read);
  session.store().for_each_object([&](const std::string& sha) {
    if (!txn.object(sha)) {
      session.store().remove(sha);
      ++result.orphans_removed;
    }
  });
  return result;
}

} // namespace prepo::stack
