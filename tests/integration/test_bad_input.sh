#!/bin/bash
# Bad input is refused whole: for each case, a non-zero exit, exactly one
# line on stderr naming the input (file, farm or dist) and the root
# byte-for-byte unchanged (db/lock.mdb aside).
source "$(dirname "$0")/lib.sh"

skip_unless_tools dpkg-deb dpkg-source python3
require_prepo

ROOT="$TESTDIR/root"
IN="$TESTDIR/in"
TOOL="$INTEGRATION_DIR/deb822_tool.py"
mkdir -p "$ROOT" "$IN"

# A root with one farm, one dist and one package already published, so that
# every file a writer creates on first use (lock, db, tree) already exists.
"$PREPO" --root "$ROOT" init >/dev/null
"$PREPO" --root "$ROOT" farm add dev >/dev/null
"$PREPO" --root "$ROOT" dist add dev/skaro --components main,contrib \
  --architectures amd64,all,source >/dev/null
GOOD_FIRST=$(make_deb "$IN" first 1.0-1 amd64)
"$PREPO" --root "$ROOT" include dev/skaro "$GOOD_FIRST" >/dev/null
LIST_BEFORE=$("$PREPO" --root "$ROOT" list dev/skaro)
[[ $LIST_BEFORE == "first 1.0-1 amd64 main" ]] || fail "setup: unexpected list: $LIST_BEFORE"

GOOD_DEB=$(make_deb "$IN" good 1.0-1 amd64)
DSC=$(make_source_pkg "$IN/src" hello 1.0-1)
DSC_FILES=(hello_1.0.orig.tar.gz hello_1.0-1.debian.tar.xz)

# refused CASE-PATTERN prepo-args...: the command fails as described above.
refused() {
  local pattern=$1
  shift
  local before listing_before after
  before=$(root_hash "$ROOT")
  listing_before=$(root_listing "$ROOT")
  assert_fails_with "$pattern" prepo_r "$ROOT" "$@"
  msg "stderr: $LAST_ERR"
  after=$(root_hash "$ROOT")
  if [[ $before != "$after" ]]; then
    fail "the root changed: $(diff <(echo "$listing_before") <(root_listing "$ROOT") | head -20)"
  fi
}

refused_include() { # PATTERN FILE...
  local pattern=$1
  shift
  refused "$pattern" include dev/skaro "$@"
}

# A raw .deb whose control file is given on stdin.
raw_deb() { # OUT
  local ctl="$TESTDIR/raw-control.$$"
  cat >"$ctl"
  python3 "$INTEGRATION_DIR/gen_debs.py" --raw-control "$ctl" --out-file "$1"
  echo "$1"
}

# A copy of the hello source package in DIR, to be tampered with.
dsc_copy() { # DIR
  mkdir -p "$1"
  cp "$DSC" "$1/"
  local f
  for f in "${DSC_FILES[@]}"; do cp "$IN/src/$f" "$1/"; done
  echo "$1/$(basename "$DSC")"
}

# A .changes for the hello source package in DIR, to be tampered with.
changes_copy() { # DIR
  local dsc
  dsc=$(dsc_copy "$1")
  make_changes "$1/hello_1.0-1_source.changes" hello 1.0-1 "$dsc" "$1/${DSC_FILES[0]}" "$1/${DSC_FILES[1]}"
}

# ---------------------------------------------------------------- binary packages

test_truncated_deb() {
  local f="$IN/trunc/trunc_1.0-1_amd64.deb"
  mkdir -p "$(dirname "$f")"
  make_deb "$IN/trunc-src" trunc 1.0-1 amd64 >/dev/null
  local full="$IN/trunc-src/trunc_1.0-1_amd64.deb"
  head -c $(($(stat -c %s "$full") / 2)) "$full" >"$f"
  refused_include 'trunc_1\.0-1_amd64\.deb' "$f"
}

test_garbage_deb() {
  local f="$IN/garbage_1.0_amd64.deb"
  { yes 'this is not an ar archive' || true; } | head -c 4096 >"$f"
  refused_include 'garbage_1\.0_amd64\.deb' "$f"
}

test_empty_file() {
  local f="$IN/empty_1.0_amd64.deb"
  : >"$f"
  refused_include 'empty_1\.0_amd64\.deb' "$f"
}

test_deb_without_package() {
  local f
  f=$(raw_deb "$IN/nopackage_1.0_amd64.deb" <<'EOF'
Version: 1.0
Architecture: amd64
Maintainer: Prepo Tests <test@example.org>
Description: no Package field
EOF
  )
  refused_include 'nopackage_1\.0_amd64\.deb' "$f"
}

test_deb_without_version() {
  local f
  f=$(raw_deb "$IN/noversion_1.0_amd64.deb" <<'EOF'
Package: noversion
Architecture: amd64
Maintainer: Prepo Tests <test@example.org>
Description: no Version field
EOF
  )
  refused_include 'noversion_1\.0_amd64\.deb' "$f"
}

test_deb_without_architecture() {
  local f
  f=$(raw_deb "$IN/noarch_1.0_amd64.deb" <<'EOF'
Package: noarch
Version: 1.0
Maintainer: Prepo Tests <test@example.org>
Description: no Architecture field
EOF
  )
  refused_include 'noarch_1\.0_amd64\.deb' "$f"
}

test_deb_invalid_version() {
  local f
  f=$(raw_deb "$IN/badversion_1.0_amd64.deb" <<'EOF'
Package: badversion
Version: 1.0 beta!
Architecture: amd64
Maintainer: Prepo Tests <test@example.org>
Description: invalid Version
EOF
  )
  refused_include 'badversion_1\.0_amd64\.deb' "$f"
}

test_deb_invalid_package_name() {
  local f
  f=$(raw_deb "$IN/badname_1.0_amd64.deb" <<'EOF'
Package: ../../etc/passwd
Version: 1.0
Architecture: amd64
Maintainer: Prepo Tests <test@example.org>
Description: a path as package name
EOF
  )
  refused_include 'badname_1\.0_amd64\.deb' "$f"
}

test_missing_input_file() {
  refused_include 'does-not-exist_1\.0_amd64\.deb' "$IN/does-not-exist_1.0_amd64.deb"
}

test_unknown_extension() {
  local f="$IN/notes.txt"
  echo "not a package" >"$f"
  refused_include 'notes\.txt' "$f"
  cp "$GOOD_DEB" "$IN/good-1.0-1.x86_64.rpm"
  refused_include 'good-1\.0-1\.x86_64\.rpm' "$IN/good-1.0-1.x86_64.rpm"
}

test_architecture_not_in_dist() {
  local f
  f=$(make_deb "$IN/arm" armonly 1.0-1 arm64)
  refused_include 'armonly_1\.0-1_arm64\.deb' "$f"
}

# ---------------------------------------------------------------- .dsc

test_dsc_dotdot_name() {
  local dsc
  dsc=$(dsc_copy "$IN/dsc-dotdot")
  python3 "$TOOL" edit-listing "$dsc" "${DSC_FILES[1]}" --rename ../etc/passwd
  refused_include 'hello_1\.0-1\.dsc' "$dsc"
}

test_dsc_slash_name() {
  local dsc
  dsc=$(dsc_copy "$IN/dsc-slash")
  mkdir -p "$IN/dsc-slash/a"
  cp "$IN/dsc-slash/${DSC_FILES[1]}" "$IN/dsc-slash/a/b"
  python3 "$TOOL" edit-listing "$dsc" "${DSC_FILES[1]}" --rename a/b
  refused_include 'hello_1\.0-1\.dsc' "$dsc"
}

test_dsc_control_char_name() {
  local dsc bad=$'bad\x1bname.tar.xz'
  dsc=$(dsc_copy "$IN/dsc-ctrl")
  cp "$IN/dsc-ctrl/${DSC_FILES[1]}" "$IN/dsc-ctrl/$bad"
  python3 "$TOOL" edit-listing "$dsc" "${DSC_FILES[1]}" --rename "$bad"
  refused_include 'hello_1\.0-1\.dsc' "$dsc"
}

test_dsc_wrong_size() {
  local dsc size
  dsc=$(dsc_copy "$IN/dsc-size")
  size=$(stat -c %s "$IN/dsc-size/${DSC_FILES[0]}")
  python3 "$TOOL" edit-listing "$dsc" "${DSC_FILES[0]}" --size $((size + 1))
  refused_include 'hello_1\.0-1\.dsc' "$dsc"
}

test_dsc_wrong_sha256() {
  local dsc
  dsc=$(dsc_copy "$IN/dsc-sha")
  python3 "$TOOL" edit-listing "$dsc" "${DSC_FILES[0]}" --sha256 "$(printf '0%.0s' {1..64})"
  refused_include 'hello_1\.0-1\.dsc' "$dsc"
}

test_dsc_missing_file() {
  local dsc
  dsc=$(dsc_copy "$IN/dsc-missing")
  rm "$IN/dsc-missing/${DSC_FILES[0]}"
  refused_include 'hello_1\.0-1\.dsc' "$dsc"
}

# ---------------------------------------------------------------- .changes

test_changes_dotdot_name() {
  local ch
  ch=$(changes_copy "$IN/ch-dotdot")
  python3 "$TOOL" edit-listing "$ch" "${DSC_FILES[1]}" --rename ../etc/passwd
  refused_include 'hello_1\.0-1_source\.changes' "$ch"
}

test_changes_slash_name() {
  local ch
  ch=$(changes_copy "$IN/ch-slash")
  mkdir -p "$IN/ch-slash/a"
  cp "$IN/ch-slash/${DSC_FILES[1]}" "$IN/ch-slash/a/b"
  python3 "$TOOL" edit-listing "$ch" "${DSC_FILES[1]}" --rename a/b
  refused_include 'hello_1\.0-1_source\.changes' "$ch"
}

test_changes_control_char_name() {
  local ch bad=$'bad\x1bname.tar.xz'
  ch=$(changes_copy "$IN/ch-ctrl")
  cp "$IN/ch-ctrl/${DSC_FILES[1]}" "$IN/ch-ctrl/$bad"
  python3 "$TOOL" edit-listing "$ch" "${DSC_FILES[1]}" --rename "$bad"
  refused_include 'hello_1\.0-1_source\.changes' "$ch"
}

test_changes_wrong_size() {
  local ch size
  ch=$(changes_copy "$IN/ch-size")
  size=$(stat -c %s "$IN/ch-size/${DSC_FILES[0]}")
  python3 "$TOOL" edit-listing "$ch" "${DSC_FILES[0]}" --size $((size + 1))
  refused_include 'hello_1\.0-1_source\.changes' "$ch"
}

test_changes_wrong_sha256() {
  local ch
  ch=$(changes_copy "$IN/ch-sha")
  python3 "$TOOL" edit-listing "$ch" "${DSC_FILES[0]}" --sha256 "$(printf 'f%.0s' {1..64})"
  refused_include 'hello_1\.0-1_source\.changes' "$ch"
}

test_changes_missing_file() {
  local ch
  ch=$(changes_copy "$IN/ch-missing")
  rm "$IN/ch-missing/${DSC_FILES[0]}"
  refused_include 'hello_1\.0-1_source\.changes' "$ch"
}

test_changes_listing_a_bad_deb() {
  local dir="$IN/ch-baddeb" ch
  mkdir -p "$dir"
  { yes 'garbage' || true; } | head -c 2048 >"$dir/hello_1.0-1_amd64.deb"
  ch=$(make_changes "$dir/hello_1.0-1_amd64.changes" hello 1.0-1 "$dir/hello_1.0-1_amd64.deb")
  refused_include 'hello_1\.0-1_amd64\.(changes|deb)' "$ch"
}

# ---------------------------------------------------------------- names

test_unknown_farm() {
  refused 'nofarm' include nofarm/skaro "$GOOD_DEB"
}

test_unknown_dist() {
  refused 'nodist' include dev/nodist "$GOOD_DEB"
}

test_unknown_component() {
  refused 'nope' include dev/skaro --component nope "$GOOD_DEB"
}

test_dist_add_to_unknown_farm() {
  refused 'nofarm' dist add nofarm/skaro --components main --architectures amd64
}

test_publish_unknown_farm() {
  refused 'nofarm' publish nofarm
}

test_list_unknown_dist() {
  refused 'nodist' list dev/nodist
}

# ---------------------------------------------------------------- configuration

DISTS_FILE="$ROOT/conf/distributions"
DISTS_FILE_RE=$(printf '%s' "$DISTS_FILE" | sed 's/[].[*^$]/\\&/g')

test_dist_add_repeated_architecture() {
  refused "^prepo: $DISTS_FILE_RE: dev/bad: Architectures lists 'amd64' twice\$" \
    dist add dev/bad --components main --architectures amd64,amd64
}

test_dist_add_repeated_component() {
  refused "^prepo: $DISTS_FILE_RE: dev/bad: Components lists 'main' twice\$" \
    dist add dev/bad --components main,main --architectures amd64
}

test_dist_add_underscore_architecture() {
  refused "^prepo: $DISTS_FILE_RE: dev/bad: invalid architecture name 'foo_bar'" \
    dist add dev/bad --architectures foo_bar
}

test_dist_add_suite_with_a_space() {
  refused "^prepo: $DISTS_FILE_RE: dev/bad: invalid Suite 'bad suite'" \
    dist add dev/bad --architectures amd64 --suite 'bad suite'
}

test_dist_add_bad_valid_for_names_it_once() {
  refused "^prepo: $DISTS_FILE_RE: dev/bad: Valid-For must be" \
    dist add dev/bad --architectures amd64 --valid-for 7w
}

# A stanza edited by hand: every command refuses the root, naming the file
# and the stanza, until it is corrected.
hand_edited() { # PATTERN STANZA-TEXT
  local saved="$TESTDIR/distributions.saved"
  cp "$DISTS_FILE" "$saved"
  printf '\n%s\n' "$2" >>"$DISTS_FILE"
  local rc=0
  (refused "$1" publish dev && refused "$1" check) || rc=$?
  cp "$saved" "$DISTS_FILE"
  return "$rc"
}

test_hand_written_repeated_architecture() {
  hand_edited "^prepo: $DISTS_FILE_RE \\(stanza 2\\): dev/bad: Architectures lists 'amd64' twice\$" \
    "$(printf 'Farm: dev\nCodename: bad\nComponents: main\nArchitectures: amd64 amd64')"
}

test_hand_written_repeated_component() {
  hand_edited "^prepo: $DISTS_FILE_RE \\(stanza 2\\): dev/bad: Components lists 'main' twice\$" \
    "$(printf 'Farm: dev\nCodename: bad\nComponents: main main\nArchitectures: amd64')"
}

test_hand_written_duplicate_stanza() {
  hand_edited "^prepo: $DISTS_FILE_RE \\(stanza 2\\): distribution 'dev/skaro' already exists\$" \
    "$(printf 'Farm: dev\nCodename: skaro\nComponents: main\nArchitectures: amd64')"
}

test_hand_written_multi_line_description() {
  hand_edited "^prepo: $DISTS_FILE_RE \\(stanza 2\\): dev/x: Description must be a single line" \
    "$(printf 'Farm: dev\nCodename: x\nDescription: x\n more\nComponents: main\nArchitectures: amd64')"
}

test_hand_written_empty_architectures() {
  hand_edited "^prepo: $DISTS_FILE_RE \\(stanza 2\\): dev/x: Architectures is empty\$" \
    "$(printf 'Farm: dev\nCodename: x\nComponents: main\nArchitectures:')"
}

# ---------------------------------------------------------------- all or nothing

test_batch_nine_good_one_bad() {
  gen_debs "$IN/batch" 9 batchgood
  local bad="$IN/batch/zz-bad_1.0_amd64.deb"
  head -c 300 "$GOOD_DEB" >"$bad"
  local files=("$IN"/batch/batchgood-*.deb)
  assert_eq 9 "${#files[@]}"
  refused_include 'zz-bad_1\.0_amd64\.deb' "${files[@]}" "$bad"
  assert_eq "$LIST_BEFORE" "$(prepo_r "$ROOT" list dev/skaro)" "list after the refused batch"
}

test_batch_bad_dsc_among_good_debs() {
  gen_debs "$IN/batch2" 9 batchtwo
  local dsc
  dsc=$(dsc_copy "$IN/batch2-dsc")
  python3 "$TOOL" edit-listing "$dsc" "${DSC_FILES[0]}" --sha256 "$(printf 'a%.0s' {1..64})"
  refused_include 'hello_1\.0-1\.dsc' "$IN"/batch2/*.deb "$dsc"
}

test_root_still_consistent() {
  run_ok prepo_r "$ROOT" check
  assert_eq "$LIST_BEFORE" "$(prepo_r "$ROOT" list dev/skaro)" "list after all refused commands"
  # And the good files still go in afterwards.
  run_ok prepo_r "$ROOT" include dev/skaro "$GOOD_DEB" "$DSC"
  assert_contains "$(prepo_r "$ROOT" list dev/skaro)" "good 1.0-1 amd64 main"
  run_ok prepo_r "$ROOT" check
}

run_suite
