#!/bin/bash
# End to end: a signed archive made by prepo from debs, a udeb, source
# packages and .changes, consumed by the real apt (update, download, source)
# and compared with apt-ftparchive's indexes for the same pool.
#
# Tests share one prepo root and run in order; the later ones (conflict,
# remove) change it.
source "$(dirname "$0")/lib.sh"

skip_unless_tools dpkg-deb dpkg-source dpkg-genchanges dpkg apt-get apt-cache apt-ftparchive \
  gpg gpgv python3 xz gzip
require_prepo

ROOT="$TESTDIR/root"
PUB="$ROOT/public/dev"
DISTDIR="$PUB/dists/skaro"
IN="$TESTDIR/in"
mkdir -p "$IN" "$ROOT"

make_gpg_key >/dev/null

# ---------------------------------------------------------------- fixtures

DEB_HELLO=$(make_deb "$IN" hello 1.0-1 amd64 "Depends: hello-data (= 1.0-1)")
DEB_DATA=$(make_deb "$IN" hello-data 1.0-1 all "Source: hello")
DEB_TOOLS=$(make_deb "$IN" hello-tools 2:2.5-3 amd64 "Source: hello (1.0-1)")
DEB_LIBFOO=$(make_deb "$IN" libfoo1 0.9-2 i386 "Section: libs")
DEB_NET=$(make_deb "$IN" netutil 1.2-1 amd64 "Section: contrib/net")
UDEB=$(make_udeb "$IN" hello-udeb 1.0-1 amd64 "Section: debian-installer" "Source: hello")

# hello 1.0-1: 3.0 (quilt) included as a .dsc.
DSC_HELLO=$(make_source_pkg "$IN/src" hello 1.0-1)
# greeter 2.0-1: 3.0 (quilt) included through dpkg-genchanges -S's .changes.
make_source_pkg "$IN/greeter" greeter 2.0-1 >/dev/null
CHANGES_GREETER=$(make_source_changes "$IN/greeter" greeter 2.0-1)
# nativepkg 3.2: 3.0 (native) source plus its binary, in a hand-made .changes.
DSC_NATIVE=$(make_native_source "$IN/native" nativepkg 3.2)
DEB_NATIVE=$(make_deb "$IN/native" nativepkg 3.2 all)
CHANGES_NATIVE=$(make_changes "$IN/native/nativepkg_3.2_multi.changes" nativepkg 3.2 "$DSC_NATIVE" \
  "$IN/native/nativepkg_3.2.tar.xz" "$DEB_NATIVE")

EXPECTED_LIST=$(
  sort <<'EOF'
greeter 2.0-1 source main
hello 1.0-1 amd64 main
hello 1.0-1 source main
hello-data 1.0-1 all main
hello-tools 2:2.5-3 amd64 main
hello-udeb 1.0-1 amd64 main
libfoo1 0.9-2 i386 main
nativepkg 3.2 all main
nativepkg 3.2 source main
netutil 1.2-1 amd64 contrib
EOF
)

# Files of a .dsc (its Files section), one name a line.
dsc_files() { awk '/^Files:/ { on = 1; next } /^[^ ]/ { on = 0 } on && NF == 3 { print $3 }' "$1"; }

prepo_list_sorted() {
  local out
  out=$(prepo_r "$ROOT" list "$@") || fail "prepo list $* failed (exit $?)"
  sort <<<"$out" | sed '/^$/d'
}

write_sources_list() {
  cat >"$APT_ROOT/etc/apt/sources.list.d/prepo.list" <<EOF
deb [signed-by=$GPG_KEYFILE] file:$PUB skaro main contrib
deb-src [signed-by=$GPG_KEYFILE] file:$PUB skaro main contrib
EOF
}

# ---------------------------------------------------------------- tests

test_init_farm_dist() {
  cd "$ROOT"
  run_ok "$PREPO" init
  [[ -d $ROOT/conf ]] || fail "prepo init made no conf/"
  [[ -d $ROOT/db ]] || fail "prepo init made no db/"
  run_ok prepo_r "$ROOT" farm add dev
  run_ok prepo_r "$ROOT" dist add dev/skaro --components main,contrib \
    --architectures amd64,i386,all,source --sign-with "$GPG_FPR" \
    --origin prepo-test --label "Prepo Test" --suite unstable --description "prepo integration test"
}

test_include_everything() {
  run_ok prepo_r "$ROOT" include dev/skaro "$DEB_HELLO" "$DEB_DATA" "$DEB_TOOLS" "$DEB_LIBFOO" \
    "$DEB_NET" "$UDEB" "$DSC_HELLO" "$CHANGES_GREETER" "$CHANGES_NATIVE"
  local listed
  listed=$(prepo_list_sorted dev/skaro)
  assert_eq "$EXPECTED_LIST" "$listed" "prepo list after the include"
  assert_file_exists "$DISTDIR/Release"
}

test_prepo_root_from_env_and_cwd() {
  local listed
  listed=$(PREPO_ROOT=$ROOT "$PREPO" list dev/skaro) || fail "list with PREPO_ROOT failed"
  listed=$(sort <<<"$listed")
  assert_eq "$EXPECTED_LIST" "$listed" "list with PREPO_ROOT"
  listed=$(cd "$ROOT" && "$PREPO" list dev/skaro) || fail "list in the root directory failed"
  listed=$(sort <<<"$listed")
  assert_eq "$EXPECTED_LIST" "$listed" "list in the root directory"
}

test_list_pattern() {
  assert_eq "hello-tools 2:2.5-3 amd64 main" "$(prepo_r "$ROOT" list dev/skaro hello-tools)"
}

test_pool_layout_and_bytes() {
  local p="$PUB/pool/skaro"
  assert_files_equal "$DEB_HELLO" "$p/main/h/hello/hello_1.0-1_amd64.deb"
  assert_files_equal "$DEB_DATA" "$p/main/h/hello/hello-data_1.0-1_all.deb"
  assert_files_equal "$DEB_TOOLS" "$p/main/h/hello/hello-tools_2.5-3_amd64.deb"
  assert_files_equal "$UDEB" "$p/main/h/hello/hello-udeb_1.0-1_amd64.udeb"
  assert_files_equal "$DEB_LIBFOO" "$p/main/libf/libfoo1/libfoo1_0.9-2_i386.deb"
  assert_files_equal "$DEB_NET" "$p/contrib/n/netutil/netutil_1.2-1_amd64.deb"
  assert_files_equal "$DEB_NATIVE" "$p/main/n/nativepkg/nativepkg_3.2_all.deb"
  local f
  assert_files_equal "$DSC_HELLO" "$p/main/h/hello/hello_1.0-1.dsc"
  for f in $(dsc_files "$DSC_HELLO"); do assert_files_equal "$IN/src/$f" "$p/main/h/hello/$f"; done
  for f in greeter_2.0-1.dsc $(dsc_files "$IN/greeter/greeter_2.0-1.dsc"); do
    assert_files_equal "$IN/greeter/$f" "$p/main/g/greeter/$f"
  done
  for f in nativepkg_3.2.dsc nativepkg_3.2.tar.xz; do
    assert_files_equal "$IN/native/$f" "$p/main/n/nativepkg/$f"
  done
}

test_check_after_include() {
  run_ok prepo_r "$ROOT" check
}

# (a)
test_apt_update_is_clean() {
  setup_apt_root "$TESTDIR/apt" amd64 i386
  write_sources_list
  apt_update_clean
  local policy
  policy=$(apt_cache policy hello netutil libfoo1:i386)
  assert_matches "$policy" 'Candidate: 1\.0-1' "hello has a candidate"
  assert_matches "$(apt_cache policy netutil)" 'Candidate: 1\.2-1' "netutil (contrib) has a candidate"
  assert_matches "$(apt_cache policy libfoo1:i386)" 'Candidate: 0\.9-2' "libfoo1:i386 has a candidate"
  assert_matches "$(apt_cache showsrc greeter)" 'Version: 2\.0-1' "greeter source is known"
}

# (b)
test_apt_download_is_byte_identical() {
  setup_apt_root "$TESTDIR/apt" amd64 i386
  mkdir -p "$TESTDIR/dl" && cd "$TESTDIR/dl"
  run_ok apt_get download hello hello-data hello-tools netutil nativepkg libfoo1:i386
  local orig got
  for orig in "$DEB_HELLO" "$DEB_DATA" "$DEB_TOOLS" "$DEB_NET" "$DEB_NATIVE" "$DEB_LIBFOO"; do
    local base
    base=$(basename "$orig")
    # apt-get download spells an epoch as %3a in the file name.
    got=$(ls "$TESTDIR/dl/${base%%_*}"_*"_${base##*_}")
    assert_eq "$(sha256_of "$orig")" "$(sha256_of "$got")" "sha256 of downloaded $base"
    rm -rf "$TESTDIR/x1" "$TESTDIR/x2"
    dpkg -x "$orig" "$TESTDIR/x1"
    dpkg -x "$got" "$TESTDIR/x2"
    diff -r "$TESTDIR/x1" "$TESTDIR/x2" >/dev/null || fail "contents of $base differ after download"
  done
}

# (c)
test_apt_source_is_byte_identical() {
  setup_apt_root "$TESTDIR/apt" amd64 i386
  mkdir -p "$TESTDIR/srcdl" && cd "$TESTDIR/srcdl"
  run_ok apt_get source --download-only hello greeter nativepkg
  local f
  assert_files_equal "$DSC_HELLO" hello_1.0-1.dsc
  for f in $(dsc_files "$DSC_HELLO"); do assert_files_equal "$IN/src/$f" "$f"; done
  assert_files_equal "$IN/greeter/greeter_2.0-1.dsc" greeter_2.0-1.dsc
  for f in $(dsc_files greeter_2.0-1.dsc); do assert_files_equal "$IN/greeter/$f" "$f"; done
  assert_files_equal "$DSC_NATIVE" nativepkg_3.2.dsc
  assert_files_equal "$IN/native/nativepkg_3.2.tar.xz" nativepkg_3.2.tar.xz
}

# (d)
test_indexes_equal_apt_ftparchive() {
  check_against_ftparchive "$PUB" skaro main
  check_against_ftparchive "$PUB" skaro contrib
}

# (e)
test_release_fields_hashes_signatures() {
  check_release "$DISTDIR" "$GPG_KEYFILE"
  assert_eq prepo-test "$(release_field "$DISTDIR" Origin)" Origin
  assert_eq "Prepo Test" "$(release_field "$DISTDIR" Label)" Label
  assert_eq unstable "$(release_field "$DISTDIR" Suite)" Suite
  assert_eq skaro "$(release_field "$DISTDIR" Codename)" Codename
  assert_eq "prepo integration test" "$(release_field "$DISTDIR" Description)" Description
  assert_eq "main contrib" "$(release_field "$DISTDIR" Components)" Components
  local archs a
  archs=" $(release_field "$DISTDIR" Architectures) "
  for a in amd64 i386; do assert_contains "$archs" " $a " "Release Architectures"; done
  assert_not_contains "$archs" " source " "Release Architectures lists no 'source'"
  # Indexes every configured architecture has, even when empty.
  local comp
  for comp in main contrib; do
    for a in amd64 i386; do assert_file_exists "$DISTDIR/$comp/binary-$a/Packages.xz"; done
    assert_file_exists "$DISTDIR/$comp/source/Sources.xz"
  done
}

# (f)
test_publish_again_writes_nothing() {
  local before after
  before=$(root_hash "$ROOT")
  run_ok prepo_r "$ROOT" publish dev
  assert_contains "$LAST_OUT" "nothing to publish"
  after=$(root_hash "$ROOT")
  assert_eq "$before" "$after" "root hash after a publish with nothing changed"
}

# (g)
test_reinclude_same_deb_is_noop() {
  local before after
  before=$(root_hash "$ROOT")
  run_ok prepo_r "$ROOT" include dev/skaro "$DEB_HELLO" "$DSC_HELLO"
  assert_matches "$LAST_OUT" '[Aa]lready|[Uu]nchanged|[Nn]othing|[Ss]kip|[Ii]dentical|no-op' \
    "re-include says it did nothing"
  after=$(root_hash "$ROOT")
  assert_eq "$before" "$after" "root hash after re-including the same files"
}

# (h)
test_same_name_different_bytes() {
  local other before
  other=$(DEB_CONTENT="different bytes" make_deb "$IN/conflict" hello 1.0-1 amd64 "Depends: hello-data (= 1.0-1)")
  local old_sum new_sum
  old_sum=$(sha256_of "$DEB_HELLO")
  new_sum=$(sha256_of "$other")
  assert_ne "$old_sum" "$new_sum"
  before=$(root_hash "$ROOT")
  assert_fails_with 'conflict/hello_1\.0-1_amd64\.deb' prepo_r "$ROOT" include dev/skaro "$other"
  assert_contains "$LAST_ERR" "$old_sum" "error names the sha256 in the archive"
  assert_contains "$LAST_ERR" "$new_sum" "error names the sha256 of the new file"
  assert_eq "$before" "$(root_hash "$ROOT")" "root hash after the rejected include"

  run_ok prepo_r "$ROOT" dist add dev/gallifrey --components main --architectures amd64,all,source \
    --sign-with "$GPG_FPR" --origin prepo-test --label "Prepo Test"
  run_ok prepo_r "$ROOT" include dev/gallifrey "$other"
  assert_files_equal "$other" "$PUB/pool/gallifrey/main/h/hello/hello_1.0-1_amd64.deb"
  assert_files_equal "$DEB_HELLO" "$PUB/pool/skaro/main/h/hello/hello_1.0-1_amd64.deb"
  assert_eq "hello 1.0-1 amd64 main" "$(prepo_r "$ROOT" list dev/gallifrey)"
  local pk
  pk=$(xz -dc "$PUB/dists/gallifrey/main/binary-amd64/Packages.xz")
  assert_contains "$pk" "SHA256: $new_sum"
  pk=$(xz -dc "$PUB/dists/skaro/main/binary-amd64/Packages.xz")
  assert_contains "$pk" "SHA256: $old_sum"
  # gallifrey was added without --suite and --description.
  check_release "$PUB/dists/gallifrey" "$GPG_KEYFILE" Origin Label Codename Date Architectures Components
  check_against_ftparchive "$PUB" gallifrey main
  run_ok prepo_r "$ROOT" check
}

# (j)
test_list_json_is_valid() {
  local json
  json=$(prepo_r "$ROOT" list dev/skaro --json) || fail "prepo list --json failed"
  printf '%s' "$json" | python3 -m json.tool >/dev/null || fail "list --json is not valid JSON: $json"
  assert_contains "$json" '"hello-tools"'
  assert_contains "$json" '"2:2.5-3"'
  assert_contains "$json" '"netutil"'
}

# (i)
test_remove_then_apt_sees_it_gone() {
  run_ok prepo_r "$ROOT" remove dev/skaro netutil hello-tools
  local listed
  listed=$(prepo_list_sorted dev/skaro)
  assert_eq "$(grep -v -e '^netutil ' -e '^hello-tools ' <<<"$EXPECTED_LIST")" "$listed" "list after remove"
  check_release "$DISTDIR" "$GPG_KEYFILE"
  # Removed files may stay in the pool while a kept generation refers to
  # them (prepo remove --help), so apt-ftparchive over the pool can list
  # more: each published stanza must still equal apt-ftparchive's.
  local idx
  for idx in "$DISTDIR"/{main,contrib}/binary-*/Packages; do
    (cd "$PUB" && apt-ftparchive packages pool/skaro 2>/dev/null) >"$TESTDIR/ftp-after-remove"
    python3 "$INTEGRATION_DIR/deb822_tool.py" subset "$TESTDIR/ftp-after-remove" "$idx" ||
      fail "$idx differs from apt-ftparchive after the remove"
  done
  setup_apt_root "$TESTDIR/apt" amd64 i386
  apt_update_clean
  assert_matches "$(apt_cache policy netutil 2>&1)" 'Candidate: \(none\)|Unable to locate|^$' "netutil is gone for apt"
  assert_matches "$(apt_cache policy hello-tools 2>&1)" 'Candidate: \(none\)|Unable to locate|^$' "hello-tools is gone for apt"
  assert_matches "$(apt_cache policy hello)" 'Candidate: 1\.0-1' "hello is still there"
  if xz -dc "$DISTDIR/contrib/binary-amd64/Packages.xz" | grep -q '^Package: netutil$'; then
    fail "netutil still in contrib/binary-amd64/Packages.xz"
  fi
  run_ok prepo_r "$ROOT" check
}

# apt refuses a missing or damaged signature; so does check, naming the file.
test_check_verifies_signatures() {
  local saved="$TESTDIR/signatures.saved"
  mkdir -p "$saved"
  cp "$DISTDIR/InRelease" "$DISTDIR/Release.gpg" "$saved/"
  rm "$DISTDIR/Release.gpg"
  assert_fails_with "^prepo: check: $DISTDIR/Release\.gpg: missing \(the distribution is signed: SignWith $GPG_FPR\)\$" \
    prepo_r "$ROOT" check
  cp "$saved/Release.gpg" "$DISTDIR/"
  # One character of the signature's base64 (its second line) changed.
  rm "$DISTDIR/InRelease"
  awk '/^-----BEGIN PGP SIGNATURE-----/ { sig = 1 } sig && ++n == 4 { $0 = (substr($0, 1, 5) == "AAAAA" ? "BBBBB" : "AAAAA") substr($0, 6) } { print }' \
    "$saved/InRelease" >"$DISTDIR/InRelease"
  assert_fails_with "^prepo: check: $DISTDIR/InRelease: " prepo_r "$ROOT" check
  rm "$DISTDIR/InRelease"
  cp "$saved/InRelease" "$DISTDIR/"
  run_ok prepo_r "$ROOT" check
}

run_suite
