#!/bin/bash
# import-mirror from Debian's own archive (a real dak archive), over the
# network, verified with Debian's archive keyring (issue 4):
#
#   - a Release that lists a hundred kinds of files (Contents, i18n, dep11,
#     diff/Index, debian-installer), is signed by several keys, and marks
#     arch:all packages as listed in every binary-ARCH index; by-hash;
#   - --components, --architectures and --only narrow it to a few packages;
#   - the pool holds Debian's exact bytes (compared with a separate
#     download), real apt-get installs the package from the prepo farm, a
#     rebuilt .deb of the same version is refused as a clash, and a rerun
#     stops at the unchanged Release;
#   - Debian's security archive (components "updates/main"), --no-udebs;
#   - debootstrap installs a minbase system from a farm imported from Debian,
#     served by prepo serve (as root; skipped otherwise);
#   - a keyring without Debian's keys is refused and leaves the root as it was.
#
# Skipped when deb.debian.org cannot be reached (this machine's only
# network, besides loopback, is Debian's archive).
source "$(dirname "$0")/lib.sh"

skip_unless_tools dpkg-deb dpkg dpkg-query apt-get gpg curl sha256sum
require_prepo

DEBIAN=${PREPO_TEST_DEBIAN_MIRROR:-http://deb.debian.org/debian}
DIST=bookworm
DEBIAN_KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
if [[ ! -f $DEBIAN_KEYRING ]]; then
  echo "# SKIP $SUITE_NAME: $DEBIAN_KEYRING missing (package debian-archive-keyring)" >&2
  echo "0 passed, 0 failed, 1 skipped"
  exit 77
fi
if ! curl -fsS --max-time 20 -o /dev/null "$DEBIAN/dists/$DIST/InRelease"; then
  echo "# SKIP $SUITE_NAME: $DEBIAN/dists/$DIST/InRelease cannot be fetched" >&2
  echo "0 passed, 0 failed, 1 skipped"
  exit 77
fi

make_gpg_key >/dev/null
ROOT="$TESTDIR/root"
prepo_r "$ROOT" init >/dev/null
prepo_r "$ROOT" farm add deb >/dev/null
# The farm signs with its own key; the dist holds main, amd64 only.
prepo_r "$ROOT" dist add deb/$DIST --components main --architectures amd64 \
  --sign-with "$GPG_FPR" >/dev/null

import_args=(import-mirror deb "$DEBIAN" --dist "$DIST" --keyring "$DEBIAN_KEYRING"
  --components main --architectures amd64 --only '^(hello|tzdata)$')

# The path of NAME's .deb in the farm's pool.
pool_deb() {
  find "$ROOT/public/deb/pool/$DIST" -name "$1_*.deb" | head -n1
}

test_import_from_debian() {
  run_ok prepo_r "$ROOT" "${import_args[@]}"
  assert_contains "$LAST_OUT" "reading 2 of the mirror's"
  local list
  list=$(prepo_r "$ROOT" list deb/$DIST)
  assert_matches "$list" '^hello [^ ]+ amd64 main .*imported from http'
  assert_matches "$list" $'\n''tzdata [^ ]+ all main '
  assert_eq 2 "$(grep -c . <<<"$list")" "only hello and tzdata were imported"
  run_ok prepo_r "$ROOT" check
}

test_pool_holds_debians_bytes() {
  local deb name
  deb=$(pool_deb hello)
  [[ -n $deb ]] || fail "no hello .deb in the pool"
  name=$(basename "$deb")
  # Debian's pool path is pool/main/h/hello/NAME; prepo's pool/bookworm/main/h/hello/NAME.
  curl -fsS --max-time 60 -o "$TESTDIR/hello-from-debian.deb" "$DEBIAN/pool/main/h/hello/$name" ||
    fail "cannot download $name from $DEBIAN"
  assert_files_equal "$TESTDIR/hello-from-debian.deb" "$deb"
}

test_apt_installs_from_the_recovered_farm() {
  setup_install_apt_root "$TESTDIR/apt"
  # hello needs libc6: the apt root pretends the host's version is installed.
  local libc
  libc=$(dpkg-query -W -f '${Version}' libc6:amd64) || fail "the host has no libc6 to stand in for"
  cat >"$APT_ROOT/var/lib/dpkg/status" <<EOF
Package: libc6
Status: install ok installed
Architecture: amd64
Multi-Arch: same
Version: $libc
Description: stand-in for the host's C library
EOF
  echo "deb [signed-by=$GPG_KEYFILE] file:$ROOT/public/deb $DIST main" \
    >"$APT_ROOT/etc/apt/sources.list.d/prepo.list"
  apt_update_clean
  run_ok apt_get install -y hello
  assert_matches "$(installed_version hello)" ' ii$'
  [[ -x $APT_ROOT/usr/bin/hello ]] || fail "hello was not unpacked into the apt root"
  assert_eq "Hello, world!" "$("$APT_ROOT/usr/bin/hello")"
}

test_rebuilt_deb_is_a_clash() {
  local deb
  deb=$(pool_deb hello)
  rm -rf "$TESTDIR/rebuild"
  mkdir -p "$TESTDIR/rebuild/out"
  dpkg-deb -R "$deb" "$TESTDIR/rebuild/tree"
  # Same control data, same files, other compression: other bytes.
  dpkg-deb -Zgzip -b "$TESTDIR/rebuild/tree" "$TESTDIR/rebuild/out/$(basename "$deb")" >/dev/null
  local before
  before=$(root_hash "$ROOT")
  assert_fails_with "is already in the pool with other bytes" prepo_r "$ROOT" include deb/$DIST \
    "$TESTDIR/rebuild/out/$(basename "$deb")"
  assert_eq "$before" "$(root_hash "$ROOT")" "a refused include changes nothing"
}

test_rerun_stops_at_the_unchanged_release() {
  run_ok prepo_r "$ROOT" "${import_args[@]}"
  assert_contains "$LAST_OUT" "nothing to do"
  assert_contains "$LAST_OUT" "0 files fetched"
}

test_distribution_made_from_debians_release() {
  local root="$TESTDIR/made"
  prepo_r "$root" init >/dev/null
  prepo_r "$root" farm add deb >/dev/null
  run_ok prepo_r "$root" import-mirror deb "$DEBIAN" --dist "$DIST:old" --keyring "$DEBIAN_KEYRING" \
    --components main --architectures amd64,all --only '^hello$'
  assert_contains "$LAST_OUT" "distribution deb/old added with components main and architectures all, amd64"
  local conf
  conf=$(cat "$root/conf/distributions")
  assert_contains "$conf" "Codename: old"
  assert_contains "$conf" "Origin: Debian"
  assert_contains "$conf" "Architectures: all amd64"
  assert_matches "$(prepo_r "$root" list deb/old)" '^hello [^ ]+ amd64 main'
  # An architecture the Release does not offer is refused before anything is written.
  local before
  before=$(root_hash "$root")
  assert_fails_with "Release: no architecture 'sparc'" prepo_r "$root" import-mirror deb "$DEBIAN" \
    --dist "$DIST:other" --keyring "$DEBIAN_KEYRING" --architectures amd64,sparc --only '^hello$'
  assert_eq "$before" "$(root_hash "$root")" "a refused import changes nothing"
}

# Debian's security archive names its components "updates/main" and lists
# their files as "main/..."; the farm calls the component "main".
test_security_archive_components() {
  local root="$TESTDIR/security"
  prepo_r "$root" init >/dev/null
  prepo_r "$root" farm add sec >/dev/null
  run_ok prepo_r "$root" import-mirror sec "${DEBIAN%/debian}/debian-security" \
    --dist $DIST-security --keyring "$DEBIAN_KEYRING" --components updates/main \
    --architectures amd64 --no-udebs --only '^libssl3$'
  assert_contains "$LAST_OUT" "added with components main and architectures amd64"
  assert_contains "$LAST_OUT" "debian-installer (udebs)"
  assert_matches "$(prepo_r "$root" list sec/$DIST-security)" '^libssl3 [^ ]+ amd64 main '
  [[ -n $(find "$root/public/sec/pool/$DIST-security/main/o/openssl" -name 'libssl3_*_amd64.deb') ]] ||
    fail "libssl3 is not in the farm's pool under component main"
  run_ok prepo_r "$root" check
}

# The brief's promise that debootstrap reads a prepo archive: the packages
# of a minbase bookworm are imported from Debian into a signed farm, and a
# real debootstrap installs a system from it through prepo serve.
test_debootstrap_from_a_farm_imported_from_debian() {
  command -v debootstrap >/dev/null || skip_test "debootstrap missing"
  ((EUID == 0)) || skip_test "debootstrap needs root (chroot, device nodes)"
  local root="$TESTDIR/base" target="$TESTDIR/target" names
  # What a minbase system needs, as debootstrap itself resolves it today.
  names=$(debootstrap --print-debs --variant=minbase "$DIST" "$TESTDIR/print" "$DEBIAN" 2>/dev/null) ||
    fail "debootstrap --print-debs against $DEBIAN failed"
  names=$(tr -s ' ' '\n' <<<"$names" | grep . | sed 's/+/\\+/g' | paste -sd'|')
  [[ -n $names ]] || fail "debootstrap printed no package"
  prepo_r "$root" init >/dev/null
  prepo_r "$root" farm add base >/dev/null
  prepo_r "$root" dist add base/$DIST --components main --architectures amd64 \
    --sign-with "$GPG_FPR" >/dev/null
  run_ok prepo_r "$root" import-mirror base "$DEBIAN" --dist "$DIST" --keyring "$DEBIAN_KEYRING" \
    --no-udebs --only "^($names)\$"
  SERVE_ROOT=$root start_serve debootstrap-serve
  local rc=0
  debootstrap --keyring="$GPG_KEYFILE" --variant=minbase "$DIST" "$target" \
    "http://127.0.0.1:$PORT/base" >"$TESTDIR/debootstrap.log" 2>&1 || rc=$?
  stop_serve
  # Whatever debootstrap left mounted inside (proc, sys, a /dev bind mount
  # in a container) goes before anything under the target is removed.
  awk -v t="$target/" 'index($2, t) == 1 { print $2 }' /proc/mounts | sort -r |
    while read -r m; do umount -l "$m" || true; done
  ((rc == 0)) || fail "debootstrap from the prepo farm failed (exit $rc): $(tail -n 20 "$TESTDIR/debootstrap.log")"
  assert_contains "$(cat "$TESTDIR/debootstrap.log")" "Base system installed successfully"
  [[ -s $target/etc/debian_version ]] || fail "no /etc/debian_version in the new system"
  # The farm was debootstrap's only source, and it checked every .deb
  # against the farm's signed indexes.
  local installed
  installed=$(chroot "$target" dpkg-query -W -f '${Package}\n' | wc -l)
  ((installed >= 80)) || fail "only $installed packages installed in the new system"
  rm -rf "$target" # the chroot's device nodes and root-owned files go now
}

test_keyring_without_debians_keys_is_refused() {
  local root="$TESTDIR/untrusted"
  prepo_r "$root" init >/dev/null
  prepo_r "$root" farm add deb >/dev/null
  local before
  before=$(root_hash "$root")
  assert_fails_with "InRelease.*(no valid signature|not signed by)" prepo_r "$root" import-mirror deb \
    "$DEBIAN" --dist "$DIST" --keyring "$GPG_KEYFILE" --only '^hello$'
  assert_eq "$before" "$(root_hash "$root")" "a refused import changes nothing"
}

run_suite
