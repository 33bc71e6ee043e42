#!/bin/bash
# Farm stacking end to end: dev -> rc -> production (production copies from
# rc, rc from dev), every distribution skaro signed by a throwaway key.
#
#   - versions included into dev travel to rc and production by promote, and
#     the real apt (update + install into a private dpkg root) sees exactly
#     the promoted versions in production;
#   - default promote makes the parent equal to the child (removes,
#     downgrades), --merge only adds and upgrades, --only narrows by name,
#     --dry-run prints and writes nothing;
#   - refusals (not a child, a cycle, a pool clash, a destructive promote
#     without --yes on a non-terminal) change nothing (root hash equal) and
#     say why on exactly one stderr line;
#   - rollback restores the very Packages stanzas and pool bytes, and apt
#     installs the old version again;
#   - diff (generations and child/parent, --dist) and generations --json;
#   - rollback prints its changes per distribution;
#   - gc keeps every file a kept generation or another distribution uses,
#     and a quiet distribution does not stop it;
#   - generation numbers are parsed strictly.
#
# Tests share one root and run in order; `prepo check` runs after each step.
source "$(dirname "$0")/lib.sh"

skip_unless_tools dpkg-deb dpkg dpkg-query apt-get apt-cache gpg gpgv python3 xz gzip
require_prepo
APT_HELPER=/usr/lib/apt/apt-helper
[[ -x $APT_HELPER ]] || skip_unless_tools apt-helper

ROOT="$TESTDIR/root"
IN="$TESTDIR/in"
mkdir -p "$ROOT" "$IN"

make_gpg_key >/dev/null

# ---------------------------------------------------------------- fixtures

HELLO_10=$(make_deb "$IN/v1" hello 1.0-1 amd64 "Depends: libgreet1 (>= 0.9)")
HELLO_11=$(make_deb "$IN/v11" hello 1.1-1 amd64 "Depends: libgreet1 (>= 0.9)")
HELLO_20=$(make_deb "$IN/v2" hello 2.0-1 amd64 "Depends: libgreet1 (>= 0.9)")
HELLO_30=$(make_deb "$IN/v3" hello 3.0-1 amd64 "Depends: libgreet1 (>= 0.9)")
# Same name, version and architecture as HELLO_30, other bytes.
HELLO_30_FOREIGN=$(DEB_CONTENT="rebuilt elsewhere" make_deb "$IN/foreign" hello 3.0-1 amd64 \
  "Depends: libgreet1 (>= 0.9)")
LIBGREET_10=$(make_deb "$IN/v1" libgreet1 1.0-1 amd64 "Section: libs" "Source: greet")
LIBGREET_09=$(make_deb "$IN/v09" libgreet1 0.9-1 amd64 "Section: libs" "Source: greet")
GREET_DOC=$(make_deb "$IN/v1" greet-doc 1.0-1 all "Section: doc" "Source: greet")
NEWTOOL=$(make_deb "$IN/v2" newtool 1.0-1 amd64)
SHARED=$(make_deb "$IN/lab" shared 1.0-1 amd64)

P() { prepo_r "$ROOT" "$@"; }

check_ok() { run_ok prepo_r "$ROOT" check; }

# The list of FARM/skaro, sorted.
list_of() {
  local out
  out=$(prepo_r "$ROOT" list "$1/skaro") || fail "prepo list $1/skaro failed"
  LC_ALL=C sort <<<"$out" | sed '/^$/d'
}

assert_list() { # FARM EXPECTED-LINES...
  local farm=$1
  shift
  local want
  want=$(printf '%s\n' "$@" | LC_ALL=C sort)
  assert_eq "$want" "$(list_of "$farm")" "list of $farm/skaro"
}

# The newest generation of FARM (0 when none).
current_gen() {
  P generations "$1" --json | python3 -c '
import json, sys
g = json.load(sys.stdin)
print(max((e["generation"] for e in g), default=0))'
}

# The published binary indexes of FARM/skaro (amd64, then all), plain text.
published_packages() { # FARM
  local d="$ROOT/public/$1/dists/skaro/main"
  cat "$d/binary-amd64/Packages" "$d/binary-all/Packages"
}

# Saves FARM's published binary-amd64 and binary-all Packages as OUT.amd64
# and OUT.all.
save_packages() { # FARM OUT
  local d="$ROOT/public/$1/dists/skaro/main" a
  for a in amd64 all; do
    assert_file_exists "$d/binary-$a/Packages"
    cp "$d/binary-$a/Packages" "$2.$a"
  done
}

# "Filename SHA256-of-the-pool-file" for each stanza of a Packages text,
# sorted; fails if a listed file is missing or differs from its SHA256.
pool_sums() { # PUBDIR PACKAGES-FILE
  python3 - "$1" "$2" <<'EOF'
import hashlib, os, sys
pub, idx = sys.argv[1], sys.argv[2]
out, bad = [], []
for stanza in open(idx, encoding="utf-8").read().split("\n\n"):
    fields = dict(l.split(": ", 1) for l in stanza.splitlines() if l and l[0] != " " and ": " in l)
    if "Filename" not in fields:
        continue
    path = os.path.join(pub, fields["Filename"])
    if not os.path.isfile(path):
        bad.append(f"missing {fields['Filename']}")
        continue
    h = hashlib.sha256(open(path, "rb").read()).hexdigest()
    if h != fields.get("SHA256"):
        bad.append(f"{fields['Filename']}: sha256 {h}, index says {fields.get('SHA256')}")
    out.append(f"{fields['Filename']} {h}")
if bad:
    print("\n".join(bad), file=sys.stderr)
    sys.exit(1)
print("\n".join(sorted(set(out))))
EOF
}

# Lines of a diff/promote summary that describe a change (+ ^ v ~ -).
change_lines() { grep -E '^ *[-+^v~] ' <<<"$1" | sed 's/^ *//' | LC_ALL=C sort || true; }

# A private apt root whose dpkg installs into it (a wrapper passes --root
# and --admindir), so apt-get install really unpacks and configures.
setup_install_root() { # DIR FARM [DIST]
  local dir=$1 farm=$2 dist=${3:-skaro}
  setup_install_apt_root "$dir"
  echo "deb [signed-by=$GPG_KEYFILE] file:$ROOT/public/$farm $dist main" \
    >"$dir/etc/apt/sources.list.d/prepo.list"
}

# "name version" of every package in the apt lists of APT_ROOT, sorted.
apt_seen() {
  local f
  for f in "$APT_ROOT"/var/lib/apt/lists/*_Packages*; do
    "$APT_HELPER" cat-file "$f"
  done | awk '/^Package:/ { p = $2 } /^Version:/ { print p " " $2 }' | LC_ALL=C sort -u
}

# apt sees exactly what prepo lists for FARM.
assert_apt_sees_farm() { # FARM
  local want
  want=$(list_of "$1" | awk '{ print $1 " " $2 }' | LC_ALL=C sort -u)
  assert_eq "$want" "$(apt_seen)" "what apt sees of $1 vs prepo list"
}

# Saved at the state before the release (see test_save_production_state).
SAVE="$TESTDIR/saved"
mkdir -p "$SAVE"

# ---------------------------------------------------------------- tests

test_setup_stack() {
  run_ok prepo_r "$ROOT" init
  run_ok P farm add dev
  run_ok P farm add rc --from dev
  run_ok P farm add production --from rc
  local f
  for f in dev rc production; do
    run_ok P dist add "$f/skaro" --components main --architectures amd64,all \
      --sign-with "$GPG_FPR" --origin prepo-test --label "Prepo $f" --suite "$f" \
      --description "prepo stacking test, farm $f"
  done
  local tree
  tree=$(P farm list) || fail "farm list failed"
  assert_matches "$tree" '^production ' "production is a root of the tree"
  assert_matches "$tree" '^  rc ' "rc is production's child"
  assert_matches "$tree" '^    dev ' "dev is rc's child"
  P farm list --json | python3 -c '
import json, sys
farms = {f["name"]: f for f in json.load(sys.stdin)}
assert farms["production"]["children"] == ["rc"], farms
assert farms["rc"]["children"] == ["dev"], farms
assert farms["dev"]["children"] == [], farms
assert [farms[n]["depth"] for n in ("production", "rc", "dev")] == [0, 1, 2], farms
' || fail "farm list --json does not describe production -> rc -> dev"
  check_ok
}

test_include_versions_into_dev() {
  run_ok P include dev/skaro "$HELLO_10" "$LIBGREET_10" "$GREET_DOC"
  run_ok P include dev/skaro "$HELLO_11"
  assert_list dev "greet-doc 1.0-1 all main" "hello 1.1-1 amd64 main" "libgreet1 1.0-1 amd64 main"
  assert_eq 2 "$(current_gen dev)" "dev generations"
  check_ok
}

test_promote_dev_to_rc() {
  run_ok P diff dev rc
  assert_eq "$(printf '%s\n' '+ greet-doc 1.0-1 (all, main)' '+ hello 1.1-1 (amd64, main)' \
    '+ libgreet1 1.0-1 (amd64, main)' | LC_ALL=C sort)" "$(change_lines "$LAST_OUT")" "diff dev rc"
  run_ok P promote dev rc
  assert_eq "$(list_of dev)" "$(list_of rc)" "rc holds what dev holds"
  # The very bytes of dev's pool.
  local f rel
  for f in "$HELLO_11" "$LIBGREET_10" "$GREET_DOC"; do
    rel=$(find "$ROOT/public/dev/pool" -name "$(basename "$f")" -printf '%P\n')
    [[ -n $rel ]] || fail "$(basename "$f") is not in dev's pool"
    assert_files_equal "$f" "$ROOT/public/rc/pool/$rel"
  done
  check_release "$ROOT/public/rc/dists/skaro" "$GPG_KEYFILE"
  check_ok
}

test_promote_rc_to_production() {
  run_ok P promote rc production
  assert_contains "$LAST_OUT" "promoted from rc"
  assert_list production "greet-doc 1.0-1 all main" "hello 1.1-1 amd64 main" "libgreet1 1.0-1 amd64 main"
  check_release "$ROOT/public/production/dists/skaro" "$GPG_KEYFILE"
  [[ -L $ROOT/public/production/dists/skaro ]] || fail "dists/skaro of production is not a symlink"
  assert_matches "$(readlink "$ROOT/public/production/dists/skaro")" '^skaro@[0-9]+$' "dists/skaro target"
  check_ok
}

test_apt_installs_promoted_versions() {
  setup_install_root "$TESTDIR/apt-prod" production
  apt_update_clean
  assert_apt_sees_farm production
  run_ok apt_get install -y hello greet-doc
  assert_eq "1.1-1 ii" "$(installed_version hello)" "installed hello"
  assert_eq "1.0-1 ii" "$(installed_version libgreet1)" "installed libgreet1 (dependency)"
  assert_eq "1.0-1 ii" "$(installed_version greet-doc)" "installed greet-doc"
  assert_eq "hello 1.1-1 amd64" "$(head -n1 "$APT_ROOT/usr/share/doc/hello/README")" "unpacked README"
  # What apt fetches are the bytes included into dev.
  mkdir -p "$TESTDIR/dl-prod"; cd "$TESTDIR/dl-prod" || fail "cd dl-prod"
  run_ok apt_get download hello libgreet1 greet-doc
  assert_files_equal "$HELLO_11" hello_1.1-1_amd64.deb
  assert_files_equal "$LIBGREET_10" libgreet1_1.0-1_amd64.deb
  assert_files_equal "$GREET_DOC" greet-doc_1.0-1_all.deb
}

test_promote_same_content_is_noop() {
  local before
  before=$(root_hash "$ROOT")
  run_ok P promote rc production
  assert_matches "$LAST_OUT" 'nothing to promote' "promote of the same content says so"
  run_ok P promote dev rc
  assert_matches "$LAST_OUT" 'nothing to promote' "promote of the same content says so"
  assert_eq "$before" "$(root_hash "$ROOT")" "root hash after no-op promotes"
  check_ok
}

# The next release in dev: an upgrade, a new package, a downgrade, a removal.
test_next_release_into_rc() {
  run_ok P include dev/skaro "$HELLO_20" "$NEWTOOL"
  run_ok P include --allow-downgrade dev/skaro "$LIBGREET_09"
  run_ok P remove dev/skaro greet-doc
  assert_list dev "hello 2.0-1 amd64 main" "libgreet1 0.9-1 amd64 main" "newtool 1.0-1 amd64 main"
  run_ok P promote --yes dev rc
  assert_eq "$(list_of dev)" "$(list_of rc)" "rc holds what dev holds"
  check_ok
}

test_save_production_state() {
  save_packages production "$SAVE/Packages"
  published_packages production >"$TESTDIR/Packages.saved"
  pool_sums "$ROOT/public/production" "$TESTDIR/Packages.saved" >"$SAVE/pool" || fail "production pool vs its Packages"
  assert_eq 3 "$(wc -l <"$SAVE/pool")" "pool files of production"
  list_of production >"$SAVE/list"
  current_gen production >"$SAVE/gen"
}

EXPECTED_RELEASE_CHANGES=$(printf '%s\n' \
  '+ newtool 1.0-1 (amd64, main)' \
  '- greet-doc 1.0-1 (all, main)' \
  '^ hello 1.1-1 -> 2.0-1 (amd64, main)' \
  'v libgreet1 1.0-1 -> 0.9-1 (amd64, main)' | LC_ALL=C sort)

test_diff_rc_production() {
  local before
  before=$(root_hash "$ROOT")
  run_ok P diff rc production
  assert_eq "$EXPECTED_RELEASE_CHANGES" "$(change_lines "$LAST_OUT")" "diff rc production"
  assert_contains "$LAST_OUT" "1 added, 1 upgraded, 1 downgraded, 0 rebuilt, 1 removed"
  run_ok P diff rc production --json
  python3 - "$LAST_OUT" <<'EOF' || fail "diff --json: $LAST_OUT"
import json, sys
doc = json.loads(sys.argv[1])
changes = {(c["kind"], c["name"], c["old_version"], c["new_version"])
           for d in doc for c in d["changes"] if d["distribution"] == "skaro"}
want = {("added", "newtool", "", "1.0-1"), ("upgraded", "hello", "1.1-1", "2.0-1"),
        ("downgraded", "libgreet1", "1.0-1", "0.9-1"), ("removed", "greet-doc", "1.0-1", "")}
assert changes == want, changes
EOF
  assert_eq "$before" "$(root_hash "$ROOT")" "root hash after diff"
}

test_dry_run_changes_nothing() {
  local before
  before=$(root_hash "$ROOT")
  run_ok P promote rc production --dry-run </dev/null
  assert_contains "$LAST_OUT" "would promote"
  assert_eq "$EXPECTED_RELEASE_CHANGES" "$(change_lines "$LAST_OUT")" "dry-run lines"
  run_ok P promote rc production --dry-run --merge </dev/null
  assert_eq "$(printf '%s\n' '+ newtool 1.0-1 (amd64, main)' '^ hello 1.1-1 -> 2.0-1 (amd64, main)' | LC_ALL=C sort)" \
    "$(change_lines "$LAST_OUT")" "dry-run --merge lines"
  assert_eq "$before" "$(root_hash "$ROOT")" "root hash after --dry-run"
  assert_eq "$(cat "$SAVE/list")" "$(list_of production)" "production list after --dry-run"
  check_ok
}

test_refuse_destructive_without_yes() {
  local before
  before=$(root_hash "$ROOT")
  # assert_fails_with runs the command with stdin from /dev/null: no terminal.
  assert_fails_with 'would remove 1 and downgrade 1 packages.*--yes' P promote rc production
  assert_eq "$before" "$(root_hash "$ROOT")" "root hash after the refused promote"
  check_ok
}

test_promote_only() {
  run_ok P promote rc production --only '^newtool$' </dev/null
  assert_eq "+ newtool 1.0-1 (amd64, main)" "$(change_lines "$LAST_OUT")" "--only promotes newtool alone"
  assert_list production "greet-doc 1.0-1 all main" "hello 1.1-1 amd64 main" \
    "libgreet1 1.0-1 amd64 main" "newtool 1.0-1 amd64 main"
  # The regular expression also matches source names: greet covers libgreet1
  # and greet-doc (a downgrade and a removal), refused without --yes.
  local before
  before=$(root_hash "$ROOT")
  assert_fails_with 'would remove 1 and downgrade 1 packages' P promote rc production --only '^greet$'
  assert_eq "$before" "$(root_hash "$ROOT")" "root hash after the refused --only promote"
  check_ok
}

test_merge_only_adds_and_upgrades() {
  run_ok P promote rc production --merge </dev/null
  assert_eq "^ hello 1.1-1 -> 2.0-1 (amd64, main)" "$(change_lines "$LAST_OUT")" "--merge changes"
  # greet-doc, which rc lacks, stays; libgreet1 is not downgraded.
  assert_list production "greet-doc 1.0-1 all main" "hello 2.0-1 amd64 main" \
    "libgreet1 1.0-1 amd64 main" "newtool 1.0-1 amd64 main"
  run_ok P promote rc production --merge </dev/null
  assert_contains "$LAST_OUT" "nothing to promote"
  check_release "$ROOT/public/production/dists/skaro" "$GPG_KEYFILE"
  check_ok
}

test_default_promote_makes_parent_equal() {
  run_ok P promote rc production --yes
  assert_eq "$(printf '%s\n' '- greet-doc 1.0-1 (all, main)' 'v libgreet1 1.0-1 -> 0.9-1 (amd64, main)' | LC_ALL=C sort)" \
    "$(change_lines "$LAST_OUT")" "default promote changes after the merge"
  assert_eq "$(list_of rc)" "$(list_of production)" "production equals rc"
  check_release "$ROOT/public/production/dists/skaro" "$GPG_KEYFILE"
  check_ok
}

test_apt_follows_production() {
  setup_install_root "$TESTDIR/apt-prod2" production
  apt_update_clean
  assert_apt_sees_farm production
  run_ok apt_get install -y hello newtool
  assert_eq "2.0-1 ii" "$(installed_version hello)" "installed hello"
  assert_eq "0.9-1 ii" "$(installed_version libgreet1)" "installed libgreet1"
  assert_eq "1.0-1 ii" "$(installed_version newtool)" "installed newtool"
  assert_matches "$(apt_cache policy greet-doc 2>&1)" 'Candidate: \(none\)|Unable to locate|^$' "greet-doc is gone"
}

test_generations_json() {
  local json
  json=$(P generations production --json) || fail "generations --json failed"
  python3 - "$json" "$(cat "$SAVE/gen")" <<'EOF' || fail "generations --json: $json"
import json, sys
g = json.loads(sys.argv[1])
first = int(sys.argv[2])
assert isinstance(g, list) and g, g
nums = [e["generation"] for e in g]
assert nums == sorted(nums) and len(set(nums)) == len(nums), nums
for e in g:
    for key in ("generation", "time", "command", "added", "replaced", "removed", "published"):
        assert key in e, (key, e)
published = [e["generation"] for e in g if e["published"]]
assert published == [nums[-1]], published
cmds = [e["command"] for e in g if e["generation"] > first]
assert len(cmds) == 3, cmds
assert "--only" in cmds[0] and "--merge" in cmds[1] and "--yes" in cmds[2], cmds
EOF
  run_ok P generations production
  assert_matches "$LAST_OUT" "^\* +$(current_gen production) " "'*' marks the published generation"
}

test_diff_generations() {
  local g0 g
  g0=$(cat "$SAVE/gen")
  g=$(current_gen production)
  assert_eq $((g0 + 3)) "$g" "generations since the saved state"
  run_ok P diff "production@$g0" "production@$g"
  assert_eq "$EXPECTED_RELEASE_CHANGES" "$(change_lines "$LAST_OUT")" "diff production@$g0 production@$g"
  run_ok P diff "production@$((g0 + 1))" "production@$((g0 + 2))"
  assert_eq "^ hello 1.1-1 -> 2.0-1 (amd64, main)" "$(change_lines "$LAST_OUT")" "diff of the --merge generation"
  run_ok P diff "production@$g" "production@$g0"
  assert_eq "$(printf '%s\n' '+ greet-doc 1.0-1 (all, main)' '- newtool 1.0-1 (amd64, main)' \
    'v hello 2.0-1 -> 1.1-1 (amd64, main)' '^ libgreet1 0.9-1 -> 1.0-1 (amd64, main)' | LC_ALL=C sort)" \
    "$(change_lines "$LAST_OUT")" "diff backwards"
  run_ok P diff "production@$g0" "production@$g" --json
  printf '%s' "$LAST_OUT" | python3 -m json.tool >/dev/null || fail "diff --json is not valid JSON: $LAST_OUT"
}

test_rollback_restores_bytes() {
  local g0
  g0=$(cat "$SAVE/gen")
  run_ok P rollback production --to "$g0"
  assert_eq "$(cat "$SAVE/list")" "$(list_of production)" "list after the rollback"
  save_packages production "$TESTDIR/Packages.rolledback"
  local a
  for a in amd64 all; do
    python3 "$INTEGRATION_DIR/deb822_tool.py" compare "$SAVE/Packages.$a" "$TESTDIR/Packages.rolledback.$a" ||
      fail "binary-$a Packages stanzas after the rollback differ from before the promote"
    cmp -s "$SAVE/Packages.$a" "$TESTDIR/Packages.rolledback.$a" ||
      fail "binary-$a Packages after the rollback are not byte-identical: $(diff "$SAVE/Packages.$a" "$TESTDIR/Packages.rolledback.$a" | head)"
  done
  published_packages production >"$TESTDIR/Packages.rolledback"
  pool_sums "$ROOT/public/production" "$TESTDIR/Packages.rolledback" >"$TESTDIR/pool.rolledback" ||
    fail "production pool vs its Packages after the rollback"
  assert_files_equal "$SAVE/pool" "$TESTDIR/pool.rolledback"
  check_release "$ROOT/public/production/dists/skaro" "$GPG_KEYFILE"
  run_ok P diff "production@$g0" "production@$(current_gen production)"
  assert_eq "" "$(change_lines "$LAST_OUT")" "diff between the saved and the rolled-back generation"
  check_ok

  setup_install_root "$TESTDIR/apt-rolledback" production
  apt_update_clean
  assert_apt_sees_farm production
  run_ok apt_get install -y hello greet-doc
  assert_eq "1.1-1 ii" "$(installed_version hello)" "hello after the rollback"
  assert_eq "1.0-1 ii" "$(installed_version libgreet1)" "libgreet1 after the rollback"
  mkdir -p "$TESTDIR/dl-rb"; cd "$TESTDIR/dl-rb" || fail "cd dl-rb"
  run_ok apt_get download hello
  assert_files_equal "$HELLO_11" hello_1.1-1_amd64.deb

  # And an apt that had the new release sees the old candidate again.
  APT_ROOT=$TESTDIR/apt-prod2
  apt_update_clean
  run_ok apt_get install -y --allow-downgrades hello=1.1-1 libgreet1=1.0-1
  assert_eq "1.1-1 ii" "$(installed_version hello)" "hello downgraded by apt after the rollback"
}

test_refuse_not_a_child() {
  local before
  before=$(root_hash "$ROOT")
  assert_fails_with 'production.*dev|dev.*production' P promote dev production --yes
  assert_contains "$LAST_ERR" "child"
  assert_fails_with 'rc.*production|production.*rc' P promote production rc --yes
  assert_fails_with '' P promote production production --yes
  assert_eq "$before" "$(root_hash "$ROOT")" "root hash after promotes from non-children"
  check_ok
}

test_refuse_cycle() {
  local before
  before=$(root_hash "$ROOT")
  assert_fails_with 'cycle' P farm add-child dev production
  assert_contains "$LAST_ERR" "production -> rc -> dev"
  assert_fails_with 'cycle' P farm add-child rc production
  assert_fails_with 'own child' P farm add-child dev dev
  assert_fails_with 'already' P farm add-child production rc
  assert_eq "$before" "$(root_hash "$ROOT")" "root hash after refused add-child"
  check_ok
}

test_remove_child_stops_promote() {
  run_ok P farm remove-child production rc
  local before
  before=$(root_hash "$ROOT")
  assert_fails_with 'does not copy from|child' P promote rc production --yes
  assert_eq "$before" "$(root_hash "$ROOT")" "root hash after the refused promote"
  run_ok P farm add-child production rc
  P farm list --json | python3 -c '
import json, sys
farms = {f["name"]: f for f in json.load(sys.stdin)}
assert farms["production"]["children"] == ["rc"], farms
' || fail "production lost rc as its child"
  check_ok
}

test_refuse_clash() {
  run_ok P include dev/skaro "$HELLO_30"
  run_ok P promote dev rc --yes
  # production gets another hello 3.0-1 by a direct include.
  run_ok P include production/skaro "$HELLO_30_FOREIGN"
  local ours theirs before
  ours=$(sha256_of "$HELLO_30")
  theirs=$(sha256_of "$HELLO_30_FOREIGN")
  assert_ne "$ours" "$theirs"
  before=$(root_hash "$ROOT")
  assert_fails_with 'pool/skaro/main/h/hello/hello_3\.0-1_amd64\.deb' P promote rc production --yes
  assert_contains "$LAST_ERR" "$ours" "the clash names rc's SHA256"
  assert_contains "$LAST_ERR" "$theirs" "the clash names production's SHA256"
  assert_eq "$before" "$(root_hash "$ROOT")" "root hash after the refused clash"
  check_ok
}

# A dry run foretells the refusal the real promote would meet: the plan,
# then "would be refused: ..." on stdout, the error on stderr, exit 1.
test_dry_run_foresees_clash() {
  local before
  before=$(root_hash "$ROOT")
  assert_fails_with 'hello_3\.0-1_amd64\.deb' P promote rc production --yes --dry-run
  assert_contains "$LAST_ERR" "$(sha256_of "$HELLO_30")"
  local out
  out=$(cat "$TESTDIR/.fail.out")
  assert_contains "$out" "would promote rc -> production"
  assert_matches "$out" '^would be refused: .*pool/skaro/main/h/hello/hello_3\.0-1_amd64\.deb' "dry run names the refusal"
  assert_eq "$before" "$(root_hash "$ROOT")" "root hash after the dry run"
}

test_rollback_foreign_include() {
  # Back to the last promoted state; production's clients keep getting what
  # its index promised.
  run_ok P rollback production
  assert_eq "$(cat "$SAVE/list")" "$(list_of production)" "list after rolling back the foreign include"
  check_ok
  # The foreign bytes stay in production's pool while a kept generation
  # holds them, so rc's hello 3.0-1 still clashes.
  local before
  before=$(root_hash "$ROOT")
  assert_fails_with 'pool/skaro/main/h/hello/hello_3\.0-1_amd64\.deb.*other bytes' P promote rc production --yes
  assert_eq "$before" "$(root_hash "$ROOT")" "root hash after the refused promote"
  assert_files_equal "$HELLO_30_FOREIGN" "$ROOT/public/production/pool/skaro/main/h/hello/hello_3.0-1_amd64.deb"
  # Everything else still promotes.
  run_ok P promote rc production --yes --only '^(newtool|greet)$' </dev/null
  assert_list production "hello 1.1-1 amd64 main" "libgreet1 0.9-1 amd64 main" "newtool 1.0-1 amd64 main"
  check_ok
}

# Every file each published dists/<dist>@N of every farm lists is in the pool
# with its SHA256: gc never removes what a kept generation shows.
assert_retained_dirs_complete() {
  local dir
  for dir in "$ROOT"/public/*/dists/*@*; do
    [[ -f $dir/main/binary-amd64/Packages ]] || continue
    cat "$dir"/main/binary-*/Packages >"$TESTDIR/kept.Packages"
    pool_sums "$(dirname "$(dirname "$dir")")" "$TESTDIR/kept.Packages" >/dev/null ||
      fail "gc removed a file that the retained $dir lists"
  done
}

# lab_farm FARM: a farm with two signed distributions, skaro and gallifrey.
lab_farm() {
  run_ok P farm add "$1"
  local d
  for d in skaro gallifrey; do
    run_ok P dist add "$1/$d" --components main --architectures amd64,all --sign-with "$GPG_FPR" \
      --origin prepo-test --label "Prepo $1" --suite "$1-$d" --description "prepo gc test"
  done
}

n_generations() { # FARM
  P generations "$1" --json | python3 -c 'import json, sys; print(len(json.load(sys.stdin)))'
}

# The same .deb in two distributions of one farm; removed from one; both
# distributions keep changing; gc --keep 3 after every change.
test_gc_keeps_other_distributions_file() {
  lab_farm lab
  run_ok P include lab/skaro "$SHARED"
  run_ok P include lab/gallifrey "$SHARED"
  local sk="$ROOT/public/lab/pool/skaro/main/s/shared/shared_1.0-1_amd64.deb"
  local ga="$ROOT/public/lab/pool/gallifrey/main/s/shared/shared_1.0-1_amd64.deb"
  assert_files_equal "$SHARED" "$sk"
  assert_files_equal "$SHARED" "$ga"
  run_ok P remove lab/skaro shared
  local i deb
  for ((i = 1; i <= 5; i++)); do
    deb=$(make_deb "$IN/churn" churn "1.$i-1" amd64)
    run_ok P include lab/skaro "$deb"
    deb=$(make_deb "$IN/churn" galnote "1.$i-1" all)
    run_ok P include lab/gallifrey "$deb"
    run_ok P gc --keep 3
    # The other distribution's file stays, with its bytes.
    assert_files_equal "$SHARED" "$ga"
    assert_retained_dirs_complete
    check_ok
  done
  # gc --keep 3 keeps three generations, and further back only what a
  # retained dists/<dist>@N shows (gc --help).
  local oldest_shown current want
  oldest_shown=$(find "$ROOT/public/lab/dists" -mindepth 1 -maxdepth 1 -name '*@*' -printf '%f\n' |
    sed 's/.*@//; s/-.*//' | sort -n | head -n1)
  current=$(current_gen lab)
  want=$((current - oldest_shown + 1))
  ((want < 3)) && want=3
  assert_eq "$want" "$(n_generations lab)" "lab's generations after gc --keep 3 (oldest shown $oldest_shown, current $current)"
  ((want < current)) || fail "gc dropped no generation of lab"
  # What only dropped generations used is gone.
  assert_no_file "$sk"
  assert_no_file "$ROOT/public/lab/pool/skaro/main/c/churn/churn_1.1-1_amd64.deb"
  assert_list lab "churn 1.5-1 amd64 main"

  # apt still downloads the shared package from the other distribution.
  setup_install_root "$TESTDIR/apt-lab" lab gallifrey
  apt_update_clean
  mkdir -p "$TESTDIR/dl"; cd "$TESTDIR/dl" || fail "cd dl"
  run_ok apt_get download shared
  assert_files_equal "$SHARED" "$TESTDIR/dl/shared_1.0-1_amd64.deb"
  run_ok apt_get install -y shared galnote
  assert_eq "1.0-1 ii" "$(installed_version shared)" "installed shared"
  assert_eq "1.5-1 ii" "$(installed_version galnote)" "installed galnote"
  # production, gc'ed as well, still serves apt.
  APT_ROOT=$TESTDIR/apt-rolledback
  apt_update_clean
  assert_apt_sees_farm production
  check_ok
}

# As above, but the other distribution does not change after the first
# include: gc --keep 3 must still get down to three generations (its current
# dists/gallifrey@1 must not pin generation 1 forever).
test_gc_with_a_quiet_distribution() {
  lab_farm quiet
  run_ok P include quiet/gallifrey "$SHARED"
  run_ok P include quiet/skaro "$SHARED"
  run_ok P remove quiet/skaro shared
  local i deb gc_out=""
  for ((i = 1; i <= 5; i++)); do
    deb=$(make_deb "$IN/churn" churn "1.$i-1" amd64)
    run_ok P include quiet/skaro "$deb"
    run_ok P gc quiet --keep 3
    gc_out=$LAST_OUT
    assert_files_equal "$SHARED" "$ROOT/public/quiet/pool/gallifrey/main/s/shared/shared_1.0-1_amd64.deb"
    assert_retained_dirs_complete
    check_ok
  done
  assert_eq 3 "$(n_generations quiet)" "quiet's generations after gc --keep 3 (last gc said: $gc_out; dists: $(ls "$ROOT/public/quiet/dists" | tr "\n" " "))"
  assert_no_file "$ROOT/public/quiet/pool/skaro/main/s/shared/shared_1.0-1_amd64.deb"
  assert_no_file "$ROOT/public/quiet/pool/skaro/main/c/churn/churn_1.1-1_amd64.deb"
}

# As above, but gallifrey was published twice before it went quiet: its
# older directory gallifrey@N must not pin generation N for the whole farm
# (it expires once the publish that replaced it leaves the window), and
# apt still reads gallifrey.
test_gc_with_a_distribution_quiet_after_two_publishes() {
  lab_farm quiet2
  run_ok P include quiet2/gallifrey "$SHARED"
  run_ok P include quiet2/gallifrey "$(make_deb "$IN/churn" galnote 1.0-1 all)"
  local older
  older=$(find "$ROOT/public/quiet2/dists" -mindepth 1 -maxdepth 1 -name 'gallifrey@*' -printf '%f\n' |
    sort -t@ -k2n | head -n1)
  [[ -n $older ]] || fail "no older gallifrey directory"
  local i deb
  for ((i = 1; i <= 5; i++)); do
    deb=$(make_deb "$IN/churn" churn "1.$i-1" amd64)
    run_ok P include quiet2/skaro "$deb"
  done
  run_ok P gc quiet2 --keep 3
  assert_matches "$LAST_OUT" '^[1-9][0-9]* generations dropped' "gc dropped generations"
  assert_eq 3 "$(n_generations quiet2)" "quiet2's generations after gc --keep 3 (dists: $(ls "$ROOT/public/quiet2/dists" | tr "\n" " "))"
  assert_no_file "$ROOT/public/quiet2/dists/$older"
  assert_no_file "$ROOT/public/quiet2/pool/skaro/main/c/churn/churn_1.1-1_amd64.deb"
  assert_retained_dirs_complete
  check_ok
  setup_install_root "$TESTDIR/apt-quiet2" quiet2 gallifrey
  apt_update_clean
  run_ok apt_get install -y shared galnote
  assert_eq "1.0-1 ii" "$(installed_version galnote)" "installed galnote"
}

# diff --dist is promote's --dist: a child with a distribution its parent
# lacks is compared one distribution at a time, exactly as
# 'promote --dist' would go; between generations it keeps one
# distribution's changes.
test_diff_dist() {
  lab_farm twin
  run_ok P farm add twinparent --from twin
  run_ok P dist add twinparent/skaro --components main --architectures amd64,all \
    --sign-with "$GPG_FPR" --origin prepo-test --label "Prepo twinparent" --suite twinparent \
    --description "prepo diff --dist test"
  run_ok P include twin/skaro "$HELLO_10"
  run_ok P include twin/gallifrey "$NEWTOOL"
  local before
  before=$(root_hash "$ROOT")
  assert_fails_with 'twin/gallifrey has no counterpart in farm twinparent' P diff twin twinparent
  run_ok P diff --dist skaro twin twinparent
  local diff_out=$LAST_OUT
  assert_eq "+ hello 1.0-1 (amd64, main)" "$(change_lines "$diff_out")" "diff --dist skaro"
  assert_not_contains "$diff_out" "gallifrey"
  run_ok P promote --dry-run --dist skaro twin twinparent </dev/null
  assert_eq "$(change_lines "$diff_out")" "$(change_lines "$LAST_OUT")" "diff --dist vs promote --dry-run --dist"
  assert_fails_with "unknown distribution 'twin/nosuch'" P diff --dist nosuch twin twinparent
  run_ok P diff --dist gallifrey twin@0 twin@2
  assert_eq "+ newtool 1.0-1 (amd64, main)" "$(change_lines "$LAST_OUT")" "diff --dist gallifrey twin@0 twin@2"
  assert_not_contains "$LAST_OUT" "skaro"
  assert_fails_with "unknown distribution 'twin/nosuch'" P diff --dist nosuch twin@0 twin@2
  assert_eq "$before" "$(root_hash "$ROOT")" "root hash after diff --dist"
}

# rollback lists what it changes per distribution, as diff and promote do.
test_rollback_groups_changes_by_distribution() {
  run_ok P include twin/skaro "$HELLO_11"
  run_ok P include twin/gallifrey "$SHARED"
  run_ok P rollback twin --to 2
  assert_eq "twin back to generation 2:
  gallifrey:
  - shared 1.0-1 (amd64, main)
  0 added, 0 upgraded, 0 downgraded, 0 rebuilt, 1 removed
  skaro:
  v hello 1.1-1 -> 1.0-1 (amd64, main)
  0 added, 0 upgraded, 1 downgraded, 0 rebuilt, 0 removed
total: 0 added, 0 upgraded, 1 downgraded, 0 rebuilt, 1 removed" \
    "$(sed -n '/^twin back to generation/,/^total:/p' <<<"$LAST_OUT")" "rollback's summary"
  run_ok P diff twin@5 twin@4
  assert_eq "gallifrey:
  + shared 1.0-1 (amd64, main)
  1 added, 0 upgraded, 0 downgraded, 0 rebuilt, 0 removed
skaro:
  ^ hello 1.0-1 -> 1.1-1 (amd64, main)
  0 added, 1 upgraded, 0 downgraded, 0 rebuilt, 0 removed
total: 1 added, 1 upgraded, 0 downgraded, 0 rebuilt, 0 removed" "$LAST_OUT" "diff's rendering"
  check_ok
}

# Generation numbers are read strictly: no sign, no wrap past 2^64 - 1.
test_generation_numbers_are_parsed_strictly() {
  local before
  before=$(root_hash "$ROOT")
  assert_fails_with "^prepo: invalid generation 'production@99999999999999999999'" \
    P diff production@99999999999999999999 production@1
  assert_fails_with "^prepo: invalid generation '-1'" P rollback production --to -1
  assert_fails_with "^prepo: invalid generation '18446744073709551616'" \
    P rollback production --to 18446744073709551616
  assert_fails_with "^prepo: invalid generation '\+3'" P rollback production --to +3
  assert_eq "$before" "$(root_hash "$ROOT")" "root hash after the refused generation numbers"
}

# A generation records the command line, cut after about 2 KB with a count
# of the rest: 10,000 file names are not stored in every generation.
test_long_command_line_is_recorded_cut() {
  local root="$TESTDIR/longcmd"
  prepo_r "$root" init >/dev/null
  prepo_r "$root" farm add big >/dev/null
  prepo_r "$root" dist add big/skaro --components main --architectures amd64 >/dev/null
  gen_debs "$TESTDIR/many" 120 a-package-with-a-rather-long-name-to-fill-the-command-line
  run_ok prepo_r "$root" include --no-publish big/skaro "$TESTDIR"/many/*.deb
  local cmd
  cmd=$(prepo_r "$root" generations big --json | python3 -c 'import json, sys; print(json.load(sys.stdin)[-1]["command"])')
  assert_matches "$cmd" '^prepo --root .* include --no-publish big/skaro .* \.\.\. \([0-9]+ more arguments\)$'
  ((${#cmd} < 2200)) || fail "recorded command is ${#cmd} bytes long"
  assert_eq 120 "$(prepo_r "$root" list big/skaro | wc -l)" "packages included"
}

run_suite
