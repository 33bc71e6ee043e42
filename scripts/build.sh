#!/usr/bin/env bash
# Configures and builds prepo into _build/ (RelWithDebInfo). Prints the binary's path.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cmake -S "$top" -B "$top/_build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
ninja -C "$top/_build" >&2
echo "$top/_build/prepo"
