#!/bin/bash
# Installs what bench/run.sh needs: GNU time (for peak RSS), reprepro and
# aptly (the peers), nginx and wrk (bench/serve.sh), dpkg-dev and xz-utils (package tools), python3 (the
# package generator). As root it uses apt-get; otherwise it only reports.
set -euo pipefail

need=()
command -v reprepro >/dev/null 2>&1 || need+=(reprepro)
command -v aptly >/dev/null 2>&1 || need+=(aptly)
[[ -x /usr/bin/time ]] || need+=(time)
command -v dpkg-deb >/dev/null 2>&1 || need+=(dpkg)
command -v xz >/dev/null 2>&1 || need+=(xz-utils)
command -v python3 >/dev/null 2>&1 || need+=(python3)
# bench/serve.sh: the peer web server and the load generator.
[[ -x /usr/sbin/nginx ]] || need+=(nginx-light)
command -v wrk >/dev/null 2>&1 || need+=(wrk)

if ((${#need[@]} == 0)); then
  exit 0
fi
if [[ $(id -u) != 0 ]]; then
  echo "bench/setup.sh: missing packages: ${need[*]} (run as root, or: sudo apt-get install ${need[*]})" >&2
  exit 1
fi
echo "bench/setup.sh: installing ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
