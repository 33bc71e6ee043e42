#!/usr/bin/env bash
# Installs the Debian 12 packages prepo needs to build, test and demo.
# Idempotent: installs only what is missing. Runs apt-get as root (or via sudo).
set -euo pipefail

packages=(
  # build
  build-essential cmake ninja-build pkg-config
  libssl-dev zlib1g-dev liblzma-dev libarchive-dev liblmdb-dev libgpgme-dev
  libfmt-dev libcli11-dev libgtest-dev libcurl4-openssl-dev libboost1.81-dev
  # the real tools the tests and the demo drive
  dpkg-dev apt-utils gnupg gpgv xz-utils python3 time curl openssl reprepro aptly
  debian-archive-keyring debootstrap
)
if [[ "${1:-}" == "--bench" ]]; then
  packages+=(hyperfine nginx-light wrk)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  exit 0
fi
as_root=()
if [[ "$(id -u)" != 0 ]]; then
  as_root=(sudo)
fi
echo "installing: ${missing[*]}"
"${as_root[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
