#include "stack/history.hpp"

#include <fmt/format.h>

#include "repo/retention.hpp"
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
                         std::optional<std::uint64_t> keep)
{
  GcResult result;
  const auto retention = repo::apply_retention(session, farms, keep);
  result.generations_dropped = retention.generations_dropped;
  result.files_removed = retention.files_unlinked;

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
