#!/bin/bash
# prepo import and import-mirror against real mirrors over HTTP on 127.0.0.1
# (issue 4):
#
#   - the recovery story: a prepo farm publishes, reprepro mirrors it with
#     `reprepro update` over HTTP and signs its own dists; the farm's root is
#     deleted; a new root runs import-mirror from the reprepro mirror; its
#     pool is byte-identical, the real apt installs from it, and a rebuilt
#     package of the same version is refused as a clash;
#   - `prepo import` of a signed .dsc over HTTP, then `apt-get source`;
#   - mirrors made by reprepro (.gz, .xz), aptly (.gz, by-hash),
#     apt-ftparchive (plain + .gz, Release.gpg only) and prepo (.xz, by-hash);
#   - hostile or broken mirrors (mirror_server.py): bad signature, unknown
#     key, MD5 signature, expired Valid-Until, a Date in the future, a
#     Release of another distribution, index and package hash mismatches,
#     stanzas pointing at another package's file, truncated transfers
#     (resumed), unsafe Filename, redirect to file://, index bombs, a server
#     that never answers, 404 and the rerun that fetches only what is missing;
#   - a kill -9 at any moment of an import into a fresh farm leaves the
#     distribution and its packages, or neither; no password in a URL;
#   - --only-missing / --prefer-mirror, where imports came from (list,
#     generations).
#
# Tests run in order; later ones use the farms of earlier ones.
source "$(dirname "$0")/lib.sh"

skip_unless_tools dpkg-deb dpkg-source dpkg dpkg-query apt-get apt-cache apt-ftparchive \
  reprepro aptly gpg gpgv python3 xz gzip
require_prepo

IN="$TESTDIR/in"
WWW="$TESTDIR/www"
mkdir -p "$IN" "$WWW" "$TESTDIR/roots"

# ---------------------------------------------------------------- keys

make_gpg_key >/dev/null
FARM_FPR=$GPG_FPR
FARM_KEY=$GPG_KEYFILE

# new_key UID OUTFILE: another signing key in the same GNUPGHOME; exports
# its public key to OUTFILE and prints its fingerprint.
new_key() {
  gpg --batch --quiet --passphrase '' --quick-gen-key "$1" ed25519 sign never >/dev/null 2>&1 ||
    fail "gpg key generation failed for $1"
  local fpr
  fpr=$(gpg --batch --with-colons --list-secret-keys "$1" 2>/dev/null | awk -F: '$1 == "fpr" { print $10; exit }')
  [[ -n $fpr ]] || fail "no fingerprint for $1"
  gpg --batch --export "$fpr" >"$2"
  echo "$fpr"
}
MIRROR_KEY="$TESTDIR/mirror-key.gpg"
MIRROR_FPR=$(new_key "prepo test mirror <mirror@example.org>" "$MIRROR_KEY")
OTHER_KEY="$TESTDIR/other-key.gpg"
OTHER_FPR=$(new_key "a stranger <stranger@example.org>" "$OTHER_KEY")

# ---------------------------------------------------------------- packages

gen_debs "$IN/debs" 8 pkg 1.0-1 amd64
gen_debs "$IN/debs" 2 doc 1.0-1 all
make_deb "$IN/debs" hello 1.0-1 amd64 "Depends: doc-00001" >/dev/null
HELLO_DSC=$(make_source_pkg "$IN/src" hello 1.0-1)
# The same packages rebuilt: same control and content, other compression.
python3 "$INTEGRATION_DIR/gen_debs.py" --out "$IN/regen" --count 8 --prefix pkg --compression gz \
  >/dev/null || fail "gen_debs.py --compression gz failed"
cmp -s "$IN/debs/pkg-00003_1.0-1_amd64.deb" "$IN/regen/pkg-00003_1.0-1_amd64.deb" &&
  fail "the regenerated package has the same bytes"
# Other versions of pkg-00006 and pkg-00007 for --only-missing.
python3 "$INTEGRATION_DIR/gen_debs.py" --out "$IN/old" --count 1 --start 6 --prefix pkg --version 0.9-1 \
  >/dev/null || fail "gen_debs.py failed"
python3 "$INTEGRATION_DIR/gen_debs.py" --out "$IN/new" --count 1 --start 7 --prefix pkg --version 2.0-1 \
  >/dev/null || fail "gen_debs.py failed"

# What every mirror of the origin farm holds: `prepo list` lines, sorted.
EXPECTED_LIST=$(
  {
    for i in 1 2 3 4 5 6 7 8; do echo "pkg-0000$i 1.0-1 amd64 main"; done
    echo "doc-00001 1.0-1 all main"
    echo "doc-00002 1.0-1 all main"
    echo "hello 1.0-1 amd64 main"
    echo "hello 1.0-1 source main"
  } | LC_ALL=C sort
)

# ---------------------------------------------------------------- helpers

# shellcheck disable=SC2054 # commas are prepo's list syntax
DIST_ADD_ARGS=(--components main --architectures amd64,all,source --sign-with "$FARM_FPR"
  --origin prepo-test --label "Prepo Test" --suite unstable)

# new_root NAME [nodist]: an initialised root with farm dev and (unless
# "nodist") distribution dev/skaro signed with the farm key. Prints its path.
new_root() {
  local root="$TESTDIR/roots/$1"
  rm -rf "$root"
  mkdir -p "$root"
  (cd "$root" && "$PREPO" init >/dev/null) || fail "prepo init failed in $root"
  prepo_r "$root" farm add dev >/dev/null || fail "farm add failed"
  if [[ ${2:-} != nodist ]]; then
    prepo_r "$root" dist add dev/skaro "${DIST_ADD_ARGS[@]}" >/dev/null || fail "dist add failed"
  fi
  echo "$root"
}

# The list of FARM/DIST in ROOT (name version arch component), sorted,
# without the "(imported from ...)" note.
list_of() { # ROOT FARM/DIST
  local out
  out=$(prepo_r "$1" list "$2") || fail "prepo list $2 failed"
  sed -e 's/  (imported from .*//' -e '/^$/d' <<<"$out" | LC_ALL=C sort
}

# EXPECTED_LIST without the lines of the named packages (binary ones).
expected_without() {
  local re
  re=$(printf '|^%s ' "$@")
  grep -Ev "${re#|}" <<<"$EXPECTED_LIST"
}

# Signs DISTDIR/Release with FPR: InRelease and Release.gpg.
sign_release() { # DISTDIR FPR
  rm -f "$1/InRelease" "$1/Release.gpg"
  gpg --batch --yes --local-user "$2" --clearsign -o "$1/InRelease" "$1/Release" 2>/dev/null ||
    fail "clearsign failed"
  gpg --batch --yes --local-user "$2" --detach-sign -o "$1/Release.gpg" "$1/Release" 2>/dev/null ||
    fail "detach-sign failed"
}

# remake_release DISTDIR [--set Field=Value]... [--drop REGEX]...: rewrites
# DISTDIR/Release with the sizes and hashes of the files as they are now
# (what a hostile mirror that holds a key would do); entries whose file is
# missing or whose path matches a --drop are left out. Removes the old
# signatures.
remake_release() {
  python3 - "$@" <<'EOF' || fail "remake_release failed"
import hashlib, os, re, sys
d = sys.argv[1]
sets, drops = [], []
args = sys.argv[2:]
while args:
    opt, val = args[0], args[1]
    args = args[2:]
    (sets if opt == "--set" else drops).append(val)
algos = {"MD5Sum": "md5", "SHA1": "sha1", "SHA256": "sha256", "SHA512": "sha512"}
out, section, paths = [], None, []
for line in open(os.path.join(d, "Release"), encoding="utf-8").read().splitlines():
    if line.startswith(" ") and section:
        path = line.split()[2]
        if path not in paths:
            paths.append(path)
        continue
    section = None
    name = line.split(":", 1)[0]
    if name in algos:
        section = name
        continue
    if any(s.split("=", 1)[0] == name for s in sets):
        continue
    out.append(line)
for s in sets:
    k, v = s.split("=", 1)
    out.append(f"{k}: {v}")
for name, algo in algos.items():
    out.append(f"{name}:")
    for p in paths:
        f = os.path.join(d, p)
        if not os.path.isfile(f) or any(re.search(r, p) for r in drops):
            continue
        data = open(f, "rb").read()
        out.append(f" {hashlib.new(algo, data).hexdigest()} {len(data):>16} {p}")
open(os.path.join(d, "Release"), "w", encoding="utf-8").write("\n".join(out) + "\n")
for s in ("InRelease", "Release.gpg"):
    if os.path.exists(os.path.join(d, s)):
        os.unlink(os.path.join(d, s))
EOF
}

# Rewrites an index (plain text, .gz and .xz as far as they exist) from
# its plain text: `rewrite_index PATH-WITHOUT-SUFFIX` after editing PATH.
rewrite_index() {
  local p=$1
  [[ -f $p.gz ]] && gzip -9nc "$p" >"$p.gz"
  [[ -f $p.xz ]] && xz -c "$p" >"$p.xz"
  return 0
}

# mirror_copy NAME [FROM]: a copy of a served mirror (default: prepo's own,
# www/origin) as www/NAME, without its by-hash directories (so that a
# tampered index is fetched by its name). Prints its path.
mirror_copy() {
  local dst="$WWW/$1" src="$WWW/${2:-origin}"
  rm -rf "$dst"
  cp -a "$src" "$dst"
  find "$dst/dists" -depth -type d -name by-hash -exec rm -rf {} +
  if [[ -f $dst/dists/skaro/Release ]] && grep -q '^Acquire-By-Hash' "$dst/dists/skaro/Release"; then
    remake_release "$dst/dists/skaro" --set Acquire-By-Hash=no
    sign_release "$dst/dists/skaro" "$FARM_FPR"
  fi
  echo "$dst"
}

# The path of a package file under a mirror's pool, by file name.
pool_file() { # MIRRORDIR NAME
  local f
  f=$(find "$1/pool" -name "$2" -type f | head -1)
  [[ -n $f ]] || fail "no $2 in $1/pool"
  echo "$f"
}

# Sets the rules of the web server (mirror_server.py): a JSON list.
set_rules() { printf '%s\n' "$1" >"$TESTDIR/www.rules"; }

# Lines the server logged since LOG_MARK (set by mark_log).
LOG_MARK=0
mark_log() { LOG_MARK=$(wc -l <"$TESTDIR/www.log"); }
log_since() { tail -n +"$((LOG_MARK + 1))" "$TESTDIR/www.log"; }

# run_rc cmd...: runs cmd; stdout in $OUT, stderr in $ERR, status in $RC.
OUT="" ERR="" RC=0
run_rc() {
  RC=0
  "$@" >"$TESTDIR/.rc.out" 2>"$TESTDIR/.rc.err" </dev/null || RC=$?
  OUT=$(cat "$TESTDIR/.rc.out")
  ERR=$(cat "$TESTDIR/.rc.err")
  ((RC < 128)) || fail "command died from signal $((RC - 128)): $* :: $ERR"
}

# The `prepo: ...` / `prepo: failed: ...` lines of $ERR.
error_lines() { grep '^prepo: ' <<<"$ERR" || true; }

# sha256 and name of every .deb/.dsc/.tar* under a pool, "name sha256", sorted.
pool_sums() { # DIR
  find "$1" -type f \( -name '*.deb' -o -name '*.dsc' -o -name '*.tar*' \) -printf '%f %p\n' |
    while read -r name path; do echo "$name $(sha256_of "$path")"; done | LC_ALL=C sort
}

# A private apt root whose dpkg installs into it (as in test_stacking.sh),
# with sources for PUBDIR skaro main.
setup_install_root() { # DIR PUBDIR
  local dir=$1 pub=$2
  setup_install_apt_root "$dir"
  cat >"$dir/etc/apt/sources.list.d/prepo.list" <<EOF
deb [signed-by=$FARM_KEY] file:$pub skaro main
deb-src [signed-by=$FARM_KEY] file:$pub skaro main
EOF
}

# ---------------------------------------------------------------- the web server

# Started from a subshell, so it is not a job of this shell (no "Killed"
# notice when the EXIT trap ends it).
(
  python3 "$INTEGRATION_DIR/mirror_server.py" --root "$WWW" --port-file "$TESTDIR/www.port" \
    --log "$TESTDIR/www.log" --rules "$TESTDIR/www.rules" 2>"$TESTDIR/www.err" </dev/null >/dev/null &
  echo $! >"$TESTDIR/www.pid"
)
register_pid "$(cat "$TESTDIR/www.pid")"
for ((i = 0; i < 100; i++)); do
  [[ -s $TESTDIR/www.port ]] && break
  sleep 0.05
done
[[ -s $TESTDIR/www.port ]] || fail "mirror_server.py did not start: $(cat "$TESTDIR/www.err")"
URL="http://127.0.0.1:$(cat "$TESTDIR/www.port")"
: >>"$TESTDIR/www.log"
set_rules '[]'

# ---------------------------------------------------------------- the origin farm

ROOT0=$(new_root origin)
prepo_r "$ROOT0" include dev/skaro "$IN"/debs/*.deb "$HELLO_DSC" >/dev/null ||
  fail "include into the origin farm failed"
assert_eq "$EXPECTED_LIST" "$(list_of "$ROOT0" dev/skaro)" "origin farm list"
# prepo's own published tree is a mirror too (.xz indexes, by-hash).
cp -a "$ROOT0/public/dev" "$WWW/origin"

# ---------------------------------------------------------------- the reprepro mirror

# reprepro copies the origin farm over HTTP like a real downstream mirror
# and signs its own dists with the mirror key (.gz and .xz indexes).
RB="$TESTDIR/reprepro"
mkdir -p "$RB/conf"
cat >"$RB/conf/distributions" <<EOF
Origin: reprepro-mirror
Label: reprepro-mirror
Suite: unstable
Codename: skaro
Architectures: amd64 source
Components: main
Update: upstream
SignWith: $MIRROR_FPR
DebIndices: Packages Release . .gz .xz
DscIndices: Sources Release . .gz .xz
EOF
cat >"$RB/conf/updates" <<EOF
Name: upstream
Method: $URL/origin
Suite: skaro
Components: main
Architectures: amd64 source
VerifyRelease: ${FARM_FPR: -16}
EOF
reprepro --gnupghome "$GNUPGHOME" -b "$RB" --outdir "$WWW/reprepro" update skaro \
  >"$TESTDIR/reprepro.out" 2>&1 || fail "reprepro update failed: $(cat "$TESTDIR/reprepro.out")"
[[ -f $WWW/reprepro/dists/skaro/InRelease ]] || fail "reprepro wrote no InRelease"
gpgv --keyring "$MIRROR_KEY" "$WWW/reprepro/dists/skaro/InRelease" >/dev/null 2>&1 ||
  fail "reprepro's InRelease does not verify with the mirror key"
[[ -f $WWW/reprepro/dists/skaro/main/binary-amd64/Packages.xz ]] || fail "reprepro wrote no Packages.xz"
# reprepro really fetched from the origin over HTTP.
grep -q '^GET /origin/pool/' "$TESTDIR/www.log" || fail "reprepro fetched nothing from the origin"
[[ $(pool_sums "$WWW/reprepro/pool") == "$(pool_sums "$WWW/origin/pool")" ]] ||
  fail "reprepro's pool differs from the origin's"

# ---------------------------------------------------------------- 1. recovery

test_recovery_from_reprepro_mirror() {
  # The build host is lost.
  rm -rf "$ROOT0"
  local root
  root=$(new_root recovered)
  mark_log
  run_ok prepo_r "$root" import-mirror dev "$URL/reprepro" --dist skaro --keyring "$MIRROR_KEY" -j 3
  assert_contains "$LAST_OUT" "12 packages listed by the mirror: 12 imported, 0 already here, 0 failed"
  assert_eq "$EXPECTED_LIST" "$(list_of "$root" dev/skaro)" "list after import-mirror"
  run_ok prepo_r "$root" check
  # The downloads were handed over to the store.
  assert_eq "" "$(find "$root/downloads" -type f 2>/dev/null)" "files left in downloads/"

  # Byte-identical to the mirror (and to what was built in the first place).
  local mirror_sums farm_sums
  mirror_sums=$(pool_sums "$WWW/reprepro/pool")
  farm_sums=$(pool_sums "$root/public/dev/pool")
  assert_eq "$mirror_sums" "$farm_sums" "sha256 of every pool file, by name"
  assert_eq 14 "$(wc -l <<<"$farm_sums")" "number of pool files (11 .deb, .dsc, 2 tarballs)"
  assert_eq "$(sha256_of "$IN/debs/pkg-00003_1.0-1_amd64.deb")" \
    "$(sha256_of "$(pool_file "$root/public/dev" pkg-00003_1.0-1_amd64.deb)")"
  check_release "$root/public/dev/dists/skaro" "$FARM_KEY" Origin Label Suite Codename Date Architectures Components

  # The real apt installs from the new farm.
  setup_install_root "$TESTDIR/apt-recovered" "$root/public/dev"
  apt_update_clean
  run_ok apt_get install -y hello pkg-00004
  assert_eq "1.0-1 ii" "$(installed_version hello)" "hello installed"
  assert_eq "1.0-1 ii" "$(installed_version doc-00001)" "doc-00001 installed as hello's dependency"
  assert_eq "1.0-1 ii" "$(installed_version pkg-00004)" "pkg-00004 installed"
  assert_file_exists "$APT_ROOT/usr/share/doc/pkg-00004/README"

  # A rebuild of the same version (other compression) clashes.
  local before old_sum new_sum regen="$IN/regen/pkg-00003_1.0-1_amd64.deb"
  old_sum=$(sha256_of "$IN/debs/pkg-00003_1.0-1_amd64.deb")
  new_sum=$(sha256_of "$regen")
  before=$(root_hash "$root")
  assert_fails_with 'regen/pkg-00003_1\.0-1_amd64\.deb' prepo_r "$root" include dev/skaro "$regen"
  assert_contains "$LAST_ERR" "$old_sum" "clash message names the farm's sha256"
  assert_contains "$LAST_ERR" "$new_sum" "clash message names the rebuild's sha256"
  assert_eq "$before" "$(root_hash "$root")" "root after the refused include"
  # The same bytes: a no-op that says so.
  run_ok prepo_r "$root" include dev/skaro "$IN/debs/pkg-00003_1.0-1_amd64.deb"
  assert_matches "$LAST_OUT" '[Aa]lready|[Uu]nchanged|[Nn]othing' "re-include says it did nothing"
  assert_eq "$before" "$(root_hash "$root")" "root after including the identical file"
}

# ---------------------------------------------------------------- 2. prepo import of a .dsc

test_import_dsc_over_http() {
  local root="$TESTDIR/roots/recovered" d="$WWW/dsc"
  mkdir -p "$d" "$IN/greet"
  local dsc
  dsc=$(make_source_pkg "$IN/greet" greet 2.0-1)
  cp "$IN/greet/greet_2.0.orig.tar.gz" "$IN/greet/greet_2.0-1.debian.tar.xz" "$d/"
  gpg --batch --yes --local-user "$FARM_FPR" --clearsign -o "$d/greet_2.0-1.dsc" "$dsc" 2>/dev/null ||
    fail "signing the .dsc failed"

  run_ok prepo_r "$root" import dev/skaro "$URL/dsc/greet_2.0-1.dsc" --keyring "$FARM_KEY"
  assert_contains "$(prepo_r "$root" list dev/skaro greet)" "greet 2.0-1 source main"
  run_ok prepo_r "$root" check

  # apt-get source gets the very files that were served.
  setup_install_root "$TESTDIR/apt-src" "$root/public/dev"
  apt_update_clean
  mkdir -p "$TESTDIR/srcdl"
  cd "$TESTDIR/srcdl" || fail "cd"
  run_ok apt_get source --download-only greet
  local f
  for f in greet_2.0-1.dsc greet_2.0.orig.tar.gz greet_2.0-1.debian.tar.xz; do
    assert_files_equal "$d/$f" "$TESTDIR/srcdl/$f"
  done
}

test_import_changes_over_http() {
  # A signed .changes naming a source package and a binary: every listed
  # file is fetched from beside it, checked, and included.
  local root="$TESTDIR/roots/recovered" d="$WWW/changes"
  mkdir -p "$d" "$IN/upload"
  local dsc deb f
  dsc=$(make_source_pkg "$IN/upload" upload 1.0-1)
  deb=$(make_deb "$IN/upload" upload-bin 1.0-1 amd64 "Source: upload")
  make_changes "$IN/upload/upload_1.0-1_amd64.changes" upload 1.0-1 "$dsc" "$deb" >/dev/null
  for f in upload_1.0-1.dsc upload_1.0.orig.tar.gz upload_1.0-1.debian.tar.xz "$(basename "$deb")"; do
    cp "$IN/upload/$f" "$d/"
  done
  gpg --batch --yes --local-user "$FARM_FPR" --clearsign -o "$d/upload_1.0-1_amd64.changes" \
    "$IN/upload/upload_1.0-1_amd64.changes" 2>/dev/null || fail "signing the .changes failed"

  run_ok prepo_r "$root" import dev/skaro "$URL/changes/upload_1.0-1_amd64.changes" --keyring "$FARM_KEY"
  assert_contains "$(prepo_r "$root" list dev/skaro upload)" "upload 1.0-1 source main"
  assert_contains "$(prepo_r "$root" list dev/skaro upload-bin)" "upload-bin 1.0-1 amd64 main"
  # Each package is recorded as coming from its own URL.
  assert_contains "$(prepo_r "$root" list dev/skaro upload-bin)" "$URL/changes/$(basename "$deb")"
  assert_files_equal "$d/$(basename "$deb")" \
    "$root/public/dev/pool/skaro/main/u/upload/$(basename "$deb")"
  run_ok prepo_r "$root" check
}

test_import_dsc_refusals() {
  local root="$TESTDIR/roots/recovered" before
  before=$(root_hash "$root")

  # Unsigned: refused with --keyring and without it.
  local u="$WWW/dsc-unsigned"
  mkdir -p "$u"
  make_source_pkg "$IN/ugly" ugly 1.0-1 >/dev/null
  cp "$IN/ugly/ugly_1.0-1.dsc" "$IN/ugly/ugly_1.0.orig.tar.gz" "$IN/ugly/ugly_1.0-1.debian.tar.xz" "$u/"
  assert_fails_with "dsc-unsigned/ugly_1\.0-1\.dsc: not signed, but --keyring asks for a signature" \
    prepo_r "$root" import dev/skaro "$URL/dsc-unsigned/ugly_1.0-1.dsc" --keyring "$FARM_KEY"
  assert_fails_with "dsc-unsigned/ugly_1\.0-1\.dsc: no --keyring to verify it with" \
    prepo_r "$root" import dev/skaro "$URL/dsc-unsigned/ugly_1.0-1.dsc"
  # Signed by a key not in the keyring.
  gpg --batch --yes --local-user "$OTHER_FPR" --clearsign -o "$u/stranger_1.0-1.dsc" \
    "$IN/ugly/ugly_1.0-1.dsc" 2>/dev/null || fail "signing failed"
  assert_fails_with "stranger_1\.0-1\.dsc: no valid signature by a key in the keyring" \
    prepo_r "$root" import dev/skaro "$URL/dsc-unsigned/stranger_1.0-1.dsc" --keyring "$FARM_KEY"
  assert_eq "$before" "$(root_hash "$root")" "root after the refused unsigned imports"

  # A tarball with other bytes than the signed .dsc lists.
  local t="$WWW/dsc-tampered"
  mkdir -p "$t"
  make_source_pkg "$IN/tamper" tamper 1.0-1 >/dev/null
  cp "$IN/tamper/tamper_1.0.orig.tar.gz" "$IN/tamper/tamper_1.0-1.debian.tar.xz" "$t/"
  gpg --batch --yes --local-user "$FARM_FPR" --clearsign -o "$t/tamper_1.0-1.dsc" \
    "$IN/tamper/tamper_1.0-1.dsc" 2>/dev/null || fail "signing failed"
  # Same size, one byte changed.
  python3 - "$t/tamper_1.0-1.debian.tar.xz" <<'EOF'
import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
b[len(b) // 2] ^= 0xff
open(p, "wb").write(bytes(b))
EOF
  local listed
  listed=$(sha256_of "$IN/tamper/tamper_1.0-1.debian.tar.xz")
  assert_fails_with "dsc-tampered/tamper_1\.0-1\.debian\.tar\.xz: SHA256 is [0-9a-f]{64}, tamper_1\.0-1\.dsc says $listed" \
    prepo_r "$root" import dev/skaro "$URL/dsc-tampered/tamper_1.0-1.dsc" --keyring "$FARM_KEY"
  assert_eq "$before" "$(root_hash "$root")" "root after the refused tampered .dsc"
  # One byte more than listed.
  cp "$IN/tamper/tamper_1.0-1.debian.tar.xz" "$t/"
  printf 'x' >>"$t/tamper_1.0-1.debian.tar.xz"
  assert_fails_with "dsc-tampered/tamper_1\.0-1\.debian\.tar\.xz: larger than the [0-9]+ bytes tamper_1\.0-1\.dsc says" \
    prepo_r "$root" import dev/skaro "$URL/dsc-tampered/tamper_1.0-1.dsc" --keyring "$FARM_KEY"
  assert_eq "$before" "$(root_hash "$root")" "root after the refused oversized tarball"
  # The honest files are accepted.
  cp "$IN/tamper/tamper_1.0-1.debian.tar.xz" "$t/"
  run_ok prepo_r "$root" import dev/skaro "$URL/dsc-tampered/tamper_1.0-1.dsc" --keyring "$FARM_KEY"
  assert_contains "$(prepo_r "$root" list dev/skaro tamper)" "tamper 1.0-1 source main"
}

# URLs that are refused before anything is fetched: a scheme the fetcher
# does not read, a directory, a password (it would be recorded).
test_import_url_refusals() {
  local root="$TESTDIR/roots/recovered" before
  before=$(root_hash "$root")
  assert_fails_with '^prepo: ftp://127\.0\.0\.1/x\.deb: unsupported scheme ftp \(only http, https and file are read\)$' \
    prepo_r "$root" import dev/skaro ftp://127.0.0.1/x.deb
  assert_fails_with "^prepo: $URL/dsc/: names a directory, not a package" \
    prepo_r "$root" import dev/skaro "$URL/dsc/"
  assert_fails_with '^prepo: http://u:\*\*\*@127\.0\.0\.1:[0-9]+/dsc/greet_2\.0-1\.dsc: a password in the URL would be recorded .*~/\.netrc.*machine 127\.0\.0\.1 login u password \.\.\.$' \
    prepo_r "$root" import dev/skaro "http://u:s3cret@${URL#http://}/dsc/greet_2.0-1.dsc" --keyring "$FARM_KEY"
  assert_not_contains "$LAST_ERR" "s3cret"
  assert_fails_with '^prepo: http://user:\*\*\*@127\.0\.0\.1:[0-9]+/reprepro: a password in the URL' \
    prepo_r "$root" import-mirror dev "http://user:s3cret@${URL#http://}/reprepro" --dist skaro \
    --keyring "$MIRROR_KEY"
  assert_eq "$before" "$(root_hash "$root")" "root after the refused imports"
}

# ---------------------------------------------------------------- 3. mirrors of other tools

# import_and_check MIRROR-URL FARM KEYRING-ARGS...: import-mirror into a new
# farm of the "peers" root whose distribution is made from the mirror's
# Release; list and check.
PEERS="$TESTDIR/roots/peers"
import_and_check() {
  local url=$1 farm=$2
  shift 2
  [[ -d $PEERS ]] || new_root peers nodist >/dev/null
  run_ok prepo_r "$PEERS" farm add "$farm"
  run_ok prepo_r "$PEERS" import-mirror "$farm" "$url" --dist skaro "$@"
  assert_contains "$LAST_OUT" "12 imported, 0 already here, 0 failed"
  assert_eq "$EXPECTED_LIST" "$(list_of "$PEERS" "$farm/skaro")" "list of $farm/skaro"
  run_ok prepo_r "$PEERS" check
  assert_eq "$(pool_sums "$WWW/origin/pool")" "$(pool_sums "$PEERS/public/$farm/pool")" \
    "pool of $farm, by name and sha256"
}

test_mirror_made_by_reprepro() {
  mark_log
  import_and_check "$URL/reprepro" viareprepro --keyring "$MIRROR_KEY"
  # The .xz form is the one fetched.
  assert_matches "$(log_since)" '^GET /reprepro/dists/skaro/main/binary-amd64/Packages\.xz - 200'
  assert_not_contains "$(log_since)" "binary-amd64/Packages.gz"
}

test_mirror_made_by_aptly() {
  local cfg="$TESTDIR/aptly.conf"
  cat >"$cfg" <<EOF
{"rootDir": "$TESTDIR/aptly", "gpgProvider": "gpg", "architectures": [], "dependencyFollowSuggests": false}
EOF
  local a=(aptly -config="$cfg")
  run_ok "${a[@]}" repo create -distribution=skaro -component=main peers
  run_ok "${a[@]}" repo add peers "$IN/debs" "$HELLO_DSC"
  run_ok "${a[@]}" publish repo -batch -gpg-key="$MIRROR_FPR" -acquire-by-hash -skip-contents \
    -architectures=amd64,all,source -origin=aptly-mirror peers
  rm -rf "$WWW/aptly"
  cp -a "$TESTDIR/aptly/public" "$WWW/aptly"
  local rel="$WWW/aptly/dists/skaro/Release"
  assert_file_exists "$WWW/aptly/dists/skaro/InRelease"
  assert_matches "$(cat "$rel")" '^Acquire-By-Hash: yes' "aptly's Release offers by-hash"
  assert_matches "$(cat "$rel")" ' main/binary-amd64/Packages\.gz$' "aptly's Release lists Packages.gz"
  assert_not_contains "$(cat "$rel")" "Packages.xz" "aptly writes no .xz, so .gz is what is read"
  mark_log
  import_and_check "$URL/aptly" viaaptly --keyring "$MIRROR_KEY"
  # aptly writes .gz (and .bz2), no .xz; fetched by hash.
  assert_matches "$(log_since)" '^GET /aptly/dists/skaro/main/binary-amd64/by-hash/SHA256/[0-9a-f]{64} - 200'
}

test_mirror_made_by_apt_ftparchive() {
  # A flat apt-ftparchive archive: plain and .gz indexes, Release.gpg only.
  local m="$WWW/ftparchive" d
  d="$m/dists/skaro"
  mkdir -p "$m/pool/main" "$d/main/binary-amd64" "$d/main/binary-all" "$d/main/source"
  cp "$IN"/debs/*.deb "$m/pool/main/"
  cp "$IN/src/hello_1.0-1.dsc" "$IN/src/hello_1.0.orig.tar.gz" "$IN/src/hello_1.0-1.debian.tar.xz" "$m/pool/main/"
  (
    cd "$m"
    apt-ftparchive packages pool/main >"$d/main/binary-amd64/Packages"
    : >"$d/main/binary-all/Packages"
    apt-ftparchive sources pool/main >"$d/main/source/Sources"
  ) 2>"$TESTDIR/ftp.err" || fail "apt-ftparchive failed: $(cat "$TESTDIR/ftp.err")"
  local f
  for f in "$d"/main/*/Packages "$d/main/source/Sources"; do gzip -9nk "$f"; done
  (cd "$d" && apt-ftparchive -o APT::FTPArchive::Release::Codename=skaro \
    -o APT::FTPArchive::Release::Origin=ftparchive -o APT::FTPArchive::Release::Components=main \
    -o APT::FTPArchive::Release::Architectures="amd64 all source" release . >"$TESTDIR/Release.ftp") ||
    fail "apt-ftparchive release failed"
  mv "$TESTDIR/Release.ftp" "$d/Release"
  gpg --batch --yes --local-user "$MIRROR_FPR" --detach-sign -o "$d/Release.gpg" "$d/Release" 2>/dev/null ||
    fail "signing failed"
  mark_log
  import_and_check "$URL/ftparchive" viaftparchive --keyring "$MIRROR_KEY"
  assert_matches "$(log_since)" '^GET /ftparchive/dists/skaro/InRelease - 404'
  assert_matches "$(log_since)" '^GET /ftparchive/dists/skaro/Release\.gpg - 200'
}

test_mirror_made_by_prepo() {
  mark_log
  import_and_check "$URL/origin" viaprepo --keyring "$FARM_KEY"
  # prepo publishes by-hash and .xz: the index is fetched by hash.
  assert_matches "$(log_since)" '^GET /origin/dists/skaro/main/binary-amd64/by-hash/SHA256/[0-9a-f]{64} - 200'
}

# ---------------------------------------------------------------- 4. hostile and broken mirrors

# assert_refused NAME PATTERN [import-mirror options...]: a whole-run refusal
# (one stderr line, exit 1) into the "hostile" root, which is unchanged.
HOSTILE="$TESTDIR/roots/hostile"
assert_refused() {
  local name=$1 pattern=$2
  shift 2
  [[ -d $HOSTILE ]] || new_root hostile >/dev/null
  local before
  before=$(root_hash "$HOSTILE")
  assert_fails_with "$pattern" prepo_r "$HOSTILE" import-mirror dev "$URL/$name" --dist skaro "$@"
  assert_eq 1 "$LAST_RC" "exit status"
  assert_eq "$before" "$(root_hash "$HOSTILE")" "root after the refused import-mirror from $name"
  assert_eq "" "$(prepo_r "$HOSTILE" list dev/skaro)" "nothing listed after $name"
}

test_bad_signature() {
  local m
  m=$(mirror_copy h-badsig)
  sed -i 's/^Label: Prepo Test$/Label: Prepo Evil/' "$m/dists/skaro/InRelease"
  grep -q '^Label: Prepo Evil' "$m/dists/skaro/InRelease" || fail "InRelease not tampered"
  assert_refused h-badsig '^prepo: http://127\.0\.0\.1:[0-9]+/h-badsig/dists/skaro/InRelease: no valid signature by a key in the keyring' \
    --keyring "$FARM_KEY"
}

test_unknown_key() {
  local m
  m=$(mirror_copy h-otherkey)
  sign_release "$m/dists/skaro" "$OTHER_FPR"
  assert_refused h-otherkey '^prepo: .*/h-otherkey/dists/skaro/InRelease: no valid signature by a key in the keyring' \
    --keyring "$FARM_KEY"
  # Release + Release.gpg only (no InRelease), signed by the stranger.
  rm "$m/dists/skaro/InRelease"
  assert_refused h-otherkey '^prepo: .*/h-otherkey/dists/skaro/Release\.gpg: no valid signature by a key in the keyring' \
    --keyring "$FARM_KEY"
  # Without any signature, only --allow-unsigned would do.
  rm "$m/dists/skaro/Release.gpg"
  assert_refused h-otherkey '^prepo: .*/h-otherkey/dists/skaro/Release: unsigned' --keyring "$FARM_KEY"
  assert_refused h-otherkey '^prepo: .*/h-otherkey/dists/skaro: no --keyring to verify it with'
}

test_md5_signature_is_refused_as_weak() {
  local m
  m=$(mirror_copy h-md5)
  rm -f "$m/dists/skaro/InRelease" "$m/dists/skaro/Release.gpg"
  gpg --batch --yes --local-user "$FARM_FPR" --digest-algo MD5 --clearsign \
    -o "$m/dists/skaro/InRelease" "$m/dists/skaro/Release" 2>/dev/null || fail "clearsign failed"
  assert_refused h-md5 '^prepo: .*/h-md5/dists/skaro/InRelease: no valid signature by a key in the keyring \([0-9A-F]+ weak digest MD5\)$' \
    --keyring "$FARM_KEY"
}

test_expired_valid_until() {
  local m
  m=$(mirror_copy h-expired)
  remake_release "$m/dists/skaro" --set "Valid-Until=Sat, 01 Jan 2022 00:00:00 UTC"
  sign_release "$m/dists/skaro" "$FARM_FPR"
  assert_refused h-expired '^prepo: .*/h-expired/dists/skaro/Release: expired: Valid-Until Sat, 01 Jan 2022 00:00:00 UTC has passed' \
    --keyring "$FARM_KEY"
}

# apt refuses a Release dated ahead of its clock ("not valid yet", with 10 s
# allowed for skew); so does import-mirror.
test_date_in_the_future() {
  local m
  m=$(mirror_copy h-future)
  remake_release "$m/dists/skaro" --set "Date=$(LC_ALL=C date -u -d '+1 day' '+%a, %d %b %Y %H:%M:%S UTC')"
  sign_release "$m/dists/skaro" "$FARM_FPR"
  assert_refused h-future '^prepo: .*/h-future/dists/skaro/Release: not valid yet: Date .* is 86[0-9]{3} s ahead of this host.s clock \(apt allows 10 s' \
    --keyring "$FARM_KEY"
}

# A signed Release of another suite served under dists/skaro: apt warns
# "Conflicting distribution"; import-mirror refuses before writing anything.
test_release_of_another_distribution() {
  local m root before
  m=$(mirror_copy h-suite)
  remake_release "$m/dists/skaro" --set Codename=gallifrey --set Suite=gallifrey
  sign_release "$m/dists/skaro" "$FARM_FPR"
  assert_refused h-suite "^prepo: http://127\.0\.0\.1:[0-9]+/h-suite/dists/skaro/Release: is not distribution 'skaro': it says Codename gallifrey, Suite gallifrey" \
    --keyring "$FARM_KEY"
  # Into a farm without the distribution: none is made.
  root=$(new_root h-suite nodist)
  before=$(root_hash "$root")
  assert_fails_with "is not distribution 'skaro'" prepo_r "$root" import-mirror dev "$URL/h-suite" \
    --dist skaro --keyring "$FARM_KEY"
  assert_eq "$before" "$(root_hash "$root")" "root after the refused import-mirror"
  # The Suite names it just as well (apt accepts either).
  remake_release "$m/dists/skaro" --set Codename=gallifrey --set Suite=skaro
  sign_release "$m/dists/skaro" "$FARM_FPR"
  run_ok prepo_r "$root" import-mirror dev "$URL/h-suite" --dist skaro --keyring "$FARM_KEY"
  assert_eq "$EXPECTED_LIST" "$(list_of "$root" dev/skaro)"
}

test_index_hash_differs_from_release() {
  local m p
  m=$(mirror_copy h-index)
  p="$m/dists/skaro/main/binary-amd64/Packages"
  # Another stanza order: the same size, other bytes, validly signed Release untouched.
  python3 - "$p" <<'EOF'
import sys
p = sys.argv[1]
stanzas = open(p, encoding="utf-8").read().rstrip("\n").split("\n\n")
open(p, "w", encoding="utf-8").write("\n\n".join(reversed(stanzas)) + "\n")
EOF
  rewrite_index "$p"
  assert_refused h-index '^prepo: .*/h-index/dists/skaro/main/binary-amd64/Packages\.xz: (size is [0-9]+|SHA(256|512) is [0-9a-f]+), the Release says' \
    --keyring "$FARM_KEY"
}

# The same, into a farm without the distribution: it must not be created.
test_index_mismatch_creates_no_distribution() {
  local root before
  root=$(new_root hostile-nodist nodist)
  before=$(root_hash "$root")
  assert_fails_with '^prepo: .*/h-index/dists/skaro/main/binary-amd64/Packages\.xz: ' \
    prepo_r "$root" import-mirror dev "$URL/h-index" --dist skaro --keyring "$FARM_KEY"
  assert_eq "$before" "$(root_hash "$root")" "root after the refused import-mirror"
  # Nor is it said to be.
  run_rc prepo_r "$root" import-mirror dev "$URL/h-index" --dist skaro --keyring "$FARM_KEY"
  assert_not_contains "$OUT$ERR" "added" "a refused import-mirror says a distribution was added"
}

test_deb_hash_differs_from_packages() {
  local m f root
  m=$(mirror_copy h-deb)
  f=$(pool_file "$m" pkg-00002_1.0-1_amd64.deb)
  python3 - "$f" <<'EOF'
import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
b[-10] ^= 0xff
open(p, "wb").write(bytes(b))
EOF
  local listed
  listed=$(sha256_of "$IN/debs/pkg-00002_1.0-1_amd64.deb")
  root=$(new_root h-deb)
  run_rc prepo_r "$root" import-mirror dev "$URL/h-deb" --dist skaro --keyring "$FARM_KEY"
  assert_eq 1 "$RC" "exit status with one bad .deb"
  assert_matches "$(error_lines)" "^prepo: failed: skaro: pkg-00002 1\.0-1 \(amd64\): http://127\.0\.0\.1:[0-9]+/h-deb/pool/skaro/main/p/pkg-00002/pkg-00002_1\.0-1_amd64\.deb: SHA256 is [0-9a-f]{64}, the index says $listed$"
  assert_eq 1 "$(error_lines | wc -l)" "one error line"
  assert_contains "$OUT$ERR" "11 imported, 0 already here, 1 failed"
  assert_eq "$(expected_without pkg-00002)" "$(list_of "$root" dev/skaro)" "the others are committed"
  assert_eq "" "$(find "$root/public" -name 'pkg-00002*')" "the bad .deb is not in the pool"
  assert_eq "" "$(find "$root/downloads" -type f)" "the bad bytes are not kept in downloads/"
  run_ok prepo_r "$root" check
}

test_truncated_transfer_is_resumed() {
  local m root
  m=$(mirror_copy h-trunc)
  set_rules '[{"prefix": "/h-trunc/pool/", "action": "truncate-once"}]'
  root=$(new_root h-trunc)
  mark_log
  run_rc prepo_r "$root" import-mirror dev "$URL/h-trunc" --dist skaro --keyring "$FARM_KEY" -j 2
  set_rules '[]'
  ((RC == 0)) || fail "import-mirror with truncated transfers failed (exit $RC): $ERR"
  local log
  log=$(log_since)
  assert_matches "$log" '^GET /h-trunc/pool/\S+\.deb - 200-truncated$' "the server truncated transfers"
  assert_matches "$log" '^GET /h-trunc/pool/\S+\.deb bytes=[1-9][0-9]*- 206$' "the client resumed with Range"
  assert_eq "$EXPECTED_LIST" "$(list_of "$root" dev/skaro)"
  assert_eq "$(pool_sums "$m/pool")" "$(pool_sums "$root/public/dev/pool")" "pool after resumed transfers"
  run_ok prepo_r "$root" check

  # A server that ignores Range: the transfer starts over from byte 0.
  m=$(mirror_copy h-trunc2)
  set_rules '[{"prefix": "/h-trunc2/pool/", "action": "truncate-once", "no_range": true}]'
  root=$(new_root h-trunc2)
  mark_log
  run_rc prepo_r "$root" import-mirror dev "$URL/h-trunc2" --dist skaro --keyring "$FARM_KEY"
  set_rules '[]'
  ((RC == 0)) || fail "import-mirror from a server without Range failed (exit $RC): $ERR"
  assert_matches "$(log_since)" '^GET /h-trunc2/pool/\S+\.deb bytes=[1-9][0-9]*- 200$' "a Range request answered with 200"
  assert_eq "$(pool_sums "$m/pool")" "$(pool_sums "$root/public/dev/pool")" "pool after restarted transfers"
  run_ok prepo_r "$root" check
}

# Transient server errors (503) are retried; redirects to http are followed.
test_retries_and_http_redirects() {
  local root
  mirror_copy h-503 >/dev/null
  set_rules '[{"prefix": "/h-503/", "action": "status", "code": 503, "times": 1},
              {"prefix": "/moved/", "action": "redirect", "location": "'"$URL"'/origin/", "keep_rest": true}]'
  root=$(new_root h-503)
  mark_log
  run_ok prepo_r "$root" import-mirror dev "$URL/h-503" --dist skaro --keyring "$FARM_KEY"
  assert_eq "$EXPECTED_LIST" "$(list_of "$root" dev/skaro)"
  assert_matches "$(log_since)" '^GET /h-503/pool/\S+\.deb - 503$'
  assert_matches "$(log_since)" '^GET /h-503/dists/skaro/InRelease - 503$'
  root=$(new_root moved)
  mark_log
  run_ok prepo_r "$root" import-mirror dev "$URL/moved" --dist skaro --keyring "$FARM_KEY"
  set_rules '[]'
  assert_eq "$EXPECTED_LIST" "$(list_of "$root" dev/skaro)"
  assert_matches "$(log_since)" '^GET /moved/pool/\S+\.deb - 302$'
  assert_matches "$(log_since)" '^GET /origin/pool/\S+\.deb - 200$'
  run_ok prepo_r "$root" check
}

# A .part left by a broken run is resumed by the next run.
test_partial_download_resumed_by_rerun() {
  local root sum f
  root=$(new_root h-part)
  f="$IN/debs/pkg-00008_1.0-1_amd64.deb"
  sum=$(sha256_of "$f")
  mkdir -p "$root/downloads/${sum:0:2}"
  head -c 300 "$f" >"$root/downloads/${sum:0:2}/$sum.part"
  mark_log
  run_ok prepo_r "$root" import-mirror dev "$URL/origin" --dist skaro --keyring "$FARM_KEY"
  assert_matches "$(log_since)" '^GET /origin/pool/skaro/main/p/pkg-00008/pkg-00008_1\.0-1_amd64\.deb bytes=300- 206$'
  assert_files_equal "$f" "$(pool_file "$root/public/dev" pkg-00008_1.0-1_amd64.deb)"
  assert_no_file "$root/downloads/${sum:0:2}/$sum.part"

  # Stale bytes that do not verify (a short and a full-size .part of
  # garbage) are dropped and fetched anew in the same run.
  local f6 f7 s6 s7
  root=$(new_root h-part2)
  f6="$IN/debs/pkg-00006_1.0-1_amd64.deb"
  f7="$IN/debs/pkg-00007_1.0-1_amd64.deb"
  s6=$(sha256_of "$f6")
  s7=$(sha256_of "$f7")
  mkdir -p "$root/downloads/${s6:0:2}" "$root/downloads/${s7:0:2}"
  head -c 300 /dev/urandom >"$root/downloads/${s6:0:2}/$s6.part"
  head -c "$(stat -c %s "$f7")" /dev/urandom >"$root/downloads/${s7:0:2}/$s7.part"
  run_rc prepo_r "$root" import-mirror dev "$URL/origin" --dist skaro --keyring "$FARM_KEY"
  ((RC == 0)) || fail "import-mirror over stale .part files failed (exit $RC): $ERR"
  assert_files_equal "$f6" "$(pool_file "$root/public/dev" pkg-00006_1.0-1_amd64.deb)"
  assert_files_equal "$f7" "$(pool_file "$root/public/dev" pkg-00007_1.0-1_amd64.deb)"
  assert_eq "" "$(find "$root/downloads" -type f)" "files left in downloads/"

  # A verified download a power loss emptied (its name was durable, its
  # bytes were not) is fetched again, not trusted.
  local f5 s5
  root=$(new_root h-part3)
  f5="$IN/debs/pkg-00005_1.0-1_amd64.deb"
  s5=$(sha256_of "$f5")
  mkdir -p "$root/downloads/${s5:0:2}"
  : >"$root/downloads/${s5:0:2}/$s5"
  run_ok prepo_r "$root" import-mirror dev "$URL/origin" --dist skaro --keyring "$FARM_KEY"
  assert_files_equal "$f5" "$(pool_file "$root/public/dev" pkg-00005_1.0-1_amd64.deb)"
  run_ok prepo_r "$root" check
}

test_unsafe_filename() {
  local m p root
  m=$(mirror_copy h-unsafe)
  p="$m/dists/skaro/main/binary-amd64/Packages"
  python3 - "$p" <<'EOF'
import re, sys
p = sys.argv[1]
text = open(p, encoding="utf-8").read()
text = re.sub(r"Filename: \S+/pkg-00005_1\.0-1_amd64\.deb", "Filename: ../../x", text)
open(p, "w", encoding="utf-8").write(text)
EOF
  grep -q '^Filename: \.\./\.\./x$' "$p" || fail "Packages not rewritten"
  rewrite_index "$p"
  remake_release "$m/dists/skaro"
  sign_release "$m/dists/skaro" "$FARM_FPR"
  root=$(new_root h-unsafe)
  mark_log
  run_rc prepo_r "$root" import-mirror dev "$URL/h-unsafe" --dist skaro --keyring "$FARM_KEY"
  assert_eq 1 "$RC" "exit status"
  assert_eq 1 "$(error_lines | wc -l)" "one error line: $ERR"
  assert_matches "$(error_lines)" "^prepo: failed: .*pkg-00005.*unsafe path '\.\./\.\./x'"
  # The refused stanza is listed and failed: the counts add up.
  assert_contains "$OUT$ERR" "12 packages listed by the mirror: 11 imported, 0 already here, 1 failed"
  assert_eq "$(expected_without pkg-00005)" "$(list_of "$root" dev/skaro)" "the others are committed"
  assert_not_contains "$(log_since)" "/x " "no request for ../../x"
  run_ok prepo_r "$root" check
}

# A stanza whose Filename, Size and SHA256 are another package's (re-signed,
# so every hash verifies): the file is not the package listed, which fails
# by name instead of vanishing. Likewise a Sources stanza whose .dsc is of
# another version.
test_stanza_pointing_at_another_package() {
  local m p s root
  m=$(mirror_copy h-swap)
  p="$m/dists/skaro/main/binary-amd64/Packages"
  s="$m/dists/skaro/main/source/Sources"
  python3 - "$p" "$s" <<'EOF'
import re, sys
p, s = sys.argv[1], sys.argv[2]
stanzas = open(p, encoding="utf-8").read().rstrip("\n").split("\n\n")
def field(st, name):
    return re.search(rf"^{name}: (.*)$", st, re.M).group(1)
two = next(st for st in stanzas if field(st, "Package") == "pkg-00002")
out = []
for st in stanzas:
    if field(st, "Package") == "pkg-00001":
        for name in ("Filename", "Size", "SHA256", "SHA1", "MD5sum"):
            if re.search(rf"^{name}: ", st, re.M):
                st = re.sub(rf"^{name}: .*$", f"{name}: {field(two, name)}", st, flags=re.M)
    out.append(st)
open(p, "w", encoding="utf-8").write("\n\n".join(out) + "\n")
text = open(s, encoding="utf-8").read()
text = re.sub(r"^Version: 1\.0-1$", "Version: 1.0-2", text, flags=re.M)
open(s, "w", encoding="utf-8").write(text)
EOF
  grep -q '^Version: 1.0-2$' "$s" || fail "Sources not rewritten"
  rewrite_index "$p"
  rewrite_index "$s"
  remake_release "$m/dists/skaro"
  sign_release "$m/dists/skaro" "$FARM_FPR"
  root=$(new_root h-swap)
  run_rc prepo_r "$root" import-mirror dev "$URL/h-swap" --dist skaro --keyring "$FARM_KEY"
  assert_eq 1 "$RC" "exit status: $ERR"
  assert_eq 2 "$(error_lines | wc -l)" "two error lines: $ERR"
  assert_matches "$(error_lines)" '^prepo: failed: skaro: pkg-00001 1\.0-1 \(amd64\): http://127\.0\.0\.1:[0-9]+/h-swap/pool/skaro/main/p/pkg-00002/pkg-00002_1\.0-1_amd64\.deb: is pkg-00002 1\.0-1 \(amd64\), not the package its Packages stanza lists$'
  assert_matches "$(error_lines)" '^prepo: failed: skaro: hello 1\.0-2 \(source\): http://127\.0\.0\.1:[0-9]+/h-swap/pool/skaro/main/h/hello/hello_1\.0-1\.dsc: is hello 1\.0-1 \(source\), not the package its Sources stanza lists$'
  assert_contains "$OUT$ERR" "12 packages listed by the mirror: 10 imported, 0 already here, 2 failed"
  assert_eq "$(grep -v -e '^pkg-00001 ' -e '^hello 1\.0-1 source ' <<<"$EXPECTED_LIST")" \
    "$(list_of "$root" dev/skaro)" "the others are committed"
  run_ok prepo_r "$root" check
}

test_redirect_to_file_is_refused() {
  local m root target
  m=$(mirror_copy h-redir)
  # The redirect leads to a local file with the very bytes the index lists:
  # only the scheme may make it fail.
  target=$(pool_file "$WWW/origin" pkg-00006_1.0-1_amd64.deb)
  set_rules "[{\"prefix\": \"/h-redir/pool/skaro/main/p/pkg-00006/\", \"action\": \"redirect\", \"location\": \"file://$target\"},
             {\"prefix\": \"/h-redir2/dists/skaro/InRelease\", \"action\": \"redirect\", \"location\": \"file://$WWW/origin/dists/skaro/InRelease\"}]"
  root=$(new_root h-redir)
  run_rc prepo_r "$root" import-mirror dev "$URL/h-redir" --dist skaro --keyring "$FARM_KEY"
  assert_eq 1 "$RC" "exit status: $ERR"
  assert_eq 1 "$(error_lines | wc -l)" "one error line: $ERR"
  assert_matches "$(error_lines)" '^prepo: failed: skaro: pkg-00006 1\.0-1 \(amd64\): .*pkg-00006_1\.0-1_amd64\.deb: .*only http and https'
  assert_eq "$(expected_without pkg-00006)" "$(list_of "$root" dev/skaro)" "the others are committed"
  run_ok prepo_r "$root" check
  # A redirected InRelease stops the whole run.
  mirror_copy h-redir2 >/dev/null
  assert_refused h-redir2 '^prepo: .*/h-redir2/dists/skaro/InRelease: .*only http and https' --keyring "$FARM_KEY"
  set_rules '[]'
}

test_index_decompression_cap() {
  local m p
  m=$(mirror_copy h-bomb)
  p="$m/dists/skaro/main/binary-amd64/Packages"
  # Packages.xz decompresses to 4 MiB; the Release lists the plain
  # Packages with its real (small) size.
  { cat "$p"; head -c 4194304 /dev/zero | tr '\0' '\n'; } | xz -c >"$p.xz"
  remake_release "$m/dists/skaro"
  sign_release "$m/dists/skaro" "$FARM_FPR"
  local size
  size=$(stat -c %s "$p")
  assert_refused h-bomb "^prepo: .*/h-bomb/dists/skaro/main/binary-amd64/Packages\.xz: decompressed size exceeds $size bytes" \
    --keyring "$FARM_KEY"
  # Only the .xz listed: --max-index-size is the cap.
  remake_release "$m/dists/skaro" --drop 'binary-amd64/Packages(\.gz)?$'
  sign_release "$m/dists/skaro" "$FARM_FPR"
  assert_refused h-bomb '^prepo: .*/h-bomb/dists/skaro/main/binary-amd64/Packages\.xz: decompressed size exceeds 1000000 bytes' \
    --keyring "$FARM_KEY" --max-index-size 1000000
}

# A server that accepts connections and never answers: each retry is told
# (URL, reason, wait) instead of minutes of silence, and --timeout bounds
# each attempt.
test_unresponsive_server() {
  local root start
  mirror_copy h-hang >/dev/null
  set_rules '[{"prefix": "/h-hang/", "action": "hang", "seconds": 4}]'
  root=$(new_root h-hang)
  start=$SECONDS
  run_rc prepo_r "$root" import-mirror dev "$URL/h-hang" --dist skaro --keyring "$FARM_KEY" --timeout 1
  set_rules '[]'
  assert_eq 1 "$RC" "exit status"
  ((SECONDS - start < 30)) || fail "an unresponsive server took $((SECONDS - start)) s with --timeout 1"
  assert_matches "$OUT" 'h-hang/dists/skaro/InRelease: .*; retrying in 250 ms \(attempt 2 of 5\)'
  assert_matches "$OUT" 'h-hang/dists/skaro/InRelease: .*; retrying in 2\.0 s \(attempt 5 of 5\)'
  assert_eq 4 "$(grep -c 'retrying in' <<<"$OUT")" "one line per retry: $OUT"
  assert_matches "$(error_lines)" '^prepo: .*/h-hang/dists/skaro/InRelease: .*'
  run_rc prepo_r "$root" import-mirror dev "$URL/h-hang" --dist skaro --keyring "$FARM_KEY" --timeout 0
  ((RC > 100)) || fail "--timeout 0 accepted (exit $RC)"
  assert_contains "$ERR" "--timeout: Value 0 not in range 1 to 3600"
}

test_404_then_rerun_fetches_only_the_missing() {
  local m f root
  m=$(mirror_copy h-404)
  f=$(pool_file "$m" pkg-00007_1.0-1_amd64.deb)
  mv "$f" "$TESTDIR/pkg-00007.away"
  root=$(new_root h-404)
  run_rc prepo_r "$root" import-mirror dev "$URL/h-404" --dist skaro --keyring "$FARM_KEY"
  assert_eq 1 "$RC" "exit status"
  assert_eq 1 "$(error_lines | wc -l)" "one error line: $ERR"
  assert_matches "$(error_lines)" '^prepo: failed: skaro: pkg-00007 1\.0-1 \(amd64\): http://127\.0\.0\.1:[0-9]+/h-404/pool/skaro/main/p/pkg-00007/pkg-00007_1\.0-1_amd64\.deb: HTTP 404$'
  assert_contains "$OUT$ERR" "11 imported, 0 already here, 1 failed"
  assert_eq "$(expected_without pkg-00007)" "$(list_of "$root" dev/skaro)" "the others are committed"
  run_ok prepo_r "$root" check
  # The mirror is fixed; the rerun fetches only that one file.
  mv "$TESTDIR/pkg-00007.away" "$f"
  mark_log
  run_ok prepo_r "$root" import-mirror dev "$URL/h-404" --dist skaro --keyring "$FARM_KEY"
  assert_contains "$LAST_OUT" "1 imported, 11 already here, 0 failed"
  assert_eq "GET /h-404/pool/skaro/main/p/pkg-00007/pkg-00007_1.0-1_amd64.deb - 200" \
    "$(log_since | grep ' /h-404/pool/')" "pool requests of the rerun"
  assert_eq "$EXPECTED_LIST" "$(list_of "$root" dev/skaro)"
  run_ok prepo_r "$root" check
}

# ---------------------------------------------------------------- 5. --only-missing, --prefer-mirror

test_only_missing_and_prefer_mirror() {
  local root mirror_sum other_sum
  root=$(new_root semantics)
  # The farm has pkg-00005 with other bytes, pkg-00006 older, pkg-00007 newer.
  run_ok prepo_r "$root" include dev/skaro "$IN/regen/pkg-00005_1.0-1_amd64.deb" \
    "$IN/old/pkg-00006_0.9-1_amd64.deb" "$IN/new/pkg-00007_2.0-1_amd64.deb"
  mirror_sum=$(sha256_of "$IN/debs/pkg-00005_1.0-1_amd64.deb")
  other_sum=$(sha256_of "$IN/regen/pkg-00005_1.0-1_amd64.deb")

  # --only-missing: adds what is missing, keeps other versions, reports the clash.
  run_rc prepo_r "$root" import-mirror dev "$URL/reprepro" --dist skaro --keyring "$MIRROR_KEY" --only-missing
  assert_eq 1 "$RC" "exit status with a clash: $ERR"
  assert_eq 1 "$(error_lines | wc -l)" "one error line: $ERR"
  assert_matches "$(error_lines)" '^prepo: failed: skaro: pkg-00005 1\.0-1 \(amd64\): '
  assert_contains "$(error_lines)" "$mirror_sum" "clash names the mirror's sha256"
  assert_contains "$(error_lines)" "$other_sum" "clash names the farm's sha256"
  # The way out named is import-mirror's own, not include's.
  assert_contains "$(error_lines)" "import with --prefer-mirror"
  assert_not_contains "$(error_lines)" "--replace"
  assert_contains "$OUT$ERR" "9 imported, 0 already here, 2 kept (--only-missing), 1 failed"
  local want
  want=$(expected_without pkg-00005 pkg-00006 pkg-00007
    echo "pkg-00005 1.0-1 amd64 main"
    echo "pkg-00006 0.9-1 amd64 main"
    echo "pkg-00007 2.0-1 amd64 main")
  assert_eq "$(LC_ALL=C sort <<<"$want")" "$(list_of "$root" dev/skaro)" "list after --only-missing"
  assert_files_equal "$IN/regen/pkg-00005_1.0-1_amd64.deb" "$(pool_file "$root/public/dev" pkg-00005_1.0-1_amd64.deb)"

  # --prefer-mirror: the mirror's bytes replace the farm's.
  run_ok prepo_r "$root" import-mirror dev "$URL/reprepro" --dist skaro --keyring "$MIRROR_KEY" \
    --only-missing --prefer-mirror
  assert_contains "$LAST_OUT" "1 imported, 9 already here, 2 kept (--only-missing), 0 failed"
  assert_files_equal "$IN/debs/pkg-00005_1.0-1_amd64.deb" "$(pool_file "$root/public/dev" pkg-00005_1.0-1_amd64.deb)"
  assert_contains "$(list_of "$root" dev/skaro)" "pkg-00006 0.9-1 amd64 main"

  # Without --only-missing the mirror is the truth: older and newer versions go.
  run_ok prepo_r "$root" import-mirror dev "$URL/reprepro" --dist skaro --keyring "$MIRROR_KEY"
  assert_contains "$LAST_OUT" "2 imported, 10 already here, 0 failed"
  assert_eq "$EXPECTED_LIST" "$(list_of "$root" dev/skaro)" "list after a full import"
  assert_eq "$(pool_sums "$WWW/reprepro/pool")" \
    "$(pool_sums "$root/public/dev/pool" | grep -v -e 'pkg-00006_0\.9-1' -e 'pkg-00007_2\.0-1')" \
    "pool after a full import"
  run_ok prepo_r "$root" check

  # Nothing new: a no-op.
  local before
  before=$(root_hash "$root")
  mark_log
  run_ok prepo_r "$root" import-mirror dev "$URL/reprepro" --dist skaro --keyring "$MIRROR_KEY"
  assert_contains "$LAST_OUT" "0 imported, 12 already here, 0 failed; 0 files fetched"
  assert_not_contains "$(log_since)" "/pool/" "the no-op rerun fetched a package"
  # The Release is the one last imported: verified, and no index is read.
  assert_contains "$LAST_OUT" "the mirror's Release is the one last imported"
  assert_not_contains "$(log_since)" "/Packages" "the no-op rerun fetched an index"
  assert_eq "$before" "$(root_hash "$root")" "root after the no-op rerun"
}

# ---------------------------------------------------------------- 6. where imports came from

test_list_and_generations_show_origin() {
  local root="$TESTDIR/roots/recovered" line json
  line=$(prepo_r "$root" list dev/skaro pkg-00001)
  assert_matches "$line" "^pkg-00001 1\.0-1 amd64 main  \(imported from $URL/reprepro/pool/main/p/pkg-00001/pkg-00001_1\.0-1_amd64\.deb at [A-Z][a-z]{2}, [0-9]{2} [A-Z][a-z]{2} [0-9]{4} [0-9:]{8} UTC\)$"
  line=$(prepo_r "$root" list dev/skaro greet)
  assert_contains "$line" "(imported from $URL/dsc/greet_2.0-1.dsc at "
  json=$(prepo_r "$root" list dev/skaro hello --json)
  python3 - "$json" "$URL" <<'EOF' || fail "list --json does not show where hello came from: $json"
import json, sys
rows, url = json.loads(sys.argv[1]), sys.argv[2]
assert len(rows) == 2, rows
for r in rows:
    assert r["imported_from"].startswith(url + "/reprepro/pool/main/h/hello/hello_1.0-1"), r
    assert r["imported_at"], r
EOF
  local gens
  gens=$(prepo_r "$root" generations dev)
  assert_matches "$gens" "import-mirror dev $URL/reprepro --dist skaro --keyring $MIRROR_KEY -j 3\$"
  assert_matches "$gens" "import dev/skaro $URL/dsc/greet_2\.0-1\.dsc --keyring $FARM_KEY\$"
}

# ---------------------------------------------------------------- 7. a remote child farm

# production stacks on the origin farm served over HTTP: promote goes
# through the verified fetch, copies the exact bytes, and a second promote
# after the remote changed fetches only what changed.
test_promote_from_remote_child() {
  local root remote="$WWW/remote-rc" rc_root
  # The remote rc farm: a root of its own, its public tree served over HTTP.
  rc_root=$(new_root remote-rc)
  run_ok prepo_r "$rc_root" include dev/skaro "$IN"/debs/*.deb "$HELLO_DSC"
  rm -rf "$remote"
  cp -a "$rc_root/public/dev" "$remote"
  root=$(new_root stacked nodist)
  run_ok prepo_r "$root" farm add production --from "$URL/remote-rc" --child-name rc \
    --keyring "$FARM_KEY"
  run_ok prepo_r "$root" dist add production/skaro "${DIST_ADD_ARGS[@]}"
  assert_matches "$(prepo_r "$root" farm list)" 'rc '
  # Refused without a key to verify the remote with.
  assert_fails_with 'needs --keyring' prepo_r "$root" farm add other --from "$URL/remote-rc"
  mark_log
  run_ok prepo_r "$root" promote rc production --yes
  assert_contains "$LAST_OUT" "fetching the current state of rc"
  assert_eq "$EXPECTED_LIST" "$(list_of "$root" production/skaro)" "production after the promote"
  assert_eq "$(pool_sums "$remote/pool")" "$(pool_sums "$root/public/production/pool")" \
    "production's pool is the remote's bytes"
  assert_matches "$(log_since)" '^GET /remote-rc/dists/skaro/InRelease - 200'
  run_ok prepo_r "$root" check
  # The remote farm changes: one package more. The next promote fetches
  # only that file from the pool.
  run_ok prepo_r "$rc_root" include dev/skaro "$IN/new/pkg-00007_2.0-1_amd64.deb"
  rm -rf "$remote"
  cp -a "$rc_root/public/dev" "$remote"
  mark_log
  run_ok prepo_r "$root" promote rc production --yes
  assert_eq 1 "$(log_since | grep -c '^GET /remote-rc/pool/')" "pool files fetched by the second promote"
  assert_contains "$(prepo_r "$root" list production/skaro pkg-00007)" "pkg-00007 2.0-1 amd64 main"
  # A remote that does not verify stops the promote, production unchanged.
  local before
  before=$(prepo_r "$root" list production/skaro)
  sed -i 's/^Codename: skaro/Codename: skar0/' "$remote/dists/skaro/InRelease"
  assert_fails_with 'no valid signature' prepo_r "$root" promote rc production --yes
  assert_eq "$before" "$(prepo_r "$root" list production/skaro)" "production after the refused promote"
  # A remote that stops answering: promote's -j and --timeout are the
  # fetch's, each retry is told, and production stays as it was.
  local start=$SECONDS
  set_rules '[{"prefix": "/remote-rc/", "action": "hang", "seconds": 4}]'
  run_rc prepo_r "$root" promote rc production --yes -j 2 --timeout 1
  set_rules '[]'
  assert_eq 1 "$RC" "exit status of a promote from a hanging remote"
  ((SECONDS - start < 30)) || fail "a hanging remote took $((SECONDS - start)) s with --timeout 1"
  assert_matches "$OUT" 'remote-rc/dists/skaro/InRelease: .*; retrying in 250 ms \(attempt 2 of 5\)'
  assert_eq "$before" "$(prepo_r "$root" list production/skaro)" "production after the timed-out promote"
}

# The remote did not change: a promote says so and changes neither the
# copy nor production, however often it runs, with or without --yes.
test_promote_again_from_an_unchanged_remote_child() {
  local root remote="$WWW/remote-same" rc_root before_rc before_prod
  rc_root=$(new_root remote-same-rc)
  run_ok prepo_r "$rc_root" include dev/skaro "$IN"/debs/pkg-0000[1-5]_1.0-1_amd64.deb
  rm -rf "$remote"
  cp -a "$rc_root/public/dev" "$remote"
  root=$(new_root stacked-same nodist)
  run_ok prepo_r "$root" farm add production --from "$URL/remote-same" --child-name rc \
    --keyring "$FARM_KEY"
  run_ok prepo_r "$root" dist add production/skaro "${DIST_ADD_ARGS[@]}"
  run_ok prepo_r "$root" promote rc production --yes
  assert_contains "$LAST_OUT" "rc: 5 new, 0 removed, 0 unchanged"
  assert_eq 5 "$(prepo_r "$root" list production/skaro | grep -c .)" "production after the first promote"
  before_rc=$(prepo_r "$root" list rc/skaro)
  before_prod=$(prepo_r "$root" list production/skaro)
  local gens
  gens=$(prepo_r "$root" generations production)
  local i
  for i in 1 2 3; do
    if ((i == 2)); then
      run_ok prepo_r "$root" promote rc production # no --yes: nothing to confirm
    else
      run_ok prepo_r "$root" promote rc production --yes
    fi
    assert_contains "$LAST_OUT" "nothing to do"
    assert_contains "$LAST_OUT" "rc: 0 new, 0 removed, 5 unchanged"
    assert_eq "$before_rc" "$(prepo_r "$root" list rc/skaro)" "the copy after promote $i"
    assert_eq "$before_prod" "$(prepo_r "$root" list production/skaro)" "production after promote $i"
  done
  assert_eq "$gens" "$(prepo_r "$root" generations production)" "production's generations"
  run_ok prepo_r "$root" check
}

# A password in a remote child's URL would be written to conf/farms.
test_remote_child_url_with_a_password_is_refused() {
  local root before
  root=$(new_root stacked-secret nodist)
  before=$(root_hash "$root")
  assert_fails_with '^prepo: --from http://u:\*\*\*@127\.0\.0\.1:[0-9]+/rc: a password in the URL would be recorded .*~/\.netrc' \
    prepo_r "$root" farm add production --from "http://u:s3cret@${URL#http://}/rc" --keyring "$FARM_KEY"
  assert_not_contains "$LAST_ERR" "s3cret"
  assert_eq "$before" "$(root_hash "$root")" "root after the refused farm add"
}

# ---------------------------------------------------------------- 8. from a private farm over HTTPS

# A private farm served by prepo serve over HTTPS (a test CA): import-mirror
# needs the CA (--ca-cert) and the token (a netrc file, $PREPO_NETRC), and
# the secret never lands in the generations or the origins.
test_import_from_a_private_farm_over_https() {
  command -v openssl >/dev/null || skip_test "openssl missing"
  local src dst secret
  src=$(new_root private-src nodist)
  run_ok prepo_r "$src" farm add alice --private
  run_ok prepo_r "$src" dist add alice/skaro "${DIST_ADD_ARGS[@]}"
  run_ok prepo_r "$src" include alice/skaro "$IN"/debs/pkg-0000[1-3]_1.0-1_amd64.deb
  secret=$(prepo_r "$src" -q token add puller --farm alice)
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TESTDIR/ca.key" -out "$TESTDIR/ca.pem" \
    -days 2 -subj "/CN=prepo import test CA" -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" >/dev/null 2>&1 || fail "openssl: no CA"
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TESTDIR/srv.key" -out "$TESTDIR/srv.pem" \
    -days 2 -subj "/CN=127.0.0.1" -addext "subjectAltName=IP:127.0.0.1" \
    -CA "$TESTDIR/ca.pem" -CAkey "$TESTDIR/ca.key" >/dev/null 2>&1 || fail "openssl: no cert"
  SERVE_ROOT=$src start_serve serve-private --tls-cert "$TESTDIR/srv.pem" --tls-key "$TESTDIR/srv.key"
  local url="https://127.0.0.1:$PORT/alice"
  dst=$(new_root private-dst nodist)
  # The server's certificate is not trusted without the CA.
  assert_fails_with 'certificate' prepo_r "$dst" import-mirror dev "$url" --dist skaro \
    --keyring "$FARM_KEY"
  # Without the token: 401.
  assert_fails_with '401' prepo_r "$dst" import-mirror dev "$url" --dist skaro \
    --keyring "$FARM_KEY" --ca-cert "$TESTDIR/ca.pem"
  printf 'machine 127.0.0.1 login puller password %s\n' "$secret" >"$TESTDIR/netrc"
  run_ok env PREPO_NETRC="$TESTDIR/netrc" "$PREPO" --root "$dst" import-mirror dev "$url" \
    --dist skaro --keyring "$FARM_KEY" --ca-cert "$TESTDIR/ca.pem"
  assert_eq 3 "$(prepo_r "$dst" list dev/skaro | wc -l)" "packages imported from the private farm"
  assert_not_contains "$(prepo_r "$dst" generations dev)$(prepo_r "$dst" list dev/skaro --json)" \
    "$secret" "the token in generations or origins"
  run_ok prepo_r "$dst" check
  stop_serve
}

# ---------------------------------------------------------------- 9. --only

test_only_narrows_the_import() {
  local root
  root=$(new_root only)
  run_ok prepo_r "$root" import-mirror dev "$URL/origin" --dist skaro --keyring "$FARM_KEY" \
    --only '^pkg-0000[12]$'
  assert_eq "pkg-00001 1.0-1 amd64 main
pkg-00002 1.0-1 amd64 main" "$(list_of "$root" dev/skaro)" "packages after --only '^pkg-0000[12]\$'"
  # A source name matches its binaries too; the source package is imported.
  run_ok prepo_r "$root" import-mirror dev "$URL/origin" --dist skaro --keyring "$FARM_KEY" \
    --only '^hello$'
  assert_contains "$(list_of "$root" dev/skaro)" "hello 1.0-1 amd64 main"
  assert_contains "$(list_of "$root" dev/skaro)" "hello 1.0-1 source main"
  assert_fails_with "--only '\[': invalid regular expression" prepo_r "$root" import-mirror dev \
    "$URL/origin" --dist skaro --keyring "$FARM_KEY" --only '['
  run_ok prepo_r "$root" check
}

# ---------------------------------------------------------------- 10. killed

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# After a kill: the next writer (publish) finishes or drops what the killed
# import left, and then the farm has the distribution with every package
# or no distribution at all; a rerun completes it.
assert_before_or_after() { # ROOT WHAT
  local root=$1 what=$2 list
  run_ok prepo_r "$root" publish
  if grep -q '^Codename: skaro$' "$root/conf/distributions"; then
    list=$(list_of "$root" dev/skaro)
    [[ $list == "$EXPECTED_LIST" ]] ||
      fail "$what: dev/skaro is in conf/distributions with $(grep -c . <<<"$list") of 12 packages"
    assert_file_exists "$root/public/dev/dists/skaro/Release"
  else
    assert_fails_with "unknown distribution 'dev/skaro'" prepo_r "$root" list dev/skaro
    assert_no_file "$root/public/dev/dists/skaro"
  fi
  assert_no_file "$root/conf/distributions.pending"
  run_ok prepo_r "$root" check
  run_ok prepo_r "$root" import-mirror dev "$URL/origin" --dist skaro --keyring "$FARM_KEY"
  assert_eq "$EXPECTED_LIST" "$(list_of "$root" dev/skaro)" "$what: after the rerun"
  run_ok prepo_r "$root" check
}

test_kill_during_import_into_a_fresh_farm() {
  local root t0 t i ms n=8
  root=$(new_root kill-measure nodist)
  t0=$(now_ms)
  run_ok prepo_r "$root" import-mirror dev "$URL/origin" --dist skaro --keyring "$FARM_KEY"
  t=$(($(now_ms) - t0))
  # Kill moments spread over the measured run (and the 0.1-1 s the audit
  # used, which a run of 12 packages may not reach).
  ((t > 1000)) || t=1000
  for ((i = 0; i < n; i++)); do
    root=$(new_root "kill-$i" nodist)
    ms=$(kill_moment "$i" "$n" "$t")
    kill_after "$ms" "$PREPO" --root "$root" import-mirror dev "$URL/origin" --dist skaro \
      --keyring "$FARM_KEY"
    assert_before_or_after "$root" "killed after $ms ms (hit: $KILLED)"
  done
  # On events: the pending conf/distributions written (before the commit),
  # and the first package file in the pool (after it: publishing).
  root=$(new_root kill-pending nodist)
  kill_on_path "$root" conf/distributions.pending new \
    "$PREPO" --root "$root" import-mirror dev "$URL/origin" --dist skaro --keyring "$FARM_KEY"
  ((KILLED)) || fail "the import was not killed when conf/distributions.pending appeared"
  assert_before_or_after "$root" "killed when conf/distributions.pending appeared"
  root=$(new_root kill-pool nodist)
  kill_on_path "$root" 'public/dev/pool/*' new \
    "$PREPO" --root "$root" import-mirror dev "$URL/origin" --dist skaro --keyring "$FARM_KEY"
  ((KILLED)) || fail "the import was not killed when its pool appeared"
  assert_before_or_after "$root" "killed when the pool appeared"
}

run_suite
