// Returning freed heap to the system between the phases of a long command,
// so that peak memory is the largest phase, not the sum of them.
#pragma once

namespace prepo::util {

void release_free_memory();

} // namespace prepo::util
