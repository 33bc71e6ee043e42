# shellcheck shell=bash
# Framework sourced by every integration suite (tests/integration/test_*.sh),
# in the spirit of apt's test/integration/framework.
#
#   PREPO            path of the prepo binary (CTest passes $<TARGET_FILE:prepo_cli>)
#   PREPO_SOURCE_DIR the source tree (CTest passes the project source dir)
#
# A suite sources this file, prepares fixtures at top level (a failure there
# fails the whole suite), defines test_* functions and ends with
#   run_suite test_a test_b ...
# Each test runs in its own subshell with `set -e`; the runner prints
# "ok N - name" / "not ok N - name" and a closing "N passed, M failed".
# A suite exits 77 (CTest: skipped) when a tool it needs is missing.

set -euo pipefail
shopt -s nullglob

export LC_ALL=C.UTF-8 TZ=UTC
unset GREP_OPTIONS CDPATH || true

PREPO_SOURCE_DIR=${PREPO_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
INTEGRATION_DIR="$PREPO_SOURCE_DIR/tests/integration"
SUITE_NAME=$(basename "${0%.sh}")

# ---------------------------------------------------------------- messages

msg() { printf '# %s\n' "$*" >&2; }

# Fails the current test (or the suite, at top level) with a message.
fail() {
  printf '# FAIL: %s\n' "$*" >&2
  # Show where, so a failure in a helper is easy to place.
  local i
  for ((i = 1; i < ${#FUNCNAME[@]} - 1; i++)); do
    printf '#   at %s (%s:%s)\n' "${FUNCNAME[$i]}" "$(basename "${BASH_SOURCE[$i]}")" "${BASH_LINENO[$((i - 1))]}" >&2
  done
  if [[ -z ${_IN_TEST:-} && -z ${_FAIL_REPORTED:-} && $BASH_SUBSHELL -eq 0 ]]; then
    # A failure while preparing the suite, outside any test.
    echo "not ok 1 - setup of $SUITE_NAME"
    echo "0 passed, 1 failed"
  fi
  exit 1
}

# ---------------------------------------------------------------- work dir and cleanup

TESTDIR=$(mktemp -d "${TMPDIR:-/tmp}/prepo-${SUITE_NAME}.XXXXXX")
export TESTDIR
# What the tools make in TMPDIR stays in the suite's directory: a prepo
# killed on purpose (the crash tests) leaves its temporary GNUPGHOME there,
# not in /tmp.
mkdir "$TESTDIR/tmp"
export TMPDIR="$TESTDIR/tmp"
_PIDFILE="$TESTDIR/.background-pids"
: >"$_PIDFILE"

# Remember a process started in the background so the EXIT trap ends it.
register_pid() { echo "$1" >>"$_PIDFILE"; }

_kill_registered() {
  local pid
  [[ -f $_PIDFILE ]] || return 0
  while read -r pid; do
    [[ -n $pid ]] || continue
    kill -CONT "$pid" 2>/dev/null || true
    kill -9 "$pid" 2>/dev/null || true
  done <"$_PIDFILE"
}

_kill_jobs() {
  local pids
  pids=$(jobs -p 2>/dev/null || true)
  if [[ -n $pids ]]; then
    # shellcheck disable=SC2086
    kill -CONT $pids 2>/dev/null || true
    # shellcheck disable=SC2086
    kill -9 $pids 2>/dev/null || true
  fi
}

_cleanup() {
  local rc=$?
  set +e
  _kill_jobs
  _kill_registered
  wait 2>/dev/null
  if [[ -n ${GNUPGHOME:-} && $GNUPGHOME == "$TESTDIR"/* ]]; then
    gpgconf --homedir "$GNUPGHOME" --kill all >/dev/null 2>&1
  fi
  if [[ ${PREPO_KEEP_TESTDIR:-0} == 1 ]]; then
    echo "# kept $TESTDIR" >&2
  else
    rm -rf "$TESTDIR"
  fi
  exit "$rc"
}
trap _cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------- prepo

if [[ -z ${PREPO:-} ]]; then
  echo "# PREPO is not set: give the path of the prepo binary (CTest does)" >&2
  exit 2
fi
case $PREPO in /*) ;; *) PREPO="$PWD/$PREPO" ;; esac
export PREPO

# prepo with the root of the current test: `prepo_r ROOT args...`.
prepo_r() {
  local root=$1
  shift
  "$PREPO" --root "$root" "$@"
}

require_prepo() {
  [[ -x $PREPO ]] || fail "prepo binary $PREPO does not exist or is not executable"
}

# ---------------------------------------------------------------- tools

# Exit 77 (skipped) unless every named tool is on PATH.
skip_unless_tools() {
  local t missing=()
  for t in "$@"; do
    command -v "$t" >/dev/null 2>&1 || missing+=("$t")
  done
  if ((${#missing[@]})); then
    echo "# SKIP $SUITE_NAME: missing tools: ${missing[*]}" >&2
    echo "0 passed, 0 failed, 1 skipped"
    exit 77
  fi
}

# ---------------------------------------------------------------- assertions

assert_eq() { # EXPECTED ACTUAL [MESSAGE]
  if [[ $1 != "$2" ]]; then
    fail "${3:-values differ}: expected [$1], got [$2]"
  fi
}

assert_ne() { # A B [MESSAGE]
  if [[ $1 == "$2" ]]; then
    fail "${3:-values are equal}: both [$1]"
  fi
}

assert_contains() { # HAYSTACK NEEDLE [MESSAGE]  (fixed string)
  if [[ $1 != *"$2"* ]]; then
    fail "${3:-text does not contain [$2]}: $(printf '%s' "$1" | head -c 2000)"
  fi
}

assert_not_contains() { # HAYSTACK NEEDLE [MESSAGE]
  if [[ $1 == *"$2"* ]]; then
    fail "${3:-text contains [$2]}: $(printf '%s' "$1" | head -c 2000)"
  fi
}

assert_matches() { # TEXT ERE [MESSAGE]
  if ! grep -Eq -- "$2" <<<"$1"; then
    fail "${3:-text does not match /$2/}: $(printf '%s' "$1" | head -c 2000)"
  fi
}

assert_file_exists() { [[ -f $1 ]] || fail "missing file $1"; }
assert_no_file() { [[ ! -e $1 ]] || fail "file should not exist: $1"; }

assert_files_equal() { # A B
  cmp -s "$1" "$2" || fail "files differ: $1 $2 ($(sha256_of "$1") vs $(sha256_of "$2"))"
}

# Run a command that must succeed; its output goes to the test log.
# Stdout+stderr are kept in $LAST_OUT, the exit status in $LAST_RC.
LAST_OUT=""
LAST_RC=0
run_ok() {
  local out="$TESTDIR/.run.out"
  LAST_RC=0
  "$@" >"$out" 2>&1 || LAST_RC=$?
  LAST_OUT=$(cat "$out")
  if ((LAST_RC != 0)); then
    fail "command failed (exit $LAST_RC): $* :: $(head -c 3000 "$out")"
  fi
}

# Run a command that must fail: non-zero exit and stderr exactly one line
# matching the extended regular expression PATTERN. $LAST_ERR holds stderr.
LAST_ERR=""
assert_fails_with() { # PATTERN cmd...
  local pattern=$1
  shift
  local out="$TESTDIR/.fail.out" err="$TESTDIR/.fail.err" rc=0
  "$@" >"$out" 2>"$err" </dev/null || rc=$?
  LAST_ERR=$(cat "$err")
  LAST_RC=$rc
  if ((rc == 0)); then
    fail "expected failure, got exit 0: $* :: stdout: $(head -c 1000 "$out") stderr: $(head -c 1000 "$err")"
  fi
  if ((rc >= 128)); then
    fail "command died from signal $((rc - 128)) (exit $rc): $* :: $(head -c 1000 "$err")"
  fi
  local lines
  lines=$(wc -l <"$err")
  # A single line without its newline counts as one line, too.
  if [[ -s $err && $(tail -c1 "$err" | od -An -c | tr -d ' ') != '\n' ]]; then
    lines=$((lines + 1))
  fi
  if ((lines != 1)); then
    fail "expected exactly one line on stderr, got $lines: $* :: $(head -c 2000 "$err")"
  fi
  if ! grep -Eq -- "$pattern" "$err"; then
    fail "stderr does not match /$pattern/: $(cat "$err")"
  fi
}

# ---------------------------------------------------------------- hashing

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

# A hash of a whole tree: sorted relative paths with their file types,
# symlink targets and the contents of every regular file. db/lock.mdb (LMDB's
# runtime lock file) is excluded. Prints one hex digest.
root_hash() {
  local root=$1
  [[ -d $root ]] || fail "root_hash: no directory $root"
  (
    cd "$root"
    find . -path ./db/lock.mdb -prune -o -printf '%y %p -> %l\n' | LC_ALL=C sort
    find . -path ./db/lock.mdb -prune -o -type f -print0 | LC_ALL=C sort -z | xargs -0r sha256sum
  ) | sha256sum | cut -d' ' -f1
}

# What changed between two trees, for failure messages: `root_listing ROOT > file`.
root_listing() {
  (
    cd "$1"
    find . -path ./db/lock.mdb -prune -o -type f -printf '%p %s\n' -o -printf '%p %y\n' | LC_ALL=C sort
  )
}

# ---------------------------------------------------------------- package builders

# make_deb DIR NAME VERSION ARCH [FIELD: VALUE ...]
# Builds DIR/NAME_VERSION-without-epoch_ARCH.deb with dpkg-deb and prints its
# path. Extra control fields are given as whole lines ("Section: contrib/net",
# "Source: foo (1.2-3)"). Env: DEB_EXT=udeb|ddeb for other kinds,
# DEB_CONTENT to change the payload (same name/version, different bytes),
# DEB_COMPRESSION (default xz).
make_deb() {
  local dir=$1 name=$2 version=$3 arch=$4
  shift 4
  local ext=${DEB_EXT:-deb}
  local uver=${version#*:}
  local tree
  tree=$(mktemp -d "$TESTDIR/debtree.XXXXXX")
  mkdir -p "$tree/DEBIAN" "$tree/usr/share/doc/$name" "$dir"
  {
    echo "Package: $name"
    echo "Version: $version"
    echo "Architecture: $arch"
    echo "Maintainer: Prepo Tests <test@example.org>"
    local have_section=0 have_priority=0 f
    for f in "$@"; do
      [[ $f == Section:* ]] && have_section=1
      [[ $f == Priority:* ]] && have_priority=1
    done
    ((have_section)) || echo "Section: misc"
    ((have_priority)) || echo "Priority: optional"
    for f in "$@"; do echo "$f"; done
    if [[ $ext == udeb ]]; then echo "Package-Type: udeb"; fi
    echo "Description: test package $name"
    echo " Built by the prepo integration tests ($name $version $arch)."
  } >"$tree/DEBIAN/control"
  printf '%s %s %s\n%s\n' "$name" "$version" "$arch" "${DEB_CONTENT:-}" >"$tree/usr/share/doc/$name/README"
  local out="$dir/${name}_${uver}_${arch}.${ext}"
  dpkg-deb --root-owner-group -Z"${DEB_COMPRESSION:-xz}" -z1 --build "$tree" "$out" >/dev/null ||
    fail "dpkg-deb --build failed for $name $version $arch"
  rm -rf "$tree"
  echo "$out"
}

make_udeb() { DEB_EXT=udeb make_deb "$@"; }

# Writes a source tree DIR/NAME-UPSTREAM with a debian/ directory.
_make_source_tree() { # DIR NAME VERSION FORMAT
  local dir=$1 name=$2 version=$3 format=$4
  local noepoch=${version#*:}
  local upstream=${noepoch%-*}
  [[ $format == "3.0 (native)" ]] && upstream=$noepoch
  local src="$dir/$name-$upstream"
  rm -rf "$src"
  mkdir -p "$src/debian/source" "$src/src"
  printf 'hello from %s %s\n' "$name" "$upstream" >"$src/src/hello.txt"
  printf '%s\n' "$format" >"$src/debian/source/format"
  cat >"$src/debian/control" <<EOF
Source: $name
Section: misc
Priority: optional
Maintainer: Prepo Tests <test@example.org>
Build-Depends: debhelper-compat (= 13)
Standards-Version: 4.6.2
Homepage: https://example.org/$name

Package: $name
Architecture: all
Description: test source package $name
 Built by the prepo integration tests.
EOF
  cat >"$src/debian/changelog" <<EOF
$name ($version) unstable; urgency=medium

  * Test upload.

 -- Prepo Tests <test@example.org>  Mon, 01 Jan 2024 00:00:00 +0000
EOF
  printf '#!/usr/bin/make -f\n%%:\n\tdh $@\n' >"$src/debian/rules"
  chmod +x "$src/debian/rules"
  echo "$src"
}

# make_source_pkg DIR NAME VERSION: a 3.0 (quilt) source package with an
# orig tarball, built with dpkg-source -b. Prints the path of the .dsc.
# The source tree stays in DIR/NAME-UPSTREAM (for make_source_changes).
make_source_pkg() {
  local dir=$1 name=$2 version=$3
  mkdir -p "$dir"
  local noepoch=${version#*:}
  local upstream=${noepoch%-*}
  local src
  src=$(_make_source_tree "$dir" "$name" "$version" "3.0 (quilt)")
  # The orig tarball holds the tree without debian/.
  tar -C "$dir" --exclude="$name-$upstream/debian" --owner=0 --group=0 --numeric-owner \
    --mtime=@1700000000 --sort=name -czf "$dir/${name}_${upstream}.orig.tar.gz" "$name-$upstream"
  (cd "$dir" && dpkg-source -b "$name-$upstream" >/dev/null 2>"$TESTDIR/.dpkg-source.err") ||
    fail "dpkg-source -b failed: $(cat "$TESTDIR/.dpkg-source.err")"
  echo "$dir/${name}_${noepoch}.dsc"
}

# make_native_source DIR NAME VERSION: 3.0 (native). Prints the .dsc path.
make_native_source() {
  local dir=$1 name=$2 version=$3
  mkdir -p "$dir"
  local noepoch=${version#*:}
  _make_source_tree "$dir" "$name" "$version" "3.0 (native)" >/dev/null
  (cd "$dir" && dpkg-source -b "$name-$noepoch" >/dev/null 2>"$TESTDIR/.dpkg-source.err") ||
    fail "dpkg-source -b failed: $(cat "$TESTDIR/.dpkg-source.err")"
  echo "$dir/${name}_${noepoch}.dsc"
}

# make_source_changes DIR NAME VERSION: a source-only .changes made by
# dpkg-genchanges -S (-sa: includes the orig tarball) after make_source_pkg.
# Prints its path.
make_source_changes() {
  local dir=$1 name=$2 version=$3
  local noepoch=${version#*:}
  local upstream=${noepoch%-*}
  local src="$dir/$name-$upstream"
  [[ -d $src ]] || src="$dir/$name-$noepoch"
  local out="$dir/${name}_${noepoch}_source.changes"
  (cd "$src" && dpkg-genchanges -S -sa -O"$out" >/dev/null 2>"$TESTDIR/.genchanges.err") ||
    fail "dpkg-genchanges failed: $(cat "$TESTDIR/.genchanges.err")"
  echo "$out"
}

# make_changes OUT SOURCE VERSION FILE...: a .changes written by hand for
# arbitrary files (binary uploads, tampered uploads). Files section entries
# get "misc optional" as section and priority.
make_changes() {
  local out=$1 source=$2 version=$3
  shift 3
  local f archs=() binaries=() base
  for f in "$@"; do
    base=$(basename "$f")
    case $base in
      *.dsc) archs+=(source) ;;
      *.deb | *.udeb | *.ddeb)
        local a=${base##*_}
        archs+=("${a%.*}")
        binaries+=("${base%%_*}")
        ;;
    esac
  done
  local arch_list bin_list
  arch_list=$(printf '%s\n' "${archs[@]}" | sort -u | tr '\n' ' ' | sed 's/ $//')
  bin_list=$(printf '%s\n' "${binaries[@]+"${binaries[@]}"}" | sed '/^$/d' | sort -u | tr '\n' ' ' | sed 's/ $//')
  {
    echo "Format: 1.8"
    echo "Date: Mon, 01 Jan 2024 00:00:00 +0000"
    echo "Source: $source"
    [[ -n $bin_list ]] && echo "Binary: $bin_list"
    echo "Architecture: $arch_list"
    echo "Version: $version"
    echo "Distribution: unstable"
    echo "Urgency: medium"
    echo "Maintainer: Prepo Tests <test@example.org>"
    echo "Changed-By: Prepo Tests <test@example.org>"
    echo "Description:"
    for f in "${binaries[@]+"${binaries[@]}"}"; do echo " $f - test package"; done
    echo "Changes:"
    echo " $source ($version) unstable; urgency=medium"
    echo " ."
    echo "   * Test upload."
    echo "Checksums-Sha1:"
    for f in "$@"; do echo " $(sha1sum "$f" | cut -d' ' -f1) $(stat -c %s "$f") $(basename "$f")"; done
    echo "Checksums-Sha256:"
    for f in "$@"; do echo " $(sha256_of "$f") $(stat -c %s "$f") $(basename "$f")"; done
    echo "Files:"
    for f in "$@"; do echo " $(md5sum "$f" | cut -d' ' -f1) $(stat -c %s "$f") misc optional $(basename "$f")"; done
  } >"$out"
  echo "$out"
}

# gen_debs DIR COUNT PREFIX [VERSION] [ARCH]: COUNT small valid .debs
# (PREFIX-00001 ...) written directly as ar archives by gen_debs.py; fast.
gen_debs() {
  local dir=$1 count=$2 prefix=$3 version=${4:-1.0-1} arch=${5:-amd64}
  python3 "$INTEGRATION_DIR/gen_debs.py" --out "$dir" --count "$count" --prefix "$prefix" \
    --version "$version" --arch "$arch" >/dev/null || fail "gen_debs.py failed"
}

# ---------------------------------------------------------------- gpg

# make_gpg_key: a throwaway GNUPGHOME under the work dir with one signing
# key (ed25519 by default; PREPO_TEST_KEY_ALGO=rsa3072 for RSA). Exports the
# public key (binary) to $GPG_KEYFILE for signed-by= and gpgv --keyring,
# exports GNUPGHOME and GPG_FPR, and prints the fingerprint.
make_gpg_key() {
  export GNUPGHOME="$TESTDIR/gnupg"
  mkdir -p "$GNUPGHOME"
  chmod 700 "$GNUPGHOME"
  gpg --batch --quiet --passphrase '' --quick-gen-key "prepo test <test@example.org>" \
    "${PREPO_TEST_KEY_ALGO:-ed25519}" sign never >/dev/null 2>&1 || fail "gpg key generation failed"
  GPG_FPR=$(gpg --batch --with-colons --list-secret-keys 2>/dev/null | awk -F: '$1 == "fpr" { print $10; exit }')
  [[ -n $GPG_FPR ]] || fail "no fingerprint after key generation"
  GPG_KEYFILE="$TESTDIR/archive-key.gpg"
  gpg --batch --export "$GPG_FPR" >"$GPG_KEYFILE"
  gpg --batch --armor --export "$GPG_FPR" >"$TESTDIR/archive-key.asc"
  export GPG_FPR GPG_KEYFILE
  echo "$GPG_FPR"
}

# ---------------------------------------------------------------- apt

# setup_apt_root DIR [ARCH...]: a private apt tree in DIR; the first ARCH is
# the native one (default amd64). Sets APT_ROOT for apt_get / apt_cache.
setup_apt_root() {
  local dir=$1
  shift
  local archs=("$@")
  ((${#archs[@]})) || archs=(amd64)
  mkdir -p "$dir"/etc/apt/{sources.list.d,apt.conf.d,preferences.d,trusted.gpg.d} \
    "$dir"/var/lib/apt/lists/partial "$dir"/var/cache/apt/archives/partial \
    "$dir"/var/lib/dpkg "$dir"/var/log/apt
  : >"$dir/var/lib/dpkg/status"
  : >"$dir/etc/apt/sources.list"
  local a list=""
  for a in "${archs[@]}"; do list+="\"$a\"; "; done
  cat >"$dir/apt.conf" <<EOF
Dir "$dir/";
Dir::State::status "$dir/var/lib/dpkg/status";
Dir::Etc::SourceList "$dir/etc/apt/sources.list";
Dir::Etc::SourceParts "$dir/etc/apt/sources.list.d";
Dir::Etc::Parts "$dir/etc/apt/apt.conf.d";
Dir::Etc::Trusted "$dir/etc/apt/trusted.gpg";
Dir::Etc::TrustedParts "$dir/etc/apt/trusted.gpg.d";
Dir::Log "$dir/var/log/apt";
Debug::NoLocking "true";
APT::Architecture "${archs[0]}";
APT::Architectures { $list};
Acquire::Languages "none";
Acquire::PDiffs "false";
APT::Sandbox::User "$(id -un)";
APT::Get::List-Cleanup "true";
Binary::apt::APT::Keep-Downloaded-Packages "true";
EOF
  APT_ROOT=$dir
  export APT_ROOT
}

# setup_install_apt_root DIR: setup_apt_root, plus a dpkg wrapper that
# installs into DIR (--root, --admindir), so apt-get install really unpacks
# and configures without root. The caller adds the sources.
setup_install_apt_root() {
  local dir=$1
  rm -rf "$dir"
  setup_apt_root "$dir" amd64
  mkdir -p "$dir"/var/lib/dpkg/{info,updates,triggers} "$dir/usr/bin"
  cat >"$dir/usr/bin/dpkg" <<EOF
#!/bin/sh
exec /usr/bin/dpkg --root="$dir" --admindir="$dir/var/lib/dpkg" --force-not-root --force-bad-path \
  --log="$dir/var/log/dpkg.log" "\$@"
EOF
  chmod +x "$dir/usr/bin/dpkg"
  cat >>"$dir/apt.conf" <<EOF
Dir::Bin::dpkg "$dir/usr/bin/dpkg";
DPkg::Pre-Install-Pkgs "";
DPkg::Post-Invoke "";
DPkg::Pre-Invoke "";
EOF
}

# "VERSION STATUS" of PACKAGE in the apt root's dpkg database ("" if absent).
installed_version() { # PACKAGE
  dpkg-query --admindir="$APT_ROOT/var/lib/dpkg" -W -f '${Version} ${db:Status-Abbrev}' "$1" 2>/dev/null |
    sed 's/ *$//' || true
}

apt_get() {
  [[ -n ${APT_ROOT:-} ]] || fail "apt_get: call setup_apt_root first"
  APT_CONFIG="$APT_ROOT/apt.conf" apt-get -c "$APT_ROOT/apt.conf" -o Dir="$APT_ROOT/" -q "$@"
}

apt_cache() {
  [[ -n ${APT_ROOT:-} ]] || fail "apt_cache: call setup_apt_root first"
  APT_CONFIG="$APT_ROOT/apt.conf" apt-cache -c "$APT_ROOT/apt.conf" -o Dir="$APT_ROOT/" "$@"
}

# apt_update_clean: apt-get update must succeed and print no line starting
# with W:, E: or Err:. The output is kept in $APT_UPDATE_OUT.
APT_UPDATE_OUT=""
apt_update_clean() {
  local out="$TESTDIR/.apt-update.out" rc=0
  apt_get update >"$out" 2>&1 || rc=$?
  APT_UPDATE_OUT=$(cat "$out")
  if ((rc != 0)); then
    fail "apt-get update failed (exit $rc): $APT_UPDATE_OUT"
  fi
  if grep -Eq '^(W|E|Err):' "$out"; then
    fail "apt-get update printed warnings or errors: $(grep -E '^(W|E|Err):' "$out" | head -20)"
  fi
}

# ---------------------------------------------------------------- Release checks

# verify_release DISTDIR [strict]: every file the Release lists under MD5Sum,
# SHA1, SHA256 or SHA512 exists with that size and hash. With "strict" a
# missing file fails too (otherwise it is allowed, for crash checks that only
# ask for consistency of what is there).
verify_release() {
  python3 "$INTEGRATION_DIR/deb822_tool.py" verify-release "$1" "${2:-strict}" ||
    fail "Release in $1 does not match the files it lists"
}

# release_field DISTDIR FIELD: a field of DISTDIR/Release (fails if absent).
release_field() {
  python3 "$INTEGRATION_DIR/deb822_tool.py" field "$1/Release" "$2" ||
    fail "$1/Release has no field $2"
}

# check_release DISTDIR KEYFILE [FIELD...]: the Release carries the fields a
# modern archive has (default: Origin Label Suite Codename Date Architectures
# Components Description; the hash sections MD5Sum SHA1 SHA256 SHA512 are
# always required), every listed file exists with its size and hashes,
# by-hash copies exist for the indexes, and InRelease / Release.gpg verify
# with KEYFILE (InRelease's signed text equal to Release).
check_release() {
  local distdir=$1 keyfile=$2 f
  shift 2
  local fields=("$@")
  ((${#fields[@]})) || fields=(Origin Label Suite Codename Date Architectures Components Description)
  assert_file_exists "$distdir/Release"
  for f in "${fields[@]}" MD5Sum SHA1 SHA256 SHA512; do
    release_field "$distdir" "$f" >/dev/null
  done
  assert_eq yes "$(release_field "$distdir" Acquire-By-Hash)" "Release Acquire-By-Hash"
  # The Date parses as an RFC 2822 date in UTC.
  local date
  date=$(release_field "$distdir" Date)
  date -d "$date" >/dev/null 2>&1 || fail "Release Date does not parse: $date"
  assert_matches "$date" '(UTC|\+0000)$' "Release Date is not in UTC"
  verify_release "$distdir" strict
  python3 "$INTEGRATION_DIR/deb822_tool.py" check-by-hash "$distdir" ||
    fail "by-hash files missing or wrong in $distdir"
  assert_file_exists "$distdir/InRelease"
  assert_file_exists "$distdir/Release.gpg"
  gpgv --keyring "$keyfile" "$distdir/InRelease" >"$TESTDIR/.gpgv.out" 2>&1 ||
    fail "gpgv InRelease failed: $(cat "$TESTDIR/.gpgv.out")"
  gpgv --keyring "$keyfile" "$distdir/Release.gpg" "$distdir/Release" >"$TESTDIR/.gpgv.out" 2>&1 ||
    fail "gpgv Release.gpg Release failed: $(cat "$TESTDIR/.gpgv.out")"
  gpgv --keyring "$keyfile" --output "$TESTDIR/.inrelease.txt" "$distdir/InRelease" >/dev/null 2>&1 ||
    fail "gpgv --output InRelease failed"
  cmp -s "$TESTDIR/.inrelease.txt" "$distdir/Release" ||
    fail "InRelease's signed text differs from Release: $(diff "$distdir/Release" "$TESTDIR/.inrelease.txt" | head -20)"
}

# The plain form of an index: FILE, else FILE.xz, else FILE.gz decompressed.
_index_text() { # PATHNOEXT OUT
  if [[ -f $1 ]]; then
    cp "$1" "$2"
  elif [[ -f $1.xz ]]; then
    xz -dc "$1.xz" >"$2"
  elif [[ -f $1.gz ]]; then
    gzip -dc "$1.gz" >"$2"
  else
    return 1
  fi
}

# check_compressed_forms INDEX: INDEX, INDEX.gz and INDEX.xz exist and hold
# the same text.
check_compressed_forms() {
  local idx=$1
  assert_file_exists "$idx"
  assert_file_exists "$idx.gz"
  assert_file_exists "$idx.xz"
  gzip -dc "$idx.gz" | cmp -s - "$idx" || fail "$idx.gz does not decompress to $idx"
  xz -dc "$idx.xz" | cmp -s - "$idx" || fail "$idx.xz does not decompress to $idx"
}

# check_against_ftparchive PUBDIR DIST COMP: the published Packages (all
# binary-* of COMP taken together), debian-installer Packages and Sources
# hold exactly the stanzas apt-ftparchive writes for pool/DIST/COMP, field by
# field; each binary-ARCH index holds only ARCH and all packages.
check_against_ftparchive() {
  local pub=$1 dist=$2 comp=$3
  local d="$pub/dists/$dist/$comp" work="$TESTDIR/ftp.$dist.$comp"
  mkdir -p "$work"
  [[ -d $pub/pool/$dist/$comp ]] || fail "no pool directory $pub/pool/$dist/$comp"
  # apt-ftparchive lists .deb and .udeb together; udebs belong in debian-installer/.
  (cd "$pub" && apt-ftparchive packages "pool/$dist/$comp") >"$work/exp.all" 2>"$work/ftp.err" ||
    fail "apt-ftparchive packages failed: $(cat "$work/ftp.err")"
  python3 "$INTEGRATION_DIR/deb822_tool.py" filter "$work/exp.all" "$work/exp.Packages" Filename '\.udeb$' -v
  python3 "$INTEGRATION_DIR/deb822_tool.py" filter "$work/exp.all" "$work/exp.udeb.Packages" Filename '\.udeb$'
  (cd "$pub" && apt-ftparchive sources "pool/$dist/$comp") >"$work/exp.Sources" 2>"$work/ftp.err" ||
    fail "apt-ftparchive sources failed: $(cat "$work/ftp.err")"

  local idx arch actual=() a
  for idx in "$d"/binary-*/Packages; do
    check_compressed_forms "$idx"
    arch=$(basename "$(dirname "$idx")")
    arch=${arch#binary-}
    while read -r a; do
      [[ $a == "$arch" || $a == all ]] || fail "$idx lists a package of architecture $a"
    done < <(python3 "$INTEGRATION_DIR/deb822_tool.py" values "$idx" Architecture)
    actual+=("$idx")
  done
  ((${#actual[@]})) || fail "no binary-*/Packages under $d"
  local joined
  joined=$(IFS=,; echo "${actual[*]}")
  python3 "$INTEGRATION_DIR/deb822_tool.py" compare "$work/exp.Packages" "$joined" ||
    fail "Packages of $dist/$comp differ from apt-ftparchive's (see above)"

  if [[ -s $work/exp.udeb.Packages ]]; then
    actual=()
    for idx in "$d"/debian-installer/binary-*/Packages; do
      check_compressed_forms "$idx"
      actual+=("$idx")
    done
    ((${#actual[@]})) || fail "udebs in the pool but no debian-installer/binary-*/Packages under $d"
    joined=$(IFS=,; echo "${actual[*]}")
    python3 "$INTEGRATION_DIR/deb822_tool.py" compare "$work/exp.udeb.Packages" "$joined" ||
      fail "debian-installer Packages of $dist/$comp differ from apt-ftparchive's (see above)"
  fi

  if [[ -s $work/exp.Sources ]]; then
    check_compressed_forms "$d/source/Sources"
    python3 "$INTEGRATION_DIR/deb822_tool.py" compare "$work/exp.Sources" "$d/source/Sources" Package Version ||
      fail "Sources of $dist/$comp differ from apt-ftparchive's (see above)"
  fi
}

# ---------------------------------------------------------------- prepo serve

# start_serve NAME [options...]: starts `prepo serve` for the root
# $SERVE_ROOT (default: $ROOT) on 127.0.0.1, port 0, and sets PORT and
# SERVE_PID; its output goes to $TESTDIR/NAME.out. stop_serve ends it.
start_serve() {
  local name=$1
  shift
  local out="$TESTDIR/$name.out"
  : >"$out"
  "$PREPO" --root "${SERVE_ROOT:-$ROOT}" serve --listen 127.0.0.1:0 "$@" >"$out" 2>&1 &
  SERVE_PID=$!
  register_pid "$SERVE_PID"
  local i
  for ((i = 0; i < 200; i++)); do
    PORT=$(sed -n 's|.*listening on https\?://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' "$out" | head -1)
    [[ -n $PORT ]] && return 0
    kill -0 "$SERVE_PID" 2>/dev/null || fail "prepo serve exited: $(cat "$out")"
    sleep 0.05
  done
  fail "prepo serve did not say where it listens: $(cat "$out")"
}

stop_serve() {
  kill -TERM "$SERVE_PID" 2>/dev/null || true
  wait "$SERVE_PID" 2>/dev/null || true
}

# ---------------------------------------------------------------- runner

_TESTS_PASSED=0
_TESTS_FAILED=0
_TESTS_SKIPPED=0
_FAILED_NAMES=()

# A test calls `skip_test REASON` to be reported as skipped.
skip_test() {
  printf '# SKIP: %s\n' "$*" >&2
  exit 77
}

# run_suite [test_function ...]: default is every test_* function, in the
# order they were defined. PREPO_TEST_FILTER (an ERE) selects tests.
run_suite() {
  local tests=("$@")
  if ((${#tests[@]} == 0)); then
    # Every test_* function in the order of definition.
    mapfile -t tests < <(
      shopt -s extdebug
      declare -F | awk '$3 ~ /^test_/ { print $3 }' | while read -r t; do
        declare -F "$t"
      done | sort -k2,2n | awk '{ print $1 }'
    )
  fi
  local n=0 t rc start
  for t in "${tests[@]}"; do
    if [[ -n ${PREPO_TEST_FILTER:-} ]] && ! grep -Eq -- "$PREPO_TEST_FILTER" <<<"$t"; then
      continue
    fi
    n=$((n + 1))
    start=$SECONDS
    rc=0
    set +e
    (
      set -eEuo pipefail
      _IN_TEST=1
      trap '_kill_jobs' EXIT
      cd "$TESTDIR"
      "$t"
    )
    rc=$?
    set -e
    local secs=$((SECONDS - start))
    if ((rc == 0)); then
      _TESTS_PASSED=$((_TESTS_PASSED + 1))
      echo "ok $n - $t (${secs}s)"
    elif ((rc == 77)); then
      _TESTS_SKIPPED=$((_TESTS_SKIPPED + 1))
      echo "ok $n - $t # SKIP"
    else
      _TESTS_FAILED=$((_TESTS_FAILED + 1))
      _FAILED_NAMES+=("$t")
      echo "not ok $n - $t (exit $rc, ${secs}s)"
    fi
  done
  echo "1..$n"
  if ((_TESTS_FAILED)); then
    echo "# failed: ${_FAILED_NAMES[*]}"
  fi
  if ((_TESTS_SKIPPED)); then
    echo "$_TESTS_PASSED passed, $_TESTS_FAILED failed, $_TESTS_SKIPPED skipped"
  else
    echo "$_TESTS_PASSED passed, $_TESTS_FAILED failed"
  fi
  ((_TESTS_FAILED == 0))
}

# ---------------------------------------------------------------- killing prepo
# Shared by the crash suites: SIGKILL a command at a moment or on an event.

# kill_after MS cmd...: runs cmd in the background and SIGKILLs it after MS
# milliseconds, unless it ended before. Sets KILLED=1 when the kill hit,
# CMD_RC to the exit status.
kill_after() {
  local ms=$1
  shift
  "$@" >"$TESTDIR/.killed.out" 2>&1 &
  local pid=$!
  register_pid "$pid"
  sleep "$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))"
  KILLED=0
  if kill -9 "$pid" 2>/dev/null; then KILLED=1; fi
  CMD_RC=0
  { wait "$pid" || CMD_RC=$?; } 2>/dev/null
  # A kill sent just as the process was exiting does not count.
  if ((KILLED && CMD_RC != 137)); then KILLED=0; fi
}

# kill_on_path ROOT GLOB [new] cmd...: runs cmd in the background and
# SIGKILLs it the moment a path matching ROOT/GLOB exists ("new": one that
# did not exist at the start). Sets KILLED and CMD_RC like kill_after.
kill_on_path() {
  local root=$1 glob=$2 mode=$3
  shift 3
  local before="$TESTDIR/.glob.before"
  (cd "$root" && compgen -G "$glob" || true) >"$before"
  # Stopped before exec, so the watcher is ready before prepo runs.
  bash -c 'kill -STOP $$; exec "$@"' _ "$@" >"$TESTDIR/.killed.out" 2>&1 &
  local pid=$!
  register_pid "$pid"
  local i
  for ((i = 0; i < 500; i++)); do
    [[ $(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null) == T ]] && break
    sleep 0.01
  done
  KILLED=0
  python3 - "$pid" "$root" "$glob" "$mode" "$before" <<'EOF' && KILLED=1
import glob, os, signal, sys, time
pid, root, pattern, mode, before = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
old = set(open(before).read().split()) if mode == "new" else set()
os.kill(pid, signal.SIGCONT)
deadline = time.monotonic() + 120
while time.monotonic() < deadline:
    if {os.path.relpath(p, root) for p in glob.glob(os.path.join(root, pattern))} - old:
        os.kill(pid, signal.SIGKILL)
        sys.exit(0)
    with open(f"/proc/{pid}/stat") as f:
        if f.read().rsplit(")", 1)[1].split()[0] == "Z":
            sys.exit(1)
sys.exit(1)
EOF
  CMD_RC=0
  { wait "$pid" || CMD_RC=$?; } 2>/dev/null
  if ((KILLED && CMD_RC != 137)); then KILLED=0; fi
  ((KILLED)) || msg "the command ended before $glob appeared"
}

# A stratified random moment in slot I of N over a runtime of T ms:
# uniformly within [T*I/N, T*(I+1)/N], the last slot reaching 10% past T.
kill_moment() { # I N T
  local i=$1 n=$2 t=$3
  local lo=$((t * i / n)) hi=$((t * (i + 1) / n))
  ((i == n - 1)) && hi=$((t * 11 / 10))
  echo $((lo + (RANDOM * 32768 + RANDOM) % (hi - lo + 1)))
}
