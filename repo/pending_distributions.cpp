#include "repo/pending_distributions.hpp"

#include <charconv>

#include <fmt/format.h>

#include "util/error.hpp"
#include "util/file.hpp"

namespace prepo::repo {

namespace {

// The first line names the witness: "farm NAME generation N".
std::string header(const std::string& farm, std::uint64_t generation)
{
  return fmt::format("farm {} generation {}\n", farm, generation);
}

std::uint64_t current_generation(Database& db, std::string_view farm)
{
  DbTxn txn(db, util::lmdb::Txn::Mode::read);
  return txn.farm_state(farm).current;
}

void install_text(const Root& root, std::string_view text)
{
  util::write_file_atomic(root.distributions_file(), text);
  util::remove_file_if_exists(root.pending_distributions_file());
}

} // namespace

PendingDistributions::PendingDistributions(const Root& root, Database& db, const Config& config,
                                           const std::string& farm)
    : root_(root), text_(config.distributions_text())
{
  // Flushed before the transaction: a commit must never find it missing.
  util::write_file_atomic(root_.pending_distributions_file(),
                          header(farm, current_generation(db, farm)) + text_);
}

PendingDistributions::~PendingDistributions()
{
  if (!done_) {
    try {
      util::remove_file_if_exists(root_.pending_distributions_file());
    } catch (const util::Error&) {
      // Left behind: the next writer drops it (the generation did not move).
    }
  }
}

void PendingDistributions::install()
{
  install_text(root_, text_);
  done_ = true;
}

bool finish_pending_distributions(const Root& root, Database& db)
{
  const auto pending = util::read_file_if_exists(root.pending_distributions_file());
  if (!pending) {
    return false;
  }
  const auto eol = pending->find('\n');
  const std::string_view first(pending->data(), eol == std::string::npos ? 0 : eol);
  std::string farm;
  std::uint64_t generation = 0;
  bool readable = false;
  if (first.starts_with("farm ")) {
    const auto rest = first.substr(5);
    const auto space = rest.find(" generation ");
    if (space != std::string_view::npos) {
      farm = std::string(rest.substr(0, space));
      const auto number = rest.substr(space + 12);
      const auto [end, ec] =
          std::from_chars(number.data(), number.data() + number.size(), generation);
      readable = ec == std::errc() && end == number.data() + number.size() && !farm.empty();
    }
  }
  // Unreadable (a file of some other origin), or the transaction did not
  // commit: conf/distributions stays as it is.
  if (!readable || current_generation(db, farm) <= generation) {
    util::remove_file_if_exists(root.pending_distributions_file());
    return false;
  }
  install_text(root, std::string_view(*pending).substr(eol + 1));
  return true;
}

} // namespace prepo::repo
