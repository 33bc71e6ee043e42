#!/usr/bin/env bash
# Sets everything up on a fresh Debian 12 machine and runs all the tests:
# unit tests (GoogleTest) and integration suites that drive real dpkg-deb,
# dpkg-source, gpg, apt-ftparchive and apt-get. CI runs exactly this.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
bash "$top/scripts/install-deps.sh"
bash "$top/scripts/build.sh" >/dev/null
cd "$top/_build"
ctest --output-on-failure --timeout 1500 -j2 "$@"
