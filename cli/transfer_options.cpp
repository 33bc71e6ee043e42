#include "cli/transfer_options.hpp"

namespace prepo::cli {

void add_jobs_option(CLI::App* cmd, unsigned& jobs)
{
  cmd->add_option("-j,--jobs", jobs, "Transfers at once")->check(CLI::Range(1, 64));
}

void add_timeout_option(CLI::App* cmd, long& seconds)
{
  cmd->add_option("--timeout", seconds,
                  "Seconds a transfer may receive nothing before it is retried (default 60)")
      ->check(CLI::Range(1L, 3600L));
}

} // namespace prepo::cli
