// Options of the commands that fetch over HTTP (import, import-mirror, and
// promote from a remote child): one wording, one range, wherever they appear.
#pragma once

#include <CLI/CLI.hpp>

namespace prepo::cli {

void add_jobs_option(CLI::App* cmd, unsigned& jobs);
void add_timeout_option(CLI::App* cmd, long& seconds);

} // namespace prepo::cli
