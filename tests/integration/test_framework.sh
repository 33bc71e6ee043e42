#!/bin/bash
# Self-test of the harness, independent of prepo: builds a reference archive
# in prepo's layout with apt-ftparchive and gpg, then runs the same checks the
# prepo suites run (Release, by-hash, signatures, index comparison, apt-get
# update/download/source) and the package builders. When a prepo suite
# fails, this one passing shows the harness itself is sound.
source "$(dirname "$0")/lib.sh"

skip_unless_tools dpkg-deb dpkg-source dpkg-genchanges apt-get apt-ftparchive gpg gpgv python3 xz gzip

PUB="$TESTDIR/ref/public/dev"
DIST=skaro
IN="$TESTDIR/in"
mkdir -p "$IN"

make_gpg_key >/dev/null

# Fixtures.
DEB_HELLO=$(make_deb "$IN" hello 1.0-1 amd64 "Depends: libc6")
DEB_DATA=$(make_deb "$IN" hello-data 1.0-1 all "Source: hello (1.0-1)")
DEB_TOOL=$(make_deb "$IN" hello-tools 2:2.5-3 amd64 "Source: hello (1.0-1)")
UDEB=$(make_udeb "$IN" hello-udeb 1.0-1 amd64 "Section: debian-installer")
DSC=$(make_source_pkg "$IN/src" hello 1.0-1)
CHANGES=$(make_source_changes "$IN/src" hello 1.0-1)
NATIVE=$(make_native_source "$IN/src" nativepkg 3.2)

# The reference archive: pool/<dist>/<comp>/<prefix>/<source>/, indexes by
# apt-ftparchive, by-hash copies, Release signed both ways.
build_reference() {
  local pool="$PUB/pool/$DIST/main/h/hello" d="$PUB/dists/$DIST/main"
  mkdir -p "$pool" "$PUB/pool/$DIST/main/n/nativepkg" "$d/binary-amd64" "$d/binary-i386" \
    "$d/debian-installer/binary-amd64" "$d/source"
  cp "$DEB_HELLO" "$DEB_DATA" "$DEB_TOOL" "$UDEB" "$pool/"
  local f
  for f in $(awk '/^Files:/ { on = 1; next } /^[^ ]/ { on = 0 } on { print $3 }' "$DSC"); do
    cp "$IN/src/$f" "$pool/"
  done
  cp "$DSC" "$pool/"
  cp "$NATIVE" "$IN/src/nativepkg_3.2.tar.xz" "$PUB/pool/$DIST/main/n/nativepkg/"
  (
    cd "$PUB"
    apt-ftparchive packages "pool/$DIST/main" >"$d/all.tmp" 2>/dev/null
    # binary-amd64: amd64 and all; binary-i386: all only.
    local tool="$INTEGRATION_DIR/deb822_tool.py"
    python3 "$tool" filter "$d/all.tmp" "$d/debs.tmp" Filename '\.udeb$' -v
    python3 "$tool" filter "$d/all.tmp" "$d/debian-installer/binary-amd64/Packages" Filename '\.udeb$'
    # binary-amd64: amd64 and all; binary-i386: all only.
    python3 "$tool" filter "$d/debs.tmp" "$d/binary-amd64/Packages" Architecture '^(amd64|all)$'
    python3 "$tool" filter "$d/debs.tmp" "$d/binary-i386/Packages" Architecture '^all$'
    rm "$d/all.tmp" "$d/debs.tmp"
    apt-ftparchive sources "pool/$DIST/main" >"$d/source/Sources" 2>/dev/null
  )
  local idx h algo
  for idx in "$d"/binary-*/Packages "$d"/debian-installer/binary-*/Packages "$d/source/Sources"; do
    gzip -9nk "$idx"
    xz -k "$idx"
    for f in "$idx" "$idx.gz" "$idx.xz"; do
      for algo in SHA256 SHA512; do
        h=$(${algo,,}sum "$f" | cut -d' ' -f1)
        mkdir -p "$(dirname "$idx")/by-hash/$algo"
        cp "$f" "$(dirname "$idx")/by-hash/$algo/$h"
      done
    done
  done
  (
    cd "$PUB/dists/$DIST"
    apt-ftparchive \
      -o APT::FTPArchive::Release::Origin=prepo-test -o APT::FTPArchive::Release::Label=prepo-test \
      -o APT::FTPArchive::Release::Suite=unstable -o APT::FTPArchive::Release::Codename=$DIST \
      -o "APT::FTPArchive::Release::Architectures=amd64 i386 all source" \
      -o APT::FTPArchive::Release::Components=main -o "APT::FTPArchive::Release::Description=reference" \
      -o APT::FTPArchive::Release::Acquire-By-Hash=yes \
      -o APT::FTPArchive::Release::MD5=yes -o APT::FTPArchive::Release::SHA1=yes \
      -o APT::FTPArchive::Release::SHA512=yes \
      release . >"$TESTDIR/Release.tmp" 2>/dev/null
    # apt-ftparchive lists the by-hash copies too; an archive lists only indexes.
    grep -v 'by-hash' "$TESTDIR/Release.tmp" >Release
    gpg --batch --quiet --yes --local-user "$GPG_FPR" --clearsign -o InRelease Release 2>/dev/null
    gpg --batch --quiet --yes --local-user "$GPG_FPR" --detach-sign --armor -o Release.gpg Release 2>/dev/null
  )
}
build_reference

test_make_deb_is_valid() {
  dpkg-deb --info "$DEB_HELLO" >/dev/null
  assert_eq "hello 1.0-1 amd64" "$(dpkg-deb -f "$DEB_HELLO" Package Version Architecture | awk -F': ' '{ printf "%s%s", sep, $2; sep = " " }')"
  assert_eq "hello (1.0-1)" "$(dpkg-deb -f "$DEB_DATA" Source)"
  assert_eq "2:2.5-3" "$(dpkg-deb -f "$DEB_TOOL" Version)"
  assert_eq "$IN/hello-tools_2.5-3_amd64.deb" "$DEB_TOOL"
  assert_eq udeb "$(dpkg-deb -f "$UDEB" Package-Type)"
  # Same name/version/arch, different bytes with DEB_CONTENT.
  local other
  other=$(DEB_CONTENT=other make_deb "$TESTDIR/other" hello 1.0-1 amd64 "Depends: libc6")
  assert_ne "$(sha256_of "$DEB_HELLO")" "$(sha256_of "$other")"
}

test_source_packages_are_valid() {
  assert_eq "3.0 (quilt)" "$(python3 "$INTEGRATION_DIR/deb822_tool.py" field "$DSC" Format)"
  assert_file_exists "$IN/src/hello_1.0.orig.tar.gz"
  assert_file_exists "$IN/src/hello_1.0-1.debian.tar.xz"
  assert_contains "$(cat "$CHANGES")" "hello_1.0-1.dsc"
  assert_contains "$(cat "$CHANGES")" "hello_1.0.orig.tar.gz"
  assert_eq "3.0 (native)" "$(python3 "$INTEGRATION_DIR/deb822_tool.py" field "$NATIVE" Format)"
  (cd "$TESTDIR" && dpkg-source -x "$DSC" "$TESTDIR/extracted" >/dev/null)
  assert_file_exists "$TESTDIR/extracted/debian/control"
}

test_make_changes() {
  local ch
  ch=$(make_changes "$TESTDIR/up.changes" hello 1.0-1 "$DEB_HELLO" "$DEB_DATA" "$DSC")
  assert_eq "amd64 all source" "$(python3 "$INTEGRATION_DIR/deb822_tool.py" field "$ch" Architecture | tr ' ' '\n' | sort | tr '\n' ' ' | sed 's/ $//' | awk '{ print $2, $1, $3 }')"
  assert_contains "$(cat "$ch")" "$(sha256_of "$DEB_HELLO") $(stat -c %s "$DEB_HELLO") hello_1.0-1_amd64.deb"
}

test_gen_debs_are_valid() {
  gen_debs "$TESTDIR/gen" 20 genpkg
  local f n=0
  for f in "$TESTDIR"/gen/*.deb; do
    dpkg-deb --info "$f" >/dev/null || fail "$f is not a valid .deb"
    n=$((n + 1))
  done
  assert_eq 20 "$n"
  dpkg -x "$TESTDIR/gen/genpkg-00003_1.0-1_amd64.deb" "$TESTDIR/genx"
  assert_file_exists "$TESTDIR/genx/usr/share/doc/genpkg-00003/README"
}

test_root_hash() {
  local r="$TESTDIR/rh"
  mkdir -p "$r/db" "$r/a"
  echo one >"$r/a/f"
  local h0 h1
  h0=$(root_hash "$r")
  echo lock >"$r/db/lock.mdb"
  assert_eq "$h0" "$(root_hash "$r")" "db/lock.mdb is excluded"
  echo two >"$r/a/f"
  h1=$(root_hash "$r")
  assert_ne "$h0" "$h1" "content change"
  ln -s f "$r/a/l"
  assert_ne "$h1" "$(root_hash "$r")" "new symlink"
  local h2
  h2=$(root_hash "$r")
  ln -sfn nowhere "$r/a/l"
  assert_ne "$h2" "$(root_hash "$r")" "symlink target change"
  mkdir "$r/empty"
  assert_ne "$(root_hash "$r")" "$h2" "empty directory"
}

test_assert_fails_with() {
  assert_fails_with 'bad thing' bash -c 'echo "x.deb: bad thing" >&2; exit 1'
  # Each of these must make assert_fails_with fail.
  local bad
  for bad in 'exit 0' 'echo "one" >&2; echo "two" >&2; exit 1' 'exit 1' 'echo "other" >&2; exit 1' \
    'kill -9 $$'; do
    if (assert_fails_with 'one|bad thing' bash -c "$bad") 2>/dev/null; then
      fail "assert_fails_with accepted: $bad"
    fi
  done
}

test_reference_release() {
  check_release "$PUB/dists/$DIST" "$GPG_KEYFILE"
}

test_reference_release_tampered_is_caught() {
  local copy="$TESTDIR/tampered"
  cp -a "$PUB/dists/$DIST" "$copy"
  echo >>"$copy/main/binary-amd64/Packages"
  if (verify_release "$copy" strict) 2>/dev/null; then
    fail "verify_release accepted a changed Packages"
  fi
  cp -a "$PUB/dists/$DIST/." "$copy/"
  rm -r "$copy/main/binary-amd64/by-hash"
  if python3 "$INTEGRATION_DIR/deb822_tool.py" check-by-hash "$copy" 2>/dev/null; then
    fail "check-by-hash accepted missing by-hash files"
  fi
}

test_reference_matches_ftparchive() {
  check_against_ftparchive "$PUB" "$DIST" main
}

test_compare_catches_differences() {
  local d="$TESTDIR/cmp"
  mkdir -p "$d"
  printf 'Package: a\nVersion: 1\nArchitecture: all\nSize: 3\n\nPackage: b\nVersion: 1\nArchitecture: all\n' >"$d/exp"
  printf 'Package: b\nVersion: 1\nArchitecture: all\n\nPackage: a\nArchitecture: all\nVersion: 1\nsize: 3\n' >"$d/same"
  python3 "$INTEGRATION_DIR/deb822_tool.py" compare "$d/exp" "$d/same"
  printf 'Package: a\nVersion: 1\nArchitecture: all\nSize: 4\n\nPackage: b\nVersion: 1\nArchitecture: all\n' >"$d/diff"
  if python3 "$INTEGRATION_DIR/deb822_tool.py" compare "$d/exp" "$d/diff" 2>/dev/null; then fail "value difference"; fi
  printf 'Package: a\nVersion: 1\nArchitecture: all\nSize: 3\n' >"$d/missing"
  if python3 "$INTEGRATION_DIR/deb822_tool.py" compare "$d/exp" "$d/missing" 2>/dev/null; then fail "missing stanza"; fi
}

test_apt_against_reference() {
  setup_apt_root "$TESTDIR/apt" amd64 i386
  cat >"$APT_ROOT/etc/apt/sources.list.d/ref.list" <<EOF
deb [signed-by=$GPG_KEYFILE] file:$PUB $DIST main
deb-src [signed-by=$GPG_KEYFILE] file:$PUB $DIST main
EOF
  apt_update_clean
  mkdir -p "$TESTDIR/dl" && cd "$TESTDIR/dl"
  run_ok apt_get download hello hello-data
  assert_files_equal "$DEB_HELLO" "$TESTDIR/dl/hello_1.0-1_amd64.deb"
  assert_files_equal "$DEB_DATA" "$TESTDIR/dl/hello-data_1.0-1_all.deb"
  mkdir -p "$TESTDIR/srcdl" && cd "$TESTDIR/srcdl"
  run_ok apt_get source --download-only hello
  assert_files_equal "$DSC" "$TESTDIR/srcdl/hello_1.0-1.dsc"
  assert_files_equal "$IN/src/hello_1.0.orig.tar.gz" "$TESTDIR/srcdl/hello_1.0.orig.tar.gz"
}

test_apt_update_catches_bad_signature() {
  setup_apt_root "$TESTDIR/apt2" amd64
  local other="$TESTDIR/other-key.gpg"
  # A keyring that does not hold the signing key.
  GNUPGHOME="$TESTDIR/gnupg2" bash -c 'mkdir -m700 -p "$GNUPGHOME" &&
    gpg --batch --quiet --passphrase "" --quick-gen-key "other <o@example.org>" ed25519 sign never 2>/dev/null &&
    gpg --batch --export > "$1"' _ "$other"
  gpgconf --homedir "$TESTDIR/gnupg2" --kill all >/dev/null 2>&1 || true
  echo "deb [signed-by=$other] file:$PUB $DIST main" >"$APT_ROOT/etc/apt/sources.list"
  if (apt_update_clean) >/dev/null 2>&1; then
    fail "apt_update_clean accepted a repository signed by an unknown key"
  fi
}

run_suite
