#include "util/memory.hpp"

#include <malloc.h>

namespace prepo::util {

void release_free_memory()
{
  ::malloc_trim(0);
}

} // namespace prepo::util
