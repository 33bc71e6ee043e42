#!/usr/bin/env bash
# The main job, end to end, on a fresh Debian 12 machine: installs what it
# needs, builds prepo, makes a signing key and a package, includes it into a
# farm, publishes a signed archive, serves it with `prepo serve` on
# 127.0.0.1, and has the machine's apt install the package from it over
# HTTP (then removes it again and stops the server). Needs root (or sudo)
# for apt.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
bash "$top/scripts/install-deps.sh"
prepo=$(bash "$top/scripts/build.sh")
as_root=()
[[ "$(id -u)" == 0 ]] || as_root=(sudo)

demo="$top/_demo"
rm -rf "$demo"
mkdir -p "$demo"
export GNUPGHOME="$demo/gnupg"
mkdir -m 700 "$GNUPGHOME"
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "a throwaway signing key"
gpg --batch --quiet --passphrase '' --quick-gen-key "prepo demo <demo@example.org>" ed25519 sign never
key=$(gpg --list-secret-keys --with-colons | awk -F: '/^fpr/ {print $10; exit}')
gpg --export "$key" >"$demo/demo-archive.gpg"
echo "$key"

say "a package: prepo-demo-hello 1.0-1 (binary and source)"
src="$demo/src/prepo-demo-hello-1.0"
mkdir -p "$src/debian/source" "$demo/pkg/DEBIAN" "$demo/pkg/usr/bin"
printf '#!/bin/sh\necho "hello from a package apt installed from prepo"\n' >"$demo/pkg/usr/bin/prepo-demo-hello"
chmod 755 "$demo/pkg/usr/bin/prepo-demo-hello"
cat >"$demo/pkg/DEBIAN/control" <<CONTROL
Package: prepo-demo-hello
Version: 1.0-1
Architecture: all
Maintainer: prepo demo <demo@example.org>
Section: misc
Priority: optional
Description: says hello
 A package made by prepo's demo.
CONTROL
dpkg-deb --root-owner-group --build "$demo/pkg" "$demo/prepo-demo-hello_1.0-1_all.deb" >/dev/null
cp "$demo/pkg/usr/bin/prepo-demo-hello" "$src/"
echo "3.0 (native)" >"$src/debian/source/format"
cat >"$src/debian/control" <<CONTROL
Source: prepo-demo-hello
Maintainer: prepo demo <demo@example.org>
Section: misc
Priority: optional
Standards-Version: 4.6.2

Package: prepo-demo-hello
Architecture: all
Description: says hello
 A package made by prepo's demo.
CONTROL
printf 'prepo-demo-hello (1.0-1) unstable; urgency=low\n\n  * Demo.\n\n -- prepo demo <demo@example.org>  Sat, 21 Nov 2026 12:00:00 +0000\n' >"$src/debian/changelog"
sed -i 's/1.0-1/1.0/' "$src/debian/changelog"
(cd "$demo/src" && dpkg-source -q -b prepo-demo-hello-1.0 >/dev/null)

say "a prepo root with farm dev and distribution dev/skaro"
export PREPO_ROOT="$demo/root"
mkdir -p "$PREPO_ROOT"
"$prepo" init
"$prepo" farm add dev
"$prepo" dist add dev/skaro --components main,contrib --architectures amd64,i386,all,source \
  --sign-with "$key" --origin prepo-demo --label prepo-demo --suite unstable --description "prepo demo"

say "include and publish"
"$prepo" include dev/skaro "$demo/prepo-demo-hello_1.0-1_all.deb" "$demo/src/prepo-demo-hello_1.0.dsc"
"$prepo" list dev/skaro
"$prepo" check

say "prepo serve on 127.0.0.1 (a free port)"
"$prepo" serve --listen 127.0.0.1:0 --access-log "$demo/access.log" >"$demo/serve.out" 2>&1 &
serve_pid=$!
trap 'kill "$serve_pid" 2>/dev/null || true' EXIT
port=""
for _ in $(seq 100); do
  port=$(sed -n 's|.*listening on http://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' "$demo/serve.out")
  [[ -n $port ]] && break
  sleep 0.05
done
[[ -n $port ]] || { cat "$demo/serve.out" >&2; exit 1; }
cat "$demo/serve.out"
curl -s "http://127.0.0.1:$port/"

say "apt-get update and install over HTTP from prepo serve"
list="$demo/prepo-demo.list"
echo "deb [signed-by=$demo/demo-archive.gpg] http://127.0.0.1:$port/dev skaro main" >"$list"
apt_opts=(-o "Dir::Etc::SourceList=$list" -o "Dir::Etc::SourceParts=/nonexistent"
          -o "APT::Get::List-Cleanup=0" -o "Acquire::Languages=none")
"${as_root[@]}" apt-get "${apt_opts[@]}" update
DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get "${apt_opts[@]}" install -y prepo-demo-hello
prepo-demo-hello
DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get remove -y -qq prepo-demo-hello >/dev/null

say "what the server logged, then stop it (SIGTERM)"
cat "$demo/access.log"
kill -TERM "$serve_pid"
wait "$serve_pid" || true
trap - EXIT
say "done: apt installed prepo-demo-hello from http://127.0.0.1:$port/dev (and it was removed again)"
